#pragma once
// Translations between what travels on the wire and what the gateway journals: upstream submits
// to message records, records to carrier submit_sm parts, states to receipts.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smppgw/gateway/config.hpp"
#include "smppgw/policy/message.hpp"
#include "smppgw/smpp/message_view.hpp"
#include "smppgw/smpp/pdu.hpp"
#include "smppgw/smpp/receipt.hpp"
#include "smppgw/store/message_record.hpp"

namespace smppgw::gateway {

using time_point = store::time_point;

// The message class of one upstream message: the account default unless the message says
// otherwise, through service_type ("MKT" promotional, "TXN" transactional, "CNV"
// conversational) or smppgw's vendor TLV 0x1401 (Int(1): 0 transactional, 1 promotional,
// 2 conversational). The TLV wins over service_type.
inline constexpr std::uint16_t tlv_message_class = 0x1401;
[[nodiscard]] policy::message_class message_class_of(const smpp::message_view& v,
                                                     const smpp::tlv_list& tlvs,
                                                     policy::message_class account_default);

// Field checks a server makes before policy: times, registered_delivery, sizes.
struct submit_fields {
    smpp::command_status status = smpp::status::ESME_ROK;
    std::optional<time_point> schedule;
    std::optional<time_point> validity;
};
[[nodiscard]] submit_fields check_submit_fields(const smpp::pdu& p, const smpp::message_view& v,
                                                time_point now);

// The journal record of one upstream message to one destination.
[[nodiscard]] store::message_record make_record(const smpp::pdu& p, const smpp::message_view& v,
                                                std::uint8_t dest_ton, std::uint8_t dest_npi,
                                                std::string_view destination,
                                                const account_config& account,
                                                policy::message_class klass,
                                                const submit_fields& fields, time_point now);

// The submit_sm PDUs for one record, segmented the way the carrier wants. A message the upstream
// already split (UDH or SAR) goes as it came.
[[nodiscard]] std::vector<smpp::pdu> build_carrier_parts(const store::message_record& rec,
                                                         const carrier_config& carrier,
                                                         std::uint16_t reference);

// Our message id as the upstream sees it: the decimal form of the 64-bit id.
[[nodiscard]] std::string format_message_id(store::message_id id);
[[nodiscard]] std::optional<store::message_id> parse_message_id(std::string_view s);

// Receipt states, both ways.
[[nodiscard]] smpp::message_state to_smpp_state(store::message_state s) noexcept;
[[nodiscard]] store::message_state to_store_state(smpp::message_state s) noexcept;

// The delivery receipt for an upstream account: our id in the text and in
// receipted_message_id, message_state, esm_class 0x04, the addresses swapped.
struct receipt_facts {
    store::message_id id = 0;
    const store::sme_address* source = nullptr;       // the upstream's source_addr
    const store::sme_address* destination = nullptr;  // the handset
    time_point submitted{};
    time_point done{};
    store::message_state state = store::message_state::delivered;
    std::uint32_t error = 0;
    std::uint32_t parts = 1;
    std::uint32_t delivered_parts = 1;
    // The original message as UTF-8 (receipt_text_of); its first 20 characters fill `text:`.
    std::string_view text;
};
// The receipt text is Appendix B's, sent as data_coding 0. Readers take that as ASCII
// (Kannel, jasmin, cloudhopper parse the octets) or as GSM 03.38, so `text:` carries only the
// characters both read alike (letters, digits, space and most punctuation); every other one
// becomes '?', and line breaks and tabs a space.
[[nodiscard]] smpp::pdu build_upstream_receipt(const receipt_facts& f);

// The first 20 characters of a journaled message as UTF-8, decoded per its data_coding with any
// UDH skipped: what a receipt's `text:` shows (SMPP 3.4 Appendix B). Empty for binary data and
// character sets smppgw cannot read.
[[nodiscard]] std::string receipt_text_of(const store::message_record& rec);

// Does registered_delivery ask for a receipt in this final state? (bits 1-0: 01 always, 10 on
// failure only; 5.0's 11 success only.) Intermediate notifications need bit 4.
[[nodiscard]] bool receipt_wanted(std::uint8_t registered_delivery,
                                  store::message_state s) noexcept;

// An MO for an upstream account: the carrier's deliver_sm with its TLVs, minus what only
// concerns the carrier hop.
[[nodiscard]] smpp::pdu build_upstream_mo(const smpp::pdu& carrier_pdu);

// A reply the gateway sends itself (opt-out confirmation, HELP): GSM 7-bit when the text fits,
// else UCS-2; long replies carry the text in message_payload and get segmented per carrier.
[[nodiscard]] store::message_record make_reply_record(std::string_view account,
                                                      std::string_view brand,
                                                      std::string_view from_number,
                                                      std::string_view to_msisdn,
                                                      std::string_view text, time_point now);

}  // namespace smppgw::gateway
