#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>

#include "smppgw/smpp/message_id.hpp"

using namespace std::string_view_literals;
using smppgw::smpp::id_encoding;
using smppgw::smpp::id_format;
using smppgw::smpp::id_source;
using smppgw::smpp::message_id_normalizer;
using smppgw::smpp::normalize_message_id;
using smppgw::smpp::normalized_id;

namespace {

normalized_id dec(std::string_view id) {
    return normalize_message_id(id, id_encoding::decimal);
}
normalized_id hex(std::string_view id) {
    return normalize_message_id(id, id_encoding::hex);
}
normalized_id opaque(std::string_view id) {
    return normalize_message_id(id, id_encoding::opaque);
}
normalized_id autod(std::string_view id) {
    return normalize_message_id(id, id_encoding::auto_detect);
}

std::string to_hex(std::uint64_t v, bool upper) {
    const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    std::string s;
    do {
        s.insert(s.begin(), digits[v % 16]);
        v /= 16;
    } while (v != 0);
    return s;
}

}  // namespace

TEST_CASE("hex receipted_message_id matches the decimal id in the receipt text", "[message_id]") {
    // deliver_sm_dlr_2: TLV 70BA8A69, body 1891273321 (= 0x70BA8A69).
    CHECK(hex("70BA8A69\0"sv) == dec("1891273321"));
    CHECK(hex("70BA8A69").view() == "#1891273321");
    // deliver_sm_dlr_in_message_payload (jasmin): TLV 6aad5, body 0000436949.
    CHECK(hex("6aad5") == dec("0000436949"));
    // deliver_sm_dlr: TLV 38601fa, body 0059113978.
    CHECK(hex("38601fa\0"sv) == dec("0059113978"));
    CHECK(hex("38601fa").number() == 59113978U);
}

TEST_CASE("decimal ids match across zero padding", "[message_id]") {
    CHECK(dec("0059113978") == dec("59113978"));
    CHECK(dec("0059113978").view() == "#59113978");
    CHECK(dec("0") == dec("0000"));
    CHECK(dec("0000").view() == "#0");
    CHECK(dec("0000").number() == 0U);
}

TEST_CASE("opaque ids fold case unless told not to", "[message_id]") {
    CHECK(opaque("ABCdef") == opaque("abcdef"));
    CHECK(opaque("ABCdef").view() == "sabcdef");
    CHECK(normalize_message_id("ABCdef", id_encoding::opaque, false) !=
          normalize_message_id("abcdef", id_encoding::opaque, false));
    CHECK(normalize_message_id("ABCdef", id_encoding::opaque, false).view() == "sABCdef");
}

TEST_CASE("UUID and 32-hex ids compare case-insensitively in every mode", "[message_id]") {
    const auto upper = "BC59B8AA-2FD2-4035-8113-19301E050079"sv;
    const auto lower = "bc59b8aa-2fd2-4035-8113-19301e050079"sv;
    for (const auto enc : {id_encoding::opaque, id_encoding::hex, id_encoding::auto_detect}) {
        INFO(to_string(enc));
        CHECK(normalize_message_id(upper, enc) == normalize_message_id(lower, enc));
    }
    // A UUID does not read as hex; it falls back to opaque so identical spellings still meet.
    CHECK(hex(upper) == opaque(lower));
    CHECK(hex(upper).key_kind() == normalized_id::kind::opaque);

    const auto wide_upper = "6A3ED98A66444E8ABAC3ACD9BBA8656F"sv;
    const auto wide_lower = "6a3ed98a66444e8abac3acd9bba8656f"sv;
    CHECK(hex(wide_upper) == hex(wide_lower));
    CHECK(autod(wide_upper) == autod(wide_lower));
    CHECK(opaque(wide_upper) == opaque(wide_lower));
}

TEST_CASE("ids wider than 64 bits stay strings", "[message_id]") {
    // 17 significant hex digits do not fit; leading zeros do not count.
    const normalized_id wide = hex("1FFFFFFFFFFFFFFFF");
    CHECK(wide.key_kind() == normalized_id::kind::wide_hex);
    CHECK(wide.view() == "x1ffffffffffffffff");
    CHECK_FALSE(wide.number().has_value());
    CHECK(hex("00001FFFFFFFFFFFFFFFF") == wide);

    const normalized_id widest_fit = hex("FFFFFFFFFFFFFFFF");
    CHECK(widest_fit.key_kind() == normalized_id::kind::number);
    CHECK(widest_fit.number() == UINT64_MAX);
    CHECK(widest_fit == dec("18446744073709551615"));

    // Decimal ids of any width are canonical once unpadded; past 64 bits number() says so.
    const normalized_id big = dec("000123456789012345678901234567890");
    CHECK(big.key_kind() == normalized_id::kind::number);
    CHECK(big.view() == "#123456789012345678901234567890");
    CHECK_FALSE(big.number().has_value());
}

TEST_CASE("trailing NULs and surrounding whitespace are trimmed", "[message_id]") {
    CHECK(dec(" 59113978 \r\n") == dec("59113978"));
    CHECK(opaque("abc\0\0\0"sv) == opaque("abc"));
    CHECK(opaque("abc\0"sv).view() == "sabc");
    // A C string ends at its first NUL: what follows is padding garbage, not id.
    CHECK(opaque("abc\0xyz"sv) == opaque("abc"));
    CHECK(hex("\t4D19C83C\0"sv) == hex("4d19c83c"));
}

TEST_CASE("empty ids are not keys", "[message_id]") {
    for (const auto raw : {""sv, "   "sv, "\0\0"sv, " \0 "sv}) {
        for (const auto enc : {id_encoding::opaque, id_encoding::decimal, id_encoding::hex,
                               id_encoding::auto_detect}) {
            const normalized_id key = normalize_message_id(raw, enc);
            CHECK(key.empty());
            CHECK(key.key_kind() == normalized_id::kind::empty);
            CHECK(key.view().empty());
        }
    }
}

TEST_CASE("different ids do not collide", "[message_id]") {
    CHECK(dec("59113978") != dec("59113979"));
    CHECK(dec("10") != hex("10"));  // 10 vs 16
    CHECK(hex("10").number() == 16U);
    CHECK(opaque("abc") != opaque("abd"));
    CHECK(opaque("abc") != opaque("abc1"));
    // The tag keeps the spaces apart: opaque "123" is not the number 123, and a wide hex id made
    // of digits is not the same digits read as decimal.
    CHECK(opaque("123") != dec("123"));
    CHECK(hex("123456789012345678901") != dec("123456789012345678901"));
    CHECK(hex("123456789012345678901").key_kind() == normalized_id::kind::wide_hex);
    // Padding inside an opaque id is significant.
    CHECK(opaque("0abc") != opaque("abc"));

    // Every number has one key, whichever base it came in, and distinct numbers stay distinct.
    std::unordered_set<normalized_id> keys;
    for (std::uint64_t v = 0; v < 5000; ++v) {
        const normalized_id from_dec = dec(std::to_string(v));
        REQUIRE(from_dec == hex(to_hex(v, v % 2 == 0)));
        REQUIRE(from_dec == hex("000" + to_hex(v, true)));
        REQUIRE(from_dec.number() == v);
        keys.insert(from_dec);
    }
    CHECK(keys.size() == 5000);
}

TEST_CASE("fallbacks when an id does not fit its configured encoding", "[message_id]") {
    // Letters under decimal, non-hex under hex: compared as opaque strings.
    CHECK(dec("ABC-1") == opaque("abc-1"));
    CHECK(dec("ABC-1").key_kind() == normalized_id::kind::opaque);
    CHECK(hex("msg-12345") == opaque("MSG-12345"));
    // 0x is accepted as hex notation.
    CHECK(hex("0x38601FA") == dec("59113978"));
    CHECK(hex("0X38601fa") == dec("59113978"));
}

TEST_CASE("auto reads digits as decimal and hex letters as hex", "[message_id]") {
    CHECK(autod("1891273321") == autod("70BA8A69"));
    CHECK(autod("0000436949") == autod("6aad5"));
    CHECK(autod("0059113978") == autod("59113978"));
    CHECK(autod("ABCdef") == autod("abcdef"));
    CHECK(autod("abcdefg").key_kind() == normalized_id::kind::opaque);
    CHECK(autod("abc-def") == opaque("ABC-DEF"));
    // The documented hazard: a hex carrier's all-digit id reads as decimal under auto and can
    // meet another of its ids. Naming the base keeps them apart.
    CHECK(autod("00000010") == autod("0000000a"));
    CHECK(hex("00000010") != hex("0000000a"));
}

TEST_CASE("per-carrier normalizer applies each source's encoding", "[message_id]") {
    id_format format;
    format.response_id = id_encoding::decimal;
    format.receipted_message_id = id_encoding::hex;
    format.receipt_text = id_encoding::decimal;
    const message_id_normalizer carrier(format);

    CHECK(carrier.encoding_for(id_source::response) == id_encoding::decimal);
    CHECK(carrier.encoding_for(id_source::receipted_message_id) == id_encoding::hex);
    CHECK(carrier.encoding_for(id_source::receipt_text) == id_encoding::decimal);

    const normalized_id submitted = carrier.normalize("1891273321", id_source::response);
    CHECK(carrier.normalize("70BA8A69\0"sv, id_source::receipted_message_id) == submitted);
    CHECK(carrier.normalize("1891273321", id_source::receipt_text) == submitted);
    // Read as decimal, the TLV's text would be another id altogether.
    CHECK(carrier.normalize("10", id_source::receipted_message_id) !=
          carrier.normalize("10", id_source::receipt_text));

    // Defaults: opaque everywhere, case folded.
    const message_id_normalizer plain;
    CHECK(plain.format().fold_case);
    CHECK(plain.normalize("0059113978", id_source::response) !=
          plain.normalize("59113978", id_source::receipt_text));
    CHECK(plain.normalize("4D19C83C", id_source::response) ==
          plain.normalize("4d19c83c\0"sv, id_source::receipted_message_id));
}

TEST_CASE("id encoding names", "[message_id]") {
    for (const auto enc :
         {id_encoding::opaque, id_encoding::decimal, id_encoding::hex, id_encoding::auto_detect}) {
        CHECK(smppgw::smpp::parse_id_encoding(to_string(enc)) == enc);
    }
    CHECK(to_string(id_encoding::auto_detect) == "auto");
    CHECK_FALSE(smppgw::smpp::parse_id_encoding("Hex").has_value());
    CHECK_FALSE(smppgw::smpp::parse_id_encoding("").has_value());
}

TEST_CASE("keys are values: copies, ordering, hashing, inline and heap storage", "[message_id]") {
    // The spec's longest id (64 characters) fits inline with its tag.
    const std::string longest(64, 'Z');
    const normalized_id inline_key = opaque(longest);
    CHECK(inline_key.view() == "s" + std::string(64, 'z'));
    static_assert(normalized_id::inline_capacity >= 65);

    // Longer ids from free receipt text still work, on the heap.
    const std::string very_long = std::string(100, '7') + "Q";
    const normalized_id heap_key = opaque(very_long);
    CHECK(heap_key.view().size() == 102);
    const normalized_id heap_copy =
        heap_key;  // NOLINT(performance-unnecessary-copy-initialization)
    CHECK(heap_copy == heap_key);
    CHECK(heap_copy.view() == "s" + std::string(100, '7') + "q");
    const std::string long_decimal = std::string(30, '0') + std::string(80, '9');
    CHECK(dec(long_decimal).view() == "#" + std::string(80, '9'));

    normalized_id assigned;
    assigned = inline_key;
    CHECK(assigned == inline_key);
    assigned = heap_key;
    CHECK(assigned == heap_key);
    assigned = dec("5");
    CHECK(assigned.view() == "#5");

    CHECK(dec("1") < dec("2"));
    std::unordered_set<normalized_id> set{dec("7"), hex("7"), opaque("7")};
    CHECK(set.size() == 2);  // decimal 7 and hex 7 are one number
    CHECK(set.count(normalize_message_id("0007", id_encoding::auto_detect)) == 1);
}
