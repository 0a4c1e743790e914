// The components count through `metrics`; every test here builds its own. A registry must then
// start from zero, and counting into it must never touch one that is gone.

#include <catch2/catch.hpp>

#include <memory>

#include "support.hpp"

namespace component_test {

TEST_CASE("a metrics object built after another one is gone counts into its own registry",
          "[metrics]") {
    // Families of a new registry are allocated where the old ones were, more often than not:
    // the accessors' per-thread caches must not hand back the old objects' counters.
    for (int round = 0; round < 8; ++round) {
        auto m = std::make_unique<gateway::metrics>();
        m->messages("acct1", "accepted").Increment();
        m->policy_decision("optout", "reject", false).Increment(2);
        m->pdu(gateway::face::upstream, gateway::direction::in, smpp::command_id::submit_sm, 0);
        CHECK(value_of(*m, "smppgw_messages_total",
                       {{"account", "acct1"}, {"outcome", "accepted"}}) == 1);
        CHECK(value_of(*m, "smppgw_policy_decisions_total",
                       {{"check", "optout"}, {"verdict", "reject"}, {"shadow", "false"}}) == 2);
        CHECK(value_of(*m, "smppgw_pdus_total", {{"command", "submit_sm"}}) == 1);
    }
}

}  // namespace component_test
