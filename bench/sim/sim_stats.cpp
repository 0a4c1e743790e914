#include "sim/sim_stats.hpp"

#include <fmt/format.h>

#include "common/process_stats.hpp"
#include "common/status_label.hpp"

namespace smppgw::bench::sim {
namespace {

std::uint64_t sum(const std::vector<const sim_stats*>& shards,
                  const std::atomic<std::uint64_t> sim_stats::*field) {
    std::uint64_t total = 0;
    for (const auto* s : shards) {
        total += (s->*field).load(std::memory_order_relaxed);
    }
    return total;
}

}  // namespace

std::string format_stats_line(const std::vector<const sim_stats*>& shards) {
    const auto s = [&](const std::atomic<std::uint64_t> sim_stats::*f) { return sum(shards, f); };
    std::string out = fmt::format(
        "smsc-sim: conns {} binds tx={} rx={} trx={} failed={} | submits {} data_sm {} "
        "submit_multi {} | resp",
        s(&sim_stats::connections), s(&sim_stats::binds_tx), s(&sim_stats::binds_rx),
        s(&sim_stats::binds_trx), s(&sim_stats::bind_failures), s(&sim_stats::submit_sm),
        s(&sim_stats::data_sm), s(&sim_stats::submit_multi));
    bool any = false;
    for (std::size_t code = 0; code < 256; ++code) {
        std::uint64_t n = 0;
        for (const auto* sh : shards) {
            n += sh->responses[code].load(std::memory_order_relaxed);
        }
        if (n == 0) {
            continue;
        }
        any = true;
        const std::string label =
            code == 0xFF ? std::string("other") : status_label(static_cast<std::uint32_t>(code));
        out += fmt::format(" {}={}", label, n);
    }
    if (!any) {
        out += " none";
    }
    const auto usage = current_process_usage();
    out += fmt::format(
        " | receipts sent {} acked {} retried {} queued {} scheduled {} | mo sent {} acked {} "
        "skipped {} | slow {} garbage {} disconnects {} recorded {} | cpu {:.2f}s rss {}MiB",
        s(&sim_stats::receipts_sent), s(&sim_stats::receipts_acked),
        s(&sim_stats::receipts_retried), s(&sim_stats::queued_deliveries),
        s(&sim_stats::pending_receipts), s(&sim_stats::mo_sent), s(&sim_stats::mo_acked),
        s(&sim_stats::mo_skipped), s(&sim_stats::slow_responses), s(&sim_stats::garbage_sent),
        s(&sim_stats::injected_disconnects), s(&sim_stats::recorded), usage.cpu_seconds(),
        usage.max_rss_kib / 1024);
    return out;
}

}  // namespace smppgw::bench::sim
