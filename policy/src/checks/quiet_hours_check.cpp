#include <fmt/format.h>

#include "checks.hpp"

namespace smppgw::policy::checks {

quiet_hours_check::quiet_hours_check(const quiet_hours_config& cfg, const number_index& numbers,
                                     const policy_data& data)
    : check(check_id::quiet_hours, cfg.shadow), cfg_(cfg), numbers_(numbers) {
    if (cfg_.max_defer.count() <= 0) {
        throw config_error("quiet_hours.max_defer must be positive");
    }
    for (const auto& rs : cfg_.rule_sets) {
        for (const auto& existing : rule_sets_) {
            if (existing->name() == rs.name) {
                throw config_error(
                    fmt::format("quiet_hours: rule set '{}' defined twice", rs.name));
            }
        }
        rule_sets_.push_back(std::make_unique<rule_set>(rs, data.holidays));
    }
    std::vector<std::vector<const rule_set*>> resolved;
    for (const auto& region : cfg_.regions) {
        std::vector<const rule_set*> sets;
        for (const auto& name : region.rule_sets) {
            const rule_set* found = nullptr;
            for (const auto& rs : rule_sets_) {
                if (rs->name() == name) {
                    found = rs.get();
                }
            }
            if (found == nullptr) {
                throw config_error(fmt::format("quiet_hours.regions[{}]: unknown rule set '{}'",
                                               region.region, name));
            }
            sets.push_back(found);
        }
        resolved.push_back(std::move(sets));
    }
    const auto regions = numbers.regions();
    by_region_.resize(regions.size());
    for (std::size_t r = 0; r < regions.size(); ++r) {
        if (const auto* e = most_specific(
                cfg_.regions, regions[r],
                [](const region_rules_config& x) -> std::string_view { return x.region; })) {
            by_region_[r] = resolved[static_cast<std::size_t>(e - cfg_.regions.data())];
        }
    }
}

check_verdict quiet_hours_check::decide(evaluation& ev) const {
    const auto& f = ev.facts;
    if (f.reply != keyword_reply::none ||
        !applies(f.klass, cfg_.promotional, cfg_.transactional, cfg_.conversational)) {
        return check_verdict::not_applicable();
    }
    const auto& rules = by_region_[ev.profile.region];
    const auto answer =
        check_quiet_hours(numbers_.zones(ev.profile.zone_set), rules, ev.now, cfg_.max_defer);
    if (answer.allowed) {
        return check_verdict::accept();
    }
    if (!answer.next) {
        return check_verdict::reject(reason::no_common_window);
    }
    if (cfg_.action == block_action::reject) {
        return check_verdict::reject(reason::quiet_hours);
    }
    return check_verdict::defer(reason::quiet_hours, *answer.next);
}

}  // namespace smppgw::policy::checks
