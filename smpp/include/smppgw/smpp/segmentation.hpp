#pragma once

// Long messages (SMPP.md §9.3, §9.4): segment counting, splitting into parts carried by a UDH
// concatenation header, SAR TLVs or one message_payload, and parsing of user data headers.
// Pure functions on raw values; the caller maps parts onto PDUs (esm_class bit 0x40 for a UDH,
// sar_* TLVs, message_payload).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <system_error>
#include <vector>

#include "smppgw/smpp/text.hpp"

namespace smppgw::smpp {

// esm_class bit saying short_message starts with a user data header.
inline constexpr std::uint8_t udhi_esm_class_bit = 0x40;

// User data of one SMS on the radio interface; every size in §9.3 derives from it.
inline constexpr std::size_t sms_user_data_octets = 140;
// A TLV length is 16 bits.
inline constexpr std::size_t max_message_payload_octets = 65535;

// UDH information element identifiers handled by name (3GPP 23.040 §9.2.3.24).
inline constexpr std::uint8_t iei_concat_8bit = 0x00;
inline constexpr std::uint8_t iei_ports_8bit = 0x04;
inline constexpr std::uint8_t iei_ports_16bit = 0x05;
inline constexpr std::uint8_t iei_concat_16bit = 0x08;
inline constexpr std::uint8_t iei_single_shift = 0x24;
inline constexpr std::uint8_t iei_locking_shift = 0x25;

enum class concat_method : std::uint8_t {
    udh,              // each part's short_message starts with IE 0x00 (or 0x08); set esm_class 0x40
    sar,              // sar_msg_ref_num / sar_total_segments / sar_segment_seqnum TLVs per part
    message_payload,  // one PDU, the whole text in the message_payload TLV
};

struct segmentation_options {
    concat_method method = concat_method::udh;
    // UDH: IE 0x08 (7-octet header) instead of IE 0x00 (6 octets). SAR: the SMSC will build the
    // 16-bit header, so parts are sized for it. When false the reference must be ≤ 0xFF.
    bool reference_16bit = false;
    // Pack GSM septets into octets (fill bits after a UDH). SMPP's default is unpacked (§9.2).
    bool gsm7_packed = false;
    // Operator limit on parts (often 6–10); never above 255 (sar_total_segments is one octet).
    std::size_t max_segments = 255;
    // Raw information elements (IEI, length, data) repeated in every part's UDH, e.g. application
    // ports for WAP push. They cost capacity in every part. Not owned; must outlive the call.
    std::span<const std::uint8_t> extra_ies;
};

// Characters of `e` that fit beside a UDH of `udh_octets` octets (UDHL included; 0 = no UDH):
// septets for gsm7, UTF-16 code units for ucs2, octets otherwise. 160/153/152, 70/67/66,
// 140/134/133 for no header, the 8-bit-reference and the 16-bit-reference headers.
[[nodiscard]] constexpr std::size_t part_capacity(text_encoding e,
                                                  std::size_t udh_octets) noexcept {
    const std::size_t octets =
        udh_octets >= sms_user_data_octets ? 0 : sms_user_data_octets - udh_octets;
    switch (e) {
        case text_encoding::gsm7:
            return octets * 8 / 7;
        case text_encoding::ucs2:
            return octets / 2;
        default:
            return octets;
    }
}

// Octets of the concatenation UDH in every part (UDHL included) for the given options, i.e. the
// 6- or 7-octet header plus extra_ies.
[[nodiscard]] std::size_t concat_udh_octets(const segmentation_options& options) noexcept;

struct text_measure {
    std::error_code ec;  // invalid_utf8, unencodable_character (measure_text_as)
    text_encoding encoding = text_encoding::gsm7;
    std::size_t units = 0;     // septets (escape pairs count 2), octets or UTF-16 code units
    std::size_t segments = 0;  // parts split_* would produce (1 for an empty text)
};

// Chooses the narrowest encoding (as choose_encoding()) and counts the parts without allocating:
// one pass for GSM text, a further pass per fallback encoding. Escape pairs and surrogate pairs never straddle a cut, so a part may hold one unit
// less than its capacity; the count reflects that. message_payload always counts as 1 segment;
// the limits of `options.max_segments` are not applied here (split_* reports them).
[[nodiscard]] text_measure measure_text(std::string_view utf8, bool allow_latin1,
                                        const segmentation_options& options = {}) noexcept;
// The same for a fixed encoding (gsm7, ascii, latin1, ucs2; binary counts UTF-8 octets).
[[nodiscard]] text_measure measure_text_as(std::string_view utf8, text_encoding e,
                                           const segmentation_options& options = {}) noexcept;
// The same for content already encoded in `e` (gsm7 unpacked septets, ucs2 UTF-16BE octets...).
[[nodiscard]] text_measure measure_encoded(std::span<const std::uint8_t> encoded, text_encoding e,
                                           const segmentation_options& options = {}) noexcept;

struct message_part {
    // The short_message octets (or the message_payload value when `in_message_payload`): the UDH
    // first when `udhi`, then this part's text.
    std::vector<std::uint8_t> bytes;
    bool udhi = false;                // set esm_class bit 0x40
    bool in_message_payload = false;  // send `bytes` as message_payload, short_message empty
    bool sar = false;                 // add the three sar_* TLVs below
    std::uint16_t sar_msg_ref_num = 0;
    std::uint8_t sar_total_segments = 0;
    std::uint8_t sar_segment_seqnum = 0;
};

// Splits content already encoded in `e` (gsm7 as unpacked septets) into parts, replacing the
// contents of `parts`. A text that fits one SM gives one part with no concatenation header and no
// SAR values whatever the method. `reference` is the caller's concatenation reference.
[[nodiscard]] std::error_code split_encoded(std::span<const std::uint8_t> encoded, text_encoding e,
                                            std::uint16_t reference,
                                            const segmentation_options& options,
                                            std::vector<message_part>& parts);
// Encodes `utf8` in `e` and splits it.
[[nodiscard]] std::error_code split_text(std::string_view utf8, text_encoding e,
                                         std::uint16_t reference,
                                         const segmentation_options& options,
                                         std::vector<message_part>& parts);

// ---- User data header parsing

struct udh_element {
    std::uint8_t iei = 0;
    std::span<const std::uint8_t> data;  // view into the parsed message
};

struct udh_concat {
    std::uint16_t reference = 0;
    std::uint8_t total = 0;
    std::uint8_t seqnum = 0;  // 1-based
    bool reference_16bit = false;
};

struct udh_ports {
    std::uint16_t destination = 0;
    std::uint16_t source = 0;
    bool ports_16bit = false;
};

// Spans view the message passed to parse_udh(); they are valid while it is.
struct parsed_udh {
    std::error_code ec;                     // text_errc::udh_overrun
    std::span<const std::uint8_t> header;   // UDHL and the elements
    std::span<const std::uint8_t> payload;  // what follows the header
    std::optional<udh_concat> concat;
    std::optional<udh_ports> ports;
    std::optional<std::uint8_t> single_shift_language;   // IE 0x24
    std::optional<std::uint8_t> locking_shift_language;  // IE 0x25
    // Every element not decoded above, in order, including known ones with invalid contents
    // (a concatenation IE with sequence 0 or beyond the total is ignored per 23.040, kept here).
    std::vector<udh_element> other;
};

// Parses the UDH at the front of a short_message whose esm_class has bit 0x40. A UDHL that runs
// past the message, or an element that runs past the UDHL, is text_errc::udh_overrun. A repeated
// element overrides the earlier one (23.040 §9.2.3.24).
[[nodiscard]] parsed_udh parse_udh(std::span<const std::uint8_t> short_message);

}  // namespace smppgw::smpp
