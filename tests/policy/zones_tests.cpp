// Number → zones (NANP area-code unions, overlays, fallback) and number → region.
#include <algorithm>

#include <catch2/catch.hpp>

#include "support.hpp"

using namespace policy_test;

namespace {

std::vector<std::string> zones_of(std::string_view e164_digits) {
    auto z = default_engine().numbers().zone_names(e164_digits);
    std::sort(z.begin(), z.end());
    return z;
}

std::string_view region_of(std::string_view e164_digits) {
    const auto& idx = default_engine().numbers();
    return idx.region_name(idx.lookup(e164_digits).region);
}

using zl = std::vector<std::string>;

}  // namespace

TEST_CASE("NANP numbers get the union of every zone under their area code", "[zones]") {
    // Exchange rows are ignored: 1208201 alone says Denver, the area code spans three zones.
    CHECK(zones_of("12082015555") == zl{"America/Boise", "America/Denver", "America/Los_Angeles"});
    CHECK(zones_of("18505550123") == zl{"America/Chicago", "America/New_York"});
    // Arizona 928: Phoenix (no DST) and the Navajo Nation on Denver time.
    CHECK(zones_of("19285550123") == zl{"America/Denver", "America/Phoenix"});
    CHECK(zones_of("12195550123") == zl{"America/Chicago", "America/New_York"});
    CHECK(zones_of("19155550123") == zl{"America/Denver"});  // single-zone
    CHECK(zones_of("13055550123") == zl{"America/New_York"});
    CHECK(zones_of("18765550123") == zl{"America/Jamaica"});
    CHECK(zones_of("14165550123") == zl{"America/Toronto"});
    CHECK(zones_of("17875550123") == zl{"America/Puerto_Rico"});
}

TEST_CASE("overlays inherit their parent's zone union", "[zones]") {
    // map_data alone says 448 is New York only and 458 Los Angeles only.
    CHECK(zones_of("14485550123") == zones_of("18505550123"));
    CHECK(zones_of("14585550123") == zones_of("15415550123"));
    CHECK(zones_of("14585550123") == zl{"America/Denver", "America/Los_Angeles"});
    CHECK(zones_of("17785550123") == zl{"America/Edmonton", "America/Vancouver"});

    // Without the overlay table the data's own narrower rows apply.
    policy_data d = shipped_data();
    d.overlays.clear();
    const number_index bare(policy_config{}.numbering, d);
    numbering_config none;
    none.overlays.clear();
    const number_index without(none, d);
    CHECK(without.zone_names("14485550123") == zl{"America/New_York"});
    CHECK(bare.zone_names("14485550123").size() == 2);
}

TEST_CASE("every multi-zone NANP area code of COMPLIANCE.md spans more than one zone", "[zones]") {
    for (const char* npa :
         {"208", "219", "250", "270", "308", "418", "423", "541", "574", "605", "606", "620", "701",
          "709", "775", "785", "807", "812", "850", "867", "879", "906", "907", "928", "986"}) {
        INFO(npa);
        CHECK(zones_of(std::string("1") + npa + "5550123").size() > 1);
    }
}

TEST_CASE("unknown and non-geographic numbers use the fallback set, never the 1| row", "[zones]") {
    const zl six{"America/Anchorage",   "America/Chicago",  "America/Denver",
                 "America/Los_Angeles", "America/New_York", "Pacific/Honolulu"};
    CHECK(zones_of("18005550123") == six);  // toll-free: no row
    CHECK(zones_of("17295550123") == six);  // no data for the area code
    CHECK(default_engine().numbers().lookup("18005550123").fallback_zones);
    CHECK_FALSE(default_engine().numbers().lookup("13055550123").fallback_zones);
    // Outside NANP the longest prefix wins.
    CHECK(zones_of("33123456789") == zl{"Europe/Paris"});
    CHECK(zones_of("919812345678") == zl{"Asia/Calcutta"});
}

TEST_CASE("area codes map to regions, other countries by calling code", "[zones]") {
    CHECK(region_of("14165550123") == "CA-ON");
    CHECK(region_of("18765550123") == "JM");
    CHECK(region_of("17875550123") == "US-PR");
    CHECK(region_of("13055550123") == "US-FL");
    CHECK(region_of("14485550123") == "US-FL");
    CHECK(region_of("12055550123") == "US-AL");
    CHECK(region_of("18005550123") == "*");
    CHECK(region_of("33123456789") == "FR");
    CHECK(region_of("447946000000") == "GB");
    CHECK(region_of("919812345678") == "IN");
    CHECK(region_of("8613812345678") == "*");
}

TEST_CASE("zone clocks follow IANA rules across DST, including gaps and repeats", "[zones]") {
    const auto* ny = date::locate_zone("America/New_York");
    const zone_clock clock(ny, 2000, 2037);
    using std::chrono::hours;
    CHECK(clock.offset_at(utc(2026, 3, 8, 6, 59, 59)) == hours{-5});
    CHECK(clock.offset_at(utc(2026, 3, 8, 7, 0, 0)) == hours{-4});
    CHECK(clock.offset_at(utc(2026, 11, 1, 5, 59, 59)) == hours{-4});
    CHECK(clock.offset_at(utc(2026, 11, 1, 6, 0, 0)) == hours{-5});
    const auto at = [](int y, unsigned m, unsigned d, int h, int mi) {
        return local_ms{date::local_days{date::year{y} / date::month{m} / date::day{d}} + hours{h} +
                        std::chrono::minutes{mi}};
    };
    // 02:30 does not exist on 2026-03-08: the first instant past it is the jump (07:00Z).
    CHECK(clock.earliest_at(at(2026, 3, 8, 2, 30)) == utc(2026, 3, 8, 7, 0));
    // 01:30 happens twice on 2026-11-01: the first time is EDT (05:30Z).
    CHECK(clock.earliest_at(at(2026, 11, 1, 1, 30)) == utc(2026, 11, 1, 5, 30));
    CHECK(clock.earliest_at(at(2026, 11, 1, 8, 0)) == utc(2026, 11, 1, 13, 0));
    // Outside the precomputed range the library answers, with the same rules.
    const zone_clock narrow(ny, 2030, 2031);
    CHECK(narrow.earliest_at(at(2026, 3, 8, 2, 30)) == utc(2026, 3, 8, 7, 0));
    CHECK(narrow.offset_at(utc(2026, 7, 1, 0, 0)) == hours{-4});
}
