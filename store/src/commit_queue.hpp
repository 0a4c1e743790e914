#pragma once
// Group commit, and the journal. Two kinds of work are queued here in one order: journal
// records (store::journal::append, from live_state) and plain batches (store::commit, for
// opt-outs, consents, imports and the like). The writer takes everything queued, makes it one
// rocksdb::WriteBatch — the group's records as ONE value under the journal key
// be64(first LSN), plus the batches' operations sorted by (family, key) — and writes it once,
// with the WAL synced in the same call (sync_mode::batch, ::always). The completion thread then
// updates the store's in-memory indexes, tells the journal listener (live_state) which LSNs are
// durable, and runs every completion of the group in submission order.
//
// Threads:
//   writer     ("smppgw-commit"): take a group, translate, write (+ fsync);
//   completion ("smppgw-sync"):   index updates, listener, callbacks, in commit order.
// While the writer waits for one fsync the next group fills, so under load groups grow instead
// of queueing; the fsync is never called concurrently with a write (one thread does both), which
// keeps RocksDB's WAL writer out of the SyncWAL-versus-failed-append path that Debian's
// assertion-enabled build aborts on.
//
// Invariants:
// - append() never refuses: every record gets its LSN and its group reports to the listener,
//   so live_state's view of what is durable never has a hole. (After stop(), appends complete
//   inline with `closed`.)
// - Records have consecutive LSNs in append order; a group holds a contiguous range; groups
//   complete in order. A completion implies every earlier group is durable (or failed).
// - A failed write fails its whole group and marks the DB for DB::Resume(), which the writer
//   tries before the next group once the file system has at least resume_min_free_bytes free;
//   until then groups fail fast with no_space. A group that failed may still reach the disk
//   with a later write: "maybe written", never "acknowledged and lost".
// - Writes stop short of a full disk: with less than half of resume_min_free_bytes free a group
//   fails with no_space before RocksDB sees it (and counts as a failed write, so Resume() runs
//   once there is room). RocksDB's file writers assume that one that failed is never used
//   again, and Debian's build asserts it: keeping the WAL's appends away from ENOSPC keeps us
//   off that path. (The abort seen on a tmpfs filled under load came from RocksDB's info LOG
//   file, which no longer exists: engine_log.hpp.)
// - Writes count as failing from a failed write to the next successful write or DB::Resume()
//   (an empty group is enough to try one: an idle store recovers when something probes it);
//   store_options::on_writes_changed hears each change once.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include <rocksdb/write_batch.h>

#include "batch_ops.hpp"
#include "database.hpp"
#include "histogram.hpp"
#include "smppgw/store/batch.hpp"
#include "smppgw/store/journal.hpp"
#include "smppgw/store/options.hpp"
#include "smppgw/store/stats.hpp"
#include "smppgw/store/store.hpp"

namespace smppgw::store::detail {

// The value format of one journal group: 0x02, then per record kind:u8 len:varint payload.
inline constexpr std::uint8_t journal_group_format = 0x02;

// What a written group changed, for the in-memory indexes. Views point into the group's batch
// logs and are valid until the callbacks have run.
struct group_effects {
    struct optout_change {
        std::string_view key;    // 'a' key
        std::string_view value;  // the opt-out value of a put; empty for a lift
        bool put;
    };
    std::vector<optout_change> optouts;  // in commit order
    struct consent_change {
        std::string_view key;    // 's' key
        std::string_view value;  // the state operand merged into it
    };
    std::vector<consent_change> consents;  // in commit order
    struct hold_change {
        std::string_view key;    // brand \0 msisdn
        std::string_view value;  // empty for a release
    };
    std::vector<hold_change> holds;
    struct send_change {
        std::string_view key;    // brand \0 msisdn
        std::string_view value;  // the send-time operand, or a removal's
        bool removal = false;    // release_send: a reservation given back
    };
    std::vector<send_change> sends;  // record_send and release_send operands, in commit order

    void clear() noexcept {
        optouts.clear();
        consents.clear();
        holds.clear();
        sends.clear();
    }
};

class commit_hooks {
public:
    virtual ~commit_hooks() = default;
    // After a group is durable (or failed), before its callbacks; completion thread only.
    // `durable` is false when its write failed.
    virtual void applied(const group_effects& fx, bool durable) = 0;
    // Which journal records the group held (count may be 0); completion thread only.
    virtual void records_completed(lsn_t first, std::size_t count, std::error_code ec) = 0;
    // Every group after its write, successful or not (writer thread): the store watches the
    // journal's size and its own health here.
    virtual void written(std::size_t record_bytes, std::error_code ec) = 0;
};

class committer final : public journal {
public:
    committer(database& db, const store_options& opts, commit_hooks& hooks, lsn_t next_lsn);
    ~committer() override;
    committer(const committer&) = delete;
    committer& operator=(const committer&) = delete;

    // journal
    lsn_t append(std::span<const record_ref> records, batch* extra, completion done) override;
    [[nodiscard]] lsn_t next_lsn() const noexcept override;

    // A plain batch (no journal record). Refused inline (closed, queue_full, invalid batch).
    void submit(batch&& b, commit_callback cb);
    [[nodiscard]] std::error_code submit_sync(batch&& b);
    void stop();  // drains the queue, joins both threads; idempotent

    // True on either committer thread: a blocking commit from there would wait for itself.
    [[nodiscard]] bool on_committer_thread() const noexcept {
        const auto self = std::this_thread::get_id();
        return self == writer_id_ || self == completer_id_;
    }
    // True while writes fail (disk full, I/O error) and no write has succeeded since.
    [[nodiscard]] bool failing() const noexcept { return failing_.load(std::memory_order_relaxed); }
    // True once a write or DB::Resume() reported a fatal or unrecoverable error: RocksDB keeps
    // those until the DB is reopened, so waiting for room will not clear them.
    [[nodiscard]] bool needs_reopen() const noexcept {
        return needs_reopen_.load(std::memory_order_relaxed);
    }
    void fill(commit_stats& s) const;

private:
    using steady = std::chrono::steady_clock;
    struct item {
        batch b;
        completion done;
        steady::time_point enqueued;
        std::size_t record_bytes = 0;  // this item's share of the queued record bytes
        std::size_t record_count = 0;
    };
    // One group on its way through the pipeline; recycled so its buffers keep their capacity.
    struct group {
        std::vector<item> items;
        std::string records;  // journal_group_format, then the framed records
        lsn_t first_lsn = 0;
        std::size_t record_count = 0;
        std::vector<std::error_code> results;  // per item: its own failure, else the group's
        std::vector<op> ops;
        std::deque<std::string> arena;
        group_effects fx;
        std::string journal_key;
        std::error_code ec;
        bool wrote = false;
        void reset();
    };

    void write_loop();
    void complete_loop();
    void take(group& g);
    void write_group(group& g);
    bool translate(group& g, const item& it);
    std::error_code write(group& g, bool sync);
    void complete(group& g);
    // Writer thread: records whether writes work now and tells on_writes_changed on a change.
    void note_writes(std::error_code ec);
    // Says why DB::Resume() failed, at most every few seconds: RocksDB logs it only at info level,
    // and without it a store that stays refusing with room on the disk says nothing about why.
    void report_resume_failure(const rocksdb::Status& s, std::optional<std::uint64_t> free);
    void note_severity(const rocksdb::Status& s) noexcept;
    std::error_code enqueue(item&& it, std::span<const record_ref> records, lsn_t& first);

    database& db_;
    commit_hooks& hooks_;
    const sync_mode mode_;
    const std::chrono::microseconds max_delay_;
    const std::size_t max_commits_;
    const std::size_t max_bytes_;
    const std::size_t max_queued_;
    const std::uint64_t resume_min_free_;
    const std::uint64_t stop_below_free_;  // resume_min_free_ / 2: the low-space guard
    const std::size_t max_in_flight_;
    const std::function<void(std::error_code, std::optional<std::uint64_t>)> on_writes_changed_;
    const std::function<void(engine_log_level, std::string_view)> on_engine_log_;

    // Guards the queue, the LSN counter, the hand-off between the two threads and the spares.
    mutable std::mutex mu_;
    std::condition_variable writer_cv_;
    std::condition_variable completer_cv_;
    std::vector<item> queue_;
    std::string queued_records_;  // framed records of everything queued, in LSN order
    lsn_t queue_first_lsn_ = 0;   // LSN of the first queued record
    lsn_t next_lsn_ = 1;
    std::size_t queued_bytes_ = 0;
    std::size_t in_flight_ = 0;
    std::deque<std::unique_ptr<group>> written_;
    std::vector<std::unique_ptr<group>> spare_;
    bool stopping_ = false;
    bool stopped_ = false;
    bool writer_done_ = false;

    std::thread writer_;
    std::thread completer_;
    std::thread::id writer_id_;
    std::thread::id completer_id_;

    rocksdb::WriteBatch wb_;  // writer thread
    std::atomic<bool> needs_resume_{false};
    bool resumed_ = false;  // writer thread: write() just resumed the DB
    std::optional<steady::time_point> resume_failure_reported_;  // writer thread
    bool reported_sticky_ = false;                                // writer thread
    std::atomic<bool> failing_{false};
    std::atomic<bool> needs_reopen_{false};

    std::atomic<std::uint64_t> commits_{0}, committed_{0}, failed_{0}, rejected_{0}, groups_{0},
        syncs_{0}, write_errors_{0}, resumes_{0}, operations_{0}, bytes_{0}, queue_depth_{0},
        records_{0}, record_bytes_{0};
    histogram group_size_, commit_latency_, write_latency_, sync_latency_;
    // Held while complete() counts a group and its commits, and while fill() reads them.
    mutable std::mutex completed_stats_mu_;
};

}  // namespace smppgw::store::detail
