#pragma once
// Carrier message ids in the styles real SMSCs use (SMPP.md §8.3): decimal, hex, UUID. Ids are
// unique across the simulator's threads and, because they start from the wall clock, across
// restarts too, so a gateway never sees an old id again after the simulator is restarted.

#include <cstddef>
#include <cstdint>

#include "sim/sim_config.hpp"

namespace smppgw::bench::sim {

class message_id_source {
public:
    // `shard` of `shards`: each thread draws from its own arithmetic progression.
    message_id_source(id_style style, std::uint64_t base, std::size_t shard, std::size_t shards);

    // Writes the next id into `out` (at least 40 bytes); returns its length.
    std::size_t next(char* out) noexcept;

private:
    id_style style_;
    std::uint64_t next_;
    std::uint64_t step_;
};

}  // namespace smppgw::bench::sim
