#pragma once
// A JSON view of PDUs for operators (`smppgw pdu decode|encode`) and tests.
//
// Shape: {"command": "submit_sm", "command_status": 0, "command_status_name": "ESME_ROK",
//         "sequence_number": 2, "fields": {<spec field names>: <values>},
//         "tlvs": [{"tag": "0x001e", "name": "receipted_message_id", "length": 8,
//                   "value": "38601fa", "hex": "3338363031666100"}],
//         "text": "<decoded UTF-8 text>", "receipt": {...}}
// C-Octet Strings are shown as text (their octets read as Latin-1, so every byte survives the
// round trip); octet strings (short_message, octet TLVs) as lower-case hex.

#include <string>
#include <string_view>
#include <system_error>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "smppgw/smpp/pdu.hpp"

namespace smppgw::smpp {

struct json_view_options {
    // Add "text" (the message decoded per data_coding) and, for delivery receipts, "receipt".
    bool include_text = true;
};

[[nodiscard]] boost::json::object to_json(const pdu& p, const json_view_options& options = {});

// Builds a PDU from the JSON shape above. Missing fields take their defaults; "hex" wins over
// "value" for TLVs. On failure `error` says which key is wrong and why.
[[nodiscard]] bool from_json(const boost::json::value& v, pdu& out, std::string& error);

[[nodiscard]] std::string to_hex(std::span<const std::uint8_t> bytes);
// Accepts upper or lower case and ignores whitespace; false on odd length or a non-hex digit.
[[nodiscard]] bool from_hex(std::string_view hex, std::vector<std::uint8_t>& out);

}  // namespace smppgw::smpp
