// Consents: the policy lookup (in-memory summary, or a Get in consent_index_mode::rocksdb),
// the current record with its proof, the event history and iteration for export.

#include "keys.hpp"
#include "record_codec.hpp"
#include "store_impl.hpp"

namespace smppgw::store {

using detail::slice;

std::optional<policy::consent_summary> store::find_consent(std::string_view brand,
                                                           std::string_view msisdn,
                                                           policy::message_class klass) const {
    const auto& p = *impl_;
    if (p.consents) {
        policy::consent_summary s;
        switch (p.consents->find(brand, msisdn, klass, s)) {
            case detail::consent_index::answer::absent:
                return std::nullopt;
            case detail::consent_index::answer::found:
                return s;
            case detail::consent_index::answer::unknown:
                break;  // a key-hash collision: ask RocksDB
        }
    }
    auto& key = detail::scratch_key();
    detail::consent_prefix(key, detail::consent_state_tag, brand, msisdn, klass);
    rocksdb::PinnableSlice v;
    const auto st =
        p.db->db().Get(rocksdb::ReadOptions{}, p.db->cf(column_family::consents), slice(key), &v);
    if (st.IsNotFound()) {
        return std::nullopt;
    }
    policy::consent_record rec;
    if (!st.ok() || !detail::decode_consent_state(detail::view(v), rec)) {
        // Fail closed: no readable consent means no consent.
        p.count_lookup_error();
        return std::nullopt;
    }
    return detail::summarize(rec);
}

result<std::optional<policy::consent_record>> store::get_consent(
    std::string_view brand, std::string_view msisdn, policy::message_class klass) const {
    std::string key;
    detail::consent_prefix(key, detail::consent_state_tag, brand, msisdn, klass);
    auto v = impl_->get(column_family::consents, key);
    if (!v) {
        return v.error();
    }
    if (!v->has_value()) {
        return std::optional<policy::consent_record>{};
    }
    policy::consent_record rec;
    if (!detail::decode_consent_state(**v, rec)) {
        return store_errc::corruption;
    }
    return std::optional<policy::consent_record>{std::move(rec)};
}

namespace {

std::error_code visit(const store::impl& p, std::string_view prefix, bool state,
                      const std::function<bool(const policy::consent_record&)>& fn) {
    const auto upper = detail::prefix_successor(prefix);
    bool bad = false;
    policy::consent_record rec;
    const auto ec = p.scan(
        column_family::consents, prefix, upper,
        [&](std::string_view, std::string_view value) {
            const bool ok = state ? detail::decode_consent_state(value, rec)
                                  : detail::decode_consent(value, rec);
            if (!ok) {
                bad = true;
                return false;
            }
            return fn(rec);
        },
        true);
    if (ec) {
        return ec;
    }
    return bad ? make_error_code(store_errc::corruption) : std::error_code{};
}

}  // namespace

result<std::vector<policy::consent_record>> store::consent_history(
    std::string_view brand, std::string_view msisdn, policy::message_class klass) const {
    std::string prefix;
    detail::consent_prefix(prefix, detail::consent_event_tag, brand, msisdn, klass);
    std::vector<policy::consent_record> out;
    if (auto ec = visit(*impl_, prefix, false, [&](const policy::consent_record& r) {
            out.push_back(r);
            return true;
        })) {
        return ec;
    }
    return out;
}

std::error_code store::for_each_consent(
    const std::function<bool(const policy::consent_record&)>& fn) const {
    return visit(*impl_, std::string(1, detail::consent_state_tag), true, fn);
}

std::error_code store::for_each_consent_event(
    const std::function<bool(const policy::consent_record&)>& fn) const {
    return visit(*impl_, std::string(1, detail::consent_event_tag), false, fn);
}

}  // namespace smppgw::store
