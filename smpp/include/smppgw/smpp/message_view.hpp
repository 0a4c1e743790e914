#pragma once
// A uniform read-only view of the message PDUs (submit_sm, deliver_sm, data_sm, submit_multi):
// where the content is (short_message or message_payload), how it is coded, whether it is a
// delivery receipt. Used by the gateway's relays, the JSON view and the tools.

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "smppgw/smpp/pdu.hpp"
#include "smppgw/smpp/receipt.hpp"
#include "smppgw/smpp/text.hpp"

namespace smppgw::smpp {

struct message_view {
    std::string_view service_type;
    std::uint8_t source_addr_ton = 0;
    std::uint8_t source_addr_npi = 0;
    std::string_view source_addr;
    std::uint8_t dest_addr_ton = 0;
    std::uint8_t dest_addr_npi = 0;
    std::string_view destination_addr;  // empty for submit_multi (see its dest list)
    std::uint8_t esm_class = 0;
    std::uint8_t registered_delivery = 0;
    std::uint8_t data_coding = 0;
    // short_message, or message_payload when short_message is empty (sending both is invalid
    // but happens; short_message wins then, as most SMSCs do).
    std::span<const std::uint8_t> content;
    bool content_in_payload = false;
};

// Nullopt for PDUs that carry no message.
[[nodiscard]] std::optional<message_view> view_message(const pdu& p) noexcept;

// A deliver_sm or data_sm whose esm_class marks a receipt (mask 0x04|0x08|0x20, SMPP.md §7.1).
[[nodiscard]] bool is_receipt(const pdu& p) noexcept;

// The message decoded for display and keyword matching (UDH skipped when UDHI is set).
[[nodiscard]] decoded_text message_text(const pdu& p, const text_decode_options& options = {});

// The receipt a deliver_sm/data_sm carries: text (short_message or message_payload, decoded per
// data_coding) and the receipted_message_id / message_state / network_error_code TLVs.
[[nodiscard]] std::optional<receipt> receipt_of(const pdu& p, const text_decode_options& options = {});

}  // namespace smppgw::smpp
