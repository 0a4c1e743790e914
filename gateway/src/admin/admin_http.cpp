// The admin HTTP server: one I/O thread accepts connections and reads request headers; handlers
// run on a small worker pool so a long import, checkpoint or reload never holds up /healthz or a
// Prometheus scrape. A handler reads its body through admin_request::read_body, which performs an
// asynchronous read (with a deadline) on the I/O thread and waits for it: every socket operation
// stays on the I/O thread and every wait has a deadline.

#include <array>
#include <atomic>
#include <future>
#include <map>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "admin/admin_routes.hpp"
#include "daemon/core.hpp"
#include "infra/log.hpp"
#include "smppgw/gateway/admin.hpp"

namespace smppgw::gateway {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr std::size_t max_header_bytes = 16 * 1024;
constexpr std::size_t max_body_bytes = 8 * 1024 * 1024;  // streamed imports read beyond this
constexpr std::size_t worker_threads = 4;
constexpr auto header_timeout = std::chrono::seconds(30);
constexpr auto body_timeout = std::chrono::seconds(60);
constexpr auto write_timeout = std::chrono::seconds(30);
// After an error answered before the body was read: discard this much of it so the client sees
// the response instead of a reset, then close.
constexpr std::size_t max_discard_bytes = 8 * 1024 * 1024;
constexpr auto discard_timeout = std::chrono::seconds(5);

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
    void respond(http_response res);
    void discard_rest(std::size_t discarded);
    // Worker thread: reads up to `capacity` body bytes through the I/O thread.
    std::size_t read_body(char* out, std::size_t capacity);

    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    std::unique_ptr<http::request_parser<http::buffer_body>> parser_;
    admin_server::impl& server_;
    bool expect_continue_ = false;  // the client waits for "100 Continue" before its body
    std::array<char, 16 * 1024> scratch_{};
};

}  // namespace

struct admin_server::impl {
    impl(core& c, admin_config cfg) : gateway(c), config(std::move(cfg)), router(c) {}

    core& gateway;
    admin_config config;
    admin_router router;
    asio::io_context io{1};
    asio::thread_pool workers{worker_threads};
    std::unique_ptr<tcp::acceptor> acceptor;
    std::thread thread;
    std::uint16_t port = 0;
    // Set once the I/O thread has stopped: a worker waiting for body bytes gives up.
    std::atomic<bool> stopped{false};

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
        // RFC 7235 §2.1: the scheme is case-insensitive ("bearer" is "Bearer") and one or more
        // spaces separate it from the credentials.
        constexpr std::string_view scheme = "bearer";
        // Read per request: a reload that rotates the token applies at once.
        const auto token = gateway.cfg()->admin.token;
        if (token.empty() || header.size() <= scheme.size() ||
            !beast::iequals(header.substr(0, scheme.size()), scheme) ||
            header[scheme.size()] != ' ') {
            return false;
        }
        auto credentials = header.substr(scheme.size());
        credentials.remove_prefix(credentials.find_first_not_of(' '));
        return same_token(credentials, token);
    }
};

namespace {

void connection::read_header() {
    parser_ = std::make_unique<http::request_parser<http::buffer_body>>();
    parser_->header_limit(max_header_bytes);
    parser_->body_limit(boost::none);  // bodies are read by the route, bounded there
    expect_continue_ = false;
    stream_.expires_after(header_timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
}

// Header errors the client can be told about: it sent something, and it was wrong.
bool malformed_request(const beast::error_code& ec) {
    using e = http::error;
    return ec == e::bad_line_ending || ec == e::bad_method || ec == e::bad_target ||
           ec == e::bad_version || ec == e::bad_field || ec == e::bad_value ||
           ec == e::bad_content_length || ec == e::bad_transfer_encoding || ec == e::bad_chunk ||
           ec == e::bad_chunk_extension || ec == e::bad_obs_fold ||
           ec == e::multiple_content_length;
}

void connection::on_header(beast::error_code ec) {
    // Each error answer closes the connection: what follows the header cannot be trusted.
    if (ec == http::error::header_limit) {
        respond(error_response(431, "request header fields are larger than 16 KiB", false));
        return;
    }
    if (malformed_request(ec)) {
        respond(error_response(400, "malformed request: " + ec.message(), false));
        return;
    }
    if (ec) {
        return;  // closed, reset or timed out: nobody to answer
    }
    const auto& req = parser_->get();
    // RFC 9112 §6.1, §6.3: a request with both framings (however ordered), or with a transfer
    // coding other than chunked, has no length the server and a proxy in front would agree on.
    if (req.count(http::field::transfer_encoding) != 0 &&
        (req.count(http::field::content_length) != 0 || !parser_->chunked())) {
        respond(error_response(
            400, "Transfer-Encoding must be chunked and must not come with Content-Length", false));
        return;
    }
    admin_request r;
    r.method = std::string(req.method_string());
    r.target = std::string(req.target());
    r.keep_alive = req.keep_alive();
    r.content_type = std::string(req[http::field::content_type]);
    r.authorized = server_.authorized(req[http::field::authorization]);
    expect_continue_ = beast::iequals(req[http::field::expect], "100-continue");
    auto self = shared_from_this();
    r.read_body = [self](char* out, std::size_t capacity) {
        return self->read_body(out, capacity);
    };
    r.max_body = max_body_bytes;
    asio::post(server_.workers, [self, r = std::move(r)] {
        auto res = self->server_.router.handle(r);
        asio::post(self->stream_.get_executor(),
                   [self, res = std::move(res)]() mutable { self->respond(std::move(res)); });
    });
}

std::size_t connection::read_body(char* out, std::size_t capacity) {
    struct outcome {
        beast::error_code ec;
        std::size_t bytes = 0;
    };
    // Only this worker touches the parser while the handler runs; the I/O thread does the read.
    if (parser_->is_done() || capacity == 0) {
        return 0;
    }
    auto done = std::make_shared<std::promise<outcome>>();
    auto result = done->get_future();
    asio::post(stream_.get_executor(), [self = shared_from_this(), out, capacity, done] {
        auto read = [self, out, capacity, done] {
            auto& body = self->parser_->get().body();
            body.data = out;
            body.size = capacity;
            self->stream_.expires_after(body_timeout);
            http::async_read(self->stream_, self->buffer_, *self->parser_,
                             [self, capacity, done](beast::error_code ec, std::size_t) {
                                 if (ec == http::error::need_buffer) {
                                     ec = {};  // our buffer is full: not an error
                                 }
                                 const auto left = self->parser_->get().body().size;
                                 done->set_value({ec, capacity - left});
                             });
        };
        if (!self->expect_continue_) {
            read();
            return;
        }
        self->expect_continue_ = false;
        static const std::string continue_line = "HTTP/1.1 100 Continue\r\n\r\n";
        self->stream_.expires_after(write_timeout);
        asio::async_write(self->stream_, asio::buffer(continue_line),
                          [read, done](beast::error_code ec, std::size_t) {
                              if (ec) {
                                  done->set_value({ec, 0});
                                  return;
                              }
                              read();
                          });
    });
    while (result.wait_for(std::chrono::milliseconds(250)) != std::future_status::ready) {
        if (server_.stopped.load()) {
            throw body_read_error("admin server stopping");
        }
    }
    const auto o = result.get();
    if (o.ec) {
        throw body_read_error("request body: " + o.ec.message());
    }
    return o.bytes;
}

void connection::respond(http_response res) {
    // A route that answered before reading its whole body: say so and close after it.
    const bool body_left = !parser_->is_done();
    const bool keep = res.keep_alive() && !body_left;
    res.keep_alive(keep);
    res.set(http::field::server, "smppgw");
    res.prepare_payload();
    auto sp = std::make_shared<http_response>(std::move(res));
    stream_.expires_after(write_timeout);
    http::async_write(
        stream_, *sp,
        [self = shared_from_this(), sp, keep, body_left](beast::error_code ec, std::size_t) {
            if (ec) {
                return;
            }
            if (keep) {
                self->read_header();
                return;
            }
            beast::error_code ignored;
            self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
            if (body_left) {
                self->discard_rest(0);
            }
        });
}

// Reads and drops what the client still sends, bounded in bytes and time, so closing the socket
// with unread data does not reset the connection before the client has read our answer.
void connection::discard_rest(std::size_t discarded) {
    if (discarded >= max_discard_bytes) {
        return;
    }
    stream_.expires_after(discard_timeout);
    stream_.async_read_some(asio::buffer(scratch_), [self = shared_from_this(), discarded](
                                                        beast::error_code ec, std::size_t n) {
        if (!ec) {
            self->discard_rest(discarded + n);
        }
    });
}

}  // namespace

admin_server::admin_server(core& c, admin_config cfg)
    : impl_(std::make_unique<impl>(c, std::move(cfg))) {}

admin_server::~admin_server() {
    stop();
}

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
    // The I/O thread first: once it is gone no read can still write into a worker's buffer, and
    // a worker waiting for body bytes sees `stopped` and unwinds.
    impl_->io.stop();
    impl_->thread.join();
    impl_->stopped = true;
    impl_->workers.join();
}

std::uint16_t admin_server::port() const noexcept {
    return impl_->port;
}

}  // namespace smppgw::gateway
