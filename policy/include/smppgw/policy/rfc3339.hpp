#pragma once
// RFC 3339 instants as the admin API, exports and imports write and read them.

#include <optional>
#include <string>
#include <string_view>

#include "smppgw/policy/records.hpp"

namespace smppgw::policy {

// "2024-05-01T12:00:00.000Z": always UTC, always milliseconds.
[[nodiscard]] std::string format_time(time_point t);
// Accepts YYYY-MM-DDTHH:MM:SS (T or t), an optional fraction (digits beyond milliseconds are
// truncated; a bare '.' is refused), then Z, z, +HH:MM or -HH:MM; a leap second (:60) rolls
// into the next minute. Nothing else: no spaces, no +HHMM, nothing after the zone.
[[nodiscard]] std::optional<time_point> parse_time(std::string_view s) noexcept;

}  // namespace smppgw::policy
