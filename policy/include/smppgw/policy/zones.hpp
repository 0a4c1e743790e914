#pragma once
// Number → time zones and number → region, compiled once per config version from map_data.txt,
// area_codes.csv and the overlay table. Lookups are allocation-free and lock-free.

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <date/tz.h>

#include "smppgw/policy/config.hpp"
#include "smppgw/policy/data.hpp"
#include "smppgw/policy/records.hpp"

namespace smppgw::policy {

using local_ms = date::local_time<std::chrono::milliseconds>;

// One IANA zone with its UTC-offset history precomputed for a year range (the "sys_info cache
// with validity range", built once and immutable so threads share it without locks). Instants
// outside the range ask the tz library (system zoneinfo) directly.
class zone_clock {
public:
    zone_clock(const date::time_zone* tz, int from_year, int to_year);

    [[nodiscard]] std::string_view name() const noexcept { return name_; }
    [[nodiscard]] const date::time_zone* tz() const noexcept { return tz_; }

    // The UTC offset in force at t (local = t + offset).
    [[nodiscard]] std::chrono::seconds offset_at(time_point t) const;
    [[nodiscard]] local_ms to_local(time_point t) const;
    // The earliest instant whose local reading is `l`: for an ambiguous reading (clocks set back)
    // its first occurrence; for a reading skipped by a forward jump, the instant of the jump
    // (the first instant whose local reading is past `l`).
    [[nodiscard]] time_point earliest_at(local_ms l) const;

private:
    struct span_info {
        date::sys_seconds begin;
        std::chrono::seconds offset;
    };

    const date::time_zone* tz_;
    std::string name_;
    std::vector<span_info> spans_;  // sorted by begin; spans_[i] holds until spans_[i+1].begin
    date::sys_seconds from_;        // spans_ are authoritative on [from_, to_)
    date::sys_seconds to_;
};

using region_id = std::uint16_t;
inline constexpr region_id unknown_region = 0;  // regions()[0] == "*"

// What the policy needs to know about one destination.
struct number_profile {
    region_id region = unknown_region;
    std::uint32_t zone_set = 0;
    bool fallback_zones = false;  // no usable map_data row: the configured fallback set
};

class number_index {
public:
    // Throws data_error (row with an unknown zone, with file and line) or config_error.
    number_index(const numbering_config& cfg, const policy_data& data);

    [[nodiscard]] number_profile lookup(std::string_view e164_digits) const noexcept;

    [[nodiscard]] std::span<const zone_clock* const> zones(std::uint32_t zone_set) const noexcept {
        return zone_sets_[zone_set];
    }
    [[nodiscard]] std::string_view region_name(region_id r) const noexcept { return regions_[r]; }
    [[nodiscard]] std::span<const std::string> regions() const noexcept { return regions_; }
    // The region id for a name, unknown_region if the data never mentions it.
    [[nodiscard]] region_id find_region(std::string_view name) const noexcept;

    // Convenience for tests, tools and the admin API: zone names for a number.
    [[nodiscard]] std::vector<std::string> zone_names(std::string_view e164_digits) const;

private:
    std::uint32_t intern_zone_set(std::vector<const zone_clock*> zones);
    region_id intern_region(const std::string& name);

    struct nanp_entry {
        region_id region = unknown_region;
        std::uint32_t zone_set = 0;  // 0 = fallback set
        bool fallback = true;
    };

    std::vector<std::unique_ptr<zone_clock>> clocks_;
    std::unordered_map<std::string, const zone_clock*> clock_by_name_;
    std::vector<std::vector<const zone_clock*>> zone_sets_;  // [0] = fallback set
    std::vector<std::string> regions_;                       // [0] = "*"
    std::unordered_map<std::string, region_id> region_by_name_;
    std::vector<nanp_entry> nanp_;  // indexed by NPA, 1000 entries
    // Non-NANP longest prefix: key = digits as a number | length << 56.
    std::unordered_map<std::uint64_t, std::uint32_t> prefix_zones_;
    std::unordered_map<std::uint64_t, region_id> prefix_regions_;
    std::size_t max_zone_prefix_ = 0;
    std::size_t max_region_prefix_ = 0;
};

}  // namespace smppgw::policy
