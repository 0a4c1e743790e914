#include "carrier/carrier_pool.hpp"

#include <set>

namespace smppgw::gateway {

carrier_pool::carrier_pool(io_pool& io, metrics& stats, carrier_events& events)
    : io_(io), stats_(stats), events_(events) {}

void carrier_pool::configure(const std::vector<carrier_config>& configured,
                             const std::function<void(dispatch)>& reroute) {
    std::vector<std::shared_ptr<carrier>> started;
    std::vector<std::shared_ptr<carrier>> removed;
    std::vector<std::pair<std::shared_ptr<carrier>, carrier_config>> changed;
    {
        std::lock_guard lock(mutex_);
        std::set<std::string, std::less<>> present;
        for (const auto& cc : configured) {
            present.insert(cc.name);
            const auto it = carriers_.find(cc.name);
            if (it == carriers_.end()) {
                auto car = std::make_shared<carrier>(cc, io_, stats_, events_);
                carriers_.emplace(cc.name, car);
                started.push_back(std::move(car));
            } else {
                changed.emplace_back(it->second, cc);
            }
        }
        for (auto it = carriers_.begin(); it != carriers_.end();) {
            if (!present.contains(it->first)) {
                removed.push_back(it->second);
                it = carriers_.erase(it);
            } else {
                ++it;
            }
        }
    }
    for (auto& [car, cc] : changed) {
        car->reconfigure(cc);
    }
    for (auto& car : started) {
        car->start();
    }
    for (auto& car : removed) {
        // Everything it holds, now or later (work its binds hand back as they close), goes to
        // whatever route the new config gives it.
        car->retire(reroute);
    }
}

void carrier_pool::stop_all() {
    for (auto& c : all()) {
        c->stop();
    }
}

std::shared_ptr<carrier> carrier_pool::find(std::string_view name) const {
    std::lock_guard lock(mutex_);
    const auto it = carriers_.find(name);
    return it == carriers_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<carrier>> carrier_pool::all() const {
    std::lock_guard lock(mutex_);
    std::vector<std::shared_ptr<carrier>> out;
    for (const auto& [name, c] : carriers_) {
        out.push_back(c);
    }
    return out;
}

std::shared_ptr<route_target> carrier_pool::find_target(std::string_view name) const {
    return find(name);
}

std::vector<std::shared_ptr<route_target>> carrier_pool::all_targets() const {
    std::vector<std::shared_ptr<route_target>> out;
    for (auto& c : all()) {
        out.push_back(std::move(c));
    }
    return out;
}

}  // namespace smppgw::gateway
