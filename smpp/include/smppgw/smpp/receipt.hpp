#pragma once
// Delivery receipts (SMPP.md §8): message_state, tolerant parsing of carrier receipts, and the
// canonical Appendix B text the gateway sends to ESMEs.
//
// Independent of the PDU types on purpose: callers pass the receipt text (short_message, or
// message_payload when short_message is empty) and the raw TLV values they found.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "smppgw/smpp/message_id.hpp"

namespace smppgw::smpp {

// message_state TLV values: SMPP 3.4 uses 1-8, SMPP 5.0 adds 0 and 9.
enum class message_state : std::uint8_t {
    scheduled = 0,  // 5.0
    enroute = 1,
    delivered = 2,
    expired = 3,
    deleted = 4,
    undeliverable = 5,
    accepted = 6,
    unknown = 7,
    rejected = 8,
    skipped = 9,  // 5.0
};

// 0-9 map to a state; anything else is not one.
[[nodiscard]] std::optional<message_state> to_message_state(std::uint8_t value) noexcept;

// Receipt `stat:` text to state, ASCII case-insensitive. Beyond the standard words: FAILED
// (Vonage, Kaleyra, Route Mobile) reads as undeliverable; ACKED, BUFFRED and BUFFERD as enroute,
// the class Kannel gives them. Other words are not a state.
[[nodiscard]] std::optional<message_state> message_state_from_stat(std::string_view stat) noexcept;

// The 7-character stat word: DELIVRD, EXPIRED, DELETED, UNDELIV, ACCEPTD, UNKNOWN, REJECTD,
// ENROUTE, SCHEDLD, SKIPPED.
[[nodiscard]] std::string_view stat_text(message_state state) noexcept;

// No further receipt is expected. ACCEPTD is final in the spec (read on the subscriber's
// behalf) but carriers and aggregators send it for "accepted by the network" and follow it with
// the real outcome, so like Kannel we treat it as intermediate.
[[nodiscard]] bool is_final(message_state state) noexcept;

// The message reached the handset. Only DELIVRD.
[[nodiscard]] bool is_success(message_state state) noexcept;

// esm_class bits of a receipt-like deliver_sm/data_sm: SMSC receipt 0x04, SME delivery ack
// 0x08, intermediate notification 0x20 (Kannel's mask). A bare esm_class != 0 would take UDH
// MO messages (0x40) for receipts.
inline constexpr std::uint8_t receipt_esm_class_mask = 0x04 | 0x08 | 0x20;

[[nodiscard]] constexpr bool esm_class_marks_receipt(std::uint8_t esm_class) noexcept {
    return (esm_class & receipt_esm_class_mask) != 0;
}

// network_error_code TLV: Oct(3) = network type + 2-octet code.
struct network_error {
    std::uint8_t network_type = 0;  // 1-8 per spec; 0 when the value did not say
    std::uint16_t code = 0;

    friend bool operator==(const network_error&, const network_error&) = default;
};

// Reads a network_error_code value of any shape seen in the wild: 3 octets as specified; ASCII
// digits ("000", jasmin's capture) as a decimal code of unknown network type; 2 octets as a bare
// code; 1 octet as a bare code. Empty or longer non-digit values give nullopt.
[[nodiscard]] std::optional<network_error> parse_network_error_code(std::string_view raw) noexcept;

// Receipt fields, as flags of receipt::present.
enum class receipt_field : std::uint16_t {
    id = 1U << 0U,
    sub = 1U << 1U,
    dlvrd = 1U << 2U,
    submit_date = 1U << 3U,
    done_date = 1U << 4U,
    stat = 1U << 5U,
    err = 1U << 6U,
    text = 1U << 7U,
};

// One parsed receipt. Optionals are empty when the field was absent or unreadable; `present`
// tells the two apart (a field can be present with a value we could not read).
struct receipt {
    std::string id;  // the id correlation should use (trimmed)
    id_source id_origin = id_source::receipt_text;
    std::string text_id;  // the text's id, if any (differs when the TLV's won)
    std::optional<std::uint32_t> sub;
    std::optional<std::uint32_t> dlvrd;
    // Receipt dates carry no zone (they are usually the SMSC's local time); read as UTC.
    std::optional<std::chrono::sys_seconds> submit_date;
    std::optional<std::chrono::sys_seconds> done_date;
    std::string stat;                    // as sent, trimmed
    std::optional<message_state> state;  // message_state TLV if valid, else from stat
    bool state_from_tlv = false;
    std::string err;                                  // as sent, trimmed
    std::optional<std::uint32_t> err_code;            // err read as decimal, else as hex
    std::optional<network_error> network_error_code;  // from the TLV
    std::string text;                                 // trailing padding removed
    std::uint16_t present = 0;                        // receipt_field flags seen in the text

    [[nodiscard]] bool has(receipt_field field) const noexcept {
        return (present & static_cast<std::uint16_t>(field)) != 0;
    }
    // The network_error_code TLV's code if present, else the text's err.
    [[nodiscard]] std::optional<std::uint32_t> error_code() const noexcept {
        if (network_error_code) {
            return network_error_code->code;
        }
        return err_code;
    }
};

// Parses receipt text. Tolerates labels in any case and order (`Text:`), missing fields, values
// running up to the next label (so `submit date:` works and text may hold spaces and need not
// be last), 10/12/14-digit dates, err of any width in decimal or hex, trailing NULs and
// padding, any id style, and a text sent entirely as UTF-16BE. Each label counts once: a later
// `id:` or `stat:` is part of the value before it (usually the echoed message text).
// Text without an id is not a receipt: nullopt. Allocates the strings of the result.
[[nodiscard]] std::optional<receipt> parse_receipt_text(std::string_view text);

// The receipt TLVs of a deliver_sm/data_sm, raw as decoded.
struct receipt_tlvs {
    std::optional<std::string_view> receipted_message_id;  // may end in NUL
    std::optional<std::uint8_t> message_state;
    std::optional<std::string_view> network_error_code;  // raw value octets
};

// Text and TLVs together; the TLVs win where present and usable (SMPP.md §8.5). A receipt needs
// an id from either; text may be empty when the TLVs carry everything.
[[nodiscard]] std::optional<receipt> parse_receipt(std::string_view text, const receipt_tlvs& tlvs);

// What the gateway reports to an ESME.
struct outbound_receipt {
    std::string_view id;  // the message_id the gateway gave this ESME, never the carrier's
    std::uint32_t submitted = 1;
    std::optional<std::uint32_t> delivered;  // unset: 1 if the state is success, else 0
    std::chrono::sys_seconds submit_date{};
    std::chrono::sys_seconds done_date{};
    message_state state = message_state::delivered;
    std::uint32_t err = 0;
    std::string_view text;  // the original message (UTF-8); its first 20 characters are sent
};

// `id:<id> sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:SSSSSSS err:EEE
// text:<20 chars>`, dates in UTC. sub, dlvrd and err are 3-digit fields: values above 999 are
// written as 999 (strict parsers such as cloudhopper reject wider err).
[[nodiscard]] std::string format_receipt_text(const outbound_receipt& fields);

// Receipt dates: 10 (YYMMDDhhmm), 12 (YYMMDDhhmmss) or 14 (YYYYMMDDhhmmss) digits; a 4-digit
// year outside 1970..2199 is refused.
[[nodiscard]] std::optional<std::chrono::sys_seconds> parse_receipt_date(
    std::string_view digits) noexcept;

}  // namespace smppgw::smpp
