#pragma once
// Counters of one simulator thread. Written only by that thread (relaxed atomics, one cache line
// block per thread, so no sharing on the hot path) and summed by whoever prints the stats line.

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace smppgw::bench::sim {

struct alignas(64) sim_stats {
    using counter = std::atomic<std::uint64_t>;

    counter connections{0};
    counter binds_tx{0};
    counter binds_rx{0};
    counter binds_trx{0};
    counter bind_failures{0};
    counter injected_disconnects{0};

    counter submit_sm{0};
    counter data_sm{0};
    counter submit_multi{0};
    counter other_requests{0};
    // Responses we sent to submits, by command_status: index = status for 0x00-0xFE, 0xFF = any
    // other (we only emit a handful of codes).
    std::array<counter, 256> responses{};
    counter slow_responses{0};
    counter garbage_sent{0};
    counter recorded{0};

    counter receipts_scheduled{0};
    counter receipts_sent{0};
    counter receipts_acked{0};
    counter receipts_retried{0};  // error response, timeout or lost connection: queued again
    counter mo_sent{0};
    counter mo_acked{0};
    counter mo_retried{0};
    counter mo_skipped{0};  // no receiver bound anywhere and no --mo-system-id to queue for

    // Gauges, refreshed on each tick.
    counter queued_deliveries{0};
    counter pending_responses{0};
    counter pending_receipts{0};

    void add_response(std::uint32_t status) noexcept {
        responses[status < 0xFF ? status : 0xFF].fetch_add(1, std::memory_order_relaxed);
    }
};

inline void bump(std::atomic<std::uint64_t>& c, std::uint64_t n = 1) noexcept {
    c.fetch_add(n, std::memory_order_relaxed);
}

// One line: binds, submits, responses by status, receipts sent/acked, MOs sent/acked, CPU, RSS.
[[nodiscard]] std::string format_stats_line(const std::vector<const sim_stats*>& shards);

}  // namespace smppgw::bench::sim
