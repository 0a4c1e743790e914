#pragma once
// Group commit. Writers hand a batch and a callback to submit(); one committer thread takes
// what is queued, merges it into one rocksdb::WriteBatch, writes it once (one WAL fsync with
// sync_mode::batch), tells the store which in-memory indexes to update, then runs every
// callback of the group in submission order.
//
// Invariants:
// - Each accepted submit() gets exactly one callback; a refused one (closed, queue_full,
//   invalid batch) gets it inline with the error before submit() returns.
// - Groups are written in submission order and callbacks run in submission order, so a writer
//   that waits for batch A's callback before submitting B knows A is durable first; batches
//   from one thread complete in the order that thread submitted them.
// - The committer is the only writer to RocksDB. The hooks it calls (outbox sequences, index
//   updates) therefore see writes applied in commit order without locking against each other.
// - A failed write fails every callback of that group and marks the DB for DB::Resume(), which
//   the committer tries before the next group once the file system has free space again
//   (store_options::resume_min_free_bytes); until then groups fail fast with no_space. Once
//   the cause clears, later groups succeed.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
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
    // The next outbox sequence of `account` (committer thread only).
    [[nodiscard]] virtual std::uint64_t assign_outbox_seq(std::string_view account) = 0;
    // After the write of a group, before its callbacks. `durable` is false when the write
    // failed (RocksDB then applied nothing to its memtables either).
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
    void stop();  // drains the queue, joins the thread; idempotent

    [[nodiscard]] bool on_committer_thread() const noexcept {
        return std::this_thread::get_id() == thread_id_;
    }
    void fill(commit_stats& s) const;

private:
    using steady = std::chrono::steady_clock;
    struct item {
        batch b;
        commit_callback cb;
        steady::time_point enqueued;
    };

    void run();
    void take(std::vector<item>& group);
    void process(std::vector<item>& group);
    void reset_group();
    // Appends one batch's operations to ops_ (and its effects to fx_); false if its log is bad,
    // in which case the caller drops what it appended.
    bool translate(const item& it);
    // Writes ops_ as one WriteBatch (sorted, see commit_queue.cpp), syncing if asked.
    std::error_code write(bool sync);
    void finish(item& it, std::error_code ec, steady::time_point now);

    database& db_;
    commit_hooks& hooks_;
    const sync_mode mode_;
    const std::chrono::microseconds max_delay_;
    const std::size_t max_commits_;
    const std::size_t max_bytes_;
    const std::size_t max_queued_;
    const std::uint64_t resume_min_free_;

    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::vector<item> queue_;
    std::size_t queued_bytes_ = 0;
    bool stopping_ = false;
    bool stopped_ = false;

    std::thread thread_;
    std::thread::id thread_id_;

    // Committer-thread state, reused from group to group.
    rocksdb::WriteBatch wb_;
    std::vector<op> ops_;            // the group's operations (outbox ops already resolved)
    std::deque<std::string> arena_;  // keys/values the committer made (outbox); stable views
    group_effects fx_;
    std::vector<std::pair<std::string_view, std::uint64_t>> last_seq_;  // per account, in group
    bool needs_resume_ = false;

    std::atomic<std::uint64_t> commits_{0}, committed_{0}, failed_{0}, rejected_{0}, groups_{0},
        syncs_{0}, write_errors_{0}, resumes_{0}, operations_{0}, bytes_{0}, queue_depth_{0};
    histogram group_size_, commit_latency_, write_latency_;
};

}  // namespace smppgw::store::detail
