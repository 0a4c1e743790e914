#include "inbound/outbox_handoff.hpp"

#include <vector>

namespace smppgw::gateway {

outbox_handoff::outbox_handoff(store::live_state& live, const outbox_relay& relay,
                               outbox_link& cluster)
    : live_(live), relay_(relay), node_(cluster) {}

void outbox_handoff::attach() {
    node_.on_arrival([this](std::string_view account, store::outbox_kind kind,
                                   std::string_view bytes, std::function<void(bool)> settle) {
        arrived(account, kind, bytes, std::move(settle));
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
    std::vector<taken> batch;
    // Copied under the live state's lock, published outside it.
    (void)live_.take_outbox(account, room,
                            [&](store::lsn_t entry, store::outbox_kind kind, std::string_view b) {
                                batch.push_back({entry, kind, std::string(b)});
                                return true;
                            });
    for (const auto& t : batch) {
        {
            std::lock_guard lock(mu_);
            ++in_flight_[account];
        }
        const auto settled = [this, account, entry = t.entry](bool stored) {
            // Stored by the stream: gone from here (journaled like a delivery). Not stored:
            // deliverable here again, and the next sweep tries again.
            stored ? live_.delivered(account, entry) : live_.returned(account, entry);
            std::lock_guard lock(mu_);
            --in_flight_[account];
        };
        if (!node_.hand_off(account, t.kind, t.bytes, t.entry, settled)) {
            settled(false);
        }
    }
}

void outbox_handoff::arrived(std::string_view account, store::outbox_kind kind,
                             std::string_view bytes, std::function<void(bool)> settle) {
    if (relay_.receivers(account) == 0) {
        settle(false);  // its receiver just left: the stream offers it to whoever serves it
        return;
    }
    store::mo_record r;
    r.account = std::string(account);
    r.kind = kind;
    r.when = live_.now();
    r.bytes = std::string(bytes);
    live_.mo(std::move(r), {}, nullptr, nullptr,
             [settle = std::move(settle)](std::error_code ec) { settle(!ec); });
}

}  // namespace smppgw::gateway
