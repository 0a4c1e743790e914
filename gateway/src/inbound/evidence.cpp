#include "inbound/evidence.hpp"

#include "infra/log.hpp"

namespace smppgw::gateway {

std::optional<policy::optout_record> store_evidence::optout_evidence(
    std::string_view brand, std::string_view msisdn) const {
    auto r = db_.get_optout(brand, msisdn);
    if (!r) {
        log::warn("opt-out evidence of ({}, {}) unreadable, kept in force: {}", brand, msisdn,
                  r.error().message());
        return std::nullopt;
    }
    return std::move(*r);
}

std::vector<policy::consent_record> store_evidence::consent_events(
    std::string_view brand, std::string_view msisdn, policy::message_class klass) const {
    auto r = db_.consent_history(brand, msisdn, klass);
    if (!r) {
        log::warn("consent events of ({}, {}, {}) unreadable, nothing restored: {}", brand, msisdn,
                  policy::to_string(klass), r.error().message());
        return {};
    }
    return std::move(*r);
}

}  // namespace smppgw::gateway
