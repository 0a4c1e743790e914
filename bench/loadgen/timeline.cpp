#include "loadgen/timeline.hpp"

#include <algorithm>

namespace smppgw::bench::loadgen {
namespace {

double ms(std::uint64_t ns) {
    return static_cast<double>(ns) / 1e6;
}

second_sample to_sample(const second_bucket& b) {
    second_sample s;
    s.second = b.second;
    s.submits = b.submits;
    s.responses = b.responses;
    s.errors = b.errors;
    s.receipts = b.receipts;
    s.response_p50_ms = ms(b.response_latency.value_at_quantile(0.50));
    s.response_p99_ms = ms(b.response_latency.value_at_quantile(0.99));
    s.response_max_ms = ms(b.response_latency.max());
    s.receipt_p50_ms = ms(b.receipt_latency.value_at_quantile(0.50));
    s.receipt_p99_ms = ms(b.receipt_latency.value_at_quantile(0.99));
    return s;
}

}  // namespace

timeline::timeline(std::size_t workers) : watermark_(workers, 0) {}

void timeline::contribute(std::size_t w, const second_bucket& b) {
    const std::lock_guard lock(mutex_);
    auto [it, inserted] = pending_.try_emplace(b.second);
    if (inserted) {
        it->second.merged.clear(b.second);
    }
    auto& m = it->second.merged;
    m.submits += b.submits;
    m.responses += b.responses;
    m.errors += b.errors;
    m.receipts += b.receipts;
    (void)m.response_latency.merge(b.response_latency);
    (void)m.receipt_latency.merge(b.receipt_latency);
    watermark_[w] = std::max(watermark_[w], b.second + 1);
    finalise_ready();
}

void timeline::advance(std::size_t w, std::int64_t second) {
    const std::lock_guard lock(mutex_);
    watermark_[w] = std::max(watermark_[w], second);
    finalise_ready();
}

void timeline::finalise_ready() {
    const std::int64_t ready = *std::min_element(watermark_.begin(), watermark_.end());
    // Seconds nobody reported are gaps: emit them as empty samples so the chart's x axis is
    // continuous.
    const std::int64_t first_missing = done_.empty() ? 0 : done_.back().second + 1;
    for (std::int64_t s = first_missing; s < ready; ++s) {
        auto it = pending_.find(s);
        if (it != pending_.end()) {
            done_.push_back(to_sample(it->second.merged));
            pending_.erase(it);
        } else {
            second_sample empty;
            empty.second = s;
            done_.push_back(empty);
        }
    }
}

void timeline::flush() {
    const std::lock_guard lock(mutex_);
    for (auto& [second, p] : pending_) {
        if (!done_.empty() && second <= done_.back().second) {
            continue;
        }
        const std::int64_t first_missing = done_.empty() ? 0 : done_.back().second + 1;
        for (std::int64_t s = first_missing; s < second; ++s) {
            second_sample empty;
            empty.second = s;
            done_.push_back(empty);
        }
        done_.push_back(to_sample(p.merged));
    }
    pending_.clear();
}

std::vector<second_sample> timeline::samples() const {
    const std::lock_guard lock(mutex_);
    return done_;
}

}  // namespace smppgw::bench::loadgen
