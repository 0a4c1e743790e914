#pragma once
// The outcome of one pass of the policy chain over one message.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "smppgw/policy/number.hpp"
#include "smppgw/policy/records.hpp"
#include "smppgw/policy/status.hpp"

namespace smppgw::policy {

// The checks, in chain order. The numeric values are stable (metrics labels and audit records).
enum class check_id : std::uint8_t {
    none = 0,
    destination = 1,
    optout = 2,
    consent = 3,
    frequency = 4,
    quiet_hours = 5,
    content = 6,
};
inline constexpr std::size_t check_count = 6;

[[nodiscard]] std::string_view to_string(check_id c) noexcept;

enum class verdict : std::uint8_t { accept = 0, reject = 1, defer = 2 };

[[nodiscard]] std::string_view to_string(verdict v) noexcept;

// A check that would have blocked the message but runs in shadow mode.
struct shadow_note {
    check_id check = check_id::none;
    verdict would_be = verdict::accept;
    reason why = reason::none;
    time_point until{};
};

struct decision {
    verdict kind = verdict::accept;
    check_id check = check_id::none;  // the check that decided; none for accept
    reason why = reason::none;        // stable reason code (status.hpp), none for accept
    // For reject: the vendor command_status to put in submit_sm_resp (status.hpp); 0 otherwise.
    // A deferred message is acknowledged with ESME_ROK and journaled; it is not an error.
    std::uint32_t command_status = 0;
    time_point until{};  // defer only: the earliest instant at which to run the chain again
    // The destination in E.164 (digits, no '+'); empty when the destination check rejected it.
    // The store keys opt-outs, consents and frequency counters by exactly these digits.
    e164 destination;
    // True when the message was accepted and counts toward a frequency cap: the gateway records
    // the send (frequency_lookup's backing store) when it hands the message to a carrier.
    bool counts_toward_frequency = false;
    // Checks in shadow mode that would have rejected or deferred, in chain order.
    std::array<shadow_note, check_count> shadows{};
    std::uint8_t shadow_count = 0;

    [[nodiscard]] bool accepted() const noexcept { return kind == verdict::accept; }
    [[nodiscard]] bool rejected() const noexcept { return kind == verdict::reject; }
    [[nodiscard]] bool deferred() const noexcept { return kind == verdict::defer; }
};

}  // namespace smppgw::policy
