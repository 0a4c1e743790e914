// Number → zones and number → region, and the per-zone offset tables.
#include "smppgw/policy/zones.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

namespace smppgw::policy {
namespace {

using std::chrono::seconds;

// Every valid local reading maps to an instant within this distance (UTC−12 … UTC+14).
constexpr std::chrono::hours max_offset{15};

std::uint64_t prefix_key(std::string_view digits) noexcept {
    std::uint64_t v = 0;
    for (char c : digits) {
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return v | (static_cast<std::uint64_t>(digits.size()) << 56);
}

}  // namespace

// ---- zone_clock ----------------------------------------------------------------------------

zone_clock::zone_clock(const date::time_zone* tz, int from_year, int to_year)
    : tz_(tz),
      name_(tz->name()),
      from_(date::sys_days{date::year{from_year} / 1 / 1}),
      to_(date::sys_days{date::year{to_year + 1} / 1 / 1}) {
    date::sys_seconds t = from_;
    while (t < to_) {
        const date::sys_info info = tz_->get_info(t);
        spans_.push_back({t, info.offset});
        if (info.end <= t) {
            break;  // defensive: the library never returns an empty span
        }
        t = info.end;
    }
}

seconds zone_clock::offset_at(time_point t) const {
    const auto s = std::chrono::floor<seconds>(t);
    if (s < from_ || s >= to_ || spans_.empty()) {
        return tz_->get_info(s).offset;
    }
    auto it =
        std::upper_bound(spans_.begin(), spans_.end(), s,
                         [](date::sys_seconds v, const span_info& sp) { return v < sp.begin; });
    return std::prev(it)->offset;
}

local_ms zone_clock::to_local(time_point t) const {
    return local_ms{t.time_since_epoch() + offset_at(t)};
}

time_point zone_clock::earliest_at(local_ms l) const {
    const time_point as_utc{l.time_since_epoch()};
    if (as_utc - max_offset < time_point{from_} || as_utc + max_offset >= time_point{to_} ||
        spans_.empty()) {
        const auto li = tz_->get_info(std::chrono::floor<seconds>(l));
        if (li.result == date::local_info::nonexistent) {
            return time_point{li.first.end};
        }
        return as_utc - li.first.offset;  // unique, or the first occurrence if ambiguous
    }
    // Spans that can hold an instant reading `l`, in time order: the first that does holds
    // the earliest one.
    auto it = std::upper_bound(
        spans_.begin(), spans_.end(), std::chrono::floor<seconds>(as_utc - max_offset),
        [](date::sys_seconds v, const span_info& sp) { return v < sp.begin; });
    if (it != spans_.begin()) {
        --it;
    }
    const auto first = it;
    for (; it != spans_.end() && time_point{it->begin} <= as_utc + max_offset; ++it) {
        const time_point s = as_utc - it->offset;
        const auto next = std::next(it);
        const time_point end = next == spans_.end() ? time_point{to_} : time_point{next->begin};
        if (s >= time_point{it->begin} && s < end) {
            return s;
        }
    }
    // Nothing reads `l`: it lies in a forward jump. The jump is the first instant reading
    // past it.
    for (it = std::next(first); it != spans_.end(); ++it) {
        const time_point jump{it->begin};
        if (as_utc - std::prev(it)->offset >= jump && as_utc - it->offset < jump) {
            return jump;
        }
    }
    return as_utc - offset_at(as_utc);  // unreachable with consistent tz data
}

// ---- number_index --------------------------------------------------------------------------

number_index::number_index(const numbering_config& cfg, const policy_data& data) : nanp_(1000) {
    if (cfg.table_from_year > cfg.table_to_year) {
        throw config_error("numbering.table_from_year is after table_to_year");
    }
    const auto clock_for = [&](const std::string& name) -> const zone_clock* {
        if (auto it = clock_by_name_.find(name); it != clock_by_name_.end()) {
            return it->second;
        }
        const date::time_zone* tz = date::locate_zone(name);  // throws if unknown
        clocks_.push_back(std::make_unique<zone_clock>(tz, cfg.table_from_year, cfg.table_to_year));
        clock_by_name_.emplace(name, clocks_.back().get());
        return clocks_.back().get();
    };

    regions_.emplace_back("*");
    region_by_name_.emplace("*", unknown_region);

    std::vector<const zone_clock*> fallback;
    for (const auto& name : cfg.fallback_zones) {
        try {
            fallback.push_back(clock_for(name));
        } catch (const std::runtime_error&) {
            throw config_error(
                fmt::format("numbering.fallback_zones: unknown time zone '{}'", name));
        }
    }
    if (fallback.empty()) {
        throw config_error("numbering.fallback_zones is empty");
    }
    intern_zone_set(std::move(fallback));  // id 0

    // NANP: the union of every row under 1+NPA. Rows shorter than that ("1|...", the 42-zone
    // country row) are never used.
    std::vector<std::set<const zone_clock*>> nanp_union(1000);
    for (const auto& row : data.zone_map.rows) {
        std::vector<const zone_clock*> zones;
        for (const auto& name : row.zones) {
            try {
                zones.push_back(clock_for(name));
            } catch (const std::runtime_error&) {
                throw data_error(data.zone_map.source, row.line,
                                 fmt::format("unknown time zone '{}'", name));
            }
        }
        if (row.prefix.front() == '1') {
            if (row.prefix.size() >= 4) {
                const auto npa = std::stoi(row.prefix.substr(1, 3));
                nanp_union[static_cast<std::size_t>(npa)].insert(zones.begin(), zones.end());
            }
            continue;
        }
        prefix_zones_[prefix_key(row.prefix)] = intern_zone_set(std::move(zones));
        max_zone_prefix_ = std::max(max_zone_prefix_, row.prefix.size());
    }

    // Overlays take the union of their own rows and their parents' own rows.
    std::map<std::uint16_t, std::vector<std::uint16_t>> overlays;
    for (const auto& o : cfg.overlays) {
        overlays[o.npa] = o.parents;
    }
    for (const auto& o : data.overlays) {
        overlays[o.npa] = o.parents;
    }
    auto merged = nanp_union;
    for (const auto& [npa, parents] : overlays) {
        if (npa >= 1000) {
            throw config_error(fmt::format("overlay area code {} out of range", npa));
        }
        for (auto p : parents) {
            if (p >= 1000) {
                throw config_error(fmt::format("overlay parent {} out of range", p));
            }
            merged[npa].insert(nanp_union[p].begin(), nanp_union[p].end());
        }
    }
    for (std::size_t npa = 0; npa < 1000; ++npa) {
        if (!merged[npa].empty()) {
            nanp_[npa].zone_set = intern_zone_set({merged[npa].begin(), merged[npa].end()});
            nanp_[npa].fallback = false;
        }
    }

    for (const auto& row : data.area_codes.rows) {
        nanp_[row.npa].region = intern_region(row.region);
    }
    for (const auto& cr : cfg.country_regions) {
        if (cr.prefix.empty() || cr.prefix.front() == '1' ||
            cr.prefix.find_first_not_of("0123456789") != std::string::npos) {
            throw config_error(
                fmt::format("numbering.country_regions: bad prefix '{}' (NANP regions come from "
                            "area_codes.csv)",
                            cr.prefix));
        }
        prefix_regions_[prefix_key(cr.prefix)] = intern_region(cr.region);
        max_region_prefix_ = std::max(max_region_prefix_, cr.prefix.size());
    }
}

std::uint32_t number_index::intern_zone_set(std::vector<const zone_clock*> zones) {
    std::sort(zones.begin(), zones.end(),
              [](const zone_clock* a, const zone_clock* b) { return a->name() < b->name(); });
    zones.erase(std::unique(zones.begin(), zones.end()), zones.end());
    for (std::size_t i = 0; i < zone_sets_.size(); ++i) {
        if (zone_sets_[i] == zones) {
            return static_cast<std::uint32_t>(i);
        }
    }
    zone_sets_.push_back(std::move(zones));
    return static_cast<std::uint32_t>(zone_sets_.size() - 1);
}

region_id number_index::intern_region(const std::string& name) {
    if (auto it = region_by_name_.find(name); it != region_by_name_.end()) {
        return it->second;
    }
    regions_.push_back(name);
    const auto id = static_cast<region_id>(regions_.size() - 1);
    region_by_name_.emplace(name, id);
    return id;
}

region_id number_index::find_region(std::string_view name) const noexcept {
    for (std::size_t i = 0; i < regions_.size(); ++i) {
        if (regions_[i] == name) {
            return static_cast<region_id>(i);
        }
    }
    return unknown_region;
}

number_profile number_index::lookup(std::string_view d) const noexcept {
    number_profile p;
    if (d.size() >= 4 && d.front() == '1') {
        const auto npa =
            static_cast<std::size_t>((d[1] - '0') * 100 + (d[2] - '0') * 10 + (d[3] - '0'));
        const auto& e = nanp_[npa];
        p.region = e.region;
        p.zone_set = e.zone_set;
        p.fallback_zones = e.fallback;
        return p;
    }
    p.fallback_zones = true;
    for (std::size_t len = std::min(max_zone_prefix_, d.size()); len > 0; --len) {
        if (auto it = prefix_zones_.find(prefix_key(d.substr(0, len))); it != prefix_zones_.end()) {
            p.zone_set = it->second;
            p.fallback_zones = false;
            break;
        }
    }
    for (std::size_t len = std::min(max_region_prefix_, d.size()); len > 0; --len) {
        if (auto it = prefix_regions_.find(prefix_key(d.substr(0, len)));
            it != prefix_regions_.end()) {
            p.region = it->second;
            break;
        }
    }
    return p;
}

std::vector<std::string> number_index::zone_names(std::string_view e164_digits) const {
    std::vector<std::string> out;
    for (const auto* z : zones(lookup(e164_digits).zone_set)) {
        out.emplace_back(z->name());
    }
    return out;
}

}  // namespace smppgw::policy
