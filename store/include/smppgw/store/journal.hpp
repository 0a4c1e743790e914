#pragma once
// The journal: every change of a message's state is one record appended here, in one RocksDB
// column family whose keys only grow (so every insert is an append). Records are grouped: the
// committer writes one value per group commit holding the whole group's records, under the
// key be64(LSN of the group's first record), and one fsync makes the group durable.
//
// A record's LSN (log sequence number) is its position: consecutive, node-local, never reused.
// Everything else the gateway keeps about messages in flight (store::live_state) is rebuilt
// from the last checkpoint plus the records after it, so the journal is the source of truth.
//
// This header is the seam between the message logic and durability: live_state appends through
// `journal`, and unit tests of the gateway's components give it a fake.

#include <cstdint>
#include <span>
#include <string_view>
#include <system_error>

#include "smppgw/store/inplace_function.hpp"

namespace smppgw::store {

class batch;

using lsn_t = std::uint64_t;

// Runs exactly once per append: on the journal's completion thread after the group holding the
// records is durable (per the sync mode) or failed, or inline when the append is refused
// (closed, queue full). Must not block; post to your own executor.
using completion = inplace_function<void(std::error_code), 96>;

// What a record says happened. Values are stable: they are written to disk.
enum class record_kind : std::uint8_t {
    accepted = 1,           // a new message, whole: queued for a carrier or deferred
    released = 2,           // a deferred message passed the policy again: queued
    deferred = 3,           // a deferred message held again, until a new time
    submitted = 4,          // a carrier acknowledged one part (carrier, carrier message id)
    receipt = 5,            // a carrier receipt for one part (state, error), maybe a DLR upstream
    failed = 6,             // final without a carrier receipt (carrier refusal, policy at
                            // dispatch or release, no route), maybe a DLR upstream
    expired = 7,            // validity passed before a carrier took it
    cancelled = 8,          // cancel_sm
    replaced = 9,           // replace_sm on a message no carrier has taken yet
    mo = 10,                // an MO for an account's outbox
    delivered_upstream = 11,  // an outbox entry acknowledged by the account (deliver_sm_resp)
    audit = 12,             // a policy decision kept for the audit trail (refusal, deferral)
    restored = 13,          // a message read back from its materialized row (late receipt)
    unmatched_receipt = 14,   // a receipt whose carrier id nobody knows yet, kept
    unmatched_resolved = 15,  // that receipt matched at last, or an operator dropped it
    outbox_dropped = 16,      // an operator dropped an outbox entry
};
inline constexpr std::uint8_t record_kind_max = 16;

[[nodiscard]] std::string_view to_string(record_kind k) noexcept;

struct record_ref {
    record_kind kind = record_kind::accepted;
    std::string_view payload;
};

class journal {
public:
    virtual ~journal() = default;

    // Appends `records` with consecutive LSNs, in one group, together with `extra` (other
    // writes that must be atomic with them; may be null), and returns the first LSN. `done`
    // runs once the group is durable or failed. Thread-safe and cheap: it copies bytes.
    virtual lsn_t append(std::span<const record_ref> records, batch* extra, completion done) = 0;

    // The LSN the next appended record will get.
    [[nodiscard]] virtual lsn_t next_lsn() const noexcept = 0;
};

}  // namespace smppgw::store
