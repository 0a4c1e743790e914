#pragma once
// The store's own record kinds (opt-out and consent records come from policy/records.hpp).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "smppgw/policy/records.hpp"
#include "smppgw/store/id_generator.hpp"

namespace smppgw::store {

// carrier_ids: (carrier, normalized carrier message id) -> which part of which message.
struct carrier_mapping {
    message_id id = 0;
    std::uint16_t part = 0;

    friend bool operator==(const carrier_mapping&, const carrier_mapping&) = default;
};

// deferred: a message held until `release`.
struct deferred_entry {
    time_point release{};
    message_id id = 0;

    friend bool operator==(const deferred_entry&, const deferred_entry&) = default;
};

// One entry of the opt-out evidence log (batch::put_optout / lift_optout), kept for
// retention_options::evidence after the fact even when the opt-out itself was lifted.
struct optout_event {
    bool lifted = false;  // false: the opt-out was put
    time_point when{};
    std::string keyword;
    policy::record_source source = policy::record_source::mo;
    std::string reference;

    friend bool operator==(const optout_event&, const optout_event&) = default;
};

enum class outbox_kind : std::uint8_t { dlr = 0, mo = 1 };

[[nodiscard]] std::string_view to_string(outbox_kind k) noexcept;

// One DLR or MO waiting for an upstream deliver_sm_resp.
struct outbox_entry {
    std::uint64_t seq = 0;  // per account, assigned by the store at commit, strictly increasing
    outbox_kind kind = outbox_kind::dlr;
    time_point created{};
    std::string bytes;  // opaque to the store (the gateway keeps an encoded deliver_sm here)

    friend bool operator==(const outbox_entry&, const outbox_entry&) = default;
};

// Outbox bookkeeping for one account.
struct outbox_status {
    std::string account;
    std::uint64_t depth = 0;      // entries not yet acknowledged
    std::uint64_t first_seq = 0;  // lowest unacknowledged sequence, 0 when depth == 0
    std::uint64_t next_seq = 1;   // the sequence the next append will get

    friend bool operator==(const outbox_status&, const outbox_status&) = default;
};

enum class audit_verdict : std::uint8_t {
    accept = 0,
    reject = 1,
    defer = 2,
    shadow_reject = 3,
    shadow_defer = 4,
    final_state = 5,  // how a message ended: `reason` names the state, command_status the error
};

[[nodiscard]] std::string_view to_string(audit_verdict v) noexcept;

// One policy decision. `check` names the policy check that decided ("optout", "consent", ...).
struct audit_record {
    time_point when{};
    message_id id = 0;
    std::string msisdn;
    std::string account;
    std::string brand;
    std::string check;
    audit_verdict verdict = audit_verdict::accept;
    std::uint32_t command_status = 0;  // the SMPP status sent upstream (0 for accept/defer)
    std::string reason;
    std::optional<time_point> defer_until;

    friend bool operator==(const audit_record&, const audit_record&) = default;
};

}  // namespace smppgw::store
