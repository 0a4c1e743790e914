#pragma once
// Loading the data files the engine is built from. Config-build time only (never on the decision
// path): each parser takes a stream plus the name to cite in errors, and every error says file
// and line ("map_data.txt:42: ...").

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <date/date.h>

#include "smppgw/policy/config.hpp"

namespace smppgw::policy {

class data_error : public std::runtime_error {
public:
    data_error(std::string file, std::size_t line, const std::string& what);
    [[nodiscard]] const std::string& file() const noexcept { return file_; }
    [[nodiscard]] std::size_t line() const noexcept { return line_; }  // 0: the whole file

private:
    std::string file_;
    std::size_t line_;
};

// A config that cannot be compiled (unknown rule set name, window out of range, ...).
class config_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// libphonenumber map_data.txt: `prefix|Zone1&Zone2`, '#' comments, blank lines.
struct zone_map_row {
    std::string prefix;  // E.164 digits
    std::vector<std::string> zones;
    std::size_t line = 0;
};
struct zone_map_data {
    std::string source;  // file name for errors
    std::vector<zone_map_row> rows;
};
[[nodiscard]] zone_map_data parse_zone_map(std::istream& in, std::string_view source);

// area_codes.csv: `npa,region` after a `npa,region` header, '#' comments.
struct area_code_row {
    std::uint16_t npa = 0;
    std::string region;
    std::size_t line = 0;
};
struct area_code_data {
    std::string source;
    std::vector<area_code_row> rows;
};
[[nodiscard]] area_code_data parse_area_codes(std::istream& in, std::string_view source);

// overlays.csv: `overlay,parent` after a header, one row per (overlay, parent) pair.
[[nodiscard]] std::vector<overlay_config> parse_overlays(std::istream& in, std::string_view source);

// Holiday calendar: `YYYY-MM-DD [name]` per line, '#' comments. Dates are local civil dates in
// the recipient's zone.
struct holiday_calendar {
    std::string name;
    std::string source;
    std::vector<date::sys_days> days;  // sorted, unique
};
[[nodiscard]] holiday_calendar parse_holidays(std::istream& in, std::string_view name,
                                              std::string_view source);

// Everything build_engine() needs besides the config.
struct policy_data {
    zone_map_data zone_map;
    area_code_data area_codes;
    std::vector<overlay_config> overlays;  // from the data file, merged over config's
    std::vector<holiday_calendar> holidays;
};

// Opens and parses every file named in `paths`; throws data_error.
[[nodiscard]] policy_data load_policy_data(const data_paths& paths);

}  // namespace smppgw::policy
