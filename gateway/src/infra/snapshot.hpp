#pragma once
// An immutable value swapped whole: readers take the current one without a mutex (the
// configuration, the policy engine, the route table), a reload publishes a new one, and
// in-flight readers keep the old one alive until they let go.
//
// Thread rule: any thread, for load() and store().

#include <atomic>
#include <memory>

namespace smppgw::gateway {

template <typename T>
class snapshot {
public:
    snapshot() = default;
    explicit snapshot(std::shared_ptr<const T> v) : current_(std::move(v)) {}

    [[nodiscard]] std::shared_ptr<const T> load() const noexcept {
        return current_.load(std::memory_order_acquire);
    }
    void store(std::shared_ptr<const T> v) noexcept {
        current_.store(std::move(v), std::memory_order_release);
    }

private:
    std::atomic<std::shared_ptr<const T>> current_;
};

}  // namespace smppgw::gateway
