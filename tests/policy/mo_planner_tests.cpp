// MO action planning, alone and end to end with the chain over an in-memory store.
#include <catch2/catch.hpp>

#include "support.hpp"

using namespace policy_test;

namespace {

constexpr const char* us = "13055550123";  // US-FL
constexpr const char* ca = "14165550123";  // CA-ON
constexpr const char* qc = "15145550123";  // CA-QC

mo_input mo(const char* text, const char* msisdn = us, const char* brand = "acme") {
    mo_input in;
    in.mo_id = "mo-1";
    in.brand = brand;
    in.msisdn = msisdn;
    in.receiving_number = "12345";
    in.received = utc(2026, 6, 10, 16, 0);
    in.text = text;
    return in;
}

mo_plan plan(const char* text, const mo_state& state = {}, const char* msisdn = us,
             const char* brand = "acme") {
    return default_engine().plan_mo(mo(text, msisdn, brand), state);
}

mo_state opted_out_brand() {
    mo_state s;
    s.brand_optout = optout_summary{utc(2026, 1, 1, 0, 0), false};
    return s;
}

// A STOPALL in force with its record: by default the number's own MO keyword created it.
mo_state opted_out_all(record_source source = record_source::mo) {
    mo_state s;
    s.all_optout = optout_summary{utc(2026, 1, 1, 0, 0), true};
    s.all_optout_record = optout_record{std::string(all_brands),
                                        us,
                                        utc(2026, 1, 1, 0, 0),
                                        source == record_source::mo ? "stopall" : "",
                                        source,
                                        "ref-1"};
    return s;
}

consent_record consent_event(message_class k, consent_status status, time_point when,
                             consent_type type = consent_type::express_written,
                             const char* channel = "") {
    consent_record c;
    c.brand = "acme";
    c.msisdn = us;
    c.klass = k;
    c.status = status;
    c.type = type;
    c.granted = when;
    c.source = record_source::web;
    c.proof = "web form v3";
    c.program = "deals";
    c.jurisdiction = "US-FL";
    if (status == consent_status::revoked) {
        c.revoked = when;
        c.revocation_channel = channel;
    }
    return c;
}

}  // namespace

TEST_CASE("STOP records the opt-out durably, revokes consents, confirms once", "[mo]") {
    const auto p = plan("STOP");
    CHECK(p.match.kind == keyword_kind::opt_out);
    REQUIRE(p.actions.size() == 3);
    CHECK(p.actions[0].kind == mo_action_kind::record_optout);
    CHECK(p.actions[0].before_ack);
    REQUIRE(p.actions[0].optout);
    CHECK(p.actions[0].optout->brand == "acme");
    CHECK(p.actions[0].optout->msisdn == us);
    CHECK(p.actions[0].optout->keyword == "stop");
    CHECK(p.actions[0].optout->source == record_source::mo);
    CHECK(p.actions[0].optout->reference == "mo-1");
    CHECK(p.actions[0].optout->when == utc(2026, 6, 10, 16, 0));
    CHECK(p.actions[1].kind == mo_action_kind::revoke_consents);
    CHECK(p.actions[1].before_ack);
    CHECK(p.actions[2].kind == mo_action_kind::send_reply);
    CHECK_FALSE(p.actions[2].before_ack);
    CHECK(p.actions[2].reply == keyword_reply::optout_confirmation);
    CHECK(p.actions[2].language == "en");
    CHECK(p.actions[2].text.find("acme: You are unsubscribed") == 0);
    REQUIRE(p.actions[2].send_by);
    CHECK(*p.actions[2].send_by == utc(2026, 6, 10, 16, 5));
    CHECK(p.forward);
}

TEST_CASE("a repeated STOP while opted out gets no second confirmation", "[mo]") {
    CHECK(plan("STOP", opted_out_brand()).actions.empty());
    CHECK(plan("stop please", opted_out_brand()).actions.empty());
    CHECK(plan("STOP", opted_out_all()).actions.empty());  // STOPALL already covers the brand
}

TEST_CASE("STOPALL covers every brand", "[mo]") {
    auto p = plan("STOP ALL");
    REQUIRE(p.first(mo_action_kind::record_optout));
    CHECK(p.first(mo_action_kind::record_optout)->optout->brand == all_brands);
    CHECK(p.first(mo_action_kind::revoke_consents)->brand == all_brands);
    REQUIRE(p.count(mo_action_kind::send_reply) == 1);
    CHECK(p.first(mo_action_kind::send_reply)->text.find("all brands") != std::string::npos);
    // A brand opt-out does not make STOPALL a repeat; a STOPALL does.
    CHECK(plan("STOPALL", opted_out_brand()).count(mo_action_kind::record_optout) == 1);
    CHECK(plan("STOPALL", opted_out_all()).actions.empty());
}

TEST_CASE("START lifts the opt-out, records consent evidence, confirms", "[mo]") {
    auto p = plan("START", opted_out_brand());
    REQUIRE(p.count(mo_action_kind::lift_optout) == 1);
    CHECK(p.first(mo_action_kind::lift_optout)->brand == "acme");
    const auto* c = p.first(mo_action_kind::record_consent);
    REQUIRE(c);
    REQUIRE(c->consent);
    CHECK(c->consent->brand == "acme");
    CHECK(c->consent->msisdn == us);
    CHECK(c->consent->klass == message_class::transactional);
    CHECK(c->consent->status == consent_status::granted);
    CHECK(c->consent->source == record_source::keyword);
    CHECK(c->consent->granted == utc(2026, 6, 10, 16, 0));
    CHECK(c->consent->proof.find("mo-1") != std::string::npos);   // MO id
    CHECK(c->consent->proof.find("12345") != std::string::npos);  // receiving number
    REQUIRE(p.count(mo_action_kind::send_reply) == 1);
    CHECK(p.first(mo_action_kind::send_reply)->reply == keyword_reply::optin_confirmation);

    // The number's own STOPALL: lifted too (only what was opted out; other brands' consents
    // stay revoked).
    p = plan("UNSTOP", opted_out_all());
    REQUIRE(p.count(mo_action_kind::lift_optout) == 1);
    CHECK(p.first(mo_action_kind::lift_optout)->brand == all_brands);
    CHECK(p.count(mo_action_kind::send_reply) == 1);

    // Nothing to lift: forwarded only, no reply.
    CHECK(plan("START").actions.empty());
}

TEST_CASE("START never lifts an all-brands opt-out an operator or an import entered", "[mo]") {
    for (const auto source :
         {record_source::api, record_source::import, record_source::web, record_source::paper}) {
        INFO("STOPALL source " << to_string(source));
        // Only the STOPALL in force: nothing of the brand's own to lift, so nothing at all.
        CHECK(plan("START", opted_out_all(source)).actions.empty());

        // With a brand opt-out too: the brand's is lifted, the all-brands one stays, and no
        // confirmation claims a subscription the STOPALL still blocks.
        auto state = opted_out_all(source);
        state.brand_optout = optout_summary{utc(2026, 2, 1, 0, 0), false};
        const auto p = plan("START", state);
        REQUIRE(p.count(mo_action_kind::lift_optout) == 1);
        CHECK(p.first(mo_action_kind::lift_optout)->brand == "acme");
        CHECK(p.count(mo_action_kind::send_reply) == 0);
    }
    // Without its record (no evidence lookup, a read error) the STOPALL's origin is unknown:
    // it stays.
    auto unknown = opted_out_all();
    unknown.all_optout_record.reset();
    CHECK(plan("START", unknown).actions.empty());

    // The number's own STOPALL stays too when the operator turned that off.
    const auto e = make_engine([](policy_config& c) { c.mo.start_lifts_all_brands = false; });
    auto both = opted_out_all();
    both.brand_optout = optout_summary{utc(2026, 2, 1, 0, 0), false};
    const auto p = e->plan_mo(mo("START"), both);
    REQUIRE(p.count(mo_action_kind::lift_optout) == 1);
    CHECK(p.first(mo_action_kind::lift_optout)->brand == "acme");
    CHECK(p.count(mo_action_kind::send_reply) == 0);
}

TEST_CASE("consent_revoked_by_optout finds the grant the lifted opt-outs revoked", "[mo]") {
    using k = message_class;
    const auto t0 = utc(2026, 1, 1, 0, 0);
    const auto stop = utc(2026, 3, 1, 0, 0);
    const auto stopall = utc(2026, 4, 1, 0, 0);
    const auto now = utc(2026, 6, 10, 16, 0);
    const auto granted = consent_event(k::promotional, consent_status::granted, t0);
    const auto by_mo = [](time_point t) {
        return consent_event(k::promotional, consent_status::revoked, t, consent_type::express,
                             "MO");
    };

    SECTION("a grant revoked by the STOP") {
        const std::vector<consent_record> ev{granted, by_mo(stop)};
        const auto* r = consent_revoked_by_optout(ev, stop, now);
        REQUIRE(r != nullptr);
        CHECK(r->type == consent_type::express_written);
        CHECK(r->granted == t0);
    }
    SECTION("a STOP, then a STOPALL: both revocations are the lifted opt-outs'") {
        const std::vector<consent_record> ev{granted, by_mo(stop), by_mo(stopall)};
        CHECK(consent_revoked_by_optout(ev, stop, now) == &ev[0]);
        // Lifting only the STOPALL: the STOP's revocation still stands between them.
        CHECK(consent_revoked_by_optout(ev, stopall, now) == nullptr);
    }
    SECTION("an operator's revocation is never undone") {
        const auto api = consent_event(k::promotional, consent_status::revoked,
                                       utc(2026, 2, 1, 0, 0), consent_type::express, "API");
        CHECK(consent_revoked_by_optout({granted, api}, stop, now) == nullptr);
        // ... not even when the STOP revoked the already revoked consent again.
        CHECK(consent_revoked_by_optout({granted, api, by_mo(stop)}, stop, now) == nullptr);
    }
    SECTION("a revocation older than the lifted opt-out belongs to an earlier one") {
        CHECK(consent_revoked_by_optout({granted, by_mo(utc(2026, 2, 1, 0, 0))}, stop, now) ==
              nullptr);
    }
    SECTION("only a grant in force is restored") {
        auto pending = granted;
        pending.status = consent_status::pending;
        CHECK(consent_revoked_by_optout({pending, by_mo(stop)}, stop, now) == nullptr);
        auto expired = granted;
        expired.expires = utc(2026, 5, 1, 0, 0);  // between the STOP and the START
        CHECK(consent_revoked_by_optout({expired, by_mo(stop)}, stop, now) == nullptr);
        auto valid = granted;
        valid.expires = utc(2027, 1, 1, 0, 0);
        CHECK(consent_revoked_by_optout({valid, by_mo(stop)}, stop, now) != nullptr);
    }
    SECTION("nothing revoked, nothing before the revocation, no events") {
        CHECK(consent_revoked_by_optout({granted}, stop, now) == nullptr);
        CHECK(consent_revoked_by_optout({by_mo(stop)}, stop, now) == nullptr);
        CHECK(consent_revoked_by_optout({}, stop, now) == nullptr);
    }
}

TEST_CASE("START restores the consents its STOP revoked, with the START MO as proof", "[mo]") {
    using k = message_class;
    const auto t0 = utc(2026, 1, 1, 0, 0);
    const auto stop = utc(2026, 3, 1, 0, 0);
    auto state = opted_out_brand();
    state.brand_optout = optout_summary{stop, false};
    state.brand_optout_record =
        optout_record{"acme", us, stop, "stop", record_source::mo, "mo-stop"};
    state.consent_events[static_cast<std::size_t>(k::promotional)] = {
        consent_event(k::promotional, consent_status::granted, t0),
        consent_event(k::promotional, consent_status::revoked, stop, consent_type::express, "MO")};
    state.consent_events[static_cast<std::size_t>(k::transactional)] = {
        consent_event(k::transactional, consent_status::granted, t0, consent_type::express),
        consent_event(k::transactional, consent_status::revoked, stop, consent_type::express,
                      "MO")};

    const auto p = plan("START", state);
    CHECK(p.count(mo_action_kind::lift_optout) == 1);
    REQUIRE(p.count(mo_action_kind::restore_consent) == 2);
    // The restored transactional consent replaces the express one optin_consent_classes
    // would record: never two events for one class.
    CHECK(p.count(mo_action_kind::record_consent) == 0);
    for (const auto& a : p.actions) {
        if (a.kind != mo_action_kind::restore_consent) {
            continue;
        }
        CHECK_FALSE(a.before_ack);
        REQUIRE(a.consent);
        const auto& c = *a.consent;
        CHECK(a.klass == c.klass);
        CHECK(c.brand == "acme");
        CHECK(c.msisdn == us);
        CHECK(c.status == consent_status::granted);
        CHECK(c.type ==
              (c.klass == k::promotional ? consent_type::express_written : consent_type::express));
        CHECK(c.granted == utc(2026, 6, 10, 16, 0));
        CHECK(c.source == record_source::keyword);
        CHECK(c.program == "deals");
        CHECK(c.jurisdiction == "US-FL");
        CHECK_FALSE(c.revoked);
        CHECK(c.has_proof());
        // The START MO is the proof: id, time, text, receiving number.
        CHECK_THAT(c.proof, Catch::Contains("mo-1") && Catch::Contains("2026-06-10T16:00:00") &&
                                Catch::Contains("\"START\"") && Catch::Contains("12345"));
        // ... and it names what it restores.
        CHECK_THAT(c.proof, Catch::Contains("2026-01-01T00:00:00"));
    }
    CHECK(p.count(mo_action_kind::send_reply) == 1);

    SECTION("configurable off: only the express optin_consent_classes consent") {
        const auto e = make_engine([](policy_config& c) { c.mo.start_restores_consents = false; });
        const auto off = e->plan_mo(mo("START"), state);
        CHECK(off.count(mo_action_kind::restore_consent) == 0);
        REQUIRE(off.count(mo_action_kind::record_consent) == 1);
        CHECK(off.first(mo_action_kind::record_consent)->consent->klass == k::transactional);
        CHECK(off.first(mo_action_kind::record_consent)->consent->type == consent_type::express);
    }
    SECTION("without the opt-out's record nothing is restored") {
        auto no_record = state;
        no_record.brand_optout_record.reset();
        const auto q = plan("START", no_record);
        CHECK(q.count(mo_action_kind::lift_optout) == 1);
        CHECK(q.count(mo_action_kind::restore_consent) == 0);
        CHECK(q.count(mo_action_kind::record_consent) == 1);
    }
    SECTION("a YES that lifts restores the same way") {
        CHECK(plan("YES", state).count(mo_action_kind::restore_consent) == 2);
    }
}

TEST_CASE("YES confirms a pending double opt-in", "[mo]") {
    mo_state pending;
    pending.pending_promotional = true;
    auto p = plan("yes", pending);
    REQUIRE(p.count(mo_action_kind::confirm_double_opt_in) == 1);
    CHECK(p.first(mo_action_kind::confirm_double_opt_in)->klass == message_class::promotional);
    REQUIRE(p.count(mo_action_kind::send_reply) == 1);
    CHECK(p.first(mo_action_kind::send_reply)->text.find("confirmed") != std::string::npos);
    // START is not a confirmation word.
    CHECK(plan("START", pending).count(mo_action_kind::confirm_double_opt_in) == 0);
    // YES with nothing pending and no opt-out does nothing.
    CHECK(plan("YES").actions.empty());
    // YES while opted out lifts like START.
    CHECK(plan("YES", opted_out_brand()).count(mo_action_kind::lift_optout) == 1);
}

TEST_CASE("HELP is answered even when opted out", "[mo]") {
    for (const auto& state : {mo_state{}, opted_out_brand(), opted_out_all()}) {
        const auto p = plan("HELP", state);
        REQUIRE(p.actions.size() == 1);
        CHECK(p.actions[0].kind == mo_action_kind::send_reply);
        CHECK(p.actions[0].reply == keyword_reply::help);
    }
    CHECK(plan("AYUDA").actions[0].language == "es");
}

TEST_CASE("ambiguous MO: flag for review and hold promotional", "[mo]") {
    auto p = plan("don't stop the deals");
    CHECK(p.match.kind == keyword_kind::ambiguous);
    REQUIRE(p.actions.size() == 2);
    CHECK(p.actions[0].kind == mo_action_kind::place_hold);
    CHECK(p.actions[0].before_ack);
    REQUIRE(p.actions[0].hold);
    CHECK(p.actions[0].hold->text == "don't stop the deals");
    CHECK(p.actions[0].hold->reference == "mo-1");
    CHECK(p.actions[1].kind == mo_action_kind::flag_for_review);
    CHECK(p.count(mo_action_kind::send_reply) == 0);
    // Already held: flagged again, not held twice.
    mo_state held;
    held.held = true;
    p = plan("don't stop the deals", held);
    CHECK(p.count(mo_action_kind::place_hold) == 0);
    CHECK(p.count(mo_action_kind::flag_for_review) == 1);
    // A clear STOP or START resolves the hold.
    CHECK(plan("STOP", held).count(mo_action_kind::clear_hold) == 1);
    CHECK(plan("START", held).count(mo_action_kind::clear_hold) == 1);
    // Plain messages plan nothing.
    CHECK(plan("what time do you open?").actions.empty());
}

TEST_CASE("reply languages: keyword language, Canada English and French", "[mo][language]") {
    const auto reply_of = [](const char* text, const char* msisdn) {
        const auto p = plan(text, {}, msisdn);
        REQUIRE(p.count(mo_action_kind::send_reply) == 1);
        return *p.first(mo_action_kind::send_reply);
    };
    CHECK(reply_of("STOP", ca).language == "en");
    CHECK(reply_of("ARRET", qc).language == "fr");
    CHECK(reply_of("ARRET", qc).text.find("Vous êtes désabonné") != std::string::npos);
    CHECK(reply_of("AIDE", ca).language == "fr");
    // A Spanish keyword in Canada: both official languages in one message.
    const auto both = reply_of("ALTO", ca);
    CHECK(both.language == "en+fr");
    CHECK(both.text.find("unsubscribed") != std::string::npos);
    CHECK(both.text.find("désabonné") != std::string::npos);
    // In the US the keyword's language is used when texts exist for it.
    CHECK(reply_of("BAJA", us).language == "es");
    CHECK(reply_of("ARRET", us).language == "fr");
}

TEST_CASE("reply texts per brand and language", "[mo][language]") {
    const auto e = make_engine([](policy_config& c) {
        brand_mo_config b;
        b.brand = "acme";
        b.display_name = "ACME Corp";
        b.texts.push_back(
            {"en", "", "", "", "", "ACME Corp help: call 555-0100. Reply STOP to end."});
        c.mo.brands.push_back(b);
    });
    auto p = e->plan_mo(mo("HELP"), {});
    CHECK(p.first(mo_action_kind::send_reply)->text ==
          "ACME Corp help: call 555-0100. Reply STOP to end.");
    p = e->plan_mo(mo("STOP"), {});
    CHECK(p.first(mo_action_kind::send_reply)->text.find("ACME Corp: You are unsubscribed") == 0);
}

TEST_CASE("end to end: STOP, START, brand scope, STOPALL", "[mo][chain]") {
    const auto& e = default_engine();
    memory_store s;
    s.grant_written("acme", us, message_class::promotional);
    s.set_consent("acme", us, message_class::transactional, written_consent());
    s.grant_written("globex", us, message_class::promotional);
    const auto noon = local("America/New_York", 2026, 6, 10, 12, 0);
    const auto in = mo("STOP");
    const auto state = [&](const char* brand) { return fetch_mo_state(s.view(), brand, us); };

    CHECK(e.evaluate(promo(us), s.view(), noon).accepted());
    s.apply(e.plan_mo(in, state("acme")));
    CHECK(s.replies.size() == 1);
    CHECK(e.evaluate(promo(us), s.view(), noon).why == reason::opted_out);
    CHECK(e.evaluate(promo(us, "globex"), s.view(), noon).accepted());  // other brand

    // Repeated STOP: nothing recorded, no second confirmation.
    s.apply(e.plan_mo(in, state("acme")));
    CHECK(s.replies.size() == 1);

    // The confirmation itself goes out although the number is opted out.
    auto conf = promo(us);
    conf.reply = keyword_reply::optout_confirmation;
    CHECK(e.evaluate(conf, s.view(), noon).accepted());

    // START: lifted, and the consents the STOP revoked are restored with their type, so
    // promotional (express written) passes again; the restored events cite the START MO.
    auto start = mo("START");
    start.mo_id = "mo-start";
    start.received = utc(2026, 6, 10, 17, 0);
    s.apply(e.plan_mo(start, state("acme")));
    CHECK(s.replies.size() == 2);
    CHECK(
        e.evaluate(with_class(promo(us), message_class::transactional), s.view(), noon).accepted());
    CHECK(e.evaluate(promo(us), s.view(), noon).accepted());
    const auto& promo_events = s.events.at({"acme", us, message_class::promotional});
    REQUIRE(promo_events.size() == 3);  // granted, revoked by the STOP, restored by the START
    CHECK(promo_events.back().type == consent_type::express_written);
    CHECK_THAT(promo_events.back().proof, Catch::Contains("mo-start"));

    // STOPALL through globex blocks every brand.
    auto stopall = mo("STOPALL", us, "globex");
    stopall.received = utc(2026, 6, 10, 17, 30);
    s.apply(e.plan_mo(stopall, state("globex")));
    CHECK(e.evaluate(promo(us, "globex"), s.view(), noon).why == reason::opted_out_all_brands);
    CHECK(e.evaluate(with_class(promo(us), message_class::transactional), s.view(), noon).why ==
          reason::opted_out_all_brands);

    // START to acme lifts the number's own STOPALL and restores acme's consents only: globex's
    // promotional consent stays revoked by the STOPALL.
    auto start_acme = mo("START");
    start_acme.received = utc(2026, 6, 10, 18, 0);
    s.apply(e.plan_mo(start_acme, state("acme")));
    CHECK(e.evaluate(promo(us), s.view(), noon).accepted());
    CHECK(e.evaluate(promo(us, "globex"), s.view(), noon).why == reason::consent_revoked);
}

TEST_CASE("end to end: START with consent restoring turned off", "[mo][chain]") {
    const auto e = make_engine([](policy_config& c) { c.mo.start_restores_consents = false; });
    memory_store s;
    s.grant_written("acme", us, message_class::promotional);
    const auto noon = local("America/New_York", 2026, 6, 10, 12, 0);
    const auto state = [&] { return fetch_mo_state(s.view(), "acme", us); };
    s.apply(e->plan_mo(mo("STOP"), state()));
    s.apply(e->plan_mo(mo("START"), state()));
    // A new express consent for transactional; promotional stays blocked until written consent
    // is captured again (the STOP revoked it).
    CHECK(e->evaluate(with_class(promo(us), message_class::transactional), s.view(), noon)
              .accepted());
    CHECK(e->evaluate(promo(us), s.view(), noon).why == reason::consent_revoked);
}

TEST_CASE("end to end: an operator's all-brands opt-out survives a START", "[mo][chain]") {
    const auto& e = default_engine();
    memory_store s;
    s.grant_written("acme", us, message_class::promotional);
    s.grant_written("globex", us, message_class::promotional);
    const auto noon = local("America/New_York", 2026, 6, 10, 12, 0);
    const auto state = [&](const char* brand) { return fetch_mo_state(s.view(), brand, us); };

    s.opt_out_all(us, utc(2026, 5, 1, 0, 0), record_source::api);
    s.apply(e.plan_mo(mo("START"), state("acme")));
    CHECK(s.replies.empty());
    CHECK(e.evaluate(promo(us, "globex"), s.view(), noon).why == reason::opted_out_all_brands);
    CHECK(e.evaluate(promo(us), s.view(), noon).why == reason::opted_out_all_brands);

    // An import's the same. START lifts the brand's own opt-out and leaves the STOPALL, and
    // confirms nothing while it stays.
    s.opt_out_all(us, utc(2026, 5, 1, 0, 0), record_source::import);
    s.opt_out("acme", us, utc(2026, 5, 2, 0, 0), record_source::mo);
    s.apply(e.plan_mo(mo("START"), state("acme")));
    CHECK(s.optouts.count({"acme", us}) == 0);
    CHECK(s.optouts.count({std::string(all_brands), us}) == 1);
    CHECK(s.replies.empty());
    CHECK(e.evaluate(promo(us, "globex"), s.view(), noon).why == reason::opted_out_all_brands);
    CHECK(e.evaluate(promo(us), s.view(), noon).why == reason::opted_out_all_brands);
}

TEST_CASE("fetch_mo_state reads evidence only while an opt-out is in force", "[mo]") {
    memory_store s;
    s.grant_written("acme", us, message_class::promotional);
    auto st = fetch_mo_state(s.view(), "acme", us);
    CHECK(st.events(message_class::promotional).empty());
    CHECK_FALSE(st.brand_optout_record);

    s.opt_out("acme", us, utc(2026, 5, 1, 0, 0), record_source::mo);
    s.opt_out_all(us, utc(2026, 5, 2, 0, 0), record_source::import);
    st = fetch_mo_state(s.view(), "acme", us);
    REQUIRE(st.brand_optout_record);
    CHECK(st.brand_optout_record->source == record_source::mo);
    REQUIRE(st.all_optout_record);
    CHECK(st.all_optout_record->source == record_source::import);
    CHECK(st.events(message_class::promotional).size() == 1);

    // Without an evidence lookup: the summaries only.
    auto lk = s.view();
    lk.evidence = nullptr;
    st = fetch_mo_state(lk, "acme", us);
    CHECK(st.brand_optout);
    CHECK_FALSE(st.brand_optout_record);
    CHECK(st.events(message_class::promotional).empty());
}

TEST_CASE("end to end: pending double opt-in, YES, ambiguous hold", "[mo][chain]") {
    const auto& e = default_engine();
    memory_store s;
    consent_summary pending = written_consent();
    pending.status = consent_status::pending;
    s.set_consent("acme", us, message_class::promotional, pending);
    const auto noon = local("America/New_York", 2026, 6, 10, 12, 0);
    const auto state = [&] { return fetch_mo_state(s.view(), "acme", us); };

    CHECK(e.evaluate(promo(us), s.view(), noon).why == reason::consent_pending);
    CHECK(state().pending_promotional);
    s.apply(e.plan_mo(mo("YES"), state()));
    CHECK(e.evaluate(promo(us), s.view(), noon).accepted());

    s.apply(e.plan_mo(mo("please don't stop the deals"), state()));
    CHECK(state().held);
    CHECK(e.evaluate(promo(us), s.view(), noon).why == reason::review_hold);
    s.apply(e.plan_mo(mo("START"), state()));  // a clear opt-in resolves the hold
    CHECK(e.evaluate(promo(us), s.view(), noon).accepted());
}
