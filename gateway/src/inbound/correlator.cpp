#include "inbound/correlator.hpp"

namespace smppgw::gateway {

std::string correlator::make_key(std::string_view carrier, std::string_view key) {
    std::string k;
    k.reserve(carrier.size() + 1 + key.size());
    k.append(carrier);
    k.push_back('\0');
    k.append(key);
    return k;
}

correlator::shard& correlator::shard_for(const std::string& full_key) {
    return shards_[std::hash<std::string>{}(full_key) % shard_count];
}

void correlator::add(std::string_view carrier, std::string_view key,
                     std::shared_ptr<receipt_context> ctx, std::uint16_t part, bool durable) {
    auto k = make_key(carrier, key);
    auto& s = shard_for(k);
    std::lock_guard lock(s.mutex);
    auto& e = s.map[std::move(k)];
    e.ctx = std::move(ctx);
    e.part = part;
    e.durable = durable;
    e.added = std::chrono::steady_clock::now();
}

std::vector<correlator::parked> correlator::made_durable(std::string_view carrier,
                                                         std::string_view key) {
    const auto k = make_key(carrier, key);
    auto& s = shard_for(k);
    std::lock_guard lock(s.mutex);
    auto it = s.map.find(k);
    if (it == s.map.end()) {
        return {};
    }
    it->second.durable = true;
    return std::exchange(it->second.waiting, {});
}

void correlator::forget(std::string_view carrier, std::string_view key) {
    const auto k = make_key(carrier, key);
    auto& s = shard_for(k);
    std::lock_guard lock(s.mutex);
    auto it = s.map.find(k);
    if (it != s.map.end() && it->second.waiting.empty()) {
        s.map.erase(it);
    }
}

correlator::lookup_result correlator::lookup(std::string_view carrier, std::string_view key,
                                             match& out, parked& p) {
    const auto k = make_key(carrier, key);
    auto& s = shard_for(k);
    std::lock_guard lock(s.mutex);
    auto it = s.map.find(k);
    if (it == s.map.end()) {
        return lookup_result::unknown;
    }
    if (!it->second.durable) {
        it->second.waiting.push_back(std::move(p));
        return lookup_result::parked_on_commit;
    }
    out.ctx = it->second.ctx;
    out.part = it->second.part;
    return lookup_result::found;
}

void correlator::park_unknown(parked p) {
    std::lock_guard lock(unknown_mutex_);
    unknown_.push_back(std::move(p));
}

std::chrono::steady_clock::time_point correlator::first_deadline(
    std::string_view carrier, std::string_view key,
    std::chrono::steady_clock::time_point proposed) {
    std::lock_guard lock(unknown_mutex_);
    auto k = make_key(carrier, key);
    if (auto it = unknown_deadlines_.find(k); it != unknown_deadlines_.end()) {
        return it->second;
    }
    if (unknown_deadlines_.size() < max_unknown_deadlines) {
        unknown_deadlines_.emplace(std::move(k), proposed);
    }
    return proposed;
}

std::vector<correlator::parked> correlator::take_unknown() {
    std::lock_guard lock(unknown_mutex_);
    return std::exchange(unknown_, {});
}

std::size_t correlator::expire(std::chrono::steady_clock::time_point now,
                               std::chrono::seconds max_age) {
    std::size_t removed = 0;
    {
        // A given-up id is remembered for max_age after its deadline, so that redeliveries in
        // that time are answered at once instead of parked again.
        std::lock_guard lock(unknown_mutex_);
        std::erase_if(unknown_deadlines_, [&](const auto& e) { return now - e.second > max_age; });
    }
    for (auto& s : shards_) {
        std::lock_guard lock(s.mutex);
        for (auto it = s.map.begin(); it != s.map.end();) {
            if (it->second.durable && it->second.waiting.empty() &&
                now - it->second.added > max_age) {
                it = s.map.erase(it);
                ++removed;
            } else {
                ++it;
            }
        }
    }
    return removed;
}

std::size_t correlator::size() const {
    std::size_t n = 0;
    for (const auto& s : shards_) {
        std::lock_guard lock(s.mutex);
        n += s.map.size();
    }
    return n;
}

std::size_t correlator::parked_count() const {
    std::lock_guard lock(unknown_mutex_);
    return unknown_.size();
}

}  // namespace smppgw::gateway
