#pragma once
// The `messages` value encoding and its merge operands. Hand-written, versioned binary: a
// leading format byte, then fields in a fixed order (varint lengths, zigzag-varint times).
//
//   value  := 0x01 record                 a full record (format 1)
//           | 0xFF op*                    a "stub": operands that arrived without a record
//                                         (e.g. after retention removed it); reads as absent
//   record := id:varint account brand class:u8 src dst msisdn service_type esm_class:u8
//             protocol_id:u8 priority_flag:u8 registered_delivery:u8 data_coding:u8 payload
//             tlvs received:time opt:u8 [schedule:time] [validity:time] [campaign:bytes]
//             carrier state:u8
//             nparts:varint (cmid:bytes state:u8 updated:time error:varint)*
//             nhistory:varint (state:u8 when:time)*
//   op     := 0x01 state:u8 when:time                              state event
//           | 0x02 part:varint state:u8 when:time cmid:bytes error:varint   part update
//           | 0x03 carrier:bytes                                   carrier chosen
// opt bits: 0x01 schedule, 0x02 validity, 0x04 campaign (added later: a record without a
// campaign is encoded exactly as before, and older records decode unchanged).
// An operand is a concatenation of ops, so a partial merge is a concatenation too.

#include <cstdint>
#include <string>
#include <string_view>

#include "smppgw/store/message_record.hpp"

namespace smppgw::store::detail {

inline constexpr std::uint8_t message_format_v1 = 0x01;
inline constexpr std::uint8_t message_format_stub = 0xFF;
inline constexpr std::uint16_t max_message_parts = 255;  // SMPP sar_total_segments is a u8

void encode_message(const message_record& rec, std::string& out);

enum class decode_status : std::uint8_t { ok, stub, malformed };
[[nodiscard]] decode_status decode_message(std::string_view in, message_record& rec);

void encode_state_op(std::string& out, message_state state, time_point when);
void encode_part_op(std::string& out, std::uint16_t part, message_state state, time_point when,
                    std::string_view carrier_message_id, std::uint32_t error);
void encode_carrier_op(std::string& out, std::string_view carrier);

// Applies every op of one operand in order; false if the operand is malformed (ops before the
// bad one stay applied).
[[nodiscard]] bool apply_message_ops(message_record& rec, std::string_view operand);

}  // namespace smppgw::store::detail
