#include "checks.hpp"

namespace smppgw::policy::checks {

optout_check::optout_check(const optout_config& cfg)
    : check(check_id::optout, cfg.shadow), cfg_(cfg) {}

check_verdict optout_check::decide(evaluation& ev) const {
    if (ev.facts.reply != keyword_reply::none) {
        return check_verdict::not_applicable();
    }
    const auto msisdn = ev.destination.digits();
    // Brand scope first, then STOPALL: the lookup returns the brand-scoped one if both exist.
    if (const auto o = ev.lk.optouts->find_optout(ev.facts.brand, msisdn)) {
        return check_verdict::reject(o->all_brands ? reason::opted_out_all_brands
                                                   : reason::opted_out);
    }
    if (cfg_.review_holds && ev.lk.holds != nullptr &&
        applies(ev.facts.klass, cfg_.hold_promotional, cfg_.hold_transactional,
                cfg_.hold_conversational)) {
        if (ev.lk.holds->find_hold(ev.facts.brand, msisdn)) {
            return check_verdict::reject(reason::review_hold);
        }
    }
    return check_verdict::accept();
}

}  // namespace smppgw::policy::checks
