#pragma once
// A hashed timing wheel: O(1) schedule, expiry in batches per tick. The simulator delays every
// submit_sm_resp and every receipt by a random amount; a heap would cost O(log n) per entry.
//
// Entries live in one pooled vector linked into per-slot lists (indices, not pointers), so
// memory follows the number of pending entries, not slots x the busiest slot's history, and
// steady-state scheduling does not touch the heap. Entries due beyond one revolution stay in
// their slot and are skipped until their tick comes.

#include <chrono>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

namespace smppgw::bench::sim {

template <typename T>
class timer_wheel {
public:
    using clock = std::chrono::steady_clock;

    timer_wheel(clock::time_point origin, std::chrono::nanoseconds resolution,
                std::size_t slots_pow2 = 4096)
        : origin_(origin), resolution_(resolution), slots_(slots_pow2), mask_(slots_pow2 - 1) {}

    void schedule(clock::time_point due, const T& item) {
        std::uint64_t tick = tick_of(due);
        if (tick < cursor_) {
            tick = cursor_;
        }
        const std::uint32_t n = allocate();
        pool_[n].due = tick;
        pool_[n].item = item;
        link(slots_[tick & mask_], n);
        ++size_;
    }

    // Calls f(item) for every item due at or before `now`, in tick order (FIFO within a tick).
    // f may schedule more.
    template <typename F>
    std::size_t expire(clock::time_point now, F&& f) {
        const std::uint64_t now_tick = tick_of(now);
        std::size_t fired = 0;
        while (cursor_ <= now_tick && size_ > 0) {
            list& slot = slots_[cursor_ & mask_];
            std::uint32_t n = slot.head;
            slot = {};
            while (n != none) {
                const std::uint32_t next = pool_[n].next;
                if (pool_[n].due <= cursor_) {
                    // Copy out first: f may schedule, and growing the pool moves the nodes.
                    T item = std::move(pool_[n].item);
                    release(n);
                    --size_;
                    ++fired;
                    f(item);
                } else {
                    link(slots_[cursor_ & mask_], n);  // a later revolution
                }
                n = next;
            }
            ++cursor_;
        }
        if (size_ == 0 && cursor_ <= now_tick) {
            cursor_ = now_tick + 1;
        }
        return fired;
    }

    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
    // The start of the next tick to process: when a timer should wake next if non-empty.
    [[nodiscard]] clock::time_point next_tick_time() const noexcept {
        return origin_ + resolution_ * static_cast<std::int64_t>(cursor_);
    }

private:
    static constexpr std::uint32_t none = std::numeric_limits<std::uint32_t>::max();

    struct node {
        std::uint64_t due = 0;
        std::uint32_t next = none;
        T item{};
    };
    struct list {
        std::uint32_t head = none;
        std::uint32_t tail = none;
    };

    [[nodiscard]] std::uint64_t tick_of(clock::time_point t) const noexcept {
        if (t <= origin_) {
            return 0;
        }
        return static_cast<std::uint64_t>((t - origin_) / resolution_);
    }

    std::uint32_t allocate() {
        if (free_ != none) {
            const std::uint32_t n = free_;
            free_ = pool_[n].next;
            return n;
        }
        pool_.emplace_back();
        return static_cast<std::uint32_t>(pool_.size() - 1);
    }
    void release(std::uint32_t n) noexcept {
        pool_[n].next = free_;
        free_ = n;
    }
    void link(list& l, std::uint32_t n) noexcept {
        pool_[n].next = none;
        if (l.tail == none) {
            l.head = l.tail = n;
        } else {
            pool_[l.tail].next = n;
            l.tail = n;
        }
    }

    clock::time_point origin_;
    std::chrono::nanoseconds resolution_;
    std::vector<list> slots_;
    std::vector<node> pool_;
    std::uint32_t free_ = none;
    std::uint64_t mask_;
    std::uint64_t cursor_ = 0;  // next tick to process
    std::size_t size_ = 0;
};

}  // namespace smppgw::bench::sim
