#include "smppgw/cluster/stats.hpp"

#include <algorithm>
#include <cmath>
#include <map>

namespace smppgw::cluster {

void latency_histogram::observe(double seconds) noexcept {
    if (!(seconds >= 0)) {
        seconds = 0;  // a clock step backwards between two nodes: count it as instant
    }
    const auto it = std::lower_bound(bounds.begin(), bounds.end(), seconds);
    const auto index = static_cast<std::size_t>(it - bounds.begin());
    counts_[index].fetch_add(1, std::memory_order_relaxed);
    count_.fetch_add(1, std::memory_order_relaxed);
    sum_us_.fetch_add(static_cast<std::uint64_t>(std::llround(seconds * 1e6)),
                      std::memory_order_relaxed);
}

latency_histogram::snapshot latency_histogram::read() const noexcept {
    snapshot s;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
        s.counts[i] = counts_[i].load(std::memory_order_relaxed);
    }
    s.count = count_.load(std::memory_order_relaxed);
    s.sum = static_cast<double>(sum_us_.load(std::memory_order_relaxed)) / 1e6;
    return s;
}

double latency_histogram::snapshot::quantile_bound(double q) const noexcept {
    std::uint64_t total = 0;
    for (const auto c : counts) {
        total += c;
    }
    if (total == 0) {
        return 0;
    }
    const auto wanted = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(total)));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts.size(); ++i) {
        seen += counts[i];
        if (seen >= wanted) {
            return i < bounds.size() ? bounds[i] : 1e9;
        }
    }
    return 1e9;
}

std::string_view to_string(node_state s) noexcept {
    switch (s) {
        case node_state::disabled: return "disabled";
        case node_state::starting: return "starting";
        case node_state::ready: return "ready";
        case node_state::degraded: return "degraded";
        case node_state::stopped: return "stopped";
    }
    return "unknown";
}

std::vector<carrier_sessions> add_up_carrier_shares(const std::vector<node_seen>& nodes) {
    std::map<std::string, carrier_sessions, std::less<>> by_carrier;
    for (const auto& n : nodes) {
        for (const auto& share : n.carriers) {
            auto& c = by_carrier[share.carrier];
            c.carrier = share.carrier;
            c.total += share.sessions;
            c.limit = std::max(c.limit, share.limit);
            c.by_node.emplace_back(n.name, share.sessions);
        }
    }
    std::vector<carrier_sessions> out;
    out.reserve(by_carrier.size());
    for (auto& [name, c] : by_carrier) {
        (void)name;
        c.over = c.limit > 0 && c.total > c.limit;
        out.push_back(std::move(c));
    }
    return out;
}

}  // namespace smppgw::cluster
