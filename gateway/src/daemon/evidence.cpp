#include "daemon/evidence.hpp"

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

}  // namespace smppgw::gateway
