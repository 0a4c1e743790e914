#pragma once
// Translations between what travels on the wire and what the gateway journals: upstream submits
// to message records, records to carrier submit_sm parts, states to receipts.

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "smppgw/gateway/config.hpp"
#include "smppgw/policy/message.hpp"
#include "smppgw/smpp/message_view.hpp"
#include "smppgw/smpp/pdu.hpp"
#include "smppgw/smpp/reassembly.hpp"
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

// The campaign of one upstream message, as counted in metrics and /v1/stats: smppgw's vendor TLV
// 0x1402 (C-Octet String, the terminating NUL optional, up to 65 octets) names it; a name on the
// account's `campaigns` list counts as itself, any other (or a malformed value) as "other", and
// a message without the TLV (or with an empty one) has none (""). Like 0x1401 it is not forwarded to carriers.
inline constexpr std::uint16_t tlv_campaign = 0x1402;
[[nodiscard]] std::string campaign_of(const smpp::tlv_list& tlvs, const account_config& account);

// Field checks a server makes before policy: times, registered_delivery, sizes.
struct submit_fields {
    smpp::command_status status = smpp::status::ESME_ROK;
    std::optional<time_point> schedule;
    std::optional<time_point> validity;
};
[[nodiscard]] submit_fields check_submit_fields(const smpp::pdu& p, const smpp::message_view& v,
                                                time_point now);

// The journal record of one upstream message to one destination, its campaign resolved by
// campaign_of().
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

// The receipt as the bytes an outbox entry keeps (a deliver_sm with sequence 1: the delivering
// session writes its own); empty if it cannot be encoded.
[[nodiscard]] std::string encode_receipt(const receipt_facts& f);
// The upstream receipt for a message that ended without a carrier receipt (failed, refused at
// release or dispatch, expired, cancelled), if its registered_delivery asks for one; else "".
[[nodiscard]] std::string final_receipt_bytes(const store::message_record& rec,
                                              store::message_state state, std::uint32_t error,
                                              time_point now);

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

// The one deliver_sm a reassembled concatenated MO becomes: service_type and addresses of the
// part that completed it (`part`), esm_class and data_coding of part 1 (the payload has no
// UDH), the carrier's TLVs without the sar_* ones. The whole text goes in short_message when
// it fits (at most 254 octets), which every peer reads, else in message_payload.
[[nodiscard]] smpp::pdu build_reassembled_mo(const smpp::message_view& part,
                                             const smpp::tlv_list& tlvs,
                                             const smpp::reassembled_message& whole);

// Interface versions: 0x34 is SMPP 3.4; a peer that binds with less speaks 3.3, which has no
// TLVs and no data_sm (the session strips TLVs for such peers).
inline constexpr std::uint8_t smpp_3_4 = 0x34;

// One outbox PDU (deliver_sm or data_sm; receipt or MO) as a peer bound with
// `interface_version` can read it. 3.4 peers get it unchanged. For a 3.3 peer it becomes
// deliver_sm without TLVs whose short_message holds the content: content that came in
// message_payload moves to short_message when it fits (at most 254 octets), longer content is
// re-split into parts with a concatenation UDH (IE 0x00, 8-bit `reference`, esm_class 0x40),
// sized per data_coding as for a handset (153 GSM, 134 octets, 67 UCS-2 per part) and keeping
// other UDH elements (ports, language shifts) in every part. Content already in short_message
// (every receipt) is left as it is.
struct peer_delivery {
    std::vector<smpp::pdu> parts;  // what to send, in order; never empty
    // Set when a 3.3 peer cannot be given the content (more than 255 parts, an address longer
    // than deliver_sm's 20 characters, a broken UDH); `parts` then holds the PDU unchanged.
    std::error_code ec;
};
[[nodiscard]] peer_delivery adapt_for_peer(const smpp::pdu& p, std::uint8_t interface_version,
                                           std::uint8_t reference);

// Outbox entries that went to a peer as several deliver_sm (adapt_for_peer): an entry is
// settled once every part is answered, with ESME_ROK only when every part got it, else with
// the first other status. Keys are the delivering session's cookies; the entry itself stays
// with the caller under `entry`. Single-threaded: owned by one connection.
class split_deliveries {
public:
    // The parts sent for one entry (at least one). `all_sent` false: a later part could not be
    // sent, so the entry settles as ESME_RSYSERR (to be sent again) once the parts that went
    // out are answered.
    void add(std::uint64_t entry, std::span<const std::uint64_t> sent_parts, bool all_sent);

    struct outcome {
        std::uint64_t entry = 0;
        bool complete = false;     // every part answered: settle the entry now
        std::uint32_t status = 0;  // ESME_ROK, or the first other status a part got
    };
    // The status a part was answered with (ESME_RSYSERR when it got no answer); nullopt when
    // the cookie is not a part of a split entry.
    [[nodiscard]] std::optional<outcome> answered(std::uint64_t cookie, std::uint32_t status);
    // The connection is gone: the caller returns every entry, split or not.
    void clear() noexcept;
    [[nodiscard]] bool empty() const noexcept { return parts_.empty(); }

private:
    struct progress {
        std::size_t unanswered = 0;
        std::uint32_t status = 0;
    };
    std::map<std::uint64_t, std::uint64_t> parts_;  // part cookie -> entry
    std::map<std::uint64_t, progress> entries_;
};

// A reply the gateway sends itself (opt-out confirmation, HELP): GSM 7-bit when the text fits,
// else UCS-2; long replies carry the text in message_payload and get segmented per carrier.
[[nodiscard]] store::message_record make_reply_record(std::string_view account,
                                                      std::string_view brand,
                                                      std::string_view from_number,
                                                      std::string_view to_msisdn,
                                                      std::string_view text, time_point now);

}  // namespace smppgw::gateway
