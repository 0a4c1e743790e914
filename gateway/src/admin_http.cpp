#include <map>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <prometheus/text_serializer.h>

#include "admin_routes.hpp"
#include "core.hpp"
#include "log.hpp"
#include "smppgw/gateway/admin.hpp"

namespace smppgw::gateway {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;

constexpr std::size_t max_header_bytes = 16 * 1024;
constexpr std::size_t max_body_bytes = 8 * 1024 * 1024;  // streamed imports read beyond this

// Constant-time comparison so a token cannot be guessed byte by byte from response times.
bool same_token(std::string_view a, std::string_view b) {
    unsigned diff = a.size() == b.size() ? 0U : 1U;
    for (std::size_t i = 0; i < b.size(); ++i) {
        diff |= static_cast<unsigned>(static_cast<unsigned char>(i < a.size() ? a[i] : 0) ^
                                      static_cast<unsigned char>(b[i]));
    }
    return diff == 0;
}

class connection : public std::enable_shared_from_this<connection> {
public:
    connection(tcp::socket socket, admin_server::impl& server)
        : stream_(std::move(socket)), server_(server) {}

    void start() { read_header(); }

private:
    void read_header();
    void on_header(beast::error_code ec);
    void respond(http::response<http::string_body> res);

    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    std::unique_ptr<http::request_parser<http::buffer_body>> parser_;
    admin_server::impl& server_;
};

}  // namespace

struct admin_server::impl {
    impl(core& c, admin_config cfg) : gateway(c), config(std::move(cfg)), router(c) {}

    core& gateway;
    admin_config config;
    admin_router router;
    asio::io_context io{1};
    std::unique_ptr<tcp::acceptor> acceptor;
    std::thread thread;
    std::uint16_t port = 0;

    void accept() {
        acceptor->async_accept([this](beast::error_code ec, tcp::socket socket) {
            if (ec == asio::error::operation_aborted) {
                return;
            }
            if (!ec) {
                std::make_shared<connection>(std::move(socket), *this)->start();
            }
            accept();
        });
    }

    [[nodiscard]] bool authorized(std::string_view header) const {
        constexpr std::string_view scheme = "Bearer ";
        return header.starts_with(scheme) &&
               same_token(header.substr(scheme.size()), gateway.cfg()->admin.token);
    }
};

namespace {

void connection::read_header() {
    parser_ = std::make_unique<http::request_parser<http::buffer_body>>();
    parser_->header_limit(max_header_bytes);
    parser_->body_limit(boost::none);  // bodies are read by the route, bounded there
    stream_.expires_after(std::chrono::seconds(30));
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                                self->on_header(ec);
                            });
}

void connection::on_header(beast::error_code ec) {
    if (ec) {
        return;  // closed, timed out or garbage: nothing to answer
    }
    const auto& req = parser_->get();
    admin_request r;
    r.method = std::string(req.method_string());
    r.target = std::string(req.target());
    r.keep_alive = req.keep_alive();
    r.content_type = std::string(req[http::field::content_type]);
    r.authorized = server_.authorized(req[http::field::authorization]);
    // The body reader pulls chunks synchronously from this connection's stream: the admin
    // server runs on its own thread, so a streamed import blocks nothing else.
    auto self = shared_from_this();
    r.read_body = [self](char* out, std::size_t capacity) -> std::size_t {
        auto& parser = *self->parser_;
        if (parser.is_done()) {
            return 0;
        }
        parser.get().body().data = out;
        parser.get().body().size = capacity;
        beast::error_code rec;
        self->stream_.expires_after(std::chrono::seconds(60));
        http::read(self->stream_, self->buffer_, parser, rec);
        if (rec == http::error::need_buffer) {
            rec = {};
        }
        if (rec) {
            throw std::runtime_error("request body: " + rec.message());
        }
        return capacity - parser.get().body().size;
    };
    r.max_body = max_body_bytes;
    respond(server_.router.handle(r));
}

void connection::respond(http::response<http::string_body> res) {
    // Drain what is left of a body the route did not read, or close.
    const bool keep = res.keep_alive() && parser_->is_done();
    res.keep_alive(keep);
    res.set(http::field::server, "smppgw");
    res.prepare_payload();
    auto sp = std::make_shared<http::response<http::string_body>>(std::move(res));
    stream_.expires_after(std::chrono::seconds(30));
    http::async_write(stream_, *sp, [self = shared_from_this(), sp, keep](beast::error_code ec, std::size_t) {
        if (ec || !keep) {
            beast::error_code ignored;
            self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
            return;
        }
        self->read_header();
    });
}

}  // namespace

admin_server::admin_server(core& c, admin_config cfg)
    : impl_(std::make_unique<impl>(c, std::move(cfg))) {}

admin_server::~admin_server() { stop(); }

void admin_server::start() {
    beast::error_code ec;
    const auto address = asio::ip::make_address(impl_->config.address, ec);
    if (ec) {
        throw std::runtime_error("admin: bad address " + impl_->config.address);
    }
    impl_->acceptor = std::make_unique<tcp::acceptor>(impl_->io);
    const tcp::endpoint endpoint(address, impl_->config.port);
    impl_->acceptor->open(endpoint.protocol());
    impl_->acceptor->set_option(asio::socket_base::reuse_address(true));
    impl_->acceptor->bind(endpoint, ec);
    if (ec) {
        throw std::runtime_error("admin: cannot listen on " + impl_->config.address + ":" +
                                 std::to_string(impl_->config.port) + ": " + ec.message());
    }
    impl_->acceptor->listen();
    impl_->port = impl_->acceptor->local_endpoint().port();
    impl_->accept();
    impl_->thread = std::thread([this] { impl_->io.run(); });
    log::info("admin API and /metrics on http://{}:{}", impl_->config.address, impl_->port);
}

void admin_server::stop() {
    if (!impl_ || !impl_->thread.joinable()) {
        return;
    }
    impl_->io.stop();
    impl_->thread.join();
}

std::uint16_t admin_server::port() const noexcept { return impl_->port; }

}  // namespace smppgw::gateway
