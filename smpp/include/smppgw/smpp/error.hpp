#pragma once
// Errors of the protocol library. Decoding errors carry enough for a session to answer the
// peer; an SMPP command_status is protocol data and lives in command.hpp instead.

#include <system_error>

namespace smppgw::smpp {

enum class errc {
    // Framing: the stream cannot be trusted any more; the session must close.
    length_too_small = 1,  // command_length < 16
    length_too_large,      // command_length above the configured ceiling
    // Recoverable: the PDU was consumed whole; answer it and go on.
    unknown_command_id,
    truncated_body,        // a mandatory field runs past command_length
    field_too_long,        // a C-Octet String has no NUL within its maximum
    sm_length_overrun,     // sm_length points past the end of the PDU
    tlv_overrun,           // a TLV header or value runs past the end of the PDU
    invalid_dest_flag,     // submit_multi dest_flag other than 1 or 2
    // Encoding: the encoder refuses to write an invalid PDU.
    value_out_of_range,
    invalid_time_format,   // schedule_delivery_time/validity_period/final_date not 0 or 16 chars
    short_message_too_long,
    payload_conflict,      // both short_message and message_payload carry content
    sequence_out_of_range,
    status_on_request,     // a request must carry command_status 0
    too_many_destinations,
};

[[nodiscard]] const std::error_category& smpp_category() noexcept;

[[nodiscard]] inline std::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), smpp_category()};
}

}  // namespace smppgw::smpp

template <>
struct std::is_error_code_enum<smppgw::smpp::errc> : std::true_type {};
