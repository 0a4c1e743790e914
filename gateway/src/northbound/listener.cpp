#include "northbound/listener.hpp"

#include <functional>
#include <vector>

#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>

#include "infra/io_pool.hpp"
#include "infra/log.hpp"
#include "infra/metrics.hpp"
#include "infra/tls.hpp"
#include "northbound/proxy_header.hpp"
#include "northbound/upstream_connection.hpp"

namespace smppgw::gateway {
namespace {

namespace asio = boost::asio;
using clock = std::chrono::steady_clock;

}  // namespace

// ---- listener ---------------------------------------------------------------------------------

listener::listener(northbound_services& services, listener_config cfg)
    : services_(services), name_(cfg.name), cfg_(std::make_shared<const listener_config>(std::move(cfg))) {
    if (cfg_->tls.enabled) {
        tls_ = make_server_tls_context(cfg_->tls);
    }
}

std::shared_ptr<const listener_config> listener::config() const {
    std::lock_guard lock(mutex_);
    return cfg_;
}

void listener::reconfigure(const listener_config& cfg) {
    std::shared_ptr<asio::ssl::context> tls;
    if (cfg.tls.enabled) {
        tls = make_server_tls_context(cfg.tls);  // certificates reload with the config
    }
    std::lock_guard lock(mutex_);
    cfg_ = std::make_shared<const listener_config>(cfg);
    tls_ = std::move(tls);
}

void listener::start() {
    const auto cfg = config();
    auto& ctx = services_.io.at(0);
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(cfg->address, ec);
    if (ec) {
        throw std::runtime_error("listener " + name_ + ": bad address " + cfg->address);
    }
    const asio::ip::tcp::endpoint endpoint(address, cfg->port);
    acceptor_ = std::make_unique<asio::ip::tcp::acceptor>(ctx);
    acceptor_->open(endpoint.protocol());
    acceptor_->set_option(asio::socket_base::reuse_address(true));
    acceptor_->bind(endpoint, ec);
    if (ec) {
        throw std::runtime_error("listener " + name_ + ": cannot listen on " + cfg->address + ":" +
                                 std::to_string(cfg->port) + ": " + ec.message());
    }
    acceptor_->listen(asio::socket_base::max_listen_connections);
    port_ = acceptor_->local_endpoint().port();
    log::info("listening for SMPP{} on {}:{} ({})", cfg->tls.enabled ? " over TLS" : "",
              cfg->address, port_, name_);
    accept();
}

void listener::stop() {
    stopped_ = true;
    if (acceptor_) {
        asio::post(acceptor_->get_executor(), [self = shared_from_this()] {
            boost::system::error_code ignored;
            self->acceptor_->close(ignored);
        });
    }
}

bool listener::admit(const std::string& ip) {
    const auto cfg = config();
    std::lock_guard lock(mutex_);
    auto [it, fresh] = per_ip_.try_emplace(ip);
    if (fresh) {
        it->second.accepts.reset(cfg->accept_rate_per_ip);
    }
    if (it->second.connections >= cfg->max_connections_per_ip || !it->second.accepts.try_take()) {
        return false;
    }
    ++it->second.connections;
    return true;
}

void listener::released(const std::string& ip) {
    std::lock_guard lock(mutex_);
    auto it = per_ip_.find(ip);
    if (it != per_ip_.end() && it->second.connections > 0) {
        --it->second.connections;
    }
}

void listener::accept() {
    auto& target = services_.io.next();
    acceptor_->async_accept(
        target, [self = shared_from_this(), &target](const boost::system::error_code& ec,
                                                     asio::ip::tcp::socket socket) {
            if (self->stopped_ || ec == asio::error::operation_aborted) {
                return;
            }
            if (ec) {
                // EMFILE and friends: keep accepting, the condition may clear.
                log::warn("accept on {} failed: {}", self->name_, ec.message());
                self->accept();
                return;
            }
            self->accept();
            // The handler runs on the acceptor's thread, the socket belongs to `target`: everything
            // that touches it from here on (the handshake and its timeout above all) runs there,
            // since an Asio socket must not be used from two threads at once.
            asio::post(target, [self, &target, socket = std::move(socket)]() mutable {
                self->open_connection(target, std::move(socket));
            });
        });
}

void listener::open_connection(asio::io_context& target, asio::ip::tcp::socket socket) {
    boost::system::error_code pec;
    const auto peer = socket.remote_endpoint(pec);
    if (pec) {
        return;
    }
    if (config()->proxy_protocol) {
        read_proxy_header(target, std::move(socket), peer.address().to_string());
        return;
    }
    start_connection(target, std::move(socket), peer.address().to_string());
}

void listener::read_proxy_header(asio::io_context& target, asio::ip::tcp::socket socket,
                                 std::string peer) {
    // The header is read exactly (parse_proxy_header says how much more), within the
    // session-init time like a bind; a connection without one is closed, said why.
    struct reading {
        asio::ip::tcp::socket socket;
        std::vector<std::uint8_t> bytes;
        asio::steady_timer timer;
        std::string peer;
    };
    auto r = std::make_shared<reading>(
        reading{std::move(socket), {}, asio::steady_timer(target), std::move(peer)});
    r->timer.expires_after(config()->session_init_timeout);
    r->timer.async_wait([r](const boost::system::error_code& ec) {
        if (!ec) {
            boost::system::error_code ignored;
            r->socket.close(ignored);
        }
    });
    auto refuse = [self = shared_from_this(), r](const std::string& why) {
        r->timer.cancel();
        self->services_.stats.bind_failures("proxy_header").Increment();
        log::warn("{}: connection from {} closed: {}", self->name_, r->peer, why);
        boost::system::error_code ignored;
        r->socket.close(ignored);
    };
    auto step = std::make_shared<std::function<void(std::size_t)>>();
    *step = [self = shared_from_this(), r, refuse, step, &target](std::size_t more) {
        const auto at = r->bytes.size();
        r->bytes.resize(at + more);
        asio::async_read(
            r->socket, asio::buffer(r->bytes.data() + at, more),
            [self, r, refuse, step, &target](const boost::system::error_code& ec, std::size_t) {
                if (ec) {
                    r->timer.cancel();
                    if (ec != asio::error::operation_aborted) {
                        self->services_.stats.bind_failures("proxy_header").Increment();
                    }
                    *step = nullptr;  // break the cycle: the read is over
                    return;
                }
                const auto parsed = parse_proxy_header(r->bytes);
                if (const auto* need = std::get_if<proxy_need>(&parsed)) {
                    (*step)(need->more);
                    return;
                }
                *step = nullptr;
                if (const auto* bad = std::get_if<proxy_error>(&parsed)) {
                    refuse(bad->reason);
                    return;
                }
                r->timer.cancel();
                const auto& source = std::get<proxy_source>(parsed);
                // LOCAL / UNKNOWN: the balancer speaking for itself (a health check).
                self->start_connection(target, std::move(r->socket),
                                       source.address.empty() ? r->peer : source.address);
            });
    };
    (*step)(proxy_first_read);
}

void listener::start_connection(asio::io_context& target, asio::ip::tcp::socket socket,
                                const std::string& ip) {
    auto self = shared_from_this();
    if (!socket.is_open()) {
        return;  // the header's time ran out as it completed
    }
    if (!admit(ip)) {
        services_.stats.bind_failures("connection_limit").Increment();
        boost::system::error_code ignored;
        socket.close(ignored);
        return;
    }
    socket.set_option(asio::ip::tcp::no_delay(true));
    const auto cfg = config();
    smpp::session_config sc;
    sc.decode.max_command_length = cfg->max_command_length;
    sc.session_init_timeout = cfg->session_init_timeout;
    sc.inactivity_timeout = cfg->inactivity_timeout;
    sc.enquire_link_interval = cfg->enquire_link_interval;
    sc.max_write_queue_bytes = cfg->max_write_queue_bytes;
    sc.window = 1024;  // deliver_sm window is enforced per account by the connection

    auto start_session = [self, ip, sc, &target](smpp::stream stream, std::string cn) {
        auto conn = std::make_shared<upstream_connection>(self->services_, self, ip,
                                                          std::move(cn), target);
        auto session = smpp::session::create(std::move(stream), sc, conn);
        conn->attach(session);
        self->services_.connections.opened(conn);
        session->start();
    };
    std::shared_ptr<asio::ssl::context> tls;
    {
        std::lock_guard lock(mutex_);
        tls = tls_;
    }
    if (!tls) {
        start_session(smpp::stream(std::move(socket)), {});
        return;
    }
    auto stream = std::make_shared<smpp::tls_stream>(std::move(socket), *tls);
    // The handshake must finish within the session-init time, like a bind.
    auto timer = std::make_shared<asio::steady_timer>(target, cfg->session_init_timeout);
    timer->async_wait([stream](const boost::system::error_code& tec) {
        if (!tec) {
            boost::system::error_code ignored;
            stream->next_layer().close(ignored);
        }
    });
    stream->async_handshake(
        asio::ssl::stream_base::server,
        [self, stream, timer, tls, ip, start_session](const boost::system::error_code& hec) {
            timer->cancel();
            if (hec) {
                self->released(ip);
                self->services_.stats.bind_failures("tls_handshake").Increment();
                return;
            }
            std::string cn = peer_common_name(*stream);
            start_session(smpp::stream(std::move(*stream)), std::move(cn));
        });
}

// ---- bind_guard -------------------------------------------------------------------------------

bind_guard& bind_guard::instance() {
    static bind_guard g;
    return g;
}

bool bind_guard::check(std::map<std::string, counter, std::less<>>& m, const std::string& key,
                       clock::time_point now) {
    auto it = m.find(key);
    return it == m.end() || it->second.locked_until <= now;
}

bool bind_guard::record(std::map<std::string, counter, std::less<>>& m, const std::string& key,
                        clock::time_point now) {
    auto& c = m[key];
    if (now - c.first > window) {
        c.failures = 0;
        c.first = now;
    }
    if (++c.failures >= max_failures) {
        c.locked_until = now + lockout;
        c.failures = 0;
        return true;
    }
    return false;
}

bool bind_guard::allowed(const std::string& ip, const std::string& system_id) {
    std::lock_guard lock(mutex_);
    const auto now = clock::now();
    return check(by_ip_, ip, now) && check(by_system_id_, system_id, now);
}

std::string bind_guard::failed(const std::string& ip, const std::string& system_id) {
    std::lock_guard lock(mutex_);
    const auto now = clock::now();
    if (by_ip_.size() > 100'000) {
        by_ip_.clear();  // a flood of distinct addresses must not grow this without bound
    }
    std::string scope;
    if (record(by_ip_, ip, now)) {
        scope = "ip";
    }
    if (!system_id.empty() && record(by_system_id_, system_id, now)) {
        scope = scope.empty() ? "system_id" : scope;
    }
    return scope;
}

void bind_guard::succeeded(const std::string& ip, const std::string& system_id) {
    std::lock_guard lock(mutex_);
    by_ip_.erase(ip);
    by_system_id_.erase(system_id);
}

}  // namespace smppgw::gateway
