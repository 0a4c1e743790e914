// Destination validation and E.164 normalization.
#include <catch2/catch.hpp>

#include "support.hpp"

using namespace policy_test;

namespace {

struct norm_case {
    type_of_number ton;
    numbering_plan npi;
    const char* digits;
    const char* expect;  // E.164 digits, or nullptr when rejected
    reason failure;
};

constexpr auto intl = type_of_number::international;
constexpr auto natl = type_of_number::national;
constexpr auto unk = type_of_number::unknown;
constexpr auto isdn = numbering_plan::isdn;

}  // namespace

TEST_CASE("destinations normalize to E.164 or are rejected with a reason", "[number]") {
    const norm_case cases[] = {
        // International, with and without '+' and international access prefixes.
        {intl, isdn, "13055550123", "13055550123", reason::none},
        {intl, isdn, "+13055550123", "13055550123", reason::none},
        {intl, isdn, "0013055550123", "13055550123", reason::none},
        {intl, isdn, "33123456789", "33123456789", reason::none},
        {intl, numbering_plan::unknown, "447946000000", "447946000000", reason::none},
        // National numbers take the default country (1); an NANP trunk '1' is stripped.
        {natl, isdn, "3055550123", "13055550123", reason::none},
        {natl, isdn, "13055550123", "13055550123", reason::none},
        // Unknown TON: '+', access prefixes and the national length decide.
        {unk, isdn, "3055550123", "13055550123", reason::none},
        {unk, isdn, "13055550123", "13055550123", reason::none},
        {unk, isdn, "+33123456789", "33123456789", reason::none},
        {unk, isdn, "01133123456789", "33123456789", reason::none},
        {unk, isdn, "0033123456789", "33123456789", reason::none},
        // Garbage.
        {intl, isdn, "", nullptr, reason::invalid_destination},
        {intl, isdn, "+", nullptr, reason::invalid_destination},
        {intl, isdn, "1305555O123", nullptr, reason::invalid_destination},  // letter O
        {intl, isdn, "1 305 555 0123", nullptr, reason::invalid_destination},
        {intl, isdn, "1305-555-0123", nullptr, reason::invalid_destination},
        {intl, isdn, "123", nullptr, reason::invalid_destination},               // too short
        {intl, isdn, "1234567890123456", nullptr, reason::invalid_destination},  // 16 digits
        {intl, isdn, "0123456789", nullptr, reason::invalid_destination},        // leading 0
        {natl, isdn, "+3055550123", nullptr, reason::invalid_destination},
        // NANP shape: 11 digits, NPA and NXX start 2–9.
        {intl, isdn, "1305555012", nullptr, reason::invalid_destination},
        {intl, isdn, "130555501234", nullptr, reason::invalid_destination},
        {intl, isdn, "10055550123", nullptr, reason::invalid_destination},  // NPA 005
        {intl, isdn, "13051550123", nullptr, reason::invalid_destination},  // NXX 155
        // Alphanumeric and other TON/NPI.
        {type_of_number::alphanumeric, numbering_plan::unknown, "ACME", nullptr,
         reason::alphanumeric_destination},
        {type_of_number::alphanumeric, isdn, "13055550123", nullptr,
         reason::alphanumeric_destination},
        {type_of_number::abbreviated, isdn, "12345", nullptr, reason::unsupported_ton},
        {type_of_number::subscriber_number, isdn, "5550123", nullptr, reason::unsupported_ton},
        {type_of_number::network_specific, isdn, "13055550123", nullptr, reason::unsupported_ton},
        {intl, numbering_plan::land_mobile, "310150123456789", nullptr, reason::unsupported_npi},
        {intl, numbering_plan::internet, "13055550123", nullptr, reason::unsupported_npi},
    };
    const destination_config cfg;
    for (const auto& c : cases) {
        INFO("ton " << int(c.ton) << " npi " << int(c.npi) << " '" << c.digits << "'");
        const auto n = normalize_destination(address{c.ton, c.npi, c.digits}, cfg);
        if (c.expect != nullptr) {
            CHECK(n.failure == reason::none);
            CHECK(n.number.digits() == c.expect);
        } else {
            CHECK(n.failure == c.failure);
            CHECK(n.number.empty());
        }
    }
}

TEST_CASE("a different default country normalizes national numbers with its trunk prefix",
          "[number]") {
    destination_config fr;
    fr.default_country_code = "33";
    fr.national_trunk_prefix = "0";
    fr.national_lengths = {9};
    auto n = normalize_destination({natl, isdn, "0612345678"}, fr);
    CHECK(n.number.digits() == "33612345678");
    n = normalize_destination({natl, isdn, "612345678"}, fr);
    CHECK(n.number.digits() == "33612345678");
    n = normalize_destination({unk, isdn, "612345678"}, fr);
    CHECK(n.number.digits() == "33612345678");
}

TEST_CASE("e164 exposes the NANP area code", "[number]") {
    e164 n;
    REQUIRE(n.assign("14165550123"));
    CHECK(n.is_nanp());
    CHECK(n.npa() == 416);
    REQUIRE(n.assign("33123456789"));
    CHECK_FALSE(n.is_nanp());
    CHECK(n.npa() == 0);
    CHECK_FALSE(n.assign("12a"));
    CHECK(n.empty());
    CHECK_FALSE(n.assign("1234567890123456"));
}
