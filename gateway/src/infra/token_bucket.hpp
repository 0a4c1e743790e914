#pragma once
// A token bucket for message rates. Not thread-safe: each owner (a bind, an account's admission
// on one thread) has its own, or guards it. A rate of 0 means unlimited.

#include <algorithm>
#include <chrono>

namespace smppgw::gateway {

class token_bucket {
public:
    using clock = std::chrono::steady_clock;

    token_bucket() = default;
    // Burst defaults to one second of traffic (at least one token).
    explicit token_bucket(double rate, double burst = 0) { reset(rate, burst); }

    void reset(double rate, double burst = 0) {
        rate_ = rate;
        burst_ = burst > 0 ? burst : std::max(1.0, rate);
        tokens_ = burst_;
        last_ = clock::now();
    }

    [[nodiscard]] bool unlimited() const noexcept { return rate_ <= 0; }
    [[nodiscard]] double rate() const noexcept { return rate_; }

    // Takes one token if there is one.
    [[nodiscard]] bool try_take(clock::time_point now = clock::now()) noexcept {
        if (unlimited()) {
            return true;
        }
        refill(now);
        if (tokens_ >= 1.0) {
            tokens_ -= 1.0;
            return true;
        }
        return false;
    }

    // How long until a token is available (zero when one is).
    [[nodiscard]] clock::duration wait_time(clock::time_point now = clock::now()) noexcept {
        if (unlimited()) {
            return clock::duration::zero();
        }
        refill(now);
        if (tokens_ >= 1.0) {
            return clock::duration::zero();
        }
        return std::chrono::duration_cast<clock::duration>(
            std::chrono::duration<double>((1.0 - tokens_) / rate_));
    }

private:
    void refill(clock::time_point now) noexcept {
        const double elapsed = std::chrono::duration<double>(now - last_).count();
        last_ = now;
        tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
    }

    double rate_ = 0;
    double burst_ = 1;
    double tokens_ = 1;
    clock::time_point last_{};
};

}  // namespace smppgw::gateway
