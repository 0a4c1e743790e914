#include "smppgw/cluster/send_counts.hpp"

#include <algorithm>
#include <cstring>
#include <functional>

#include "byte_codec.hpp"

namespace smppgw::cluster {
namespace {

using detail::byte_reader;
using detail::put_i64;
using detail::put_field;

constexpr std::uint8_t batch_version = 1;
constexpr std::uint8_t op_counted = 1;
constexpr std::uint8_t op_released = 2;
constexpr std::size_t header_size = 1 + 8;
// Brands and numbers are short; a longer length is a damaged batch, not data.
constexpr std::uint64_t max_field = 4096;

void key_of(std::string& k, std::string_view brand, std::string_view msisdn) {
    k.clear();
    k.append(brand);
    k.push_back('\0');
    k.append(msisdn);
}

}  // namespace

// ---- the batch format ----------------------------------------------------------------------------

void append_send(std::string& batch, const send_entry& e, std::int64_t published_us) {
    if (batch.empty()) {
        batch.push_back(static_cast<char>(batch_version));
        put_i64(batch, published_us);
    }
    batch.push_back(static_cast<char>(e.delta > 0 ? op_counted : op_released));
    put_field(batch, e.brand);
    put_field(batch, e.msisdn);
    put_i64(batch, e.when.time_since_epoch().count());
}

void stamp_batch(std::string& batch, std::int64_t published_us) noexcept {
    if (batch.size() < header_size) {
        return;
    }
    const auto u = static_cast<std::uint64_t>(published_us);
    for (std::size_t i = 0; i < 8; ++i) {
        batch[1 + i] = static_cast<char>((u >> (8 * i)) & 0xFFU);
    }
}

std::optional<decoded_batch> decode_sends(std::string_view batch) {
    byte_reader r{batch};
    if (r.u8() != batch_version) {
        return std::nullopt;
    }
    decoded_batch out;
    out.published_us = r.i64();
    while (r.ok && !r.in.empty()) {
        const auto op = r.u8();
        send_entry e;
        e.brand = r.field(max_field);
        e.msisdn = r.field(max_field);
        e.when = time_point{std::chrono::milliseconds{r.i64()}};
        if (op == op_counted) {
            e.delta = 1;
        } else if (op == op_released) {
            e.delta = -1;
        } else {
            r.ok = false;
        }
        if (r.ok) {
            out.entries.push_back(e);
        }
    }
    if (!r.ok) {
        return std::nullopt;
    }
    return out;
}

// ---- remote_sends --------------------------------------------------------------------------------

remote_sends::remote_sends(std::string own_node, std::chrono::milliseconds window,
                           std::size_t max_entries)
    : own_(std::move(own_node)), window_(window), max_entries_(max_entries), slots_(1024) {}

std::uint16_t remote_sends::node_index(std::string_view node) {
    const auto it = std::find(nodes_.begin(), nodes_.end(), node);
    if (it != nodes_.end()) {
        return static_cast<std::uint16_t>(it - nodes_.begin());
    }
    nodes_.emplace_back(node);
    return static_cast<std::uint16_t>(nodes_.size() - 1);
}

std::uint32_t remote_sends::find(std::uint64_t hash, std::string_view key) const noexcept {
    const auto mask = slots_.size() - 1;
    for (auto i = static_cast<std::size_t>(hash) & mask;; i = (i + 1) & mask) {
        const auto& s = slots_[i];
        if (s.index == 0) {
            return none;
        }
        if (s.hash == hash && records_[s.index - 1].key == key) {
            return s.index - 1;
        }
    }
}

std::uint32_t remote_sends::find_or_add(std::uint64_t hash, std::string_view key) {
    if (const auto r = find(hash, key); r != none) {
        return r;
    }
    if ((used_ + 1) * 2 > slots_.size()) {
        std::vector<slot> bigger(slots_.size() * 2);
        const auto mask = bigger.size() - 1;
        for (const auto& s : slots_) {
            if (s.index == 0) {
                continue;
            }
            auto i = static_cast<std::size_t>(s.hash) & mask;
            while (bigger[i].index != 0) {
                i = (i + 1) & mask;
            }
            bigger[i] = s;
        }
        slots_.swap(bigger);
    }
    std::uint32_t record = 0;
    if (!free_.empty()) {
        record = free_.back();
        free_.pop_back();
    } else {
        record = static_cast<std::uint32_t>(records_.size());
        records_.emplace_back();
    }
    auto& r = records_[record];
    r.key.assign(key);
    r.hash = hash;
    const auto mask = slots_.size() - 1;
    auto i = static_cast<std::size_t>(hash) & mask;
    while (slots_[i].index != 0) {
        i = (i + 1) & mask;
    }
    slots_[i] = slot{hash, record + 1};
    ++used_;
    return record;
}

void remote_sends::erase(std::uint32_t record) {
    const auto mask = slots_.size() - 1;
    auto i = static_cast<std::size_t>(records_[record].hash) & mask;
    while (slots_[i].index != record + 1) {
        i = (i + 1) & mask;
    }
    // Backward-shift deletion: move later entries of the probe run into the hole unless their
    // home lies cyclically after the hole, so that no search stops early at it.
    for (auto j = (i + 1) & mask; slots_[j].index != 0; j = (j + 1) & mask) {
        const auto home = static_cast<std::size_t>(slots_[j].hash) & mask;
        const bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
        if (!stays) {
            slots_[i] = slots_[j];
            i = j;
        }
    }
    slots_[i] = slot{};
    --used_;
    auto& r = records_[record];
    r.key.clear();
    r.sends.clear();
    r.refs = 0;
    free_.push_back(record);
}

remote_sends::applied remote_sends::apply(std::string_view node,
                                          std::span<const send_entry> entries, time_point now) {
    applied out;
    if (node == own_) {
        out.ignored = entries.size();
        return out;
    }
    const auto oldest = now - window_;
    std::string key;
    std::lock_guard lock(mu_);
    const auto who = node_index(node);
    for (const auto& e : entries) {
        if (e.when < oldest) {
            ++out.ignored;  // a replay of the stream's older part: out of every window
            continue;
        }
        key_of(key, e.brand, e.msisdn);
        const auto hash = std::hash<std::string_view>{}(key);
        if (e.delta > 0) {
            if (size_.load(std::memory_order_relaxed) >= max_entries_) {
                ++out.dropped;
                continue;
            }
            const auto record = find_or_add(hash, key);
            auto& r = records_[record];
            const auto at = std::upper_bound(r.sends.begin(), r.sends.end(), e.when,
                                             [](time_point t, const sent& s) { return t < s.when; });
            r.sends.insert(at, sent{e.when, who});
            ++r.refs;
            arrivals_.push_back(arrival{e.when, who, record});
            size_.fetch_add(1, std::memory_order_relaxed);
            ++out.counted;
            continue;
        }
        const auto record = find(hash, key);
        if (record == none) {
            ++out.ignored;  // its count was dropped or has expired
            continue;
        }
        auto& v = records_[record].sends;
        const auto hit = std::find_if(v.begin(), v.end(), [&](const sent& s) {
            return s.when == e.when && s.node == who;
        });
        if (hit == v.end()) {
            ++out.ignored;
            continue;
        }
        v.erase(hit);
        size_.fetch_sub(1, std::memory_order_relaxed);
        ++out.released;
    }
    return out;
}

void remote_sends::drop_arrival(const arrival& a) {
    auto& r = records_[a.record];
    // Another send of the same time may stand for this one (one was given back): both leave
    // the window together, so taking either is right.
    const auto hit = std::find_if(r.sends.begin(), r.sends.end(), [&](const sent& s) {
        return s.when == a.when && s.node == a.node;
    });
    if (hit != r.sends.end()) {
        r.sends.erase(hit);
        size_.fetch_sub(1, std::memory_order_relaxed);
    }
    if (--r.refs == 0) {
        erase(a.record);
    }
}

std::size_t remote_sends::expire(time_point now) {
    const auto oldest = now - window_;
    std::lock_guard lock(mu_);
    const auto before = size();
    // Arrivals come roughly in time order; one older than an unexpired one ahead of it waits
    // (memory only: lookups never count a send before their `since`).
    while (!arrivals_.empty() && arrivals_.front().when < oldest) {
        drop_arrival(arrivals_.front());
        arrivals_.pop_front();
    }
    return before - size();
}

void remote_sends::add_to(std::string_view brand, std::string_view msisdn, time_point since,
                          policy::send_history& h) const {
    if (size() == 0) {
        return;
    }
    thread_local std::string key;
    thread_local std::vector<time_point> merged;
    key_of(key, brand, msisdn);
    const auto hash = std::hash<std::string_view>{}(key);
    {
        std::lock_guard lock(mu_);
        const auto record = find(hash, key);
        if (record == none || records_[record].sends.empty()) {
            return;
        }
        merged.assign(h.sends.begin(), h.sends.begin() + static_cast<std::ptrdiff_t>(h.count));
        for (const auto& s : records_[record].sends) {
            if (s.when >= since) {
                merged.push_back(s.when);
            }
        }
    }
    std::sort(merged.begin(), merged.end());
    const auto take = std::min(merged.size(), policy::send_history::capacity);
    std::copy(merged.end() - static_cast<std::ptrdiff_t>(take), merged.end(), h.sends.begin());
    h.count = take;
}

// ---- shared_frequency ----------------------------------------------------------------------------

policy::send_history shared_frequency::recent_sends(std::string_view brand,
                                                    std::string_view msisdn,
                                                    time_point since) const {
    auto h = local_.recent_sends(brand, msisdn, since);
    remote_.add_to(brand, msisdn, since, h);
    return h;
}

}  // namespace smppgw::cluster
