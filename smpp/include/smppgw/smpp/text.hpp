#pragma once

// Text codecs for short_message content: GSM 03.38 default alphabet (unpacked and packed),
// IA5/ASCII, Latin-1 and UCS-2 (UTF-16BE), all to and from UTF-8, plus the interpretation of the
// SMPP data_coding octet (SMPP.md §7.3, §9). Everything here is pure and allocation-conscious:
// encoders and decoders append to caller-owned buffers so hot paths can reuse them, and invalid
// input is reported through std::error_code, never by throwing.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace smppgw::smpp {

// Errors of the text, segmentation and reassembly functions (one category: "smppgw.smpp.text").
enum class text_errc {
    invalid_utf8 = 1,        // encoder input is not well-formed UTF-8 (RFC 3629)
    unencodable_character,   // a character has no representation in the requested encoding
    udh_overrun,             // UDHL or an information element runs past its container
    too_many_segments,       // more parts than the options (or the 1-octet total) allow
    reference_out_of_range,  // an 8-bit concatenation reference above 0xFF
    payload_too_large,       // more than message_payload can carry (65535 octets)
    unsupported_encoding,    // the operation is undefined for that encoding (e.g. text → binary)
};

[[nodiscard]] const std::error_category& text_category() noexcept;
[[nodiscard]] std::error_code make_error_code(text_errc e) noexcept;

// How short_message bytes are to be read. `gsm7` always means one septet per octet (unpacked) in
// buffers passed to or returned by this library, except the explicit pack/unpack helpers.
enum class text_encoding : std::uint8_t {
    gsm7,         // GSM 03.38 default alphabet with the 0x1B extension table
    ascii,        // IA5
    latin1,       // ISO-8859-1
    ucs2,         // UCS-2 / UTF-16BE, surrogate pairs allowed
    binary,       // 8-bit data: never to be shown as text
    unsupported,  // a character set this library does not decode (JIS, KS C 5601, compressed...)
};

[[nodiscard]] std::string_view to_string(text_encoding e) noexcept;

// What data_coding 0x00 ("SMSC default alphabet") means towards a given peer. Many SMSCs treat it
// as Latin-1 (SMPP.md §7.3), so this is a per-peer setting rather than a constant.
enum class default_alphabet : std::uint8_t { gsm7, latin1 };

struct data_coding_info {
    text_encoding encoding = text_encoding::gsm7;
    std::optional<std::uint8_t> message_class;  // 0–3 when the value carries one (0 = flash)
    bool compressed = false;                    // GSM general group bit 5; we cannot decompress
};

// Interprets a data_coding octet: SMPP values 0x00–0x0E, the GSM 03.38 general coding groups
// 0x10–0x7F (0x40–0x7F are the "automatic deletion" variants), message waiting groups 0xC0–0xEF
// and the message class group 0xF0–0xFF (bit 2 selects 8-bit data over GSM 7-bit). Reserved and
// unhandled values come back as `unsupported`.
[[nodiscard]] data_coding_info interpret_data_coding(
    std::uint8_t data_coding, default_alphabet dcs0 = default_alphabet::gsm7) noexcept;

// The data_coding to send with text in `e` (0x00, 0x01, 0x03, 0x08 or 0x04 for binary).
// `unsupported` maps to 0x04 because such content can only travel as opaque octets.
[[nodiscard]] std::uint8_t data_coding_for(text_encoding e) noexcept;

// ---- UTF-8 and GSM lookups: inline, the per-submit "fits GSM?" scan runs them per character

namespace detail {

// GSM septet for code points below 0x100: bits 0–6 the septet, bit 7 set = extension table
// (preceded by 0x1B), 0xFF = not representable.
inline constexpr std::uint8_t gsm_none = 0xFF;
inline constexpr std::uint8_t gsm_ext = 0x80;

// The base table in septet order (SMPP.md §9.1); 0x1B (escape) has no character of its own.
// clang-format off
inline constexpr std::array<char16_t, 128> gsm_base_to_ucs = {
    u'@', u'\u00A3', u'$', u'\u00A5', u'\u00E8', u'\u00E9', u'\u00F9', u'\u00EC',
    u'\u00F2', u'\u00C7', u'\n', u'\u00D8', u'\u00F8', u'\r', u'\u00C5', u'\u00E5',
    u'\u0394', u'_', u'\u03A6', u'\u0393', u'\u039B', u'\u03A9', u'\u03A0', u'\u03A8',
    u'\u03A3', u'\u0398', u'\u039E', u' ', u'\u00C6', u'\u00E6', u'\u00DF', u'\u00C9',
    u' ', u'!', u'"', u'#', u'\u00A4', u'%', u'&', u'\'',
    u'(', u')', u'*', u'+', u',', u'-', u'.', u'/',
    u'0', u'1', u'2', u'3', u'4', u'5', u'6', u'7',
    u'8', u'9', u':', u';', u'<', u'=', u'>', u'?',
    u'\u00A1', u'A', u'B', u'C', u'D', u'E', u'F', u'G',
    u'H', u'I', u'J', u'K', u'L', u'M', u'N', u'O',
    u'P', u'Q', u'R', u'S', u'T', u'U', u'V', u'W',
    u'X', u'Y', u'Z', u'\u00C4', u'\u00D6', u'\u00D1', u'\u00DC', u'\u00A7',
    u'\u00BF', u'a', u'b', u'c', u'd', u'e', u'f', u'g',
    u'h', u'i', u'j', u'k', u'l', u'm', u'n', u'o',
    u'p', u'q', u'r', u's', u't', u'u', u'v', u'w',
    u'x', u'y', u'z', u'\u00E4', u'\u00F6', u'\u00F1', u'\u00FC', u'\u00E0',
};
// clang-format on
// Slot 0x1B is the escape. It holds a space because an escape pair without an extension character
// shows the base character, and 23.038 asks receivers to show a space for the reserved 0x1B 0x1B;
// the encoder skips this slot.
inline constexpr std::uint8_t gsm_escape = 0x1B;

// Extension table: septet after 0x1B → character, 0 = undefined (show the base character).
inline constexpr std::array<char16_t, 128> gsm_ext_to_ucs = [] {
    std::array<char16_t, 128> t{};
    t[0x0A] = u'\f';
    t[0x14] = u'^';
    t[0x28] = u'{';
    t[0x29] = u'}';
    t[0x2F] = u'\\';
    t[0x3C] = u'[';
    t[0x3D] = u'~';
    t[0x3E] = u']';
    t[0x40] = u'|';
    t[0x65] = u'\u20AC';
    return t;
}();

inline constexpr std::array<std::uint8_t, 256> gsm_from_latin = [] {
    std::array<std::uint8_t, 256> t{};
    for (auto& v : t) {
        v = gsm_none;
    }
    for (std::size_t s = 0; s < 128; ++s) {
        const char16_t c = gsm_base_to_ucs[s];
        if (s != gsm_escape && c < 0x100) {
            t[c] = static_cast<std::uint8_t>(s);
        }
    }
    for (std::size_t s = 0; s < 128; ++s) {
        const char16_t c = gsm_ext_to_ucs[s];
        if (c != 0 && c < 0x100) {
            t[c] = static_cast<std::uint8_t>(s | gsm_ext);
        }
    }
    return t;
}();

// Greek capitals U+0393..U+03A9 that the base table carries.
inline constexpr char32_t gsm_greek_first = 0x0393;
inline constexpr std::array<std::uint8_t, 0x03A9 - 0x0393 + 1> gsm_from_greek = [] {
    std::array<std::uint8_t, 0x03A9 - 0x0393 + 1> t{};
    for (auto& v : t) {
        v = gsm_none;
    }
    for (std::size_t s = 0; s < 128; ++s) {
        const char16_t c = gsm_base_to_ucs[s];
        if (c >= gsm_greek_first && c <= 0x03A9) {
            t[c - gsm_greek_first] = static_cast<std::uint8_t>(s);
        }
    }
    return t;
}();

inline constexpr char32_t euro_sign = 0x20AC;
inline constexpr std::uint8_t gsm_euro_septet = 0x65;

}  // namespace detail

// GSM code of `cp`: septet in bits 0–6, bit 7 set when it lives in the extension table;
// std::nullopt when the default alphabet cannot carry it.
[[nodiscard]] constexpr std::optional<std::uint8_t> gsm7_code(char32_t cp) noexcept {
    std::uint8_t v = detail::gsm_none;
    if (cp < 0x100) {
        v = detail::gsm_from_latin[cp];
    } else if (cp >= detail::gsm_greek_first && cp <= 0x03A9) {
        v = detail::gsm_from_greek[cp - detail::gsm_greek_first];
    } else if (cp == detail::euro_sign) {
        v = static_cast<std::uint8_t>(detail::gsm_euro_septet | detail::gsm_ext);
    }
    if (v == detail::gsm_none) {
        return std::nullopt;
    }
    return v;
}

// Septets `cp` costs in GSM 7-bit: 1 (base table), 2 (escape pair) or 0 (not representable).
[[nodiscard]] constexpr std::size_t gsm7_width(char32_t cp) noexcept {
    const auto code = gsm7_code(cp);
    if (!code) {
        return 0;
    }
    return (*code & detail::gsm_ext) != 0 ? 2 : 1;
}

// Decodes one UTF-8 sequence at `s[pos]` strictly (no overlongs, surrogates or values above
// U+10FFFF). Returns the octets consumed, or 0 when the sequence is invalid or truncated.
[[nodiscard]] constexpr std::size_t utf8_decode_one(std::string_view s, std::size_t pos,
                                                    char32_t& cp) noexcept {
    const auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(s[i]); };
    const std::uint8_t b0 = byte(pos);
    if (b0 < 0x80) {
        cp = b0;
        return 1;
    }
    std::size_t len = 0;
    char32_t min = 0;
    if ((b0 & 0xE0) == 0xC0) {
        len = 2;
        cp = b0 & 0x1Fu;
        min = 0x80;
    } else if ((b0 & 0xF0) == 0xE0) {
        len = 3;
        cp = b0 & 0x0Fu;
        min = 0x800;
    } else if ((b0 & 0xF8) == 0xF0) {
        len = 4;
        cp = b0 & 0x07u;
        min = 0x10000;
    } else {
        return 0;
    }
    if (s.size() - pos < len) {
        return 0;
    }
    for (std::size_t i = 1; i < len; ++i) {
        const std::uint8_t b = byte(pos + i);
        if ((b & 0xC0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (b & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return 0;
    }
    return len;
}

// Appends the UTF-8 form of a valid scalar value.
void append_utf8(char32_t cp, std::string& out);

// ---- Encoders: UTF-8 → bytes, appended to `out`. On error `out` is restored to its size on entry.

[[nodiscard]] std::error_code encode_gsm7(std::string_view utf8, std::vector<std::uint8_t>& out);
[[nodiscard]] std::error_code encode_ascii(std::string_view utf8, std::vector<std::uint8_t>& out);
[[nodiscard]] std::error_code encode_latin1(std::string_view utf8, std::vector<std::uint8_t>& out);
// UTF-16BE; characters above U+FFFF become surrogate pairs.
[[nodiscard]] std::error_code encode_ucs2(std::string_view utf8, std::vector<std::uint8_t>& out);
// Dispatches on `e`; `binary` and `unsupported` give text_errc::unsupported_encoding.
[[nodiscard]] std::error_code encode_text(std::string_view utf8, text_encoding e,
                                          std::vector<std::uint8_t>& out);

// ---- Decoders: bytes → UTF-8 appended to `out`. They never fail; what cannot be read becomes
// U+FFFD and the return value counts those replacements.

// Unpacked septets. An escape followed by a septet without an extension character shows the base
// character (23.038 §6.2.1.1); 0x1B 0x1B shows a space; a trailing lone 0x1B is dropped; octets
// with bit 7 set are not septets and become U+FFFD.
std::size_t decode_gsm7(std::span<const std::uint8_t> septets, std::string& out);
// Octets above 0x7F become U+FFFD.
std::size_t decode_ascii(std::span<const std::uint8_t> bytes, std::string& out);
std::size_t decode_latin1(std::span<const std::uint8_t> bytes, std::string& out);
// UTF-16BE; a lone surrogate or a trailing odd octet becomes U+FFFD.
std::size_t decode_ucs2(std::span<const std::uint8_t> bytes, std::string& out);

// ---- Septet packing (GSM 03.38 §6.1.2.1) for SMSCs that want packed short_message content.

// Fill bits that align text following a UDH of `udh_octets` octets (UDHL included) to a septet
// boundary, e.g. 1 for the 6-octet concatenation header, 0 for the 7-octet one.
[[nodiscard]] constexpr std::size_t septet_fill_bits(std::size_t udh_octets) noexcept {
    return (7 - (udh_octets * 8) % 7) % 7;
}
// Septets that fit in `octets` octets after `fill_bits` fill bits.
[[nodiscard]] constexpr std::size_t packed_septet_capacity(std::size_t octets,
                                                           std::size_t fill_bits) noexcept {
    return octets * 8 <= fill_bits ? 0 : (octets * 8 - fill_bits) / 7;
}
// Octets needed for `septets` septets after `fill_bits` fill bits.
[[nodiscard]] constexpr std::size_t packed_octets(std::size_t septets,
                                                  std::size_t fill_bits) noexcept {
    return (septets * 7 + fill_bits + 7) / 8;
}
// Appends `septets` (values 0–0x7F; bit 7 is ignored) packed LSB first after `fill_bits` zero bits.
// Spare bits in the last octet are zero.
void pack_septets(std::span<const std::uint8_t> septets, std::size_t fill_bits,
                  std::vector<std::uint8_t>& out);
// Appends up to `septet_count` septets read from `packed` after `fill_bits` bits (fewer if the
// input is shorter). SMPP carries no septet count, so callers that only know the octet length
// can pass packed_septet_capacity() and drop a final zero septet that merely fills spare bits.
void unpack_septets(std::span<const std::uint8_t> packed, std::size_t fill_bits,
                    std::size_t septet_count, std::vector<std::uint8_t>& out);

// ---- Choosing an encoding

struct encoding_choice {
    std::error_code ec;  // invalid_utf8
    text_encoding encoding = text_encoding::gsm7;
    std::size_t units = 0;  // septets (escape pairs count 2), octets, or UTF-16 code units
};

// The narrowest encoding that carries `utf8` unchanged: GSM 7-bit when every character is in the
// base or extension table, else Latin-1 when `allow_latin1` and every character is ≤ U+00FF, else
// UCS-2. Single pass, no allocation.
[[nodiscard]] encoding_choice choose_encoding(std::string_view utf8, bool allow_latin1) noexcept;

// ---- Decoding short_message for display, logging and keyword matching

enum class content_kind : std::uint8_t {
    text,         // `text` holds the message as UTF-8
    binary,       // 8-bit data: `text` is empty, read the payload octets instead
    unsupported,  // a character set or compression we do not decode: `text` is empty
};

struct text_decode_options {
    default_alphabet dcs0 = default_alphabet::gsm7;
    bool gsm7_packed = false;  // the peer sends packed septets (not the SMPP default)
};

struct decoded_text {
    std::error_code ec;  // text_errc::udh_overrun when UDHI is set but the header does not fit
    content_kind kind = content_kind::text;
    data_coding_info coding;
    std::string text;
    std::size_t udh_octets = 0;    // octets skipped at the front (UDHL included)
    std::size_t replacements = 0;  // characters that became U+FFFD
    bool national_shift = false;   // UDH asked for a 23.038 national table; decoded with default
};

// Decodes short_message (or a message_payload value) given its data_coding; when `udhi` (esm_class
// bit 0x40) is set the user data header is validated with parse_udh() (segmentation.hpp) and
// skipped.
[[nodiscard]] decoded_text decode_short_message(std::span<const std::uint8_t> short_message,
                                                std::uint8_t data_coding, bool udhi,
                                                const text_decode_options& options = {});

}  // namespace smppgw::smpp

template <>
struct std::is_error_code_enum<smppgw::smpp::text_errc> : std::true_type {};
