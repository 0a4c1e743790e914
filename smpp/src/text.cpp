#include "smppgw/smpp/text.hpp"

#include <string>

#include "smppgw/smpp/segmentation.hpp"

namespace smppgw::smpp {

namespace {

class text_category_impl final : public std::error_category {
public:
    [[nodiscard]] const char* name() const noexcept override { return "smppgw.smpp.text"; }

    [[nodiscard]] std::string message(int ev) const override {
        switch (static_cast<text_errc>(ev)) {
            case text_errc::invalid_utf8:
                return "input is not well-formed UTF-8";
            case text_errc::unencodable_character:
                return "character not representable in the requested encoding";
            case text_errc::udh_overrun:
                return "user data header overruns the message";
            case text_errc::too_many_segments:
                return "message needs more segments than allowed";
            case text_errc::reference_out_of_range:
                return "concatenation reference does not fit 8 bits";
            case text_errc::payload_too_large:
                return "message exceeds the message_payload limit";
            case text_errc::unsupported_encoding:
                return "operation not supported for this encoding";
        }
        return "unknown text error";
    }
};

constexpr char32_t replacement_char = 0xFFFD;

// Shared walk of the encoders: decodes `utf8` and hands each scalar value to `emit`, which
// returns false when the value cannot be represented. `out` is rolled back on any failure so the
// caller never sees half a message.
template <typename Emit>
std::error_code encode_each(std::string_view utf8, std::vector<std::uint8_t>& out,
                            std::size_t reserve_per_byte, Emit emit) {
    const std::size_t start = out.size();
    out.reserve(start + utf8.size() * reserve_per_byte);
    std::size_t pos = 0;
    while (pos < utf8.size()) {
        char32_t cp = 0;
        const std::size_t n = utf8_decode_one(utf8, pos, cp);
        if (n == 0) {
            out.resize(start);
            return text_errc::invalid_utf8;
        }
        if (!emit(cp)) {
            out.resize(start);
            return text_errc::unencodable_character;
        }
        pos += n;
    }
    return {};
}

}  // namespace

const std::error_category& text_category() noexcept {
    static const text_category_impl category;
    return category;
}

std::error_code make_error_code(text_errc e) noexcept {
    return {static_cast<int>(e), text_category()};
}

std::string_view to_string(text_encoding e) noexcept {
    switch (e) {
        case text_encoding::gsm7:
            return "gsm7";
        case text_encoding::ascii:
            return "ascii";
        case text_encoding::latin1:
            return "latin1";
        case text_encoding::ucs2:
            return "ucs2";
        case text_encoding::binary:
            return "binary";
        case text_encoding::unsupported:
            return "unsupported";
    }
    return "unknown";
}

data_coding_info interpret_data_coding(std::uint8_t dc, default_alphabet dcs0) noexcept {
    data_coding_info info;
    const auto cls = static_cast<std::uint8_t>(dc & 0x03);
    if (dc <= 0x0F) {
        // SMPP's own table (§7.3), not the GSM general coding group these values overlap.
        switch (dc) {
            case 0x00:
                info.encoding =
                    dcs0 == default_alphabet::latin1 ? text_encoding::latin1 : text_encoding::gsm7;
                break;
            case 0x01:
                info.encoding = text_encoding::ascii;
                break;
            case 0x02:
            case 0x04:
                info.encoding = text_encoding::binary;
                break;
            case 0x03:
                info.encoding = text_encoding::latin1;
                break;
            case 0x08:
                info.encoding = text_encoding::ucs2;
                break;
            default:
                info.encoding = text_encoding::unsupported;
                break;
        }
        return info;
    }
    if (dc <= 0x7F) {
        // General data coding (00xx xxxx) and its automatic-deletion twin (01xx xxxx):
        // bit 5 compressed, bit 4 class present, bits 3–2 alphabet.
        info.compressed = (dc & 0x20) != 0;
        if ((dc & 0x10) != 0) {
            info.message_class = cls;
        }
        switch ((dc >> 2) & 0x03) {
            case 0:
                info.encoding = text_encoding::gsm7;
                break;
            case 1:
                info.encoding = text_encoding::binary;
                break;
            case 2:
                info.encoding = text_encoding::ucs2;
                break;
            default:
                info.encoding = text_encoding::unsupported;
                break;
        }
        if (info.compressed && info.encoding != text_encoding::binary) {
            info.encoding = text_encoding::unsupported;
        }
        return info;
    }
    if (dc <= 0xBF) {
        info.encoding = text_encoding::unsupported;
        return info;
    }
    if (dc <= 0xDF) {
        // Message waiting indication, discard (1100) or store (1101): default alphabet.
        info.encoding = text_encoding::gsm7;
        return info;
    }
    if (dc <= 0xEF) {
        // Message waiting indication, store, UCS-2 (1110; reserved in the original GSM 03.38).
        info.encoding = text_encoding::ucs2;
        return info;
    }
    info.encoding = (dc & 0x04) != 0 ? text_encoding::binary : text_encoding::gsm7;
    info.message_class = cls;
    return info;
}

std::uint8_t data_coding_for(text_encoding e) noexcept {
    switch (e) {
        case text_encoding::gsm7:
            return 0x00;
        case text_encoding::ascii:
            return 0x01;
        case text_encoding::latin1:
            return 0x03;
        case text_encoding::ucs2:
            return 0x08;
        case text_encoding::binary:
        case text_encoding::unsupported:
            return 0x04;
    }
    return 0x04;
}

void append_utf8(char32_t cp, std::string& out) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

std::error_code encode_gsm7(std::string_view utf8, std::vector<std::uint8_t>& out) {
    return encode_each(utf8, out, 1, [&out](char32_t cp) {
        const auto code = gsm7_code(cp);
        if (!code) {
            return false;
        }
        if ((*code & detail::gsm_ext) != 0) {
            out.push_back(detail::gsm_escape);
        }
        out.push_back(static_cast<std::uint8_t>(*code & 0x7F));
        return true;
    });
}

std::error_code encode_ascii(std::string_view utf8, std::vector<std::uint8_t>& out) {
    return encode_each(utf8, out, 1, [&out](char32_t cp) {
        if (cp > 0x7F) {
            return false;
        }
        out.push_back(static_cast<std::uint8_t>(cp));
        return true;
    });
}

std::error_code encode_latin1(std::string_view utf8, std::vector<std::uint8_t>& out) {
    return encode_each(utf8, out, 1, [&out](char32_t cp) {
        if (cp > 0xFF) {
            return false;
        }
        out.push_back(static_cast<std::uint8_t>(cp));
        return true;
    });
}

std::error_code encode_ucs2(std::string_view utf8, std::vector<std::uint8_t>& out) {
    const auto put_unit = [&out](char32_t unit) {
        out.push_back(static_cast<std::uint8_t>(unit >> 8));
        out.push_back(static_cast<std::uint8_t>(unit & 0xFF));
    };
    // Two octets per UTF-8 octet covers every case: 1→2, 2→2, 3→2 and 4→4.
    return encode_each(utf8, out, 2, [&put_unit](char32_t cp) {
        if (cp < 0x10000) {
            put_unit(cp);
        } else {
            const char32_t v = cp - 0x10000;
            put_unit(0xD800 | (v >> 10));
            put_unit(0xDC00 | (v & 0x3FF));
        }
        return true;
    });
}

std::error_code encode_text(std::string_view utf8, text_encoding e,
                            std::vector<std::uint8_t>& out) {
    switch (e) {
        case text_encoding::gsm7:
            return encode_gsm7(utf8, out);
        case text_encoding::ascii:
            return encode_ascii(utf8, out);
        case text_encoding::latin1:
            return encode_latin1(utf8, out);
        case text_encoding::ucs2:
            return encode_ucs2(utf8, out);
        case text_encoding::binary:
        case text_encoding::unsupported:
            break;
    }
    return text_errc::unsupported_encoding;
}

std::size_t decode_gsm7(std::span<const std::uint8_t> septets, std::string& out) {
    out.reserve(out.size() + septets.size());
    std::size_t replaced = 0;
    for (std::size_t i = 0; i < septets.size(); ++i) {
        std::uint8_t s = septets[i];
        if (s == detail::gsm_escape) {
            if (i + 1 == septets.size()) {
                break;
            }
            s = septets[++i];
            if (s < 0x80 && detail::gsm_ext_to_ucs[s] != 0) {
                append_utf8(detail::gsm_ext_to_ucs[s], out);
                continue;
            }
        }
        if (s >= 0x80) {
            append_utf8(replacement_char, out);
            ++replaced;
            continue;
        }
        append_utf8(detail::gsm_base_to_ucs[s], out);
    }
    return replaced;
}

std::size_t decode_ascii(std::span<const std::uint8_t> bytes, std::string& out) {
    out.reserve(out.size() + bytes.size());
    std::size_t replaced = 0;
    for (const std::uint8_t b : bytes) {
        if (b < 0x80) {
            out.push_back(static_cast<char>(b));
        } else {
            append_utf8(replacement_char, out);
            ++replaced;
        }
    }
    return replaced;
}

std::size_t decode_latin1(std::span<const std::uint8_t> bytes, std::string& out) {
    out.reserve(out.size() + bytes.size() * 2);
    for (const std::uint8_t b : bytes) {
        append_utf8(b, out);
    }
    return 0;
}

std::size_t decode_ucs2(std::span<const std::uint8_t> bytes, std::string& out) {
    out.reserve(out.size() + bytes.size() / 2 * 3);
    std::size_t replaced = 0;
    const std::size_t units = bytes.size() / 2;
    const auto unit_at = [&bytes](std::size_t i) {
        return static_cast<char32_t>((bytes[2 * i] << 8) | bytes[2 * i + 1]);
    };
    for (std::size_t i = 0; i < units; ++i) {
        const char32_t u = unit_at(i);
        if (u < 0xD800 || u > 0xDFFF) {
            append_utf8(u, out);
            continue;
        }
        if (u <= 0xDBFF && i + 1 < units) {
            const char32_t low = unit_at(i + 1);
            if (low >= 0xDC00 && low <= 0xDFFF) {
                append_utf8(0x10000 + ((u - 0xD800) << 10) + (low - 0xDC00), out);
                ++i;
                continue;
            }
        }
        append_utf8(replacement_char, out);
        ++replaced;
    }
    if (bytes.size() % 2 != 0) {
        append_utf8(replacement_char, out);
        ++replaced;
    }
    return replaced;
}

void pack_septets(std::span<const std::uint8_t> septets, std::size_t fill_bits,
                  std::vector<std::uint8_t>& out) {
    out.reserve(out.size() + packed_octets(septets.size(), fill_bits));
    std::uint32_t acc = 0;  // pending bits, LSB first
    std::size_t bits = fill_bits % 7;
    for (const std::uint8_t s : septets) {
        acc |= static_cast<std::uint32_t>(s & 0x7F) << bits;
        bits += 7;
        while (bits >= 8) {
            out.push_back(static_cast<std::uint8_t>(acc & 0xFF));
            acc >>= 8;
            bits -= 8;
        }
    }
    if (bits > 0) {
        out.push_back(static_cast<std::uint8_t>(acc & 0xFF));
    }
}

void unpack_septets(std::span<const std::uint8_t> packed, std::size_t fill_bits,
                    std::size_t septet_count, std::vector<std::uint8_t>& out) {
    const std::size_t available = packed_septet_capacity(packed.size(), fill_bits);
    const std::size_t count = septet_count < available ? septet_count : available;
    out.reserve(out.size() + count);
    for (std::size_t k = 0; k < count; ++k) {
        const std::size_t bit = fill_bits + k * 7;
        const std::size_t octet = bit / 8;
        const std::size_t shift = bit % 8;
        std::uint32_t v = static_cast<std::uint32_t>(packed[octet]) >> shift;
        if (shift > 1) {
            v |= static_cast<std::uint32_t>(packed[octet + 1]) << (8 - shift);
        }
        out.push_back(static_cast<std::uint8_t>(v & 0x7F));
    }
}

encoding_choice choose_encoding(std::string_view utf8, bool allow_latin1) noexcept {
    encoding_choice choice;
    bool gsm = true;
    bool latin = allow_latin1;
    std::size_t septets = 0;
    std::size_t chars = 0;
    std::size_t utf16 = 0;
    std::size_t pos = 0;
    while (pos < utf8.size()) {
        char32_t cp = 0;
        const std::size_t n = utf8_decode_one(utf8, pos, cp);
        if (n == 0) {
            choice.ec = text_errc::invalid_utf8;
            return choice;
        }
        pos += n;
        ++chars;
        utf16 += cp > 0xFFFF ? 2 : 1;
        if (gsm) {
            const std::size_t w = gsm7_width(cp);
            gsm = w != 0;
            septets += w;
        }
        latin = latin && cp <= 0xFF;
    }
    if (gsm) {
        choice.encoding = text_encoding::gsm7;
        choice.units = septets;
    } else if (latin) {
        choice.encoding = text_encoding::latin1;
        choice.units = chars;
    } else {
        choice.encoding = text_encoding::ucs2;
        choice.units = utf16;
    }
    return choice;
}

decoded_text decode_short_message(std::span<const std::uint8_t> short_message,
                                  std::uint8_t data_coding, bool udhi,
                                  const text_decode_options& options) {
    decoded_text result;
    result.coding = interpret_data_coding(data_coding, options.dcs0);
    std::span<const std::uint8_t> payload = short_message;
    if (udhi) {
        const parsed_udh udh = parse_udh(short_message);
        if (udh.ec) {
            result.ec = udh.ec;
            result.kind = content_kind::unsupported;
            return result;
        }
        result.udh_octets = udh.header.size();
        result.national_shift =
            udh.single_shift_language.has_value() || udh.locking_shift_language.has_value();
        payload = udh.payload;
    }
    switch (result.coding.encoding) {
        case text_encoding::gsm7:
            if (options.gsm7_packed) {
                const std::size_t fill = septet_fill_bits(result.udh_octets);
                // Packed septets start at the beginning of the user data, so the fill bits
                // depend on the header length even though we read after it.
                const std::size_t count = packed_septet_capacity(payload.size(), fill);
                std::vector<std::uint8_t> septets;
                unpack_septets(payload, fill, count, septets);
                // With no septet count on the wire, seven zero spare bits at the end read as an
                // '@' that was never sent; a final zero septet filling the last octet exactly
                // is taken to be that padding.
                if (count > 0 && fill + count * 7 == payload.size() * 8 && septets.back() == 0) {
                    septets.pop_back();
                }
                result.replacements = decode_gsm7(septets, result.text);
            } else {
                result.replacements = decode_gsm7(payload, result.text);
            }
            break;
        case text_encoding::ascii:
            result.replacements = decode_ascii(payload, result.text);
            break;
        case text_encoding::latin1:
            result.replacements = decode_latin1(payload, result.text);
            break;
        case text_encoding::ucs2:
            result.replacements = decode_ucs2(payload, result.text);
            break;
        case text_encoding::binary:
            result.kind = content_kind::binary;
            break;
        case text_encoding::unsupported:
            result.kind = content_kind::unsupported;
            break;
    }
    return result;
}

}  // namespace smppgw::smpp
