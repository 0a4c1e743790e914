#pragma once
// This node's part in the cluster-wide frequency counts (send_counts.hpp): it publishes the
// sends its store counted and gave back, and applies the other nodes' into remote_sends.
//
// Publishing never slows the message path: the store hands each durable group's counts over on
// its completion thread, where they are appended, encoded, to the open batch under a short
// lock. The sender thread publishes one batch at a time (so the stream keeps this node's +1
// before its -1) and seals the next one while the previous waits for its acknowledgement, or
// after `flush_delay` / `batch_entries`: one NATS message per few milliseconds, not per
// message. A batch not acknowledged is published again with the same Nats-Msg-Id (the stream
// drops the duplicate). While NATS is away batches wait, up to `max_queued` counted entries;
// beyond that new +1 entries are dropped and counted (the other nodes then count fewer sends,
// never more), and -1 entries are kept (up to twice as many) so that nothing published is
// left counted elsewhere.
//
// Every node reads the whole stream (`<sends>.>`) from its start through an ordered consumer
// (the stream keeps retention.freq_window, so a restarted node rebuilds the others' counts),
// skipping its own subject - except once, at start: what the stream holds of this node's own
// counts up to then is compared with its store, and a send the stream still counts but the
// store gave back (its -1 was queued when the process ended) is given back again, so that a
// crash cannot leave the other nodes counting a send that failed.
//
// Thread rule: enqueue() on the store's completion thread (any thread is safe); open(),
// subscribe(), tick(), refresh_target() on the cluster's control thread; the sender runs on its
// own thread; the subscription's handler on a nats.c thread.

#include <nats/nats.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <span>
#include <string>
#include <thread>

#include "jetstream.hpp"
#include "link.hpp"
#include "smppgw/cluster/send_counts.hpp"
#include "smppgw/cluster/stats.hpp"
#include "smppgw/store/store.hpp"

namespace smppgw::cluster::detail {

class sends {
public:
    static constexpr std::chrono::milliseconds flush_delay{2};
    static constexpr std::size_t batch_entries = 1024;
    static constexpr std::size_t max_queued = 1'000'000;

    sends(const options& o, store::store& db, stats& st, remote_sends& remote);
    ~sends();
    sends(const sends&) = delete;
    sends& operator=(const sends&) = delete;

    void enqueue(std::span<const store::store::send_count_change> changes);

    [[nodiscard]] std::string open(link& l);       // the stream; empty on success
    [[nodiscard]] std::string subscribe(link& l);  // reading from the start; empty on success
    // Expiry, the stream's last sequence, a stalled consumer replaced, the reconciliation.
    void tick(link& l);
    [[nodiscard]] bool refresh_target(link& l);
    [[nodiscard]] bool caught_up() const;
    void stop();

    [[nodiscard]] std::size_t queued() const;
    [[nodiscard]] std::uint64_t applied_sequence() const noexcept { return applied_.load(); }
    [[nodiscard]] std::uint64_t last_sequence() const noexcept { return last_.load(); }

private:
    struct pending_batch {
        std::string bytes;
        std::size_t entries = 0;
        std::size_t released = 0;  // of which -1
        std::uint64_t number = 0;  // for the Nats-Msg-Id
        bool sealed = false;       // published once: a retry must carry the same bytes
        std::chrono::steady_clock::time_point opened;
    };

    void run();
    static void on_message(natsConnection*, natsSubscription*, natsMsg* m, void* self);
    void receive(natsMsg* m);
    void reconcile();

    const options& opts_;
    store::store& db_;
    stats& stats_;
    remote_sends& remote_;
    const std::string subject_;  // <sends>.<node>
    const std::string prefix_;   // <sends>.
    const std::string msg_id_base_;
    link* link_ = nullptr;  // set by open(); the node owns it and outlives this

    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::deque<pending_batch> batches_;  // the front one may be in flight
    std::size_t counted_queued_ = 0;     // +1 entries in batches_
    std::size_t released_queued_ = 0;    // -1 entries in batches_
    std::uint64_t next_number_ = 1;
    bool in_flight_ = false;
    bool stopping_ = false;
    std::atomic<bool> opened_{false};
    std::thread sender_;

    natsSubscription* sub_ = nullptr;
    // This node's own counts in the stream up to replay_until_ (the stream's end when first
    // read), netted per (brand \0 msisdn, send time): reconcile() compares them with the store.
    std::atomic<std::uint64_t> replay_until_{0};
    std::mutex own_mu_;
    std::map<std::pair<std::string, std::int64_t>, int> own_;
    bool reconciled_ = false;  // control thread
    bool subscribed_before_ = false;  // control thread
    stall_watch stall_;               // control thread
    std::atomic<std::uint64_t> applied_{0};
    std::atomic<std::uint64_t> target_{0};
    std::atomic<std::uint64_t> last_{0};
};

}  // namespace smppgw::cluster::detail
