// Quiet hours and days through the whole chain (consent granted everywhere, so quiet hours is
// the only check that can object), plus the search itself on hand-made rule sets.
#include <catch2/catch.hpp>

#include "smppgw/policy/quiet_hours.hpp"
#include "support.hpp"

using namespace policy_test;

namespace {

decision send_at(std::string_view e164_digits, time_point t,
                 message_class k = message_class::promotional, const engine& e = default_engine()) {
    memory_store s;
    s.default_consent = written_consent();
    return e.evaluate(with_class(promo(e164_digits), k), s.view(), t);
}

struct qh_case {
    const char* what;
    const char* number;
    time_point at;
    std::optional<time_point> until;  // nullopt: accepted
    const char* zone;                 // for messages
};

void run(const std::vector<qh_case>& cases) {
    for (const auto& c : cases) {
        INFO(c.what << ": " << c.number << " at " << show(c.at, c.zone));
        const decision d = send_at(c.number, c.at);
        if (!c.until) {
            CHECK(d.accepted());
            continue;
        }
        REQUIRE(d.deferred());
        CHECK(d.check == check_id::quiet_hours);
        CHECK(d.why == reason::quiet_hours);
        INFO("deferred until " << show(d.until, c.zone));
        CHECK(d.until == *c.until);
        // Releasing at the instant named is accepted by the chain run again.
        CHECK(send_at(c.number, d.until).accepted());
    }
}

constexpr const char* ny = "America/New_York";
constexpr const char* chi = "America/Chicago";

}  // namespace

TEST_CASE("US federal window is half-open from 08:00 to 21:00 local time", "[quiet]") {
    const char* nyc = "12125550123";  // US-NY: federal rule only
    run({
        {"last second", nyc, local(ny, 2026, 6, 10, 20, 59, 59), std::nullopt, ny},
        {"end is excluded", nyc, local(ny, 2026, 6, 10, 21, 0, 0), local(ny, 2026, 6, 11, 8, 0),
         ny},
        {"start is included", nyc, local(ny, 2026, 6, 10, 8, 0, 0), std::nullopt, ny},
        {"one second early", nyc, local(ny, 2026, 6, 10, 7, 59, 59), local(ny, 2026, 6, 10, 8, 0),
         ny},
        {"past midnight", nyc, local(ny, 2026, 6, 11, 0, 30), local(ny, 2026, 6, 11, 8, 0), ny},
    });
    // 21:00:00 minus one millisecond is still inside.
    CHECK(send_at(nyc, local(ny, 2026, 6, 10, 21, 0) - std::chrono::milliseconds{1}).accepted());
}

TEST_CASE("DST start and end days in America/New_York", "[quiet][dst]") {
    const char* nyc = "12125550123";
    run({
        // 2026-03-08: 02:00 EST jumps to 03:00 EDT. 08:00 that morning is 12:00Z, not 13:00Z.
        {"night before DST start", nyc, local(ny, 2026, 3, 7, 21, 30), utc(2026, 3, 8, 12, 0), ny},
        {"at the DST jump", nyc, utc(2026, 3, 8, 7, 0), utc(2026, 3, 8, 12, 0), ny},
        {"DST start day evening", nyc, local(ny, 2026, 3, 8, 20, 59, 59), std::nullopt, ny},
        {"DST start day 21:00", nyc, local(ny, 2026, 3, 8, 21, 0), utc(2026, 3, 9, 12, 0), ny},
        // 2026-11-01: 02:00 EDT falls back to 01:00 EST. 08:00 that morning is 13:00Z.
        {"night before DST end", nyc, local(ny, 2026, 10, 31, 22, 0), utc(2026, 11, 1, 13, 0), ny},
        {"first 01:30", nyc, utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 13, 0), ny},
        {"second 01:30", nyc, utc(2026, 11, 1, 6, 30), utc(2026, 11, 1, 13, 0), ny},
        {"DST end day 07:59:59", nyc, utc(2026, 11, 1, 12, 59, 59), utc(2026, 11, 1, 13, 0), ny},
        {"DST end day 08:00", nyc, utc(2026, 11, 1, 13, 0), std::nullopt, ny},
        {"DST end day 21:00", nyc, utc(2026, 11, 2, 2, 0), utc(2026, 11, 2, 13, 0), ny},
    });
}

TEST_CASE("multi-zone area codes need the window in every zone", "[quiet][zones]") {
    run({
        // 208 Idaho: Mountain and Pacific. 07:30 PDT is 08:30 MDT: Pacific not open yet.
        {"208 Pacific not open", "12085550123", local("America/Los_Angeles", 2026, 6, 10, 7, 30),
         local("America/Los_Angeles", 2026, 6, 10, 8, 0), "America/Los_Angeles"},
        {"208 both open", "12085550123", local("America/Denver", 2026, 6, 10, 20, 30), std::nullopt,
         "America/Denver"},
        {"208 Mountain closed", "12085550123", local("America/Denver", 2026, 6, 10, 21, 0),
         local("America/Los_Angeles", 2026, 6, 11, 8, 0), "America/Denver"},
        // 850 Florida panhandle: Eastern and Central, Florida's 08:00–20:00.
        {"850 Central not open", "18505550123", local(ny, 2026, 6, 10, 8, 30),
         local(chi, 2026, 6, 10, 8, 0), ny},
        {"850 Eastern closed", "18505550123", local(chi, 2026, 6, 10, 19, 30),
         local(chi, 2026, 6, 11, 8, 0), chi},
        {"850 both open", "18505550123", local(ny, 2026, 6, 10, 12, 0), std::nullopt, ny},
        // 928 Arizona: Phoenix has no DST, the Navajo Nation (Denver) does.
        {"928 summer, Denver closed", "19285550123", local("America/Phoenix", 2026, 6, 10, 20, 30),
         local("America/Phoenix", 2026, 6, 11, 8, 0), "America/Phoenix"},
        {"928 summer, Phoenix not open", "19285550123",
         local("America/Phoenix", 2026, 6, 10, 7, 30), local("America/Phoenix", 2026, 6, 10, 8, 0),
         "America/Phoenix"},
        {"928 winter, same offset", "19285550123", local("America/Phoenix", 2026, 1, 14, 20, 30),
         std::nullopt, "America/Phoenix"},
        // 2026-03-08: Denver springs forward, Phoenix does not. The evening before they agree.
        {"928 Saturday before DST", "19285550123", local("America/Phoenix", 2026, 3, 7, 20, 30),
         std::nullopt, "America/Phoenix"},
        {"928 DST day, Denver closed", "19285550123", local("America/Phoenix", 2026, 3, 8, 20, 30),
         utc(2026, 3, 9, 15, 0), "America/Phoenix"},
        // Overlays: 448 behaves like 850, 458 like 541.
        {"448 overlay gets Central", "14485550123", local(ny, 2026, 6, 10, 8, 30),
         local(chi, 2026, 6, 10, 8, 0), ny},
        {"458 overlay gets Mountain", "14585550123", local("America/Denver", 2026, 6, 10, 21, 15),
         local("America/Los_Angeles", 2026, 6, 11, 8, 0), "America/Denver"},
        {"458 open", "14585550123", local("America/Los_Angeles", 2026, 6, 10, 12, 0), std::nullopt,
         "America/Los_Angeles"},
    });
}

TEST_CASE("state rules: Florida, Connecticut, Texas Sunday", "[quiet][rules]") {
    run({
        {"FL closes at 20:00", "13055550123", local(ny, 2026, 6, 10, 20, 0),
         local(ny, 2026, 6, 11, 8, 0), ny},
        {"FL 19:59:59", "13055550123", local(ny, 2026, 6, 10, 19, 59, 59), std::nullopt, ny},
        {"CT opens at 09:00", "12035550123", local(ny, 2026, 6, 10, 8, 30),
         local(ny, 2026, 6, 10, 9, 0), ny},
        {"WA closes at 20:00", "12065550123", local("America/Los_Angeles", 2026, 6, 10, 20, 0),
         local("America/Los_Angeles", 2026, 6, 11, 8, 0), "America/Los_Angeles"},
        // Texas: 09:00–21:00, Sunday 12:00–21:00. 2026-06-14 is a Sunday.
        {"TX Sunday morning", "12145550123", local(chi, 2026, 6, 14, 10, 0),
         local(chi, 2026, 6, 14, 12, 0), chi},
        {"TX Sunday noon", "12145550123", local(chi, 2026, 6, 14, 12, 0), std::nullopt, chi},
        {"TX Saturday 08:30", "12145550123", local(chi, 2026, 6, 13, 8, 30),
         local(chi, 2026, 6, 13, 9, 0), chi},
        {"TX Saturday night to Sunday noon", "12145550123", local(chi, 2026, 6, 13, 21, 0),
         local(chi, 2026, 6, 14, 12, 0), chi},
        {"El Paso (915, Mountain) Sunday", "19155550123",
         local("America/Denver", 2026, 6, 14, 11, 59, 59),
         local("America/Denver", 2026, 6, 14, 12, 0), "America/Denver"},
    });
}

TEST_CASE("Alabama and Louisiana: no Sundays or state holidays", "[quiet][holidays]") {
    run({
        // 2026-06-14 is a Sunday.
        {"AL Sunday", "12055550123", local(chi, 2026, 6, 14, 10, 0), local(chi, 2026, 6, 15, 8, 0),
         chi},
        {"AL Saturday is open", "12055550123", local(chi, 2026, 6, 13, 10, 0), std::nullopt, chi},
        // Jefferson Davis' Birthday, Monday 2026-06-01, right after Sunday 05-31.
        {"AL Sunday then holiday", "12055550123", local(chi, 2026, 5, 30, 20, 30),
         local(chi, 2026, 6, 2, 8, 0), chi},
        {"AL Christmas 2026", "12055550123", local(chi, 2026, 12, 25, 12, 0),
         local(chi, 2026, 12, 26, 8, 0), chi},
        // Louisiana: Mardi Gras Tuesday 2026-02-17, Good Friday 2026-04-03.
        {"LA Mardi Gras", "15045550123", local(chi, 2026, 2, 17, 10, 0),
         local(chi, 2026, 2, 18, 8, 0), chi},
        {"LA Good Friday into Saturday", "15045550123", local(chi, 2026, 4, 3, 9, 0),
         local(chi, 2026, 4, 4, 8, 0), chi},
        {"LA ordinary Wednesday", "15045550123", local(chi, 2026, 2, 18, 10, 0), std::nullopt, chi},
    });
}

TEST_CASE("France: 08:00–20:00, no Sundays or public holidays", "[quiet][holidays]") {
    const char* paris = "Europe/Paris";
    const char* fr = "33123456789";
    run({
        {"weekday", fr, local(paris, 2026, 6, 10, 19, 59, 59), std::nullopt, paris},
        {"weekday 20:00", fr, local(paris, 2026, 6, 10, 20, 0), local(paris, 2026, 6, 11, 8, 0),
         paris},
        {"Sunday", fr, local(paris, 2026, 6, 14, 10, 0), local(paris, 2026, 6, 15, 8, 0), paris},
        {"Fête nationale", fr, local(paris, 2026, 7, 14, 10, 0), local(paris, 2026, 7, 15, 8, 0),
         paris},
        // Saturday evening → Sunday → Whit Monday (2026-05-25) → Tuesday.
        {"Pentecost weekend", fr, local(paris, 2026, 5, 23, 20, 30),
         local(paris, 2026, 5, 26, 8, 0), paris},
        // Good Friday (Alsace-Moselle calendar) → Saturday open.
        {"Good Friday", fr, local(paris, 2026, 4, 3, 9, 0), local(paris, 2026, 4, 4, 8, 0), paris},
        // Saturday evening before Easter → Sunday → Easter Monday → Tuesday.
        {"Easter", fr, local(paris, 2026, 4, 4, 20, 0), local(paris, 2026, 4, 7, 8, 0), paris},
        // DST in Europe: 2026-03-29 02:00 CET → 03:00 CEST, a Sunday; Monday 08:00 CEST.
        {"EU DST Sunday", fr, local(paris, 2026, 3, 28, 22, 0), utc(2026, 3, 30, 6, 0), paris},
    });
}

TEST_CASE("Canada weekday and weekend windows, UK and India", "[quiet][rules]") {
    const char* to = "America/Toronto";
    run({
        {"CA Friday 21:15", "14165550123", local(to, 2026, 6, 12, 21, 15), std::nullopt, to},
        {"CA Friday 21:30", "14165550123", local(to, 2026, 6, 12, 21, 30),
         local(to, 2026, 6, 13, 10, 0), to},
        {"CA Saturday 09:30", "14165550123", local(to, 2026, 6, 13, 9, 30),
         local(to, 2026, 6, 13, 10, 0), to},
        {"CA Saturday 18:00", "14165550123", local(to, 2026, 6, 13, 18, 0),
         local(to, 2026, 6, 14, 10, 0), to},
        {"CA Sunday 17:59", "14165550123", local(to, 2026, 6, 14, 17, 59), std::nullopt, to},
        {"CA Sunday 18:00 to Monday 09:00", "14165550123", local(to, 2026, 6, 14, 18, 0),
         local(to, 2026, 6, 15, 9, 0), to},
        {"UK Saturday 08:30", "447946000000", local("Europe/London", 2026, 6, 13, 8, 30),
         local("Europe/London", 2026, 6, 13, 9, 0), "Europe/London"},
        {"UK Monday 08:30", "447946000000", local("Europe/London", 2026, 6, 15, 8, 30),
         std::nullopt, "Europe/London"},
        {"India 08:59", "919812345678", local("Asia/Kolkata", 2026, 6, 10, 8, 59),
         local("Asia/Kolkata", 2026, 6, 10, 9, 0), "Asia/Kolkata"},
    });
}

TEST_CASE("non-US NANP and unknown numbers", "[quiet][zones]") {
    run({
        // Jamaica: its own zone (no DST), the default rule set.
        {"JM 07:30", "18765550123", local("America/Jamaica", 2026, 6, 10, 7, 30),
         local("America/Jamaica", 2026, 6, 10, 8, 0), "America/Jamaica"},
        {"JM 20:30", "18765550123", local("America/Jamaica", 2026, 6, 10, 20, 30), std::nullopt,
         "America/Jamaica"},
        // Toll-free: the six-zone fallback. Open when 08:00 in Honolulu (18:00Z) until 21:00 in
        // New York (01:00Z).
        {"8XX before Hawaii opens", "18005550123", utc(2026, 6, 10, 17, 0), utc(2026, 6, 10, 18, 0),
         ny},
        {"8XX common window", "18005550123", utc(2026, 6, 10, 20, 0), std::nullopt, ny},
        {"8XX after New York closes", "18005550123", utc(2026, 6, 11, 1, 0),
         utc(2026, 6, 11, 18, 0), ny},
    });
}

TEST_CASE("transactional and keyword replies are exempt unless configured", "[quiet]") {
    const auto night = local(ny, 2026, 6, 10, 23, 0);
    CHECK(send_at("12125550123", night, message_class::transactional).accepted());
    CHECK(send_at("12125550123", night, message_class::conversational).accepted());

    memory_store s;
    s.default_consent = written_consent();
    auto confirmation = promo("12125550123");
    confirmation.reply = keyword_reply::optout_confirmation;
    CHECK(default_engine().evaluate(confirmation, s.view(), night).accepted());

    const auto strict = make_engine([](policy_config& c) { c.quiet_hours.transactional = true; });
    const auto d = send_at("12125550123", night, message_class::transactional, *strict);
    CHECK(d.deferred());
    CHECK(d.until == local(ny, 2026, 6, 11, 8, 0));
    // Keyword replies stay exempt even then.
    auto help = with_class(promo("12125550123"), message_class::transactional);
    help.reply = keyword_reply::help;
    CHECK(strict->evaluate(help, s.view(), night).accepted());
}

TEST_CASE("quiet hours can reject instead of defer, no common window rejects", "[quiet]") {
    const auto rejecting =
        make_engine([](policy_config& c) { c.quiet_hours.action = block_action::reject; });
    auto d = send_at("12125550123", local(ny, 2026, 6, 10, 22, 0), message_class::promotional,
                     *rejecting);
    CHECK(d.rejected());
    CHECK(d.why == reason::quiet_hours);
    CHECK(d.command_status == 0x440);

    // Three zones eight hours apart: [08:00, 21:00) never holds in all three at once.
    const auto apart = make_engine([](policy_config& c) {
        c.numbering.fallback_zones = {"Etc/UTC", "Asia/Shanghai", "Pacific/Pitcairn"};
    });
    d = send_at("18005550123", utc(2026, 6, 10, 20, 0), message_class::promotional, *apart);
    CHECK(d.rejected());
    CHECK(d.why == reason::no_common_window);
    CHECK(d.command_status == 0x441);
}

TEST_CASE("the search handles windows that open inside a DST gap", "[quiet][dst]") {
    // A made-up rule opening at 02:30, which does not exist in New York on 2026-03-08.
    rule_set_config cfg;
    cfg.name = "odd";
    cfg.days.fill(hours_window(2, 30, 4, 0));
    const rule_set odd(cfg, {});
    const zone_clock nyc(date::locate_zone(ny), 2000, 2037);
    const zone_clock* zones[] = {&nyc};
    const rule_set* rules[] = {&odd};
    const auto horizon = std::chrono::hours{24 * 14};
    // From 01:00 EST the window opens at the jump (03:00 EDT = 07:00Z).
    auto a = check_quiet_hours(zones, rules, utc(2026, 3, 8, 6, 0), horizon);
    REQUIRE(a.next);
    CHECK(*a.next == utc(2026, 3, 8, 7, 0));
    // A window entirely inside the gap [02:00, 03:00) is skipped that day.
    cfg.days.fill(hours_window(2, 10, 2, 50));
    const rule_set gap(cfg, {});
    const rule_set* gap_rules[] = {&gap};
    a = check_quiet_hours(zones, gap_rules, utc(2026, 3, 8, 6, 0), horizon);
    REQUIRE(a.next);
    CHECK(*a.next == local(ny, 2026, 3, 9, 2, 10));
    // On the fall-back day a 01:30 start opens at its first occurrence.
    cfg.days.fill(hours_window(1, 30, 4, 0));
    const rule_set repeat(cfg, {});
    const rule_set* repeat_rules[] = {&repeat};
    a = check_quiet_hours(zones, repeat_rules, utc(2026, 11, 1, 4, 0), horizon);
    REQUIRE(a.next);
    CHECK(*a.next == utc(2026, 11, 1, 5, 30));
}
