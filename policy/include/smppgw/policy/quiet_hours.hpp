#pragma once
// Quiet hours and days: is an instant allowed in every zone of a recipient under every rule set
// of its region, and if not, the earliest instant that is.

#include <array>
#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <date/date.h>

#include "smppgw/policy/config.hpp"
#include "smppgw/policy/data.hpp"
#include "smppgw/policy/records.hpp"
#include "smppgw/policy/zones.hpp"

namespace smppgw::policy {

// A rule set with its holiday calendars merged, ready to answer "which window on this local
// date". Immutable after construction.
class rule_set {
public:
    // Throws config_error for a window out of range or an unknown calendar name.
    rule_set(const rule_set_config& cfg, std::span<const holiday_calendar> calendars);

    [[nodiscard]] const std::string& name() const noexcept { return name_; }
    [[nodiscard]] day_window window_on(date::local_days day) const noexcept;
    [[nodiscard]] bool is_holiday(date::local_days day) const noexcept;

private:
    std::string name_;
    std::array<day_window, 7> days_;
    day_window holiday_;
    std::vector<date::local_days> holidays_;  // sorted, unique
};

struct quiet_hours_answer {
    bool allowed = false;
    // Not allowed: the earliest instant > t allowed in every zone by every rule set; nullopt
    // when there is none within the horizon (the zones share no window).
    std::optional<time_point> next;
};

// Allowed iff, for every zone and every rule set, the local time at t lies in that rule set's
// window for that local date (weekday or holiday). Otherwise finds the earliest common instant:
// each failing (zone, rule set) pair names the earliest instant at or after the candidate when
// it opens, the candidate jumps to the latest of those, and this repeats until every pair
// agrees. No common instant can lie before the latest pair's opening, so the first candidate all
// pairs accept is the earliest. Window starts skipped by a DST jump open at the jump; windows
// swallowed by it are skipped; an ambiguous start opens at its first occurrence.
[[nodiscard]] quiet_hours_answer check_quiet_hours(std::span<const zone_clock* const> zones,
                                                   std::span<const rule_set* const> rules,
                                                   time_point t, std::chrono::milliseconds horizon);

}  // namespace smppgw::policy
