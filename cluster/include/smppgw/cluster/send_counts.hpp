#pragma once
// Frequency caps across nodes: the sends other nodes counted, held in memory, and the lookup the
// policy chain asks (this node's own counts from the store plus the others').
//
// Every node publishes the sends it counts (+1, reserved at acceptance) and gives back (-1, the
// message finally failed, expired or was cancelled) in batches to its own subject of a JetStream
// stream, and applies every other node's batches here. Nothing here is durable: after a restart
// the node reads the stream again from its start (the stream keeps retention.freq_window).
// Counting is eventually consistent: a send reaches the other nodes after the batching delay
// and the stream's round trip, so two nodes accepting for the same number within that lag may
// each let one message past the cap. What is lost (a full queue, a full table) only ever makes
// the other nodes count fewer sends, never more.
//
// The batch format (one NATS message): u8 version (1), i64 publish time (µs since the epoch,
// little-endian), then per entry: u8 op (1 counted, 2 given back), varint brand length, brand,
// varint msisdn length, msisdn, i64 send time (ms since the epoch, little-endian).
//
// Thread rule: encode_sends / decode_sends are pure; remote_sends and shared_frequency may be
// used from any thread (one short mutex inside remote_sends).

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "smppgw/policy/lookups.hpp"

namespace smppgw::cluster {

using policy::time_point;

// One counted or given-back send as it travels between nodes.
struct send_entry {
    std::string_view brand;
    std::string_view msisdn;
    time_point when{};
    int delta = 0;  // +1 counted, -1 given back
};

// Appends one entry to `batch` (starting it with the header when empty).
void append_send(std::string& batch, const send_entry& e, std::int64_t published_us);
// Sets the publish time of a batch started by append_send (when it is finally sent).
void stamp_batch(std::string& batch, std::int64_t published_us) noexcept;
// The entries of a batch (views into `batch`) and its publish time; nullopt when malformed.
struct decoded_batch {
    std::int64_t published_us = 0;
    std::vector<send_entry> entries;
};
[[nodiscard]] std::optional<decoded_batch> decode_sends(std::string_view batch);

// The sends other nodes counted, within the frequency window.
class remote_sends {
public:
    remote_sends(std::string own_node, std::chrono::milliseconds window, std::size_t max_entries);

    struct applied {
        std::size_t counted = 0;   // +1 entries now held
        std::size_t released = 0;  // -1 entries that gave a held send back
        std::size_t ignored = 0;   // outside the window, or a give-back of nothing held
        std::size_t dropped = 0;   // +1 entries not held: the table is full
    };
    // The entries `node` published. This node's own batches (they come back through the
    // stream) change nothing: its sends are in its store.
    applied apply(std::string_view node, std::span<const send_entry> entries, time_point now);
    // Forgets sends older than the window. Returns how many went.
    std::size_t expire(time_point now);
    // Merges the held sends of (brand, msisdn) at or after `since` into `h` (the newest
    // send_history::capacity are kept, oldest first).
    void add_to(std::string_view brand, std::string_view msisdn, time_point since,
                policy::send_history& h) const;
    [[nodiscard]] std::size_t size() const noexcept { return size_.load(std::memory_order_relaxed); }

private:
    struct sent {
        time_point when;
        std::uint16_t node;
    };
    // One number's sends. Records are reused through free_, so an index stays valid while
    // anything names it (refs).
    struct per_number {
        std::string key;  // brand \0 msisdn
        std::uint64_t hash = 0;
        std::vector<sent> sends;  // by time
        std::uint32_t refs = 0;   // entries of `arrivals_` naming this record
    };
    // The index: open addressing with linear probing over a power-of-two array at most half
    // full, the full hash beside the record's index (0: empty). A number nobody else sent to
    // (most lookups) costs one probe into this array, where a node-based map costs three
    // dependent cache misses (measured with bench/cluster_bench).
    struct slot {
        std::uint64_t hash = 0;
        std::uint32_t index = 0;  // record + 1
    };
    struct arrival {
        time_point when;
        std::uint16_t node;
        std::uint32_t record;
    };
    static constexpr std::uint32_t none = UINT32_MAX;

    [[nodiscard]] std::uint16_t node_index(std::string_view node);
    [[nodiscard]] std::uint32_t find(std::uint64_t hash, std::string_view key) const noexcept;
    [[nodiscard]] std::uint32_t find_or_add(std::uint64_t hash, std::string_view key);
    void erase(std::uint32_t record);
    void drop_arrival(const arrival& a);

    const std::string own_;
    const std::chrono::milliseconds window_;
    const std::size_t max_entries_;
    mutable std::mutex mu_;
    std::vector<slot> slots_;
    std::size_t used_ = 0;  // occupied slots
    std::vector<per_number> records_;
    std::vector<std::uint32_t> free_;
    std::deque<arrival> arrivals_;  // in arrival order, for expiry
    std::vector<std::string> nodes_;
    std::atomic<std::size_t> size_{0};
};

// The frequency lookup of a cluster node: this node's sends (the store) plus the other nodes'.
class shared_frequency final : public policy::frequency_lookup {
public:
    shared_frequency(const policy::frequency_lookup& local, const remote_sends& remote)
        : local_(local), remote_(remote) {}
    [[nodiscard]] policy::send_history recent_sends(std::string_view brand,
                                                    std::string_view msisdn,
                                                    time_point since) const override;

private:
    const policy::frequency_lookup& local_;
    const remote_sends& remote_;
};

}  // namespace smppgw::cluster
