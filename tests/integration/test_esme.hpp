#pragma once
// The upstream application in C++ tests: an ESME on smppgw::smpp::session that binds, submits,
// queries and records every deliver_sm it receives (answering it with a chosen status). Plus a
// raw socket client for PDUs a well-behaved session would never send.

#include <netinet/in.h>
#include <sys/socket.h>

#include <arpa/inet.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "io_thread.hpp"
#include "pdu_reader.hpp"
#include "process.hpp"
#include "smppgw/smpp/codec.hpp"
#include "smppgw/smpp/message_view.hpp"
#include "smppgw/smpp/session.hpp"

namespace smppgw::integration {

// What came back for one request: a response, or an error (timeout, closed) and no response.
struct esme_reply {
    std::optional<smpp::pdu> pdu;
    std::error_code ec;
    // With a response: when it arrived, and its place among everything this session received
    // (responses and deliveries, one counter): the order of the daemon's writes on it.
    steady::time_point at{};
    std::uint64_t arrival = 0;

    [[nodiscard]] std::uint32_t status() const noexcept {
        return pdu ? pdu->command_status : 0xFFFFFFFFU;
    }
    [[nodiscard]] std::string message_id() const {
        if (!pdu) {
            return {};
        }
        if (const auto* s = std::get_if<smpp::submit_sm_resp>(&pdu->body)) {
            return std::string(s->message_id.view());
        }
        if (const auto* d = std::get_if<smpp::data_sm_resp>(&pdu->body)) {
            return std::string(d->message_id.view());
        }
        return {};
    }
};

// A submit_sm in the shape the tests use: international addresses, text as GSM-safe ASCII.
inline smpp::pdu make_submit(std::string_view source, std::string_view destination,
                             std::string_view text, std::uint8_t registered_delivery = 1) {
    smpp::submit_sm s;
    s.source_addr_ton = 1;
    s.source_addr_npi = 1;
    (void)s.source_addr.assign(source);
    s.dest_addr_ton = 1;
    s.dest_addr_npi = 1;
    (void)s.destination_addr.assign(destination);
    s.registered_delivery = registered_delivery;
    s.data_coding = 0;
    (void)s.short_message.assign(text);
    smpp::pdu p;
    p.body = s;
    return p;
}

inline smpp::pdu make_query(std::string_view message_id, std::string_view source) {
    smpp::query_sm q;
    (void)q.message_id.assign(message_id);
    q.source_addr_ton = 1;
    q.source_addr_npi = 1;
    (void)q.source_addr.assign(source);
    smpp::pdu p;
    p.body = q;
    return p;
}

inline smpp::pdu make_bind(smpp::bind_type type, std::string_view system_id,
                           std::string_view password, std::uint8_t interface_version = 0x34) {
    smpp::bind_fields f;
    (void)f.system_id.assign(system_id);
    (void)f.password.assign(password);
    f.interface_version = interface_version;
    smpp::pdu p;
    switch (type) {
        case smpp::bind_type::transmitter:
            p.body = smpp::bind_transmitter{f};
            break;
        case smpp::bind_type::receiver:
            p.body = smpp::bind_receiver{f};
            break;
        case smpp::bind_type::transceiver:
            p.body = smpp::bind_transceiver{f};
            break;
    }
    return p;
}

// The text of a deliver_sm (receipt or MO), decoded per data_coding.
inline std::string text_of(const smpp::pdu& p) {
    return smpp::message_text(p).text;
}

inline std::string receipted_id_of(const smpp::pdu& p) {
    auto v = p.tlvs.get<smpp::tlv::receipted_message_id>();
    return v ? std::string(*v) : std::string();
}

class test_esme {
public:
    explicit test_esme(std::uint16_t port) : port_(port) {}
    ~test_esme() {
        try {
            io_.call([this] {
                if (session_ && !session_->is_closed()) {
                    session_->close();
                }
                session_.reset();
            });
        } catch (...) {
        }
        io_.stop();
    }
    test_esme(const test_esme&) = delete;
    test_esme& operator=(const test_esme&) = delete;

    // TCP connect; false when refused (the daemon may still be starting).
    [[nodiscard]] bool connect() {
        boost::asio::ip::tcp::socket sock(io_.context());
        boost::system::error_code ec;
        sock.connect({boost::asio::ip::make_address("127.0.0.1"), port_}, ec);
        if (ec) {
            return false;
        }
        sock.set_option(boost::asio::ip::tcp::no_delay(true), ec);
        smpp::session_config sc;
        sc.window = 4096;  // bursts of pipelined submits
        sc.response_timeout = std::chrono::milliseconds(15'000);
        sc.unbind_timeout = std::chrono::milliseconds(2'000);
        sc.tick = std::chrono::milliseconds(20);
        handler_ = std::make_shared<handler>(*this);
        {
            std::lock_guard lock(mutex_);
            closed_ = false;
            close_reason_ = {};
        }
        io_.call([&] {
            session_ = smpp::session::create(smpp::stream(std::move(sock)), sc, handler_);
            session_->start();
        });
        return true;
    }

    // Connects (retrying while refused) and binds; the bind response, if one came.
    // interface_version 0x33 binds as an SMPP 3.3 application (Kannel, Net::SMPP set it so).
    esme_reply bind(smpp::bind_type type, std::string_view system_id, std::string_view password,
                    std::chrono::milliseconds timeout = default_wait,
                    std::uint8_t interface_version = 0x34) {
        if (!eventually([&] { return connect(); }, timeout, 50ms)) {
            return {std::nullopt, make_error_code(std::errc::connection_refused)};
        }
        auto r = call(make_bind(type, system_id, password, interface_version), timeout);
        if (r.pdu && r.pdu->command_status == 0) {
            io_.call([&] { session_->set_state(smpp::bound_state_for(type)); });
        }
        return r;
    }

    // Sends a request without waiting; the reply is collected with wait_reply(cookie).
    std::uint64_t send(smpp::pdu request) {
        const std::uint64_t cookie = ++next_cookie_;
        io_.post([this, cookie, request = std::move(request)]() mutable {
            std::error_code ec = session_ ? session_->send_request(request, cookie)
                                          : make_error_code(smpp::session_errc::closed);
            if (ec) {
                record_reply(cookie, {std::nullopt, ec});
            }
        });
        return cookie;
    }

    // Sends every request from one handler on the session's thread: they are encoded into one
    // write, so the daemon reads them as one burst (pipelining beyond its window).
    std::vector<std::uint64_t> send_burst(std::vector<smpp::pdu> requests) {
        std::vector<std::uint64_t> cookies;
        for (std::size_t i = 0; i < requests.size(); ++i) {
            cookies.push_back(++next_cookie_);
        }
        io_.post([this, cookies, requests = std::move(requests)]() mutable {
            for (std::size_t i = 0; i < requests.size(); ++i) {
                std::error_code ec = session_ ? session_->send_request(requests[i], cookies[i])
                                              : make_error_code(smpp::session_errc::closed);
                if (ec) {
                    record_reply(cookies[i], {std::nullopt, ec});
                }
            }
        });
        return cookies;
    }

    esme_reply wait_reply(std::uint64_t cookie, std::chrono::milliseconds timeout = default_wait) {
        std::unique_lock lock(mutex_);
        if (!cv_.wait_for(lock, timeout, [&] { return replies_.contains(cookie); })) {
            return {std::nullopt, make_error_code(std::errc::timed_out)};
        }
        auto r = replies_[cookie];
        replies_.erase(cookie);
        return r;
    }

    esme_reply call(smpp::pdu request, std::chrono::milliseconds timeout = default_wait) {
        return wait_reply(send(std::move(request)), timeout);
    }

    // Orderly unbind; true once the session has closed.
    bool unbind(std::chrono::milliseconds timeout = default_wait) {
        io_.post([this] {
            if (session_) {
                session_->unbind();
            }
        });
        return wait_closed(timeout);
    }

    // Closes the TCP connection without unbinding.
    void drop() {
        io_.call([this] {
            if (session_) {
                session_->close();
            }
        });
    }

    bool wait_closed(std::chrono::milliseconds timeout = default_wait) {
        std::unique_lock lock(mutex_);
        return cv_.wait_for(lock, timeout, [&] { return closed_; });
    }
    [[nodiscard]] bool closed() const {
        std::lock_guard lock(mutex_);
        return closed_;
    }

    // deliver_sm / data_sm received so far (receipts and MOs), in arrival order.
    [[nodiscard]] std::vector<smpp::pdu> deliveries() const {
        std::lock_guard lock(mutex_);
        return deliveries_;
    }
    // For each of deliveries(), its place among everything the session received (see
    // esme_reply::arrival).
    [[nodiscard]] std::vector<std::uint64_t> delivery_arrivals() const {
        std::lock_guard lock(mutex_);
        return delivery_arrivals_;
    }
    bool wait_deliveries(std::size_t n, std::chrono::milliseconds timeout = default_wait) {
        std::unique_lock lock(mutex_);
        return cv_.wait_for(lock, timeout, [&] { return deliveries_.size() >= n; });
    }
    // Waits until some delivery satisfies `pred`.
    template <typename Pred>
    bool wait_delivery(Pred pred, std::chrono::milliseconds timeout = default_wait) {
        std::unique_lock lock(mutex_);
        return cv_.wait_for(lock, timeout, [&] {
            for (const auto& d : deliveries_) {
                if (pred(d)) {
                    return true;
                }
            }
            return false;
        });
    }

    // How to answer deliver_sm from now on (ESME_ROK by default; no_answer: never).
    static constexpr std::uint32_t no_answer = 0xFFFFFFFFU;
    void answer_deliveries_with(std::uint32_t status) { delivery_status_ = status; }

private:
    class handler final : public smpp::session_handler {
    public:
        explicit handler(test_esme& owner) : owner_(owner) {}
        void on_request(smpp::session& s, smpp::pdu& request) override {
            const auto id = request.command_id();
            if (id == smpp::command_id::deliver_sm || id == smpp::command_id::data_sm) {
                {
                    std::lock_guard lock(owner_.mutex_);
                    owner_.deliveries_.push_back(request);
                    owner_.delivery_arrivals_.push_back(++owner_.arrivals_);
                }
                owner_.cv_.notify_all();
                const auto status = owner_.delivery_status_.load();
                if (status != no_answer) {
                    (void)s.send_response(smpp::make_response(request, status));
                }
                return;
            }
            (void)s.send_response(smpp::make_response(request, smpp::status::ESME_RINVCMDID));
        }
        void on_response(smpp::session&, std::uint64_t cookie, const smpp::pdu* response,
                         std::error_code ec) override {
            esme_reply r;
            if (response != nullptr) {
                r.pdu = *response;
                r.at = steady::now();
            }
            r.ec = ec;
            owner_.record_reply(cookie, std::move(r));
        }
        void on_closed(smpp::session&, std::error_code reason) override {
            {
                std::lock_guard lock(owner_.mutex_);
                owner_.closed_ = true;
                owner_.close_reason_ = reason;
            }
            owner_.cv_.notify_all();
        }

    private:
        test_esme& owner_;
    };

    void record_reply(std::uint64_t cookie, esme_reply r) {
        {
            std::lock_guard lock(mutex_);
            if (r.pdu) {
                r.arrival = ++arrivals_;
            }
            replies_[cookie] = std::move(r);
        }
        cv_.notify_all();
    }

    const std::uint16_t port_;
    mutable std::mutex mutex_;
    std::condition_variable cv_;
    std::map<std::uint64_t, esme_reply> replies_;
    std::vector<smpp::pdu> deliveries_;
    std::vector<std::uint64_t> delivery_arrivals_;
    std::uint64_t arrivals_ = 0;  // responses and deliveries received, in processing order
    bool closed_ = false;
    std::error_code close_reason_;
    std::atomic<std::uint64_t> next_cookie_{0};
    std::atomic<std::uint32_t> delivery_status_{smpp::status::ESME_ROK};
    std::shared_ptr<handler> handler_;
    std::shared_ptr<smpp::session> session_;  // only touched on io_
    io_thread io_;  // last: stops (and joins) before the state above goes away
};

// A plain blocking socket for byte-level exchanges: PDUs in states a session would refuse to
// send, unknown command ids, and seeing the peer close.
class raw_client {
public:
    explicit raw_client(std::uint16_t port)
        : socket_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = htons(port);
        connected_ = socket_.fd() >= 0 &&
                     ::connect(socket_.fd(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    }
    raw_client(const raw_client&) = delete;
    raw_client& operator=(const raw_client&) = delete;

    [[nodiscard]] bool connected() const noexcept { return connected_; }

    bool send_pdu(const smpp::pdu& p) {
        std::vector<std::uint8_t> bytes;
        if (smpp::encode(p, bytes)) {
            return false;
        }
        return send_bytes(bytes);
    }
    bool send_bytes(const std::vector<std::uint8_t>& bytes) { return socket_.send_bytes(bytes); }

    // The next PDU from the peer; nullopt on EOF, error or timeout (see wait_eof()).
    std::optional<smpp::pdu> read_pdu(std::chrono::milliseconds timeout = default_wait) {
        return reader_.read(timeout);
    }

    // True once the peer has closed the connection (waits for it up to `timeout`).
    bool wait_eof(std::chrono::milliseconds timeout = default_wait) {
        return reader_.wait_eof(timeout);
    }

private:
    socket_stream socket_;
    pdu_reader<socket_stream> reader_{socket_};
    bool connected_ = false;
};

}  // namespace smppgw::integration
