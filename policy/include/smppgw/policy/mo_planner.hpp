#pragma once
// What to do about one inbound (MO) message, as a list of actions for the gateway to execute.
// Pure: the caller supplies the current state (fetch_mo_state() reads it through the lookups)
// and executes the plan. The gateway must:
//   - execute every action with before_ack = true durably (synced) BEFORE sending
//     deliver_sm_resp to the carrier: an opt-out is never lost once its MO is acknowledged;
//   - then send the replies (each an MT flagged with its keyword_reply so the chain exempts it)
//     and forward the MO to the account that owns the receiving number.
// A carrier redelivering the same MO (lost deliver_sm_resp) finds the opt-out already recorded,
// so the plan contains no second confirmation.
// Delivery receipts are never planned: the gateway does not call this for them.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smppgw/policy/config.hpp"
#include "smppgw/policy/keywords.hpp"
#include "smppgw/policy/lookups.hpp"
#include "smppgw/policy/message.hpp"
#include "smppgw/policy/records.hpp"

namespace smppgw::policy {

struct mo_input {
    std::string_view mo_id;             // our id of the MO (evidence reference)
    std::string_view brand;             // brand owning the receiving number
    std::string_view msisdn;            // sender, E.164 digits without '+'
    std::string_view receiving_number;  // our number / short code the MO was sent to
    std::string_view region;            // sender's region ("CA-QC"), picks reply languages
    time_point received{};
    std::string_view text;  // UTF-8
};

// The state of (brand, msisdn) the plan depends on.
struct mo_state {
    std::optional<optout_summary> brand_optout;  // brand-scoped opt-out in force
    std::optional<optout_summary> all_optout;    // STOPALL in force
    bool pending_promotional = false;            // a consent awaiting double opt-in YES
    bool pending_transactional = false;
    bool held = false;  // on review hold (ambiguous STOP)

    // Evidence, read only while an opt-out is in force (lookups::evidence). A START lifts the
    // all-brands opt-out only when its record says the number's own MO created it, and restores
    // the consents that the lifted opt-outs revoked, found in the consent events. Missing
    // evidence (no lookup, a read error) lifts no all-brands opt-out and restores nothing.
    std::optional<optout_record> brand_optout_record;
    std::optional<optout_record> all_optout_record;
    // The brand's consent events per class (index: message_class value), oldest first.
    std::array<std::vector<consent_record>, 3> consent_events;

    [[nodiscard]] const std::vector<consent_record>& events(message_class k) const noexcept {
        return consent_events[static_cast<std::size_t>(k)];
    }
};

// Reads the state through the lookups (holds only if lookups.holds is set, evidence only if
// lookups.evidence is set and an opt-out is in force).
[[nodiscard]] mo_state fetch_mo_state(const lookups& lk, std::string_view brand,
                                      std::string_view msisdn);

// The consent a START restores for one class, or nothing: the consent that was granted and in
// force when the lifted opt-outs (the earliest of them took effect at `optout_since`) revoked
// it. The events' tail must be revocations through the MO channel at or after `optout_since`
// (an opt-out revokes through "MO"); the event before them must be a grant that has not expired
// by `now`. A revocation from anywhere else (admin API, import) is never undone.
[[nodiscard]] const consent_record* consent_revoked_by_optout(
    const std::vector<consent_record>& events, time_point optout_since, time_point now) noexcept;

enum class mo_action_kind : std::uint8_t {
    record_optout,          // optout: store it (brand, or all_brands for STOPALL)
    revoke_consents,        // brand (or all_brands): mark every consent revoked, channel "MO"
    lift_optout,            // brand (or all_brands): delete the opt-out
    record_consent,         // consent: append the consent event
    restore_consent,        // consent: append the event that restores what an opt-out revoked
    confirm_double_opt_in,  // brand, klass: pending → granted, double_opt_in = when
    place_hold,             // hold: promotional held until review
    clear_hold,             // brand: lift a review hold
    flag_for_review,        // raise the MO to operators (text in `text`)
    send_reply,             // MT to msisdn from receiving_number, flagged `reply`
};

[[nodiscard]] std::string_view to_string(mo_action_kind k) noexcept;

// Which configured text a reply uses.
enum class reply_text : std::uint8_t { optout, optout_all, optin, double_opt_in, help };

struct mo_action {
    mo_action_kind kind = mo_action_kind::send_reply;
    bool before_ack = false;  // durable before deliver_sm_resp
    std::string brand;        // brand, or all_brands
    std::string msisdn;
    message_class klass = message_class::promotional;  // confirm_double_opt_in
    time_point when{};
    std::optional<optout_record> optout;        // record_optout
    std::optional<consent_record> consent;      // record_consent, restore_consent
    std::optional<hold_record> hold;            // place_hold
    keyword_reply reply = keyword_reply::none;  // send_reply
    // send_reply of an opt-out confirmation: it is presumed lawful only when sent within
    // mo_config::confirmation_window of the opt-out (COMPLIANCE.md, 5 minutes); a gateway that
    // could not send it by then drops it rather than message an opted-out number late.
    std::optional<time_point> send_by;
    std::string text;      // send_reply, flag_for_review
    std::string language;  // send_reply: language(s) used, "en+fr"
};

struct mo_plan {
    keyword_match match;
    std::vector<mo_action> actions;  // in execution order; before_ack ones first
    bool forward = true;             // always forward the MO to the owning account

    [[nodiscard]] std::size_t count(mo_action_kind k) const noexcept;
    [[nodiscard]] const mo_action* first(mo_action_kind k) const noexcept;
};

class mo_planner {
public:
    // Throws config_error (e.g. no texts for the default language).
    explicit mo_planner(const mo_config& cfg);

    // Rules:
    //  opt_out / opt_out_all: unless already covered (a repeated STOP: nothing, no second
    //    confirmation), record the opt-out and revoke consents before the ack, clear any hold,
    //    then exactly one confirmation.
    //  opt_in: lift the brand's opt-out, and a STOPALL only when the number's own MO created
    //    it (never one entered through the admin API or an import; not at all when
    //    start_lifts_all_brands is off). When something was lifted: restore the consents the
    //    lifted opt-outs revoked (start_restores_consents; same type, proof = the START MO),
    //    record the optin_consent_classes consents not restored, clear any hold, and confirm
    //    once, unless an all-brands opt-out stays in force (then the number still gets nothing
    //    from the brand and a confirmation would say otherwise). A YES with a pending double
    //    opt-in confirms it (and replies once). Otherwise nothing: the MO is only forwarded.
    //  help: the brand's help text, even when opted out.
    //  ambiguous: flag for review and place a hold (before the ack) unless already held.
    [[nodiscard]] mo_plan plan(const mo_input& in, const keyword_match& match,
                               const mo_state& state) const;

    // The reply text for a brand in the keyword's language and the sender's region: the
    // keyword language if texts exist for it, else the brand's, else the default; in a
    // bilingual region a keyword outside the region's languages gets all of them, joined.
    struct reply {
        std::string text;
        std::string language;  // "en", or "en+fr" for a joined reply
    };
    [[nodiscard]] reply reply_for(reply_text kind, std::string_view brand,
                                  std::string_view keyword_language, std::string_view region) const;

private:
    // restore_consent actions for the consents the opt-outs this START lifts had revoked.
    [[nodiscard]] std::vector<mo_action> restorations(const mo_input& in,
                                                      const keyword_match& match,
                                                      const mo_state& state, bool lift_brand,
                                                      bool lift_all) const;
    [[nodiscard]] std::string text_in(reply_text kind, std::string_view brand,
                                      std::string_view language) const;
    [[nodiscard]] bool has_language(std::string_view brand, std::string_view language) const;

    mo_config cfg_;
};

}  // namespace smppgw::policy
