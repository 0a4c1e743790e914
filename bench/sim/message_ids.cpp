#include "sim/message_ids.hpp"

#include <fmt/format.h>

namespace smppgw::bench::sim {
namespace {

std::uint64_t mix(std::uint64_t z) noexcept {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

}  // namespace

message_id_source::message_id_source(id_style style, std::uint64_t base, std::size_t shard,
                                     std::size_t shards)
    : style_(style), next_(base + shard), step_(shards == 0 ? 1 : shards) {}

std::size_t message_id_source::next(char* out) noexcept {
    const std::uint64_t n = next_;
    next_ += step_;
    switch (style_) {
        case id_style::decimal: {
            const auto r = fmt::format_to_n(out, 40, "{}", n);
            return r.size;
        }
        case id_style::hex: {
            const auto r = fmt::format_to_n(out, 40, "{:x}", n);
            return r.size;
        }
        case id_style::uuid: {
            // Version-4 layout; the low 48 bits carry the counter so ids never repeat, the rest
            // is scrambled so they look like the random UUIDs carriers hand out.
            const std::uint64_t hi = (mix(n) & 0xFFFFFFFFFFFF0FFFULL) | 0x0000000000004000ULL;
            const std::uint64_t lo_rand = (mix(n ^ 0xA5A5A5A5A5A5A5A5ULL) & 0x3FFFULL) | 0x8000ULL;
            const std::uint64_t counter = n & 0xFFFFFFFFFFFFULL;
            const auto r =
                fmt::format_to_n(out, 40, "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", hi >> 32,
                                 (hi >> 16) & 0xFFFF, hi & 0xFFFF, lo_rand, counter);
            return r.size;
        }
    }
    return 0;
}

}  // namespace smppgw::bench::sim
