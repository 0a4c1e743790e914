#pragma once
// What store::open found and rebuilt.

#include <chrono>
#include <cstddef>
#include <cstdint>

#include "smppgw/store/journal.hpp"
#include "smppgw/store/live_state.hpp"

namespace smppgw::store {

struct recovery_report {
    bool created = false;             // the directory held no store; a new one was made
    std::uint32_t upgraded_from = 0;  // the format an old store was upgraded from (0: none)

    lsn_t checkpoint_lsn = 0;          // the journal position the loaded checkpoint stands for
    std::uint64_t checkpoint_chunks = 0;
    std::uint64_t replayed_records = 0;  // journal records after the checkpoint
    lsn_t next_lsn = 1;
    lsn_t materialized_through = 0;

    live_counts live;  // what is in flight after the rebuild

    // Entries loaded into the in-memory indexes on open: active opt-outs, review holds, and
    // consent states (0 with consent_index_mode::rocksdb, which has no in-memory index).
    std::uint64_t optouts = 0;
    std::uint64_t holds = 0;
    std::uint64_t consents = 0;

    std::chrono::milliseconds duration{0};  // time spent in open, rebuild included
};

}  // namespace smppgw::store
