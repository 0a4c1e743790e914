#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

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

std::vector<std::uint8_t> bytes_of(std::string_view s) {
    return {s.begin(), s.end()};
}

std::string gsm_decode(const std::vector<std::uint8_t>& septets) {
    std::string out;
    CHECK(decode_gsm7(septets, out) == 0);
    return out;
}

// GSM 03.38 default alphabet written out independently of the library (SMPP.md §9.1), as UTF-8.
// Index 0x1B is the escape and has no character of its own.
// clang-format off
const std::array<std::string_view, 128> gsm_base_table = {
    "@",  "£", "$",  "¥", "è", "é", "ù", "ì", "ò", "Ç", "\n", "Ø", "ø", "\r", "Å", "å",
    "Δ",  "_", "Φ",  "Γ", "Λ", "Ω", "Π", "Ψ", "Σ", "Θ", "Ξ",  "",  "Æ", "æ",  "ß", "É",
    " ",  "!", "\"", "#", "¤", "%", "&", "'", "(", ")", "*",  "+", ",", "-",  ".", "/",
    "0",  "1", "2",  "3", "4", "5", "6", "7", "8", "9", ":",  ";", "<", "=",  ">", "?",
    "¡",  "A", "B",  "C", "D", "E", "F", "G", "H", "I", "J",  "K", "L", "M",  "N", "O",
    "P",  "Q", "R",  "S", "T", "U", "V", "W", "X", "Y", "Z",  "Ä", "Ö", "Ñ",  "Ü", "§",
    "¿",  "a", "b",  "c", "d", "e", "f", "g", "h", "i", "j",  "k", "l", "m",  "n", "o",
    "p",  "q", "r",  "s", "t", "u", "v", "w", "x", "y", "z",  "ä", "ö", "ñ",  "ü", "à",
};
// clang-format on

struct ext_entry {
    std::uint8_t septet;
    std::string_view utf8;
};
const std::array<ext_entry, 10> gsm_ext_table = {{
    {0x0A, "\f"},
    {0x14, "^"},
    {0x28, "{"},
    {0x29, "}"},
    {0x2F, "\\"},
    {0x3C, "["},
    {0x3D, "~"},
    {0x3E, "]"},
    {0x40, "|"},
    {0x65, "€"},
}};

}  // namespace

TEST_CASE("text: every GSM base table character round-trips", "[text][gsm7]") {
    for (std::size_t s = 0; s < 128; ++s) {
        if (s == 0x1B) {
            continue;
        }
        INFO("septet 0x" << std::hex << s);
        const std::string_view ch = gsm_base_table[s];
        std::vector<std::uint8_t> encoded;
        REQUIRE_FALSE(encode_gsm7(ch, encoded));
        REQUIRE(encoded == std::vector<std::uint8_t>{static_cast<std::uint8_t>(s)});
        CHECK(gsm_decode(encoded) == ch);
    }
}

TEST_CASE("text: every GSM extension character round-trips as an escape pair", "[text][gsm7]") {
    for (const auto& e : gsm_ext_table) {
        INFO("extension septet 0x" << std::hex << int{e.septet});
        std::vector<std::uint8_t> encoded;
        REQUIRE_FALSE(encode_gsm7(e.utf8, encoded));
        REQUIRE(encoded == std::vector<std::uint8_t>{0x1B, e.septet});
        CHECK(gsm_decode(encoded) == e.utf8);
    }
}

TEST_CASE("text: the whole GSM alphabet as one message round-trips", "[text][gsm7]") {
    std::string all;
    std::vector<std::uint8_t> expected;
    for (std::size_t s = 0; s < 128; ++s) {
        if (s != 0x1B) {
            all += gsm_base_table[s];
            expected.push_back(static_cast<std::uint8_t>(s));
        }
    }
    for (const auto& e : gsm_ext_table) {
        all += e.utf8;
        expected.push_back(0x1B);
        expected.push_back(e.septet);
    }
    std::vector<std::uint8_t> encoded;
    REQUIRE_FALSE(encode_gsm7(all, encoded));
    CHECK(encoded == expected);
    CHECK(gsm_decode(encoded) == all);

    const auto choice = choose_encoding(all, true);
    CHECK_FALSE(choice.ec);
    CHECK(choice.encoding == text_encoding::gsm7);
    CHECK(choice.units == 127 + 2 * gsm_ext_table.size());
}

TEST_CASE("text: GSM escape edge cases decode per 23.038", "[text][gsm7]") {
    // An escape pair with no extension character shows the base character.
    CHECK(gsm_decode({0x1B, 0x41}) == "A");
    CHECK(gsm_decode({0x1B, 0x00}) == "@");
    CHECK(gsm_decode({0x1B, 0x0D}) == "\r");  // CR2 is reserved: base CR
    // 0x1B 0x1B is reserved for a further table: shown as a space.
    CHECK(gsm_decode({0x41, 0x1B, 0x1B, 0x42}) == "A B");
    // A lone escape at the end carries nothing.
    CHECK(gsm_decode({0x41, 0x1B}) == "A");
    // Octets with bit 7 set are not septets.
    std::string out;
    CHECK(decode_gsm7(std::vector<std::uint8_t>{0x41, 0xC1, 0x42}, out) == 1);
    CHECK(out == std::string("A") + "\xEF\xBF\xBD" + "B");
}

TEST_CASE("text: characters outside the GSM alphabet are refused", "[text][gsm7]") {
    for (const std::string_view s : {"`", "\t", "ç", "Ö中", "x\xF0\x9F\x98\x80", "\xC2\xA0"}) {
        INFO(s);
        std::vector<std::uint8_t> out = {0x99};
        CHECK(encode_gsm7(s, out) == text_errc::unencodable_character);
        CHECK(out == std::vector<std::uint8_t>{0x99});  // rolled back to the size on entry
    }
    CHECK(gsm7_width(U'a') == 1);
    CHECK(gsm7_width(U'€') == 2);
    CHECK(gsm7_width(U'[') == 2);
    CHECK(gsm7_width(U'Ω') == 1);
    CHECK(gsm7_width(U'ω') == 0);
    CHECK(gsm7_width(U'\u00A0') == 0);
}

TEST_CASE("text: Latin-1 round-trips all 256 values", "[text][latin1]") {
    std::vector<std::uint8_t> all;
    for (int b = 0; b < 256; ++b) {
        all.push_back(static_cast<std::uint8_t>(b));
    }
    std::string utf8;
    CHECK(decode_latin1(all, utf8) == 0);
    CHECK(utf8.size() == 128 + 2 * 128);
    CHECK(utf8.substr(128 + 2 * (0xE9 - 0x80), 2) == "é");  // two octets from 0x80 on
    std::vector<std::uint8_t> back;
    REQUIRE_FALSE(encode_latin1(utf8, back));
    CHECK(back == all);

    std::vector<std::uint8_t> out;
    CHECK(encode_latin1("price 5€", out) == text_errc::unencodable_character);
    CHECK(out.empty());
}

TEST_CASE("text: ASCII keeps 7 bits and flags the rest", "[text][ascii]") {
    std::vector<std::uint8_t> all;
    for (int b = 0; b < 128; ++b) {
        all.push_back(static_cast<std::uint8_t>(b));
    }
    std::string utf8;
    CHECK(decode_ascii(all, utf8) == 0);
    std::vector<std::uint8_t> back;
    REQUIRE_FALSE(encode_ascii(utf8, back));
    CHECK(back == all);

    std::string replaced;
    CHECK(decode_ascii(std::vector<std::uint8_t>{'a', 0xE9}, replaced) == 1);
    CHECK(replaced == "a\xEF\xBF\xBD");
    std::vector<std::uint8_t> out;
    CHECK(encode_ascii("café", out) == text_errc::unencodable_character);
}

TEST_CASE("text: UCS-2 is UTF-16BE with surrogate pairs", "[text][ucs2]") {
    std::vector<std::uint8_t> out;
    REQUIRE_FALSE(encode_ucs2("A\u00E9\u20AC\U0001F600\U0010FFFF", out));
    CHECK(out == from_hex("004100e920acd83dde00dbffdfff"));
    std::string back;
    CHECK(decode_ucs2(out, back) == 0);
    CHECK(back == "A\u00E9\u20AC\U0001F600\U0010FFFF");

    // Code point boundaries of every UTF-8 length.
    out.clear();
    REQUIRE_FALSE(encode_ucs2("\x7F\u0080\u07FF\u0800\uFFFF\U00010000", out));
    CHECK(out == from_hex("007f008007ff0800ffffd800dc00"));
}

TEST_CASE("text: lone surrogates and odd octets decode to U+FFFD", "[text][ucs2]") {
    const std::string fffd = "\xEF\xBF\xBD";
    struct sample {
        std::string_view hex;
        std::string expected;
        std::size_t replaced;
    };
    const std::vector<sample> samples = {
        {"d83d0041", fffd + "A", 1},               // high surrogate followed by a non-surrogate
        {"de000041", fffd + "A", 1},               // low surrogate alone
        {"0041d83d", "A" + fffd, 1},               // high surrogate at the end
        {"d83dd83dde00", fffd + "\U0001F600", 1},  // two highs, the second pairs
        {"004100", "A" + fffd, 1},                 // trailing odd octet
        {"dc00d800", fffd + fffd, 2},              // reversed pair
    };
    for (const auto& s : samples) {
        INFO(s.hex);
        std::string out;
        CHECK(decode_ucs2(from_hex(s.hex), out) == s.replaced);
        CHECK(out == s.expected);
    }
}

TEST_CASE("text: invalid UTF-8 is an error for every encoder", "[text][utf8]") {
    const std::vector<std::string_view> bad = {
        "\x80",                  // stray continuation
        "ab\xC3",                // truncated two-octet sequence
        "\xE2\x82",              // truncated three-octet sequence
        "\xC0\xAF",              // overlong '/'
        "\xE0\x80\xAF",          // overlong three-octet
        "\xF0\x80\x80\xAF",      // overlong four-octet
        "\xED\xA0\x80",          // UTF-16 surrogate encoded in UTF-8
        "\xF4\x90\x80\x80",      // above U+10FFFF
        "\xF8\x88\x80\x80\x80",  // five-octet form
        "\xFF",
        "a\xC3(",  // bad continuation
    };
    for (const auto s : bad) {
        INFO(std::string(s));
        for (const auto e : {text_encoding::gsm7, text_encoding::ascii, text_encoding::latin1,
                             text_encoding::ucs2}) {
            std::vector<std::uint8_t> out = {1, 2};
            const std::error_code ec = encode_text(s, e, out);
            CHECK(ec == text_errc::invalid_utf8);
            CHECK(ec.category() == text_category());
            CHECK(out == std::vector<std::uint8_t>{1, 2});
        }
        CHECK(choose_encoding(s, true).ec == text_errc::invalid_utf8);
    }
    CHECK(std::string(text_category().name()) == "smppgw.smpp.text");
    CHECK(make_error_code(text_errc::invalid_utf8).message() == "input is not well-formed UTF-8");
}

TEST_CASE("text: encode_text refuses binary and unsupported targets", "[text]") {
    std::vector<std::uint8_t> out;
    CHECK(encode_text("abc", text_encoding::binary, out) == text_errc::unsupported_encoding);
    CHECK(encode_text("abc", text_encoding::unsupported, out) == text_errc::unsupported_encoding);
    CHECK(out.empty());
}

TEST_CASE("text: choose_encoding picks the narrowest that fits", "[text][choice]") {
    struct sample {
        std::string_view text;
        bool allow_latin1;
        text_encoding encoding;
        std::size_t units;
    };
    const std::vector<sample> samples = {
        {"", false, text_encoding::gsm7, 0},
        {"Hello", false, text_encoding::gsm7, 5},
        {"Grüße Ålesund", false, text_encoding::gsm7, 13},  // ü ß Å are in the base table
        {"5€ [x]", false, text_encoding::gsm7, 9},          // € [ ] cost two septets each
        {"garçon", true, text_encoding::latin1, 6},         // ç is Latin-1 only
        {"garçon", false, text_encoding::ucs2, 6},
        {"tab\there", true, text_encoding::latin1, 8},
        {"`quoted`", true, text_encoding::latin1, 8},
        {"5€ garçon", true, text_encoding::ucs2, 9},  // € is not Latin-1
        {"Привет", true, text_encoding::ucs2, 6},
        {"ok 😀", true, text_encoding::ucs2, 5},  // surrogate pair = 2 units
    };
    for (const auto& s : samples) {
        INFO(std::string(s.text) << " latin1=" << s.allow_latin1);
        const auto c = choose_encoding(s.text, s.allow_latin1);
        CHECK_FALSE(c.ec);
        CHECK(c.encoding == s.encoding);
        CHECK(c.units == s.units);
    }
}

TEST_CASE("text: data_coding interpretation per SMPP.md 7.3 and GSM 03.38", "[text][dcs]") {
    struct sample {
        std::uint8_t dc;
        text_encoding encoding;
        int message_class;  // -1 none
        bool compressed;
    };
    const std::vector<sample> samples = {
        {0x00, text_encoding::gsm7, -1, false},
        {0x01, text_encoding::ascii, -1, false},
        {0x02, text_encoding::binary, -1, false},
        {0x03, text_encoding::latin1, -1, false},
        {0x04, text_encoding::binary, -1, false},
        {0x05, text_encoding::unsupported, -1, false},  // JIS
        {0x06, text_encoding::unsupported, -1, false},  // Cyrillic
        {0x08, text_encoding::ucs2, -1, false},
        {0x0B, text_encoding::unsupported, -1, false},  // reserved
        {0x0E, text_encoding::unsupported, -1, false},  // KS C 5601
        {0x10, text_encoding::gsm7, 0, false},          // general group, flash
        {0x11, text_encoding::gsm7, 1, false},
        {0x14, text_encoding::binary, 0, false},
        {0x16, text_encoding::binary, 2, false},
        {0x18, text_encoding::ucs2, 0, false},         // UCS-2 flash
        {0x1C, text_encoding::unsupported, 0, false},  // reserved alphabet
        {0x20, text_encoding::unsupported, -1, true},  // compressed text
        {0x24, text_encoding::binary, -1, true},       // compressed 8-bit is still octets
        {0x40, text_encoding::gsm7, -1, false},        // automatic deletion group
        {0x48, text_encoding::ucs2, -1, false},
        {0x80, text_encoding::unsupported, -1, false},  // reserved groups
        {0xBF, text_encoding::unsupported, -1, false},
        {0xC0, text_encoding::gsm7, -1, false},  // MWI discard
        {0xD8, text_encoding::gsm7, -1, false},  // MWI store
        {0xE0, text_encoding::ucs2, -1, false},  // MWI store UCS-2
        {0xF0, text_encoding::gsm7, 0, false},
        {0xF2, text_encoding::gsm7, 2, false},
        {0xF5, text_encoding::binary, 1, false},
        {0xF7, text_encoding::binary, 3, false},
        {0xFB, text_encoding::gsm7, 3, false},  // bit 3 reserved, ignored
    };
    for (const auto& s : samples) {
        INFO("data_coding 0x" << std::hex << int{s.dc});
        const auto info = interpret_data_coding(s.dc);
        CHECK(info.encoding == s.encoding);
        CHECK(info.message_class.has_value() == (s.message_class >= 0));
        if (info.message_class && s.message_class >= 0) {
            CHECK(int{*info.message_class} == s.message_class);
        }
        CHECK(info.compressed == s.compressed);
    }
    // Only DCS 0 follows the per-peer setting; GSM group values stay GSM.
    CHECK(interpret_data_coding(0x00, default_alphabet::latin1).encoding == text_encoding::latin1);
    CHECK(interpret_data_coding(0xF0, default_alphabet::latin1).encoding == text_encoding::gsm7);

    for (const auto e : {text_encoding::gsm7, text_encoding::ascii, text_encoding::latin1,
                         text_encoding::ucs2, text_encoding::binary}) {
        CHECK(interpret_data_coding(data_coding_for(e)).encoding == e);
    }
    CHECK(to_string(text_encoding::ucs2) == "ucs2");
}

TEST_CASE("text: decode_short_message on the shared vectors", "[text][vectors]") {
    SECTION("submit_sm: DCS 0 bytes read as GSM or as Latin-1 depending on the peer") {
        const auto sm = from_hex("4024232125262f3a");
        const auto gsm = decode_short_message(sm, 0x00, false);
        CHECK(gsm.kind == content_kind::text);
        CHECK(gsm.text == "¡¤#!%&/:");
        text_decode_options latin;
        latin.dcs0 = default_alphabet::latin1;
        CHECK(decode_short_message(sm, 0x00, false, latin).text == "@$#!%&/:");
    }
    SECTION("submit_sm_ucs2") {
        const auto sm = from_hex("00480065006c006c006f00ab00bb0077006f0072006c0064");
        const auto d = decode_short_message(sm, 0x08, false);
        CHECK(d.text == "Hello«»world");
        CHECK(d.replacements == 0);
    }
    SECTION("deliver_sm_udh_concat_ucs2: UDH skipped, UCS-2 text") {
        const auto sm = from_hex(
            "050003fe0201006e006700681eaf0020006e00670068006900ea006e00670020006e00670068006"
            "91ec5006e00670020006e00671ea3");
        const auto d = decode_short_message(sm, 0x08, true);
        CHECK_FALSE(d.ec);
        CHECK(d.udh_octets == 6);
        CHECK(d.text == "ngh\u1EAF nghi\u00EAng nghi\u1EC5ng ng\u1EA3");
        // Without the UDHI bit the header would be read as text: six octets, three odd units.
        CHECK(decode_short_message(sm, 0x08, false).text != d.text);
    }
    SECTION("submit_sm_udhi_8bit_ports: DCS 0xF5 is binary, not text") {
        const auto sm = from_hex("06050415811581024a3a5db5a5cdcda5bdb8040084d8c5");
        const auto d = decode_short_message(sm, 0xF5, true);
        CHECK_FALSE(d.ec);
        CHECK(d.kind == content_kind::binary);
        CHECK(d.text.empty());
        CHECK(d.udh_octets == 7);
        CHECK(d.coding.message_class == std::uint8_t{1});
    }
    SECTION("submit_sm_alnum_class2 and deliver_sm_mo_latin1") {
        const auto hello = decode_short_message(bytes_of("HELLO"), 0xF2, false);
        CHECK(hello.text == "HELLO");
        CHECK(hello.coding.message_class == std::uint8_t{2});
        CHECK(decode_short_message(bytes_of("there is no spoon"), 0x03, false).text ==
              "there is no spoon");
    }
}

TEST_CASE("text: decode_short_message reports headers it cannot skip", "[text][udh]") {
    const auto overrun = decode_short_message(from_hex("0500030102"), 0x00, true);
    CHECK(overrun.ec == text_errc::udh_overrun);
    CHECK(overrun.text.empty());
    CHECK(decode_short_message({}, 0x00, true).ec == text_errc::udh_overrun);
    CHECK(decode_short_message(from_hex("0b"), 0x08, false).text == "\xEF\xBF\xBD");

    // A national language locking shift (IE 0x25, Portuguese) is noticed; the text is read with
    // the default table, which is what SMPP.md §9.1 predicts ("täst").
    const auto shifted = decode_short_message(from_hex("03250103747b7374"), 0x00, true);
    CHECK_FALSE(shifted.ec);
    CHECK(shifted.national_shift);
    CHECK(shifted.text == "täst");
    CHECK(decode_short_message(from_hex("05000301020141"), 0x00, true).national_shift == false);
    CHECK(decode_short_message(from_hex("00"), 0x05, false).kind == content_kind::unsupported);
}

TEST_CASE("text: septet packing", "[text][packing]") {
    std::vector<std::uint8_t> septets;
    REQUIRE_FALSE(encode_gsm7("hellohello", septets));
    std::vector<std::uint8_t> packed;
    pack_septets(septets, 0, packed);
    CHECK(packed == from_hex("e8329bfd4697d9ec37"));  // the 23.038 worked example
    std::vector<std::uint8_t> unpacked;
    unpack_septets(packed, 0, septets.size(), unpacked);
    CHECK(unpacked == septets);

    CHECK(septet_fill_bits(0) == 0);
    CHECK(septet_fill_bits(6) == 1);  // 8-bit reference concatenation header
    CHECK(septet_fill_bits(7) == 0);  // 16-bit reference header
    CHECK(septet_fill_bits(5) == 2);
    CHECK(packed_septet_capacity(140, 0) == 160);
    CHECK(packed_septet_capacity(134, 1) == 153);
    CHECK(packed_septet_capacity(133, 0) == 152);
    CHECK(packed_octets(160, 0) == 140);
    CHECK(packed_octets(153, 1) == 134);

    // A fill bit shifts the first septet up by one.
    packed.clear();
    pack_septets(std::vector<std::uint8_t>{0x41}, 1, packed);
    CHECK(packed == std::vector<std::uint8_t>{0x82});

    for (std::size_t fill = 0; fill < 7; ++fill) {
        for (std::size_t n = 0; n < 20; ++n) {
            INFO("fill " << fill << " septets " << n);
            std::vector<std::uint8_t> in;
            for (std::size_t i = 0; i < n; ++i) {
                in.push_back(static_cast<std::uint8_t>((i * 37 + fill) & 0x7F));
            }
            std::vector<std::uint8_t> p;
            pack_septets(in, fill, p);
            CHECK(p.size() == packed_octets(n, fill));
            std::vector<std::uint8_t> u;
            unpack_septets(p, fill, n, u);
            CHECK(u == in);
        }
    }
}

TEST_CASE("text: packed GSM after a UDH decodes with fill bits", "[text][packing]") {
    std::vector<std::uint8_t> sm = from_hex("050003010201");
    std::vector<std::uint8_t> septets;
    REQUIRE_FALSE(encode_gsm7("hello [world]", septets));
    pack_septets(septets, septet_fill_bits(sm.size()), sm);
    text_decode_options packed;
    packed.gsm7_packed = true;
    const auto d = decode_short_message(sm, 0x00, true, packed);
    CHECK_FALSE(d.ec);
    CHECK(d.text == "hello [world]");

    // Seven septets leave seven zero spare bits that must not read as a trailing '@'.
    std::vector<std::uint8_t> seven;
    pack_septets(bytes_of("1234567"), 0, seven);
    REQUIRE(seven.size() == 7);
    CHECK(decode_short_message(seven, 0x00, false, packed).text == "1234567");
    std::vector<std::uint8_t> eight;
    pack_septets(bytes_of("12345678"), 0, eight);
    CHECK(decode_short_message(eight, 0x00, false, packed).text == "12345678");
}
