#pragma once
// Latency distributions for the simulator's ack and receipt delays.
//
//   "0", "20ms"                 fixed
//   "uniform:10ms:50ms"         uniform between the two bounds
//   "lognormal:20ms:200ms"      log-normal with median 20 ms and 99th percentile 200 ms, the
//                               long right tail real carrier links show; capped at 10x the p99
//                               so a single draw cannot stall a run

#include <chrono>
#include <string>
#include <string_view>

#include "common/rng.hpp"

namespace smppgw::bench::sim {

class latency_spec {
public:
    enum class kind { fixed, uniform, lognormal };

    latency_spec() = default;
    static latency_spec fixed(std::chrono::nanoseconds d);
    // Throws usage_error naming `what` (the option) on a bad spec.
    static latency_spec parse(std::string_view text, std::string_view what);

    [[nodiscard]] std::chrono::nanoseconds sample(rng& r) const noexcept;
    [[nodiscard]] bool is_zero() const noexcept { return kind_ == kind::fixed && a_.count() == 0; }
    [[nodiscard]] std::string describe() const;

private:
    kind kind_ = kind::fixed;
    std::chrono::nanoseconds a_{0};  // fixed value, uniform low bound, lognormal median
    std::chrono::nanoseconds b_{0};  // uniform high bound, lognormal p99
    double mu_ = 0;                  // lognormal: ln(median)
    double sigma_ = 0;               // lognormal: ln(p99/median) / z(0.99)
};

}  // namespace smppgw::bench::sim
