#pragma once
// Receipts and MOs cross nodes in batches: one outbox-stream message carries up to
// max_entries of one account's entries, so that JetStream's per-message work (three replicas
// through Raft, a delivery and an acknowledgement replicated by the consumer's own Raft group)
// is paid once per batch, not once per receipt (BENCHMARKS.md, "receipts crossing to a
// receiver on another node").
//
// The format (the message body; the `Smppgw-Entries` header carries the count): u8 version
// (1), then per entry: u8 kind (1 receipt, 2 MO), varint length, the entry's bytes (the PDU
// body the receiver gets). A message without that header is one entry as nodes before batching
// published it: the body is the entry, the `Smppgw-Kind` header its kind.
//
// Thread rule: pure functions.

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "smppgw/store/records.hpp"

namespace smppgw::cluster {

struct outbox_entry {
    store::outbox_kind kind = store::outbox_kind::dlr;
    std::string_view bytes;
};

struct outbox_batch_limits {
    // Entries and bytes per stream message: far below NATS' default 1 MiB max_payload, and
    // small enough that a batch refused for a receiver that just left is cheap to offer again.
    // A single entry larger than max_bytes (an SMPP PDU: a few hundred bytes, 64 KiB at most
    // with a message_payload) travels alone.
    static constexpr std::size_t max_entries = 256;
    static constexpr std::size_t max_bytes = 256 * 1024;
};

// The encoded size of `e` in a batch (to keep a batch under max_bytes).
[[nodiscard]] std::size_t encoded_size(const outbox_entry& e) noexcept;
[[nodiscard]] std::string encode_outbox_batch(std::span<const outbox_entry> entries);
// The entries (views into `body`); nullopt when the body is damaged or does not hold exactly
// `count` entries.
[[nodiscard]] std::optional<std::vector<outbox_entry>> decode_outbox_batch(std::string_view body,
                                                                           std::size_t count);

}  // namespace smppgw::cluster
