#pragma once
// Matches delivery receipts to submits by message_id, across threads.
//
// A receipt may arrive on any RX/TRX bind of the account (a gateway chooses), so on another
// thread than the submit; the table is shared, split into mutex-guarded shards by key so two
// threads rarely meet. Keys are 64-bit hashes of the message_id: with a million outstanding ids
// the chance of any collision is ~1e-8, and storing no strings keeps the hot path allocation-free
// (open addressing, no per-entry node).
//
// A receipt can overtake its submit_sm_resp (TX+RX pairs: different connections, maybe
// different threads). It is then parked, and expect() finds it.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace smppgw::bench::loadgen {

[[nodiscard]] std::uint64_t message_id_key(std::string_view id) noexcept;

// Open-addressing map uint64 -> int64 with linear probing and backward-shift deletion (no
// tombstones). Key 0 is reserved for "empty"; callers never pass it (message_id_key avoids it).
class flat_time_map {
public:
    explicit flat_time_map(std::size_t initial_capacity = 1024);

    void insert(std::uint64_t key, std::int64_t value);
    // Removes and returns the value, if present.
    [[nodiscard]] std::optional<std::int64_t> take(std::uint64_t key) noexcept;
    [[nodiscard]] std::size_t size() const noexcept { return size_; }

private:
    struct slot {
        std::uint64_t key = 0;
        std::int64_t value = 0;
    };
    void grow();
    [[nodiscard]] std::size_t home(std::uint64_t key) const noexcept { return key & mask_; }

    std::vector<slot> slots_;
    std::size_t mask_;
    std::size_t size_ = 0;
};

class receipt_tracker {
public:
    static constexpr std::size_t max_parked = 1'000'000;

    receipt_tracker();

    // A submit was accepted and asked for a receipt. If the receipt already came, returns its
    // arrival time (and forgets both).
    std::optional<std::int64_t> expect(std::uint64_t key, std::int64_t submit_ns);
    // A receipt came. Returns the submit time if it was expected; otherwise parks it.
    std::optional<std::int64_t> arrive(std::uint64_t key, std::int64_t arrival_ns);

    [[nodiscard]] std::size_t outstanding() const;
    // Receipts that matched nothing: unknown ids, duplicates, or still ahead of their response.
    [[nodiscard]] std::size_t parked() const;
    [[nodiscard]] std::uint64_t dropped_parked() const noexcept {
        return dropped_.load(std::memory_order_relaxed);
    }

private:
    struct alignas(64) shard {
        mutable std::mutex mutex;
        flat_time_map expected;
        std::unordered_map<std::uint64_t, std::int64_t> parked;
    };
    static constexpr std::size_t shard_count = 32;

    shard& shard_for(std::uint64_t key) noexcept { return shards_[(key >> 59) % shard_count]; }

    std::unique_ptr<shard[]> shards_;
    std::atomic<std::size_t> parked_total_{0};
    std::atomic<std::uint64_t> dropped_{0};
};

}  // namespace smppgw::bench::loadgen
