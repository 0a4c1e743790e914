#include "inbound/outbox_handoff.hpp"

#include <vector>

namespace smppgw::gateway {

outbox_handoff::outbox_handoff(store::live_state& live, const outbox_relay& relay,
                               outbox_link& cluster)
    : live_(live), relay_(relay), node_(cluster) {}

void outbox_handoff::attach() {
    node_.on_arrival([this](std::string_view account,
                            std::span<const cluster::outbox_entry> entries,
                            std::function<void(bool)> settle) {
        arrived(account, entries, std::move(settle));
    });
}

void outbox_handoff::receivers_changed(std::string_view account) {
    // Decided under the lock from the relay's current count, so that two binds coming and going
    // at once cannot leave the last word to the older event.
    std::lock_guard lock(mu_);
    const bool want = relay_.receivers(account) > 0;
    auto it = serving_.find(account);
    if (it == serving_.end()) {
        it = serving_.emplace(std::string(account), false).first;
    }
    if (it->second != want) {
        it->second = want;
        node_.serve(account, want);
    }
}

void outbox_handoff::ready(std::string_view account, std::size_t receivers_here,
                           std::chrono::steady_clock::time_point now) {
    if (receivers_here > 0 || !node_.connected()) {
        return;
    }
    {
        std::lock_guard lock(mu_);
        auto it = last_ready_.find(account);
        if (it == last_ready_.end()) {
            it = last_ready_.emplace(std::string(account), std::chrono::steady_clock::time_point{})
                     .first;
        }
        if (now - it->second < burst_interval) {
            return;  // a burst went moments ago: these join the next one
        }
        it->second = now;
    }
    hand_off(std::string(account));
}

void outbox_handoff::sweep() {
    if (!node_.connected()) {
        return;  // they wait here, as on a single node, until NATS is back
    }
    for (const auto& o : live_.outboxes()) {
        if (o.ready > 0 && relay_.receivers(o.account) == 0) {
            hand_off(o.account);
        }
    }
}

void outbox_handoff::hand_off(const std::string& account) {
    std::size_t room = 0;
    {
        std::lock_guard lock(mu_);
        room = max_in_flight - std::min(max_in_flight, in_flight_[account]);
    }
    if (room == 0) {
        return;
    }
    struct taken {
        store::lsn_t entry;
        store::outbox_kind kind;
        std::string bytes;
    };
    std::vector<taken> took;
    // Copied under the live state's lock, published outside it.
    (void)live_.take_outbox(account, room,
                            [&](store::lsn_t entry, store::outbox_kind kind, std::string_view b) {
                                took.push_back({entry, kind, std::string(b)});
                                return true;
                            });
    using limits = cluster::outbox_batch_limits;
    std::vector<cluster::outbox_entry> batch;
    for (std::size_t first = 0; first < took.size();) {
        // One stream message per max_entries / max_bytes (a larger single entry goes alone).
        batch.clear();
        std::size_t bytes = 0;
        auto end = first;
        for (; end < took.size() && batch.size() < limits::max_entries; ++end) {
            const cluster::outbox_entry e{took[end].kind, took[end].bytes};
            if (!batch.empty() && bytes + cluster::encoded_size(e) > limits::max_bytes) {
                break;
            }
            bytes += cluster::encoded_size(e);
            batch.push_back(e);
        }
        std::vector<store::lsn_t> entries;
        entries.reserve(end - first);
        for (auto i = first; i < end; ++i) {
            entries.push_back(took[i].entry);
        }
        {
            std::lock_guard lock(mu_);
            in_flight_[account] += entries.size();
        }
        const auto first_id = entries.front();
        const auto settled = [this, account, entries = std::move(entries)](bool stored) {
            // Stored by the stream: gone from here (journaled like deliveries). Not stored:
            // deliverable here again, and the next sweep tries again.
            if (stored) {
                live_.delivered(account, entries);
            } else {
                for (const auto entry : entries) {
                    live_.returned(account, entry);
                }
            }
            std::lock_guard lock(mu_);
            in_flight_[account] -= entries.size();
        };
        if (!node_.hand_off(account, batch, first_id, settled)) {
            settled(false);
        }
        first = end;
    }
}

void outbox_handoff::arrived(std::string_view account,
                             std::span<const cluster::outbox_entry> entries,
                             std::function<void(bool)> settle) {
    if (relay_.receivers(account) == 0) {
        settle(false);  // its receiver just left: the stream offers it to whoever serves it
        return;
    }
    std::vector<store::mo_record> records;
    records.reserve(entries.size());
    const auto now = live_.now();
    for (const auto& e : entries) {
        store::mo_record r;
        r.account = std::string(account);
        r.kind = e.kind;
        r.when = now;
        r.bytes = std::string(e.bytes);
        records.push_back(std::move(r));
    }
    // One group: the batch is in this outbox whole or not at all, and settled once.
    live_.outbox_entries(std::move(records),
                         [settle = std::move(settle)](std::error_code ec) { settle(!ec); });
}

}  // namespace smppgw::gateway
