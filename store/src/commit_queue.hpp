#pragma once
// Group commit. Writers hand a batch and a callback to submit(); the committer takes what is
// queued, merges it into one rocksdb::WriteBatch and writes it once, then one WAL fsync makes
// the group durable (sync_mode::batch), the store's in-memory indexes learn what changed, and
// every callback of the group runs in submission order.
//
// The work runs as a two-stage pipeline on two threads, so that the next group is translated
// and written into the memtables while the previous one waits for its fsync and runs its
// callbacks:
//   writer     ("smppgw-commit"): take a group, translate, sort, RocksDB Write without sync;
//   completion ("smppgw-sync"):   one SyncWAL for every group written so far, then the index
//                                  updates and the callbacks of each group, in order.
// At most store_options::commit_pipeline_depth groups are in flight (taken and not yet
// completed); the writer takes the next group only when a slot is free, so under load groups
// grow instead of piling up. One sync covers every group written while the previous sync ran.
//
// Invariants:
// - Each accepted submit() gets exactly one callback; a refused one (closed, queue_full,
//   invalid batch) gets it inline with the error before submit() returns.
// - Groups are written to the WAL in submission order and callbacks run in submission order,
//   so a writer that waits for batch A's callback before submitting B knows A is durable first;
//   batches from one thread complete in the order that thread submitted them. A WAL sync
//   covers everything written before it, so a group's callback also means every earlier group
//   is durable.
// - A group's writes are visible to reads (RocksDB Get) from the moment they are written, which
//   may be a moment before they are durable; nothing the gateway tells a peer depends on such a
//   read before a later commit's callback, and that callback implies the earlier group is
//   durable too. The in-memory indexes (opt-outs, consents, outbox) change only once durable.
// - The writer thread is the only writer to RocksDB; the completion thread is the only one to
//   call the index hooks. Each therefore sees groups in commit order without locking.
// - A failed write or sync fails every callback of that group and marks the DB for
//   DB::Resume(), which the writer tries before the next group once the file system has free
//   space again (store_options::resume_min_free_bytes); until then groups fail fast with
//   no_space. Once the cause clears, later groups succeed. A group whose sync failed may still
//   reach the disk with a later sync: a refused commit is "maybe written", never "acknowledged
//   and lost".

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include <rocksdb/write_batch.h>

#include "batch_ops.hpp"
#include "database.hpp"
#include "histogram.hpp"
#include "smppgw/store/batch.hpp"
#include "smppgw/store/options.hpp"
#include "smppgw/store/stats.hpp"
#include "smppgw/store/store.hpp"

namespace smppgw::store::detail {

// What a written group changed, for the in-memory indexes. Views point into the group's batch
// logs and are valid until the callbacks have run.
struct group_effects {
    struct append {
        std::string_view account;
        std::uint64_t seq;
        outbox_kind kind;
    };
    struct ack {
        std::string_view account;
        std::uint64_t seq;
    };
    struct optout_change {
        std::string_view key;    // 'a' key
        std::string_view value;  // the opt-out value of a put; empty for a lift
        bool put;
    };
    std::vector<optout_change> optouts;          // in commit order
    struct consent_change {
        std::string_view key;    // 's' key
        std::string_view value;  // the state operand merged into it
    };
    std::vector<consent_change> consents;  // in commit order
    std::vector<append> appends;
    std::vector<ack> acks;

    void clear() noexcept {
        optouts.clear();
        consents.clear();
        appends.clear();
        acks.clear();
    }
};

class commit_hooks {
public:
    virtual ~commit_hooks() = default;
    // The next outbox sequence of `account` (writer thread only).
    [[nodiscard]] virtual std::uint64_t assign_outbox_seq(std::string_view account) = 0;
    // After a group is durable (or failed), before its callbacks; completion thread only.
    // `durable` is false when its write or sync failed.
    virtual void applied(const group_effects& fx, bool durable) = 0;
};

class committer {
public:
    committer(database& db, const store_options& opts, commit_hooks& hooks);
    ~committer();
    committer(const committer&) = delete;
    committer& operator=(const committer&) = delete;

    void submit(batch&& b, commit_callback cb);
    [[nodiscard]] std::error_code submit_sync(batch&& b);
    void stop();  // drains the queue, joins both threads; idempotent

    // True on either committer thread: a blocking commit from there would wait for itself.
    [[nodiscard]] bool on_committer_thread() const noexcept {
        const auto self = std::this_thread::get_id();
        return self == writer_id_ || self == completer_id_;
    }
    void fill(commit_stats& s) const;

private:
    using steady = std::chrono::steady_clock;
    struct item {
        batch b;
        commit_callback cb;
        steady::time_point enqueued;
    };
    // One group on its way through the pipeline; recycled so its buffers keep their capacity.
    struct group {
        std::vector<item> items;
        std::vector<std::error_code> results;  // per item: its own failure, else the group's
        std::vector<op> ops;                   // the operations (outbox ops already resolved)
        std::deque<std::string> arena;         // keys/values the committer made; stable views
        group_effects fx;
        std::vector<std::pair<std::string_view, std::uint64_t>> last_seq;  // per account
        std::error_code ec;                    // the write's (then the sync's) result
        bool wants_sync = false;               // written without sync, durable after SyncWAL
        bool wrote = false;                    // a RocksDB write was issued (counted on completion)
        void reset();
    };

    void write_loop();
    void complete_loop();
    void take(std::vector<item>& into);
    void write_group(group& g);
    // Appends one batch's operations to g.ops (and its effects to g.fx); false if its log is
    // bad, in which case the caller drops what it appended.
    bool translate(group& g, const item& it);
    // Writes g.ops as one WriteBatch (sorted, see commit_queue.cpp), syncing if asked.
    std::error_code write(group& g, bool sync);
    std::error_code sync_wal();
    void complete(group& g);
    void finish(item& it, std::error_code ec, steady::time_point now);

    database& db_;
    commit_hooks& hooks_;
    const sync_mode mode_;
    const std::chrono::microseconds max_delay_;
    const std::size_t max_commits_;
    const std::size_t max_bytes_;
    const std::size_t max_queued_;
    const std::uint64_t resume_min_free_;
    const std::size_t max_in_flight_;

    // Guards the queue, the hand-off between the two threads and the spare groups.
    mutable std::mutex mu_;
    std::condition_variable writer_cv_;     // work queued or a pipeline slot freed
    std::condition_variable completer_cv_;  // a group written, or the writer done
    std::vector<item> queue_;
    std::size_t queued_bytes_ = 0;
    std::size_t in_flight_ = 0;                  // groups taken and not yet completed
    std::deque<std::unique_ptr<group>> written_;  // written, awaiting completion, in order
    std::vector<std::unique_ptr<group>> spare_;
    bool stopping_ = false;
    bool stopped_ = false;
    bool writer_done_ = false;

    std::thread writer_;
    std::thread completer_;
    std::thread::id writer_id_;
    std::thread::id completer_id_;

    // Writer-thread state.
    rocksdb::WriteBatch wb_;
    // Set by either thread after a failed write or sync; the writer resumes before the next.
    std::atomic<bool> needs_resume_{false};

    std::atomic<std::uint64_t> commits_{0}, committed_{0}, failed_{0}, rejected_{0}, groups_{0},
        syncs_{0}, write_errors_{0}, resumes_{0}, operations_{0}, bytes_{0}, queue_depth_{0};
    histogram group_size_, commit_latency_, write_latency_, sync_latency_;
};

}  // namespace smppgw::store::detail
