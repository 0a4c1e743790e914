// Option-value parsing: durations, shares, weight lists, number sets.

#include <catch2/catch.hpp>

#include "common/cli.hpp"

using namespace smppgw::bench;
using namespace std::chrono_literals;

TEST_CASE("cli: durations need a unit except 0") {
    REQUIRE(parse_duration("0", "x") == 0ns);
    REQUIRE(parse_duration("250us", "x") == 250us);
    REQUIRE(parse_duration("20ms", "x") == 20ms);
    REQUIRE(parse_duration("1.5s", "x") == 1500ms);
    REQUIRE(parse_duration("2m", "x") == 120s);
    REQUIRE(parse_duration(" 1h ", "x") == 3600s);
    REQUIRE_THROWS_AS(parse_duration("20", "x"), usage_error);
    REQUIRE_THROWS_AS(parse_duration("20 parsecs", "x"), usage_error);
    REQUIRE_THROWS_AS(parse_duration("ms", "x"), usage_error);
    REQUIRE_THROWS_AS(parse_duration("-5ms", "x"), usage_error);
    REQUIRE(format_duration(20ms) == "20ms");
    REQUIRE(format_duration(1500ms) == "1.5s");
    REQUIRE(format_duration(0ns) == "0");
}

TEST_CASE("cli: shares and numbers") {
    REQUIRE(parse_share("0.25", "x") == Approx(0.25));
    REQUIRE(parse_share("5%", "x") == Approx(0.05));
    REQUIRE_THROWS_AS(parse_share("1.5", "x"), usage_error);
    REQUIRE_THROWS_AS(parse_share("abc", "x"), usage_error);
    REQUIRE(parse_unsigned("42", "x") == 42);
    REQUIRE_THROWS_AS(parse_unsigned("-1", "x"), usage_error);
    REQUIRE_THROWS_AS(parse_non_negative("-0.5", "x"), usage_error);
}

TEST_CASE("cli: weight lists") {
    const auto w = parse_weights("DELIVRD=0.95, UNDELIV=0.05", "x");
    REQUIRE(w.size() == 2);
    REQUIRE(w[0].name == "DELIVRD");
    REQUIRE(w[1].weight == Approx(0.05));
    REQUIRE_THROWS_AS(parse_weights("A=1,A=2", "x"), usage_error);
    REQUIRE_THROWS_AS(parse_weights("A", "x"), usage_error);
    REQUIRE_THROWS_AS(parse_weights("A=0", "x"), usage_error);
    REQUIRE_THROWS_AS(parse_weights("", "x"), usage_error);
}

TEST_CASE("cli: number sets of singles and ranges") {
    const auto set = number_set::parse("12025550000:3,18005550100,0044:2", "x");
    REQUIRE(set.size() == 6);
    REQUIRE(set.at(0) == "12025550000");
    REQUIRE(set.at(2) == "12025550002");
    REQUIRE(set.at(3) == "18005550100");
    REQUIRE(set.at(4) == "0044");  // leading zeros survive
    REQUIRE(set.at(5) == "0045");
    REQUIRE(set.contains("12025550001"));
    REQUIRE_FALSE(set.contains("12025550003"));
    REQUIRE(set.contains("0045"));
    REQUIRE_FALSE(set.contains("45"));
    REQUIRE_THROWS_AS(number_set::parse("99:5", "x"), usage_error);  // would need a third digit
    REQUIRE_THROWS_AS(number_set::parse("+1202", "x"), usage_error);
    REQUIRE_THROWS_AS(number_set::parse("1202:0", "x"), usage_error);
}

TEST_CASE("cli: weighted choice follows the weights") {
    rng r(1);
    const weighted_choice choice({0.7, 0.0, 0.3});
    int counts[3] = {0, 0, 0};
    for (int i = 0; i < 100000; ++i) {
        ++counts[choice.pick(r)];
    }
    REQUIRE(counts[1] == 0);
    REQUIRE(counts[0] == Approx(70000).margin(1500));
    REQUIRE(counts[2] == Approx(30000).margin(1500));
}
