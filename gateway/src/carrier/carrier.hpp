#pragma once
// The carrier face: for each configured carrier, a queue of accepted messages and N client binds
// (TRX, or TX+RX pairs) that drain it through a sliding window and a token-bucket rate.
//
// A bind reconnects with exponential backoff and jitter; ESME_RTHROTTLED / ESME_RMSGQFUL halve
// its window and pause it (backoff doubling up to a ceiling, never a hot loop), successes grow
// the window back. Parts whose outcome is unknown (timeout, lost session) are sent again:
// at-least-once, as DESIGN.md promises.

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "infra/token_bucket.hpp"
#include "mt/outbound.hpp"
#include "smppgw/gateway/config.hpp"
#include "smppgw/smpp/message_id.hpp"
#include "smppgw/smpp/session.hpp"

namespace smppgw::gateway {

class io_pool;
class metrics;
class carrier;

// How a deliver_sm/data_sm from a carrier is answered once it has been handled (possibly on
// another thread, after a store commit).
struct deferred_response {
    std::weak_ptr<smpp::session> session;
    std::uint32_t sequence = 0;
    smpp::command_id request = smpp::command_id::deliver_sm;
    metrics* stats = nullptr;  // counts the response PDU

    void send(smpp::command_status status) const;
};

// What the carrier face reports to the rest of the gateway. Called on the bind's thread.
class carrier_events {
public:
    virtual ~carrier_events() = default;
    // The carrier accepted one part. `carrier_message_id` is already normalized.
    virtual void part_submitted(carrier& c, const outbound_ptr& msg, std::size_t part,
                                std::string_view carrier_message_id) = 0;
    // The message cannot be sent (permanent error, or out of retries).
    virtual void message_failed(carrier& c, const outbound_ptr& msg, smpp::command_status status,
                                std::string_view reason) = 0;
    // A deliver_sm or data_sm from the carrier (receipt or MO). The handler answers through
    // `respond` exactly once.
    virtual void carrier_delivery(carrier& c, smpp::pdu& request, deferred_response respond) = 0;
    // The carrier lost its last TX-capable bind, or got one back.
    virtual void carrier_state_changed(carrier& c, bool up) = 0;
};

class carrier_bind;

class carrier : public std::enable_shared_from_this<carrier> {
public:
    carrier(carrier_config cfg, io_pool& io, metrics& m, carrier_events& events);
    ~carrier();

    void start();
    // Unbinds every session; queued work stays queued (the store has it).
    void stop();
    // Applies a new config for the same carrier name (rate, window, ... ); reconnects only when
    // the connection settings changed.
    void reconfigure(const carrier_config& cfg);

    void enqueue(work_item item, bool front = false);
    // The carrier left the config: hand everything queued, and everything its binds give back
    // as they close, to `reroute`; then unbind.
    void retire(std::function<void(work_item)> reroute);
    // Removes and returns everything queued (failover to another carrier).
    [[nodiscard]] std::vector<work_item> drain();
    [[nodiscard]] std::size_t queued() const;
    [[nodiscard]] bool up() const noexcept { return bound_tx_.load() > 0 && !paused_.load(); }
    [[nodiscard]] std::size_t bound_sessions() const noexcept {
        return static_cast<std::size_t>(bound_.load());
    }
    [[nodiscard]] bool paused() const noexcept { return paused_.load(); }
    // submit_sm sent and not yet answered, over all binds (shutdown waits for zero).
    [[nodiscard]] std::int64_t in_flight() const noexcept { return in_flight_.load(); }
    void sent() noexcept { ++in_flight_; }
    void answered() noexcept { --in_flight_; }
    void pause();
    void resume();

    [[nodiscard]] const std::string& name() const noexcept { return name_; }
    [[nodiscard]] std::shared_ptr<const carrier_config> config() const;
    [[nodiscard]] smpp::normalized_id normalize(std::string_view raw, smpp::id_source src) const;

    // For the binds.
    [[nodiscard]] std::optional<work_item> take();
    void bind_up(bool tx_capable);
    void bind_down(bool tx_capable);
    [[nodiscard]] carrier_events& events() noexcept { return events_; }
    [[nodiscard]] metrics& stats() noexcept { return metrics_; }
    [[nodiscard]] boost::asio::ssl::context* tls() noexcept { return tls_.get(); }

private:
    void wake_binds();
    void build_binds();

    const std::string name_;
    io_pool& io_;
    metrics& metrics_;
    carrier_events& events_;

    mutable std::mutex config_mutex_;
    std::shared_ptr<const carrier_config> cfg_;
    std::unique_ptr<boost::asio::ssl::context> tls_;

    mutable std::mutex queue_mutex_;
    std::deque<work_item> queue_;
    std::function<void(work_item)> reroute_;  // set once retired

    std::vector<std::shared_ptr<carrier_bind>> binds_;
    std::atomic<int> bound_tx_{0};
    std::atomic<int> bound_{0};
    std::atomic<bool> paused_{false};
    std::atomic<bool> stopped_{false};
    std::atomic<std::int64_t> in_flight_{0};
};

// One client session to a carrier: connect, bind, pump the queue, reconnect.
class carrier_bind : public smpp::session_handler,
                     public std::enable_shared_from_this<carrier_bind> {
public:
    enum class role : std::uint8_t { transceiver, transmitter, receiver };

    carrier_bind(carrier& owner, boost::asio::io_context& io, role r, std::size_t index);

    void start();
    void stop();
    // Asks the bind (on its own thread) to take more work if it can.
    void kick();

    [[nodiscard]] bool can_send() const noexcept { return role_ != role::receiver; }
    [[nodiscard]] boost::asio::io_context& context() noexcept { return io_; }

    // smpp::session_handler
    void on_request(smpp::session& s, smpp::pdu& request) override;
    void on_response(smpp::session& s, std::uint64_t cookie, const smpp::pdu* response,
                     std::error_code ec) override;
    void on_closed(smpp::session& s, std::error_code reason) override;

private:
    struct inflight {
        outbound_ptr msg;
        std::uint16_t part = 0;
        bool used = false;
    };

    void connect();
    void schedule_reconnect();
    void send_bind();
    void bound();
    void pump();
    bool send_part(const outbound_ptr& msg, std::size_t part);
    void build_parts(const outbound_ptr& msg, const carrier_config& cfg);
    void retry_later(const outbound_ptr& msg, std::size_t part, bool throttled);
    void requeue_all();
    void arm_pump_timer(std::chrono::steady_clock::duration d);
    std::uint64_t remember(const outbound_ptr& msg, std::size_t part);

    carrier& owner_;
    boost::asio::io_context& io_;
    const role role_;
    const std::size_t index_;
    const std::string label_;

    std::shared_ptr<smpp::session> session_;
    bool bound_ = false;
    bool stopping_ = false;
    std::atomic<bool> kick_pending_{false};

    boost::asio::steady_timer reconnect_timer_;
    boost::asio::steady_timer pump_timer_;
    bool pump_timer_armed_ = false;
    std::chrono::milliseconds backoff_{0};
    std::mt19937 jitter_{std::random_device{}()};

    token_bucket rate_;
    // Adaptive window: halves on throttling, grows by one per success up to the configured one.
    std::size_t window_limit_ = 1;
    std::chrono::steady_clock::time_point paused_until_{};
    std::chrono::milliseconds throttle_backoff_{0};

    // Parts of messages this bind started: a concatenated message leaves through one session.
    std::deque<work_item> local_;
    std::vector<inflight> inflight_;
    std::vector<std::uint32_t> free_slots_;
};

}  // namespace smppgw::gateway
