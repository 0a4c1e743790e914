#pragma once
// Value encodings of every family except `messages` (message_codec.hpp). Each starts with a
// format byte (1) so a later version can be told apart; decoders return false on anything
// malformed and never throw.
//
//   optouts 'a'   1 when:time keyword:bytes source:u8 reference:bytes   (brand, msisdn: key)
//   optouts 'h'   1 event:u8(0 put, 1 lift) when:time keyword source:u8 reference
//   consents 'e'  1 consent_record (every field, brand/msisdn/class included)
//   consents 's'  be64(t64 effective) be64(uniq) 'e'-value: the merge operator keeps the
//                 operand with the greatest first 16 bytes (a memcmp), later one on ties
//   carrier_ids   1 be64(id) part:varint
//   outbox 'q'    1 kind:u8 created:time bytes(rest of value)
//   outbox 's'    be64(last assigned seq)
//   freq          count:varint first:time (delta:varint)*   ascending send times
//                 or 0xFE when:time                       (operand) one send given back
//   audit 't'     1 when:time id:varint msisdn account brand check verdict:u8
//                 command_status:varint reason opt:u8 [defer_until:time]

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smppgw/policy/lookups.hpp"
#include "smppgw/policy/records.hpp"
#include "smppgw/store/records.hpp"

namespace smppgw::store::detail {

inline constexpr std::uint8_t record_format_v1 = 1;

// --- opt-outs ---
void encode_optout(const policy::optout_record& rec, std::string& out);
[[nodiscard]] bool decode_optout(std::string_view value, policy::optout_record& rec);
// Only the `when` of an opt-out value: the hot path needs no more.
[[nodiscard]] std::optional<time_point> decode_optout_when(std::string_view value) noexcept;

enum class optout_history_kind : std::uint8_t { put = 0, lift = 1 };
void encode_optout_history(optout_history_kind ev, time_point when, std::string_view keyword,
                           policy::record_source source, std::string_view reference,
                           std::string& out);
[[nodiscard]] bool decode_optout_history(std::string_view value, smppgw::store::optout_event& ev);

// --- consents ---
[[nodiscard]] time_point consent_effective_time(const policy::consent_record& rec) noexcept;
void encode_consent(const policy::consent_record& rec, std::string& out);
[[nodiscard]] bool decode_consent(std::string_view value, policy::consent_record& rec);
void encode_consent_state(const policy::consent_record& rec, std::uint64_t uniq, std::string& out);
// The record part of a state value (after its 16-byte ordering prefix).
[[nodiscard]] bool decode_consent_state(std::string_view value, policy::consent_record& rec);
[[nodiscard]] policy::consent_summary summarize(const policy::consent_record& rec) noexcept;
// The summary straight from a state value, without allocating (open-time rebuild, index
// updates).
[[nodiscard]] bool decode_consent_summary(std::string_view state_value,
                                          policy::consent_summary& s) noexcept;

// --- carrier ids ---
void encode_carrier_mapping(const carrier_mapping& m, std::string& out);
[[nodiscard]] std::optional<carrier_mapping> decode_carrier_mapping(std::string_view v) noexcept;

// --- outbox ---
void encode_outbox_value(outbox_kind kind, time_point created, std::string_view bytes,
                         std::string& out);
[[nodiscard]] bool decode_outbox_value(std::string_view v, outbox_entry& e);
[[nodiscard]] std::optional<outbox_kind> outbox_value_kind(std::string_view v) noexcept;

// --- freq ---
void encode_send_times(const std::vector<time_point>& ascending, std::string& out);
[[nodiscard]] bool decode_send_times(std::string_view v, std::vector<time_point>& out);
// A merge operand that takes one send at `when` back out (a reservation released). Its first
// byte cannot start a send-time list (those hold at most send_history::capacity times).
inline constexpr std::uint8_t send_removal_tag = 0xFE;
void encode_send_removal(time_point when, std::string& out);
[[nodiscard]] std::optional<time_point> decode_send_removal(std::string_view v) noexcept;

// --- review holds ---
//   holds         1 since:time reference:bytes text:bytes          (brand, msisdn: key)
void encode_hold(const policy::hold_record& rec, std::string& out);
// brand and msisdn come from the key.
[[nodiscard]] bool decode_hold(std::string_view value, policy::hold_record& rec);

// --- audit ---
void encode_audit(const audit_record& rec, std::string& out);
[[nodiscard]] bool decode_audit(std::string_view v, audit_record& rec);

}  // namespace smppgw::store::detail
