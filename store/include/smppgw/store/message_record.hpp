#pragma once
// The journaled form of one MT message, as kept in the `messages` column family.
//
// A record is written once (batch::put_message) and then changed only by merge operands
// (state events, part updates, carrier choice), so a state transition on the hot path never
// reads the record first. store::get_message returns the folded record.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "smppgw/policy/records.hpp"
#include "smppgw/store/compact_bytes.hpp"
#include "smppgw/store/compact_vector.hpp"
#include "smppgw/store/id_generator.hpp"
#include "smppgw/store/interned_name.hpp"
#include "smppgw/store/short_string.hpp"

namespace smppgw::store {

// Message states. The first eight are the list; the rest map carrier receipt states
// (SMPP 3.4 section 5.2.28 message_state) that the gateway needs to keep apart:
//   accepted      journaled, ESME_ROK sent upstream, not yet routed
//   deferred      held by policy (quiet hours, frequency) until a release time
//   queued        released or routed, waiting for a carrier bind/window
//   submitted     a carrier answered submit_sm_resp OK (carrier id mapped)
//   enroute       intermediate receipt (ENROUTE/ACCEPTD from the carrier)
//   delivered     final: DELIVRD
//   failed        final: the gateway or the carrier gave up (permanent submit error)
//   expired       final: EXPIRED (validity passed)
//   cancelled     final: cancel_sm or operator action
//   rejected      final: REJECTD by the carrier after submission
//   undeliverable final: UNDELIV
//   unknown       UNKNOWN receipt state; not final (a later final receipt may follow)
// Final states are sticky: a later non-final event is kept in the history but does not replace
// a final current state (late intermediate receipts arrive after final ones in practice).
enum class message_state : std::uint8_t {
    accepted = 0,
    deferred = 1,
    queued = 2,
    submitted = 3,
    delivered = 4,
    failed = 5,
    expired = 6,
    cancelled = 7,
    rejected = 8,
    enroute = 9,
    undeliverable = 10,
    unknown = 11,
};
inline constexpr std::uint8_t message_state_count = 12;

[[nodiscard]] std::string_view to_string(message_state s) noexcept;
[[nodiscard]] std::optional<message_state> parse_message_state(std::string_view s) noexcept;
[[nodiscard]] bool is_final(message_state s) noexcept;

// An SMPP address triple, in 26 bytes aligned to 1 (two of them in every message in flight).
struct sme_address {
    std::uint8_t ton = 0;
    std::uint8_t npi = 0;
    short_string addr;

    friend bool operator==(const sme_address&, const sme_address&) = default;
};

struct state_event {
    message_state state = message_state::accepted;
    time_point when{};

    friend bool operator==(const state_event&, const state_event&) = default;
};

// A time that may be absent, in 8 bytes rather than std::optional's 16: the earliest
// representable millisecond stands for "none" (no SMPP time and no clock reading is that).
class optional_time {
public:
    constexpr optional_time() noexcept = default;
    constexpr optional_time(std::nullopt_t) noexcept {}                // NOLINT: like optional
    constexpr optional_time(time_point t) noexcept : value_(t) {}      // NOLINT
    constexpr optional_time(const std::optional<time_point>& t) noexcept  // NOLINT
        : value_(t.value_or(none)) {}

    [[nodiscard]] constexpr bool has_value() const noexcept { return value_ != none; }
    constexpr explicit operator bool() const noexcept { return has_value(); }
    [[nodiscard]] constexpr time_point operator*() const noexcept { return value_; }
    [[nodiscard]] constexpr time_point value_or(time_point fallback) const noexcept {
        return has_value() ? value_ : fallback;
    }
    constexpr operator std::optional<time_point>() const noexcept {  // NOLINT
        return has_value() ? std::optional<time_point>{value_} : std::nullopt;
    }
    constexpr void reset() noexcept { value_ = none; }

    friend constexpr bool operator==(optional_time, optional_time) noexcept = default;

private:
    static constexpr time_point none = time_point::min();
    time_point value_ = none;
};

// One segment as submitted to the carrier.
struct message_part {
    time_point updated{};
    short_string carrier_message_id;  // as the carrier returned it (normalized by the caller)
    std::uint32_t error = 0;  // network/carrier error code from the receipt, 0 if none
    message_state state = message_state::accepted;

    friend bool operator==(const message_part&, const message_part&) = default;
};

// Kept in memory for every message in flight (live_state), so the one-byte fields sit together
// at the end: padding between them would be paid a million times over.
struct message_record {
    message_id id = 0;
    interned_name account;
    interned_name brand;
    sme_address source;
    sme_address destination;
    digit_string msisdn;  // normalized destination: E.164 digits without '+'
    compact_bytes service_type;
    compact_bytes payload;  // raw short_message / message_payload bytes (binary-safe)
    compact_bytes tlvs;     // raw optional TLVs to forward to the carrier, as received
    // The campaign it counts under in the traffic statistics (traffic.hpp): a name from the
    // account's list, "other", or empty for none. Set at acceptance, never changed.
    interned_name campaign;
    time_point received{};
    optional_time schedule_delivery;
    optional_time validity;
    // parts.size() is the number of segments; put_message keeps whatever the caller sized it to
    // and a part update beyond the end grows it.
    compact_vector<message_part> parts;
    interned_name carrier;  // chosen carrier, empty until routed
    // Every state event in order, the first one included. Capped at message_history_cap events:
    // beyond that the oldest after the first are dropped.
    compact_vector<state_event> history;
    policy::message_class klass = policy::message_class::transactional;
    message_state state = message_state::accepted;
    std::uint8_t esm_class = 0;
    std::uint8_t protocol_id = 0;
    std::uint8_t priority_flag = 0;
    std::uint8_t registered_delivery = 0;
    std::uint8_t data_coding = 0;

    friend bool operator==(const message_record&, const message_record&) = default;
};

inline constexpr std::size_t message_history_cap = 32;

// The worst state of a message's parts, or delivered when all were.
[[nodiscard]] message_state aggregate_state(std::span<const message_part> parts) noexcept;
// True when there are parts and every one has a final state.
[[nodiscard]] bool all_final(std::span<const message_part> parts) noexcept;

}  // namespace smppgw::store
