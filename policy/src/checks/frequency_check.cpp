#include <algorithm>

#include <fmt/format.h>

#include "checks.hpp"

namespace smppgw::policy::checks {

frequency_check::frequency_check(const frequency_config& cfg, const number_index& numbers)
    : check(check_id::frequency, cfg.shadow), cfg_(cfg) {
    for (const auto& c : cfg_.caps) {
        if (c.max_messages == 0 || c.max_messages > send_history::capacity) {
            throw config_error(fmt::format("frequency.caps[{}]: max_messages must be 1..{}",
                                           c.region, send_history::capacity));
        }
        if (c.window.count() <= 0) {
            throw config_error(
                fmt::format("frequency.caps[{}]: window must be positive", c.region));
        }
    }
    const auto regions = numbers.regions();
    by_region_.resize(regions.size());
    for (std::size_t r = 0; r < regions.size(); ++r) {
        if (const auto* c = most_specific(
                cfg_.caps, regions[r],
                [](const frequency_cap_config& e) -> std::string_view { return e.region; })) {
            by_region_[r] = cap{c->max_messages, c->window};
        }
    }
}

bool frequency_check::counts_send(const message_facts& facts) const noexcept {
    return facts.reply == keyword_reply::none &&
           applies(facts.klass, cfg_.promotional, cfg_.transactional, cfg_.conversational);
}

check_verdict frequency_check::decide(evaluation& ev) const {
    if (!counts_send(ev.facts)) {
        return check_verdict::not_applicable();
    }
    const auto& c = by_region_[ev.profile.region];
    if (!c) {
        return check_verdict::not_applicable();
    }
    // Rolling window (now - window, now]: a send exactly `window` old has aged out.
    const time_point since = ev.now - c->window + std::chrono::milliseconds{1};
    const send_history h =
        ev.lk.frequency->recent_sends(ev.facts.brand, ev.destination.digits(), since);
    std::array<time_point, send_history::capacity> sends{};
    std::size_t n = 0;
    for (const time_point s : h.view()) {
        if (s >= since) {
            sends[n++] = s;
        }
    }
    if (n < c->max_messages) {
        return check_verdict::accept();
    }
    std::sort(sends.begin(), sends.begin() + static_cast<std::ptrdiff_t>(n));
    // Sending becomes possible when enough of the oldest sends have aged out to leave
    // max_messages - 1 in the window.
    const time_point release = sends[n - c->max_messages] + c->window;
    if (cfg_.action == block_action::reject) {
        return check_verdict::reject(reason::frequency_cap);
    }
    return check_verdict::defer(reason::frequency_cap, release);
}

}  // namespace smppgw::policy::checks
