#pragma once
// Wall-clock microseconds since the Unix epoch: the time stamps nodes put in what they publish,
// so another node can tell how long the change took to reach it (meaningful to the accuracy of
// the nodes' clock synchronisation; exact on one host).

#include <chrono>
#include <cstdint>

namespace smppgw::cluster::detail {

[[nodiscard]] inline std::int64_t wall_clock_us() noexcept {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace smppgw::cluster::detail
