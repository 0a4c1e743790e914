#pragma once
// SMPP time fields: schedule_delivery_time, validity_period, final_date (SMPP.md §7.4).
//
// On the wire each is either empty ("not set": immediate delivery, SMSC default validity) or
// 16 characters:
//   absolute  YYMMDDhhmmsstnnp  local time, t = tenths, nn = quarter hours from UTC (00-48),
//                               p = '+' (local ahead of UTC) or '-' (behind)
//   relative  YYMMDDhhmmss000R  a period counted from the SMSC's current time
// YY is read as 20YY: the format has no century and SMPP postdates 2000.
//
// Errors are values of time_errc. The field decides the answer: any error on
// schedule_delivery_time is ESME_RINVSCHED, on validity_period ESME_RINVEXPIRY.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace smppgw::smpp {

enum class time_errc {
    bad_length = 1,     // neither empty nor 16 characters
    not_a_digit,        // one of the first 15 positions is not a decimal digit
    bad_indicator,      // 16th character is not '+', '-' or 'R'
    bad_date,           // absolute: month, day, hour, minute or second out of range
    bad_utc_offset,     // absolute: nn above 48
    relative_not_000,   // relative: t and nn must be "000"
    not_representable,  // formatting: outside 2000-2099, offset beyond 48, field above 99
};

[[nodiscard]] const std::error_category& time_category() noexcept;

[[nodiscard]] inline std::error_code make_error_code(time_errc e) noexcept {
    return {static_cast<int>(e), time_category()};
}

using time_ms = std::chrono::sys_time<std::chrono::milliseconds>;

// A relative period exactly as written; years and months are calendar units, so it only turns
// into a duration against a given start (resolve()).
struct relative_period {
    std::uint8_t years = 0;
    std::uint8_t months = 0;
    std::uint8_t days = 0;
    std::uint8_t hours = 0;
    std::uint8_t minutes = 0;
    std::uint8_t seconds = 0;

    friend bool operator==(const relative_period&, const relative_period&) = default;
};

struct smpp_time {
    enum class kind : std::uint8_t { not_set, absolute, relative };

    kind form = kind::not_set;
    // absolute: the instant in UTC, to the tenth of a second, and the sender's offset kept so
    // the value can be written back as it came ("00-" comes back as "00+": same instant).
    time_ms utc{};
    std::int8_t offset_quarter_hours = 0;  // -48..48; +8 = UTC+02:00
    // relative
    relative_period period{};

    [[nodiscard]] bool is_set() const noexcept { return form != kind::not_set; }

    [[nodiscard]] static smpp_time absolute(time_ms at_utc, std::int8_t offset_qh = 0) noexcept {
        smpp_time t;
        t.form = kind::absolute;
        t.utc = at_utc;
        t.offset_quarter_hours = offset_qh;
        return t;
    }
    [[nodiscard]] static smpp_time relative(relative_period p) noexcept {
        smpp_time t;
        t.form = kind::relative;
        t.period = p;
        return t;
    }

    friend bool operator==(const smpp_time&, const smpp_time&) = default;
};

struct smpp_time_result {
    smpp_time time;  // meaningful only when !ec
    std::error_code ec;
};

// Parses a field value as decoded from the PDU (without its terminating NUL; trailing NULs are
// ignored all the same). Empty means not set.
[[nodiscard]] smpp_time_result parse_smpp_time(std::string_view text) noexcept;

// The instant a time stands for: absolute as is; relative counted from `now` (calendar years
// and months first, clamping the day to the end of a shorter month, then the rest). Not set
// gives nullopt.
[[nodiscard]] std::optional<time_ms> resolve(const smpp_time& time, time_ms now) noexcept;

// Wire text: 0 or 16 characters, no NUL.
class smpp_time_text {
public:
    [[nodiscard]] std::string_view view() const noexcept { return {chars_.data(), size_}; }

private:
    friend struct smpp_time_formatter;
    std::array<char, 16> chars_{};
    std::size_t size_ = 0;
};

struct smpp_time_format_result {
    smpp_time_text text;  // meaningful only when !ec
    std::error_code ec;
};

// Absolute times are written in the stored offset (tenths truncated); relative fields above 99
// and years outside 2000-2099 are time_errc::not_representable.
[[nodiscard]] smpp_time_format_result format_smpp_time(const smpp_time& time) noexcept;

// The one way the project writes an instant for people and for JSON (logs, `pdu decode`, the
// admin API, exports): RFC 3339 in UTC with milliseconds, "2024-05-01T12:00:00.000Z". Computed
// from the time point alone, never through localtime(): fmt 9 formats system_clock time points
// in the process's local zone, which put local hours before a 'Z' whenever TZ was not UTC.
[[nodiscard]] std::string format_utc(time_ms t);

}  // namespace smppgw::smpp

template <>
struct std::is_error_code_enum<smppgw::smpp::time_errc> : std::true_type {};
