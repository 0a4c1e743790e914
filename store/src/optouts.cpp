// Opt-outs: the policy lookup (answered from the in-memory index; RocksDB only on a detected
// hash collision) and the record reads and iteration used by the admin API and export.

#include "keys.hpp"
#include "record_codec.hpp"
#include "store_impl.hpp"

namespace smppgw::store {

using detail::slice;

namespace {

enum class probe : std::uint8_t { absent, present, error };

// Reads the `when` of an active opt-out; the lookup needs nothing else.
probe read_when(const store::impl& p, std::string_view brand, std::string_view msisdn,
                time_point& when) {
    auto& key = detail::scratch_key();
    detail::optout_key(key, brand, msisdn);
    rocksdb::PinnableSlice v;
    const auto s =
        p.db->db().Get(rocksdb::ReadOptions{}, p.db->cf(column_family::optouts), slice(key), &v);
    if (s.IsNotFound()) {
        return probe::absent;
    }
    if (!s.ok()) {
        return probe::error;
    }
    const auto t = detail::decode_optout_when(detail::view(v));
    if (!t) {
        return probe::error;
    }
    when = *t;
    return probe::present;
}

}  // namespace

std::optional<policy::optout_summary> store::find_optout(std::string_view brand,
                                                         std::string_view msisdn) const {
    const auto& p = *impl_;
    auto try_brand = [&](std::string_view b, bool all) -> std::optional<policy::optout_summary> {
        time_point when{};
        switch (p.optouts.find(b, msisdn, when)) {
            case detail::optout_index::answer::absent:
                return std::nullopt;
            case detail::optout_index::answer::found:
                return policy::optout_summary{when, all};
            case detail::optout_index::answer::unknown:
                break;
        }
        switch (read_when(p, b, msisdn, when)) {
            case probe::absent:
                return std::nullopt;
            case probe::present:
                return policy::optout_summary{when, all};
            case probe::error:
                break;
        }
        // Fail closed: an unreadable opt-out blocks the send rather than risking one.
        p.count_lookup_error();
        return policy::optout_summary{time_point{}, all};
    };
    const bool is_all = brand == policy::all_brands;
    if (auto s = try_brand(brand, is_all)) {
        return s;
    }
    if (!is_all) {
        return try_brand(policy::all_brands, true);
    }
    return std::nullopt;
}

result<std::optional<policy::optout_record>> store::get_optout(std::string_view brand,
                                                               std::string_view msisdn) const {
    std::string key;
    detail::optout_key(key, brand, msisdn);
    auto v = impl_->get(column_family::optouts, key);
    if (!v) {
        return v.error();
    }
    if (!v->has_value()) {
        return std::optional<policy::optout_record>{};
    }
    policy::optout_record rec;
    if (!detail::decode_optout(**v, rec)) {
        return store_errc::corruption;
    }
    rec.brand = brand;
    rec.msisdn = msisdn;
    return std::optional<policy::optout_record>{std::move(rec)};
}

namespace {

std::error_code visit_optouts(const store::impl& p, std::string_view prefix,
                              const std::function<bool(const policy::optout_record&)>& fn) {
    const auto upper = detail::prefix_successor(prefix);
    bool bad = false;
    policy::optout_record rec;
    const auto ec = p.scan(
        column_family::optouts, prefix, upper,
        [&](std::string_view key, std::string_view value) {
            detail::reader r{key.substr(1)};
            const auto brand = r.until_nul();
            const auto msisdn = r.rest();
            if (!r.ok() || !detail::decode_optout(value, rec)) {
                bad = true;
                return false;
            }
            rec.brand = brand;
            rec.msisdn = msisdn;
            return fn(rec);
        },
        true);
    if (ec) {
        return ec;
    }
    return bad ? make_error_code(store_errc::corruption) : std::error_code{};
}

}  // namespace

std::error_code store::for_each_optout(
    std::string_view brand, const std::function<bool(const policy::optout_record&)>& fn) const {
    std::string prefix;
    detail::optout_brand_prefix(prefix, brand);
    return visit_optouts(*impl_, prefix, fn);
}

result<std::vector<optout_event>> store::optout_history(std::string_view brand,
                                                        std::string_view msisdn) const {
    std::string prefix(1, detail::optout_history_tag);
    prefix.append(brand);
    prefix.push_back('\0');
    prefix.append(msisdn);
    prefix.push_back('\0');
    std::vector<optout_event> out;
    bool bad = false;
    const auto ec = impl_->scan(column_family::optouts, prefix, detail::prefix_successor(prefix),
                                [&](std::string_view, std::string_view value) {
                                    optout_event ev;
                                    if (!detail::decode_optout_history(value, ev)) {
                                        bad = true;
                                        return false;
                                    }
                                    out.push_back(std::move(ev));
                                    return true;
                                });
    if (ec) {
        return ec;
    }
    if (bad) {
        return store_errc::corruption;
    }
    return out;
}

std::error_code store::for_each_optout(
    const std::function<bool(const policy::optout_record&)>& fn) const {
    return visit_optouts(*impl_, std::string(1, detail::optout_active_tag), fn);
}

}  // namespace smppgw::store

namespace smppgw::store {

void store::announce_optout(std::string_view brand, std::string_view msisdn, time_point when) {
    std::lock_guard lock(impl_->optout_writer);
    impl_->optouts.put(brand, msisdn, when);
}

}  // namespace smppgw::store
