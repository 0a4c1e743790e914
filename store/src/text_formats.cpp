#include "text_formats.hpp"

#include <charconv>
#include <chrono>
#include <istream>

#include <fmt/format.h>

namespace smppgw::store::detail {

using namespace std::chrono;

std::string format_time(policy::time_point t) {
    const auto day = floor<days>(t);
    const year_month_day ymd{day};
    const hh_mm_ss hms{t - day};
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", static_cast<int>(ymd.year()),
                       static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                       hms.hours().count(), hms.minutes().count(), hms.seconds().count(),
                       hms.subseconds().count());
}

namespace {

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) noexcept {
    if (pos + n > s.size()) {
        return false;
    }
    int v = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        v = v * 10 + (s[i] - '0');
    }
    out = v;
    return true;
}

}  // namespace

std::optional<policy::time_point> parse_time(std::string_view s) noexcept {
    int y = 0;
    int mo = 0;
    int d = 0;
    int h = 0;
    int mi = 0;
    int se = 0;
    if (s.size() < 20 || !digits(s, 0, 4, y) || s[4] != '-' || !digits(s, 5, 2, mo) ||
        s[7] != '-' || !digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't') ||
        !digits(s, 11, 2, h) || s[13] != ':' || !digits(s, 14, 2, mi) || s[16] != ':' ||
        !digits(s, 17, 2, se)) {
        return std::nullopt;
    }
    const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)},
                             day{static_cast<unsigned>(d)}};
    if (!ymd.ok() || h > 23 || mi > 59 || se > 60) {
        return std::nullopt;
    }
    std::size_t pos = 19;
    std::int64_t ms = 0;
    if (s[pos] == '.') {
        ++pos;
        const auto start = pos;
        int scale = 100;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
            ms += (s[pos] - '0') * scale;
            scale /= 10;
            ++pos;
        }
        if (pos == start) {
            return std::nullopt;
        }
    }
    minutes offset{0};
    if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z') && pos + 1 == s.size()) {
        // UTC
    } else if (pos + 6 == s.size() && (s[pos] == '+' || s[pos] == '-') && s[pos + 3] == ':') {
        int oh = 0;
        int om = 0;
        if (!digits(s, pos + 1, 2, oh) || !digits(s, pos + 4, 2, om) || oh > 23 || om > 59) {
            return std::nullopt;
        }
        offset = hours{oh} + minutes{om};
        if (s[pos] == '-') {
            offset = -offset;
        }
    } else {
        return std::nullopt;
    }
    const auto t = sys_days{ymd} + hours{h} + minutes{mi} + seconds{se} + milliseconds{ms} - offset;
    return time_point_cast<milliseconds>(t);
}

bool csv_reader::read_line(std::string& line) {
    if (!std::getline(in_, line)) {
        eof_ = true;
        return false;
    }
    ++lines_;
    if (!line.empty() && line.back() == '\r') {
        line.pop_back();
    }
    return true;
}

bool csv_reader::next(std::vector<std::string>& fields) {
    error_.clear();
    blank_ = false;
    if (!read_line(line_)) {
        return false;
    }
    record_line_ = lines_;
    fields.clear();
    if (line_.empty()) {
        blank_ = true;
        return true;
    }
    fields.emplace_back();
    bool quoted = false;       // inside a quoted field
    bool after_quote = false;  // a quoted field just closed: only a comma may follow
    std::size_t i = 0;
    for (;;) {
        if (i == line_.size()) {
            if (!quoted) {
                return true;
            }
            // A quoted field spans lines: keep the line break and read on.
            fields.back().push_back('\n');
            if (!read_line(line_)) {
                error_ = "unterminated quoted field at end of input";
                return false;
            }
            i = 0;
            continue;
        }
        const char c = line_[i++];
        if (quoted) {
            if (c == '"') {
                if (i < line_.size() && line_[i] == '"') {
                    fields.back().push_back('"');
                    ++i;
                } else {
                    quoted = false;
                    after_quote = true;
                }
            } else {
                fields.back().push_back(c);
            }
            continue;
        }
        if (c == ',') {
            fields.emplace_back();
            after_quote = false;
            continue;
        }
        if (after_quote) {
            error_ = "unexpected character after a closing quote";
            return false;
        }
        if (c == '"' && fields.back().empty()) {
            quoted = true;
            continue;
        }
        if (c == '"') {
            error_ = "quote inside an unquoted field";
            return false;
        }
        fields.back().push_back(c);
    }
}

void write_csv_field(std::string& out, std::string_view field) {
    const bool quote = field.find_first_of(",\"\r\n") != std::string_view::npos ||
                       (!field.empty() && (field.front() == ' ' || field.back() == ' '));
    if (!quote) {
        out.append(field);
        return;
    }
    out.push_back('"');
    for (const char c : field) {
        if (c == '"') {
            out.push_back('"');
        }
        out.push_back(c);
    }
    out.push_back('"');
}

}  // namespace smppgw::store::detail
