// Traffic statistics (traffic.hpp): the counters' names and arithmetic, what the materializer
// adds per batch (traffic_tally, traffic_impl.hpp), the watermark of the stats family at open, and
// the query behind GET /v1/stats.

#include <fmt/format.h>

#include <map>

#include "codec.hpp"
#include "keys.hpp"
#include "store_impl.hpp"
#include "traffic_codec.hpp"
#include "traffic_impl.hpp"

namespace smppgw::store {

std::optional<traffic_measure> final_measure(message_state s) noexcept {
    switch (s) {
        case message_state::delivered:
            return traffic_measure::delivered;
        case message_state::undeliverable:
            return traffic_measure::undeliverable;
        case message_state::rejected:
            return traffic_measure::rejected;
        case message_state::expired:
            return traffic_measure::expired;
        case message_state::failed:
            return traffic_measure::failed;
        case message_state::cancelled:
            return traffic_measure::cancelled;
        default:
            return std::nullopt;
    }
}

std::string_view to_string(traffic_measure m) noexcept {
    switch (m) {
        case traffic_measure::delivered:
            return "delivered";
        case traffic_measure::undeliverable:
            return "undeliverable";
        case traffic_measure::rejected:
            return "rejected";
        case traffic_measure::expired:
            return "expired";
        case traffic_measure::failed:
            return "failed";
        case traffic_measure::cancelled:
            return "cancelled";
        case traffic_measure::opt_out:
            return "opt_out";
        case traffic_measure::opt_in:
            return "opt_in";
        case traffic_measure::help:
            return "help";
    }
    return "unknown";
}

void traffic_counts::add(traffic_measure m, std::uint64_t n) noexcept {
    switch (m) {
        case traffic_measure::delivered:
            delivered += n;
            break;
        case traffic_measure::undeliverable:
            undeliverable += n;
            break;
        case traffic_measure::rejected:
            rejected += n;
            break;
        case traffic_measure::expired:
            expired += n;
            break;
        case traffic_measure::failed:
            failed += n;
            break;
        case traffic_measure::cancelled:
            cancelled += n;
            break;
        case traffic_measure::opt_out:
            opt_outs += n;
            break;
        case traffic_measure::opt_in:
            opt_ins += n;
            break;
        case traffic_measure::help:
            help += n;
            break;
    }
}

void traffic_counts::add(const traffic_counts& o) noexcept {
    delivered += o.delivered;
    undeliverable += o.undeliverable;
    rejected += o.rejected;
    expired += o.expired;
    failed += o.failed;
    cancelled += o.cancelled;
    opt_outs += o.opt_outs;
    opt_ins += o.opt_ins;
    help += o.help;
}

std::uint64_t traffic_counts::finished() const noexcept {
    return delivered + undeliverable + rejected + expired + failed + cancelled;
}

time_point floor_hour(time_point t) noexcept {
    return std::chrono::floor<std::chrono::hours>(t);
}

time_point ceil_hour(time_point t) noexcept {
    return std::chrono::ceil<std::chrono::hours>(t);
}

namespace detail {

void traffic_tally::add(lsn_t lsn, const traffic_sample& s) {
    if (lsn <= counted_through_) {
        return;  // counted before a restart made the materializer write it again
    }
    const auto measure = final_measure(s.state);
    if (!measure) {
        return;
    }
    ++counts_[{floor_hour(s.received), s.key, *measure}];
}

void traffic_tally::write(rocksdb::WriteBatch& wb, rocksdb::ColumnFamilyHandle* cf) const {
    std::string key;
    std::string value;
    // In key order (the map's order is the key's: time, then the strings, then the measure).
    for (const auto& [c, n] : counts_) {
        stats_key(key, c.hour, c.key.account, c.key.brand, c.key.campaign,
                  static_cast<std::uint8_t>(c.measure));
        encode_count(n, value);
        (void)wb.Merge(cf, slice(key), slice(value));
    }
}

std::vector<traffic_event> traffic_tally::events() const {
    std::map<std::pair<traffic_key, message_state>, std::uint64_t> by_state;
    for (const auto& [c, n] : counts_) {
        by_state[{c.key, state_of(c.measure)}] += n;
    }
    std::vector<traffic_event> out;
    out.reserve(by_state.size());
    for (const auto& [k, n] : by_state) {
        out.push_back({k.first, k.second, n});
    }
    return out;
}

message_state traffic_tally::state_of(traffic_measure m) noexcept {
    switch (m) {
        case traffic_measure::undeliverable:
            return message_state::undeliverable;
        case traffic_measure::rejected:
            return message_state::rejected;
        case traffic_measure::expired:
            return message_state::expired;
        case traffic_measure::failed:
            return message_state::failed;
        case traffic_measure::cancelled:
            return message_state::cancelled;
        default:
            return message_state::delivered;
    }
}

}  // namespace detail

void store::impl::init_traffic_watermark() {
    const auto read = [&](column_family cf) -> std::optional<lsn_t> {
        auto v = get(cf, detail::materialized_watermark_key);
        if (!v || !v->has_value() || (*v)->size() != 8) {
            return std::nullopt;
        }
        return detail::get_be64((*v)->data());
    };
    if (const auto w = read(column_family::stats)) {
        traffic_counted = *w;
        return;
    }
    // What the other families hold was written before the stats family existed (or there is
    // nothing): counting starts after it. Synced, so a crash cannot take it back and leave the
    // family without a watermark while the others move on.
    lsn_t lowest = UINT64_MAX;
    for (const auto cf : detail::materialized_families) {
        if (cf != column_family::stats) {
            lowest = std::min(lowest, read(cf).value_or(0));
        }
    }
    std::string value;
    detail::put_be64(value, lowest);
    rocksdb::WriteOptions wo;
    wo.sync = true;
    const auto s = db->db().Put(wo, db->cf(column_family::stats),
                                detail::slice(detail::materialized_watermark_key),
                                detail::slice(value));
    if (!s.ok()) {
        throw open_error(fmt::format("smppgw store at '{}': writing the stats watermark failed: {}",
                                     opts.path.string(), s.ToString()));
    }
    traffic_counted = lowest;
}

result<std::vector<traffic_row>> store::traffic(const traffic_query& q) const {
    std::map<traffic_key, traffic_counts> sums;
    std::string lower;
    std::string upper;
    detail::put_be64(lower, detail::time_to_key(floor_hour(q.from)));
    detail::put_be64(upper, detail::time_to_key(q.to));
    const auto ec = impl_->scan(
        column_family::stats, lower, upper, [&](std::string_view key, std::string_view value) {
            const auto k = detail::parse_stats_key(key);
            const auto n = detail::decode_count(value);
            if (!k || !n) {
                return true;  // not a counter (the watermark sorts before every hour)
            }
            if ((q.account && k->account != *q.account) || (q.brand && k->brand != *q.brand) ||
                (q.campaign && k->campaign != *q.campaign)) {
                return true;
            }
            sums[traffic_key{std::string(k->account), std::string(k->brand),
                             std::string(k->campaign)}]
                .add(static_cast<traffic_measure>(k->measure), *n);
            return true;
        });
    if (ec) {
        return ec;
    }
    std::vector<traffic_row> out;
    out.reserve(sums.size());
    for (auto& [key, counts] : sums) {
        out.push_back({key, counts});
    }
    return out;
}

void store::on_traffic(std::function<void(const std::vector<traffic_event>&)> fn) {
    std::lock_guard lock(impl_->traffic_listener_mu);
    impl_->traffic_listener = std::move(fn);
}

}  // namespace smppgw::store
