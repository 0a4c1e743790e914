#include "keys.hpp"

#include <atomic>
#include <chrono>

namespace smppgw::store::detail {

std::uint64_t next_uniq() noexcept {
    // Seeded with the start-up time in nanoseconds so a restarted process continues above the
    // previous one's values (unless the clock went back by more than the previous run's count,
    // in which case keys still differ by their time part in practice).
    static std::atomic<std::uint64_t> counter{static_cast<std::uint64_t>(
        std::chrono::system_clock::now().time_since_epoch() / std::chrono::nanoseconds{1})};
    return counter.fetch_add(1, std::memory_order_relaxed);
}

std::optional<consent_key_parts> parse_consent_key(std::string_view k) noexcept {
    if (k.empty() || (k[0] != consent_state_tag && k[0] != consent_event_tag)) {
        return std::nullopt;
    }
    reader r{k.substr(1)};
    consent_key_parts p;
    p.brand = r.until_nul();
    p.msisdn = r.until_nul();
    const auto c = r.u8();
    if (!r.ok() || c > 2) {
        return std::nullopt;
    }
    p.klass = static_cast<policy::message_class>(c);
    return p;
}

std::optional<time_point> optout_history_time(std::string_view k) noexcept {
    if (k.empty() || k[0] != optout_history_tag) {
        return std::nullopt;
    }
    reader r{k.substr(1)};
    (void)r.until_nul();
    (void)r.until_nul();
    const auto t = r.be64();
    if (!r.ok()) {
        return std::nullopt;
    }
    return time_from_key(t);
}

std::optional<time_point> consent_event_time(std::string_view k) noexcept {
    if (k.empty() || k[0] != consent_event_tag) {
        return std::nullopt;
    }
    reader r{k.substr(1)};
    (void)r.until_nul();
    (void)r.until_nul();
    (void)r.u8();
    const auto t = r.be64();
    if (!r.ok()) {
        return std::nullopt;
    }
    return time_from_key(t);
}

std::optional<time_point> audit_key_time(std::string_view k) noexcept {
    if (k.empty()) {
        return std::nullopt;
    }
    reader r{k.substr(1)};
    if (k[0] == audit_msisdn_tag) {
        (void)r.until_nul();
    } else if (k[0] != audit_time_tag) {
        return std::nullopt;
    }
    const auto t = r.be64();
    if (!r.ok()) {
        return std::nullopt;
    }
    return time_from_key(t);
}

std::optional<stats_key_parts> parse_stats_key(std::string_view k) noexcept {
    reader r{k};
    stats_key_parts p;
    p.hour = time_from_key(r.be64());
    p.account = r.until_nul();
    p.brand = r.until_nul();
    p.campaign = r.until_nul();
    p.measure = r.u8();
    if (!r.done()) {
        return std::nullopt;
    }
    return p;
}

std::optional<time_point> stats_key_time(std::string_view k) noexcept {
    if (const auto p = parse_stats_key(k)) {
        return p->hour;
    }
    return std::nullopt;
}

}  // namespace smppgw::store::detail
