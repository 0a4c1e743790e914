// Data file parsers. Config-build time only; every error names file and line.
#include "smppgw/policy/data.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <istream>

#include <fmt/format.h>

namespace smppgw::policy {
namespace {

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
        s.remove_suffix(1);
    }
    return s;
}

bool all_digits(std::string_view s) noexcept {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Calls f(line_number, content) for every non-blank, non-comment line.
template <typename F>
void for_each_line(std::istream& in, F&& f) {
    std::string line;
    std::size_t n = 0;
    while (std::getline(in, line)) {
        ++n;
        const std::string_view t = trim(line);
        if (t.empty() || t.front() == '#') {
            continue;
        }
        f(n, t);
    }
}

std::uint16_t parse_npa(std::string_view s, const std::string& source, std::size_t line) {
    unsigned v = 0;
    if (s.size() != 3 || !all_digits(s) ||
        std::from_chars(s.data(), s.data() + s.size(), v).ec != std::errc{} || v < 200) {
        throw data_error(source, line, fmt::format("bad area code '{}'", s));
    }
    return static_cast<std::uint16_t>(v);
}

std::ifstream open(const std::string& path) {
    std::ifstream in(path);
    if (!in) {
        throw data_error(path, 0, "cannot open file");
    }
    return in;
}

}  // namespace

data_error::data_error(std::string file, std::size_t line, const std::string& what)
    : std::runtime_error(line == 0 ? fmt::format("{}: {}", file, what)
                                   : fmt::format("{}:{}: {}", file, line, what)),
      file_(std::move(file)),
      line_(line) {}

zone_map_data parse_zone_map(std::istream& in, std::string_view source) {
    zone_map_data out;
    out.source = std::string(source);
    for_each_line(in, [&](std::size_t line, std::string_view t) {
        const auto bar = t.find('|');
        if (bar == std::string_view::npos) {
            throw data_error(out.source, line, "expected 'prefix|Zone&Zone'");
        }
        zone_map_row row;
        row.line = line;
        row.prefix = std::string(trim(t.substr(0, bar)));
        if (!all_digits(row.prefix) || row.prefix.size() > 15) {
            throw data_error(out.source, line, fmt::format("bad prefix '{}'", row.prefix));
        }
        std::string_view zones = t.substr(bar + 1);
        while (!zones.empty()) {
            const auto amp = zones.find('&');
            const std::string_view z = trim(zones.substr(0, amp));
            if (z.empty()) {
                throw data_error(out.source, line, "empty zone name");
            }
            row.zones.emplace_back(z);
            zones = amp == std::string_view::npos ? std::string_view{} : zones.substr(amp + 1);
        }
        if (row.zones.empty()) {
            throw data_error(out.source, line, "no zones");
        }
        out.rows.push_back(std::move(row));
    });
    return out;
}

area_code_data parse_area_codes(std::istream& in, std::string_view source) {
    area_code_data out;
    out.source = std::string(source);
    bool header = true;
    for_each_line(in, [&](std::size_t line, std::string_view t) {
        if (header) {
            header = false;
            if (t == "npa,region") {
                return;
            }
        }
        const auto comma = t.find(',');
        if (comma == std::string_view::npos) {
            throw data_error(out.source, line, "expected 'npa,region'");
        }
        area_code_row row;
        row.line = line;
        row.npa = parse_npa(trim(t.substr(0, comma)), out.source, line);
        row.region = std::string(trim(t.substr(comma + 1)));
        if (row.region.empty() || row.region.find(',') != std::string::npos) {
            throw data_error(out.source, line, "bad region");
        }
        out.rows.push_back(std::move(row));
    });
    return out;
}

std::vector<overlay_config> parse_overlays(std::istream& in, std::string_view source) {
    const std::string src(source);
    std::vector<overlay_config> out;
    bool header = true;
    for_each_line(in, [&](std::size_t line, std::string_view t) {
        if (header) {
            header = false;
            if (t == "overlay,parent") {
                return;
            }
        }
        const auto comma = t.find(',');
        if (comma == std::string_view::npos) {
            throw data_error(src, line, "expected 'overlay,parent'");
        }
        const auto npa = parse_npa(trim(t.substr(0, comma)), src, line);
        const auto parent = parse_npa(trim(t.substr(comma + 1)), src, line);
        auto it = std::find_if(out.begin(), out.end(),
                               [&](const overlay_config& o) { return o.npa == npa; });
        if (it == out.end()) {
            out.push_back({npa, {parent}});
        } else {
            it->parents.push_back(parent);
        }
    });
    return out;
}

holiday_calendar parse_holidays(std::istream& in, std::string_view name, std::string_view source) {
    holiday_calendar out;
    out.name = std::string(name);
    out.source = std::string(source);
    for_each_line(in, [&](std::size_t line, std::string_view t) {
        // YYYY-MM-DD, then optional whitespace and a free-text name.
        int y = 0;
        unsigned m = 0;
        unsigned d = 0;
        const std::string_view ds = t.substr(0, 10);
        const bool shape = ds.size() == 10 && ds[4] == '-' && ds[7] == '-' &&
                           (t.size() == 10 || t[10] == ' ' || t[10] == '\t');
        if (!shape || std::from_chars(ds.data(), ds.data() + 4, y).ec != std::errc{} ||
            std::from_chars(ds.data() + 5, ds.data() + 7, m).ec != std::errc{} ||
            std::from_chars(ds.data() + 8, ds.data() + 10, d).ec != std::errc{}) {
            throw data_error(out.source, line, "expected 'YYYY-MM-DD name'");
        }
        const date::year_month_day ymd{date::year{y}, date::month{m}, date::day{d}};
        if (!ymd.ok()) {
            throw data_error(out.source, line, fmt::format("invalid date '{}'", ds));
        }
        out.days.push_back(date::sys_days{ymd});
    });
    std::sort(out.days.begin(), out.days.end());
    out.days.erase(std::unique(out.days.begin(), out.days.end()), out.days.end());
    return out;
}

policy_data load_policy_data(const data_paths& paths) {
    policy_data data;
    {
        auto in = open(paths.map_data);
        data.zone_map = parse_zone_map(in, paths.map_data);
    }
    {
        auto in = open(paths.area_codes);
        data.area_codes = parse_area_codes(in, paths.area_codes);
    }
    if (!paths.overlays.empty()) {
        auto in = open(paths.overlays);
        data.overlays = parse_overlays(in, paths.overlays);
    }
    for (const auto& h : paths.holidays) {
        auto in = open(h.path);
        data.holidays.push_back(parse_holidays(in, h.name, h.path));
    }
    return data;
}

}  // namespace smppgw::policy
