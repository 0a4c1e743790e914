// Stable names of enums used in metrics labels and audit records.
#include "smppgw/policy/decision.hpp"
#include "smppgw/policy/keywords.hpp"
#include "smppgw/policy/mo_planner.hpp"

namespace smppgw::policy {

std::string_view to_string(check_id c) noexcept {
    switch (c) {
        case check_id::none:
            return "none";
        case check_id::destination:
            return "destination";
        case check_id::optout:
            return "optout";
        case check_id::consent:
            return "consent";
        case check_id::frequency:
            return "frequency";
        case check_id::quiet_hours:
            return "quiet_hours";
        case check_id::content:
            return "content";
    }
    return "unknown";
}

std::string_view to_string(verdict v) noexcept {
    switch (v) {
        case verdict::accept:
            return "accept";
        case verdict::reject:
            return "reject";
        case verdict::defer:
            return "defer";
    }
    return "unknown";
}

std::string_view to_string(keyword_kind k) noexcept {
    switch (k) {
        case keyword_kind::none:
            return "none";
        case keyword_kind::opt_out:
            return "opt_out";
        case keyword_kind::opt_out_all:
            return "opt_out_all";
        case keyword_kind::opt_in:
            return "opt_in";
        case keyword_kind::help:
            return "help";
        case keyword_kind::ambiguous:
            return "ambiguous";
    }
    return "unknown";
}

std::string_view to_string(match_rule r) noexcept {
    switch (r) {
        case match_rule::none:
            return "none";
        case match_rule::exact:
            return "exact";
        case match_rule::exact_no_spaces:
            return "exact_no_spaces";
        case match_rule::prefix:
            return "prefix";
        case match_rule::phrase:
            return "phrase";
        case match_rule::one_edit:
            return "one_edit";
        case match_rule::review_word:
            return "review_word";
    }
    return "unknown";
}

std::string_view to_string(mo_action_kind k) noexcept {
    switch (k) {
        case mo_action_kind::record_optout:
            return "record_optout";
        case mo_action_kind::revoke_consents:
            return "revoke_consents";
        case mo_action_kind::lift_optout:
            return "lift_optout";
        case mo_action_kind::record_consent:
            return "record_consent";
        case mo_action_kind::restore_consent:
            return "restore_consent";
        case mo_action_kind::confirm_double_opt_in:
            return "confirm_double_opt_in";
        case mo_action_kind::place_hold:
            return "place_hold";
        case mo_action_kind::clear_hold:
            return "clear_hold";
        case mo_action_kind::flag_for_review:
            return "flag_for_review";
        case mo_action_kind::send_reply:
            return "send_reply";
    }
    return "unknown";
}

}  // namespace smppgw::policy
