#pragma once
// RocksDB's own log lines, handed to the store's owner (store_options::on_engine_log) instead
// of RocksDB's LOG file in the store's folder. That file shares the store's file system: when
// the disk fills, one failed append leaves its writer in an error state and the next line
// trips an assertion that Debian's RocksDB build keeps, aborting the daemon (seen on a tmpfs
// filled under load, from a flush job's log buffer). A callback cannot fail that way.
//
// Thread rule: RocksDB calls it from any of its threads; the callback must be thread-safe.

#include <memory>

#include <rocksdb/env.h>

#include "smppgw/store/options.hpp"

namespace smppgw::store::detail {

// A logger that formats only lines at or above opts.engine_log_min and passes them on; with
// no callback it drops everything (and formats nothing).
[[nodiscard]] std::shared_ptr<rocksdb::Logger> make_engine_logger(const store_options& opts);

}  // namespace smppgw::store::detail
