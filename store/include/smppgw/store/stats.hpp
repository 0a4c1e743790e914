#pragma once
// Plain metric snapshots for the gateway's Prometheus exporter (no prometheus dependency here).

#include <array>
#include <cstddef>
#include <cstdint>

namespace smppgw::store {

// A histogram with fixed bucket upper bounds (powers of two). counts[i] counts observations
// v with bounds[i-1] < v <= bounds[i] (not cumulative); the last bucket is +Inf.
struct histogram_snapshot {
    static constexpr std::size_t buckets = 24;
    std::array<double, buckets> bounds{};  // bounds[buckets - 1] is +Inf
    std::array<std::uint64_t, buckets> counts{};
    double sum = 0;
    std::uint64_t count = 0;
};

struct commit_stats {
    std::uint64_t commits = 0;             // batches handed to commit()
    std::uint64_t committed = 0;           // batches whose callback reported success
    std::uint64_t failed = 0;              // batches whose callback reported an error
    std::uint64_t rejected = 0;            // of those, refused before a write (closed, queue_full)
    std::uint64_t groups = 0;              // RocksDB writes issued by the committer
    std::uint64_t syncs = 0;               // WAL fsyncs (at most one per group: one sync may
                                           // cover several pipelined groups; per batch with
                                           // `always`)
    std::uint64_t write_errors = 0;        // RocksDB writes that failed
    std::uint64_t resumes = 0;             // successful DB::Resume() after a write error
    std::uint64_t operations = 0;          // key operations written
    std::uint64_t bytes = 0;               // encoded operation bytes written
    std::uint64_t queue_depth = 0;         // batches waiting for the committer now
    std::uint64_t lookup_errors = 0;       // policy lookups that failed and answered fail-safe
    std::uint64_t journal_records = 0;     // journal records appended
    std::uint64_t journal_bytes = 0;       // journal bytes written (groups completed)
    histogram_snapshot group_size;         // batches per group
    histogram_snapshot commit_latency_us;  // commit() to callback, microseconds
    histogram_snapshot write_latency_us;   // one RocksDB group write (+ sync with `always`), us
    histogram_snapshot sync_latency_us;    // one WAL sync of `batch` mode, microseconds
};

}  // namespace smppgw::store
