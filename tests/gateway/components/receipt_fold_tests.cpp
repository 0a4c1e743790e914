// fold_receipt, the pure part of the receipt relay: what one carrier receipt for one part
// changes, and which receipt the account is owed.

#include <catch2/catch.hpp>

#include "inbound/receipt_relay.hpp"
#include "support.hpp"

namespace component_test {
namespace {

using smpp_state = smpp::message_state;
using store::message_state;

// A message of `parts` parts, each acknowledged by the carrier.
std::unique_ptr<store::live_message> message_of(std::size_t parts,
                                                std::uint8_t registered_delivery) {
    auto m = std::make_unique<store::live_message>();
    m->rec = plain_record(7, florida, registered_delivery);
    m->rec.parts.assign(parts, store::message_part{});
    for (auto& p : m->rec.parts) {
        p.state = message_state::submitted;
    }
    m->phase = store::message_phase::awaiting_receipt;
    return m;
}

smpp::receipt receipt_of(std::optional<smpp_state> s, std::uint32_t err = 0) {
    smpp::receipt r;
    r.id = "c1";
    r.state = s;
    if (err != 0) {
        r.err_code = err;
    }
    return r;
}

// Folds a receipt for `part` and applies what it says to the part, as live_state would.
std::optional<store::receipt_record> fold(store::live_message& m, std::uint16_t part,
                                          std::optional<smpp_state> s, std::uint32_t err = 0,
                                          bool per_segment = false) {
    auto out = gateway::fold_receipt(m, part, receipt_of(s, err), per_segment, eastern(10, 15));
    if (out) {
        m.rec.parts[part].state = out->state;
        m.rec.parts[part].error = out->error;
    }
    return out;
}

upstream_receipt dlr_of(const store::receipt_record& r) {
    const auto d = read_upstream_receipt(r.dlr);
    REQUIRE(d);
    return *d;
}

}  // namespace

TEST_CASE("one part: intermediate, final, and what comes after a final receipt", "[receipts]") {
    auto m = message_of(1, 0x01);

    const auto enroute = fold(*m, 0, smpp_state::enroute);
    REQUIRE(enroute);
    CHECK(enroute->state == message_state::enroute);
    CHECK(enroute->id == 7);
    CHECK(enroute->part == 0);
    CHECK(enroute->dlr.empty());  // registered_delivery 1 asks for final receipts only

    const auto delivered = fold(*m, 0, smpp_state::delivered);
    REQUIRE(delivered);
    CHECK(delivered->state == message_state::delivered);
    const auto d = dlr_of(*delivered);
    CHECK(d.receipted_message_id == "7");
    CHECK(d.message_state == static_cast<std::uint8_t>(smpp_state::delivered));
    CHECK(d.esm_class == smpp::esm::smsc_delivery_receipt);
    CHECK_THAT(d.text, Catch::Contains("sub:001 dlvrd:001"));
    CHECK_THAT(d.text, Catch::Contains("stat:DELIVRD"));

    // The carrier lost our answer and sends the final receipt again: nothing to write or owe.
    CHECK_FALSE(fold(*m, 0, smpp_state::delivered));
    // A late intermediate receipt after the final one changes nothing either.
    CHECK_FALSE(fold(*m, 0, smpp_state::enroute));
    CHECK_FALSE(fold(*m, 0, smpp_state::undeliverable));
    CHECK(m->rec.parts[0].state == message_state::delivered);
}

TEST_CASE("one part: a failure carries its state and error upstream", "[receipts]") {
    auto m = message_of(1, 0x01);
    const auto out = fold(*m, 0, smpp_state::undeliverable, 11);
    REQUIRE(out);
    CHECK(out->state == message_state::undeliverable);
    CHECK(out->error == 11);
    const auto d = dlr_of(*out);
    CHECK(d.message_state == static_cast<std::uint8_t>(smpp_state::undeliverable));
    CHECK_THAT(d.text, Catch::Contains("dlvrd:000"));
    CHECK_THAT(d.text, Catch::Contains("err:011"));
}

TEST_CASE("a receipt without a readable state is recorded as unknown, not final", "[receipts]") {
    auto m = message_of(1, 0x01);
    const auto out = fold(*m, 0, std::nullopt);
    REQUIRE(out);
    CHECK(out->state == message_state::unknown);
    CHECK(out->dlr.empty());
    // The real outcome still counts when it comes.
    const auto later = fold(*m, 0, smpp_state::delivered);
    REQUIRE(later);
    CHECK_FALSE(later->dlr.empty());
}

TEST_CASE("registered_delivery decides which receipts the account gets", "[receipts]") {
    struct row {
        std::uint8_t registered_delivery;
        bool on_delivered;
        bool on_failed;
        bool on_intermediate;
    };
    // Bits 1-0: 01 every final outcome, 10 failures only, 11 (SMPP 5.0) successes only;
    // bit 4: intermediate notifications.
    const auto r = GENERATE(row{0x00, false, false, false}, row{0x01, true, true, false},
                            row{0x02, false, true, false}, row{0x03, true, false, false},
                            row{0x10, false, false, true}, row{0x11, true, true, true},
                            row{0x12, false, true, true});
    CAPTURE(r.registered_delivery);

    auto delivered = message_of(1, r.registered_delivery);
    const auto intermediate = fold(*delivered, 0, smpp_state::enroute);
    REQUIRE(intermediate);
    CHECK(intermediate->dlr.empty() != r.on_intermediate);
    const auto final_ok = fold(*delivered, 0, smpp_state::delivered);
    REQUIRE(final_ok);
    CHECK(final_ok->dlr.empty() != r.on_delivered);

    auto failed = message_of(1, r.registered_delivery);
    const auto final_failed = fold(*failed, 0, smpp_state::undeliverable);
    REQUIRE(final_failed);
    CHECK(final_failed->dlr.empty() != r.on_failed);
}

TEST_CASE("several parts: one receipt for the submit, once every part is final",
          "[receipts][multipart]") {
    auto m = message_of(3, 0x01);

    const auto p0 = fold(*m, 0, smpp_state::delivered);
    REQUIRE(p0);
    CHECK(p0->state == message_state::delivered);
    CHECK(p0->dlr.empty());
    const auto p1 = fold(*m, 1, smpp_state::enroute);
    REQUIRE(p1);
    CHECK(p1->dlr.empty());
    const auto p1_final = fold(*m, 1, smpp_state::delivered);
    REQUIRE(p1_final);
    CHECK(p1_final->dlr.empty());
    CHECK_FALSE(fold(*m, 0, smpp_state::delivered));  // repeat of part 0

    const auto p2 = fold(*m, 2, smpp_state::delivered);
    REQUIRE(p2);
    CHECK(p2->part == 2);
    const auto d = dlr_of(*p2);
    CHECK(d.message_state == static_cast<std::uint8_t>(smpp_state::delivered));
    CHECK_THAT(d.text, Catch::Contains("sub:003 dlvrd:003"));
}

TEST_CASE("several parts: the failed part decides the receipt, with its own error",
          "[receipts][multipart]") {
    auto m = message_of(3, 0x01);
    REQUIRE(fold(*m, 0, smpp_state::delivered));
    const auto failed = fold(*m, 1, smpp_state::undeliverable, 11);
    REQUIRE(failed);
    CHECK(failed->dlr.empty());  // part 2 is not final yet
    CHECK(failed->error == 11);

    const auto last = fold(*m, 2, smpp_state::delivered);
    REQUIRE(last);
    CHECK(last->state == message_state::delivered);  // the part's own state is recorded
    CHECK(last->error == 0);
    const auto d = dlr_of(*last);
    CHECK(d.message_state == static_cast<std::uint8_t>(smpp_state::undeliverable));
    CHECK_THAT(d.text, Catch::Contains("sub:003 dlvrd:002"));
    CHECK_THAT(d.text, Catch::Contains("stat:UNDELIV"));
    // The error behind the state reported, not the one of the receipt that came last.
    CHECK_THAT(d.text, Catch::Contains("err:011"));
}

TEST_CASE("several parts: the first part that was not delivered gives its state",
          "[receipts][multipart]") {
    auto m = message_of(3, 0x01);
    REQUIRE(fold(*m, 0, smpp_state::delivered));
    REQUIRE(fold(*m, 1, smpp_state::expired));
    const auto last = fold(*m, 2, smpp_state::undeliverable);
    REQUIRE(last);
    const auto d = dlr_of(*last);
    CHECK(d.message_state == static_cast<std::uint8_t>(smpp_state::expired));
    CHECK_THAT(d.text, Catch::Contains("dlvrd:001"));
}

TEST_CASE("several parts: intermediate notifications go up per part when asked for",
          "[receipts][multipart]") {
    auto m = message_of(2, 0x11);
    const auto out = fold(*m, 1, smpp_state::enroute);
    REQUIRE(out);
    const auto d = dlr_of(*out);
    CHECK(d.message_state == static_cast<std::uint8_t>(smpp_state::enroute));
    // A final part before the others are final owes nothing yet, whatever bit 4 says.
    const auto p0 = fold(*m, 0, smpp_state::delivered);
    REQUIRE(p0);
    CHECK(p0->dlr.empty());
}

TEST_CASE("per-segment receipts: every part's final receipt goes up on its own",
          "[receipts][multipart]") {
    auto m = message_of(3, 0x01);
    const auto p0 = fold(*m, 0, smpp_state::delivered, 0, true);
    REQUIRE(p0);
    const auto d0 = dlr_of(*p0);
    CHECK(d0.message_state == static_cast<std::uint8_t>(smpp_state::delivered));
    CHECK_THAT(d0.text, Catch::Contains("sub:001 dlvrd:001"));

    const auto p1 = fold(*m, 1, smpp_state::undeliverable, 0, true);
    REQUIRE(p1);
    const auto d1 = dlr_of(*p1);
    CHECK(d1.message_state == static_cast<std::uint8_t>(smpp_state::undeliverable));
    CHECK_THAT(d1.text, Catch::Contains("sub:001 dlvrd:000"));

    CHECK_FALSE(fold(*m, 1, smpp_state::undeliverable, 0, true));  // repeat
    const auto p2 = fold(*m, 2, smpp_state::delivered, 0, true);
    REQUIRE(p2);
    CHECK_FALSE(p2->dlr.empty());
}

}  // namespace component_test
