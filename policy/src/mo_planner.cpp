// MO action planning: pure, from classification + state + config to a list of actions.
#include "smppgw/policy/mo_planner.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "smppgw/policy/data.hpp"
#include "smppgw/policy/rfc3339.hpp"

namespace smppgw::policy {
namespace {

const std::string& pick(const reply_texts& t, reply_text kind) noexcept {
    switch (kind) {
        case reply_text::optout:
            return t.optout_confirmation;
        case reply_text::optout_all:
            return t.optout_all_confirmation;
        case reply_text::optin:
            return t.optin_confirmation;
        case reply_text::double_opt_in:
            return t.double_opt_in_confirmation;
        case reply_text::help:
            return t.help;
    }
    return t.help;
}

std::string substitute(std::string_view tmpl, std::string_view display) {
    std::string out;
    out.reserve(tmpl.size() + display.size());
    constexpr std::string_view placeholder = "{brand}";
    while (true) {
        const auto at = tmpl.find(placeholder);
        out.append(tmpl.substr(0, at));
        if (at == std::string_view::npos) {
            return out;
        }
        out.append(display);
        tmpl.remove_prefix(at + placeholder.size());
    }
}

bool region_in(std::string_view region, const std::vector<std::string>& prefixes) noexcept {
    return std::any_of(prefixes.begin(), prefixes.end(), [&](const std::string& p) {
        return region == p || (region.size() > p.size() && region.substr(0, p.size()) == p &&
                               region[p.size()] == '-');
    });
}

keyword_reply reply_kind(reply_text t) noexcept {
    switch (t) {
        case reply_text::optout:
        case reply_text::optout_all:
            return keyword_reply::optout_confirmation;
        case reply_text::optin:
        case reply_text::double_opt_in:
            return keyword_reply::optin_confirmation;
        case reply_text::help:
            return keyword_reply::help;
    }
    return keyword_reply::help;
}

}  // namespace

mo_state fetch_mo_state(const lookups& lk, std::string_view brand, std::string_view msisdn) {
    mo_state s;
    if (lk.optouts != nullptr) {
        if (auto o = lk.optouts->find_optout(brand, msisdn); o && !o->all_brands) {
            s.brand_optout = o;
        }
        if (auto o = lk.optouts->find_optout(all_brands, msisdn)) {
            s.all_optout = o;
        }
    }
    if (lk.consents != nullptr) {
        const auto pending = [&](message_class k) {
            const auto c = lk.consents->find_consent(brand, msisdn, k);
            return c && c->status == consent_status::pending;
        };
        s.pending_promotional = pending(message_class::promotional);
        s.pending_transactional = pending(message_class::transactional);
    }
    if (lk.holds != nullptr) {
        s.held = lk.holds->find_hold(brand, msisdn).has_value();
    }
    // Only an opt-out in force gives a START something to undo: other MOs read no evidence.
    if (lk.evidence != nullptr && (s.brand_optout || s.all_optout)) {
        if (s.brand_optout) {
            s.brand_optout_record = lk.evidence->optout_evidence(brand, msisdn);
        }
        if (s.all_optout) {
            s.all_optout_record = lk.evidence->optout_evidence(all_brands, msisdn);
        }
        for (auto k : {message_class::transactional, message_class::promotional,
                       message_class::conversational}) {
            s.consent_events[static_cast<std::size_t>(k)] =
                lk.evidence->consent_events(brand, msisdn, k);
        }
    }
    return s;
}

const consent_record* consent_revoked_by_optout(const std::vector<consent_record>& events,
                                                time_point optout_since, time_point now) noexcept {
    const auto by_optout = [&](const consent_record& e) {
        return e.status == consent_status::revoked && e.revocation_channel == "MO" &&
               e.revoked.value_or(e.granted) >= optout_since;
    };
    auto it = events.rbegin();
    // A STOP followed by a STOPALL leaves two revocations; both belong to what START lifts.
    while (it != events.rend() && by_optout(*it)) {
        ++it;
    }
    if (it == events.rbegin() || it == events.rend()) {
        return nullptr;  // not revoked by these opt-outs, or nothing was granted before
    }
    const consent_record& before = *it;
    if (before.status != consent_status::granted || (before.expires && *before.expires <= now)) {
        return nullptr;  // pending, revoked by someone else, or no longer valid anyway
    }
    return &before;
}

std::size_t mo_plan::count(mo_action_kind k) const noexcept {
    return static_cast<std::size_t>(std::count_if(actions.begin(), actions.end(),
                                                  [k](const mo_action& a) { return a.kind == k; }));
}

const mo_action* mo_plan::first(mo_action_kind k) const noexcept {
    auto it = std::find_if(actions.begin(), actions.end(),
                           [k](const mo_action& a) { return a.kind == k; });
    return it == actions.end() ? nullptr : &*it;
}

mo_planner::mo_planner(const mo_config& cfg) : cfg_(cfg) {
    const auto def = std::find_if(cfg_.texts.begin(), cfg_.texts.end(), [&](const reply_texts& t) {
        return t.language == cfg_.default_language;
    });
    if (def == cfg_.texts.end()) {
        throw config_error(fmt::format("mo.texts has no texts for the default language '{}'",
                                       cfg_.default_language));
    }
    for (auto k : {reply_text::optout, reply_text::optout_all, reply_text::optin,
                   reply_text::double_opt_in, reply_text::help}) {
        if (pick(*def, k).empty()) {
            throw config_error(fmt::format("mo.texts.{}: a reply text is empty", def->language));
        }
    }
}

bool mo_planner::has_language(std::string_view brand, std::string_view language) const {
    if (std::any_of(cfg_.texts.begin(), cfg_.texts.end(),
                    [&](const reply_texts& t) { return t.language == language; })) {
        return true;
    }
    for (const auto& b : cfg_.brands) {
        if (b.brand == brand) {
            return std::any_of(b.texts.begin(), b.texts.end(),
                               [&](const reply_texts& t) { return t.language == language; });
        }
    }
    return false;
}

// Brand override in that language, else the global text in that language, else the global
// text in the default language.
std::string mo_planner::text_in(reply_text kind, std::string_view brand,
                                std::string_view language) const {
    std::string_view display = brand;
    const std::string* chosen = nullptr;
    for (const auto& b : cfg_.brands) {
        if (b.brand != brand) {
            continue;
        }
        if (!b.display_name.empty()) {
            display = b.display_name;
        }
        for (const auto& t : b.texts) {
            if (t.language == language && !pick(t, kind).empty()) {
                chosen = &pick(t, kind);
            }
        }
    }
    if (chosen == nullptr) {
        for (const auto& t : cfg_.texts) {
            if (t.language == language && !pick(t, kind).empty()) {
                chosen = &pick(t, kind);
            }
        }
    }
    if (chosen == nullptr) {
        for (const auto& t : cfg_.texts) {
            if (t.language == cfg_.default_language) {
                chosen = &pick(t, kind);
            }
        }
    }
    return chosen == nullptr ? std::string{} : substitute(*chosen, display);
}

mo_planner::reply mo_planner::reply_for(reply_text kind, std::string_view brand,
                                        std::string_view keyword_language,
                                        std::string_view region) const {
    std::string brand_language = cfg_.default_language;
    for (const auto& b : cfg_.brands) {
        if (b.brand == brand && !b.language.empty()) {
            brand_language = b.language;
        }
    }
    if (region_in(region, cfg_.bilingual_regions)) {
        const auto& langs = cfg_.bilingual_languages;
        if (std::find(langs.begin(), langs.end(), keyword_language) != langs.end()) {
            return {text_in(kind, brand, keyword_language), std::string(keyword_language)};
        }
        // A keyword in neither official language: one message carrying all of them.
        reply r;
        for (const auto& l : langs) {
            if (!r.text.empty()) {
                r.text.append("\n");
                r.language.append("+");
            }
            r.text.append(text_in(kind, brand, l));
            r.language.append(l);
        }
        return r;
    }
    const std::string language = !keyword_language.empty() && has_language(brand, keyword_language)
                                     ? std::string(keyword_language)
                                     : brand_language;
    return {text_in(kind, brand, language), language};
}

std::vector<mo_action> mo_planner::restorations(const mo_input& in, const keyword_match& match,
                                                const mo_state& state, bool lift_brand,
                                                bool lift_all) const {
    // Revocations from the earliest lifted opt-out on are undone; each lifted opt-out needs its
    // record (its time), or nothing is restored.
    std::optional<time_point> since;
    for (const auto& [lifted, record] : {std::pair{lift_brand, &state.brand_optout_record},
                                         std::pair{lift_all, &state.all_optout_record}}) {
        if (!lifted) {
            continue;
        }
        if (!*record) {
            return {};
        }
        since = since ? std::min(*since, (*record)->when) : (*record)->when;
    }
    if (!since) {
        return {};
    }
    std::vector<mo_action> out;
    for (auto klass : {message_class::transactional, message_class::promotional,
                       message_class::conversational}) {
        const consent_record* before =
            consent_revoked_by_optout(state.events(klass), *since, in.received);
        if (before == nullptr) {
            continue;
        }
        consent_record c;
        c.brand = std::string(in.brand);
        c.msisdn = std::string(in.msisdn);
        c.klass = klass;
        c.status = consent_status::granted;
        c.type = before->type;
        c.program = before->program;
        c.granted = in.received;
        c.source = record_source::keyword;
        c.proof = fmt::format(
            "START MO {} at {} to {}: \"{}\"; restores the {} consent granted {} ({})", in.mo_id,
            format_time(in.received), in.receiving_number, in.text, to_string(before->type),
            format_time(before->granted), to_string(before->source));
        c.proof_url = match.keyword;
        c.jurisdiction = before->jurisdiction;
        c.expires = before->expires;

        mo_action a;
        a.kind = mo_action_kind::restore_consent;
        a.brand = c.brand;
        a.msisdn = c.msisdn;
        a.klass = klass;
        a.when = in.received;
        a.consent = std::move(c);
        out.push_back(std::move(a));
    }
    return out;
}

mo_plan mo_planner::plan(const mo_input& in, const keyword_match& match,
                         const mo_state& state) const {
    mo_plan p;
    p.match = match;
    const std::string brand(in.brand);
    const std::string msisdn(in.msisdn);

    const auto action = [&](mo_action_kind kind, bool before_ack, std::string scope) {
        mo_action a;
        a.kind = kind;
        a.before_ack = before_ack;
        a.brand = std::move(scope);
        a.msisdn = msisdn;
        a.when = in.received;
        return a;
    };
    const auto send = [&](reply_text kind) {
        mo_action a = action(mo_action_kind::send_reply, false, brand);
        auto r = reply_for(kind, in.brand, match.language, in.region);
        a.reply = reply_kind(kind);
        if (a.reply == keyword_reply::optout_confirmation) {
            a.send_by = in.received + cfg_.confirmation_window;
        }
        a.text = std::move(r.text);
        a.language = std::move(r.language);
        p.actions.push_back(std::move(a));
    };
    const auto clear_hold = [&] {
        if (state.held) {
            p.actions.push_back(action(mo_action_kind::clear_hold, false, brand));
        }
    };

    switch (match.kind) {
        case keyword_kind::opt_out:
        case keyword_kind::opt_out_all: {
            const bool all = match.kind == keyword_kind::opt_out_all;
            // A repeated STOP changes nothing and gets no second confirmation.
            const bool covered =
                all ? state.all_optout.has_value()
                    : (state.brand_optout.has_value() || state.all_optout.has_value());
            if (covered) {
                break;
            }
            const std::string scope = all ? std::string(all_brands) : brand;
            mo_action rec = action(mo_action_kind::record_optout, true, scope);
            rec.optout = optout_record{scope,
                                       msisdn,
                                       in.received,
                                       match.keyword,
                                       record_source::mo,
                                       std::string(in.mo_id)};
            p.actions.push_back(std::move(rec));
            if (cfg_.revoke_consents_on_optout) {
                p.actions.push_back(action(mo_action_kind::revoke_consents, true, scope));
            }
            clear_hold();
            send(all ? reply_text::optout_all : reply_text::optout);
            break;
        }
        case keyword_kind::opt_in: {
            const bool lift_brand = state.brand_optout.has_value();
            // Only the number's own STOPALL: an operator's or an import's all-brands opt-out
            // is not the consumer's to undo from one brand's number.
            const bool all_by_own_mo =
                state.all_optout_record && state.all_optout_record->source == record_source::mo;
            const bool lift_all =
                state.all_optout.has_value() && cfg_.start_lifts_all_brands && all_by_own_mo;
            if (lift_brand || lift_all) {
                if (lift_brand) {
                    p.actions.push_back(action(mo_action_kind::lift_optout, false, brand));
                }
                if (lift_all) {
                    p.actions.push_back(
                        action(mo_action_kind::lift_optout, false, std::string(all_brands)));
                }
                std::array<bool, 3> restored{};
                if (cfg_.start_restores_consents) {
                    for (auto& a : restorations(in, match, state, lift_brand, lift_all)) {
                        restored[static_cast<std::size_t>(a.klass)] = true;
                        p.actions.push_back(std::move(a));
                    }
                }
                for (auto klass : cfg_.optin_consent_classes) {
                    if (restored[static_cast<std::size_t>(klass)]) {
                        continue;  // the restored consent is at least as strong
                    }
                    mo_action a = action(mo_action_kind::record_consent, false, brand);
                    consent_record c;
                    c.brand = brand;
                    c.msisdn = msisdn;
                    c.klass = klass;
                    c.status = consent_status::granted;
                    c.type = consent_type::express;
                    c.granted = in.received;
                    c.source = record_source::keyword;
                    c.proof = fmt::format("MO {} '{}' to {}", in.mo_id, match.keyword,
                                          in.receiving_number);
                    c.proof_url = match.keyword;
                    p.actions.push_back(std::move(a));
                    p.actions.back().consent = std::move(c);
                    p.actions.back().klass = klass;
                }
                clear_hold();
                // A STOPALL that stays in force still blocks the brand: saying "subscribed"
                // would be false.
                if (!state.all_optout || lift_all) {
                    send(reply_text::optin);
                }
                break;
            }
            if (match.confirms_double_opt_in &&
                (state.pending_promotional || state.pending_transactional)) {
                for (auto [pending, klass] :
                     {std::pair{state.pending_promotional, message_class::promotional},
                      std::pair{state.pending_transactional, message_class::transactional}}) {
                    if (pending) {
                        mo_action a = action(mo_action_kind::confirm_double_opt_in, false, brand);
                        a.klass = klass;
                        p.actions.push_back(std::move(a));
                    }
                }
                clear_hold();
                send(reply_text::double_opt_in);
                break;
            }
            // Nothing to lift or confirm; a clear opt-in still resolves a review hold.
            clear_hold();
            break;
        }
        case keyword_kind::help:
            // Answered even when opted out: the reply is exempt from the opt-out check.
            send(reply_text::help);
            break;
        case keyword_kind::ambiguous:
            if (cfg_.hold_on_ambiguous && !state.held) {
                mo_action h = action(mo_action_kind::place_hold, true, brand);
                h.hold = hold_record{brand, msisdn, in.received, std::string(in.mo_id),
                                     std::string(in.text)};
                p.actions.push_back(std::move(h));
            }
            {
                mo_action f = action(mo_action_kind::flag_for_review, false, brand);
                f.text = std::string(in.text);
                p.actions.push_back(std::move(f));
            }
            break;
        case keyword_kind::none:
            break;
    }
    // Durable actions first, in their relative order.
    std::stable_partition(p.actions.begin(), p.actions.end(),
                          [](const mo_action& a) { return a.before_ack; });
    return p;
}

}  // namespace smppgw::policy
