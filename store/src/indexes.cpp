#include "indexes.hpp"

#include <algorithm>
#include <random>

#include "hash.hpp"

namespace smppgw::store::detail {
namespace {

std::uint64_t random_seed() {
    std::random_device rd;
    return (static_cast<std::uint64_t>(rd()) << 32U) ^ rd();
}

// Consent slot word 0:
//   bits  0..43  granted, ms since 1970 (clamped to [0, 2^44): years 1970..2527)
//   bits 44..45  status
//   bit  46      type
//   bit  47      has_proof
//   bit  48      has expires
//   bits 49..63  check hash (15 bits)
// Word 1: expires in ms since 1970, two's complement.
constexpr unsigned granted_bits = 44;
constexpr std::uint64_t granted_mask = (1ULL << granted_bits) - 1;
constexpr unsigned status_shift = 44;
constexpr unsigned type_shift = 46;
constexpr unsigned proof_shift = 47;
constexpr unsigned expires_shift = 48;
constexpr unsigned check_shift = 49;

std::uint64_t class_key(std::uint64_t pair_hash, policy::message_class klass) noexcept {
    return fmix64(pair_hash ^ ((static_cast<std::uint64_t>(klass) + 1) * 0x9E3779B97F4A7C15ULL));
}

}  // namespace

// Opt-out slot word: bits 0..43 when (ms since 1970, clamped), bit 44 active, bits 45..63
// check hash (19 bits).
constexpr unsigned optout_active_shift = 44;
constexpr unsigned optout_check_shift = 45;

optout_index::optout_index(std::size_t expected)
    : key_seed_(random_seed()), check_seed_(random_seed()), map_(expected) {}

optout_index::answer optout_index::find(std::string_view brand, std::string_view msisdn,
                                        policy::time_point& when) const noexcept {
    summary_map<1>::value_type v{};
    if (!map_.find(hash_pair(brand, msisdn, key_seed_), &v)) {
        return answer::absent;
    }
    const auto check = hash_pair(brand, msisdn, check_seed_) >> optout_check_shift;
    if ((v[0] >> optout_check_shift) != check) {
        return answer::unknown;
    }
    if (((v[0] >> optout_active_shift) & 0x1U) == 0) {
        return answer::absent;
    }
    when = policy::time_point{
        std::chrono::milliseconds{static_cast<std::int64_t>(v[0] & granted_mask)}};
    return answer::found;
}

namespace {

std::uint64_t optout_word(policy::time_point when, std::uint64_t check) noexcept {
    const auto ms = std::clamp<std::int64_t>(when.time_since_epoch().count(), 0,
                                             static_cast<std::int64_t>(granted_mask));
    return static_cast<std::uint64_t>(ms) | (1ULL << optout_active_shift) |
           (check << optout_check_shift);
}

}  // namespace

void optout_index::put(std::string_view brand, std::string_view msisdn, policy::time_point when) {
    const auto check = hash_pair(brand, msisdn, check_seed_) >> optout_check_shift;
    map_.upsert(hash_pair(brand, msisdn, key_seed_), {optout_word(when, check)});
}

void optout_index::load(std::string_view brand, std::string_view msisdn, policy::time_point when) {
    const auto key = hash_pair(brand, msisdn, key_seed_);
    const auto check = hash_pair(brand, msisdn, check_seed_) >> optout_check_shift;
    map_.prefetch(key);
    if (pending_count_ == pipeline) {
        const auto& oldest = pending_[pending_head_];
        map_.upsert(oldest.key, {oldest.word});
        pending_[pending_head_] = pending{key, optout_word(when, check)};
        pending_head_ = (pending_head_ + 1) % pipeline;
        return;
    }
    pending_[(pending_head_ + pending_count_) % pipeline] = pending{key, optout_word(when, check)};
    ++pending_count_;
}

void optout_index::flush() {
    for (; pending_count_ > 0; --pending_count_) {
        const auto& p = pending_[pending_head_];
        map_.upsert(p.key, {p.word});
        pending_head_ = (pending_head_ + 1) % pipeline;
    }
}

void optout_index::lift(std::string_view brand, std::string_view msisdn) {
    const auto key = hash_pair(brand, msisdn, key_seed_);
    const auto check = hash_pair(brand, msisdn, check_seed_) >> optout_check_shift;
    summary_map<1>::value_type v{};
    // A slot owned by another (brand, msisdn) (check mismatch) is left alone: this key's
    // lookups already go to RocksDB, which has the lift.
    if (map_.find(key, &v) && (v[0] >> optout_check_shift) == check) {
        map_.upsert(key, {check << optout_check_shift});
    }
}

consent_index::consent_index(std::size_t expected)
    : key_seed_(random_seed()), check_seed_(random_seed()), map_(expected) {}

consent_index::answer consent_index::find(std::string_view brand, std::string_view msisdn,
                                          policy::message_class klass,
                                          policy::consent_summary& out) const noexcept {
    const auto key = class_key(hash_pair(brand, msisdn, key_seed_), klass);
    summary_map<2>::value_type v{};
    if (!map_.find(key, &v)) {
        return answer::absent;
    }
    const auto check = class_key(hash_pair(brand, msisdn, check_seed_), klass) >> check_shift;
    if ((v[0] >> check_shift) != check) {
        return answer::unknown;
    }
    out.granted = policy::time_point{
        std::chrono::milliseconds{static_cast<std::int64_t>(v[0] & granted_mask)}};
    out.status = static_cast<policy::consent_status>((v[0] >> status_shift) & 0x3U);
    out.type = static_cast<policy::consent_type>((v[0] >> type_shift) & 0x1U);
    out.has_proof = ((v[0] >> proof_shift) & 0x1U) != 0;
    if (((v[0] >> expires_shift) & 0x1U) != 0) {
        out.expires =
            policy::time_point{std::chrono::milliseconds{static_cast<std::int64_t>(v[1])}};
    } else {
        out.expires.reset();
    }
    return answer::found;
}

void consent_index::put(std::string_view brand, std::string_view msisdn,
                        policy::message_class klass, const policy::consent_summary& s) {
    const auto key = class_key(hash_pair(brand, msisdn, key_seed_), klass);
    const auto check = class_key(hash_pair(brand, msisdn, check_seed_), klass) >> check_shift;
    const auto granted = std::clamp<std::int64_t>(s.granted.time_since_epoch().count(), 0,
                                                  static_cast<std::int64_t>(granted_mask));
    std::uint64_t w0 = static_cast<std::uint64_t>(granted);
    w0 |= static_cast<std::uint64_t>(s.status) << status_shift;
    w0 |= static_cast<std::uint64_t>(s.type) << type_shift;
    w0 |= static_cast<std::uint64_t>(s.has_proof ? 1 : 0) << proof_shift;
    w0 |= static_cast<std::uint64_t>(s.expires ? 1 : 0) << expires_shift;
    w0 |= check << check_shift;
    const std::uint64_t w1 =
        s.expires ? static_cast<std::uint64_t>(s.expires->time_since_epoch().count()) : 0;
    map_.upsert(key, {w0, w1});
}

}  // namespace smppgw::store::detail
