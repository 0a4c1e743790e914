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
      resume_min_free_(opts.resume_min_free_bytes) {
    thread_ = std::thread([this] { run(); });
    thread_id_ = thread_.get_id();
}

committer::~committer() {
    stop();
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
    // The committer waits for the first batch, then (batch/none) for the group to fill or its
    // deadline; only those two moments need a wake-up.
    const bool wake = n == 1 || n == max_commits_ || queued_bytes_ >= max_bytes_;
    lk.unlock();
    if (wake) {
        cv_.notify_one();
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
    cv_.notify_one();
    if (thread_.joinable()) {
        thread_.join();
    }
}

void committer::run() {
    pthread_setname_np(pthread_self(), "smppgw-commit");
    std::vector<item> group;
    std::unique_lock lk(mu_);
    for (;;) {
        cv_.wait(lk, [&] { return !queue_.empty() || stopping_; });
        if (queue_.empty()) {
            break;  // stopping and drained
        }
        if (mode_ != sync_mode::always && max_delay_.count() > 0) {
            const auto deadline = queue_.front().enqueued + max_delay_;
            while (!stopping_ && queue_.size() < max_commits_ && queued_bytes_ < max_bytes_) {
                if (cv_.wait_until(lk, deadline) == std::cv_status::timeout) {
                    break;
                }
            }
        }
        take(group);
        lk.unlock();
        process(group);
        group.clear();
        lk.lock();
    }
}

void committer::take(std::vector<item>& group) {
    std::size_t n = 0;
    std::size_t bytes = 0;
    const std::size_t limit = mode_ == sync_mode::always ? queue_.size() : max_commits_;
    while (n < queue_.size() && n < limit) {
        const auto sz = queue_[n].b.byte_size();
        if (n > 0 && mode_ != sync_mode::always && bytes + sz > max_bytes_) {
            break;
        }
        bytes += sz;
        ++n;
    }
    if (n == queue_.size()) {
        group.swap(queue_);
    } else {
        group.reserve(n);
        for (std::size_t i = 0; i < n; ++i) {
            group.push_back(std::move(queue_[i]));
        }
        queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
    }
    queued_bytes_ -= bytes;
    queue_depth_.store(queue_.size(), std::memory_order_relaxed);
}

bool committer::translate(const item& it) {
    op_reader r{batch_access::log(it.b)};
    op o;
    while (r.next(o)) {
        switch (o.kind) {
            case op_kind::put:
                ops_.push_back(o);
                if (o.cf == column_family::optouts && o.key.front() == optout_active_tag) {
                    fx_.optouts.push_back({o.key, o.value, true});
                }
                break;
            case op_kind::merge:
                ops_.push_back(o);
                if (o.cf == column_family::consents && o.key.front() == consent_state_tag) {
                    fx_.consents.push_back({o.key, o.value});
                }
                break;
            case op_kind::del:
                ops_.push_back(o);
                if (o.cf == column_family::optouts && o.key.front() == optout_active_tag) {
                    fx_.optouts.push_back({o.key, {}, false});
                }
                break;
            case op_kind::outbox_append: {
                const auto kind = outbox_value_kind(o.value);
                if (!kind) {
                    return false;
                }
                const auto seq = hooks_.assign_outbox_seq(o.key);
                outbox_key(arena_.emplace_back(), o.key, seq);
                ops_.push_back(op{column_family::outbox, op_kind::put, arena_.back(), o.value});
                fx_.appends.push_back({o.key, seq, *kind});
                auto last = std::find_if(last_seq_.begin(), last_seq_.end(),
                                         [&](const auto& p) { return p.first == o.key; });
                if (last == last_seq_.end()) {
                    last_seq_.emplace_back(o.key, seq);
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
                outbox_key(arena_.emplace_back(), o.key, seq);
                ops_.push_back(op{column_family::outbox, op_kind::del, arena_.back(), {}});
                fx_.acks.push_back({o.key, seq});
                break;
            }
        }
    }
    return r.ok();
}

void committer::reset_group() {
    ops_.clear();
    arena_.clear();
    fx_.clear();
    last_seq_.clear();
}

std::error_code committer::write(bool sync) {
    if (needs_resume_) {
        if (const auto free = db_.free_space(); free && *free < resume_min_free_) {
            write_errors_.fetch_add(1, std::memory_order_relaxed);
            return make_error_code(store_errc::no_space);
        }
        const auto rs = db_.db().Resume();
        if (!rs.ok()) {
            write_errors_.fetch_add(1, std::memory_order_relaxed);
            return to_error(rs);
        }
        needs_resume_ = false;
        resumes_.fetch_add(1, std::memory_order_relaxed);
    }
    // Each account's highest sequence assigned in this group.
    for (const auto& [account, seq] : last_seq_) {
        outbox_seq_key(arena_.emplace_back(), account);
        auto& value = arena_.emplace_back();
        put_be64(value, seq);
        ops_.push_back(op{column_family::outbox, op_kind::put, arena_[arena_.size() - 2], value});
    }
    if (ops_.empty()) {
        return {};
    }
    // The group is applied atomically whatever the order of its operations, so they are
    // written sorted by (family, key): each memtable then sees ascending keys and its skiplist
    // insert reuses the previous position instead of searching from the top. The sort is
    // stable, which keeps the order of operations on the same key (put before merge, ...).
    std::stable_sort(ops_.begin(), ops_.end(), [](const op& a, const op& b) {
        if (a.cf != b.cf) {
            return a.cf < b.cf;
        }
        return a.key < b.key;
    });
    wb_.Clear();
    for (const auto& o : ops_) {
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
    groups_.fetch_add(1, std::memory_order_relaxed);
    if (sync) {
        syncs_.fetch_add(1, std::memory_order_relaxed);
    }
    if (!s.ok()) {
        write_errors_.fetch_add(1, std::memory_order_relaxed);
        needs_resume_ = true;
        return to_error(s);
    }
    operations_.fetch_add(wb_.Count(), std::memory_order_relaxed);
    bytes_.fetch_add(wb_.GetDataSize(), std::memory_order_relaxed);
    return {};
}

void committer::process(std::vector<item>& group) {
    const auto bad_log = make_error_code(store_errc::internal);
    if (mode_ == sync_mode::always) {
        for (auto& it : group) {
            reset_group();
            std::error_code ec;
            if (!translate(it)) {
                ec = bad_log;
            } else {
                ec = write(true);
                hooks_.applied(fx_, !ec);
            }
            group_size_.observe(1);
            finish(it, ec, steady::now());
        }
        return;
    }

    reset_group();
    std::vector<bool> bad(group.size(), false);
    for (std::size_t i = 0; i < group.size(); ++i) {
        const auto sizes = std::array{ops_.size(), fx_.optouts.size(), fx_.consents.size(),
                                      fx_.appends.size(), fx_.acks.size()};
        if (!translate(group[i])) {
            ops_.resize(sizes[0]);
            fx_.optouts.resize(sizes[1]);
            fx_.consents.resize(sizes[2]);
            fx_.appends.resize(sizes[3]);
            fx_.acks.resize(sizes[4]);
            bad[i] = true;
        }
    }
    const auto ec = write(mode_ == sync_mode::batch);
    hooks_.applied(fx_, !ec);
    group_size_.observe(group.size());
    const auto now = steady::now();
    for (std::size_t i = 0; i < group.size(); ++i) {
        finish(group[i], bad[i] ? bad_log : ec, now);
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
}

}  // namespace smppgw::store::detail
