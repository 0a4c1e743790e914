#include "inbound/outbox_relay.hpp"

#include <algorithm>

#include "infra/metrics.hpp"

namespace smppgw::gateway {

outbox_delivery::outbox_delivery(store::live_state& live, std::string account, receiver& r,
                                 metrics* stats)
    : live_(live), account_(std::move(account)), receiver_(r), stats_(stats) {}

outbox_delivery::steady::time_point outbox_delivery::pump(std::size_t window,
                                                          steady::time_point now) {
    if (now < paused_until_) {
        return paused_until_;
    }
    while (in_flight_.size() < window) {
        const auto handed = live_.take_outbox(
            account_, window - in_flight_.size(),
            [&](store::lsn_t entry, store::outbox_kind kind, std::string_view bytes) {
                const auto cookie = next_cookie_++;
                if (!receiver_.deliver(bytes, cookie)) {
                    return false;
                }
                in_flight_.emplace(cookie, std::pair{entry, kind});
                return true;
            });
        if (handed == 0) {
            break;
        }
    }
    return {};
}

void outbox_delivery::answered(std::uint64_t cookie, const smpp::pdu* response,
                               steady::time_point now) {
    const auto it = in_flight_.find(cookie);
    if (it == in_flight_.end()) {
        return;
    }
    const auto [entry, kind] = it->second;
    in_flight_.erase(it);
    const auto status = response != nullptr ? response->command_status : smpp::status::ESME_RSYSERR;
    if (response != nullptr && (status == smpp::status::ESME_ROK ||
                                status == smpp::status::ESME_RX_P_APPN ||
                                status == smpp::status::ESME_RX_R_APPN)) {
        // Acknowledged (or refused for good by the application, which retrying cannot change).
        if (stats_ != nullptr) {
            stats_->outbox_delivered(account_, status == smpp::status::ESME_ROK
                                                   ? store::to_string(kind)
                                                   : std::string_view("refused"))
                .Increment();
        }
        live_.delivered(account_, entry);
        backoff_ = std::chrono::milliseconds(0);
        return;
    }
    // Timeout, throttled, temporary refusal: back in the outbox, and this bind pauses.
    live_.returned(account_, entry);
    backoff_ = std::clamp(backoff_ * 2, std::chrono::milliseconds(250),
                          std::chrono::milliseconds(30'000));
    paused_until_ = now + backoff_;
}

void outbox_delivery::closed() {
    for (const auto& [cookie, e] : in_flight_) {
        live_.returned(account_, e.first);
    }
    in_flight_.clear();
}

void outbox_relay::on_receivers_changed(std::function<void(std::string_view account)> fn) {
    receivers_changed_ = std::move(fn);
}

void outbox_relay::add(std::string_view account, const std::shared_ptr<receiver>& r) {
    {
        std::lock_guard lock(mutex_);
        auto& list = receivers_[std::string(account)];
        std::erase_if(list, [](const auto& w) { return w.expired(); });
        list.push_back(r);
    }
    if (receivers_changed_) {
        receivers_changed_(account);
    }
    r->kick();  // whatever waited while nobody was bound
}

void outbox_relay::remove(std::string_view account, const receiver* r) {
    std::vector<std::shared_ptr<receiver>> others;
    {
        std::lock_guard lock(mutex_);
        const auto it = receivers_.find(account);
        if (it == receivers_.end()) {
            return;
        }
        std::erase_if(it->second, [&](const auto& w) {
            auto p = w.lock();
            return !p || p.get() == r;
        });
        for (const auto& w : it->second) {
            if (auto p = w.lock()) {
                others.push_back(std::move(p));
            }
        }
    }
    if (receivers_changed_) {
        receivers_changed_(account);
    }
    // What the leaving bind had in flight went back to the outbox: another bind takes it.
    for (auto& o : others) {
        o->kick();
    }
}

std::size_t outbox_relay::ready(std::string_view account) {
    std::vector<std::shared_ptr<receiver>> live;
    {
        std::lock_guard lock(mutex_);
        const auto it = receivers_.find(account);
        if (it == receivers_.end()) {
            return 0;
        }
        for (const auto& w : it->second) {
            if (auto p = w.lock()) {
                live.push_back(std::move(p));
            }
        }
    }
    for (auto& r : live) {
        r->kick();
    }
    return live.size();
}

std::size_t outbox_relay::receivers(std::string_view account) const {
    std::lock_guard lock(mutex_);
    const auto it = receivers_.find(account);
    if (it == receivers_.end()) {
        return 0;
    }
    return static_cast<std::size_t>(std::count_if(it->second.begin(), it->second.end(),
                                                  [](const auto& w) { return !w.expired(); }));
}

}  // namespace smppgw::gateway
