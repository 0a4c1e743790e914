#include "checks.hpp"

namespace smppgw::policy::checks {
namespace {

// Status and expiry, common to every class.
reason state_failure(const consent_summary& c, time_point now) noexcept {
    switch (c.status) {
        case consent_status::revoked:
            return reason::consent_revoked;
        case consent_status::pending:
            return reason::consent_pending;
        case consent_status::granted:
            break;
    }
    if (c.expires && *c.expires <= now) {
        return reason::consent_expired;
    }
    return reason::none;
}

reason promotional_failure(const std::optional<consent_summary>& c, time_point now,
                           bool require_proof) noexcept {
    if (!c) {
        return reason::no_consent;
    }
    if (const reason r = state_failure(*c, now); r != reason::none) {
        return r;
    }
    if (c->type != consent_type::express_written) {
        return reason::consent_not_written;
    }
    if (require_proof && !c->has_proof) {
        return reason::consent_without_proof;
    }
    return reason::none;
}

}  // namespace

consent_check::consent_check(const consent_config& cfg)
    : check(check_id::consent, cfg.shadow), cfg_(cfg) {}

check_verdict consent_check::decide(evaluation& ev) const {
    if (ev.facts.reply != keyword_reply::none) {
        return check_verdict::not_applicable();
    }
    const auto& f = ev.facts;
    const auto msisdn = ev.destination.digits();
    const consent_lookup& consents = *ev.lk.consents;

    if (f.klass == message_class::promotional) {
        ev.consent = consents.find_consent(f.brand, msisdn, message_class::promotional);
        ev.consent_fetched = true;
        const reason r = promotional_failure(ev.consent, ev.now, cfg_.promotional_requires_proof);
        return r == reason::none ? check_verdict::accept() : check_verdict::reject(r);
    }

    const bool required = f.klass == message_class::transactional
                              ? cfg_.transactional_requires_consent
                              : cfg_.conversational_requires_consent;
    if (!required) {
        return check_verdict::not_applicable();
    }
    // Prior express consent of either type for transactional; never the other way round.
    const auto own = consents.find_consent(f.brand, msisdn, message_class::transactional);
    reason r = own ? state_failure(*own, ev.now) : reason::no_consent;
    if (r != reason::none && cfg_.written_covers_transactional) {
        const auto written = consents.find_consent(f.brand, msisdn, message_class::promotional);
        if (written &&
            promotional_failure(written, ev.now, cfg_.promotional_requires_proof) == reason::none) {
            r = reason::none;
        }
    }
    return r == reason::none ? check_verdict::accept() : check_verdict::reject(r);
}

}  // namespace smppgw::policy::checks
