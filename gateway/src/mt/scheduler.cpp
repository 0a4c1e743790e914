#include "mt/scheduler.hpp"

#include <boost/asio/post.hpp>

#include "mt/acceptance.hpp"

namespace smppgw::gateway {

scheduler::scheduler(store::live_state& live, acceptance& accept, route_fn route)
    : live_(live), acceptance_(accept), route_(std::move(route)) {}

std::size_t scheduler::release_due(store::time_point now, std::size_t limit) {
    const auto due = live_.take_due(now, limit);
    for (const auto& m : due) {
        acceptance_.release(m, [this](store::message_ptr released) { route_(std::move(released)); });
    }
    return due.size();
}

void scheduler::start(boost::asio::io_context& ctx, std::chrono::milliseconds period,
                      std::function<void()> housekeeping) {
    timer_ = std::make_unique<boost::asio::steady_timer>(ctx);
    period_ = period;
    housekeeping_ = std::move(housekeeping);
    arm();
}

void scheduler::stop() {
    if (!timer_) {
        return;
    }
    boost::asio::post(timer_->get_executor(), [this] {
        stopped_ = true;
        timer_->cancel();
    });
}

void scheduler::arm() {
    timer_->expires_after(period_);
    timer_->async_wait([this](const boost::system::error_code& ec) {
        if (ec || stopped_) {
            return;
        }
        // Drain what is due in bounded batches, so a large backlog (a morning after quiet
        // hours) does not hold the thread for long in one go.
        (void)release_due(live_.now(), 512);
        const auto now = std::chrono::steady_clock::now();
        if (housekeeping_ && now - last_housekeeping_ >= std::chrono::seconds(1)) {
            last_housekeeping_ = now;
            housekeeping_();
        }
        arm();
    });
}

}  // namespace smppgw::gateway
