#pragma once
// The carrier pool: for each configured carrier, a queue of accepted messages and N client binds
// (TRX, or TX+RX pairs) that drain it through a sliding window and a token-bucket rate.
//
// A bind reconnects with exponential backoff and jitter; ESME_RTHROTTLED / ESME_RMSGQFUL halve
// its window and pause it (backoff doubling up to a ceiling, never a hot loop), successes grow
// the window back. Parts whose outcome is unknown (timeout, lost session) are sent again:
// at-least-once. Before a message's first part goes out the bind asks carrier_events::may_send
// (a STOP since it was accepted, validity passed).
//
// Thread rule: a carrier's queue and configuration are guarded by its own mutexes (any thread
// may enqueue, reconfigure or read); each bind lives on one io_context thread and everything it
// owns (session, window, in-flight parts) is touched only there.

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
#include "mt/dispatch.hpp"
#include "mt/router.hpp"
#include "smppgw/gateway/config.hpp"
#include "smppgw/smpp/message_id.hpp"
#include "smppgw/smpp/session.hpp"

namespace smppgw::gateway {

class io_pool;
class metrics;
class carrier;

// How a deliver_sm/data_sm from a carrier is answered once it has been handled (possibly on
// another thread, after a journal commit).
struct deferred_response {
    std::weak_ptr<smpp::session> session;
    std::uint32_t sequence = 0;
    smpp::command_id request = smpp::command_id::deliver_sm;
    metrics* stats = nullptr;  // counts the response PDU
    // Unit tests answer here instead of through a session.
    std::function<void(smpp::command_status)> observer;

    void send(smpp::command_status status) const;
};

// What the carrier face reports to the rest of the gateway. Called on the bind's thread.
class carrier_events {
public:
    virtual ~carrier_events() = default;
    // A bind takes a message that no bind has taken yet: false if it may no longer be sent
    // (cancelled meanwhile).
    [[nodiscard]] virtual bool begin(dispatch& d) = 0;
    // Right before the first part goes out: empty if it may, else the status to end it with
    // (a STOP since it was accepted, validity passed).
    [[nodiscard]] virtual std::optional<std::uint32_t> may_send(dispatch& d) = 0;
    // The carrier accepted one part. `carrier_message_id` is already normalized.
    virtual void part_accepted(carrier& c, dispatch& d, std::size_t part,
                               std::string_view carrier_message_id) = 0;
    // The message cannot be sent (permanent error, out of retries, refused at dispatch).
    virtual void message_failed(carrier& c, dispatch& d, smpp::command_status status,
                                std::string_view reason) = 0;
    // A deliver_sm or data_sm from the carrier (receipt or MO). The handler answers through
    // `respond` exactly once.
    virtual void carrier_delivery(carrier& c, smpp::pdu& request, deferred_response respond) = 0;
    // The carrier lost its last TX-capable bind, or got one back.
    virtual void carrier_state_changed(carrier& c, bool up) = 0;
};

class carrier_bind;

class carrier final : public route_target, public std::enable_shared_from_this<carrier> {
public:
    carrier(carrier_config cfg, io_pool& io, metrics& m, carrier_events& events);
    ~carrier() override;

    void start();
    // Unbinds every session; queued work stays queued (the journal has it).
    void stop();
    // Applies a new config for the same carrier name (rate, window, ...); reconnects only when
    // the connection settings changed.
    void reconfigure(const carrier_config& cfg);

    // route_target
    [[nodiscard]] const std::string& name() const noexcept override { return name_; }
    [[nodiscard]] bool up() const noexcept override {
        return bound_tx_.load() > 0 && !paused_.load();
    }
    void enqueue(dispatch d, bool front = false) override;
    [[nodiscard]] std::vector<dispatch> drain() override;
    [[nodiscard]] std::size_t queued() const override;

    // The carrier left the config: hand everything queued, and everything its binds give back
    // as they close, to `reroute`; then unbind.
    void retire(std::function<void(dispatch)> reroute);
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

    [[nodiscard]] std::shared_ptr<const carrier_config> config() const;
    [[nodiscard]] smpp::normalized_id normalize(std::string_view raw, smpp::id_source src) const;

    // For the binds.
    [[nodiscard]] std::optional<dispatch> take();
    void bind_up(bool tx_capable);
    void bind_down(bool tx_capable);
    [[nodiscard]] carrier_events& events() noexcept { return events_; }
    [[nodiscard]] metrics& stats() noexcept { return metrics_; }
    [[nodiscard]] std::shared_ptr<boost::asio::ssl::context> tls() const;

private:
    void wake_binds();
    std::vector<std::shared_ptr<carrier_bind>> make_binds(const carrier_config& cfg);

    const std::string name_;
    io_pool& io_;
    metrics& metrics_;
    carrier_events& events_;

    mutable std::mutex config_mutex_;  // guards cfg_, tls_, binds_
    std::shared_ptr<const carrier_config> cfg_;
    std::shared_ptr<boost::asio::ssl::context> tls_;
    std::vector<std::shared_ptr<carrier_bind>> binds_;

    mutable std::mutex queue_mutex_;  // guards queue_, reroute_
    std::deque<dispatch> queue_;
    std::function<void(dispatch)> reroute_;  // set once retired

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

    // smpp::session_handler
    void on_request(smpp::session& s, smpp::pdu& request) override;
    void on_response(smpp::session& s, std::uint64_t cookie, const smpp::pdu* response,
                     std::error_code ec) override;
    void on_closed(smpp::session& s, std::error_code reason) override;

private:
    struct inflight {
        dispatch item;
        bool used = false;
    };

    void connect();
    void schedule_reconnect();
    void send_bind();
    void bound();
    void pump();
    bool send_part(dispatch& d, std::size_t part);
    void build_parts(dispatch& d, const carrier_config& cfg);
    void retry_later(dispatch d, bool throttled);
    void requeue_all();
    void arm_pump_timer(std::chrono::steady_clock::duration d);
    std::uint64_t remember(dispatch d);

    carrier& owner_;
    boost::asio::io_context& io_;
    const role role_;
    const std::size_t index_;
    const std::string label_;

    std::shared_ptr<smpp::session> session_;
    bool bound_ = false;
    bool stopping_ = false;
    bool connected_before_ = false;  // a later connect is a reconnect (metrics)
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
    std::deque<dispatch> local_;
    std::vector<inflight> inflight_;
    std::vector<std::uint32_t> free_slots_;
};

}  // namespace smppgw::gateway
