#pragma once
// Incremental PDU decoder and appending encoder.
//
// decode() looks at the front of a byte span that may hold a fraction of a PDU, exactly one, or
// several. It reports how many bytes it consumed: 0 with no error means "need more". Errors come
// in two kinds (decode_result::fatal()):
//  - framing errors (command_length < 16 or above the ceiling): the stream cannot be re-synced and
//    the session must close (after a generic_nack ESME_RINVCMDLEN if it wants to be polite);
//  - everything else: the whole PDU was consumed and the header is known, so the session answers
//    with response_status() (in the request's own _resp, or generic_nack) and keeps reading.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <system_error>
#include <vector>

#include "smppgw/smpp/command.hpp"
#include "smppgw/smpp/error.hpp"
#include "smppgw/smpp/pdu.hpp"

namespace smppgw::smpp {

inline constexpr std::size_t header_size = 16;
inline constexpr std::size_t default_max_command_length = 64 * 1024;

struct decode_options {
    // PDUs longer than this close the session. 64 KiB admits a full message_payload.
    std::size_t max_command_length = default_max_command_length;
};

struct decode_result {
    std::size_t consumed = 0;
    std::error_code error;
    // The header as read; meaningful whenever consumed > 0 or the error is not a framing one.
    std::uint32_t command_length = 0;
    std::uint32_t command_id = 0;
    std::uint32_t command_status = 0;
    std::uint32_t sequence_number = 0;
    // The field that failed, for logs and `smppgw pdu decode` ("source_addr").
    std::string_view field;
    // What a server should answer for this error (ESME_RINVCMDID, ESME_RINVMSGLEN, ...).
    smpp::command_status response_status = status::ESME_ROK;

    [[nodiscard]] bool ok() const noexcept { return consumed > 0 && !error; }
    [[nodiscard]] bool need_more() const noexcept { return consumed == 0 && !error; }
    [[nodiscard]] bool fatal() const noexcept {
        return error == errc::length_too_small || error == errc::length_too_large;
    }
};

// Decodes the PDU at the front of `in` into `out` (reusing its storage). On a recoverable error
// `out` holds whatever was decoded so far and must not be used as a valid PDU.
[[nodiscard]] decode_result decode(std::span<const std::uint8_t> in, pdu& out,
                                   const decode_options& options = {});

// The command_length of the PDU at the front of `in`, once 4 bytes are there.
[[nodiscard]] std::size_t peek_command_length(std::span<const std::uint8_t> in) noexcept;

struct encode_options {
    // Strict (the default) refuses what SMPP 3.4 forbids on the wire: short_message over 254
    // octets, short_message together with message_payload, a malformed time field, a request with
    // a non-zero status or sequence 0. Lenient mode exists to reproduce captures byte for byte.
    bool strict = true;
    // False for peers bound as SMPP 3.3, which has no TLVs (SMPP.md §5).
    bool include_tlvs = true;
};

// Appends the encoded PDU to `out`. On error `out` is left as it was.
[[nodiscard]] std::error_code encode(const pdu& p, std::vector<std::uint8_t>& out,
                                     const encode_options& options = {});

}  // namespace smppgw::smpp
