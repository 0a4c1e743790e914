// The deferred index: what is due.

#include "keys.hpp"
#include "store_impl.hpp"

namespace smppgw::store {

result<std::vector<deferred_entry>> store::due_deferred(time_point now, std::size_t limit) const {
    std::vector<deferred_entry> out;
    if (limit == 0) {
        return out;
    }
    // Keys are t64(release) be64(id): everything below t64(now + 1 ms) is due.
    std::string upper;
    detail::put_be64(upper, detail::time_to_key(now + std::chrono::milliseconds{1}));
    bool bad = false;
    const auto ec = impl_->scan(
        column_family::deferred, {}, upper, [&](std::string_view key, std::string_view) {
            if (key.size() != 16) {
                bad = true;
                return false;
            }
            out.push_back(deferred_entry{detail::time_from_key(detail::get_be64(key.data())),
                                         detail::get_be64(key.data() + 8)});
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
