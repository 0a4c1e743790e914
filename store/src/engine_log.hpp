#pragma once
// RocksDB's own log lines, handed to the store's owner (store_options::on_engine_log) instead
// of RocksDB's LOG file in the store's folder. That file shares the store's file system: when
// the disk fills, one failed append leaves its writer in an error state and the next line
// trips an assertion that Debian's RocksDB build keeps, aborting the daemon (seen on a tmpfs
// filled under load, from a flush job's log buffer). A callback cannot fail that way.
//
// Thread rule: RocksDB calls it from any of its threads; the callback must be thread-safe.

#include <chrono>
#include <memory>

#include <rocksdb/env.h>

#include "smppgw/store/options.hpp"

namespace smppgw::store::detail {

// A logger that formats only lines at or above opts.engine_log_min and passes them on; with
// no callback it drops everything (and formats nothing). A line that repeats the previous one
// within repeat_window is counted, not passed on: while the disk is full RocksDB reports the
// same background error for every write attempt (50 a second), which buried everything else
// in the daemon's log. The count goes out before the next different line, or with the same
// line once the window has passed ("... repeated N times").
inline constexpr std::chrono::seconds engine_log_repeat_window{10};
[[nodiscard]] std::shared_ptr<rocksdb::Logger> make_engine_logger(const store_options& opts);

}  // namespace smppgw::store::detail
