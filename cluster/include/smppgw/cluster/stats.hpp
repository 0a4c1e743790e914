#pragma once
// What a cluster node tells its operator: counters and histograms (lock-free, updated where the
// work happens) and a status snapshot (taken on demand for /v1/cluster and /metrics).
//
// Thread rule: counters and histograms from any thread; snapshots are values.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace smppgw::cluster {

// A latency histogram with fixed bounds in seconds (Prometheus-style, cumulative on output).
class latency_histogram {
public:
    static constexpr std::array<double, 14> bounds{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                   0.05,   0.1,   0.25,   0.5,   1,    2.5,
                                                   5,      10};
    void observe(double seconds) noexcept;

    struct snapshot {
        std::array<std::uint64_t, bounds.size() + 1> counts{};  // per bucket, last = +Inf
        std::uint64_t count = 0;
        double sum = 0;
        // The smallest bound below which `q` of the observations fall (+Inf: 1e9).
        [[nodiscard]] double quantile_bound(double q) const noexcept;
    };
    [[nodiscard]] snapshot read() const noexcept;

private:
    std::array<std::atomic<std::uint64_t>, bounds.size() + 1> counts_{};
    std::atomic<std::uint64_t> count_{0};
    std::atomic<std::uint64_t> sum_us_{0};
};

struct counters {
    std::atomic<std::uint64_t> changes_published{0};     // compliance changes acknowledged
    std::atomic<std::uint64_t> changes_superseded{0};    // a pending one a newer change replaced
    std::atomic<std::uint64_t> publish_failures{0};      // not acknowledged in time (retried)
    std::atomic<std::uint64_t> changes_applied{0};       // mirrored into the local store
    std::atomic<std::uint64_t> changes_unchanged{0};     // mirrored: the store had it already
    std::atomic<std::uint64_t> changes_unreadable{0};    // a bucket value this node cannot read
    // Frequency-cap counts shared between nodes (send_counts.hpp), in entries (+1 or -1).
    std::atomic<std::uint64_t> sends_published{0};   // acknowledged by the stream
    std::atomic<std::uint64_t> sends_publish_failures{0};  // batches not acknowledged (retried)
    std::atomic<std::uint64_t> sends_received{0};    // other nodes' entries applied here
    std::atomic<std::uint64_t> sends_dropped_queue{0};   // not published: the queue was full
    std::atomic<std::uint64_t> sends_dropped_remote{0};  // not held: the table was full
    std::atomic<std::uint64_t> sends_unreadable{0};  // batches this node cannot read
    // Receipts and MOs for receivers bound on other nodes (the outbox stream).
    std::atomic<std::uint64_t> outbox_handed_off{0};        // this node's, stored by the stream
    std::atomic<std::uint64_t> outbox_handoff_failures{0};  // not stored in time (retried)
    std::atomic<std::uint64_t> outbox_received{0};  // taken from the stream into this outbox
    std::atomic<std::uint64_t> outbox_refused{0};   // offered here, refused (no receiver now)
    std::atomic<std::uint64_t> outbox_unreadable{0};  // damaged batches dropped (not entries)
    // Carrier receipts that arrived on another node's bind (cluster.receipt_routes).
    std::atomic<std::uint64_t> routes_written{0};      // carrier ids recorded for this node
    std::atomic<std::uint64_t> routes_failed{0};       // not recorded (NATS away, timeout)
    std::atomic<std::uint64_t> receipts_forwarded{0};  // sent on to the submitting node
    std::atomic<std::uint64_t> receipts_received{0};   // forwarded here by another node
};

struct stats {
    counters count;
    latency_histogram propagation;   // a change published elsewhere -> applied here
    latency_histogram publish;       // a change published here -> acknowledged by a quorum
    latency_histogram send_propagation;  // a batch of send counts published elsewhere -> held here
};

enum class node_state : std::uint8_t {
    disabled,  // single node: no cluster configured
    starting,  // connecting and catching up: not serving yet
    ready,     // connected, mirror caught up
    degraded,  // serving from the local mirror: NATS unreachable or the mirror behind
    stopped,
};
[[nodiscard]] std::string_view to_string(node_state s) noexcept;

struct mirror_status {
    std::string bucket;
    std::uint64_t applied = 0;  // stream sequence applied to the local store
    std::uint64_t last = 0;     // the stream's last sequence when last asked
    double lag_seconds = 0;     // age of the oldest change not yet applied (0 when caught up)
};

// One node's share of a carrier's binds, as its config says (carriers[].sessions) and as its
// heartbeat tells the others; `limit` is carriers[].cluster_sessions (0: not set).
struct carrier_share {
    std::string carrier;
    std::uint32_t sessions = 0;
    std::uint32_t limit = 0;

    friend bool operator==(const carrier_share&, const carrier_share&) = default;
};

struct node_seen {
    std::string name;
    std::uint32_t node_id = 0;
    std::string state;
    std::string version;
    std::int64_t heartbeat_ms = 0;  // its wall clock when it last wrote
    std::int64_t started_ms = 0;
    std::vector<carrier_share> carriers;
};

// A carrier's binds across the live nodes: the shares add up to `total`; `limit` is the
// largest cluster_sessions any of them announces (0: none does), and `over` says the shares
// exceed it: the carrier will refuse some of the binds.
struct carrier_sessions {
    std::string carrier;
    std::uint32_t total = 0;
    std::uint32_t limit = 0;
    bool over = false;
    std::vector<std::pair<std::string, std::uint32_t>> by_node;  // (node, sessions)
};

// Adds up the shares the nodes announce, carrier by carrier (sorted by name).
[[nodiscard]] std::vector<carrier_sessions> add_up_carrier_shares(
    const std::vector<node_seen>& nodes);

struct status {
    node_state state = node_state::disabled;
    std::string node;
    bool connected = false;
    std::string server;  // the NATS URL connected to
    std::uint64_t reconnects = 0;
    std::string last_error;
    std::vector<mirror_status> mirrors;
    std::size_t pending_changes = 0;  // made here, not yet acknowledged by the cluster
    std::vector<node_seen> nodes;
    std::vector<std::string> conflicts;  // another live node with our name or node_id
    std::vector<carrier_sessions> carriers;  // every live node's carrier shares, added up
    // Frequency-cap counts shared between nodes.
    std::size_t sends_queued = 0;         // counted here, not yet acknowledged by the stream
    std::size_t remote_sends = 0;         // other nodes' sends held, within the window
    std::uint64_t sends_applied_sequence = 0;  // the stream position applied here
    std::uint64_t sends_last_sequence = 0;     // the stream's last sequence when last asked
    // Accounts whose entries this node takes from the outbox stream (a receiver bound here).
    std::vector<std::string> outbox_served;
};

}  // namespace smppgw::cluster
