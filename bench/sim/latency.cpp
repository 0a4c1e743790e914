#include "sim/latency.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "common/cli.hpp"

namespace smppgw::bench::sim {
namespace {

constexpr double z99 = 2.3263478740408408;  // standard normal quantile at 0.99

std::vector<std::string_view> split_colon(std::string_view s) {
    std::vector<std::string_view> parts;
    while (true) {
        const auto c = s.find(':');
        parts.push_back(s.substr(0, c));
        if (c == std::string_view::npos) {
            break;
        }
        s.remove_prefix(c + 1);
    }
    return parts;
}

// Box-Muller; one normal per call is enough at our rates.
double standard_normal(rng& r) noexcept {
    double u1 = r.uniform();
    while (u1 <= 0) {
        u1 = r.uniform();
    }
    const double u2 = r.uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

}  // namespace

latency_spec latency_spec::fixed(std::chrono::nanoseconds d) {
    latency_spec s;
    s.a_ = d;
    return s;
}

latency_spec latency_spec::parse(std::string_view text, std::string_view what) {
    const auto parts = split_colon(text);
    if (parts.size() == 1) {
        return fixed(parse_duration(parts[0], what));
    }
    latency_spec s;
    if (parts.size() != 3) {
        throw usage_error(fmt::format(
            "{}: '{}' is not DURATION, uniform:LOW:HIGH or lognormal:MEDIAN:P99", what, text));
    }
    s.a_ = parse_duration(parts[1], what);
    s.b_ = parse_duration(parts[2], what);
    if (parts[0] == "uniform") {
        s.kind_ = kind::uniform;
        if (s.b_ < s.a_) {
            throw usage_error(fmt::format("{}: '{}': HIGH is below LOW", what, text));
        }
    } else if (parts[0] == "lognormal") {
        s.kind_ = kind::lognormal;
        if (s.a_.count() <= 0 || s.b_ <= s.a_) {
            throw usage_error(
                fmt::format("{}: '{}': lognormal needs 0 < MEDIAN < P99", what, text));
        }
        s.mu_ = std::log(static_cast<double>(s.a_.count()));
        s.sigma_ =
            std::log(static_cast<double>(s.b_.count()) / static_cast<double>(s.a_.count())) / z99;
    } else {
        throw usage_error(fmt::format("{}: '{}': unknown distribution '{}' (uniform, lognormal)",
                                      what, text, parts[0]));
    }
    return s;
}

std::chrono::nanoseconds latency_spec::sample(rng& r) const noexcept {
    switch (kind_) {
        case kind::fixed:
            return a_;
        case kind::uniform: {
            const auto span = static_cast<std::uint64_t>((b_ - a_).count());
            return a_ + std::chrono::nanoseconds(
                            static_cast<std::int64_t>(span == 0 ? 0 : r.below(span + 1)));
        }
        case kind::lognormal: {
            const double v = std::exp(mu_ + sigma_ * standard_normal(r));
            const double cap = 10.0 * static_cast<double>(b_.count());
            return std::chrono::nanoseconds(static_cast<std::int64_t>(std::min(v, cap)));
        }
    }
    return a_;
}

std::string latency_spec::describe() const {
    switch (kind_) {
        case kind::fixed:
            return format_duration(a_);
        case kind::uniform:
            return fmt::format("uniform:{}:{}", format_duration(a_), format_duration(b_));
        case kind::lognormal:
            return fmt::format("lognormal:{}:{}", format_duration(a_), format_duration(b_));
    }
    return {};
}

}  // namespace smppgw::bench::sim
