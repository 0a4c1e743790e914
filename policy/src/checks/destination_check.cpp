#include "checks.hpp"

namespace smppgw::policy::checks {

destination_check::destination_check(const destination_config& cfg, const number_index& numbers)
    : check(check_id::destination, cfg.shadow), cfg_(cfg), numbers_(numbers) {
    if (cfg_.min_length == 0 || cfg_.max_length > e164::max_digits ||
        cfg_.min_length > cfg_.max_length) {
        throw config_error("destination: need 0 < min_length <= max_length <= 15");
    }
    if (cfg_.default_country_code.empty() ||
        cfg_.default_country_code.find_first_not_of("0123456789") != std::string::npos) {
        throw config_error("destination.default_country_code must be digits");
    }
}

check_verdict destination_check::decide(evaluation& ev) const {
    const auto n = normalize_destination(ev.facts.destination, cfg_);
    if (n.failure != reason::none) {
        return check_verdict::reject(n.failure);
    }
    ev.destination = n.number;
    ev.profile = numbers_.lookup(n.number.digits());
    return check_verdict::accept();
}

}  // namespace smppgw::policy::checks
