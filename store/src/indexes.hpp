#pragma once
// In-memory indexes behind the policy lookups, rebuilt from RocksDB on open and updated by the
// committer after each durable write (before callbacks run).
//
// optout_index: a set of 64-bit fingerprints of (brand, msisdn) for every active opt-out. It
//   may answer "maybe" for a number that is not opted out (a fingerprint collision, or an
//   opt-out lifted since open: lifts never remove fingerprints); the store then confirms with
//   a RocksDB Get. It never answers "no" for an opted-out number: every committed put adds its
//   fingerprint before the commit's callback runs, and open adds every stored one. 8 bytes per
//   slot.
//
// consent_index: (brand, msisdn, class) -> consent_summary, 24 bytes per slot. A slot stores a
//   15-bit check hash (independent seed) beside the 64-bit key hash; if the check does not
//   match, two keys collided and the answer is "unknown": the store reads RocksDB instead. A
//   wrong answer needs a 79-bit collision.

#include <cstdint>
#include <optional>
#include <string_view>

#include "smppgw/policy/lookups.hpp"
#include "summary_map.hpp"

namespace smppgw::store::detail {

class optout_index {
public:
    explicit optout_index(std::size_t expected);

    [[nodiscard]] bool maybe(std::string_view brand, std::string_view msisdn) const noexcept;
    void add(std::string_view brand, std::string_view msisdn);  // writer thread only

    [[nodiscard]] std::size_t size() const noexcept { return set_.size(); }
    [[nodiscard]] std::size_t memory_bytes() const noexcept { return set_.memory_bytes(); }

private:
    std::uint64_t seed_;
    summary_map<0> set_;
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
