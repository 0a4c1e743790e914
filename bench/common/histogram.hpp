#pragma once
// A log-linear latency histogram in the spirit of HdrHistogram: fixed memory, O(1) record, exact
// merge, percentiles with a bounded relative error.
//
// Values below 2·2^sub_bucket_bits land in buckets of width 1; above that every power of two is
// split into 2^sub_bucket_bits buckets, so a reported percentile is never more than
// 1/2^sub_bucket_bits (0.8 % at the default 7) above the true value. Not thread-safe: one per
// thread, merged at the end, keeps recording free of atomics.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace smppgw::bench {

class histogram {
public:
    static constexpr unsigned default_sub_bucket_bits = 7;

    explicit histogram(unsigned sub_bucket_bits = default_sub_bucket_bits);

    void record(std::uint64_t value) noexcept { record_n(value, 1); }
    void record_n(std::uint64_t value, std::uint64_t n) noexcept;
    // Adds `other`'s counts; both must have the same sub_bucket_bits (false and unchanged if not).
    bool merge(const histogram& other) noexcept;
    void reset() noexcept;

    [[nodiscard]] std::uint64_t count() const noexcept { return count_; }
    [[nodiscard]] bool empty() const noexcept { return count_ == 0; }
    [[nodiscard]] std::uint64_t min() const noexcept { return count_ == 0 ? 0 : min_; }
    [[nodiscard]] std::uint64_t max() const noexcept { return max_; }
    [[nodiscard]] double mean() const noexcept;
    [[nodiscard]] unsigned sub_bucket_bits() const noexcept { return sub_bits_; }

    // The smallest recorded-bucket value v such that at least q·count values are <= v, reported
    // as the highest value of its bucket (clamped to [min, max]), as HdrHistogram does. q in
    // [0, 1]; 0 for an empty histogram.
    [[nodiscard]] std::uint64_t value_at_quantile(double q) const noexcept;

    // Bucket arithmetic, public for the tests.
    [[nodiscard]] std::size_t bucket_index(std::uint64_t value) const noexcept;
    [[nodiscard]] std::uint64_t bucket_lowest(std::size_t index) const noexcept;
    [[nodiscard]] std::uint64_t bucket_highest(std::size_t index) const noexcept;
    [[nodiscard]] std::size_t bucket_count() const noexcept { return counts_.size(); }

private:
    unsigned sub_bits_;
    std::uint64_t sub_count_;  // 2^sub_bits_
    std::vector<std::uint64_t> counts_;
    std::uint64_t count_ = 0;
    std::uint64_t min_ = UINT64_MAX;
    std::uint64_t max_ = 0;
    long double sum_ = 0;  // for the mean only; long double keeps ns sums over hours exact enough
};

}  // namespace smppgw::bench
