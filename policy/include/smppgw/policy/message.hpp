#pragma once
// What the policy chain is told about one mobile-terminated message. Views only: the gateway owns
// the decoded PDU for the duration of the evaluate() call, so building facts never allocates.

#include <cstdint>
#include <string_view>

#include "smppgw/policy/records.hpp"

namespace smppgw::policy {

// SMPP 3.4 §5.2.5 type_of_number values, as they arrive in source_addr_ton / dest_addr_ton.
enum class type_of_number : std::uint8_t {
    unknown = 0,
    international = 1,
    national = 2,
    network_specific = 3,
    subscriber_number = 4,
    alphanumeric = 5,
    abbreviated = 6,
};

// SMPP 3.4 §5.2.6 numbering_plan_indicator values.
enum class numbering_plan : std::uint8_t {
    unknown = 0,
    isdn = 1,  // E.163/E.164
    data = 3,  // X.121
    telex = 4,
    land_mobile = 6,  // E.212
    national = 8,
    private_plan = 9,
    ermes = 10,
    internet = 14,
    wap = 18,
};

// An SMPP address as received: TON, NPI and the address string (digits, maybe a leading '+').
struct address {
    type_of_number ton = type_of_number::unknown;
    numbering_plan npi = numbering_plan::unknown;
    std::string_view digits;
};

// Replies the gateway itself sends in answer to an MO keyword (see mo_planner.hpp). They are
// exempt from opt-out, consent, frequency and quiet-hours checks: the confirmation of an opt-out
// necessarily goes to an opted-out number, and HELP is answered even when opted out. Only the
// gateway sets this; a value coming from an upstream PDU must never reach it.
enum class keyword_reply : std::uint8_t {
    none = 0,
    optout_confirmation = 1,
    help = 2,
    optin_confirmation = 3,  // after START/UNSTOP/YES, including a double opt-in confirmation
};

struct message_facts {
    std::string_view account;  // upstream account (system_id) that submitted it
    std::string_view brand;    // brand the account sends for; opt-outs and consents are per brand
    message_class klass = message_class::transactional;
    address source;
    address destination;
    std::string_view text;  // UTF-8, already decoded from data_coding; used by content rules only
    keyword_reply reply = keyword_reply::none;
    time_point received{};  // when the submit arrived (audit only; decisions use `now`)
};

}  // namespace smppgw::policy
