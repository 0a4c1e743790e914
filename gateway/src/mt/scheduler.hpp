#pragma once
// The scheduler: time-driven work. Every tick it releases the deferred messages whose time has
// come (the whole policy chain runs again in acceptance::release; accepted ones go to the
// router once the release is durable), then, at most once a second, the housekeeping the
// composition root hands it (parked receipts, incomplete concatenated MOs, gauges).
//
// Thread rule: runs on one io_context thread (the timer's); release_due() may also be called
// directly (tests), from one thread at a time.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "smppgw/store/live_state.hpp"

namespace smppgw::gateway {

class acceptance;

class scheduler {
public:
    using route_fn = std::function<void(store::message_ptr)>;

    scheduler(store::live_state& live, acceptance& accept, route_fn route);

    // Releases (or defers again, or refuses) up to `limit` deferred messages due at `now`.
    std::size_t release_due(store::time_point now, std::size_t limit = 256);

    // Ticks every `period` on `ctx`; `housekeeping` at most once a second.
    void start(boost::asio::io_context& ctx, std::chrono::milliseconds period,
               std::function<void()> housekeeping);
    void stop();

private:
    void arm();

    store::live_state& live_;
    acceptance& acceptance_;
    route_fn route_;
    std::unique_ptr<boost::asio::steady_timer> timer_;
    std::chrono::milliseconds period_{100};
    std::function<void()> housekeeping_;
    std::chrono::steady_clock::time_point last_housekeeping_{};
    bool stopped_ = false;
};

}  // namespace smppgw::gateway
