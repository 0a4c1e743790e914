#pragma once
// The compliance buckets (opt-outs, consents, review holds) and this node's part in them.
//
// Changes made here (an MO keyword, an admin write, an import) are staged into the batch that
// writes them to the local store: each gets a pending side record in that same batch, so once
// the batch is durable the change cannot be lost, whatever happens to NATS or to this process.
// After the commit the change is published to its bucket; the pending record goes when a
// quorum acknowledged it. What is not acknowledged in time (NATS away, no JetStream quorum) is
// published again until it is, unless a newer change to the same key (by its own time) has
// reached the bucket meanwhile: then the pending one is superseded and dropped.
//
// Every node mirrors the three buckets into its local store through one ordered consumer per
// bucket, starting after the last stream sequence it applied (kept as a side record written in
// the same batch as what it applied, so a restart resumes exactly). The local store then
// answers every policy lookup from memory as before; nothing on the message path asks NATS.
// Applying is idempotent (a change the store already has is skipped, so a node's own changes
// coming back are no-ops) and never lets an older lift or release undo a newer local opt-out
// or hold: the mirror errs on the side of not sending.
//
// Thread rule: stage(), publish() from any thread (publish's completion runs on a nats.c
// thread). open(), subscribe(), tick() on the cluster's control thread. The mirror applies on
// its own thread.

#include <nats/nats.h>

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "jetstream.hpp"
#include "link.hpp"
#include "smppgw/cluster/change.hpp"
#include "smppgw/cluster/stats.hpp"
#include "smppgw/store/store.hpp"

namespace smppgw::cluster::detail {

class compliance {
public:
    compliance(const options& o, store::store& db, stats& st, std::function<void()> policy_changed);
    ~compliance();
    compliance(const compliance&) = delete;
    compliance& operator=(const compliance&) = delete;

    // ---- changes made on this node -----------------------------------------------------------
    [[nodiscard]] staged_changes stage(store::batch& b, std::vector<change> changes);
    // After the staged batch is durable. `done(true)` once a quorum has every change, `done
    // (false)` when the cluster did not take them within write_timeout (they stay pending and
    // are published when it can). Runs once, on a nats.c thread or the caller's.
    void publish(staged_changes s, std::function<void(bool replicated)> done);
    // Pending changes of an earlier run (side records), to publish again. Before start.
    void load_pending();
    [[nodiscard]] std::size_t pending() const;
    // Changes wait and the cluster's last answer to a publish was a failure (no quorum, NATS
    // away): the node is behind on its own changes, not merely publishing one.
    [[nodiscard]] bool publishing_fails() const;

    // ---- control thread ----------------------------------------------------------------------
    // Binds (or creates) the three buckets. Empty on success, else what failed.
    [[nodiscard]] std::string open(link& l);
    // Starts mirroring from the stored cursors, and records the streams' current last
    // sequences as the catch-up targets. Empty on success.
    [[nodiscard]] std::string subscribe(link& l);
    // The link went down: stop publishing (subscriptions resume by themselves when it returns).
    void link_down();
    // Publishes pending changes again (when connected), refreshes the lag figures, and
    // re-creates a mirror's consumer that stopped delivering while its bucket is ahead.
    void tick(link& l);
    // Every bucket applied up to the targets set by the last subscribe() or refresh.
    [[nodiscard]] bool caught_up() const;
    // New catch-up targets (after a reconnect): false when JetStream did not answer.
    [[nodiscard]] bool refresh_targets(link& l);
    [[nodiscard]] std::vector<mirror_status> mirrors() const;
    void stop();

private:
    struct mirror {
        compliance* owner = nullptr;  // the subscription's closure leads back here
        std::size_t index = 0;
        std::string name;
        change_kind kind;
        bucket b;
        natsSubscription* sub = nullptr;
        std::atomic<std::uint64_t> applied{0};
        std::atomic<std::uint64_t> target{0};
        std::atomic<std::uint64_t> last{0};
        std::atomic<std::int64_t> oldest_unapplied_ns{0};
        stall_watch stall;  // control thread only
    };
    struct entry {
        std::size_t bucket = 0;
        std::uint64_t sequence = 0;
        std::int64_t time_ns = 0;
        std::string key;
        std::string value;
        bool removed_by_operator = false;  // a KV delete or purge: not ours
    };
    struct pending_change {
        change c;
        bool in_flight = false;
        // Published once and not acknowledged: before trying again, look whether a newer change
        // reached the key meanwhile.
        bool check_first = false;
    };

    static void on_message(natsConnection*, natsSubscription*, natsMsg* m, void* closure);
    void enqueue(std::size_t bucket, natsMsg* m);
    void apply_loop();
    void apply(std::vector<entry>& batch_entries);
    [[nodiscard]] mirror& mirror_of(change_kind k) noexcept;
    void publish_one(const std::string& pending_key, change c,
                     std::function<void(bool ok)> done);
    void forget(const std::vector<std::string>& pending_keys);
    [[nodiscard]] bool superseded(link& l, const change& c);

    const options& opts_;
    store::store& db_;
    stats& stats_;
    std::function<void()> policy_changed_;
    link* link_ = nullptr;  // set by open(); the node owns it and outlives this
    std::array<mirror, 3> mirrors_;
    std::atomic<bool> opened_{false};

    std::atomic<bool> last_publish_failed_{false};
    mutable std::mutex pending_mu_;
    std::map<std::string, pending_change> pending_;  // by side-record key

    std::mutex queue_mu_;
    std::condition_variable queue_cv_;
    std::deque<entry> queue_;
    bool stopping_ = false;
    std::thread applier_;
};

}  // namespace smppgw::cluster::detail
