#pragma once
// What store::open found: the work the gateway must resume after a restart.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "smppgw/store/records.hpp"

namespace smppgw::store {

struct recovery_report {
    bool created = false;  // the directory held no store; a new one was made

    // Messages accepted (or released to the queue) but not yet submitted to a carrier, by
    // ascending id. At most store_options::recovery_list_limit ids; pending_total is exact.
    std::vector<message_id> pending;
    std::uint64_t pending_total = 0;

    // Deferred entries by ascending release time, same limit; deferred_total is exact.
    std::vector<deferred_entry> deferred;
    std::uint64_t deferred_total = 0;

    // Every account with an outbox sequence: unacknowledged depth, first unacked and next seq.
    std::vector<outbox_status> outbox;

    // Entries loaded into the in-memory indexes on open: active opt-outs, and consent states
    // (0 with consent_index_mode::rocksdb, which has no in-memory index).
    std::uint64_t optouts = 0;
    std::uint64_t consents = 0;

    std::chrono::milliseconds duration{0};  // time spent in open, rebuild included
};

}  // namespace smppgw::store
