#pragma once
// Per-second samples for the chart and the JSON report: counts and latency percentiles of each
// second of the run, merged over the worker threads.
//
// Each worker fills a `second_bucket` for the second it is in and hands it over when the second
// changes (or on its periodic timer). The timeline merges buckets under a mutex — once per second
// per worker, not per message — and finalises second s once every worker has moved past it.

#include <cstdint>
#include <map>
#include <mutex>
#include <vector>

#include "common/histogram.hpp"

namespace smppgw::bench::loadgen {

// Percentiles per second need less precision than the run's totals: 2^5 sub-buckets (3 %).
inline constexpr unsigned second_histogram_bits = 5;

struct second_bucket {
    std::int64_t second = 0;
    std::uint64_t submits = 0;
    std::uint64_t responses = 0;
    std::uint64_t errors = 0;
    std::uint64_t receipts = 0;
    histogram response_latency{second_histogram_bits};
    histogram receipt_latency{second_histogram_bits};

    void clear(std::int64_t s) noexcept {
        second = s;
        submits = responses = errors = receipts = 0;
        response_latency.reset();
        receipt_latency.reset();
    }
};

struct second_sample {
    std::int64_t second = 0;
    std::uint64_t submits = 0;
    std::uint64_t responses = 0;
    std::uint64_t errors = 0;
    std::uint64_t receipts = 0;
    double response_p50_ms = 0;
    double response_p99_ms = 0;
    double response_max_ms = 0;
    double receipt_p50_ms = 0;
    double receipt_p99_ms = 0;
};

class timeline {
public:
    explicit timeline(std::size_t workers);

    // Worker `w` is done with `b.second` (and every earlier second).
    void contribute(std::size_t w, const second_bucket& b);
    // Worker `w` has moved on to `second` without events in between.
    void advance(std::size_t w, std::int64_t second);
    // Finalises everything still pending (after the workers have stopped).
    void flush();

    [[nodiscard]] std::vector<second_sample> samples() const;

private:
    struct pending {
        second_bucket merged;
    };
    void finalise_ready();  // mutex held

    mutable std::mutex mutex_;
    std::vector<std::int64_t> watermark_;  // per worker: every second below is complete
    std::map<std::int64_t, pending> pending_;
    std::vector<second_sample> done_;
};

}  // namespace smppgw::bench::loadgen
