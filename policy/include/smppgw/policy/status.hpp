#pragma once
// Reason codes and the vendor command_status each maps to. This table is the single source: the
// README table in policy/README.md is checked against it by tests/policy/status_tests.cpp.
//
// SMPP 3.4 reserves 0x400–0x4FF for vendor-specific errors. A message rejected by policy gets one
// of these in submit_sm_resp, is audited, and is never retried (COMPLIANCE.md).
// Layout: 0x40x destination, 0x41x opt-out, 0x42x consent, 0x43x frequency, 0x44x quiet hours,
// 0x45x content. Values are part of the upstream protocol: never renumber, only append.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace smppgw::policy {

enum class reason : std::uint8_t {
    none = 0,
    invalid_destination,       // not a plausible E.164 number (garbage, length, NANP shape)
    alphanumeric_destination,  // TON 5: a name, not a number
    unsupported_ton,           // TON not in destination_config::accepted_tons
    unsupported_npi,           // NPI not in destination_config::accepted_npis
    opted_out,                 // brand-scoped opt-out in force
    opted_out_all_brands,      // STOPALL in force
    review_hold,               // ambiguous STOP awaiting review: promotional held
    no_consent,                // no consent record for (brand, number, class)
    consent_pending,           // double opt-in not confirmed yet
    consent_revoked,
    consent_expired,
    consent_not_written,     // promotional needs prior express *written* consent
    consent_without_proof,   // promotional consent with only a timestamp
    frequency_cap,           // over the rolling cap (reject mode; defers use the same reason)
    quiet_hours,             // outside the window (reject mode; defers use the same reason)
    no_common_window,        // no instant valid in every zone within the deferral horizon
    content_brand_missing,   // text does not start with the brand's identification prefix
    content_optout_missing,  // first promotional message lacks opt-out instructions
};
inline constexpr std::size_t reason_count = 19;

struct status_entry {
    reason why;
    std::uint32_t command_status;  // vendor range 0x400–0x4FF
    std::string_view code;         // stable reason code for audit records and metrics labels
    std::string_view description;
};

// Ordered by command_status. `none` has no status: it is never a reject.
inline constexpr std::array<status_entry, reason_count - 1> status_table{{
    {reason::invalid_destination, 0x400, "invalid_destination",
     "destination is not a valid E.164 number"},
    {reason::alphanumeric_destination, 0x401, "alphanumeric_destination",
     "destination is alphanumeric (TON 5)"},
    {reason::unsupported_ton, 0x402, "unsupported_ton", "destination TON not accepted"},
    {reason::unsupported_npi, 0x403, "unsupported_npi", "destination NPI not accepted"},
    {reason::opted_out, 0x410, "opted_out", "recipient opted out of this brand"},
    {reason::opted_out_all_brands, 0x411, "opted_out_all_brands",
     "recipient opted out of all brands (STOPALL)"},
    {reason::review_hold, 0x412, "review_hold", "ambiguous STOP under review: promotional held"},
    {reason::no_consent, 0x420, "no_consent", "no consent for this brand and class"},
    {reason::consent_pending, 0x421, "consent_pending", "double opt-in not confirmed"},
    {reason::consent_revoked, 0x422, "consent_revoked", "consent revoked"},
    {reason::consent_expired, 0x423, "consent_expired", "consent expired"},
    {reason::consent_not_written, 0x424, "consent_not_written",
     "promotional needs express written consent"},
    {reason::consent_without_proof, 0x425, "consent_without_proof",
     "promotional consent has no proof"},
    {reason::frequency_cap, 0x430, "frequency_cap",
     "frequency cap reached (when configured to reject)"},
    {reason::quiet_hours, 0x440, "quiet_hours",
     "outside allowed hours (when configured to reject)"},
    {reason::no_common_window, 0x441, "no_common_window",
     "no instant allowed in every recipient zone within the horizon"},
    {reason::content_brand_missing, 0x450, "content_brand_missing",
     "text lacks the brand identification prefix"},
    {reason::content_optout_missing, 0x451, "content_optout_missing",
     "first promotional message lacks opt-out instructions"},
}};

// 0 for reason::none.
[[nodiscard]] constexpr std::uint32_t command_status_for(reason r) noexcept {
    for (const auto& e : status_table) {
        if (e.why == r) {
            return e.command_status;
        }
    }
    return 0;
}

// "accept" for reason::none.
[[nodiscard]] constexpr std::string_view reason_code(reason r) noexcept {
    for (const auto& e : status_table) {
        if (e.why == r) {
            return e.code;
        }
    }
    return "accept";
}

// The reason a policy command_status stands for; nullopt if it is not one of ours.
[[nodiscard]] constexpr std::optional<reason> reason_for_status(std::uint32_t status) noexcept {
    for (const auto& e : status_table) {
        if (e.command_status == status) {
            return e.why;
        }
    }
    return std::nullopt;
}

[[nodiscard]] constexpr bool is_policy_status(std::uint32_t status) noexcept {
    return status >= 0x400 && status <= 0x4FF;
}

}  // namespace smppgw::policy
