#include "common/cli.hpp"

#include <charconv>
#include <cmath>
#include <iostream>

#include <fmt/format.h>
#include <boost/program_options/errors.hpp>

namespace smppgw::bench {
namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

[[noreturn]] void bad(std::string_view what, std::string_view text, std::string_view why) {
    throw usage_error(fmt::format("{}: '{}' {}", what, text, why));
}

double parse_double(std::string_view text, std::string_view what) {
    text = trim(text);
    double v = 0;
    const auto* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, v);
    if (text.empty() || ec != std::errc{} || ptr != end || !std::isfinite(v)) {
        bad(what, text, "is not a number");
    }
    return v;
}

}  // namespace

std::chrono::nanoseconds parse_duration(std::string_view text, std::string_view what) {
    const std::string_view t = trim(text);
    std::size_t i = 0;
    while (i < t.size() && ((t[i] >= '0' && t[i] <= '9') || t[i] == '.')) {
        ++i;
    }
    const std::string_view number = t.substr(0, i);
    const std::string_view unit = t.substr(i);
    if (number.empty()) {
        bad(what, text, "is not a duration (examples: 0, 250us, 20ms, 1.5s, 2m)");
    }
    const double v = parse_double(number, what);
    double scale = 0;
    if (unit == "ns") {
        scale = 1;
    } else if (unit == "us") {
        scale = 1e3;
    } else if (unit == "ms") {
        scale = 1e6;
    } else if (unit == "s") {
        scale = 1e9;
    } else if (unit == "m" || unit == "min") {
        scale = 60e9;
    } else if (unit == "h") {
        scale = 3600e9;
    } else if (unit.empty() && v == 0) {
        scale = 0;
    } else if (unit.empty()) {
        bad(what, text, "needs a unit (ns, us, ms, s, m, h)");
    } else {
        bad(what, text, "has an unknown unit (ns, us, ms, s, m, h)");
    }
    const double ns = v * scale;
    if (ns > 1e18) {
        bad(what, text, "is too long");
    }
    return std::chrono::nanoseconds(static_cast<std::int64_t>(std::llround(ns)));
}

double parse_non_negative(std::string_view text, std::string_view what) {
    const double v = parse_double(text, what);
    if (v < 0) {
        bad(what, text, "must not be negative");
    }
    return v;
}

double parse_share(std::string_view text, std::string_view what) {
    std::string_view t = trim(text);
    double scale = 1;
    if (!t.empty() && t.back() == '%') {
        t.remove_suffix(1);
        scale = 0.01;
    }
    const double v = parse_double(t, what) * scale;
    if (v < 0 || v > 1) {
        bad(what, text, "must be a share between 0 and 1 (or 0% to 100%)");
    }
    return v;
}

std::uint64_t parse_unsigned(std::string_view text, std::string_view what) {
    const std::string_view t = trim(text);
    std::uint64_t v = 0;
    const auto* end = t.data() + t.size();
    const auto [ptr, ec] = std::from_chars(t.data(), end, v);
    if (t.empty() || ec != std::errc{} || ptr != end) {
        bad(what, text, "is not a non-negative integer");
    }
    return v;
}

std::vector<std::string> split_list(std::string_view text) {
    std::vector<std::string> out;
    while (!text.empty()) {
        const auto comma = text.find(',');
        const auto item = trim(text.substr(0, comma));
        if (!item.empty()) {
            out.emplace_back(item);
        }
        if (comma == std::string_view::npos) {
            break;
        }
        text.remove_prefix(comma + 1);
    }
    return out;
}

std::vector<weighted_name> parse_weights(std::string_view text, std::string_view what) {
    std::vector<weighted_name> out;
    double total = 0;
    for (const auto& item : split_list(text)) {
        const auto eq = item.find('=');
        if (eq == std::string::npos || eq == 0) {
            bad(what, item, "is not NAME=WEIGHT");
        }
        weighted_name w;
        w.name = std::string(trim(std::string_view(item).substr(0, eq)));
        w.weight = parse_non_negative(std::string_view(item).substr(eq + 1), what);
        for (const auto& seen : out) {
            if (seen.name == w.name) {
                bad(what, w.name, "appears twice");
            }
        }
        total += w.weight;
        out.push_back(std::move(w));
    }
    if (out.empty() || total <= 0) {
        bad(what, text, "needs at least one NAME=WEIGHT with a positive weight");
    }
    return out;
}

number_set number_set::parse(std::string_view text, std::string_view what) {
    number_set set;
    for (const auto& item : split_list(text)) {
        const auto colon = item.find(':');
        const std::string_view digits = trim(std::string_view(item).substr(0, colon));
        if (digits.empty() || digits.size() > 19 ||
            digits.find_first_not_of("0123456789") != std::string_view::npos) {
            bad(what, item, "is not a number of up to 19 digits (E.164 without '+')");
        }
        range r;
        r.base = parse_unsigned(digits, what);
        r.width = static_cast<std::uint8_t>(digits.size());
        r.count = 1;
        if (colon != std::string::npos) {
            r.count = parse_unsigned(std::string_view(item).substr(colon + 1), what);
            if (r.count == 0) {
                bad(what, item, "has a count of 0");
            }
        }
        // The last number of the range must keep the width (no carry into a new digit).
        std::uint64_t limit = 1;
        for (unsigned i = 0; i < r.width; ++i) {
            limit *= 10;
        }
        if (r.count > limit - r.base) {
            bad(what, item, "runs past the last number of that width");
        }
        set.total_ += r.count;
        set.ranges_.push_back(r);
    }
    if (set.total_ == 0) {
        bad(what, text, "is empty");
    }
    return set;
}

std::size_t number_set::at(std::uint64_t i, char* out) const noexcept {
    for (const auto& r : ranges_) {
        if (i < r.count) {
            std::uint64_t v = r.base + i;
            for (std::size_t d = r.width; d-- > 0;) {
                out[d] = static_cast<char>('0' + v % 10);
                v /= 10;
            }
            out[r.width] = '\0';
            return r.width;
        }
        i -= r.count;
    }
    out[0] = '\0';
    return 0;
}

std::string number_set::at(std::uint64_t i) const {
    char buf[24];
    const auto n = at(i, buf);
    return {buf, n};
}

bool number_set::contains(std::string_view digits) const noexcept {
    if (digits.empty() || digits.size() > 19) {
        return false;
    }
    std::uint64_t v = 0;
    for (char c : digits) {
        if (c < '0' || c > '9') {
            return false;
        }
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    for (const auto& r : ranges_) {
        if (r.width == digits.size() && v >= r.base && v - r.base < r.count) {
            return true;
        }
    }
    return false;
}

std::string format_duration(std::chrono::nanoseconds d) {
    const auto ns = d.count();
    if (ns == 0) {
        return "0";
    }
    if (ns % 1'000'000'000 == 0) {
        return fmt::format("{}s", ns / 1'000'000'000);
    }
    if (ns >= 1'000'000'000) {
        return fmt::format("{:g}s", static_cast<double>(ns) / 1e9);
    }
    if (ns % 1'000'000 == 0) {
        return fmt::format("{}ms", ns / 1'000'000);
    }
    if (ns >= 1'000'000) {
        return fmt::format("{:g}ms", static_cast<double>(ns) / 1e6);
    }
    if (ns % 1'000 == 0) {
        return fmt::format("{}us", ns / 1'000);
    }
    return fmt::format("{}ns", ns);
}

int run_tool(std::string_view tool, const std::function<int()>& body) {
    try {
        return body();
    } catch (const usage_error& e) {
        std::cerr << tool << ": error: " << e.what() << "\n(try " << tool << " --help)\n";
        return 2;
    } catch (const boost::program_options::error& e) {
        std::cerr << tool << ": error: " << e.what() << "\n(try " << tool << " --help)\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << tool << ": fatal: " << e.what() << '\n';
        return 1;
    }
}

}  // namespace smppgw::bench
