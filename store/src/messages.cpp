// Reads of the messages, pending and carrier_ids families.

#include "keys.hpp"
#include "message_codec.hpp"
#include "record_codec.hpp"
#include "store_impl.hpp"

namespace smppgw::store {

using detail::slice;

result<std::optional<message_record>> store::get_message(message_id id) const {
    auto& key = detail::scratch_key();
    detail::message_key(key, id);
    rocksdb::PinnableSlice v;
    const auto s = impl_->db->db().Get(rocksdb::ReadOptions{},
                                       impl_->db->cf(column_family::messages), slice(key), &v);
    if (s.IsNotFound()) {
        return std::optional<message_record>{};
    }
    if (!s.ok()) {
        return detail::to_error(s);
    }
    message_record rec;
    switch (detail::decode_message(detail::view(v), rec)) {
        case detail::decode_status::ok:
            return std::optional<message_record>{std::move(rec)};
        case detail::decode_status::stub:
            return std::optional<message_record>{};  // updates without a record: absent
        case detail::decode_status::malformed:
            break;
    }
    return store_errc::corruption;
}

result<std::optional<carrier_mapping>> store::find_carrier_id(
    std::string_view carrier, std::string_view carrier_message_id) const {
    auto& key = detail::scratch_key();
    detail::carrier_key(key, carrier, carrier_message_id);
    rocksdb::PinnableSlice v;
    const auto s = impl_->db->db().Get(rocksdb::ReadOptions{},
                                       impl_->db->cf(column_family::carrier_ids), slice(key), &v);
    if (s.IsNotFound()) {
        return std::optional<carrier_mapping>{};
    }
    if (!s.ok()) {
        return detail::to_error(s);
    }
    auto m = detail::decode_carrier_mapping(detail::view(v));
    if (!m) {
        return store_errc::corruption;
    }
    return std::optional<carrier_mapping>{*m};
}

result<std::vector<message_id>> store::list_pending(message_id after, std::size_t limit) const {
    std::vector<message_id> out;
    if (limit == 0 || after == UINT64_MAX) {
        return out;
    }
    std::string lower;
    detail::message_key(lower, after + 1);
    bool bad = false;
    const auto ec =
        impl_->scan(column_family::pending, lower, {}, [&](std::string_view key, std::string_view) {
            const auto id = detail::parse_message_key(key);
            if (!id) {
                bad = true;
                return false;
            }
            out.push_back(*id);
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

}  // namespace smppgw::store
