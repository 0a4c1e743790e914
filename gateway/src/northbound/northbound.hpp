#pragma once
// The SMSC face towards upstream applications: listeners (TCP or TLS) with per-IP limits, and one
// upstream_connection per socket implementing bind, submit (through policy and store),
// query/cancel/replace, and outbox delivery of receipts and MOs.

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "infra/token_bucket.hpp"
#include "smppgw/gateway/config.hpp"
#include "smppgw/smpp/session.hpp"
#include "smppgw/store/records.hpp"
#include "wire/wire.hpp"

namespace smppgw::gateway {

class core;
struct account_state;

class listener : public std::enable_shared_from_this<listener> {
public:
    listener(core& c, listener_config cfg);
    // Binds and listens; throws with the address when the port is taken.
    void start();
    void stop();
    void reconfigure(const listener_config& cfg);

    [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
    [[nodiscard]] const std::string& name() const noexcept { return name_; }
    [[nodiscard]] std::shared_ptr<const listener_config> config() const;

    // A connection from `ip` ended.
    void released(const std::string& ip);

private:
    void accept();
    // Admission, TLS handshake and session start of one accepted socket, on the thread of the
    // io_context the socket belongs to.
    void open_connection(boost::asio::io_context& target, boost::asio::ip::tcp::socket socket);
    bool admit(const std::string& ip);

    core& core_;
    const std::string name_;
    mutable std::mutex mutex_;  // guards cfg_, per_ip_
    std::shared_ptr<const listener_config> cfg_;
    std::shared_ptr<boost::asio::ssl::context> tls_;
    std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
    std::uint16_t port_ = 0;
    struct ip_state {
        std::size_t connections = 0;
        token_bucket accepts;
    };
    std::map<std::string, ip_state, std::less<>> per_ip_;
    std::atomic<bool> stopped_{false};
};

// Failed binds per IP and per system_id; repeated failures lock the key out for a while.
class bind_guard {
public:
    static bind_guard& instance();
    // False while `ip` or `system_id` is locked out.
    [[nodiscard]] bool allowed(const std::string& ip, const std::string& system_id);
    // Returns the scope that just got locked ("ip", "system_id") or empty.
    std::string failed(const std::string& ip, const std::string& system_id);
    void succeeded(const std::string& ip, const std::string& system_id);

    static constexpr int max_failures = 5;
    static constexpr std::chrono::seconds window{60};
    static constexpr std::chrono::seconds lockout{300};

private:
    struct counter {
        int failures = 0;
        std::chrono::steady_clock::time_point first{};
        std::chrono::steady_clock::time_point locked_until{};
    };
    bool check(std::map<std::string, counter, std::less<>>& m, const std::string& key,
               std::chrono::steady_clock::time_point now);
    bool record(std::map<std::string, counter, std::less<>>& m, const std::string& key,
                std::chrono::steady_clock::time_point now);
    std::mutex mutex_;
    std::map<std::string, counter, std::less<>> by_ip_;
    std::map<std::string, counter, std::less<>> by_system_id_;
};

class upstream_connection : public smpp::session_handler,
                            public std::enable_shared_from_this<upstream_connection> {
public:
    upstream_connection(core& c, std::shared_ptr<listener> l, std::string ip,
                        std::string tls_common_name);

    void attach(std::shared_ptr<smpp::session> s) { session_ = std::move(s); }
    [[nodiscard]] const std::shared_ptr<smpp::session>& session() const noexcept {
        return session_;
    }

    // Delivers outbox entries while the window allows (call on this connection's thread).
    void pump_outbox();
    // Posts pump_outbox to this connection's thread.
    void kick();
    // Unbind for shutdown or account removal.
    void shutdown();

    struct info {
        std::uint64_t session_id;
        std::string account;
        std::string bind_type;
        std::string ip;
        std::string listener;
        bool tls;
        std::size_t outstanding_submits;
        std::size_t deliveries_in_flight;
        std::uint64_t submits;
    };
    [[nodiscard]] info describe() const;
    [[nodiscard]] std::shared_ptr<account_state> account() const;

    // smpp::session_handler
    void on_request(smpp::session& s, smpp::pdu& request) override;
    void on_response(smpp::session& s, std::uint64_t cookie, const smpp::pdu* response,
                     std::error_code ec) override;
    void on_closed(smpp::session& s, std::error_code reason) override;
    void on_decode_error(smpp::session& s, const smpp::decode_result& r) override;

private:
    void handle_bind(smpp::pdu& request);
    void finish_bind(smpp::pdu request, std::shared_ptr<account_state> acct, bool ok);
    void handle_submit(smpp::pdu& request);
    void handle_submit_multi(smpp::pdu& request);
    void handle_query(smpp::pdu& request);
    void handle_cancel(smpp::pdu& request);
    void handle_replace(smpp::pdu& request);
    void reply(const smpp::pdu& response);
    // Admission: the status to refuse with, or ESME_ROK.
    [[nodiscard]] smpp::command_status admit();

    core& core_;
    std::shared_ptr<listener> listener_;
    const std::string ip_;
    const std::string tls_cn_;
    std::shared_ptr<smpp::session> session_;
    std::shared_ptr<account_state> account_;
    smpp::bind_type bind_type_ = smpp::bind_type::transceiver;
    bool binding_ = false;
    std::size_t outstanding_submits_ = 0;  // submits awaiting our response (store commit)
    std::uint64_t submits_ = 0;
    std::atomic<bool> kick_pending_{false};
    // deliver_sm in flight: cookie -> the outbox entry, to return it if the session dies.
    std::map<std::uint64_t, store::outbox_entry> deliveries_;
    // Entries re-split into several deliver_sm for a peer bound below 3.4, under the first
    // part's cookie in deliveries_.
    split_deliveries splits_;
    std::uint64_t next_delivery_cookie_ = 1;
    // An application that refuses deliveries for now (ESME_RX_T_APPN, throttling, timeouts) is
    // left alone for a growing pause instead of being retried in a loop.
    std::chrono::steady_clock::time_point deliver_paused_until_{};
    std::chrono::milliseconds deliver_backoff_{0};
    std::unique_ptr<boost::asio::steady_timer> deliver_timer_;
};

}  // namespace smppgw::gateway
