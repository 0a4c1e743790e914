#pragma once
// Shared fixtures for the policy tests: the shipped data, engines, an in-memory store that
// implements every lookup, and time helpers in named zones.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "smppgw/policy/engine.hpp"

namespace policy_test {

using namespace smppgw::policy;

// The files under etc/data, loaded once.
const policy_data& shipped_data();

// An engine over the shipped data with the default config, built once.
const engine& default_engine();

// An engine over the shipped data with a modified default config.
std::shared_ptr<const engine> make_engine(const std::function<void(policy_config&)>& tweak);

// Local civil time in an IANA zone → UTC instant (earliest if ambiguous, the jump if skipped).
time_point local(const char* zone, int y, unsigned mo, unsigned d, int h, int mi, int s = 0);
time_point utc(int y, unsigned mo, unsigned d, int h, int mi, int s = 0);
// "2026-03-08 08:00:00 EDT" for failure messages.
std::string show(time_point t, const char* zone);

// Opt-outs, consents, sends and holds in std::maps; every lookup interface. Opt-outs keep their
// records and consents their events, as the store does, for the evidence lookup.
class memory_store final : public optout_lookup,
                           public consent_lookup,
                           public frequency_lookup,
                           public hold_lookup,
                           public evidence_lookup {
public:
    std::optional<optout_summary> find_optout(std::string_view brand,
                                              std::string_view msisdn) const override;
    std::optional<consent_summary> find_consent(std::string_view brand, std::string_view msisdn,
                                                message_class klass) const override;
    send_history recent_sends(std::string_view brand, std::string_view msisdn,
                              time_point since) const override;
    std::optional<hold_summary> find_hold(std::string_view brand,
                                          std::string_view msisdn) const override;
    std::optional<optout_record> optout_evidence(std::string_view brand,
                                                 std::string_view msisdn) const override;
    std::vector<consent_record> consent_events(std::string_view brand, std::string_view msisdn,
                                               message_class klass) const override;

    [[nodiscard]] lookups view() const { return {this, this, this, this, this}; }

    // Opt-outs as the admin API enters them unless told otherwise.
    void opt_out(const std::string& brand, const std::string& msisdn, time_point when = {},
                 record_source source = record_source::api);
    void opt_out_all(const std::string& msisdn, time_point when = {},
                     record_source source = record_source::api);
    // Prior express written consent with proof (valid for promotional).
    void grant_written(const std::string& brand, const std::string& msisdn, message_class k,
                       time_point when = {});
    void set_consent(const std::string& brand, const std::string& msisdn, message_class k,
                     consent_summary c);
    // Appends one consent event and folds it into the summary, as the store does.
    void add_consent_event(const consent_record& rec);
    void sent(const std::string& brand, const std::string& msisdn, time_point when);
    void hold(const std::string& brand, const std::string& msisdn, time_point when = {});

    // Executes an MO plan the way the gateway would (store side only; replies are collected).
    void apply(const mo_plan& plan);
    std::vector<std::string> replies;

    // When set, any (brand, number, class) without a record has this consent: lets tests that
    // are about other checks not set up consent for every number.
    std::optional<consent_summary> default_consent;

    std::map<std::pair<std::string, std::string>, optout_summary, std::less<>> optouts;
    std::map<std::pair<std::string, std::string>, optout_record, std::less<>> optout_records;
    std::map<std::tuple<std::string, std::string, message_class>, consent_summary> consents;
    std::map<std::tuple<std::string, std::string, message_class>, std::vector<consent_record>>
        events;
    std::map<std::pair<std::string, std::string>, std::vector<time_point>> sends;
    std::map<std::pair<std::string, std::string>, hold_summary> holds;
};

// A valid written consent with proof.
consent_summary written_consent(time_point granted = {});

// A promotional MT from brand "acme" to an international E.164 destination.
message_facts promo(std::string_view e164_digits, std::string_view brand = "acme");
message_facts with_class(message_facts f, message_class k);

}  // namespace policy_test
