#include "commit_queue.hpp"

#include <pthread.h>

#include <algorithm>
#include <future>
#include <utility>

#include "keys.hpp"
#include "record_codec.hpp"
#include "smppgw/store/error.hpp"

namespace smppgw::store::detail {
namespace {

rocksdb::Slice slice(std::string_view s) noexcept {
    return {s.data(), s.size()};
}

std::uint64_t micros(std::chrono::steady_clock::duration d) noexcept {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
    return us < 0 ? 0 : static_cast<std::uint64_t>(us);
}

void run(completion& done, std::error_code ec) noexcept {
    if (!done) {
        return;
    }
    try {
        done(ec);
    } catch (...) {
        // A throwing callback must not take the committer down with it; the gateway's own
        // callbacks never throw, this guards against test code and future mistakes.
    }
}

}  // namespace

committer::committer(database& db, const store_options& opts, commit_hooks& hooks,
                     lsn_t next_lsn)
    : db_(db),
      hooks_(hooks),
      mode_(opts.sync),
      max_delay_(opts.group_max_delay),
      max_commits_(std::max<std::size_t>(1, opts.group_max_commits)),
      max_bytes_(std::max<std::size_t>(1, opts.group_max_bytes)),
      max_queued_(std::max<std::size_t>(1, opts.max_queued_commits)),
      resume_min_free_(opts.resume_min_free_bytes),
      stop_below_free_(opts.resume_min_free_bytes / 2),
      max_in_flight_(std::max<std::size_t>(2, opts.commit_pipeline_depth)),
      on_writes_changed_(opts.on_writes_changed),
      on_engine_log_(opts.on_engine_log),
      queue_first_lsn_(next_lsn),
      next_lsn_(next_lsn) {
    completer_ = std::thread([this] { complete_loop(); });
    completer_id_ = completer_.get_id();
    writer_ = std::thread([this] { write_loop(); });
    writer_id_ = writer_.get_id();
}

committer::~committer() {
    stop();
}

void committer::group::reset() {
    items.clear();
    records.clear();
    first_lsn = 0;
    record_count = 0;
    results.clear();
    ops.clear();
    arena.clear();
    fx.clear();
    ec.clear();
    wrote = false;
}

lsn_t committer::next_lsn() const noexcept {
    std::lock_guard lk(mu_);
    return next_lsn_;
}

std::error_code committer::enqueue(item&& it, std::span<const record_ref> records, lsn_t& first) {
    std::unique_lock lk(mu_);
    first = next_lsn_;
    if (stopped_ && writer_done_) {
        return make_error_code(store_errc::closed);
    }
    const auto before = queued_records_.size();
    for (const auto& r : records) {
        queued_records_.push_back(static_cast<char>(r.kind));
        put_varint(queued_records_, r.payload.size());
        queued_records_.append(r.payload);
    }
    next_lsn_ += records.size();
    it.record_bytes = queued_records_.size() - before;
    it.record_count = records.size();
    queued_bytes_ += it.b.byte_size() + it.record_bytes;
    queue_.push_back(std::move(it));
    const auto n = queue_.size();
    queue_depth_.store(n, std::memory_order_relaxed);
    // The writer waits for the first item, then (batch/none) for the group to fill or its
    // deadline; only those moments need a wake-up.
    const bool wake = n == 1 || n == max_commits_ || queued_bytes_ >= max_bytes_;
    lk.unlock();
    if (wake) {
        writer_cv_.notify_one();
    }
    return {};
}

lsn_t committer::append(std::span<const record_ref> records, batch* extra, completion done) {
    commits_.fetch_add(1, std::memory_order_relaxed);
    item it;
    if (extra != nullptr) {
        it.b = std::move(*extra);
    }
    it.done = std::move(done);
    it.enqueued = steady::now();
    lsn_t first = 0;
    if (const auto ec = enqueue(std::move(it), records, first)) {
        // Only after stop(): nothing will write it.
        rejected_.fetch_add(1, std::memory_order_relaxed);
        failed_.fetch_add(1, std::memory_order_relaxed);
        run(it.done, ec);
    }
    records_.fetch_add(records.size(), std::memory_order_relaxed);
    return first;
}

void committer::submit(batch&& b, commit_callback cb) {
    commits_.fetch_add(1, std::memory_order_relaxed);
    completion done = std::move(cb);
    auto refuse = [&](std::error_code ec) {
        rejected_.fetch_add(1, std::memory_order_relaxed);
        failed_.fetch_add(1, std::memory_order_relaxed);
        run(done, ec);
    };
    if (b.error()) {
        refuse(b.error());
        return;
    }
    {
        std::lock_guard lk(mu_);
        if (stopping_) {
            refuse(make_error_code(store_errc::closed));
            return;
        }
        if (queue_.size() >= max_queued_) {
            refuse(make_error_code(store_errc::queue_full));
            return;
        }
    }
    item it;
    it.b = std::move(b);
    it.done = std::move(done);
    it.enqueued = steady::now();
    lsn_t first = 0;
    if (const auto ec = enqueue(std::move(it), {}, first)) {
        refuse(ec);
    }
}

std::error_code committer::submit_sync(batch&& b) {
    if (on_committer_thread()) {
        return make_error_code(store_errc::would_deadlock);
    }
    std::promise<std::error_code> done;
    auto result = done.get_future();
    submit(std::move(b), [&done](std::error_code ec) { done.set_value(ec); });
    return result.get();
}

void committer::stop() {
    {
        std::lock_guard lk(mu_);
        if (stopped_) {
            return;
        }
        stopped_ = true;
        stopping_ = true;
    }
    writer_cv_.notify_one();
    if (writer_.joinable()) {
        writer_.join();  // drains the queue, then tells the completion thread it is done
    }
    if (completer_.joinable()) {
        completer_.join();
    }
}

void committer::write_loop() {
    pthread_setname_np(pthread_self(), "smppgw-commit");
    std::unique_lock lk(mu_);
    for (;;) {
        writer_cv_.wait(lk, [&] {
            return (!queue_.empty() && in_flight_ < max_in_flight_) ||
                   (stopping_ && queue_.empty());
        });
        if (queue_.empty()) {
            break;  // stopping and drained
        }
        if (mode_ != sync_mode::always && max_delay_.count() > 0) {
            const auto deadline = queue_.front().enqueued + max_delay_;
            while (!stopping_ && queue_.size() < max_commits_ && queued_bytes_ < max_bytes_) {
                if (writer_cv_.wait_until(lk, deadline) == std::cv_status::timeout) {
                    break;
                }
            }
        }
        std::unique_ptr<group> g;
        if (spare_.empty()) {
            g = std::make_unique<group>();
        } else {
            g = std::move(spare_.back());
            spare_.pop_back();
        }
        take(*g);
        ++in_flight_;
        lk.unlock();
        write_group(*g);
        lk.lock();
        written_.push_back(std::move(g));
        completer_cv_.notify_one();
    }
    writer_done_ = true;
    completer_cv_.notify_one();
}

void committer::complete_loop() {
    pthread_setname_np(pthread_self(), "smppgw-sync");
    std::vector<std::unique_ptr<group>> ready;
    std::unique_lock lk(mu_);
    for (;;) {
        completer_cv_.wait(lk, [&] { return !written_.empty() || writer_done_; });
        if (written_.empty()) {
            break;  // the writer is done and everything it wrote is completed
        }
        while (!written_.empty()) {
            ready.push_back(std::move(written_.front()));
            written_.pop_front();
        }
        lk.unlock();
        for (auto& g : ready) {
            complete(*g);
            g->reset();
        }
        lk.lock();
        // The writer waits on in_flight_ only when the pipeline was full: waking it otherwise
        // interrupts its wait for the group to fill, a context switch per group for nothing.
        const bool writer_held = in_flight_ >= max_in_flight_;
        in_flight_ -= ready.size();
        for (auto& g : ready) {
            spare_.push_back(std::move(g));
        }
        ready.clear();
        if (writer_held) {
            writer_cv_.notify_one();
        }
    }
}

void committer::take(group& g) {
    std::size_t n = 0;
    std::size_t bytes = 0;
    std::size_t record_bytes = 0;
    std::size_t records = 0;
    // `always` syncs each item on its own: one item per group.
    const std::size_t limit = mode_ == sync_mode::always ? 1 : max_commits_;
    while (n < queue_.size() && n < limit) {
        const auto sz = queue_[n].b.byte_size() + queue_[n].record_bytes;
        if (n > 0 && bytes + sz > max_bytes_) {
            break;
        }
        bytes += sz;
        record_bytes += queue_[n].record_bytes;
        records += queue_[n].record_count;
        ++n;
    }
    g.first_lsn = queue_first_lsn_;
    g.record_count = records;
    queue_first_lsn_ += records;
    g.records.clear();
    if (records > 0) {
        g.records.push_back(static_cast<char>(journal_group_format));
        g.records.append(queued_records_, 0, record_bytes);
    }
    queued_records_.erase(0, record_bytes);
    if (n == queue_.size()) {
        g.items.swap(queue_);
    } else {
        g.items.reserve(n);
        for (std::size_t i = 0; i < n; ++i) {
            g.items.push_back(std::move(queue_[i]));
        }
        queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
    }
    queued_bytes_ -= bytes;
    queue_depth_.store(queue_.size(), std::memory_order_relaxed);
}

bool committer::translate(group& g, const item& it) {
    op_reader r{batch_access::log(it.b)};
    op o;
    while (r.next(o)) {
        g.ops.push_back(o);
        switch (o.cf) {
            case column_family::optouts:
                if (o.key.front() == optout_active_tag && o.kind != op_kind::merge) {
                    g.fx.optouts.push_back({o.key, o.kind == op_kind::put ? o.value : std::string_view{},
                                            o.kind == op_kind::put});
                }
                break;
            case column_family::consents:
                if (o.kind == op_kind::merge && o.key.front() == consent_state_tag) {
                    g.fx.consents.push_back({o.key, o.value});
                }
                break;
            case column_family::holds:
                g.fx.holds.push_back({o.key, o.kind == op_kind::put ? o.value : std::string_view{}});
                break;
            case column_family::freq:
                if (o.kind == op_kind::merge) {
                    g.fx.sends.push_back({o.key, o.value, decode_send_removal(o.value).has_value()});
                }
                break;
            default:
                break;
        }
    }
    return r.ok();
}

std::error_code committer::write(group& g, bool sync) {
    if (needs_resume_.load(std::memory_order_acquire)) {
        const auto free = db_.free_space();
        if (free && *free < resume_min_free_) {
            write_errors_.fetch_add(1, std::memory_order_relaxed);
            return make_error_code(store_errc::no_space);
        }
        const auto rs = db_.db().Resume();
        if (!rs.ok()) {
            write_errors_.fetch_add(1, std::memory_order_relaxed);
            note_severity(rs);
            report_resume_failure(rs, free);
            return to_error(rs);
        }
        resume_failure_reported_.reset();
        needs_resume_.store(false, std::memory_order_release);
        resumes_.fetch_add(1, std::memory_order_relaxed);
        resumed_ = true;
    }
    if (g.ops.empty() && g.record_count == 0) {
        return {};
    }
    // The low-space guard (commit_queue.hpp): refuse while RocksDB can still write, rather
    // than let a WAL append meet ENOSPC. A statfs per group; groups grow under load.
    if (const auto free = db_.free_space(); free && *free < stop_below_free_) {
        write_errors_.fetch_add(1, std::memory_order_relaxed);
        needs_resume_.store(true, std::memory_order_release);
        return make_error_code(store_errc::no_space);
    }
    // The group is applied atomically whatever the order of its operations, so they are
    // written sorted by (family, key): each memtable then sees ascending keys and its skiplist
    // insert reuses the previous position instead of searching from the top. The sort is
    // stable, which keeps the order of operations on the same key (put before merge, ...).
    std::stable_sort(g.ops.begin(), g.ops.end(), [](const op& a, const op& b) {
        if (a.cf != b.cf) {
            return a.cf < b.cf;
        }
        return a.key < b.key;
    });
    wb_.Clear();
    if (g.record_count > 0) {
        g.journal_key.clear();
        journal_key(g.journal_key, g.first_lsn);
        if (!wb_.Put(db_.cf(column_family::journal), slice(g.journal_key), slice(g.records)).ok()) {
            return make_error_code(store_errc::internal);
        }
    }
    for (const auto& o : g.ops) {
        auto* h = db_.cf(o.cf);
        rocksdb::Status s;
        switch (o.kind) {
            case op_kind::put: s = wb_.Put(h, slice(o.key), slice(o.value)); break;
            case op_kind::merge: s = wb_.Merge(h, slice(o.key), slice(o.value)); break;
            case op_kind::del: s = wb_.Delete(h, slice(o.key)); break;
            case op_kind::delete_range: s = wb_.DeleteRange(h, slice(o.key), slice(o.value)); break;
        }
        if (!s.ok()) {
            return make_error_code(store_errc::internal);
        }
    }
    rocksdb::WriteOptions wo;
    wo.sync = sync;
    const auto t0 = steady::now();
    const auto s = db_.db().Write(wo, &wb_);
    const auto took = micros(steady::now() - t0);
    write_latency_.observe(took);
    g.wrote = true;
    if (sync) {
        syncs_.fetch_add(1, std::memory_order_relaxed);
        sync_latency_.observe(took);
    }
    if (!s.ok()) {
        write_errors_.fetch_add(1, std::memory_order_relaxed);
        needs_resume_.store(true, std::memory_order_release);
        note_severity(s);
        return to_error(s);
    }
    operations_.fetch_add(wb_.Count(), std::memory_order_relaxed);
    bytes_.fetch_add(wb_.GetDataSize(), std::memory_order_relaxed);
    return {};
}

void committer::write_group(group& g) {
    const auto bad_log = make_error_code(store_errc::internal);
    g.results.assign(g.items.size(), std::error_code{});
    for (std::size_t i = 0; i < g.items.size(); ++i) {
        const auto sizes = std::array{g.ops.size(), g.fx.optouts.size(), g.fx.consents.size(),
                                      g.fx.holds.size(), g.fx.sends.size()};
        if (!translate(g, g.items[i])) {
            g.ops.resize(sizes[0]);
            g.fx.optouts.resize(sizes[1]);
            g.fx.consents.resize(sizes[2]);
            g.fx.holds.resize(sizes[3]);
            g.fx.sends.resize(sizes[4]);
            g.results[i] = bad_log;
        }
    }
    g.ec = write(g, mode_ != sync_mode::none);
    // Only a real write or a resume tells whether writes work (an empty group touches nothing
    // unless it resumed the DB, which flushes).
    if (g.wrote || g.ec || std::exchange(resumed_, false)) {
        note_writes(g.ec);
    }
    hooks_.written(g.records.size(), g.ec);
}

void committer::note_severity(const rocksdb::Status& s) noexcept {
    if (s.severity() >= rocksdb::Status::Severity::kFatalError) {
        needs_reopen_.store(true, std::memory_order_relaxed);
    }
}

void committer::report_resume_failure(const rocksdb::Status& s,
                                      std::optional<std::uint64_t> free) {
    constexpr auto every = std::chrono::seconds(10);
    const auto now = steady::now();
    const bool sticky = needs_reopen();
    if (!on_engine_log_ || (resume_failure_reported_ && now - *resume_failure_reported_ < every &&
                            sticky == reported_sticky_)) {
        return;
    }
    resume_failure_reported_ = now;
    reported_sticky_ = sticky;
    // Fatal and unrecoverable background errors are sticky in RocksDB: only reopening the DB
    // clears them, so the operator has to know that waiting for room will not help.
    const auto free_text = free ? std::to_string(*free) + " bytes" : std::string("unknown");
    try {
        on_engine_log_(engine_log_level::error,
                       "DB::Resume() failed with " + free_text + " free: " + s.ToString() +
                           (sticky ? " (a fatal error: writes stay refused until the store is "
                                     "reopened; nothing acknowledged is lost)"
                                   : " (tried again with the next write)"));
    } catch (...) {
        // A report must not take the writer down.
    }
}

void committer::note_writes(std::error_code ec) {
    const bool failing = static_cast<bool>(ec);
    if (failing_.exchange(failing, std::memory_order_relaxed) == failing || !on_writes_changed_) {
        return;
    }
    try {
        on_writes_changed_(ec, db_.free_space());
    } catch (...) {
        // A report must not take the writer down; the state itself is already recorded.
    }
}

void committer::complete(group& g) {
    hooks_.applied(g.fx, !g.ec);
    hooks_.records_completed(g.first_lsn, g.record_count, g.ec);
    const auto result_of = [&g](std::size_t i) { return g.results[i] ? g.results[i] : g.ec; };
    const auto now = steady::now();
    {
        // A group's counters and its commits' counters move together, under the lock fill()
        // takes, so that a metrics snapshot never counts a group without its commits or the
        // other way round (batch_size_sum == commit count at rest, and at any instant).
        std::lock_guard lock(completed_stats_mu_);
        if (g.wrote) {
            groups_.fetch_add(1, std::memory_order_relaxed);
        }
        group_size_.observe(g.items.size());
        record_bytes_.fetch_add(g.records.size(), std::memory_order_relaxed);
        for (std::size_t i = 0; i < g.items.size(); ++i) {
            commit_latency_.observe(micros(now - g.items[i].enqueued));
            (result_of(i) ? failed_ : committed_).fetch_add(1, std::memory_order_relaxed);
        }
    }
    for (std::size_t i = 0; i < g.items.size(); ++i) {
        run(g.items[i].done, result_of(i));
    }
}

void committer::fill(commit_stats& s) const {
    std::lock_guard lock(completed_stats_mu_);  // see complete()
    s.commits = commits_.load(std::memory_order_relaxed);
    s.committed = committed_.load(std::memory_order_relaxed);
    s.failed = failed_.load(std::memory_order_relaxed);
    s.rejected = rejected_.load(std::memory_order_relaxed);
    s.groups = groups_.load(std::memory_order_relaxed);
    s.syncs = syncs_.load(std::memory_order_relaxed);
    s.write_errors = write_errors_.load(std::memory_order_relaxed);
    s.resumes = resumes_.load(std::memory_order_relaxed);
    s.operations = operations_.load(std::memory_order_relaxed);
    s.bytes = bytes_.load(std::memory_order_relaxed);
    s.queue_depth = queue_depth_.load(std::memory_order_relaxed);
    s.journal_records = records_.load(std::memory_order_relaxed);
    s.journal_bytes = record_bytes_.load(std::memory_order_relaxed);
    s.group_size = group_size_.snapshot();
    s.commit_latency_us = commit_latency_.snapshot();
    s.write_latency_us = write_latency_.snapshot();
    s.sync_latency_us = sync_latency_.snapshot();
}

}  // namespace smppgw::store::detail
