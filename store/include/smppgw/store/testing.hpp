#pragma once
// Test hooks: the write fault (production code leaves store_options::fault empty) and an
// in-memory journal for unit tests.

#include <atomic>
#include <cstdint>

namespace smppgw::store {

// While armed, every append, flush or sync of a file the store's RocksDB instance writes fails
// with IOStatus::NoSpace and the file system reports no free space: a full disk, as RocksDB
// sees it (creating files still works, as it usually does on a full ext4/xfs). With
// report_full(false) the free space stays the real one: the store's own low-space guard does
// not see the fault coming and the writes really reach RocksDB and fail there (an I/O error
// that is not about space, or a disk that filled faster than the guard looked).
class write_fault {
public:
    void arm() noexcept { armed_.store(true, std::memory_order_release); }
    void disarm() noexcept { armed_.store(false, std::memory_order_release); }
    [[nodiscard]] bool armed() const noexcept { return armed_.load(std::memory_order_acquire); }
    void report_full(bool on) noexcept { report_full_.store(on, std::memory_order_release); }
    [[nodiscard]] bool reports_full() const noexcept {
        return armed() && report_full_.load(std::memory_order_acquire);
    }

    void count_injected() noexcept { injected_.fetch_add(1, std::memory_order_relaxed); }
    [[nodiscard]] std::uint64_t injected() const noexcept {
        return injected_.load(std::memory_order_relaxed);
    }

private:
    std::atomic<bool> armed_{false};
    std::atomic<bool> report_full_{true};
    std::atomic<std::uint64_t> injected_{0};
};

}  // namespace smppgw::store

#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <system_error>
#include <vector>

#include "smppgw/store/batch.hpp"
#include "smppgw/store/journal.hpp"

namespace smppgw::store {

// A journal in memory, for unit tests of the components above the store: it keeps every
// record it is given and completes nothing until the test says so (complete()), the way the
// committer would once a group is durable — reporting the records to the listener (a
// live_state's group_completed) first, then running the completions in order.
class memory_journal final : public journal {
public:
    struct record {
        lsn_t lsn = 0;
        record_kind kind = record_kind::accepted;
        std::string payload;
    };

    lsn_t append(std::span<const record_ref> records, batch* extra, completion done) override {
        std::lock_guard lock(mutex_);
        const lsn_t first = next_;
        for (const auto& r : records) {
            records_.push_back({next_++, r.kind, std::string(r.payload)});
        }
        pending_.push_back({first, records.size(), extra != nullptr && !extra->empty(),
                            std::move(done)});
        return first;
    }

    [[nodiscard]] lsn_t next_lsn() const noexcept override {
        std::lock_guard lock(mutex_);
        return next_;
    }

    // Who hears about groups before their completions run (live_state::group_completed).
    void set_listener(std::function<void(lsn_t first, std::size_t count, std::error_code)> fn) {
        std::lock_guard lock(mutex_);
        listener_ = std::move(fn);
    }

    // Completes every append made so far, in order, with `ec`; returns how many.
    std::size_t complete(std::error_code ec = {}) {
        std::deque<waiting> now;
        std::function<void(lsn_t, std::size_t, std::error_code)> listener;
        {
            std::lock_guard lock(mutex_);
            now.swap(pending_);
            listener = listener_;
        }
        for (auto& p : now) {
            if (p.with_writes) {
                std::lock_guard lock(mutex_);
                ++with_writes_done_;
            }
            if (listener) {
                listener(p.first, p.count, ec);
            }
            if (p.done) {
                p.done(ec);
            }
        }
        return now.size();
    }

    [[nodiscard]] std::vector<record> records() const {
        std::lock_guard lock(mutex_);
        return records_;
    }
    // Appends that carried other writes (an `extra` batch) so far.
    [[nodiscard]] std::size_t appends_with_writes() const {
        std::lock_guard lock(mutex_);
        std::size_t n = with_writes_done_;
        for (const auto& p : pending_) {
            n += p.with_writes ? 1 : 0;
        }
        return n;
    }
    [[nodiscard]] std::size_t pending() const {
        std::lock_guard lock(mutex_);
        return pending_.size();
    }

private:
    struct waiting {
        lsn_t first = 0;
        std::size_t count = 0;
        bool with_writes = false;
        completion done;
    };
    mutable std::mutex mutex_;
    lsn_t next_ = 1;
    std::vector<record> records_;
    std::deque<waiting> pending_;
    std::size_t with_writes_done_ = 0;
    std::function<void(lsn_t, std::size_t, std::error_code)> listener_;
};

}  // namespace smppgw::store
