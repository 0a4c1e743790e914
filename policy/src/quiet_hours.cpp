// Rule sets and the quiet-hours search.
#include "smppgw/policy/quiet_hours.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace smppgw::policy {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;

void validate(const day_window& w, const std::string& where) {
    if (!w.closed && !(w.start < w.end && w.end <= 1440)) {
        throw config_error(
            fmt::format("{}: window must satisfy start < end <= 1440 minutes", where));
    }
}

// The earliest instant at or after t at which (zone, rule) allows sending; nullopt if none
// within `max_days` local days.
std::optional<time_point> next_open(const zone_clock& zone, const rule_set& rule, time_point t,
                                    int max_days) {
    const local_ms local = zone.to_local(t);
    const auto today = date::floor<date::days>(local);
    for (int i = 0; i <= max_days; ++i) {
        const date::local_days d = today + date::days{i};
        const day_window w = rule.window_on(d);
        if (w.closed) {
            continue;
        }
        const local_ms start{d + minutes{w.start}};
        const local_ms end{d + minutes{w.end}};
        if (i == 0 && local >= start) {
            if (local < end) {
                return t;
            }
            continue;
        }
        time_point s = zone.earliest_at(start);
        if (s < t) {
            // `start` was first read before t and t sits in a repeated hour (clocks set back)
            // still reading before it: it is read again under the current offset.
            s = t + (start - local);
        }
        // A forward jump can carry the opening past the window's end: skip that day.
        if (zone.to_local(s) >= end) {
            continue;
        }
        return s;
    }
    return std::nullopt;
}

}  // namespace

rule_set::rule_set(const rule_set_config& cfg, std::span<const holiday_calendar> calendars)
    : name_(cfg.name), days_(cfg.days), holiday_(cfg.holiday) {
    if (name_.empty()) {
        throw config_error("quiet_hours.rule_sets: a rule set has no name");
    }
    for (std::size_t i = 0; i < days_.size(); ++i) {
        validate(days_[i], fmt::format("rule set '{}' day {}", name_, i));
    }
    validate(holiday_, fmt::format("rule set '{}' holiday", name_));
    for (const auto& cal : cfg.holiday_calendars) {
        auto it = std::find_if(calendars.begin(), calendars.end(),
                               [&](const holiday_calendar& c) { return c.name == cal; });
        if (it == calendars.end()) {
            throw config_error(
                fmt::format("rule set '{}': unknown holiday calendar '{}'", name_, cal));
        }
        for (auto day : it->days) {
            holidays_.emplace_back(day.time_since_epoch());
        }
    }
    std::sort(holidays_.begin(), holidays_.end());
    holidays_.erase(std::unique(holidays_.begin(), holidays_.end()), holidays_.end());
}

bool rule_set::is_holiday(date::local_days day) const noexcept {
    return std::binary_search(holidays_.begin(), holidays_.end(), day);
}

day_window rule_set::window_on(date::local_days day) const noexcept {
    if (is_holiday(day)) {
        return holiday_;
    }
    return days_[date::weekday{day}.c_encoding()];
}

quiet_hours_answer check_quiet_hours(std::span<const zone_clock* const> zones,
                                     std::span<const rule_set* const> rules, time_point t,
                                     milliseconds horizon) {
    const time_point deadline = t + horizon;
    const int max_days = static_cast<int>(std::chrono::ceil<date::days>(horizon).count()) + 1;
    time_point candidate = t;
    // Each round moves the candidate forward to some pair's opening; a bound on rounds keeps a
    // pathological zone set (no common window, many zones) from spinning to the horizon.
    for (int round = 0; round < 256; ++round) {
        time_point latest = candidate;
        for (const zone_clock* z : zones) {
            for (const rule_set* r : rules) {
                const auto open = next_open(*z, *r, candidate, max_days);
                if (!open || *open > deadline) {
                    return {false, std::nullopt};
                }
                latest = std::max(latest, *open);
            }
        }
        if (latest == candidate) {
            if (candidate == t) {
                return {true, std::nullopt};
            }
            return {false, candidate};
        }
        candidate = latest;
    }
    return {false, std::nullopt};
}

}  // namespace smppgw::policy
