// The per-account outbox: reading from a cursor and the in-memory depth/sequence status.

#include "keys.hpp"
#include "record_codec.hpp"
#include "store_impl.hpp"

namespace smppgw::store {

result<std::vector<outbox_entry>> store::read_outbox(std::string_view account,
                                                     std::uint64_t from_seq,
                                                     std::size_t limit) const {
    std::vector<outbox_entry> out;
    if (limit == 0) {
        return out;
    }
    std::string lower;
    detail::outbox_prefix(lower, account);
    const auto upper = detail::prefix_successor(lower);
    detail::put_be64(lower, from_seq);
    bool bad = false;
    const auto ec = impl_->scan(column_family::outbox, lower, upper,
                                [&](std::string_view key, std::string_view value) {
                                    outbox_entry e;
                                    if (key.size() < 8 || !detail::decode_outbox_value(value, e)) {
                                        bad = true;
                                        return false;
                                    }
                                    e.seq = detail::get_be64(key.data() + key.size() - 8);
                                    out.push_back(std::move(e));
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

outbox_status store::outbox(std::string_view account) const {
    return impl_->outbox.status(account);
}

std::vector<outbox_status> store::outboxes() const {
    return impl_->outbox.all();
}

}  // namespace smppgw::store
