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
    meta = 0,         // RocksDB's "default": the store marker and format version
    messages = 1,     // be64(id) -> message record (merge operator folds state events)
    pending = 2,      // be64(id) -> "" : accepted/queued but not yet submitted (see keys.hpp)
    carrier_ids = 3,  // carrier \0 carrier_message_id -> (id, part)
    optouts = 4,      // 'a' brand \0 msisdn -> opt-out; 'h' ... -> put/lift history (evidence)
    consents = 5,     // 's' brand \0 msisdn \0 class -> current state; 'e' ... -> events
    deferred = 6,     // t64(release) be64(id) -> ""
    outbox = 7,       // 'q' account \0 be64(seq) -> entry; 's' account -> last assigned seq
    freq = 8,         // brand \0 msisdn -> recent send times (merge operator)
    audit = 9,        // 't' t64(when) be64(id) be64(uniq) -> decision; 'm' msisdn \0 ... -> ""
};

inline constexpr std::size_t column_family_count = 10;

inline constexpr std::array<std::string_view, column_family_count> column_family_names{
    "default",  "messages", "pending", "carrier_ids", "optouts",
    "consents", "deferred", "outbox",  "freq",        "audit",
};

[[nodiscard]] constexpr std::string_view name_of(column_family cf) noexcept {
    return column_family_names[static_cast<std::size_t>(cf)];
}

}  // namespace smppgw::store
