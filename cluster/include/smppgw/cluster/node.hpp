#pragma once
// This daemon as one node of a cluster: its NATS connection, the compliance buckets it mirrors
// into the local store and publishes its own changes to, the send counts it shares for
// frequency caps, the outbox stream that carries receipts and MOs to receivers bound on other
// nodes, and its heartbeat. The gateway makes one when its config has a [cluster] table; without one nothing here exists (single node).
//
// Lifecycle: start() connects in the background and returns; wait_until_serving() blocks until
// the mirror has caught up with the buckets (or cluster.startup_timeout passed: degraded) and
// is what keeps a (re)starting node from accepting submits on a stale copy. A control thread
// then keeps the node's state: ready (connected, mirror caught up) or degraded (NATS away or
// the mirror behind; the node still serves from its local copy and keeps its own changes
// durably until the cluster takes them).
//
// Thread rule: start(), wait_until_serving(), stop() from the gateway's main thread; stage(),
// publish(), hand_off(), serve(), set_carrier_shares(), state(), status(), statistics(),
// frequency() from any thread. publish()'s and hand_off()'s completions and outbox arrivals run
// on a nats.c thread (or the caller's when the cluster is away): they must hand their work on.

#include <chrono>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "smppgw/cluster/change.hpp"
#include "smppgw/cluster/options.hpp"
#include "smppgw/cluster/outbox_batch.hpp"
#include "smppgw/cluster/send_counts.hpp"
#include "smppgw/cluster/stats.hpp"
#include "smppgw/store/records.hpp"

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

    // ---- receipts and MOs for receivers bound on other nodes -----------------------------------
    // What the stream delivers for an account this node serves: a batch of entries (one stream
    // message, outbox_batch.hpp), and `settle(true)` once all of them are durable in this
    // node's outbox (the stream drops the batch) or `settle(false)` to have the whole batch
    // offered again a second later (here or on another node). Runs on a nats.c thread and must
    // hand its work on; the entries' bytes live until it returns. Set once, before start().
    using outbox_arrival =
        std::function<void(std::string_view account, std::span<const outbox_entry> entries,
                           std::function<void(bool taken)> settle)>;
    void on_outbox_arrival(outbox_arrival fn);
    // Hands entries of `account` (which has no receiver bound here) to the cluster's outbox
    // stream as one message (at most outbox_batch_limits::max_entries, and max_bytes unless
    // it is one entry): `done(true)` once the stream holds it (replicated), `done(false)` when
    // it did not take it in cluster.write_timeout. `first_id` names the first entry on this
    // node, so that a retry of the same batch is the same message to the stream. False when
    // NATS could not take it at all (then `done` never runs).
    bool hand_off(std::string_view account, std::span<const outbox_entry> entries,
                  std::uint64_t first_id, std::function<void(bool stored)> done);
    // Whether this node takes `account`'s entries from the stream: while a receiver of the
    // account is bound here.
    void serve(std::string_view account, bool on);
    [[nodiscard]] bool connected() const noexcept;

    // ---- carrier receipts that arrive on another node's bind (cluster.receipt_routes) --------
    // Records that this node submitted (carrier, carrier message id). Asynchronous and off the
    // acknowledgement path; a write that fails is counted (a receipt for that id arriving
    // elsewhere then waits there as unmatched).
    void note_route(std::string_view carrier, std::string_view carrier_message_id);
    // Which node submitted (carrier, id): `found(node)` runs once, on a nats.c thread or the
    // caller's, with an empty name when no node recorded it (yet) or the cluster did not
    // answer within cluster.write_timeout.
    void find_route(std::string_view carrier, std::string_view id,
                    std::function<void(std::string node)> found);
    // Sends a carrier receipt (its PDU, and the normalized ids it was looked up by) to node `to`'s
    // queue in the receipts stream: `done(true)` once the stream holds it (replicated). False
    // when NATS could not take it at all (then `done` never runs).
    bool forward_receipt(const std::string& to, std::string_view carrier,
                         const std::vector<std::string>& ids, std::string_view pdu,
                         std::function<void(bool stored)> done);
    // Receipts other nodes forwarded here: settle as for outbox arrivals. Set once, before
    // start().
    using receipt_arrival =
        std::function<void(std::string_view carrier, std::vector<std::string> ids,
                           std::string_view pdu, std::function<void(bool taken)> settle)>;
    void on_receipt_arrival(receipt_arrival fn);
    [[nodiscard]] bool receipt_routes() const noexcept;
    [[nodiscard]] const std::string& name() const noexcept;

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
