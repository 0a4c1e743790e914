#include "database.hpp"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>
#include <rocksdb/convenience.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/listener.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/table_properties_collectors.h>

#include "engine_log.hpp"
#include "fault_fs.hpp"
#include "keys.hpp"
#include "merge_operators.hpp"
#include "retention.hpp"
#include "smppgw/store/error.hpp"

namespace smppgw::store::detail {
namespace {

namespace fs = std::filesystem;

bool supported(rocksdb::CompressionType t) {
    const auto all = rocksdb::GetSupportedCompressions();
    return std::find(all.begin(), all.end(), t) != all.end();
}

// Families read by key on the hot path get Bloom filters and hash-indexed data blocks; the
// others are scanned in key order (queues, indexes, audit) and would only pay for filters.
bool point_lookup_family(column_family cf) {
    switch (cf) {
        case column_family::messages:
        case column_family::carrier_ids:
        case column_family::optouts:
        case column_family::consents:
        case column_family::freq:
            return true;
        default:
            return false;
    }
}

// Queue-like families see a delete for every put; files dense with tombstones are compacted
// early so scans from the front (due_deferred, list_pending) stay cheap.
bool queue_family(column_family cf) {
    return cf == column_family::pending || cf == column_family::deferred ||
           cf == column_family::outbox;
}


// RocksDB would otherwise start its own recovery from a NoSpace error in the background, and a
// recovery attempt made while the disk is still full escalates the error to fatal. The
// committer resumes instead, once free space is back (commit_queue.cpp).
class manual_recovery final : public rocksdb::EventListener {
public:
    const char* Name() const override { return "smppgw_manual_recovery"; }
    void OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason /*reason*/,
                              rocksdb::Status /*bg_error*/, bool* auto_recovery) override {
        *auto_recovery = false;
    }
};

}  // namespace

std::string marker_value() {
    return fmt::format("{}:{}", marker_magic, format_version);
}

std::error_code to_error(const rocksdb::Status& s) noexcept {
    if (s.ok()) {
        return {};
    }
    if (s.IsNoSpace()) {
        return make_error_code(store_errc::no_space);
    }
    if (s.IsIOError()) {
        return make_error_code(store_errc::io_error);
    }
    if (s.IsCorruption()) {
        return make_error_code(store_errc::corruption);
    }
    if (s.IsInvalidArgument()) {
        return make_error_code(store_errc::invalid_argument);
    }
    if (s.IsBusy() || s.IsTimedOut() || s.IsTryAgain()) {
        return make_error_code(store_errc::busy);
    }
    if (s.IsShutdownInProgress()) {
        return make_error_code(store_errc::closed);
    }
    if (s.IsNotSupported()) {
        return make_error_code(store_errc::not_supported);
    }
    return make_error_code(store_errc::internal);
}

database::database(const store_options& opts, std::shared_ptr<const clock> clk) : path_(opts.path) {
    if (path_.empty()) {
        throw open_error("smppgw store: no path configured");
    }
    build_options(opts, clk);
    check_directory(opts);
    open_db();
    check_marker();
}

database::~database() {
    close();
}

void database::fail(const std::string& problem) const {
    throw open_error(fmt::format("smppgw store at '{}': {}", path_.string(), problem));
}

void database::build_options(const store_options& opts, const std::shared_ptr<const clock>& clk) {
    if (opts.fault) {
        env_ = make_fault_env(opts.fault);
        db_options_.env = env_.get();
    }
    // Compactions are background work with a lot of slack; flushes and the commit path are not.
    // On a busy machine the scheduler should prefer the threads a submit waits for, so the
    // compaction pool runs at a lower CPU priority (nice). Flushes keep the normal one: a
    // flush that falls behind stalls writes. Where the Env cannot do it, priorities stay equal.
    auto* env = db_options_.env != nullptr ? db_options_.env : rocksdb::Env::Default();
    (void)env->LowerThreadPoolCPUPriority(rocksdb::Env::Priority::LOW, rocksdb::CpuPriority::kLow);
    cache_ = rocksdb::NewLRUCache(opts.block_cache_bytes);
    write_buffers_ = std::make_shared<rocksdb::WriteBufferManager>(opts.write_buffer_total_bytes);

    db_options_.create_if_missing = true;  // check_directory decides whether creating is allowed
    db_options_.create_missing_column_families = true;
    db_options_.max_background_jobs = std::max(1, opts.background_jobs);
    db_options_.write_buffer_manager = write_buffers_;
    // Small families (opt-outs, consents) would otherwise pin old WAL files for a long time.
    db_options_.max_total_wal_size = 512U << 20U;
    db_options_.bytes_per_sync = 1U << 20U;
    db_options_.info_log = make_engine_logger(opts);
    db_options_.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
    // The journal's group commit and the materializer write from different threads: with a
    // pipelined write the next group's WAL append need not wait for the memtable inserts of a
    // large materializer batch ahead of it.
    db_options_.enable_pipelined_write = true;
    // Every batch the store writes is sorted by (family, key) and most keys only grow (journal
    // groups, message ids, audit times): the serial memtable insert reuses its position from
    // the previous key (a sequential splice), where the concurrent insert searches each key
    // from the top of the skiplist. With two writer threads at most, concurrency buys nothing.
    db_options_.allow_concurrent_memtable_write = false;
    db_options_.paranoid_checks = true;
    db_options_.listeners.push_back(std::make_shared<manual_recovery>());

    // LZ4 where it is cheap to read back, ZSTD for the bottommost (largest, coldest) level.
    rocksdb::CompressionType fast = rocksdb::kNoCompression;
    for (auto t : {rocksdb::kLZ4Compression, rocksdb::kSnappyCompression}) {
        if (supported(t)) {
            fast = t;
            break;
        }
    }
    rocksdb::CompressionType bottom = supported(rocksdb::kZSTD) ? rocksdb::kZSTD : fast;
    auto name = [](rocksdb::CompressionType t) -> std::string {
        switch (t) {
            case rocksdb::kLZ4Compression:
                return "LZ4";
            case rocksdb::kSnappyCompression:
                return "Snappy";
            case rocksdb::kZSTD:
                return "ZSTD";
            default:
                return "none";
        }
    };
    compression_ = fmt::format("{} (bottommost {})", name(fast), name(bottom));

    for (std::size_t i = 0; i < column_family_count; ++i) {
        const auto cf = static_cast<column_family>(i);
        auto& o = cf_options_[i];
        o.compression = fast;
        o.bottommost_compression = bottom;
        o.level_compaction_dynamic_level_bytes = true;
        o.max_write_buffer_number = 4;
        o.write_buffer_size = cf == column_family::messages ? (64U << 20U) : (16U << 20U);
        if (cf == column_family::journal) {
            // Appends of whole groups, read once at recovery and trimmed at each checkpoint:
            // compressing them would cost CPU on the acknowledgement path for nothing.
            o.compression = rocksdb::kNoCompression;
            o.bottommost_compression = rocksdb::kNoCompression;
            o.write_buffer_size = 64U << 20U;
        }

        rocksdb::BlockBasedTableOptions t;
        t.block_cache = cache_;
        t.format_version = 5;
        // Index and filter blocks stay in the table readers (max_open_files = -1 keeps every
        // reader open) rather than competing with data blocks in the cache: a point lookup
        // then costs at most one data block access.
        t.cache_index_and_filter_blocks = false;
        if (point_lookup_family(cf)) {
            t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(opts.bloom_bits_per_key));
            t.optimize_filters_for_memory = true;
            t.data_block_index_type = rocksdb::BlockBasedTableOptions::kDataBlockBinaryAndHash;
            o.memtable_prefix_bloom_size_ratio = 0.02;
            o.memtable_whole_key_filtering = true;
        }
        o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));

        if (queue_family(cf)) {
            o.table_properties_collector_factories.push_back(
                rocksdb::NewCompactOnDeletionCollectorFactory(256, 128));
        }

        switch (cf) {
            case column_family::messages:
                o.merge_operator = make_message_merge_operator();
                break;
            case column_family::consents:
                o.merge_operator = make_consent_merge_operator();
                break;
            case column_family::freq:
                o.merge_operator = make_freq_merge_operator(clk, opts.retention.freq_window);
                break;
            case column_family::stats:
                o.merge_operator = make_counter_merge_operator();
                break;
            default:
                break;
        }

        filters_[i] = make_retention_filter(cf, opts.retention, clk);
        if (filters_[i]) {
            o.compaction_filter = filters_[i].get();
            o.periodic_compaction_seconds =
                static_cast<std::uint64_t>(opts.retention.periodic_compaction.count());
        }
    }
}

void database::check_directory(const store_options& opts) {
    std::error_code ec;
    const auto st = fs::status(path_, ec);
    if (ec && ec != std::errc::no_such_file_or_directory) {
        fail(fmt::format("cannot inspect the path: {}", ec.message()));
    }
    const bool exists = fs::exists(st);
    if (exists && !fs::is_directory(st)) {
        fail("exists and is not a directory");
    }
    const bool has_current = exists && fs::exists(path_ / "CURRENT", ec);
    if (!exists || (!has_current && fs::is_empty(path_, ec))) {
        if (!opts.create_if_missing) {
            fail("no store here and create_if_missing is off");
        }
        created_ = true;
        return;
    }
    if (!has_current) {
        fail(
            "not an smppgw store: the directory is not empty and holds no RocksDB database "
            "(no CURRENT file)");
    }

    std::vector<std::string> names;
    const auto s = rocksdb::DB::ListColumnFamilies(db_options_, path_.string(), &names);
    if (!s.ok()) {
        fail(fmt::format("damaged RocksDB database, cannot read its manifest: {}", s.ToString()));
    }
    for (const auto& n : names) {
        if (std::find(column_family_names.begin(), column_family_names.end(), n) ==
            column_family_names.end()) {
            fail(
                fmt::format("not an smppgw store: RocksDB database with a foreign column family "
                            "'{}'",
                            n));
        }
    }
    if (std::find(names.begin(), names.end(), "messages") == names.end()) {
        fail(
            fmt::format("not an smppgw store: RocksDB database without the smppgw column "
                        "families (it has: {})",
                        fmt::join(names, ", ")));
    }
}

void database::open_db() {
    std::error_code ec;
    if (created_) {
        fs::create_directories(path_, ec);
        if (ec) {
            fail(fmt::format("cannot create the directory: {}", ec.message()));
        }
    }
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    for (std::size_t i = 0; i < column_family_count; ++i) {
        descriptors.emplace_back(std::string{column_family_names[i]}, cf_options_[i]);
    }
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    const auto s = rocksdb::DB::Open(db_options_, path_.string(), descriptors, &handles, &raw);
    if (!s.ok()) {
        const bool locked = s.IsIOError() && s.ToString().find("lock") != std::string::npos;
        fail(locked ? fmt::format("in use by another process ({})", s.ToString())
                    : fmt::format("cannot open (damaged?): {}", s.ToString()));
    }
    db_.reset(raw);
    std::copy(handles.begin(), handles.end(), handles_.begin());
}

void database::check_marker() {
    std::string value;
    auto s = db_->Get(rocksdb::ReadOptions{}, cf(column_family::meta), marker_key, &value);
    if (s.IsNotFound()) {
        // A new store, or one whose creation was cut short before the marker was written: in
        // both cases every family is empty. Anything else without a marker is not ours.
        bool empty = true;
        for (std::size_t i = 0; i < column_family_count && empty; ++i) {
            std::unique_ptr<rocksdb::Iterator> it{
                db_->NewIterator(rocksdb::ReadOptions{}, handles_[i])};
            it->SeekToFirst();
            empty = !it->Valid();
        }
        if (!empty) {
            close();
            fail("not an smppgw store: the format marker is missing");
        }
        rocksdb::WriteOptions wo;
        wo.sync = true;
        s = db_->Put(wo, cf(column_family::meta), marker_key, marker_value());
        if (!s.ok()) {
            close();
            fail(fmt::format("cannot write the format marker: {}", s.ToString()));
        }
        created_ = true;
        found_format_ = format_version;
        return;
    }
    if (!s.ok()) {
        close();
        fail(fmt::format("cannot read the format marker: {}", s.ToString()));
    }
    const std::string_view v = value;
    const auto colon = v.rfind(':');
    unsigned version = 0;
    if (colon == std::string_view::npos || v.substr(0, colon) != marker_magic ||
        std::from_chars(v.data() + colon + 1, v.data() + v.size(), version).ec != std::errc{}) {
        close();
        fail(fmt::format("not an smppgw store: unrecognised marker '{}'", value));
    }
    if (version > format_version) {
        close();
        fail(fmt::format("written by a newer smppgw (format {}; this build reads up to {})",
                         version, format_version));
    }
    found_format_ = version;
}

void database::write_format_marker() {
    rocksdb::WriteOptions wo;
    wo.sync = true;
    const auto s = db_->Put(wo, cf(column_family::meta), marker_key, marker_value());
    if (!s.ok()) {
        fail(fmt::format("cannot write the format marker: {}", s.ToString()));
    }
    found_format_ = format_version;
}

std::optional<std::uint64_t> database::free_space() const {
    std::uint64_t free = 0;
    auto* env = db_options_.env != nullptr ? db_options_.env : rocksdb::Env::Default();
    if (!env->GetFreeSpace(path_.string(), &free).ok()) {
        return std::nullopt;
    }
    return free;
}

void database::close() noexcept {
    if (!db_) {
        return;
    }
    rocksdb::CancelAllBackgroundWork(db_.get(), true);
    for (auto*& h : handles_) {
        if (h != nullptr) {
            (void)db_->DestroyColumnFamilyHandle(h);
            h = nullptr;
        }
    }
    (void)db_->Close();
    db_.reset();
}

}  // namespace smppgw::store::detail
