// The MT chain: order, opt-out, consent, frequency caps, content, shadow mode, counters and
// re-evaluation of deferred messages.
#include <catch2/catch.hpp>

#include "support.hpp"

using namespace policy_test;
using std::chrono::hours;
using std::chrono::milliseconds;

namespace {

constexpr const char* ny = "America/New_York";
constexpr const char* fl = "13055550123";   // US-FL, New York zone
constexpr const char* nyc = "12125550123";  // US-NY

// Wednesday noon in New York: inside every US window.
time_point noon() {
    return local(ny, 2026, 6, 10, 12, 0);
}

}  // namespace

TEST_CASE("a consented promotional message in the window is accepted", "[chain]") {
    memory_store s;
    s.grant_written("acme", fl, message_class::promotional);
    const auto d = default_engine().evaluate(promo(fl), s.view(), noon());
    CHECK(d.accepted());
    CHECK(d.check == check_id::none);
    CHECK(d.command_status == 0);
    CHECK(d.destination.digits() == fl);
    CHECK(d.counts_toward_frequency);
    CHECK(d.shadow_count == 0);
}

TEST_CASE("invalid destinations are rejected first, with their status", "[chain]") {
    memory_store s;
    auto f = promo("ACME");
    f.destination.ton = type_of_number::alphanumeric;
    auto d = default_engine().evaluate(f, s.view(), noon());
    CHECK(d.rejected());
    CHECK(d.check == check_id::destination);
    CHECK(d.why == reason::alphanumeric_destination);
    CHECK(d.command_status == 0x401);
    CHECK(d.destination.empty());

    d = default_engine().evaluate(promo("1305 555"), s.view(), noon());
    CHECK(d.why == reason::invalid_destination);
    CHECK(d.command_status == 0x400);

    // A national number is normalized before any lookup: the opt-out is found under E.164.
    s.opt_out("acme", fl);
    f = promo("3055550123");
    f.destination.ton = type_of_number::national;
    d = default_engine().evaluate(f, s.view(), noon());
    CHECK(d.why == reason::opted_out);
    CHECK(d.destination.digits() == fl);
}

TEST_CASE("opt-out: brand scope, other brands, STOPALL, exempt replies", "[chain][optout]") {
    memory_store s;
    s.default_consent = written_consent();
    s.opt_out("acme", fl);
    const auto& e = default_engine();

    auto d = e.evaluate(promo(fl, "acme"), s.view(), noon());
    CHECK(d.rejected());
    CHECK(d.check == check_id::optout);
    CHECK(d.why == reason::opted_out);
    CHECK(d.command_status == 0x410);
    // Every class of the brand: an opt-out revokes both consents.
    CHECK(e.evaluate(with_class(promo(fl), message_class::transactional), s.view(), noon()).why ==
          reason::opted_out);
    CHECK(e.evaluate(with_class(promo(fl), message_class::conversational), s.view(), noon()).why ==
          reason::opted_out);
    // Another brand is not affected by a brand-scoped opt-out.
    CHECK(e.evaluate(promo(fl, "globex"), s.view(), noon()).accepted());

    // STOPALL covers every brand.
    s.opt_out_all(nyc);
    d = e.evaluate(promo(nyc, "globex"), s.view(), noon());
    CHECK(d.why == reason::opted_out_all_brands);
    CHECK(d.command_status == 0x411);
    // Brand scope is reported first when both exist.
    s.opt_out("globex", nyc);
    CHECK(e.evaluate(promo(nyc, "globex"), s.view(), noon()).why == reason::opted_out);

    // The confirmation and HELP replies reach an opted-out number, at any hour.
    auto conf = promo(fl);
    conf.reply = keyword_reply::optout_confirmation;
    CHECK(e.evaluate(conf, s.view(), local(ny, 2026, 6, 10, 23, 0)).accepted());
    auto help = promo(nyc, "globex");
    help.reply = keyword_reply::help;
    CHECK(e.evaluate(help, s.view(), noon()).accepted());
}

TEST_CASE("review holds block promotional only", "[chain][optout]") {
    memory_store s;
    s.default_consent = written_consent();
    s.hold("acme", fl);
    const auto& e = default_engine();
    const auto d = e.evaluate(promo(fl), s.view(), noon());
    CHECK(d.rejected());
    CHECK(d.why == reason::review_hold);
    CHECK(d.command_status == 0x412);
    CHECK(e.evaluate(with_class(promo(fl), message_class::transactional), s.view(), noon())
              .accepted());
    CHECK(e.evaluate(promo(fl, "globex"), s.view(), noon()).accepted());
    // Without a hold lookup there are no holds.
    lookups no_holds = s.view();
    no_holds.holds = nullptr;
    CHECK(e.evaluate(promo(fl), no_holds, noon()).accepted());
}

TEST_CASE("consent by class", "[chain][consent]") {
    const auto& e = default_engine();
    const auto t = noon();
    struct consent_case {
        const char* what;
        message_class klass;
        std::optional<consent_summary> promotional;
        std::optional<consent_summary> transactional;
        reason expect;
    };
    consent_summary express;
    express.type = consent_type::express;
    consent_summary no_proof = written_consent();
    no_proof.has_proof = false;
    consent_summary pending = written_consent();
    pending.status = consent_status::pending;
    consent_summary revoked = written_consent();
    revoked.status = consent_status::revoked;
    consent_summary expired = written_consent();
    expired.expires = t - hours{1};
    consent_summary not_yet_expired = written_consent();
    not_yet_expired.expires = t + hours{1};
    consent_summary express_pending = express;
    express_pending.status = consent_status::pending;
    const auto promo_k = message_class::promotional;
    const auto trans_k = message_class::transactional;
    const auto conv_k = message_class::conversational;

    const consent_case cases[] = {
        {"promotional, none", promo_k, std::nullopt, std::nullopt, reason::no_consent},
        {"promotional, written with proof", promo_k, written_consent(), std::nullopt, reason::none},
        {"promotional, express only", promo_k, express, std::nullopt, reason::consent_not_written},
        {"promotional, no proof", promo_k, no_proof, std::nullopt, reason::consent_without_proof},
        {"promotional, pending double opt-in", promo_k, pending, std::nullopt,
         reason::consent_pending},
        {"promotional, revoked", promo_k, revoked, std::nullopt, reason::consent_revoked},
        {"promotional, expired", promo_k, expired, std::nullopt, reason::consent_expired},
        {"promotional, expires later", promo_k, not_yet_expired, std::nullopt, reason::none},
        {"promotional, transactional consent never covers it", promo_k, std::nullopt,
         written_consent(), reason::no_consent},
        {"transactional, none", trans_k, std::nullopt, std::nullopt, reason::no_consent},
        {"transactional, express", trans_k, std::nullopt, express, reason::none},
        {"transactional, written", trans_k, std::nullopt, written_consent(), reason::none},
        {"transactional, pending", trans_k, std::nullopt, express_pending, reason::consent_pending},
        {"transactional, revoked", trans_k, std::nullopt, revoked, reason::consent_revoked},
        {"transactional, covered by promotional written", trans_k, written_consent(), std::nullopt,
         reason::none},
        {"transactional, promotional express does not cover", trans_k, express, std::nullopt,
         reason::no_consent},
        {"conversational needs none by default", conv_k, std::nullopt, std::nullopt, reason::none},
    };
    for (const auto& c : cases) {
        INFO(c.what);
        memory_store s;
        if (c.promotional) {
            s.set_consent("acme", fl, promo_k, *c.promotional);
        }
        if (c.transactional) {
            s.set_consent("acme", fl, trans_k, *c.transactional);
        }
        const auto d = e.evaluate(with_class(promo(fl), c.klass), s.view(), t);
        CHECK(d.why == c.expect);
        if (c.expect != reason::none) {
            CHECK(d.check == check_id::consent);
            CHECK(d.command_status == command_status_for(c.expect));
        }
    }

    const auto strict =
        make_engine([](policy_config& c) { c.consent.conversational_requires_consent = true; });
    memory_store s;
    CHECK(strict->evaluate(with_class(promo(fl), conv_k), s.view(), t).why == reason::no_consent);
    s.set_consent("acme", fl, trans_k, express);
    CHECK(strict->evaluate(with_class(promo(fl), conv_k), s.view(), t).accepted());
}

TEST_CASE("frequency cap: 3 promotional per 24 h in FL, defer until the oldest ages out",
          "[chain][frequency]") {
    memory_store s;
    s.default_consent = written_consent();
    const auto t = noon();
    s.sent("acme", fl, t - hours{20});
    s.sent("acme", fl, t - hours{10});
    const auto& e = default_engine();
    CHECK(e.evaluate(promo(fl), s.view(), t).accepted());  // two in the window

    s.sent("acme", fl, t - hours{1});
    auto d = e.evaluate(promo(fl), s.view(), t);
    REQUIRE(d.deferred());
    CHECK(d.check == check_id::frequency);
    CHECK(d.why == reason::frequency_cap);
    CHECK(d.until == t + hours{4});  // the send at t-20h leaves the window at t+4h
    CHECK(d.command_status == 0);
    // Still capped one millisecond before; accepted at the instant named.
    CHECK(e.evaluate(promo(fl), s.view(), d.until - milliseconds{1}).deferred());
    CHECK(e.evaluate(promo(fl), s.view(), d.until).accepted());

    // Sends older than 24 h do not count; other brands and transactional are not capped.
    memory_store old;
    old.default_consent = written_consent();
    for (int h : {30, 26, 24}) {
        old.sent("acme", fl, t - hours{h});
    }
    CHECK(e.evaluate(promo(fl), old.view(), t).accepted());
    CHECK(e.evaluate(promo(fl, "globex"), s.view(), t).accepted());
    CHECK(e.evaluate(with_class(promo(fl), message_class::transactional), s.view(), t).accepted());

    // OK and MD are capped too; New York is not by default.
    for (const char* n : {"14055550123", "14105550123"}) {
        INFO(n);
        memory_store x;
        x.default_consent = written_consent();
        for (int h : {5, 3, 1}) {
            x.sent("acme", n, t - hours{h});
        }
        CHECK(e.evaluate(promo(n), x.view(), t).deferred());
    }
    memory_store many;
    many.default_consent = written_consent();
    for (int h = 1; h <= 10; ++h) {
        many.sent("acme", nyc, t - hours{h});
    }
    CHECK(e.evaluate(promo(nyc), many.view(), t).accepted());

    // A global cap applies everywhere; reject mode uses the documented status.
    const auto global = make_engine([](policy_config& c) {
        c.frequency.caps.push_back({"*", 5, hours{24}});
        c.frequency.action = block_action::reject;
    });
    d = global->evaluate(promo(nyc), many.view(), t);
    CHECK(d.rejected());
    CHECK(d.command_status == 0x430);
}

TEST_CASE("content rules: brand prefix and opt-out instructions on the first message",
          "[chain][content]") {
    const auto e = make_engine([](policy_config& c) {
        c.content.require_brand_prefix = true;
        c.content.brand_prefixes = {{"acme", "Acme:"}};
        c.content.require_optout_instructions = true;
    });
    memory_store s;
    s.grant_written("acme", fl, message_class::promotional, noon() - hours{48});
    auto f = promo(fl);
    f.text = "20% off today!";
    auto d = e->evaluate(f, s.view(), noon());
    CHECK(d.why == reason::content_brand_missing);
    CHECK(d.command_status == 0x450);

    f.text = "ACME: 20% off today!";  // prefix compared case-insensitively
    d = e->evaluate(f, s.view(), noon());
    CHECK(d.why == reason::content_optout_missing);
    CHECK(d.command_status == 0x451);

    f.text = "Acme: 20% off today! Reply STOP to opt out";
    CHECK(e->evaluate(f, s.view(), noon()).accepted());
    f.text = "Acme: 20% off today! Stopwatch sale";  // "stop" must be a whole word
    CHECK(e->evaluate(f, s.view(), noon()).why == reason::content_optout_missing);

    // After a promotional send since the consent, instructions are no longer required.
    s.sent("acme", fl, noon() - hours{30});
    f.text = "Acme: 20% off today!";
    CHECK(e->evaluate(f, s.view(), noon()).accepted());

    // Default config: content rules off.
    memory_store plain;
    plain.grant_written("acme", fl, message_class::promotional);
    f.text = "no prefix, no instructions";
    CHECK(default_engine().evaluate(f, plain.view(), noon()).accepted());
}

TEST_CASE("shadow mode decides and counts but does not enforce", "[chain][shadow]") {
    const auto e = make_engine([](policy_config& c) {
        c.optout.shadow = true;
        c.quiet_hours.shadow = true;
    });
    memory_store s;
    s.default_consent = written_consent();
    s.opt_out("acme", fl);
    const auto night = local(ny, 2026, 6, 10, 23, 0);
    const auto d = e->evaluate(promo(fl), s.view(), night);
    CHECK(d.accepted());
    REQUIRE(d.shadow_count == 2);
    CHECK(d.shadows[0].check == check_id::optout);
    CHECK(d.shadows[0].would_be == verdict::reject);
    CHECK(d.shadows[0].why == reason::opted_out);
    CHECK(d.shadows[1].check == check_id::quiet_hours);
    CHECK(d.shadows[1].would_be == verdict::defer);
    CHECK(d.shadows[1].until == local(ny, 2026, 6, 11, 8, 0));

    const auto& optout = e->mt_chain().find(check_id::optout)->counters();
    CHECK(optout.shadow_rejected == 1);
    CHECK(optout.rejected == 0);
    CHECK(optout.by_reason[static_cast<std::size_t>(reason::opted_out)] == 1);
    const auto& qh = e->mt_chain().find(check_id::quiet_hours)->counters();
    CHECK(qh.shadow_deferred == 1);
    CHECK(qh.deferred == 0);

    // An enforcing check after shadow ones still decides.
    s.default_consent.reset();
    const auto r = e->evaluate(promo(fl), s.view(), night);
    CHECK(r.rejected());
    CHECK(r.why == reason::no_consent);
    CHECK(r.shadow_count == 1);  // opt-out noted before consent decided

    // Destination in shadow: accepted, nothing else consulted.
    const auto ds = make_engine([](policy_config& c) { c.destination.shadow = true; });
    auto bad = promo("garbage");
    const auto g = ds->evaluate(bad, s.view(), night);
    CHECK(g.accepted());
    REQUIRE(g.shadow_count == 1);
    CHECK(g.shadows[0].why == reason::invalid_destination);
    CHECK(ds->mt_chain().find(check_id::consent)->counters().accepted == 0);
}

TEST_CASE("each check counts its verdicts", "[chain][metrics]") {
    const auto e = make_engine([](policy_config&) {});
    memory_store s;
    s.grant_written("acme", fl, message_class::promotional);
    s.opt_out("acme", nyc);
    const auto t = noon();
    (void)e->evaluate(promo(fl), s.view(), t);                              // accepted
    (void)e->evaluate(promo(nyc), s.view(), t);                             // opted out
    (void)e->evaluate(promo("12065550123"), s.view(), t);                   // no consent
    (void)e->evaluate(promo(fl), s.view(), local(ny, 2026, 6, 10, 22, 0));  // deferred
    auto conf = promo(nyc);
    conf.reply = keyword_reply::optout_confirmation;
    (void)e->evaluate(conf, s.view(), t);  // exempt everywhere after destination

    const auto& c = e->mt_chain();
    CHECK(c.find(check_id::destination)->counters().accepted == 5);
    const auto& o = c.find(check_id::optout)->counters();
    CHECK(o.accepted == 3);
    CHECK(o.rejected == 1);
    CHECK(o.exempt == 1);
    const auto& k = c.find(check_id::consent)->counters();
    CHECK(k.accepted == 2);
    CHECK(k.rejected == 1);
    CHECK(k.by_reason[static_cast<std::size_t>(reason::no_consent)] == 1);
    const auto& q = c.find(check_id::quiet_hours)->counters();
    CHECK(q.accepted == 1);
    CHECK(q.deferred == 1);
    CHECK(q.exempt == 1);

    const auto off = make_engine([](policy_config& cfg) { cfg.frequency.enabled = false; });
    CHECK(off->mt_chain().find(check_id::frequency) == nullptr);
    CHECK(off->mt_chain().checks().size() == 5);
}

TEST_CASE("a deferred message runs the chain again at release", "[chain][reevaluation]") {
    memory_store s;
    s.grant_written("acme", fl, message_class::promotional);
    const auto& e = default_engine();
    const auto night = local(ny, 2026, 6, 10, 22, 30);
    const auto d = e.evaluate(promo(fl), s.view(), night);
    REQUIRE(d.deferred());
    REQUIRE(d.until == local(ny, 2026, 6, 11, 8, 0));

    // Released later with nothing changed: accepted.
    CHECK(e.evaluate(promo(fl), s.view(), d.until).accepted());
    // Released after the number opted out meanwhile: rejected, never sent.
    s.opt_out("acme", fl, night + hours{1});
    const auto r = e.evaluate(promo(fl), s.view(), d.until);
    CHECK(r.rejected());
    CHECK(r.why == reason::opted_out);
}
