#pragma once
// The store's notion of "now": message ids, retention (compaction filters) and frequency windows
// all read it, so tests can move time instead of sleeping.

#include <atomic>
#include <chrono>
#include <memory>

#include "smppgw/policy/records.hpp"

namespace smppgw::store {

using policy::time_point;

class clock {
public:
    virtual ~clock() = default;
    [[nodiscard]] virtual time_point now() const noexcept = 0;
};

// std::chrono::system_clock truncated to milliseconds.
[[nodiscard]] std::shared_ptr<const clock> system_clock();

// A clock that only moves when told to. Thread-safe.
class manual_clock final : public clock {
public:
    explicit manual_clock(time_point start) noexcept : ms_(start.time_since_epoch().count()) {}

    [[nodiscard]] time_point now() const noexcept override {
        return time_point{std::chrono::milliseconds{ms_.load(std::memory_order_acquire)}};
    }
    void set(time_point t) noexcept {
        ms_.store(t.time_since_epoch().count(), std::memory_order_release);
    }
    void advance(std::chrono::milliseconds d) noexcept {
        ms_.fetch_add(d.count(), std::memory_order_acq_rel);
    }

private:
    std::atomic<std::chrono::milliseconds::rep> ms_;
};

}  // namespace smppgw::store
