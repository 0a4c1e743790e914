#pragma once
// policy::evidence_lookup over the store: the opt-out records and consent events the MO planner
// reads before it lets a START undo anything (policy/README.md, "MO planner"). Thread-safe like
// the store it reads; called on the thread that plans an MO.

#include "smppgw/policy/lookups.hpp"
#include "smppgw/store/store.hpp"

namespace smppgw::gateway {

class store_evidence final : public policy::evidence_lookup {
public:
    explicit store_evidence(const store::store& db) : db_(db) {}

    // A read error answers "nothing stored" (logged): the planner then keeps the opt-out and
    // the revocations in force.
    [[nodiscard]] std::optional<policy::optout_record> optout_evidence(
        std::string_view brand, std::string_view msisdn) const override;
    [[nodiscard]] std::vector<policy::consent_record> consent_events(
        std::string_view brand, std::string_view msisdn,
        policy::message_class klass) const override;

private:
    const store::store& db_;
};

}  // namespace smppgw::gateway
