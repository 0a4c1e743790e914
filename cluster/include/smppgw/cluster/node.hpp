#pragma once
// This daemon as one node of a cluster: its NATS connection, the compliance buckets it mirrors
// into the local store and publishes its own changes to, the send counts it shares for
// frequency caps, and its heartbeat. The gateway makes
// one when its config has a [cluster] table; without one nothing here exists (single node).
//
// Lifecycle: start() connects in the background and returns; wait_until_serving() blocks until
// the mirror has caught up with the buckets (or cluster.startup_timeout passed: degraded) and
// is what keeps a (re)starting node from accepting submits on a stale copy. A control thread
// then keeps the node's state: ready (connected, mirror caught up) or degraded (NATS away or
// the mirror behind; the node still serves from its local copy and keeps its own changes
// durably until the cluster takes them).
//
// Thread rule: start(), wait_until_serving(), stop() from the gateway's main thread; stage(),
// publish(), set_carrier_shares(), state(), status(), statistics(), frequency() from any
// thread. publish()'s completion runs on a
// nats.c thread (or the caller's when the cluster is away): it must hand its work on.

#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include "smppgw/cluster/change.hpp"
#include "smppgw/cluster/options.hpp"
#include "smppgw/cluster/send_counts.hpp"
#include "smppgw/cluster/stats.hpp"

namespace smppgw::store {
class batch;
class store;
}  // namespace smppgw::store

namespace smppgw::cluster {

class node {
public:
    // `policy_changed` runs (on the mirror's thread) after an opt-out or hold made on another
    // node is in force here, so that messages checked before it are looked at again.
    node(options o, store::store& db, std::function<void()> policy_changed);
    ~node();
    node(const node&) = delete;
    node& operator=(const node&) = delete;

    // Starts connecting (never blocks on NATS). Throws for options nats.c refuses.
    void start();
    // Returns once the node may serve: ready, or degraded after startup_timeout (non-zero).
    // Logs what it waits for every few seconds.
    node_state wait_until_serving();
    void stop();

    // ---- changes made on this node ------------------------------------------------------------
    // Writes each change's pending record into `b` (the batch that writes the change locally),
    // so that once `b` is durable the change will reach the cluster whatever happens next.
    [[nodiscard]] staged_changes stage(store::batch& b, std::vector<change> changes);
    // After `b` committed: publishes and calls `done(true)` once a quorum acknowledged every
    // change, `done(false)` when it did not within write_timeout or the cluster is away (the
    // changes stay pending and go out when it returns).
    void publish(staged_changes s, std::function<void(bool replicated)> done);

    // This node's share of each carrier's binds, for its heartbeats (at start and after a
    // config reload); every node adds the shares up and warns when they exceed a carrier's
    // limit.
    void set_carrier_shares(std::vector<carrier_share> shares);

    [[nodiscard]] node_state state() const noexcept;
    [[nodiscard]] status snapshot() const;
    [[nodiscard]] const stats& statistics() const noexcept;
    // What the policy chain asks for frequency caps on a cluster node: the store's counts plus
    // the sends other nodes counted (send_counts.hpp). Lives as long as the node.
    [[nodiscard]] const policy::frequency_lookup& frequency() const noexcept;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace smppgw::cluster
