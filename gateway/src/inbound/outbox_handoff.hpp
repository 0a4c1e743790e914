#pragma once
// The outbox hand-off (cluster nodes only): an account's receipts and MOs reach its receivers
// wherever they are bound. Entries of an account with no receiver bound on this node go to the
// cluster's outbox stream (cluster::node::hand_off) in batches of up to
// cluster::outbox_batch_limits::max_entries, and leave this node's outbox (one group per batch)
// once the stream holds their batch. While a receiver of an account is bound here, this node
// serves the account: batches handed off by any node arrive, their entries are journaled into
// this node's outbox in one group (from where the outbox relay delivers them like its own) and
// the batch is settled with the stream once durable. A batch that arrives just after its
// receiver left is refused, and the stream offers it again. A receipt or MO is in one durable
// place at any time: this node's journal or the stream (at least once across a crash between
// the two).
//
// Thread rule: receivers_changed() from any thread (the relay's callers), ready() on the
// journal's completion thread, sweep() on the scheduler's thread, arrivals and hand-off
// completions on nats.c threads; the few fields shared between them are under one mutex.

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <span>
#include <string>
#include <string_view>

#include "inbound/outbox_relay.hpp"
#include "smppgw/cluster/node.hpp"
#include "smppgw/store/live_state.hpp"

namespace smppgw::gateway {

// What the hand-off needs of the cluster: cluster::node (node_outbox_link), or a unit test's
// fake. Same contracts as the node's methods of the same names.
class outbox_link {
public:
    virtual ~outbox_link() = default;
    virtual void on_arrival(cluster::node::outbox_arrival fn) = 0;
    virtual bool hand_off(std::string_view account, std::span<const cluster::outbox_entry> entries,
                          std::uint64_t first_id, std::function<void(bool stored)> done) = 0;
    virtual void serve(std::string_view account, bool on) = 0;
    [[nodiscard]] virtual bool connected() const = 0;
};

class node_outbox_link final : public outbox_link {
public:
    explicit node_outbox_link(cluster::node& n) : node_(n) {}
    void on_arrival(cluster::node::outbox_arrival fn) override {
        node_.on_outbox_arrival(std::move(fn));
    }
    bool hand_off(std::string_view account, std::span<const cluster::outbox_entry> entries,
                  std::uint64_t first_id, std::function<void(bool)> done) override {
        return node_.hand_off(account, entries, first_id, std::move(done));
    }
    void serve(std::string_view account, bool on) override { node_.serve(account, on); }
    [[nodiscard]] bool connected() const override { return node_.connected(); }

private:
    cluster::node& node_;
};

class outbox_handoff {
public:
    // Per account: entries handed to the stream and not yet stored there.
    static constexpr std::size_t max_in_flight = 2048;
    // ready() hands off at most this often per account, so that entries go to the stream in
    // bursts: three JetStream servers replicate a burst in a few Raft rounds, entries trickled
    // one by one in a round each (BENCHMARKS.md, 700 crossing entries/s: ~0.9 ms of the
    // nats-servers' CPU per entry one by one, ~0.37 ms in 20 ms bursts, ~0.19 ms in 100 ms
    // bursts). What waits is taken by the next ready() or the sweep. With max_in_flight, at
    // most ~20,000 entries/s per account cross.
    static constexpr std::chrono::milliseconds burst_interval{100};

    outbox_handoff(store::live_state& live, const outbox_relay& relay, outbox_link& cluster);

    // Registers for the stream's arrivals; before the node starts.
    void attach();
    // A receiver of `account` bound here or left: serve the account's stream while any is.
    void receivers_changed(std::string_view account);
    // The outbox of `account` gained deliverable entries (the journal's completion thread) and
    // outbox_relay::ready() woke `receivers_here` receivers for them: with none, they go to
    // the stream now (at most every burst_interval), not at the next sweep. `now` for tests.
    void ready(std::string_view account, std::size_t receivers_here,
               std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now());
    // Hands the entries of accounts with no receiver here to the stream (while NATS is up):
    // what ready() could not take (the in-flight cap, NATS away, a receiver that left).
    void sweep();

private:
    void hand_off(const std::string& account);
    void arrived(std::string_view account, std::span<const cluster::outbox_entry> entries,
                 std::function<void(bool)> settle);

    store::live_state& live_;
    const outbox_relay& relay_;
    outbox_link& node_;
    std::mutex mu_;
    std::map<std::string, bool, std::less<>> serving_;
    std::map<std::string, std::size_t, std::less<>> in_flight_;
    std::map<std::string, std::chrono::steady_clock::time_point, std::less<>> last_ready_;
};

}  // namespace smppgw::gateway
