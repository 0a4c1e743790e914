#pragma once
// The nodes of a deployment as each sees the others: every node writes a heartbeat (name,
// node_id, state, version) under its name in the nodes bucket every
// heartbeat_interval; the bucket forgets a heartbeat after a few intervals (its TTL), so the
// entries present are the nodes alive. Every node watches the bucket.
//
// It also catches two configuration mistakes that would break promises: two live nodes with
// the same node_id (message ids would collide: ids are only unique per node_id) or two
// processes with the same name (each would take the other's receipts and accounts' entries).
// A conflict keeps a starting node from becoming ready and is reported in /v1/cluster.
//
// Heartbeats also carry each node's share of every carrier's binds, so that every node can add
// them up and say when the shares exceed what the carrier allows (carriers[].cluster_sessions).
//
// Thread rule: beat() and status on the control thread; the watch handler on a nats.c thread;
// seen() and conflicts() from any thread.

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "jetstream.hpp"
#include "link.hpp"
#include "smppgw/cluster/stats.hpp"

namespace smppgw::cluster::detail {

class nodes {
public:
    explicit nodes(const options& o);

    [[nodiscard]] std::string open(link& l);
    // What this node's heartbeats say about its carrier binds from now on (any thread).
    void set_carrier_shares(std::vector<carrier_share> shares);
    // Writes this node's heartbeat (blocking, at most write_timeout). False if it failed.
    bool beat(node_state state);
    // Every carrier's shares added up over the live nodes, this one included even before its
    // own heartbeat came back through the bucket (or while NATS is away).
    [[nodiscard]] std::vector<carrier_sessions> carrier_totals() const;
    // The carriers whose shares, added up over the live nodes, exceed their limit and were
    // not over at the previous call: for the control thread to warn about once.
    [[nodiscard]] std::vector<carrier_sessions> newly_over_limit();
    [[nodiscard]] std::vector<node_seen> seen() const;
    [[nodiscard]] std::vector<std::string> conflicts() const;
    void stop();

private:
    void on_heartbeat(std::string_view key, std::string_view value);
    [[nodiscard]] std::chrono::milliseconds ttl() const;

    const options& opts_;
    std::string instance_;  // this process, to tell a second process with our name from us
    std::int64_t started_ms_ = 0;
    link* link_ = nullptr;
    bucket bucket_;
    watch watch_;

    mutable std::mutex mu_;
    struct entry {
        node_seen info;
        std::string instance;
    };
    std::map<std::string, entry> nodes_;
    std::vector<std::string> conflicts_;  // sticky for this process: a name clash seen once
    bool beaten_ = false;                 // our first heartbeat is in the bucket
    std::vector<carrier_share> shares_;   // this node's, for its heartbeats
    std::vector<std::string> over_;       // carriers over their limit at the last look
};

}  // namespace smppgw::cluster::detail
