#pragma once
// The node's one connection to NATS and its JetStream context, wrapped: connecting never blocks
// (nats.c retries in the background, for ever), the connection's ups and downs reach one
// callback, and JetStream publishes are asynchronous with a completion per message.
//
// Thread rule: every method may be called from any thread. Callbacks (state changes, publish
// completions, subscription handlers) run on nats.c's threads and must not block: they hand
// work over and return.

#include <nats/nats.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "smppgw/cluster/options.hpp"

namespace smppgw::cluster::detail {

// nats.c status plus its last error text, for logs.
[[nodiscard]] std::string describe(natsStatus s);

struct published {
    bool ok = false;
    std::uint64_t sequence = 0;  // the stream sequence it got
    bool duplicate = false;      // JetStream had it already (same Nats-Msg-Id)
    std::string error;
};
using publish_done = std::function<void(const published&)>;
using headers = std::vector<std::pair<std::string, std::string>>;

// A natsMsg that owns itself.
struct msg_deleter {
    void operator()(natsMsg* m) const noexcept { natsMsg_Destroy(m); }
};
using msg_ptr = std::unique_ptr<natsMsg, msg_deleter>;

class link {
public:
    // `on_change(true)` once connected (first time and after every reconnect), false when the
    // connection is lost. Runs on a nats.c thread.
    link(const options& o, std::function<void(bool up)> on_change);
    ~link();
    link(const link&) = delete;
    link& operator=(const link&) = delete;

    // Creates the connection and starts connecting in the background. Throws only for options
    // nats.c refuses (a TLS file it cannot read, a malformed URL).
    void start();
    // Drains nothing: closes the connection; pending publishes complete as failed.
    void close();

    [[nodiscard]] bool up() const noexcept { return up_.load(std::memory_order_acquire); }
    [[nodiscard]] natsConnection* connection() const noexcept { return nc_; }
    [[nodiscard]] jsCtx* jetstream() const noexcept { return js_; }
    [[nodiscard]] const options& opts() const noexcept { return opts_; }

    // Publishes to a stream without waiting; `done` runs once on a nats.c thread (ok, or the
    // error or timeout after `max_wait`). False when the message could not even be handed to
    // nats.c (then `done` never runs).
    bool publish(const std::string& subject, std::string_view data, publish_done done,
                 std::chrono::milliseconds max_wait, const headers& h = {});

    [[nodiscard]] std::uint64_t reconnects() const noexcept { return reconnects_.load(); }
    [[nodiscard]] std::string connected_url() const;
    [[nodiscard]] std::chrono::microseconds rtt() const;
    [[nodiscard]] std::size_t publishes_in_flight() const;

private:
    static void on_disconnected(natsConnection* nc, void* self);
    static void on_reconnected(natsConnection* nc, void* self);
    static void on_connected(natsConnection* nc, void* self);
    static void on_closed(natsConnection* nc, void* self);
    static void on_error(natsConnection* nc, natsSubscription* sub, natsStatus err, void* self);
    static void on_pub_ack(jsCtx* js, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* self);
    void set_up(bool up);

    options opts_;
    std::function<void(bool)> on_change_;
    natsOptions* nopts_ = nullptr;
    natsConnection* nc_ = nullptr;
    jsCtx* js_ = nullptr;
    std::atomic<bool> up_{false};
    std::atomic<std::uint64_t> reconnects_{0};
    std::atomic<bool> closing_{false};

    // Completions of publishes in flight, by the message's address (nats.c hands the message
    // back to on_pub_ack; it stays alive until then, so the address is unique meanwhile).
    mutable std::mutex pending_mu_;
    std::unordered_map<const natsMsg*, publish_done> pending_;
};

}  // namespace smppgw::cluster::detail
