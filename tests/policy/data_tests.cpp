// Data file parsing: formats and errors that name file and line.
#include <sstream>

#include <catch2/catch.hpp>

#include "support.hpp"

using namespace policy_test;

namespace {

template <typename F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const data_error& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace

TEST_CASE("the shipped data files load", "[data]") {
    const auto& d = shipped_data();
    CHECK(d.zone_map.rows.size() > 3000);
    CHECK(d.area_codes.rows.size() > 400);
    CHECK(d.overlays.size() >= 12);
    REQUIRE(d.holidays.size() == 4);
    for (const auto& h : d.holidays) {
        INFO(h.name);
        CHECK(h.days.size() >= 12);
        CHECK(h.days.front() >= date::sys_days{date::year{2025} / 1 / 1});
        CHECK(h.days.back() <= date::sys_days{date::year{2030} / 12 / 31});
    }
}

TEST_CASE("zone map rows parse and bad rows name file and line", "[data]") {
    std::istringstream good("# header\n\n1|America/New_York&America/Chicago\n33|Europe/Paris\n");
    const auto z = parse_zone_map(good, "z.txt");
    REQUIRE(z.rows.size() == 2);
    CHECK(z.rows[0].prefix == "1");
    CHECK(z.rows[0].zones == std::vector<std::string>{"America/New_York", "America/Chicago"});
    CHECK(z.rows[0].line == 3);

    CHECK(error_of([] {
              std::istringstream in("# c\n1201|America/New_York\n12x|Europe/Paris\n");
              (void)parse_zone_map(in, "map_data.txt");
          }) == "map_data.txt:3: bad prefix '12x'");
    CHECK(error_of([] {
              std::istringstream in("1201 America/New_York\n");
              (void)parse_zone_map(in, "map_data.txt");
          }) == "map_data.txt:1: expected 'prefix|Zone&Zone'");
    CHECK(error_of([] {
              std::istringstream in("1201|America/New_York&&Europe/Paris\n");
              (void)parse_zone_map(in, "map_data.txt");
          }) == "map_data.txt:1: empty zone name");
}

TEST_CASE("an unknown zone name is reported with its row when the index is built", "[data]") {
    policy_data d;
    std::istringstream in("1201|America/New_York\n# two\n1202|Mars/Olympus_Mons\n");
    d.zone_map = parse_zone_map(in, "map_data.txt");
    CHECK(error_of([&] { number_index idx(numbering_config{}, d); }) ==
          "map_data.txt:3: unknown time zone 'Mars/Olympus_Mons'");
}

TEST_CASE("area codes, overlays and holidays parse with errors naming file and line", "[data]") {
    std::istringstream ac("# c\nnpa,region\n201,US-NJ\n416,CA-ON\n");
    const auto a = parse_area_codes(ac, "area_codes.csv");
    REQUIRE(a.rows.size() == 2);
    CHECK(a.rows[1].npa == 416);
    CHECK(a.rows[1].region == "CA-ON");
    CHECK(error_of([] {
              std::istringstream in("npa,region\n201,US-NJ\n20x,US-NJ\n");
              (void)parse_area_codes(in, "area_codes.csv");
          }) == "area_codes.csv:3: bad area code '20x'");

    std::istringstream ov("overlay,parent\n236,250\n236,604\n448,850\n");
    const auto o = parse_overlays(ov, "overlays.csv");
    REQUIRE(o.size() == 2);
    CHECK(o[0].npa == 236);
    CHECK(o[0].parents == std::vector<std::uint16_t>{250, 604});

    std::istringstream hol("# x\n2026-07-14  Fête nationale\n2026-01-01\n2026-01-01 dup\n");
    const auto h = parse_holidays(hol, "FR", "FR.txt");
    REQUIRE(h.days.size() == 2);
    CHECK(h.days[0] == date::sys_days{date::year{2026} / 1 / 1});
    CHECK(error_of([] {
              std::istringstream in("2026-02-30 nope\n");
              (void)parse_holidays(in, "X", "X.txt");
          }) == "X.txt:1: invalid date '2026-02-30'");
    CHECK(error_of([] {
              std::istringstream in("\n\n14/07/2026\n");
              (void)parse_holidays(in, "X", "X.txt");
          }) == "X.txt:3: expected 'YYYY-MM-DD name'");
}

TEST_CASE("a missing data file is an error naming the file", "[data]") {
    data_paths p;
    p.map_data = "/nonexistent/map_data.txt";
    CHECK(error_of([&] { (void)load_policy_data(p); }) ==
          "/nonexistent/map_data.txt: cannot open file");
}

TEST_CASE("config errors are caught when the engine is built", "[data][config]") {
    CHECK_THROWS_AS(make_engine([](policy_config& c) {
                        c.quiet_hours.regions.push_back({"US-NV", {"no_such_set"}});
                    }),
                    config_error);
    CHECK_THROWS_AS(make_engine([](policy_config& c) {
                        c.quiet_hours.rule_sets[0].days[1] = day_window{600, 500, false};
                    }),
                    config_error);
    CHECK_THROWS_AS(make_engine([](policy_config& c) {
                        c.quiet_hours.rule_sets[0].holiday_calendars = {"XX"};
                    }),
                    config_error);
    CHECK_THROWS_AS(make_engine([](policy_config& c) { c.frequency.caps[0].max_messages = 17; }),
                    config_error);
    CHECK_THROWS_AS(
        make_engine([](policy_config& c) { c.numbering.fallback_zones = {"Nowhere/Zone"}; }),
        config_error);
    CHECK_THROWS_AS(make_engine([](policy_config& c) {
                        // HELP as an opt-out keyword contradicts the help list.
                        c.keywords.languages[0].opt_out.push_back("help");
                    }),
                    config_error);
    CHECK_THROWS_AS(make_engine([](policy_config& c) { c.mo.default_language = "de"; }),
                    config_error);
}
