#pragma once
// The SMSC face's front door: listeners (TCP or TLS) with per-address connection limits and
// accept rates, and bind_guard (lockout after repeated failed binds). Each accepted socket
// becomes an upstream_connection on one I/O thread.
//
// Thread rule: a listener's acceptor runs on the first I/O thread; admission state (per-address
// counts) and the config snapshot are under the listener's mutex; a new connection is set up
// on the thread its socket belongs to.

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include "infra/token_bucket.hpp"
#include "northbound/services.hpp"
#include "smppgw/gateway/config.hpp"

namespace smppgw::gateway {

class listener : public std::enable_shared_from_this<listener> {
public:
    listener(northbound_services& services, listener_config cfg);
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
    // io_context the socket belongs to; with listeners[].proxy_protocol, after its PROXY header
    // said whose connection it is (`ip`: the client's address, else the socket's peer).
    void open_connection(boost::asio::io_context& target, boost::asio::ip::tcp::socket socket);
    void read_proxy_header(boost::asio::io_context& target, boost::asio::ip::tcp::socket socket,
                           std::string peer);
    void start_connection(boost::asio::io_context& target, boost::asio::ip::tcp::socket socket,
                          const std::string& ip);
    bool admit(const std::string& ip);

    northbound_services& services_;
    const std::string name_;
    mutable std::mutex mutex_;  // guards cfg_, tls_, per_ip_
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

}  // namespace smppgw::gateway
