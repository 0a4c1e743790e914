// Frequency counters: the policy lookup reads the merged send list of (brand, msisdn).

#include <algorithm>

#include "keys.hpp"
#include "record_codec.hpp"
#include "store_impl.hpp"

namespace smppgw::store {

using detail::slice;

policy::send_history store::recent_sends(std::string_view brand, std::string_view msisdn,
                                         time_point since) const {
    policy::send_history h;
    const auto& p = *impl_;
    auto& key = detail::scratch_key();
    detail::freq_key(key, brand, msisdn);
    rocksdb::PinnableSlice v;
    const auto s =
        p.db->db().Get(rocksdb::ReadOptions{}, p.db->cf(column_family::freq), slice(key), &v);
    if (s.IsNotFound()) {
        return h;
    }
    thread_local std::vector<time_point> times;
    times.clear();
    if (!s.ok() || !detail::decode_send_times(detail::view(v), times)) {
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

}  // namespace smppgw::store
