#include "smppgw/policy/engine.hpp"

#include "checks/checks.hpp"

namespace smppgw::policy {
namespace {

std::vector<std::unique_ptr<check>> make_checks(const policy_config& cfg, const policy_data& data,
                                                const number_index& numbers) {
    std::vector<std::unique_ptr<check>> out;
    out.push_back(std::make_unique<checks::destination_check>(cfg.destination, numbers));
    if (cfg.optout.enabled) {
        out.push_back(std::make_unique<checks::optout_check>(cfg.optout));
    }
    if (cfg.consent.enabled) {
        out.push_back(std::make_unique<checks::consent_check>(cfg.consent));
    }
    if (cfg.frequency.enabled) {
        out.push_back(std::make_unique<checks::frequency_check>(cfg.frequency, numbers));
    }
    if (cfg.quiet_hours.enabled) {
        out.push_back(std::make_unique<checks::quiet_hours_check>(cfg.quiet_hours, numbers, data));
    }
    if (cfg.content.enabled) {
        out.push_back(std::make_unique<checks::content_check>(cfg.content));
    }
    return out;
}

}  // namespace

engine::engine(const policy_config& cfg, const policy_data& data)
    : numbers_(std::make_shared<const number_index>(cfg.numbering, data)),
      chain_(numbers_, make_checks(cfg, data, *numbers_)),
      classifier_(cfg.keywords),
      planner_(cfg.mo) {}

mo_plan engine::plan_mo(const mo_input& in, const mo_state& state) const {
    mo_input with_region = in;
    if (with_region.region.empty()) {
        with_region.region = numbers_->region_name(numbers_->lookup(in.msisdn).region);
    }
    return planner_.plan(with_region, classifier_.classify(in.text), state);
}

std::shared_ptr<const engine> build_engine(const policy_config& cfg, const policy_data& data) {
    return std::make_shared<const engine>(cfg, data);
}

std::shared_ptr<const engine> build_engine(const policy_config& cfg) {
    return build_engine(cfg, load_policy_data(cfg.data));
}

}  // namespace smppgw::policy
