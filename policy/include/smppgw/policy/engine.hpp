#pragma once
// One immutable policy snapshot per config version: the MT chain, the MO keyword classifier and
// the MO planner, sharing one number index. The gateway builds a new engine on reload and swaps
// the shared_ptr; in-flight evaluations keep the old one alive.

#include <memory>

#include "smppgw/policy/chain.hpp"
#include "smppgw/policy/config.hpp"
#include "smppgw/policy/data.hpp"
#include "smppgw/policy/keywords.hpp"
#include "smppgw/policy/mo_planner.hpp"
#include "smppgw/policy/zones.hpp"

namespace smppgw::policy {

class engine {
public:
    // Throws config_error or data_error.
    engine(const policy_config& cfg, const policy_data& data);

    // MT: see chain::evaluate.
    [[nodiscard]] decision evaluate(const message_facts& facts, const lookups& lk,
                                    time_point now) const {
        return chain_.evaluate(facts, lk, now);
    }

    // MT: see chain::recheck.
    [[nodiscard]] decision recheck(check_id only, const message_facts& facts, const lookups& lk,
                                   time_point now) const {
        return chain_.recheck(only, facts, lk, now);
    }

    // MO: classify in.text and plan. An empty in.region is filled from the sender's number.
    // Never call this for delivery receipts.
    [[nodiscard]] mo_plan plan_mo(const mo_input& in, const mo_state& state) const;

    [[nodiscard]] const chain& mt_chain() const noexcept { return chain_; }
    [[nodiscard]] const keyword_classifier& classifier() const noexcept { return classifier_; }
    [[nodiscard]] const mo_planner& planner() const noexcept { return planner_; }
    [[nodiscard]] const number_index& numbers() const noexcept { return *numbers_; }

private:
    std::shared_ptr<const number_index> numbers_;
    chain chain_;
    keyword_classifier classifier_;
    mo_planner planner_;
};

[[nodiscard]] std::shared_ptr<const engine> build_engine(const policy_config& cfg,
                                                         const policy_data& data);
// Loads cfg.data first (load_policy_data).
[[nodiscard]] std::shared_ptr<const engine> build_engine(const policy_config& cfg);

}  // namespace smppgw::policy
