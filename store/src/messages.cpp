// Message lookups: the live state first, then the materialized rows; carrier id mappings.

#include "keys.hpp"
#include "message_codec.hpp"
#include "record_codec.hpp"
#include "store_impl.hpp"

namespace smppgw::store {

using detail::slice;

result<std::optional<message_record>> store::get_message(message_id id) const {
    if (auto live = impl_->live->find(id)) {
        return std::optional<message_record>{std::move(*live)};
    }
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

}  // namespace smppgw::store
