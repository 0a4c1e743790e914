// Audit queries: by time range (primary 't' keys) and by recipient and time range (the 'm'
// index, whose key suffix is the primary key's suffix).

#include "keys.hpp"
#include "record_codec.hpp"
#include "store_impl.hpp"

namespace smppgw::store {

using detail::slice;

result<std::vector<audit_record>> store::audit_by_time(time_point from, time_point to,
                                                       std::size_t limit) const {
    std::vector<audit_record> out;
    if (limit == 0 || to <= from) {
        return out;
    }
    std::string lower(1, detail::audit_time_tag);
    detail::put_be64(lower, detail::time_to_key(from));
    std::string upper(1, detail::audit_time_tag);
    detail::put_be64(upper, detail::time_to_key(to));
    bool bad = false;
    const auto ec = impl_->scan(column_family::audit, lower, upper,
                                [&](std::string_view, std::string_view value) {
                                    audit_record rec;
                                    if (!detail::decode_audit(value, rec)) {
                                        bad = true;
                                        return false;
                                    }
                                    out.push_back(std::move(rec));
                                    return out.size() < limit;
                                });
    if (ec) {
        return ec;
    }
    if (bad) {
        return store_errc::corruption;
    }
    return out;
}

result<std::vector<audit_record>> store::audit_by_msisdn(std::string_view msisdn, time_point from,
                                                         time_point to, std::size_t limit) const {
    std::vector<audit_record> out;
    if (limit == 0 || to <= from || msisdn.empty()) {
        return out;
    }
    std::string prefix(1, detail::audit_msisdn_tag);
    prefix.append(msisdn);
    prefix.push_back('\0');
    std::string lower = prefix;
    detail::put_be64(lower, detail::time_to_key(from));
    std::string upper = prefix;
    detail::put_be64(upper, detail::time_to_key(to));

    std::vector<std::string> primaries;
    const auto ec = impl_->scan(column_family::audit, lower, upper,
                                [&](std::string_view key, std::string_view) {
                                    std::string k(1, detail::audit_time_tag);
                                    k.append(key.substr(prefix.size()));
                                    primaries.push_back(std::move(k));
                                    return primaries.size() < limit;
                                });
    if (ec) {
        return ec;
    }
    if (primaries.empty()) {
        return out;
    }
    std::vector<rocksdb::Slice> keys;
    keys.reserve(primaries.size());
    for (const auto& k : primaries) {
        keys.push_back(slice(k));
    }
    std::vector<rocksdb::PinnableSlice> values(keys.size());
    std::vector<rocksdb::Status> statuses(keys.size());
    impl_->db->db().MultiGet(rocksdb::ReadOptions{}, impl_->db->cf(column_family::audit),
                             keys.size(), keys.data(), values.data(), statuses.data(), true);
    for (std::size_t i = 0; i < keys.size(); ++i) {
        if (statuses[i].IsNotFound()) {
            continue;  // the primary expired first (same TTL, different compaction timing)
        }
        if (!statuses[i].ok()) {
            return detail::to_error(statuses[i]);
        }
        audit_record rec;
        if (!detail::decode_audit(detail::view(values[i]), rec)) {
            return store_errc::corruption;
        }
        out.push_back(std::move(rec));
    }
    return out;
}

}  // namespace smppgw::store
