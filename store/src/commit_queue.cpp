#include "commit_queue.hpp"

#include <pthread.h>

#include <algorithm>
#include <array>
#include <future>

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

void run_callback(commit_callback& cb, std::error_code ec) noexcept {
    if (!cb) {
        return;
    }
    try {
        cb(ec);
    } catch (...) {
        // A throwing callback must not take the committer down with it; the gateway's own
        // callbacks never throw, this guards against test code and future mistakes.
    }
}

}  // namespace

committer::committer(database& db, const store_options& opts, commit_hooks& hooks)
    : db_(db),
      hooks_(hooks),
      mode_(opts.sync),
      max_delay_(opts.group_max_delay),
      max_commits_(std::max<std::size_t>(1, opts.group_max_commits)),
      max_bytes_(std::max<std::size_t>(1, opts.group_max_bytes)),
      max_queued_(std::max<std::size_t>(1, opts.max_queued_commits)),
      resume_min_free_(opts.resume_min_free_bytes),
      max_in_flight_(std::max<std::size_t>(2, opts.commit_pipeline_depth)) {
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
    results.clear();
    ops.clear();
    arena.clear();
    fx.clear();
    last_seq.clear();
    ec.clear();
    wants_sync = false;
    wrote = false;
}

void committer::submit(batch&& b, commit_callback cb) {
    commits_.fetch_add(1, std::memory_order_relaxed);
    auto refuse = [&](std::error_code ec) {
        rejected_.fetch_add(1, std::memory_order_relaxed);
        failed_.fetch_add(1, std::memory_order_relaxed);
        run_callback(cb, ec);
    };
    if (b.error()) {
        refuse(b.error());
        return;
    }
    const auto now = steady::now();
    const auto size = b.byte_size();
    std::unique_lock lk(mu_);
    if (stopping_) {
        lk.unlock();
        refuse(make_error_code(store_errc::closed));
        return;
    }
    if (queue_.size() >= max_queued_) {
        lk.unlock();
        refuse(make_error_code(store_errc::queue_full));
        return;
    }
    queue_.push_back(item{std::move(b), std::move(cb), now});
    queued_bytes_ += size;
    const auto n = queue_.size();
    queue_depth_.store(n, std::memory_order_relaxed);
    // The writer waits for the first batch, then (batch/none) for the group to fill or its
    // deadline; only those two moments need a wake-up.
    const bool wake = n == 1 || n == max_commits_ || queued_bytes_ >= max_bytes_;
    lk.unlock();
    if (wake) {
        writer_cv_.notify_one();
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
        take(g->items);
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
        // One sync covers every group written so far, the ones taken here included.
        const bool wants_sync = std::any_of(ready.begin(), ready.end(), [](const auto& g) {
            return !g->ec && g->wants_sync;
        });
        const auto sync_ec = wants_sync ? sync_wal() : std::error_code{};
        for (auto& g : ready) {
            if (!g->ec && g->wants_sync) {
                g->ec = sync_ec;
            }
            complete(*g);
            g->reset();
        }
        lk.lock();
        in_flight_ -= ready.size();
        for (auto& g : ready) {
            spare_.push_back(std::move(g));
        }
        ready.clear();
        writer_cv_.notify_one();
    }
}

void committer::take(std::vector<item>& into) {
    std::size_t n = 0;
    std::size_t bytes = 0;
    // `always` syncs each batch on its own: one batch per group.
    const std::size_t limit = mode_ == sync_mode::always ? 1 : max_commits_;
    while (n < queue_.size() && n < limit) {
        const auto sz = queue_[n].b.byte_size();
        if (n > 0 && bytes + sz > max_bytes_) {
            break;
        }
        bytes += sz;
        ++n;
    }
    if (n == queue_.size()) {
        into.swap(queue_);
    } else {
        into.reserve(n);
        for (std::size_t i = 0; i < n; ++i) {
            into.push_back(std::move(queue_[i]));
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
        switch (o.kind) {
            case op_kind::put:
                g.ops.push_back(o);
                if (o.cf == column_family::optouts && o.key.front() == optout_active_tag) {
                    g.fx.optouts.push_back({o.key, o.value, true});
                }
                break;
            case op_kind::merge:
                g.ops.push_back(o);
                if (o.cf == column_family::consents && o.key.front() == consent_state_tag) {
                    g.fx.consents.push_back({o.key, o.value});
                }
                break;
            case op_kind::del:
                g.ops.push_back(o);
                if (o.cf == column_family::optouts && o.key.front() == optout_active_tag) {
                    g.fx.optouts.push_back({o.key, {}, false});
                }
                break;
            case op_kind::outbox_append: {
                const auto kind = outbox_value_kind(o.value);
                if (!kind) {
                    return false;
                }
                const auto seq = hooks_.assign_outbox_seq(o.key);
                outbox_key(g.arena.emplace_back(), o.key, seq);
                g.ops.push_back(op{column_family::outbox, op_kind::put, g.arena.back(), o.value});
                g.fx.appends.push_back({o.key, seq, *kind});
                auto last = std::find_if(g.last_seq.begin(), g.last_seq.end(),
                                         [&](const auto& p) { return p.first == o.key; });
                if (last == g.last_seq.end()) {
                    g.last_seq.emplace_back(o.key, seq);
                } else {
                    last->second = seq;
                }
                break;
            }
            case op_kind::outbox_ack: {
                if (o.value.size() != 8) {
                    return false;
                }
                const auto seq = get_be64(o.value.data());
                outbox_key(g.arena.emplace_back(), o.key, seq);
                g.ops.push_back(op{column_family::outbox, op_kind::del, g.arena.back(), {}});
                g.fx.acks.push_back({o.key, seq});
                break;
            }
        }
    }
    return r.ok();
}

std::error_code committer::write(group& g, bool sync) {
    if (needs_resume_.load(std::memory_order_acquire)) {
        if (const auto free = db_.free_space(); free && *free < resume_min_free_) {
            write_errors_.fetch_add(1, std::memory_order_relaxed);
            return make_error_code(store_errc::no_space);
        }
        const auto rs = db_.db().Resume();
        if (!rs.ok()) {
            write_errors_.fetch_add(1, std::memory_order_relaxed);
            return to_error(rs);
        }
        needs_resume_.store(false, std::memory_order_release);
        resumes_.fetch_add(1, std::memory_order_relaxed);
    }
    // Each account's highest sequence assigned in this group.
    for (const auto& [account, seq] : g.last_seq) {
        outbox_seq_key(g.arena.emplace_back(), account);
        auto& value = g.arena.emplace_back();
        put_be64(value, seq);
        g.ops.push_back(
            op{column_family::outbox, op_kind::put, g.arena[g.arena.size() - 2], value});
    }
    if (g.ops.empty()) {
        return {};
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
    for (const auto& o : g.ops) {
        auto* h = db_.cf(o.cf);
        rocksdb::Status s;
        switch (o.kind) {
            case op_kind::put:
                s = wb_.Put(h, slice(o.key), slice(o.value));
                break;
            case op_kind::merge:
                s = wb_.Merge(h, slice(o.key), slice(o.value));
                break;
            default:
                s = wb_.Delete(h, slice(o.key));
                break;
        }
        if (!s.ok()) {
            return make_error_code(store_errc::internal);
        }
    }
    rocksdb::WriteOptions wo;
    wo.sync = sync;
    const auto t0 = steady::now();
    const auto s = db_.db().Write(wo, &wb_);
    write_latency_.observe(micros(steady::now() - t0));
    g.wrote = true;
    if (sync) {
        syncs_.fetch_add(1, std::memory_order_relaxed);
    }
    if (!s.ok()) {
        write_errors_.fetch_add(1, std::memory_order_relaxed);
        needs_resume_.store(true, std::memory_order_release);
        return to_error(s);
    }
    operations_.fetch_add(wb_.Count(), std::memory_order_relaxed);
    bytes_.fetch_add(wb_.GetDataSize(), std::memory_order_relaxed);
    return {};
}

std::error_code committer::sync_wal() {
    const auto t0 = steady::now();
    const auto s = db_.db().SyncWAL();
    sync_latency_.observe(micros(steady::now() - t0));
    syncs_.fetch_add(1, std::memory_order_relaxed);
    if (!s.ok()) {
        write_errors_.fetch_add(1, std::memory_order_relaxed);
        needs_resume_.store(true, std::memory_order_release);
        return to_error(s);
    }
    return {};
}

void committer::write_group(group& g) {
    const auto bad_log = make_error_code(store_errc::internal);
    g.results.assign(g.items.size(), std::error_code{});
    for (std::size_t i = 0; i < g.items.size(); ++i) {
        const auto sizes = std::array{g.ops.size(), g.fx.optouts.size(), g.fx.consents.size(),
                                      g.fx.appends.size(), g.fx.acks.size()};
        if (!translate(g, g.items[i])) {
            g.ops.resize(sizes[0]);
            g.fx.optouts.resize(sizes[1]);
            g.fx.consents.resize(sizes[2]);
            g.fx.appends.resize(sizes[3]);
            g.fx.acks.resize(sizes[4]);
            g.results[i] = bad_log;
        }
    }
    // `always` syncs in the write itself, one batch per group; `batch` leaves the sync to the
    // completion thread, which overlaps it with the next group's write.
    g.ec = write(g, mode_ == sync_mode::always);
    g.wants_sync = mode_ == sync_mode::batch && !g.ops.empty();
}

void committer::complete(group& g) {
    // The group counters move on this thread, just before the commit counters of the same
    // group (finish), so that a metrics snapshot taken while a group is in the pipeline does
    // not count its writes without its commits.
    if (g.wrote) {
        groups_.fetch_add(1, std::memory_order_relaxed);
    }
    group_size_.observe(g.items.size());
    hooks_.applied(g.fx, !g.ec);
    const auto now = steady::now();
    for (std::size_t i = 0; i < g.items.size(); ++i) {
        finish(g.items[i], g.results[i] ? g.results[i] : g.ec, now);
    }
}

void committer::finish(item& it, std::error_code ec, steady::time_point now) {
    commit_latency_.observe(micros(now - it.enqueued));
    (ec ? failed_ : committed_).fetch_add(1, std::memory_order_relaxed);
    run_callback(it.cb, ec);
}

void committer::fill(commit_stats& s) const {
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
    s.group_size = group_size_.snapshot();
    s.commit_latency_us = commit_latency_.snapshot();
    s.write_latency_us = write_latency_.snapshot();
    s.sync_latency_us = sync_latency_.snapshot();
}

}  // namespace smppgw::store::detail
