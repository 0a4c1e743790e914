#include "smppgw/smpp/smpp_time.hpp"

#include <string>

#include <fmt/format.h>

namespace smppgw::smpp {

namespace {

constexpr std::size_t wire_length = 16;
constexpr int max_offset_quarter_hours = 48;

class time_category_impl final : public std::error_category {
public:
    [[nodiscard]] const char* name() const noexcept override { return "smppgw.smpp.time"; }

    [[nodiscard]] std::string message(int value) const override {
        switch (static_cast<time_errc>(value)) {
            case time_errc::bad_length:
                return "SMPP time is neither empty nor 16 characters";
            case time_errc::not_a_digit:
                return "SMPP time has a non-digit in its first 15 characters";
            case time_errc::bad_indicator:
                return "SMPP time does not end in '+', '-' or 'R'";
            case time_errc::bad_date:
                return "absolute SMPP time names no valid date and time of day";
            case time_errc::bad_utc_offset:
                return "absolute SMPP time has a UTC offset above 48 quarter hours";
            case time_errc::relative_not_000:
                return "relative SMPP time must have 000 before the R";
            case time_errc::not_representable:
                return "time cannot be written in the SMPP format";
        }
        return "unknown SMPP time error";
    }
};

constexpr bool is_digit(char c) noexcept {
    return c >= '0' && c <= '9';
}

// Two digits at `pos`; the caller has checked they are digits.
constexpr unsigned two_digits(std::string_view s, std::size_t pos) noexcept {
    return static_cast<unsigned>(s[pos] - '0') * 10U + static_cast<unsigned>(s[pos + 1] - '0');
}

void put_two_digits(char* out, unsigned value) noexcept {
    out[0] = static_cast<char>('0' + value / 10U);
    out[1] = static_cast<char>('0' + value % 10U);
}

}  // namespace

const std::error_category& time_category() noexcept {
    static const time_category_impl category;
    return category;
}

smpp_time_result parse_smpp_time(std::string_view text) noexcept {
    while (!text.empty() && text.back() == '\0') {
        text.remove_suffix(1);
    }
    smpp_time_result result;
    if (text.empty()) {
        return result;
    }
    if (text.size() != wire_length) {
        result.ec = time_errc::bad_length;
        return result;
    }
    const char indicator = text[15];
    if (indicator != '+' && indicator != '-' && indicator != 'R') {
        result.ec = time_errc::bad_indicator;
        return result;
    }
    for (std::size_t i = 0; i < 15; ++i) {
        if (!is_digit(text[i])) {
            result.ec = time_errc::not_a_digit;
            return result;
        }
    }

    if (indicator == 'R') {
        if (text.substr(12, 3) != "000") {
            result.ec = time_errc::relative_not_000;
            return result;
        }
        // Relative fields are counts, not calendar positions: "72 hours" is legal.
        relative_period p;
        p.years = static_cast<std::uint8_t>(two_digits(text, 0));
        p.months = static_cast<std::uint8_t>(two_digits(text, 2));
        p.days = static_cast<std::uint8_t>(two_digits(text, 4));
        p.hours = static_cast<std::uint8_t>(two_digits(text, 6));
        p.minutes = static_cast<std::uint8_t>(two_digits(text, 8));
        p.seconds = static_cast<std::uint8_t>(two_digits(text, 10));
        result.time = smpp_time::relative(p);
        return result;
    }

    const unsigned offset = two_digits(text, 13);
    if (offset > max_offset_quarter_hours) {
        result.ec = time_errc::bad_utc_offset;
        return result;
    }
    const unsigned hour = two_digits(text, 6);
    const unsigned minute = two_digits(text, 8);
    const unsigned second = two_digits(text, 10);
    const std::chrono::year_month_day date{
        std::chrono::year{2000 + static_cast<int>(two_digits(text, 0))},
        std::chrono::month{two_digits(text, 2)}, std::chrono::day{two_digits(text, 4)}};
    if (!date.ok() || hour > 23 || minute > 59 || second > 59) {
        result.ec = time_errc::bad_date;
        return result;
    }
    const auto tenths = static_cast<unsigned>(text[12] - '0');
    const time_ms local = std::chrono::sys_days{date} + std::chrono::hours{hour} +
                          std::chrono::minutes{minute} + std::chrono::seconds{second} +
                          std::chrono::milliseconds{tenths * 100U};
    const auto signed_offset = static_cast<std::int8_t>(
        indicator == '-' ? -static_cast<int>(offset) : static_cast<int>(offset));
    // '+' means local time is ahead of UTC, so UTC = local - offset.
    const time_ms utc = local - std::chrono::minutes{15 * static_cast<int>(signed_offset)};
    result.time = smpp_time::absolute(utc, signed_offset);
    return result;
}

std::optional<time_ms> resolve(const smpp_time& time, time_ms now) noexcept {
    using namespace std::chrono;
    switch (time.form) {
        case smpp_time::kind::not_set:
            return std::nullopt;
        case smpp_time::kind::absolute:
            return time.utc;
        case smpp_time::kind::relative:
            break;
    }
    const relative_period& p = time.period;
    const sys_days today = floor<days>(now);
    const milliseconds time_of_day = now - today;
    year_month_day date = year_month_day{today} + years{p.years} + months{p.months};
    if (!date.ok()) {
        // 31 January + 1 month: the spec is silent; the end of February is the least surprise.
        date = date.year() / date.month() / last;
    }
    return sys_days{date} + time_of_day + days{p.days} + hours{p.hours} + minutes{p.minutes} +
           seconds{p.seconds};
}

struct smpp_time_formatter {
    static smpp_time_format_result format(const smpp_time& time) noexcept {
        using namespace std::chrono;
        smpp_time_format_result result;
        char* out = result.text.chars_.data();
        switch (time.form) {
            case smpp_time::kind::not_set:
                return result;
            case smpp_time::kind::relative: {
                const relative_period& p = time.period;
                for (const unsigned field :
                     {unsigned{p.years}, unsigned{p.months}, unsigned{p.days}, unsigned{p.hours},
                      unsigned{p.minutes}, unsigned{p.seconds}}) {
                    if (field > 99) {
                        result.ec = time_errc::not_representable;
                        return result;
                    }
                    put_two_digits(out, field);
                    out += 2;
                }
                out[0] = '0';
                out[1] = '0';
                out[2] = '0';
                out[3] = 'R';
                result.text.size_ = wire_length;
                return result;
            }
            case smpp_time::kind::absolute:
                break;
        }
        const int offset = time.offset_quarter_hours;
        if (offset < -max_offset_quarter_hours || offset > max_offset_quarter_hours) {
            result.ec = time_errc::not_representable;
            return result;
        }
        const time_ms local = time.utc + minutes{15 * offset};
        const sys_days day = floor<days>(local);
        const year_month_day date{day};
        const int year = static_cast<int>(date.year());
        if (year < 2000 || year > 2099) {
            result.ec = time_errc::not_representable;
            return result;
        }
        const hh_mm_ss<milliseconds> clock{local - day};
        put_two_digits(out, static_cast<unsigned>(year - 2000));
        put_two_digits(out + 2, static_cast<unsigned>(date.month()));
        put_two_digits(out + 4, static_cast<unsigned>(date.day()));
        put_two_digits(out + 6, static_cast<unsigned>(clock.hours().count()));
        put_two_digits(out + 8, static_cast<unsigned>(clock.minutes().count()));
        put_two_digits(out + 10, static_cast<unsigned>(clock.seconds().count()));
        out[12] = static_cast<char>('0' + clock.subseconds().count() / 100);
        put_two_digits(out + 13, static_cast<unsigned>(offset < 0 ? -offset : offset));
        out[15] = offset < 0 ? '-' : '+';
        result.text.size_ = wire_length;
        return result;
    }
};

smpp_time_format_result format_smpp_time(const smpp_time& time) noexcept {
    return smpp_time_formatter::format(time);
}

std::string format_utc(time_ms t) {
    using namespace std::chrono;
    const auto day = floor<days>(t);
    const year_month_day ymd{day};
    const hh_mm_ss hms{t - day};
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", static_cast<int>(ymd.year()),
                       static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                       hms.hours().count(), hms.minutes().count(), hms.seconds().count(),
                       hms.subseconds().count());
}

}  // namespace smppgw::smpp
