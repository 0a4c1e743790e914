#pragma once
// The router: accepted messages to carriers — the route with the longest destination prefix,
// then the first of its carriers that is up (failover in priority order); while every carrier
// of the route is down, messages wait at the first one. When a carrier goes down its queue
// moves on; when one comes up, what waited for the others comes to it.
//
// Thread rule: any thread. The route table is an immutable snapshot swapped on reload; carrier
// queues lock themselves.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "infra/snapshot.hpp"
#include "mt/dispatch.hpp"
#include "smppgw/gateway/config.hpp"
#include "smppgw/store/live_state.hpp"

namespace smppgw::gateway {

class metrics;

// A carrier as the router sees it (carrier/carrier.hpp implements it; tests fake it).
class route_target {
public:
    virtual ~route_target() = default;
    [[nodiscard]] virtual const std::string& name() const noexcept = 0;
    [[nodiscard]] virtual bool up() const noexcept = 0;
    virtual void enqueue(dispatch d, bool front = false) = 0;
    // Removes and returns everything queued.
    [[nodiscard]] virtual std::vector<dispatch> drain() = 0;
    [[nodiscard]] virtual std::size_t queued() const = 0;
};

class route_directory {
public:
    virtual ~route_directory() = default;
    [[nodiscard]] virtual std::shared_ptr<route_target> find_target(std::string_view name) const = 0;
    [[nodiscard]] virtual std::vector<std::shared_ptr<route_target>> all_targets() const = 0;
};

class router {
public:
    router(route_directory& carriers, store::live_state& live, metrics& stats);

    void configure(const std::vector<route_config>& routes);
    // Hands an accepted message to its carrier, or ends it (no route: failed, with a receipt
    // if one was asked for).
    void route(store::message_ptr m);
    // The carrier for a destination right now (nullptr: no route).
    [[nodiscard]] std::shared_ptr<route_target> pick(std::string_view msisdn) const;
    // A carrier lost its last bind, or got one back.
    void carrier_state_changed(route_target& c, bool up);

private:
    struct table {
        std::vector<route_config> routes;  // longest prefix first
    };
    void move_queue(route_target& from);

    route_directory& carriers_;
    store::live_state& live_;
    metrics& stats_;
    snapshot<table> table_;
};

}  // namespace smppgw::gateway
