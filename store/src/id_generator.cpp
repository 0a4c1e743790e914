#include "smppgw/store/id_generator.hpp"

#include <stdexcept>

namespace smppgw::store {
namespace {

constexpr std::uint64_t max_ms = (1ULL << (63 - id_time_shift)) - 1;

std::uint64_t ms_since_epoch(time_point t) noexcept {
    const auto ms = (t - id_epoch).count();
    if (ms < 0) {
        return 0;
    }
    return static_cast<std::uint64_t>(ms) > max_ms ? max_ms : static_cast<std::uint64_t>(ms);
}

}  // namespace

message_id first_id_at(time_point t) noexcept {
    return ms_since_epoch(t) << id_time_shift;
}

std::string format_id(message_id id) {
    return std::to_string(id);
}

id_generator::id_generator(std::uint32_t node, std::shared_ptr<const clock> clk)
    : node_(node), clock_(std::move(clk)) {
    if (node > id_max_node) {
        throw std::invalid_argument("id_generator: node id above 1023");
    }
    if (!clock_) {
        throw std::invalid_argument("id_generator: no clock");
    }
}

message_id id_generator::next() noexcept {
    constexpr message_id step = 1ULL << id_node_bits;
    const message_id candidate = (ms_since_epoch(clock_->now()) << id_time_shift) | node_;
    message_id last = last_.load(std::memory_order_relaxed);
    for (;;) {
        const message_id next = last == 0 || candidate > last ? candidate : last + step;
        if (last_.compare_exchange_weak(last, next, std::memory_order_relaxed)) {
            return next;
        }
    }
}

void id_generator::observe(message_id id) noexcept {
    if (id_node(id) != node_) {
        return;
    }
    message_id last = last_.load(std::memory_order_relaxed);
    while (id > last && !last_.compare_exchange_weak(last, id, std::memory_order_relaxed)) {
    }
}

}  // namespace smppgw::store
