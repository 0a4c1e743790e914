#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

#include "smppgw/smpp/segmentation.hpp"
#include "smppgw/smpp/text.hpp"

using namespace smppgw::smpp;

namespace {

std::vector<std::uint8_t> from_hex(std::string_view hex) {
    std::vector<std::uint8_t> out;
    const auto nibble = [](char c) {
        return static_cast<std::uint8_t>(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    };
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        out.push_back(static_cast<std::uint8_t>(nibble(hex[i]) << 4 | nibble(hex[i + 1])));
    }
    return out;
}

std::string repeat(std::string_view s, std::size_t n) {
    std::string out;
    for (std::size_t i = 0; i < n; ++i) {
        out += s;
    }
    return out;
}

std::vector<std::uint8_t> encoded(std::string_view utf8, text_encoding e) {
    std::vector<std::uint8_t> out;
    REQUIRE_FALSE(encode_text(utf8, e, out));
    return out;
}

std::size_t segments(std::string_view utf8, text_encoding e, const segmentation_options& o = {}) {
    const auto m = measure_text_as(utf8, e, o);
    REQUIRE_FALSE(m.ec);
    return m.segments;
}

// Content of a part after its header (parts here are never packed).
std::span<const std::uint8_t> content_of(const message_part& p) {
    std::span<const std::uint8_t> b = p.bytes;
    if (p.udhi) {
        return b.subspan(std::size_t{1} + b[0]);
    }
    return b;
}

std::vector<std::uint8_t> joined_content(const std::vector<message_part>& parts) {
    std::vector<std::uint8_t> all;
    for (const auto& p : parts) {
        const auto c = content_of(p);
        all.insert(all.end(), c.begin(), c.end());
    }
    return all;
}

}  // namespace

TEST_CASE("segmentation: part capacities of SMPP.md 9.3", "[segmentation]") {
    CHECK(part_capacity(text_encoding::gsm7, 0) == 160);
    CHECK(part_capacity(text_encoding::gsm7, 6) == 153);
    CHECK(part_capacity(text_encoding::gsm7, 7) == 152);
    CHECK(part_capacity(text_encoding::ucs2, 0) == 70);
    CHECK(part_capacity(text_encoding::ucs2, 6) == 67);
    CHECK(part_capacity(text_encoding::ucs2, 7) == 66);
    CHECK(part_capacity(text_encoding::binary, 0) == 140);
    CHECK(part_capacity(text_encoding::latin1, 6) == 134);
    CHECK(part_capacity(text_encoding::binary, 7) == 133);
    CHECK(part_capacity(text_encoding::binary, 200) == 0);
    segmentation_options o;
    CHECK(concat_udh_octets(o) == 6);
    o.reference_16bit = true;
    CHECK(concat_udh_octets(o) == 7);
}

TEST_CASE("segmentation: GSM boundary counts", "[segmentation][gsm7]") {
    CHECK(segments("", text_encoding::gsm7) == 1);
    CHECK(segments(repeat("a", 160), text_encoding::gsm7) == 1);
    CHECK(segments(repeat("a", 161), text_encoding::gsm7) == 2);
    for (std::size_t k = 2; k <= 10; ++k) {
        INFO("k=" << k);
        CHECK(segments(repeat("a", 153 * k), text_encoding::gsm7) == k);
        CHECK(segments(repeat("a", 153 * k + 1), text_encoding::gsm7) == k + 1);
    }
    segmentation_options ref16;
    ref16.reference_16bit = true;
    CHECK(segments(repeat("a", 160), text_encoding::gsm7, ref16) == 1);
    CHECK(segments(repeat("a", 304), text_encoding::gsm7, ref16) == 2);
    CHECK(segments(repeat("a", 305), text_encoding::gsm7, ref16) == 3);
    // Escape pairs count two septets.
    CHECK(segments(repeat("€", 80), text_encoding::gsm7) == 1);
    CHECK(segments(repeat("€", 80) + "a", text_encoding::gsm7) == 2);
    const auto m = measure_text_as(repeat("{", 10), text_encoding::gsm7);
    CHECK(m.units == 20);
}

TEST_CASE("segmentation: UCS-2 and 8-bit boundary counts", "[segmentation][ucs2]") {
    CHECK(segments(repeat("ж", 70), text_encoding::ucs2) == 1);
    CHECK(segments(repeat("ж", 71), text_encoding::ucs2) == 2);
    for (std::size_t k = 2; k <= 8; ++k) {
        INFO("k=" << k);
        CHECK(segments(repeat("ж", 67 * k), text_encoding::ucs2) == k);
        CHECK(segments(repeat("ж", 67 * k + 1), text_encoding::ucs2) == k + 1);
    }
    segmentation_options ref16;
    ref16.reference_16bit = true;
    CHECK(segments(repeat("ж", 132), text_encoding::ucs2, ref16) == 2);
    CHECK(segments(repeat("ж", 133), text_encoding::ucs2, ref16) == 3);
    // A surrogate pair is two UTF-16 units.
    CHECK(segments(repeat("😀", 35), text_encoding::ucs2) == 1);
    CHECK(segments(repeat("😀", 35) + "a", text_encoding::ucs2) == 2);

    std::vector<std::uint8_t> bin(140, 0xAB);
    CHECK(measure_encoded(bin, text_encoding::binary).segments == 1);
    bin.push_back(0);
    CHECK(measure_encoded(bin, text_encoding::binary).segments == 2);
    CHECK(measure_encoded(std::vector<std::uint8_t>(268, 1), text_encoding::binary).segments == 2);
    CHECK(measure_encoded(std::vector<std::uint8_t>(269, 1), text_encoding::binary).segments == 3);
    CHECK(
        measure_encoded(std::vector<std::uint8_t>(266, 1), text_encoding::binary, ref16).segments ==
        2);
    CHECK(
        measure_encoded(std::vector<std::uint8_t>(267, 1), text_encoding::binary, ref16).segments ==
        3);
    CHECK(segments(repeat("ç", 140), text_encoding::latin1) == 1);
    CHECK(segments(repeat("ç", 141), text_encoding::latin1) == 2);
    CHECK(segments(repeat("ç", 134 * 3), text_encoding::latin1) == 3);
}

TEST_CASE("segmentation: measure_text chooses the encoding and counts in one go",
          "[segmentation][choice]") {
    const auto gsm = measure_text(repeat("a", 161), false);
    CHECK(gsm.encoding == text_encoding::gsm7);
    CHECK(gsm.units == 161);
    CHECK(gsm.segments == 2);

    const auto latin = measure_text(repeat("ç", 141), true);
    CHECK(latin.encoding == text_encoding::latin1);
    CHECK(latin.segments == 2);
    const auto ucs = measure_text(repeat("ç", 141), false);
    CHECK(ucs.encoding == text_encoding::ucs2);
    CHECK(ucs.segments == 3);  // 141 units at 67 per part

    // One non-GSM character late in a long text switches the whole count to UCS-2.
    const auto late = measure_text(repeat("a", 150) + "中", true);
    CHECK(late.encoding == text_encoding::ucs2);
    CHECK(late.units == 151);
    CHECK(late.segments == 3);

    CHECK(measure_text("a\xC3", true).ec == text_errc::invalid_utf8);
    CHECK(measure_text_as("中", text_encoding::gsm7).ec == text_errc::unencodable_character);
    CHECK(measure_text_as("a", text_encoding::unsupported).ec == text_errc::unsupported_encoding);

    segmentation_options payload;
    payload.method = concat_method::message_payload;
    CHECK(measure_text(repeat("a", 1000), false, payload).segments == 1);
}

TEST_CASE("segmentation: an escape pair at the cut moves to the next part",
          "[segmentation][gsm7]") {
    // 152 + 2 + 152 = 306 septets: exactly two parts of 153 by arithmetic, but the euro sign
    // would straddle the first cut, so it opens part 2 and a third part is needed.
    const std::string text = repeat("a", 152) + "€" + repeat("a", 152);
    CHECK(measure_text(text, false).segments == 3);
    std::vector<message_part> parts;
    REQUIRE_FALSE(split_text(text, text_encoding::gsm7, 0x42, {}, parts));
    REQUIRE(parts.size() == 3);
    const auto first = content_of(parts[0]);
    CHECK(first.size() == 152);
    CHECK(first.back() == 'a');
    const auto second = content_of(parts[1]);
    CHECK(second.size() == 153);
    CHECK(second[0] == 0x1B);
    CHECK(second[1] == 0x65);
    CHECK(content_of(parts[2]).size() == 1);
    for (const auto& p : parts) {
        CHECK(content_of(p).back() != 0x1B);
    }
    CHECK(joined_content(parts) == encoded(text, text_encoding::gsm7));

    // One septet earlier the pair fits the first part exactly.
    const std::string fits = repeat("a", 151) + "€" + repeat("a", 10);
    REQUIRE_FALSE(split_text(fits, text_encoding::gsm7, 1, {}, parts));
    REQUIRE(parts.size() == 2);
    CHECK(content_of(parts[0]).size() == 153);
    CHECK(content_of(parts[0])[152] == 0x65);
}

TEST_CASE("segmentation: a surrogate pair at the cut moves to the next part",
          "[segmentation][ucs2]") {
    const std::string text = repeat("b", 66) + "😀" + repeat("b", 66);  // 134 units
    CHECK(measure_text(text, true).segments == 3);
    std::vector<message_part> parts;
    REQUIRE_FALSE(split_text(text, text_encoding::ucs2, 7, {}, parts));
    REQUIRE(parts.size() == 3);
    CHECK(content_of(parts[0]).size() == 132);
    const auto second = content_of(parts[1]);
    REQUIRE(second.size() == 134);
    CHECK(second[0] == 0xD8);
    CHECK(second[1] == 0x3D);
    CHECK(second[2] == 0xDE);
    CHECK(second[3] == 0x00);
    CHECK(joined_content(parts) == encoded(text, text_encoding::ucs2));
    for (const auto& p : parts) {
        std::string decoded;
        CHECK(decode_ucs2(content_of(p), decoded) == 0);  // no part holds half a pair
    }
}

TEST_CASE("segmentation: UDH concatenation headers", "[segmentation][udh]") {
    const std::string text = repeat("x", 300);
    std::vector<message_part> parts;
    REQUIRE_FALSE(split_text(text, text_encoding::gsm7, 0xAB, {}, parts));
    REQUIRE(parts.size() == 2);
    for (std::size_t i = 0; i < parts.size(); ++i) {
        const auto& p = parts[i];
        CHECK(p.udhi);
        CHECK_FALSE(p.sar);
        CHECK_FALSE(p.in_message_payload);
        const std::vector<std::uint8_t> header(p.bytes.begin(), p.bytes.begin() + 6);
        CHECK(header == std::vector<std::uint8_t>{0x05, 0x00, 0x03, 0xAB, 0x02,
                                                  static_cast<std::uint8_t>(i + 1)});
    }
    CHECK(parts[0].bytes.size() == 6 + 153);
    CHECK(parts[1].bytes.size() == 6 + 147);

    segmentation_options ref16;
    ref16.reference_16bit = true;
    REQUIRE_FALSE(split_text(text, text_encoding::gsm7, 0x1234, ref16, parts));
    REQUIRE(parts.size() == 2);
    CHECK(std::vector<std::uint8_t>(parts[1].bytes.begin(), parts[1].bytes.begin() + 7) ==
          from_hex("06080412340202"));
    CHECK(parts[0].bytes.size() == 7 + 152);

    // What the splitter writes, the parser reads back.
    const auto udh = parse_udh(parts[1].bytes);
    REQUIRE_FALSE(udh.ec);
    REQUIRE(udh.concat);
    CHECK(udh.concat->reference == 0x1234);
    CHECK(udh.concat->reference_16bit);
    CHECK(udh.concat->total == 2);
    CHECK(udh.concat->seqnum == 2);
    CHECK(udh.payload.size() == 148);
}

TEST_CASE("segmentation: SAR parts carry TLV values and no header", "[segmentation][sar]") {
    segmentation_options sar;
    sar.method = concat_method::sar;
    std::vector<message_part> parts;
    REQUIRE_FALSE(split_text(repeat("ж", 150), text_encoding::ucs2, 0x77, sar, parts));
    REQUIRE(parts.size() == 3);
    for (std::size_t i = 0; i < parts.size(); ++i) {
        CHECK_FALSE(parts[i].udhi);
        CHECK(parts[i].sar);
        CHECK(parts[i].sar_msg_ref_num == 0x77);
        CHECK(parts[i].sar_total_segments == 3);
        CHECK(parts[i].sar_segment_seqnum == i + 1);
    }
    CHECK(parts[0].bytes.size() == 134);  // 67 units: room left for the SMSC's 6-octet UDH
    CHECK(parts[2].bytes.size() == 32);

    sar.reference_16bit = true;
    REQUIRE_FALSE(split_text(repeat("ж", 150), text_encoding::ucs2, 0x1FFF, sar, parts));
    CHECK(parts[0].bytes.size() == 132);
    CHECK(parts[0].sar_msg_ref_num == 0x1FFF);
}

TEST_CASE("segmentation: short texts stay single and message_payload carries all",
          "[segmentation]") {
    std::vector<message_part> parts;
    for (const auto method : {concat_method::udh, concat_method::sar}) {
        segmentation_options o;
        o.method = method;
        REQUIRE_FALSE(split_text(repeat("a", 160), text_encoding::gsm7, 9, o, parts));
        REQUIRE(parts.size() == 1);
        CHECK_FALSE(parts[0].udhi);
        CHECK_FALSE(parts[0].sar);
        CHECK(parts[0].bytes.size() == 160);
    }

    segmentation_options payload;
    payload.method = concat_method::message_payload;
    REQUIRE_FALSE(split_text(repeat("ж", 500), text_encoding::ucs2, 0, payload, parts));
    REQUIRE(parts.size() == 1);
    CHECK(parts[0].in_message_payload);
    CHECK_FALSE(parts[0].udhi);
    CHECK(parts[0].bytes.size() == 1000);

    const std::vector<std::uint8_t> huge(70'000, 0x20);
    CHECK(split_encoded(huge, text_encoding::binary, 0, payload, parts) ==
          text_errc::payload_too_large);
    CHECK(parts.empty());
}

TEST_CASE("segmentation: refusals", "[segmentation]") {
    std::vector<message_part> parts;
    const std::string long_text = repeat("a", 200);
    CHECK(split_text(long_text, text_encoding::gsm7, 0x100, {}, parts) ==
          text_errc::reference_out_of_range);
    segmentation_options sar;
    sar.method = concat_method::sar;
    CHECK(split_text(long_text, text_encoding::gsm7, 0x100, sar, parts) ==
          text_errc::reference_out_of_range);
    segmentation_options ref16;
    ref16.reference_16bit = true;
    CHECK_FALSE(split_text(long_text, text_encoding::gsm7, 0x100, ref16, parts));

    segmentation_options two;
    two.max_segments = 2;
    CHECK_FALSE(split_text(repeat("a", 306), text_encoding::gsm7, 1, two, parts));
    CHECK(split_text(repeat("a", 307), text_encoding::gsm7, 1, two, parts) ==
          text_errc::too_many_segments);
    CHECK(parts.empty());
    // sar_total_segments is one octet: 256 parts are never possible.
    CHECK(split_text(repeat("a", 153 * 255), text_encoding::gsm7, 1, {}, parts) ==
          std::error_code{});
    CHECK(parts.size() == 255);
    CHECK(split_text(repeat("a", 153 * 255 + 1), text_encoding::gsm7, 1, {}, parts) ==
          text_errc::too_many_segments);

    CHECK(split_text("a\xE2\x82", text_encoding::gsm7, 1, {}, parts) == text_errc::invalid_utf8);
    CHECK(split_text("中", text_encoding::latin1, 1, {}, parts) ==
          text_errc::unencodable_character);
    CHECK(split_encoded(std::vector<std::uint8_t>{1}, text_encoding::unsupported, 1, {}, parts) ==
          text_errc::unsupported_encoding);

    const std::vector<std::uint8_t> big_ie(140, 0);
    segmentation_options crowded;
    crowded.extra_ies = big_ie;
    CHECK(split_text("a", text_encoding::gsm7, 1, crowded, parts) == text_errc::udh_overrun);
}

TEST_CASE("segmentation: extra information elements ride in every part", "[segmentation][udh]") {
    // WAP push ports: IE 0x05, destination 0x0B84, originator 0x23F0.
    const auto ports = from_hex("05040b8423f0");
    segmentation_options o;
    o.extra_ies = ports;
    std::vector<std::uint8_t> body(133, 0x11);  // 140 - (1 + 6)
    std::vector<message_part> parts;
    REQUIRE_FALSE(split_encoded(body, text_encoding::binary, 3, o, parts));
    REQUIRE(parts.size() == 1);
    CHECK(parts[0].udhi);
    CHECK(parts[0].bytes.size() == 140);
    CHECK(std::vector<std::uint8_t>(parts[0].bytes.begin(), parts[0].bytes.begin() + 7) ==
          from_hex("0605040b8423f0"));

    body.push_back(0x22);
    REQUIRE_FALSE(split_encoded(body, text_encoding::binary, 3, o, parts));
    REQUIRE(parts.size() == 2);
    CHECK(parts[0].bytes.size() == 140);  // 12-octet UDH + 128
    const auto udh = parse_udh(parts[1].bytes);
    REQUIRE_FALSE(udh.ec);
    REQUIRE(udh.concat);
    CHECK(udh.concat->seqnum == 2);
    REQUIRE(udh.ports);
    CHECK(udh.ports->destination == 0x0B84);
    CHECK(udh.ports->source == 0x23F0);
    CHECK(udh.payload.size() == 134 - 128);
    CHECK(measure_encoded(body, text_encoding::binary, o).segments == 2);
}

TEST_CASE("segmentation: packed GSM parts fill 140 octets", "[segmentation][packing]") {
    segmentation_options packed;
    packed.gsm7_packed = true;
    const std::string text = repeat("The quick brown fox {}. ", 14);  // 364 septets
    std::vector<message_part> parts;
    REQUIRE_FALSE(split_text(text, text_encoding::gsm7, 5, packed, parts));
    REQUIRE(parts.size() == 3);
    CHECK(parts[0].bytes.size() == 140);
    std::vector<std::uint8_t> septets;
    for (const auto& p : parts) {
        const auto udh = parse_udh(p.bytes);
        REQUIRE_FALSE(udh.ec);
        const std::size_t fill = septet_fill_bits(udh.header.size());
        CHECK(fill == 1);
        const std::size_t count = packed_septet_capacity(udh.payload.size(), fill);
        std::vector<std::uint8_t> one;
        unpack_septets(udh.payload, fill, count, one);
        if (one.size() > 1 && (fill + count * 7) == udh.payload.size() * 8 && one.back() == 0) {
            one.pop_back();
        }
        septets.insert(septets.end(), one.begin(), one.end());
    }
    CHECK(septets == encoded(text, text_encoding::gsm7));

    // No escape pair is split, so every part decodes on its own to a piece of the text.
    text_decode_options d;
    d.gsm7_packed = true;
    std::string rebuilt;
    for (const auto& p : parts) {
        const auto part_text = decode_short_message(p.bytes, 0x00, true, d);
        REQUIRE_FALSE(part_text.ec);
        rebuilt += part_text.text;
    }
    CHECK(rebuilt == text);
}

TEST_CASE("segmentation: measure and split agree on mixed texts", "[segmentation]") {
    const std::vector<std::string_view> alphabet = {"a", "€", "é", "ç", "😀", "[", "ж", " "};
    std::uint32_t seed = 12345;
    const auto next = [&seed] {
        seed = seed * 1103515245u + 12345u;
        return (seed >> 16) & 0x7FFFu;
    };
    std::vector<message_part> parts;
    for (int round = 0; round < 300; ++round) {
        std::string text;
        const std::size_t length = next() % 700;
        // Most rounds stay within one alphabet so every encoding gets long texts.
        const std::size_t span = round % 3 == 0 ? 2 : round % 3 == 1 ? 4 : alphabet.size();
        for (std::size_t i = 0; i < length; ++i) {
            text += alphabet[next() % span];
        }
        segmentation_options o;
        o.reference_16bit = round % 2 == 0;
        o.method = round % 5 == 0 ? concat_method::sar : concat_method::udh;
        const auto m = measure_text(text, round % 4 != 0, o);
        REQUIRE_FALSE(m.ec);
        INFO("round " << round << " encoding " << to_string(m.encoding) << " units " << m.units);
        REQUIRE_FALSE(split_text(text, m.encoding, 0x55, o, parts));
        CHECK(parts.size() == m.segments);
        CHECK(measure_encoded(encoded(text, m.encoding), m.encoding, o).segments == m.segments);
        CHECK(joined_content(parts) == encoded(text, m.encoding));
        // Unpacked GSM holds one septet per octet, so its parts may exceed 140 octets.
        for (const auto& p : parts) {
            CHECK(p.bytes.size() <= (m.encoding == text_encoding::gsm7 ? 160u : 140u));
        }
    }
}

TEST_CASE("segmentation: parse_udh reads known elements", "[segmentation][udh]") {
    SECTION("deliver_sm_udh_concat_ucs2: ref 0xFE, part 1 of 2") {
        const auto sm = from_hex(
            "050003fe0201006e006700681eaf0020006e00670068006900ea006e00670020006e00670068006"
            "91ec5006e00670020006e00671ea3");
        const auto udh = parse_udh(sm);
        REQUIRE_FALSE(udh.ec);
        REQUIRE(udh.concat);
        CHECK(udh.concat->reference == 0xFE);
        CHECK_FALSE(udh.concat->reference_16bit);
        CHECK(udh.concat->total == 2);
        CHECK(udh.concat->seqnum == 1);
        CHECK(udh.header.size() == 6);
        CHECK(udh.payload.size() == 48);
        CHECK(udh.other.empty());
        std::string text;
        CHECK(decode_ucs2(udh.payload, text) == 0);
        CHECK(text == "ngh\u1EAF nghi\u00EAng nghi\u1EC5ng ng\u1EA3");
    }
    SECTION("submit_sm_udhi_8bit_ports: 16-bit ports 0x1581") {
        const auto udh = parse_udh(from_hex("06050415811581024a3a"));
        REQUIRE_FALSE(udh.ec);
        REQUIRE(udh.ports);
        CHECK(udh.ports->ports_16bit);
        CHECK(udh.ports->destination == 0x1581);
        CHECK(udh.ports->source == 0x1581);
        CHECK_FALSE(udh.concat);
        CHECK(udh.payload.size() == 3);
    }
    SECTION("8-bit ports, shifts, 16-bit concat and an unknown element together") {
        // UDHL 0x15 | 04 02 e2f0 | 24 01 03 | 25 01 02 | 0a 03 000a01 | 08 04 beef 03 02 | "AB"
        const auto sm = from_hex("150402e2f02401032501020a03000a010804beef03024142");
        const auto udh = parse_udh(sm);
        REQUIRE_FALSE(udh.ec);
        REQUIRE(udh.ports);
        CHECK_FALSE(udh.ports->ports_16bit);
        CHECK(udh.ports->destination == 0xE2);
        CHECK(udh.ports->source == 0xF0);
        CHECK(udh.single_shift_language == std::uint8_t{3});
        CHECK(udh.locking_shift_language == std::uint8_t{2});
        REQUIRE(udh.concat);
        CHECK(udh.concat->reference == 0xBEEF);
        CHECK(udh.concat->total == 3);
        CHECK(udh.concat->seqnum == 2);
        REQUIRE(udh.other.size() == 1);
        CHECK(udh.other[0].iei == 0x0A);
        CHECK(std::vector<std::uint8_t>(udh.other[0].data.begin(), udh.other[0].data.end()) ==
              from_hex("000a01"));
        CHECK(std::string(udh.payload.begin(), udh.payload.end()) == "AB");
    }
    SECTION("invalid concatenation values are ignored, kept raw") {
        for (const auto hex : {"050003010200", "050003010203", "050003010001", "0400020102"}) {
            INFO(hex);
            const auto udh = parse_udh(from_hex(hex));
            REQUIRE_FALSE(udh.ec);
            CHECK_FALSE(udh.concat);
            CHECK(udh.other.size() == 1);
        }
    }
    SECTION("empty header and empty payload are fine") {
        const auto udh = parse_udh(from_hex("00"));
        CHECK_FALSE(udh.ec);
        CHECK(udh.header.size() == 1);
        CHECK(udh.payload.empty());
    }
}

TEST_CASE("segmentation: parse_udh rejects overruns", "[segmentation][udh]") {
    for (const auto hex : {
             "",                // UDHI without any octet
             "05000301",        // UDHL 5 but 3 octets follow
             "ff00",            // UDHL far past the end
             "03000301020341",  // element length 3 runs past UDHL 3
             "0100",            // element header cut by UDHL
             "020801",          // element length 1 past UDHL 2
         }) {
        INFO(hex);
        CHECK(parse_udh(from_hex(hex)).ec == text_errc::udh_overrun);
    }
}
