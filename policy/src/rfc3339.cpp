#include "smppgw/policy/rfc3339.hpp"

#include <chrono>

#include "smppgw/smpp/smpp_time.hpp"

namespace smppgw::policy {

using namespace std::chrono;

// The project's one formatter (smpp::format_utc); the admin API and exports write what the
// logs write.
std::string format_time(time_point t) {
    return smpp::format_utc(t);
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

std::optional<time_point> parse_time(std::string_view s) noexcept {
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

}  // namespace smppgw::policy
