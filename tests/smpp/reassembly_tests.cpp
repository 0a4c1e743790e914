#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

#include "smppgw/smpp/reassembly.hpp"
#include "smppgw/smpp/segmentation.hpp"
#include "smppgw/smpp/text.hpp"

using namespace smppgw::smpp;
using namespace std::chrono_literals;

namespace {

using bytes = std::vector<std::uint8_t>;

bytes from_hex(std::string_view hex) {
    bytes out;
    const auto nibble = [](char c) {
        return static_cast<std::uint8_t>(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    };
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        out.push_back(static_cast<std::uint8_t>(nibble(hex[i]) << 4 | nibble(hex[i + 1])));
    }
    return out;
}

bytes udh8(std::uint8_t ref, std::uint8_t total, std::uint8_t seq, std::string_view text) {
    // Sized up front: GCC 12 warns falsely (-Warray-bounds) on insert after an init-list.
    bytes b(6 + text.size());
    b[0] = 0x05;
    b[1] = 0x00;
    b[2] = 0x03;
    b[3] = ref;
    b[4] = total;
    b[5] = seq;
    std::copy(text.begin(), text.end(), b.begin() + 6);
    return b;
}

incoming_part udh_part(const bytes& sm, std::string_view from = "447700900001",
                       std::string_view to = "40404") {
    incoming_part p;
    p.source_addr = from;
    p.destination_addr = to;
    p.esm_class = 0x40;
    p.data_coding = 0x00;
    p.short_message = sm;
    return p;
}

incoming_part sar_part(const bytes& sm, std::uint16_t ref, std::uint8_t total, std::uint8_t seq) {
    incoming_part p;
    p.source_addr = "15550001";
    p.destination_addr = "777";
    p.data_coding = 0x03;
    p.short_message = sm;
    p.sar_msg_ref_num = ref;
    p.sar_total_segments = total;
    p.sar_segment_seqnum = seq;
    return p;
}

std::string as_string(const bytes& b) {
    return {b.begin(), b.end()};
}

const reassembler::clock::time_point t0{};

}  // namespace

TEST_CASE("reassembly: UDH parts in any order complete on the last one", "[reassembly]") {
    reassembler r;
    const bytes p1 = udh8(0x10, 3, 1, "Hello ");
    const bytes p2 = udh8(0x10, 3, 2, "there, ");
    const bytes p3 = udh8(0x10, 3, 3, "world");

    auto res = r.add(udh_part(p3), t0);
    CHECK(res.status == reassembly_status::buffered);
    CHECK_FALSE(res.message);
    res = r.add(udh_part(p1), t0 + 1s);
    CHECK(res.status == reassembly_status::buffered);
    CHECK(r.pending_groups() == 1);
    CHECK(r.buffered_bytes() == p1.size() + p3.size() + 12 + 5);

    res = r.add(udh_part(p2), t0 + 2s);
    REQUIRE(res.status == reassembly_status::complete);
    REQUIRE(res.message);
    const auto& m = *res.message;
    CHECK(as_string(m.payload) == "Hello there, world");
    CHECK(m.scheme == concat_scheme::udh_8bit);
    CHECK(m.reference == 0x10);
    CHECK(m.total == 3);
    CHECK(m.source_addr == "447700900001");
    CHECK(m.destination_addr == "40404");
    CHECK(m.esm_class == 0x00);
    CHECK(m.data_coding == 0x00);
    CHECK_FALSE(m.mixed_data_coding);
    CHECK(m.other_ies.empty());
    CHECK(r.pending_groups() == 0);
    CHECK(r.buffered_bytes() == 0);
    CHECK(r.stats().completed == 1);
    CHECK_FALSE(r.next_deadline());
}

TEST_CASE("reassembly: duplicate parts are ignored", "[reassembly]") {
    reassembler r;
    const bytes p1 = udh8(0x22, 2, 1, "first ");
    const bytes p1_again = udh8(0x22, 2, 1, "FIRST ");
    const bytes p2 = udh8(0x22, 2, 2, "second");
    CHECK(r.add(udh_part(p1), t0).status == reassembly_status::buffered);
    const std::size_t held = r.buffered_bytes();
    CHECK(r.add(udh_part(p1_again), t0).status == reassembly_status::duplicate);
    CHECK(r.add(udh_part(p1), t0).status == reassembly_status::duplicate);
    CHECK(r.buffered_bytes() == held);
    CHECK(r.stats().duplicates == 2);
    const auto res = r.add(udh_part(p2), t0);
    REQUIRE(res.status == reassembly_status::complete);
    CHECK(as_string(res.message->payload) == "first second");  // the first copy wins
}

TEST_CASE("reassembly: 16-bit references and SAR", "[reassembly]") {
    reassembler r;
    SECTION("IE 0x08") {
        const bytes a = from_hex("060804abcd02014142");
        const bytes b = from_hex("060804abcd02024344");
        CHECK(r.add(udh_part(b), t0).status == reassembly_status::buffered);
        const auto res = r.add(udh_part(a), t0);
        REQUIRE(res.status == reassembly_status::complete);
        CHECK(res.message->scheme == concat_scheme::udh_16bit);
        CHECK(res.message->reference == 0xABCD);
        CHECK(as_string(res.message->payload) == "ABCD");
    }
    SECTION("sar_* TLVs") {
        const bytes a = {'c', 'a', 'f', 0xE9, ' '};
        const bytes b = {'o', 'k'};
        CHECK(r.add(sar_part(b, 0x0102, 2, 2), t0).status == reassembly_status::buffered);
        const auto res = r.add(sar_part(a, 0x0102, 2, 1), t0);
        REQUIRE(res.status == reassembly_status::complete);
        CHECK(res.message->scheme == concat_scheme::sar);
        CHECK(res.message->reference == 0x0102);
        CHECK(res.message->data_coding == 0x03);
        const auto text =
            decode_short_message(res.message->payload, res.message->data_coding, false);
        CHECK(text.text == "café ok");
    }
}

TEST_CASE("reassembly: groups are kept apart by addresses, reference, total and scheme",
          "[reassembly]") {
    reassembler r;
    const bytes a1 = udh8(5, 2, 1, "A1");
    const bytes a2 = udh8(5, 2, 2, "A2");
    const bytes b2 = udh8(5, 2, 2, "B2");
    const bytes c2 = udh8(5, 3, 2, "C2");
    const bytes d2 = udh8(6, 2, 2, "D2");
    const bytes e2 = from_hex("060804000502024532");  // same number, 16-bit scheme
    CHECK(r.add(udh_part(a1), t0).status == reassembly_status::buffered);
    CHECK(r.add(udh_part(b2, "447700900002"), t0).status == reassembly_status::buffered);
    CHECK(r.add(udh_part(b2, "447700900001", "40405"), t0).status == reassembly_status::buffered);
    CHECK(r.add(udh_part(c2), t0).status == reassembly_status::buffered);
    CHECK(r.add(udh_part(d2), t0).status == reassembly_status::buffered);
    CHECK(r.add(udh_part(e2), t0).status == reassembly_status::buffered);
    CHECK(r.pending_groups() == 6);
    const auto res = r.add(udh_part(a2), t0);
    REQUIRE(res.status == reassembly_status::complete);
    CHECK(as_string(res.message->payload) == "A1A2");
    CHECK(r.pending_groups() == 5);
}

TEST_CASE("reassembly: incomplete groups time out and come back as they arrived",
          "[reassembly][timeout]") {
    reassembly_limits limits;
    limits.timeout = 60s;
    reassembler r(limits);
    const bytes a1 = udh8(1, 3, 1, "one");
    const bytes a3 = udh8(1, 3, 3, "three");
    const bytes b1 = udh8(2, 2, 1, "later");
    CHECK(r.add(udh_part(a3), t0).status == reassembly_status::buffered);
    CHECK(r.add(udh_part(a1), t0 + 10s).status == reassembly_status::buffered);
    CHECK(r.add(udh_part(b1), t0 + 30s).status == reassembly_status::buffered);
    REQUIRE(r.next_deadline());
    CHECK(*r.next_deadline() == t0 + 60s);

    CHECK(r.expire(t0 + 59s).empty());
    auto expired = r.expire(t0 + 60s);
    REQUIRE(expired.size() == 1);
    const auto& g = expired[0];
    CHECK(g.reason == release_reason::expired);
    CHECK(g.reference == 1);
    CHECK(g.total == 3);
    CHECK(g.first_seen == t0);
    CHECK(g.source_addr == "447700900001");
    REQUIRE(g.parts.size() == 2);
    CHECK(g.parts[0].seqnum == 1);
    CHECK(g.parts[0].short_message == a1);  // UDH included, unchanged
    CHECK(g.parts[0].esm_class == 0x40);
    CHECK(g.parts[1].seqnum == 3);
    CHECK(g.parts[1].short_message == a3);
    CHECK(r.stats().expired_groups == 1);
    CHECK(r.pending_groups() == 1);
    CHECK(*r.next_deadline() == t0 + 90s);

    // A late part of the expired group starts afresh rather than completing anything.
    const bytes a2 = udh8(1, 3, 2, "two");
    CHECK(r.add(udh_part(a2), t0 + 61s).status == reassembly_status::buffered);
    expired = r.expire(t0 + 200s);
    CHECK(expired.size() == 2);
    CHECK(r.pending_groups() == 0);
    CHECK(r.buffered_bytes() == 0);
}

TEST_CASE("reassembly: memory stays bounded, oldest groups are evicted and reported",
          "[reassembly][limits]") {
    SECTION("max_groups") {
        reassembly_limits limits;
        limits.max_groups = 2;
        reassembler r(limits);
        const bytes a = udh8(1, 2, 1, "a");
        const bytes b = udh8(2, 2, 1, "b");
        const bytes c = udh8(3, 2, 1, "c");
        CHECK(r.add(udh_part(a), t0).status == reassembly_status::buffered);
        CHECK(r.add(udh_part(b), t0 + 1s).status == reassembly_status::buffered);
        const auto res = r.add(udh_part(c), t0 + 2s);
        CHECK(res.status == reassembly_status::buffered);
        REQUIRE(res.evicted.size() == 1);
        CHECK(res.evicted[0].reason == release_reason::evicted);
        CHECK(res.evicted[0].reference == 1);
        REQUIRE(res.evicted[0].parts.size() == 1);
        CHECK(res.evicted[0].parts[0].short_message == a);
        CHECK(r.pending_groups() == 2);
        CHECK(r.stats().evicted_groups == 1);
        // A part for an existing group needs no new slot.
        const bytes b2 = udh8(2, 2, 2, "B");
        const auto done = r.add(udh_part(b2), t0 + 3s);
        CHECK(done.status == reassembly_status::complete);
        CHECK(done.evicted.empty());
    }
    SECTION("max_buffered_bytes") {
        reassembly_limits limits;
        // Each group here costs 17 address octets plus its parts (6-octet UDH + 14 text).
        limits.max_buffered_bytes = 120;
        reassembler r(limits);
        std::vector<bytes> keep;
        for (std::uint8_t ref = 1; ref <= 3; ++ref) {
            keep.push_back(udh8(ref, 3, 1, "fourteen chars"));
            CHECK(r.add(udh_part(keep.back()), t0 + std::chrono::seconds(ref)).evicted.empty());
        }
        CHECK(r.buffered_bytes() == 3 * (17 + 20));
        keep.push_back(udh8(2, 3, 2, "fourteen chars"));
        const auto res = r.add(udh_part(keep.back()), t0 + 5s);
        CHECK(res.status == reassembly_status::buffered);
        REQUIRE(res.evicted.size() == 1);
        CHECK(res.evicted[0].reference == 1);
        CHECK(r.buffered_bytes() <= limits.max_buffered_bytes);
        CHECK(r.buffered_bytes() == 2 * (17 + 20) + 20);

        const bytes giant(150, 0x41);
        incoming_part huge = sar_part(giant, 9, 2, 1);
        CHECK(r.add(huge, t0 + 6s).status == reassembly_status::too_large);
        CHECK(r.pending_groups() == 2);
    }
    SECTION("the group being filled can itself be the one that must go") {
        reassembly_limits limits;
        limits.max_buffered_bytes = 60;
        reassembler r(limits);
        const bytes p1 = udh8(7, 3, 1, "twenty-two characters!");
        const bytes p2 = udh8(7, 3, 2, "twenty-two characters!");
        CHECK(r.add(udh_part(p1), t0).status == reassembly_status::buffered);
        const auto res = r.add(udh_part(p2), t0);
        CHECK(res.status == reassembly_status::buffered);
        REQUIRE(res.evicted.size() == 1);
        CHECK(res.evicted[0].parts.size() == 1);
        CHECK(res.evicted[0].parts[0].short_message == p1);
        CHECK(r.pending_groups() == 1);
        CHECK(r.buffered_bytes() <= limits.max_buffered_bytes);
    }
}

TEST_CASE("reassembly: parts without usable concatenation pass through", "[reassembly]") {
    reassembler r;
    incoming_part plain;
    plain.source_addr = "1";
    plain.destination_addr = "2";
    const bytes text = {'S', 'T', 'O', 'P'};
    plain.short_message = text;
    CHECK(r.add(plain, t0).status == reassembly_status::not_concatenated);

    const bytes ports_only = from_hex("060504158115814142");
    CHECK(r.add(udh_part(ports_only), t0).status == reassembly_status::not_concatenated);

    CHECK(r.add(sar_part(text, 1, 2, 0), t0).status == reassembly_status::not_concatenated);
    CHECK(r.add(sar_part(text, 1, 2, 3), t0).status == reassembly_status::not_concatenated);
    incoming_part partial_sar = sar_part(text, 1, 2, 1);
    partial_sar.sar_segment_seqnum.reset();
    CHECK(r.add(partial_sar, t0).status == reassembly_status::not_concatenated);

    const bytes broken = from_hex("0900030102");
    const auto res = r.add(udh_part(broken), t0);
    CHECK(res.status == reassembly_status::malformed);
    CHECK(res.ec == text_errc::udh_overrun);
    CHECK(r.pending_groups() == 0);

    // A one-part "concatenated" message completes at once, header stripped.
    const bytes single = udh8(3, 1, 1, "solo");
    const auto solo = r.add(udh_part(single), t0);
    REQUIRE(solo.status == reassembly_status::complete);
    CHECK(as_string(solo.message->payload) == "solo");
}

TEST_CASE("reassembly: the UCS-2 vector part plus its sibling decode as one text",
          "[reassembly][vectors]") {
    // deliver_sm_udh_concat_ucs2 carries part 1 of 2 (reference 0xFE); part 2 is made up here.
    const bytes part1 = from_hex(
        "050003fe0201006e006700681eaf0020006e00670068006900ea006e00670020006e00670068006"
        "91ec5006e00670020006e00671ea3");
    const bytes part2 = from_hex("050003fe02020021");
    reassembler r;
    incoming_part p2 = udh_part(part2, "Alicer", "Bobo");
    p2.esm_class = 0x4D;
    p2.data_coding = 0x08;
    incoming_part p1 = p2;
    p1.short_message = part1;
    CHECK(r.add(p2, t0).status == reassembly_status::buffered);
    const auto res = r.add(p1, t0);
    REQUIRE(res.status == reassembly_status::complete);
    CHECK(res.message->esm_class == 0x0D);  // UDHI cleared, the rest kept
    CHECK(res.message->reference == 0xFE);
    const auto text = decode_short_message(res.message->payload, res.message->data_coding, false);
    CHECK(text.text == "ngh\u1EAF nghi\u00EAng nghi\u1EC5ng ng\u1EA3!");
}

TEST_CASE("reassembly: other elements of part 1 and mixed data_coding are reported",
          "[reassembly]") {
    reassembler r;
    // Part 1 carries ports after the concatenation element; part 2 only concatenation.
    const bytes p1 = from_hex("0b000333020105040b8423f04142");
    const bytes p2 = from_hex("0500033302024344");
    incoming_part a = udh_part(p1);
    incoming_part b = udh_part(p2);
    b.data_coding = 0x04;
    CHECK(r.add(b, t0).status == reassembly_status::buffered);
    const auto res = r.add(a, t0);
    REQUIRE(res.status == reassembly_status::complete);
    CHECK(res.message->other_ies == from_hex("05040b8423f0"));
    CHECK(res.message->data_coding == 0x00);
    CHECK(res.message->mixed_data_coding);
    CHECK(as_string(res.message->payload) == "ABCD");
}

TEST_CASE("reassembly: what segmentation splits, reassembly puts back", "[reassembly]") {
    const std::string text =
        "Escapes {like these} and the euro € must survive a round trip through parts, "
        "in any order, with a long enough text to need three segments of 153 septets. "
        "[Padding] [padding] [padding] [padding] [padding] [padding] [padding] [padding] "
        "[padding] [padding] [padding] [padding] [padding] [end]";
    std::vector<message_part> parts;
    REQUIRE_FALSE(split_text(text, text_encoding::gsm7, 0x9C, {}, parts));
    REQUIRE(parts.size() == 3);
    reassembler r;
    std::optional<reassembled_message> done;
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
        incoming_part p = udh_part(it->bytes);
        auto res = r.add(p, t0);
        if (res.message) {
            done = std::move(res.message);
        }
    }
    REQUIRE(done);
    CHECK(decode_short_message(done->payload, done->data_coding, false).text == text);
}
