#pragma once
// The RocksDB column families of a store. Key layouts are documented in store/src/keys.hpp;
// "be64" is 8 bytes big-endian, "t64" a millisecond instant as be64 with the sign bit flipped
// (so negative instants sort first), "\0" a separator byte that key strings never contain.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace smppgw::store {

enum class column_family : std::uint8_t {
    meta = 0,         // RocksDB's "default": the store marker, format version, watermarks
    messages = 1,     // be64(id) -> finished message record (written by the materializer)
    pending = 2,      // format 1 only: accepted/queued ids (read once by the upgrade)
    carrier_ids = 3,  // carrier \0 carrier_message_id -> (id, part)
    optouts = 4,      // 'a' brand \0 msisdn -> opt-out; 'h' ... -> put/lift history (evidence)
    consents = 5,     // 's' brand \0 msisdn \0 class -> current state; 'e' ... -> events
    deferred = 6,     // format 1 only: t64(release) be64(id) (read once by the upgrade)
    outbox = 7,       // format 1 only: unacknowledged DLR/MO entries (read once by the upgrade)
    freq = 8,         // brand \0 msisdn -> recent send times (merge operator)
    audit = 9,        // 't' t64(when) be64(id) be64(uniq) -> decision; 'm' msisdn \0 ... -> ""
    journal = 10,     // be64(first LSN of a group) -> the group's records (appends only)
    checkpoint = 11,  // be64(generation) be32(chunk) -> live state chunk
    holds = 12,       // brand \0 msisdn -> review hold (ambiguous STOP)
    stats = 13,       // t64(hour) account \0 brand \0 campaign \0 measure -> count (merge)
};

inline constexpr std::size_t column_family_count = 14;

inline constexpr std::array<std::string_view, column_family_count> column_family_names{
    "default",  "messages", "pending", "carrier_ids", "optouts", "consents",   "deferred",
    "outbox",   "freq",     "audit",   "journal",     "checkpoint", "holds",      "stats",
};

[[nodiscard]] constexpr std::string_view name_of(column_family cf) noexcept {
    return column_family_names[static_cast<std::size_t>(cf)];
}

}  // namespace smppgw::store
