#pragma once
// The one place that owns RocksDB: DB-wide and per-family options, the shared block cache,
// merge operators and compaction filters (which must outlive the DB), the column family
// handles, opening with the foreign/damaged checks and the format marker, and closing.

#include <array>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include <rocksdb/cache.h>
#include <rocksdb/compaction_filter.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/merge_operator.h>
#include <rocksdb/write_buffer_manager.h>

#include "smppgw/store/clock.hpp"
#include "smppgw/store/column_family.hpp"
#include "smppgw/store/options.hpp"

namespace smppgw::store::detail {

[[nodiscard]] std::error_code to_error(const rocksdb::Status& s) noexcept;

// The format marker this build writes ("smppgw-store:<format_version>").
[[nodiscard]] std::string marker_value();

class database {
public:
    // Throws open_error (with the path and the problem) for anything that is not a usable
    // smppgw store.
    database(const store_options& opts, std::shared_ptr<const clock> clk);
    ~database();
    database(const database&) = delete;
    database& operator=(const database&) = delete;

    [[nodiscard]] rocksdb::DB& db() const noexcept { return *db_; }
    [[nodiscard]] rocksdb::ColumnFamilyHandle* cf(column_family c) const noexcept {
        return handles_[static_cast<std::size_t>(c)];
    }
    // What the family was opened with (SstFileWriter needs it for checkpoints).
    [[nodiscard]] rocksdb::Options options_of(column_family c) const {
        return rocksdb::Options{db_options_, cf_options_[static_cast<std::size_t>(c)]};
    }
    [[nodiscard]] bool created() const noexcept { return created_; }
    // The format the marker said when the store was opened (format_version for a new store).
    [[nodiscard]] std::uint32_t found_format() const noexcept { return found_format_; }
    // Marks the store as this build's format (after an upgrade); throws open_error.
    void write_format_marker();
    [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
    // e.g. "LZ4 (bottommost ZSTD)": what the Debian build supports and we chose.
    [[nodiscard]] const std::string& compression() const noexcept { return compression_; }

    // Free bytes on the store's file system; nullopt if the Env cannot tell.
    [[nodiscard]] std::optional<std::uint64_t> free_space() const;

    void close() noexcept;

private:
    void build_options(const store_options& opts, const std::shared_ptr<const clock>& clk);
    void check_directory(const store_options& opts);
    void open_db();
    void check_marker();
    [[noreturn]] void fail(const std::string& problem) const;

    std::filesystem::path path_;
    bool created_ = false;
    std::uint32_t found_format_ = 0;
    std::string compression_;

    std::unique_ptr<rocksdb::Env> env_;  // only with a test write_fault
    std::shared_ptr<rocksdb::Cache> cache_;
    std::shared_ptr<rocksdb::WriteBufferManager> write_buffers_;
    std::array<std::unique_ptr<rocksdb::CompactionFilter>, column_family_count> filters_;
    rocksdb::DBOptions db_options_;
    std::array<rocksdb::ColumnFamilyOptions, column_family_count> cf_options_;

    std::array<rocksdb::ColumnFamilyHandle*, column_family_count> handles_{};
    std::unique_ptr<rocksdb::DB> db_;
};

}  // namespace smppgw::store::detail
