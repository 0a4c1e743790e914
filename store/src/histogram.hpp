#pragma once
// A lock-free histogram with power-of-two buckets: observe() is a few relaxed atomic adds, so
// the committer can record every group without slowing down.

#include <array>
#include <atomic>
#include <bit>
#include <cstdint>
#include <limits>

#include "smppgw/store/stats.hpp"

namespace smppgw::store::detail {

class histogram {
public:
    static constexpr std::size_t buckets = histogram_snapshot::buckets;

    void observe(std::uint64_t v) noexcept {
        const auto b = v <= 1 ? 0U : static_cast<unsigned>(std::bit_width(v - 1));
        counts_[b < buckets ? b : buckets - 1].fetch_add(1, std::memory_order_relaxed);
        sum_.fetch_add(v, std::memory_order_relaxed);
        count_.fetch_add(1, std::memory_order_relaxed);
    }

    [[nodiscard]] histogram_snapshot snapshot() const noexcept {
        histogram_snapshot s;
        for (std::size_t i = 0; i < buckets; ++i) {
            s.bounds[i] = i + 1 < buckets ? static_cast<double>(1ULL << i)
                                          : std::numeric_limits<double>::infinity();
            s.counts[i] = counts_[i].load(std::memory_order_relaxed);
        }
        s.sum = static_cast<double>(sum_.load(std::memory_order_relaxed));
        s.count = count_.load(std::memory_order_relaxed);
        return s;
    }

private:
    std::array<std::atomic<std::uint64_t>, buckets> counts_{};
    std::atomic<std::uint64_t> sum_{0};
    std::atomic<std::uint64_t> count_{0};
};

}  // namespace smppgw::store::detail
