#pragma once
// Option-value parsing shared by smsc-sim and smppgw-bench: durations, weight lists, number
// ranges. Bad values throw usage_error, which the tools' mains turn into a message and exit
// code 2 (exceptions are fine at startup).

#include <chrono>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "common/rng.hpp"

namespace smppgw::bench {

class usage_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// "0", "250us", "20ms", "1.5s", "2m", "1h". A unit is required for anything but 0 so that
// "--ack-latency 20" cannot silently mean 20 seconds or 20 nanoseconds.
[[nodiscard]] std::chrono::nanoseconds parse_duration(std::string_view text, std::string_view what);

// "1.5" -> 1.5; non-negative, finite.
[[nodiscard]] double parse_non_negative(std::string_view text, std::string_view what);
// A share in [0, 1]; also accepts "5%".
[[nodiscard]] double parse_share(std::string_view text, std::string_view what);
[[nodiscard]] std::uint64_t parse_unsigned(std::string_view text, std::string_view what);

// "A=0.9,B=0.1" (weights need not sum to 1; they are normalised). Names are kept as written.
[[nodiscard]] std::vector<weighted_name> parse_weights(std::string_view text,
                                                       std::string_view what);

// Comma-separated list, empty items dropped, spaces trimmed.
[[nodiscard]] std::vector<std::string> split_list(std::string_view text);

// Numbers for --mo-from, --optout-range and similar: a comma-separated list whose items are
// single numbers ("18005550100") or ranges "BASE:COUNT" ("12125550000:1000" = 1000 numbers).
// Digits only (E.164 without '+'), up to 20 of them.
class number_set {
public:
    number_set() = default;
    static number_set parse(std::string_view text, std::string_view what);

    [[nodiscard]] bool empty() const noexcept { return total_ == 0; }
    [[nodiscard]] std::uint64_t size() const noexcept { return total_; }
    // The i-th number (0 <= i < size()), written as digits into `out` (at least 21 bytes);
    // returns its length.
    std::size_t at(std::uint64_t i, char* out) const noexcept;
    [[nodiscard]] std::string at(std::uint64_t i) const;
    // Membership, for ranges and single numbers alike.
    [[nodiscard]] bool contains(std::string_view digits) const noexcept;

private:
    struct range {
        std::uint64_t base = 0;
        std::uint64_t count = 0;
        std::uint8_t width = 0;  // digits of base, so leading zeros survive
    };
    std::vector<range> ranges_;
    std::uint64_t total_ = 0;
};

// Formats a duration for humans: "250us", "20ms", "1.5s".
[[nodiscard]] std::string format_duration(std::chrono::nanoseconds d);

// Runs a tool's main body: usage_error (and Boost.Program_options errors, caught by the caller)
// become "<tool>: error: <what>" and exit code 2; other exceptions exit 1.
int run_tool(std::string_view tool, const std::function<int()>& body);

}  // namespace smppgw::bench
