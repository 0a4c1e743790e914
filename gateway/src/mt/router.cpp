#include "mt/router.hpp"

#include <algorithm>

#include "infra/log.hpp"
#include "infra/metrics.hpp"
#include "wire/wire.hpp"

namespace smppgw::gateway {

router::router(route_directory& carriers, store::live_state& live, metrics& stats)
    : carriers_(carriers), live_(live), stats_(stats) {}

void router::configure(const std::vector<route_config>& routes) {
    auto t = std::make_shared<table>();
    t->routes = routes;
    std::stable_sort(t->routes.begin(), t->routes.end(), [](const auto& a, const auto& b) {
        return a.prefix.size() > b.prefix.size();
    });
    table_.store(std::move(t));
}

std::shared_ptr<route_target> router::pick(std::string_view msisdn) const {
    const auto t = table_.load();
    if (!t) {
        return nullptr;
    }
    const auto r = std::find_if(t->routes.begin(), t->routes.end(),
                                [&](const route_config& rc) { return msisdn.starts_with(rc.prefix); });
    if (r == t->routes.end()) {
        return nullptr;
    }
    std::shared_ptr<route_target> primary;
    for (const auto& name : r->carriers) {
        auto c = carriers_.find_target(name);
        if (!c) {
            continue;
        }
        if (!primary) {
            primary = c;
        }
        if (c->up()) {
            return c;  // failover: the first carrier in priority order that is bound
        }
    }
    return primary;  // all down: wait in the primary's queue (and fail over when one comes up)
}

void router::route(store::message_ptr m) {
    auto c = pick(m->rec.msisdn);
    if (!c) {
        log::warn("no route for message {} to {}", log::message_id(m->rec.id), m->rec.msisdn);
        const auto rec = live_.find(m->rec.id);
        if (rec) {
            store::ended_record r;
            r.id = rec->id;
            r.state = store::message_state::failed;
            r.when = live_.now();
            r.dlr = final_receipt_bytes(*rec, store::message_state::failed, 0, r.when);
            (void)live_.end(m, std::move(r), {});
        }
        stats_.messages(m->rec.account, "unroutable").Increment();
        return;
    }
    c->enqueue(dispatch{std::move(m), nullptr, -1});
}

void router::move_queue(route_target& from) {
    std::size_t moved = 0;
    for (auto& d : from.drain()) {
        auto target = pick(d.message->rec.msisdn);
        if (target && target.get() != &from && target->up()) {
            target->enqueue(std::move(d));
            ++moved;
        } else {
            from.enqueue(std::move(d));
        }
    }
    if (moved > 0) {
        log::info("failed over {} queued messages from carrier {}", moved, log::carrier(from.name()));
    }
}

void router::carrier_state_changed(route_target& c, bool up) {
    // Checked both when a carrier goes down (its queue moves on) and when one comes up (work
    // queued while every carrier was down, or resumed after a restart before any bind was up,
    // finally has somewhere to go).
    if (!up) {
        move_queue(c);
        return;
    }
    for (auto& other : carriers_.all_targets()) {
        if (other.get() != &c && !other->up() && other->queued() > 0) {
            move_queue(*other);
        }
    }
}

}  // namespace smppgw::gateway
