#pragma once
// 64-bit message ids: time-ordered, unique per node, printed as at most 19 decimal digits.
//
//   bit 63      : always 0 (ids stay positive as signed 64-bit integers for SQL/JSON consumers)
//   bits 62..22 : 41 bits of milliseconds since id_epoch (2024-01-01T00:00:00Z; lasts to 2093)
//   bits 21..10 : 12-bit sequence within the millisecond (4096 ids per ms per node)
//   bits  9..0  : 10-bit node id (0..1023)
//
// The sequence sits above the node bits on purpose: the next id is last + (1 << 10), so a
// sequence overflow carries into the millisecond field (borrowing the next millisecond) and a
// clock that steps back keeps counting from the last id. Ids from one generator are strictly
// increasing whatever the clock does; the node bits never change.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "smppgw/store/clock.hpp"

namespace smppgw::store {

using message_id = std::uint64_t;

inline constexpr time_point id_epoch{std::chrono::milliseconds{1'704'067'200'000}};
inline constexpr unsigned id_node_bits = 10;
inline constexpr unsigned id_sequence_bits = 12;
inline constexpr unsigned id_time_shift = id_node_bits + id_sequence_bits;
inline constexpr std::uint32_t id_max_node = (1U << id_node_bits) - 1;

// The millisecond an id was issued at (or borrowed, under a burst); used by retention.
[[nodiscard]] constexpr time_point id_time(message_id id) noexcept {
    return id_epoch + std::chrono::milliseconds{static_cast<std::int64_t>(id >> id_time_shift)};
}
[[nodiscard]] constexpr std::uint32_t id_node(message_id id) noexcept {
    return static_cast<std::uint32_t>(id & id_max_node);
}
// The smallest id any node can issue at `t`: a lower bound for range scans by time.
[[nodiscard]] message_id first_id_at(time_point t) noexcept;

[[nodiscard]] std::string format_id(message_id id);

class id_generator {
public:
    // Throws std::invalid_argument when node > id_max_node.
    id_generator(std::uint32_t node, std::shared_ptr<const clock> clk);

    // Thread-safe and lock-free (one CAS loop on an atomic).
    [[nodiscard]] message_id next() noexcept;

    // Makes every later id greater than `id` if it was issued by this node: the store calls it
    // on open with the newest stored id, so ids never repeat across a restart even if the clock
    // went back or a burst borrowed future milliseconds.
    void observe(message_id id) noexcept;

    [[nodiscard]] std::uint32_t node() const noexcept { return node_; }

private:
    std::uint32_t node_;
    std::shared_ptr<const clock> clock_;
    std::atomic<message_id> last_{0};
};

}  // namespace smppgw::store
