#include "smppgw/cluster/send_counts.hpp"

#include <algorithm>
#include <cstring>

namespace smppgw::cluster {
namespace {

constexpr std::uint8_t batch_version = 1;
constexpr std::uint8_t op_counted = 1;
constexpr std::uint8_t op_released = 2;
constexpr std::size_t header_size = 1 + 8;
// Brands and numbers are short; a longer length is a damaged batch, not data.
constexpr std::uint64_t max_field = 4096;

void put_i64(std::string& out, std::int64_t v) {
    const auto u = static_cast<std::uint64_t>(v);
    for (int i = 0; i < 8; ++i) {
        out.push_back(static_cast<char>((u >> (8 * i)) & 0xFFU));
    }
}

void put_varint(std::string& out, std::uint64_t v) {
    while (v >= 0x80) {
        out.push_back(static_cast<char>((v & 0x7FU) | 0x80U));
        v >>= 7U;
    }
    out.push_back(static_cast<char>(v));
}

struct reader {
    std::string_view in;
    bool ok = true;

    std::uint8_t u8() {
        if (in.empty()) {
            ok = false;
            return 0;
        }
        const auto v = static_cast<std::uint8_t>(in.front());
        in.remove_prefix(1);
        return v;
    }
    std::int64_t i64() {
        if (in.size() < 8) {
            ok = false;
            return 0;
        }
        std::uint64_t u = 0;
        for (int i = 0; i < 8; ++i) {
            u |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(in[static_cast<std::size_t>(i)]))
                 << (8 * i);
        }
        in.remove_prefix(8);
        return static_cast<std::int64_t>(u);
    }
    std::string_view field() {
        std::uint64_t n = 0;
        for (unsigned shift = 0; shift < 64; shift += 7) {
            const auto b = u8();
            n |= static_cast<std::uint64_t>(b & 0x7FU) << shift;
            if ((b & 0x80U) == 0) {
                break;
            }
        }
        if (!ok || n > max_field || n > in.size()) {
            ok = false;
            return {};
        }
        const auto v = in.substr(0, static_cast<std::size_t>(n));
        in.remove_prefix(static_cast<std::size_t>(n));
        return v;
    }
};

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
    put_varint(batch, e.brand.size());
    batch.append(e.brand);
    put_varint(batch, e.msisdn.size());
    batch.append(e.msisdn);
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
    reader r{batch};
    if (r.u8() != batch_version) {
        return std::nullopt;
    }
    decoded_batch out;
    out.published_us = r.i64();
    while (r.ok && !r.in.empty()) {
        const auto op = r.u8();
        send_entry e;
        e.brand = r.field();
        e.msisdn = r.field();
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
    : own_(std::move(own_node)), window_(window), max_entries_(max_entries) {}

std::uint16_t remote_sends::node_index(std::string_view node) {
    const auto it = std::find(nodes_.begin(), nodes_.end(), node);
    if (it != nodes_.end()) {
        return static_cast<std::uint16_t>(it - nodes_.begin());
    }
    nodes_.emplace_back(node);
    return static_cast<std::uint16_t>(nodes_.size() - 1);
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
        if (e.delta > 0) {
            if (size_.load(std::memory_order_relaxed) >= max_entries_) {
                ++out.dropped;
                continue;
            }
            auto [it, fresh] = by_number_.try_emplace(key);
            (void)fresh;
            auto& v = it->second.sends;
            const auto at = std::upper_bound(v.begin(), v.end(), e.when,
                                             [](time_point t, const sent& s) { return t < s.when; });
            v.insert(at, sent{e.when, who});
            ++it->second.refs;
            arrivals_.push_back(arrival{e.when, who, it});
            size_.fetch_add(1, std::memory_order_relaxed);
            ++out.counted;
            continue;
        }
        const auto it = by_number_.find(key);
        if (it == by_number_.end()) {
            ++out.ignored;  // its count was dropped or has expired
            continue;
        }
        auto& v = it->second.sends;
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
    auto& entry = a.key->second;
    auto& v = entry.sends;
    // Another send of the same time may stand for this one (one was given back): both leave
    // the window together, so taking either is right.
    const auto hit = std::find_if(v.begin(), v.end(), [&](const sent& s) {
        return s.when == a.when && s.node == a.node;
    });
    if (hit != v.end()) {
        v.erase(hit);
        size_.fetch_sub(1, std::memory_order_relaxed);
    }
    if (--entry.refs == 0) {
        by_number_.erase(a.key);
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
    {
        std::lock_guard lock(mu_);
        const auto it = by_number_.find(key);
        if (it == by_number_.end() || it->second.sends.empty()) {
            return;
        }
        merged.assign(h.sends.begin(), h.sends.begin() + static_cast<std::ptrdiff_t>(h.count));
        for (const auto& s : it->second.sends) {
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
