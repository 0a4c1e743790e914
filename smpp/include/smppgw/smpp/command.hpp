#pragma once
// Command ids and command_status codes of SMPP 3.4 (SMPP.md §2 and §4).

#include <cstdint>
#include <optional>
#include <string_view>

namespace smppgw::smpp {

enum class command_id : std::uint32_t {
    generic_nack = 0x80000000,
    bind_receiver = 0x00000001,
    bind_receiver_resp = 0x80000001,
    bind_transmitter = 0x00000002,
    bind_transmitter_resp = 0x80000002,
    query_sm = 0x00000003,
    query_sm_resp = 0x80000003,
    submit_sm = 0x00000004,
    submit_sm_resp = 0x80000004,
    deliver_sm = 0x00000005,
    deliver_sm_resp = 0x80000005,
    unbind = 0x00000006,
    unbind_resp = 0x80000006,
    replace_sm = 0x00000007,
    replace_sm_resp = 0x80000007,
    cancel_sm = 0x00000008,
    cancel_sm_resp = 0x80000008,
    bind_transceiver = 0x00000009,
    bind_transceiver_resp = 0x80000009,
    outbind = 0x0000000B,
    enquire_link = 0x00000015,
    enquire_link_resp = 0x80000015,
    submit_multi = 0x00000021,
    submit_multi_resp = 0x80000021,
    alert_notification = 0x00000102,
    data_sm = 0x00000103,
    data_sm_resp = 0x80000103,
};

inline constexpr std::uint32_t response_bit = 0x80000000U;

[[nodiscard]] constexpr bool is_response(command_id id) noexcept {
    return (static_cast<std::uint32_t>(id) & response_bit) != 0;
}

// The spec name ("submit_sm"), or empty for an id this library does not know.
[[nodiscard]] std::string_view command_name(command_id id) noexcept;
[[nodiscard]] std::optional<command_id> command_from_name(std::string_view name) noexcept;
[[nodiscard]] bool is_known_command(std::uint32_t raw) noexcept;

// The response id for a request (submit_sm -> submit_sm_resp); generic_nack for requests that
// have no response of their own (outbind, alert_notification) and for unknown ids.
[[nodiscard]] command_id response_for(std::uint32_t request_id) noexcept;

// command_status values. A status is protocol data, not a C++ error: plain integers so that
// vendor codes (0x400-0x4FF) and codes from newer peers pass through untouched.
using command_status = std::uint32_t;

#define SMPPGW_SMPP_STATUSES(X)      \
    X(ESME_ROK, 0x00000000)          \
    X(ESME_RINVMSGLEN, 0x00000001)   \
    X(ESME_RINVCMDLEN, 0x00000002)   \
    X(ESME_RINVCMDID, 0x00000003)    \
    X(ESME_RINVBNDSTS, 0x00000004)   \
    X(ESME_RALYBND, 0x00000005)      \
    X(ESME_RINVPRTFLG, 0x00000006)   \
    X(ESME_RINVREGDLVFLG, 0x00000007) \
    X(ESME_RSYSERR, 0x00000008)      \
    X(ESME_RINVSRCADR, 0x0000000A)   \
    X(ESME_RINVDSTADR, 0x0000000B)   \
    X(ESME_RINVMSGID, 0x0000000C)    \
    X(ESME_RBINDFAIL, 0x0000000D)    \
    X(ESME_RINVPASWD, 0x0000000E)    \
    X(ESME_RINVSYSID, 0x0000000F)    \
    X(ESME_RCANCELFAIL, 0x00000011)  \
    X(ESME_RREPLACEFAIL, 0x00000013) \
    X(ESME_RMSGQFUL, 0x00000014)     \
    X(ESME_RINVSERTYP, 0x00000015)   \
    X(ESME_RINVNUMDESTS, 0x00000033) \
    X(ESME_RINVDLNAME, 0x00000034)   \
    X(ESME_RINVDESTFLAG, 0x00000040) \
    X(ESME_RINVSUBREP, 0x00000042)   \
    X(ESME_RINVESMCLASS, 0x00000043) \
    X(ESME_RCNTSUBDL, 0x00000044)    \
    X(ESME_RSUBMITFAIL, 0x00000045)  \
    X(ESME_RINVSRCTON, 0x00000048)   \
    X(ESME_RINVSRCNPI, 0x00000049)   \
    X(ESME_RINVDSTTON, 0x00000050)   \
    X(ESME_RINVDSTNPI, 0x00000051)   \
    X(ESME_RINVSYSTYP, 0x00000053)   \
    X(ESME_RINVREPFLAG, 0x00000054)  \
    X(ESME_RINVNUMMSGS, 0x00000055)  \
    X(ESME_RTHROTTLED, 0x00000058)   \
    X(ESME_RINVSCHED, 0x00000061)    \
    X(ESME_RINVEXPIRY, 0x00000062)   \
    X(ESME_RINVDFTMSGID, 0x00000063) \
    X(ESME_RX_T_APPN, 0x00000064)    \
    X(ESME_RX_P_APPN, 0x00000065)    \
    X(ESME_RX_R_APPN, 0x00000066)    \
    X(ESME_RQUERYFAIL, 0x00000067)   \
    X(ESME_RINVOPTPARSTREAM, 0x000000C0) \
    X(ESME_ROPTPARNOTALLWD, 0x000000C1) \
    X(ESME_RINVPARLEN, 0x000000C2)   \
    X(ESME_RMISSINGOPTPARAM, 0x000000C3) \
    X(ESME_RINVOPTPARAMVAL, 0x000000C4) \
    X(ESME_RDELIVERYFAILURE, 0x000000FE) \
    X(ESME_RUNKNOWNERR, 0x000000FF)

namespace status {
#define SMPPGW_SMPP_STATUS_CONSTANT(name, value) inline constexpr command_status name = value;
SMPPGW_SMPP_STATUSES(SMPPGW_SMPP_STATUS_CONSTANT)
#undef SMPPGW_SMPP_STATUS_CONSTANT
}  // namespace status

// "ESME_RTHROTTLED" for a defined code; "" for reserved or vendor codes (callers that need a
// printable name for those use status_display_name).
[[nodiscard]] std::string_view status_name(command_status s) noexcept;
[[nodiscard]] std::optional<command_status> status_from_name(std::string_view name) noexcept;

// Transient statuses a sender should retry later rather than fail the message for.
[[nodiscard]] constexpr bool is_transient(command_status s) noexcept {
    return s == status::ESME_RTHROTTLED || s == status::ESME_RMSGQFUL ||
           s == status::ESME_RX_T_APPN || s == status::ESME_RSYSERR;
}

}  // namespace smppgw::smpp
