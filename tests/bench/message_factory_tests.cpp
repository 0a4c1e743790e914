// The generator's message bodies: every part fits, carries the token, and long messages carry a
// correct concatenation header.

#include <catch2/catch.hpp>

#include <set>

#include "loadgen/message_factory.hpp"
#include "smppgw/smpp/segmentation.hpp"
#include "smppgw/smpp/text.hpp"

using namespace smppgw::bench;
using namespace smppgw::bench::loadgen;
namespace smpp = smppgw::smpp;

TEST_CASE("message factory: templates split as intended and carry the token in every part") {
    gen_config c;
    c.area_codes = {212, 415};
    c.optouts = number_set::parse("12025550000:10", "x");
    c.long_parts = 4;
    const message_factory f(c);
    REQUIRE(f.templates().size() == 4);
    for (const auto& t : f.templates()) {
        REQUIRE(!t.parts.empty());
        for (const auto& p : t.parts) {
            REQUIRE(p.bytes.size() <= 254);
            REQUIRE(!p.token_offsets.empty());
        }
    }
    REQUIRE(f.templates()[1].parts.size() == 4);
    REQUIRE(f.templates()[3].parts.size() == 4);

    planned_message m;
    m.body = &f.templates()[3];  // UCS-2, long
    m.token = 1234567;
    m.reference = 0x42;
    std::memcpy(m.destination, "14155550123", 11);
    m.destination_length = 11;
    for (std::size_t i = 0; i < m.body->parts.size(); ++i) {
        smpp::submit_sm sm;
        f.fill(m, i, true, sm);
        REQUIRE(sm.destination_addr.view() == "14155550123");
        REQUIRE(sm.registered_delivery == 1);
        REQUIRE(sm.data_coding == 0x08);
        REQUIRE((sm.esm_class & smpp::udhi_esm_class_bit) != 0);
        const auto udh = smpp::parse_udh(sm.short_message.bytes());
        REQUIRE(!udh.ec);
        REQUIRE(udh.concat);
        REQUIRE(udh.concat->reference == 0x42);
        REQUIRE(udh.concat->total == 4);
        REQUIRE(udh.concat->seqnum == i + 1);
        const auto text =
            smpp::decode_short_message(sm.short_message.bytes(), sm.data_coding, true);
        REQUIRE(text.text.find("#0001234567") == 0);
    }
}

TEST_CASE("message factory: mix shares, classes and opt-out destinations") {
    gen_config c;
    c.area_codes = {212};
    c.optouts = number_set::parse("12025550000:10", "x");
    c.promo_share = 0.25;
    c.optout_share = 0.1;
    c.long_share = 0.5;
    c.ucs2_share = 0.0;
    const message_factory f(c);
    rng r(9);
    int promo = 0;
    int optout = 0;
    int longs = 0;
    std::set<std::uint64_t> tokens;
    for (int i = 0; i < 20000; ++i) {
        planned_message m;
        f.plan(r, static_cast<std::uint64_t>(i), m);
        const std::string dest(m.destination, m.destination_length);
        if (m.opted_out) {
            ++optout;
            REQUIRE(c.optouts.contains(dest));
        } else {
            REQUIRE(dest.size() == 11);
            REQUIRE(dest.rfind("1212", 0) == 0);
            REQUIRE(dest[4] >= '2');  // NXX starts with 2-9
        }
        promo += m.promotional ? 1 : 0;
        longs += m.body->parts.size() > 1 ? 1 : 0;
        REQUIRE(m.body->data_coding == 0x00);
        smpp::submit_sm sm;
        f.fill(m, 0, false, sm);
        REQUIRE(sm.service_type.view() == (m.promotional ? "MKT" : "TXN"));
        REQUIRE(sm.registered_delivery == 0);
    }
    REQUIRE(promo == Approx(5000).margin(400));
    REQUIRE(optout == Approx(2000).margin(300));
    REQUIRE(longs == Approx(10000).margin(500));
    REQUIRE(message_factory::token_text(42) == "#0000000042");
}
