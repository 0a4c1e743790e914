#pragma once
// Retention: compaction filters that drop records older than their TTL while RocksDB rewrites
// files anyway, so expiry costs nothing on the write path and needs no scans.
//
// Where each family finds a record's time:
//   messages, pending   the id in the key (time-ordered ids)        retention.messages
//   deferred            the id in the key                           retention.messages
//   carrier_ids         our id in the value                         retention.carrier_ids
//   optouts 'h'         t64 in the key                              retention.evidence
//   consents 'e'        t64 (effective time) in the key             retention.evidence
//   audit 't' / 'm'     t64 in the key                              retention.audit
//   outbox 'q'          created time in the value                   retention.outbox (0: never)
//   freq                every send time older than the window       retention.freq_window
// Active opt-outs ('a'), current consent states ('s') and outbox sequences ('s') never expire.
// A dropped record becomes a deletion marker (RocksDB's kRemove), so older versions below it
// cannot resurface. Merge operands are filtered by the same rule as values.

#include <memory>

#include <rocksdb/compaction_filter.h>

#include "smppgw/store/clock.hpp"
#include "smppgw/store/column_family.hpp"
#include "smppgw/store/options.hpp"

namespace smppgw::store::detail {

// Null when the family has nothing to expire under `r` (all TTLs zero for it).
[[nodiscard]] std::unique_ptr<rocksdb::CompactionFilter> make_retention_filter(
    column_family cf, const retention_options& r, std::shared_ptr<const clock> clk);

}  // namespace smppgw::store::detail
