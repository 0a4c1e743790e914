#pragma once
// Test hook: a RocksDB FileSystem that fails writes with NoSpace while a write_fault is armed,
// so tests see exactly what a full disk does to RocksDB (background error, read-only mode,
// recovery through DB::Resume once space is back).

#include <memory>

#include <rocksdb/env.h>

#include "smppgw/store/testing.hpp"

namespace smppgw::store::detail {

[[nodiscard]] std::unique_ptr<rocksdb::Env> make_fault_env(std::shared_ptr<write_fault> fault);

}  // namespace smppgw::store::detail
