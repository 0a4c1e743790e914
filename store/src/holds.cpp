// Review holds: an ambiguous STOP ("don't stop the deals") holds promotional traffic of the
// brand to the number until an operator releases it or a clear keyword settles it. Kept in the
// `holds` family (durable before the MO is acknowledged) and mirrored in memory for the policy.

#include "keys.hpp"
#include "store_impl.hpp"

namespace smppgw::store {

namespace {

std::string hold_key(std::string_view brand, std::string_view msisdn) {
    std::string k;
    detail::freq_key(k, brand, msisdn);  // brand \0 msisdn, like the freq family
    return k;
}

}  // namespace

std::optional<policy::hold_summary> store::find_hold(std::string_view brand,
                                                     std::string_view msisdn) const {
    if (impl_->holds_count.load(std::memory_order_relaxed) == 0) {
        return std::nullopt;
    }
    auto& key = detail::scratch_key();
    detail::freq_key(key, brand, msisdn);
    std::shared_lock lock(impl_->holds_mu);
    const auto it = impl_->holds.find(key);
    if (it == impl_->holds.end()) {
        return std::nullopt;
    }
    return policy::hold_summary{it->second.since};
}

std::vector<policy::hold_record> store::list_holds(std::size_t limit) const {
    std::vector<policy::hold_record> out;
    std::shared_lock lock(impl_->holds_mu);
    for (const auto& [key, rec] : impl_->holds) {
        if (out.size() >= limit) {
            break;
        }
        out.push_back(rec);
    }
    return out;
}

std::optional<policy::hold_record> store::get_hold(std::string_view brand,
                                                   std::string_view msisdn) const {
    std::shared_lock lock(impl_->holds_mu);
    const auto it = impl_->holds.find(hold_key(brand, msisdn));
    if (it == impl_->holds.end()) {
        return std::nullopt;
    }
    return it->second;
}

void store::announce_hold(const policy::hold_record& rec) {
    std::unique_lock lock(impl_->holds_mu);
    impl_->holds.insert_or_assign(hold_key(rec.brand, rec.msisdn), rec);
    impl_->holds_count.store(impl_->holds.size(), std::memory_order_relaxed);
}

}  // namespace smppgw::store
