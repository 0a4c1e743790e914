// Frequency counters: the policy lookup reads the merged send list of (brand, msisdn).

#include <algorithm>

#include "keys.hpp"
#include "record_codec.hpp"
#include "store_impl.hpp"

namespace smppgw::store {

using detail::slice;

void store::reserve_send(std::string_view brand, std::string_view msisdn, time_point when,
                         batch& b) {
    b.record_send(brand, msisdn, when);
    std::string key;
    detail::freq_key(key, brand, msisdn);
    std::lock_guard lock(impl_->sends_mu);
    impl_->pending_sends.emplace(std::move(key), when);
    impl_->pending_sends_count.fetch_add(1, std::memory_order_relaxed);
}

policy::send_history store::recent_sends(std::string_view brand, std::string_view msisdn,
                                         time_point since) const {
    policy::send_history h;
    const auto& p = *impl_;
    auto& key = detail::scratch_key();
    detail::freq_key(key, brand, msisdn);
    rocksdb::PinnableSlice v;
    const auto s =
        p.db->db().Get(rocksdb::ReadOptions{}, p.db->cf(column_family::freq), slice(key), &v);
    thread_local std::vector<time_point> times;
    times.clear();
    if (s.ok() && !detail::decode_send_times(detail::view(v), times)) {
        p.count_lookup_error();
        h.sends.fill(since);
        h.count = policy::send_history::capacity;
        return h;
    }
    // Reservations not written yet: those the stored list does not hold already (a multiset
    // difference, since the write may land between the Get and this look).
    if (p.pending_sends_count.load(std::memory_order_relaxed) > 0) {
        thread_local std::vector<time_point> stored;
        stored.assign(times.begin(), times.end());
        std::lock_guard lock(p.sends_mu);
        auto [first, last] = p.pending_sends.equal_range(key);
        for (auto it = first; it != last; ++it) {
            if (auto hit = std::find(stored.begin(), stored.end(), it->second);
                hit != stored.end()) {
                stored.erase(hit);
            } else {
                times.push_back(it->second);
            }
        }
        std::sort(times.begin(), times.end());
    }
    if (s.IsNotFound() && times.empty()) {
        return h;
    }
    if (!s.ok() && !s.IsNotFound()) {
        // Fail closed: a full history at `since` trips any cap (the message is deferred).
        p.count_lookup_error();
        h.sends.fill(since);
        h.count = policy::send_history::capacity;
        return h;
    }
    // Stored ascending and capped at the capacity; keep the newest at or after `since`.
    const auto first = std::lower_bound(times.begin(), times.end(), since);
    const auto n = static_cast<std::size_t>(times.end() - first);
    const auto take = std::min(n, policy::send_history::capacity);
    std::copy(times.end() - static_cast<std::ptrdiff_t>(take), times.end(), h.sends.begin());
    h.count = take;
    return h;
}

void store::on_send_counts(std::function<void(std::span<const send_count_change>)> fn) {
    std::lock_guard lock(impl_->send_listener_mu);
    impl_->send_listener_set.store(static_cast<bool>(fn), std::memory_order_relaxed);
    impl_->send_listener = std::move(fn);
}

void store::impl::tell_send_counts(const detail::group_effects& fx) {
    if (!send_listener_set.load(std::memory_order_relaxed)) {
        return;
    }
    std::lock_guard lock(send_listener_mu);
    if (!send_listener) {
        return;
    }
    thread_local std::vector<send_count_change> changes;
    thread_local std::vector<time_point> times;
    changes.clear();
    for (const auto& sc : fx.sends) {
        const auto nul = sc.key.find('\0');
        if (nul == std::string_view::npos) {
            continue;
        }
        const auto brand = sc.key.substr(0, nul);
        const auto msisdn = sc.key.substr(nul + 1);
        if (sc.removal) {
            if (const auto when = detail::decode_send_removal(sc.value)) {
                changes.push_back({brand, msisdn, *when, -1});
            }
            continue;
        }
        times.clear();
        if (detail::decode_send_times(sc.value, times)) {
            for (const auto t : times) {
                changes.push_back({brand, msisdn, t, +1});
            }
        }
    }
    if (!changes.empty()) {
        send_listener(changes);
    }
}

}  // namespace smppgw::store
