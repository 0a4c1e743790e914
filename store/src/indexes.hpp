#pragma once
// In-memory indexes behind the policy lookups, rebuilt from RocksDB on open and updated by the
// committer after each durable write (before callbacks run).
//
// optout_index: (brand, msisdn) -> when and whether the opt-out is active (a lift leaves an
//   inactive entry), 16 bytes per slot. Mirrors the active opt-outs in RocksDB exactly: open
//   loads every stored one and the committer applies each durable put and lift, in commit
//   order, before the commit's callbacks run. Each slot keeps a 19-bit check hash (independent
//   seed) beside the 64-bit key hash: when the check does not match, two keys collided and the
//   answer is "unknown", which the store settles with a RocksDB Get. So "not opted out" is
//   never wrong for a stored opt-out (no false negatives), and a wrong "opted out" needs an
//   83-bit collision.
//
// consent_index: (brand, msisdn, class) -> consent_summary, 24 bytes per slot. A slot stores a
//   15-bit check hash (independent seed) beside the 64-bit key hash; if the check does not
//   match, two keys collided and the answer is "unknown": the store reads RocksDB instead. A
//   wrong answer needs a 79-bit collision.

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "smppgw/policy/lookups.hpp"
#include "summary_map.hpp"

namespace smppgw::store::detail {

class optout_index {
public:
    explicit optout_index(std::size_t expected);

    enum class answer : std::uint8_t { absent, found, unknown };
    [[nodiscard]] answer find(std::string_view brand, std::string_view msisdn,
                              policy::time_point& when) const noexcept;
    // Writer thread only.
    void put(std::string_view brand, std::string_view msisdn, policy::time_point when);
    void lift(std::string_view brand, std::string_view msisdn);

    // Bulk load (open): like put, but the insert happens a few calls later, after its slot was
    // prefetched; flush() completes the pending ones.
    void load(std::string_view brand, std::string_view msisdn, policy::time_point when);
    void flush();

    // Slots in use (active and lifted entries).
    [[nodiscard]] std::size_t size() const noexcept { return map_.size(); }
    [[nodiscard]] std::size_t memory_bytes() const noexcept { return map_.memory_bytes(); }

private:
    struct pending {
        std::uint64_t key;
        std::uint64_t word;
    };
    static constexpr std::size_t pipeline = 16;

    std::uint64_t key_seed_;
    std::uint64_t check_seed_;
    summary_map<1> map_;
    std::array<pending, pipeline> pending_{};
    std::size_t pending_count_ = 0;
    std::size_t pending_head_ = 0;
};

class consent_index {
public:
    explicit consent_index(std::size_t expected);

    enum class answer : std::uint8_t { absent, found, unknown };
    [[nodiscard]] answer find(std::string_view brand, std::string_view msisdn,
                              policy::message_class klass,
                              policy::consent_summary& out) const noexcept;
    void put(std::string_view brand, std::string_view msisdn, policy::message_class klass,
             const policy::consent_summary& s);  // writer thread only

    [[nodiscard]] std::size_t size() const noexcept { return map_.size(); }
    [[nodiscard]] std::size_t memory_bytes() const noexcept { return map_.memory_bytes(); }

private:
    std::uint64_t key_seed_;
    std::uint64_t check_seed_;
    summary_map<2> map_;
};

}  // namespace smppgw::store::detail
