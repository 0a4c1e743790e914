#pragma once
// RocksDB merge operators: how blind writes fold into the stored value.
//
//   messages  full record + ops (state events, part updates, carrier) -> folded record.
//             Without a base record the operands are kept as a stub value (message_codec.hpp).
//             A malformed operand is skipped rather than failing the merge: a failed merge
//             would turn into a background error that stops all writes.
//   consents  's' keys: the operand (or base) with the greatest 16-byte (effective time, uniq)
//             prefix wins; on equal prefixes the later one.
//   freq      send-time lists: union, drop times older than now - window, keep the newest
//             policy::send_history::capacity.
//   stats     counts (traffic_codec.hpp): the sum; a malformed operand or base counts as 0.
// Operators must never throw into RocksDB; they catch and keep the base value.

#include <chrono>
#include <memory>

#include <rocksdb/merge_operator.h>

#include "smppgw/store/clock.hpp"

namespace smppgw::store::detail {

[[nodiscard]] std::shared_ptr<rocksdb::MergeOperator> make_message_merge_operator();
[[nodiscard]] std::shared_ptr<rocksdb::MergeOperator> make_consent_merge_operator();
[[nodiscard]] std::shared_ptr<rocksdb::MergeOperator> make_freq_merge_operator(
    std::shared_ptr<const clock> clk, std::chrono::milliseconds window);
[[nodiscard]] std::shared_ptr<rocksdb::MergeOperator> make_counter_merge_operator();

}  // namespace smppgw::store::detail
