#pragma once
// Everything the store can be configured with. The gateway fills this from its TOML config;
// defaults are the production ones.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <system_error>

#include "smppgw/store/clock.hpp"
#include "smppgw/store/records.hpp"

namespace smppgw::store {

class write_fault;  // testing.hpp

// When a commit's callback may run relative to the disk.
//   always: every committed batch is its own RocksDB write followed by an fsync of the WAL.
//   batch:  the committer merges queued batches into one write and one fsync; a group closes
//           after group_max_delay from its first batch or after group_max_commits batches.
//           The fsync of one group overlaps the write of the next (commit_queue.hpp).
//   none:   grouped like `batch` but the WAL is never fsynced: a callback means the write reached
//           the OS (survives kill -9 of the daemon, not a power loss).
enum class sync_mode : std::uint8_t { always = 0, batch = 1, none = 2 };

[[nodiscard]] std::string_view to_string(sync_mode m) noexcept;
[[nodiscard]] std::optional<sync_mode> parse_sync_mode(std::string_view s) noexcept;

// How policy::consent_lookup answers.
//   memory:  a compact in-memory summary per (brand, msisdn, class), rebuilt on open (~24 bytes
//            per slot, load <= 0.7); no disk access on lookups.
//   rocksdb: a RocksDB Get of the current-state key (block cache, Bloom filter) per lookup.
enum class consent_index_mode : std::uint8_t { memory = 0, rocksdb = 1 };

// The levels of RocksDB's own log lines (store_options::on_engine_log).
enum class engine_log_level : std::uint8_t { debug = 0, info = 1, warn = 2, error = 3 };

// Time-to-live per record kind; zero means "keep forever". Enforced by compaction filters (ids
// and keys carry their time), never by scans on the write path; expired data disappears when
// its file is next compacted (periodic_compaction makes sure that happens).
struct retention_options {
    std::chrono::milliseconds messages = std::chrono::days{7};  // also pending + deferred rows
    std::chrono::milliseconds carrier_ids = std::chrono::days{7};
    std::chrono::milliseconds audit = std::chrono::days{1827};  // 5 years incl. leap days
    // Consent events and opt-out put/lift history. The current consent state and active
    // opt-outs never expire (COMPLIANCE.md: opt-outs never expire on a timer).
    std::chrono::milliseconds evidence = std::chrono::days{1827};
    // Receipts and MOs an account has not taken: dropped (and counted) after this long; zero
    // keeps them until the account binds and acknowledges them.
    std::chrono::milliseconds outbox{0};
    // Hourly traffic counters (traffic.hpp, GET /v1/stats): 400 days keeps a year to compare.
    std::chrono::milliseconds stats = std::chrono::days{400};
    // Longest frequency window any policy asks about; older send times are dropped by merges.
    std::chrono::milliseconds freq_window = std::chrono::hours{24};
    // RocksDB periodic_compaction_seconds for families with a TTL.
    std::chrono::seconds periodic_compaction = std::chrono::days{1};
};

struct store_options {
    std::filesystem::path path;
    bool create_if_missing = true;

    sync_mode sync = sync_mode::batch;
    // How long the writer lets a group fill after its first batch. Short, because with the
    // pipeline groups also grow while the previous one syncs.
    std::chrono::microseconds group_max_delay{250};
    std::size_t group_max_commits = 8192;
    std::size_t group_max_bytes = 32U << 20U;
    // Groups the committer keeps in flight (written or being written, not yet synced and
    // completed); at least 2. More lets one WAL sync cover the groups written while the
    // previous sync ran, instead of the writer waiting for a slot.
    std::size_t commit_pipeline_depth = 4;
    // commit() fails a batch with store_errc::queue_full beyond this many queued batches.
    std::size_t max_queued_commits = 1U << 20U;

    std::uint32_t node_id = 0;         // id_generator node bits
    std::shared_ptr<const clock> clk;  // null: system_clock()

    std::size_t block_cache_bytes = 512U << 20U;
    std::size_t write_buffer_total_bytes = 256U << 20U;
    int background_jobs = 2;
    // After a failed write the committer calls DB::Resume() before the next group only once
    // the file system reports at least this much free space: resuming while the disk is still
    // full makes RocksDB escalate the error to fatal (a restart would be needed). RocksDB needs
    // room for a memtable flush to resume; the default leaves that and a margin.
    // Below half of it the committer refuses groups itself (no_space) without writing them:
    // RocksDB should never meet ENOSPC on a WAL append: its file writers assume one that failed
    // is not used again, and Debian's build keeps the assertion that checks it.
    std::uint64_t resume_min_free_bytes = 16U << 20U;
    // Told once per episode, on the committer's writer thread, when writes start failing (the
    // first failed write after a success: `error` says why) and when they work again (error
    // empty), with the free bytes of the store's file system if known. For the operator's log;
    // must not block or call into the store.
    std::function<void(std::error_code error, std::optional<std::uint64_t> free_bytes)>
        on_writes_changed;
    // RocksDB's own log (flushes, compactions, its warnings and errors), one line per call on
    // RocksDB's threads; lines below engine_log_min are not even formatted. Null drops them.
    // There is no LOG file in the store's folder: a full disk made its writer abort the
    // process (engine_log.hpp).
    std::function<void(engine_log_level, std::string_view line)> on_engine_log;
    engine_log_level engine_log_min = engine_log_level::warn;

    // Checkpoints of the live state: after this long, or after this many journal bytes since
    // the last one, whichever comes first (0 turns that trigger off). Recovery replays what the
    // journal holds after the last checkpoint, so these bound restart time.
    std::chrono::milliseconds checkpoint_interval{std::chrono::minutes{1}};
    std::uint64_t checkpoint_journal_bytes = 32U << 20U;
    // Finished messages and audit records the materializer writes per RocksDB batch.
    std::size_t materializer_batch = 2048;
    int bloom_bits_per_key = 10;

    consent_index_mode consent_index = consent_index_mode::memory;
    // Presize the in-memory indexes (avoids growth while serving).
    std::size_t expected_optouts = 0;
    std::size_t expected_consents = 0;

    retention_options retention;

    // Tests only (testing.hpp): makes every file write fail with ENOSPC while armed.
    std::shared_ptr<write_fault> fault;
};

}  // namespace smppgw::store
