#include "common/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace smppgw::bench {

histogram::histogram(unsigned sub_bucket_bits)
    : sub_bits_(std::clamp(sub_bucket_bits, 1U, 16U)), sub_count_(std::uint64_t{1} << sub_bits_) {
    counts_.assign(bucket_index(UINT64_MAX) + 1, 0);
}

std::size_t histogram::bucket_index(std::uint64_t value) const noexcept {
    // e = how many low bits the bucket ignores; 0 while the value has at most sub_bits+1 bits.
    const auto width = static_cast<unsigned>(std::bit_width(value));
    const unsigned e = width > sub_bits_ + 1 ? width - (sub_bits_ + 1) : 0;
    return static_cast<std::size_t>(e * sub_count_ + (value >> e));
}

std::uint64_t histogram::bucket_lowest(std::size_t index) const noexcept {
    const std::uint64_t i = index;
    const std::uint64_t e = i < 2 * sub_count_ ? 0 : i / sub_count_ - 1;
    return (i - e * sub_count_) << e;
}

std::uint64_t histogram::bucket_highest(std::size_t index) const noexcept {
    const std::uint64_t i = index;
    const std::uint64_t e = i < 2 * sub_count_ ? 0 : i / sub_count_ - 1;
    return bucket_lowest(index) + ((std::uint64_t{1} << e) - 1);
}

void histogram::record_n(std::uint64_t value, std::uint64_t n) noexcept {
    if (n == 0) {
        return;
    }
    counts_[bucket_index(value)] += n;
    count_ += n;
    min_ = std::min(min_, value);
    max_ = std::max(max_, value);
    sum_ += static_cast<long double>(value) * static_cast<long double>(n);
}

bool histogram::merge(const histogram& other) noexcept {
    if (other.sub_bits_ != sub_bits_) {
        return false;
    }
    if (other.count_ == 0) {
        return true;
    }
    for (std::size_t i = 0; i < counts_.size(); ++i) {
        counts_[i] += other.counts_[i];
    }
    count_ += other.count_;
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
    sum_ += other.sum_;
    return true;
}

void histogram::reset() noexcept {
    if (count_ == 0) {
        return;
    }
    std::fill(counts_.begin(), counts_.end(), 0);
    count_ = 0;
    min_ = UINT64_MAX;
    max_ = 0;
    sum_ = 0;
}

double histogram::mean() const noexcept {
    return count_ == 0 ? 0.0 : static_cast<double>(sum_ / static_cast<long double>(count_));
}

std::uint64_t histogram::value_at_quantile(double q) const noexcept {
    if (count_ == 0) {
        return 0;
    }
    q = std::clamp(q, 0.0, 1.0);
    // Rank of the value asked for, 1-based; at least 1 so q = 0 gives the minimum.
    auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_)));
    rank = std::clamp<std::uint64_t>(rank, 1, count_);
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
        seen += counts_[i];
        if (seen >= rank) {
            return std::clamp(bucket_highest(i), min_, max_);
        }
    }
    return max_;
}

}  // namespace smppgw::bench
