#pragma once
// The generator's results and their three renderings: a human table, JSON, and an SVG chart
// (svg_chart.hpp). Pure functions of the data, so tests can check them without a network.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/histogram.hpp"
#include "common/process_stats.hpp"
#include "loadgen/gen_config.hpp"
#include "loadgen/timeline.hpp"

namespace smppgw::bench::loadgen {

struct latency_summary {
    std::uint64_t count = 0;
    double p50_ms = 0;
    double p90_ms = 0;
    double p99_ms = 0;
    double p999_ms = 0;
    double max_ms = 0;
    double mean_ms = 0;
};

[[nodiscard]] latency_summary summarize(const histogram& h);

struct run_report {
    std::string label;
    std::string target;  // host:port
    std::string bind_mode;
    std::size_t binds = 0;
    std::size_t connections = 0;
    std::size_t window = 0;
    std::size_t threads = 0;
    double target_rate = 0;
    bool receipts_requested = false;
    std::string started_at;  // UTC, ISO 8601

    double send_seconds = 0;   // first submit to last response
    double total_seconds = 0;  // first submit to the end of the receipt drain
    std::uint64_t messages = 0;
    std::uint64_t submits = 0;
    std::uint64_t responses = 0;
    std::uint64_t responses_ok = 0;
    std::uint64_t errors = 0;                               // error status or no response
    std::map<std::string, std::uint64_t> errors_by_status;  // status name, or failure reason
    std::uint64_t receipts_expected = 0;
    std::uint64_t receipts_received = 0;
    std::uint64_t receipts_matched = 0;
    std::uint64_t receipts_intermediate = 0;
    std::uint64_t receipts_unmatched = 0;  // unknown id or duplicate
    double receipt_seconds = 0;            // first submit to the last receipt
    bool drain_complete = true;
    std::map<std::string, std::uint64_t> receipts_by_state;
    std::uint64_t mo_received = 0;
    std::uint64_t reconnects = 0;
    std::uint64_t optout_sent = 0;
    std::uint64_t optout_rejected = 0;
    std::uint64_t promo_sent = 0;

    latency_summary response_latency;
    latency_summary receipt_latency;
    process_usage usage;
    double loadavg_start = 0;
    double loadavg_end = 0;
    std::vector<second_sample> timeline;

    [[nodiscard]] double submits_per_second() const noexcept {
        return send_seconds > 0 ? static_cast<double>(submits) / send_seconds : 0;
    }
    [[nodiscard]] double responses_per_second() const noexcept {
        return send_seconds > 0 ? static_cast<double>(responses) / send_seconds : 0;
    }
    [[nodiscard]] double receipts_per_second() const noexcept {
        return receipt_seconds > 0 ? static_cast<double>(receipts_matched) / receipt_seconds : 0;
    }
};

[[nodiscard]] std::string format_table(const run_report& r);
[[nodiscard]] std::string format_json(const run_report& r);

// The 1-minute load average from /proc/loadavg (0 if unreadable).
[[nodiscard]] double read_loadavg();

}  // namespace smppgw::bench::loadgen
