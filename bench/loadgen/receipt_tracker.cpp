#include "loadgen/receipt_tracker.hpp"

#include <bit>

namespace smppgw::bench::loadgen {

std::uint64_t message_id_key(std::string_view id) noexcept {
    std::uint64_t h = 0xCBF29CE484222325ULL;
    for (char c : id) {
        h ^= static_cast<std::uint8_t>(c);
        h *= 0x100000001B3ULL;
    }
    // FNV's low bits are weak for short keys; finish with a mixer (probing uses the low bits,
    // shard choice the high ones).
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDULL;
    h ^= h >> 33;
    return h == 0 ? 1 : h;
}

flat_time_map::flat_time_map(std::size_t initial_capacity)
    : slots_(std::bit_ceil(std::max<std::size_t>(initial_capacity, 16))),
      mask_(slots_.size() - 1) {}

void flat_time_map::insert(std::uint64_t key, std::int64_t value) {
    if ((size_ + 1) * 2 > slots_.size()) {
        grow();
    }
    std::size_t i = home(key);
    while (slots_[i].key != 0 && slots_[i].key != key) {
        i = (i + 1) & mask_;
    }
    if (slots_[i].key == 0) {
        ++size_;
    }
    slots_[i] = {key, value};
}

std::optional<std::int64_t> flat_time_map::take(std::uint64_t key) noexcept {
    std::size_t i = home(key);
    while (slots_[i].key != key) {
        if (slots_[i].key == 0) {
            return std::nullopt;
        }
        i = (i + 1) & mask_;
    }
    const std::int64_t value = slots_[i].value;
    // Backward-shift: pull later members of the probe run into the hole so lookups never need
    // tombstones.
    std::size_t hole = i;
    std::size_t j = (i + 1) & mask_;
    while (slots_[j].key != 0) {
        const std::size_t h = home(slots_[j].key);
        // Move j into the hole if its home is not cyclically within (hole, j].
        const bool stays = hole <= j ? (hole < h && h <= j) : (hole < h || h <= j);
        if (!stays) {
            slots_[hole] = slots_[j];
            hole = j;
        }
        j = (j + 1) & mask_;
    }
    slots_[hole] = {};
    --size_;
    return value;
}

void flat_time_map::grow() {
    std::vector<slot> old(slots_.size() * 2);
    old.swap(slots_);
    mask_ = slots_.size() - 1;
    size_ = 0;
    for (const auto& s : old) {
        if (s.key != 0) {
            insert(s.key, s.value);
        }
    }
}

receipt_tracker::receipt_tracker() : shards_(std::make_unique<shard[]>(shard_count)) {}

std::optional<std::int64_t> receipt_tracker::expect(std::uint64_t key, std::int64_t submit_ns) {
    shard& s = shard_for(key);
    const std::lock_guard lock(s.mutex);
    if (parked_total_.load(std::memory_order_relaxed) > 0) {
        if (auto it = s.parked.find(key); it != s.parked.end()) {
            const auto arrived = it->second;
            s.parked.erase(it);
            parked_total_.fetch_sub(1, std::memory_order_relaxed);
            return arrived;
        }
    }
    s.expected.insert(key, submit_ns);
    return std::nullopt;
}

std::optional<std::int64_t> receipt_tracker::arrive(std::uint64_t key, std::int64_t arrival_ns) {
    shard& s = shard_for(key);
    const std::lock_guard lock(s.mutex);
    if (auto t = s.expected.take(key)) {
        return t;
    }
    if (parked_total_.load(std::memory_order_relaxed) >= max_parked) {
        dropped_.fetch_add(1, std::memory_order_relaxed);
        return std::nullopt;
    }
    if (s.parked.emplace(key, arrival_ns).second) {
        parked_total_.fetch_add(1, std::memory_order_relaxed);
    }
    return std::nullopt;
}

std::size_t receipt_tracker::outstanding() const {
    std::size_t n = 0;
    for (std::size_t i = 0; i < shard_count; ++i) {
        const std::lock_guard lock(shards_[i].mutex);
        n += shards_[i].expected.size();
    }
    return n;
}

std::size_t receipt_tracker::parked() const {
    return parked_total_.load(std::memory_order_relaxed);
}

}  // namespace smppgw::bench::loadgen
