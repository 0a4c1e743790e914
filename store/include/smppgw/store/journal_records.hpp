#pragma once
// The journal's records, typed, with their encodings. Each payload starts with a format byte
// (1); fields follow in a fixed order as varints, zigzag-varint times and length-prefixed
// bytes. Decoders return false on anything malformed and never throw.
//
// Records are facts, not requests: the component that decided (acceptance, receipt relay, ...)
// writes what happened, including the bytes of any receipt it owes upstream, so that replaying
// a record never depends on configuration that may have changed since.

#include <cstdint>
#include <string>
#include <string_view>

#include "smppgw/store/journal.hpp"
#include "smppgw/store/message_record.hpp"
#include "smppgw/store/records.hpp"

namespace smppgw::store {

// record_kind::accepted
struct accepted_record {
    message_record message;  // message.state is queued or deferred
    time_point release{};    // when deferred: the time the policy runs again
    bool counts_toward_frequency = false;
    // A reply smppgw sends itself (opt-out confirmation, HELP): no opt-out stops it.
    bool keyword_reply = false;
};

// record_kind::released
struct released_record {
    message_id id = 0;
    time_point when{};
    // Set when the release counts a send toward a frequency cap (reserved at `when`).
    bool counts_toward_frequency = false;
};

// record_kind::deferred
struct deferred_record {
    message_id id = 0;
    time_point until{};
    time_point when{};
};

// record_kind::submitted
struct submitted_record {
    message_id id = 0;
    std::uint16_t part = 0;
    std::uint16_t parts = 1;  // how many parts the carrier gets for this message
    std::string carrier;
    std::string carrier_message_id;  // normalized
    time_point when{};
};

// record_kind::receipt
struct receipt_record {
    message_id id = 0;
    std::string account;  // who the DLR is for (the message may be gone when it replays)
    std::uint16_t part = 0;
    message_state state = message_state::unknown;
    std::uint32_t error = 0;
    time_point when{};
    std::string dlr;  // the encoded deliver_sm owed to the account, empty when none is
};

// record_kind::failed, ::expired, ::cancelled: the message ends without a carrier receipt.
struct ended_record {
    message_id id = 0;
    std::string account;  // who the DLR is for
    message_state state = message_state::failed;  // failed, expired or cancelled
    std::uint32_t status = 0;  // the SMPP or vendor status behind a failure, 0 otherwise
    time_point when{};
    std::string dlr;  // the encoded deliver_sm owed to the account, empty when none is
};

// record_kind::replaced
struct replaced_record {
    message_id id = 0;
    std::uint8_t registered_delivery = 0;
    std::string payload;
    time_point when{};
};

// record_kind::mo: an entry for an account's outbox that is not a message's receipt.
struct mo_record {
    std::string account;
    outbox_kind kind = outbox_kind::mo;
    time_point when{};
    std::string bytes;  // the encoded deliver_sm
};

// record_kind::delivered_upstream, ::outbox_dropped
struct outbox_done_record {
    std::string account;
    lsn_t entry = 0;  // the outbox entry's id: the LSN of the record that created it
    time_point when{};
};

// record_kind::audit: `audit` holds the decision.
struct audit_entry_record {
    audit_record audit;
};

// record_kind::restored
struct restored_record {
    message_record message;
};

// record_kind::unmatched_receipt
struct unmatched_record {
    std::string carrier;
    std::string carrier_message_id;  // normalized
    time_point when{};
    std::string pdu;  // the carrier's deliver_sm as received, encoded
};

// record_kind::unmatched_resolved: the unmatched receipt kept by record `entry` is gone (it
// matched at last, or an operator dropped it).
struct unmatched_resolved_record {
    lsn_t entry = 0;
};

// Encoders append to `out` (callers reuse buffers).
void encode(const accepted_record& r, std::string& out);
void encode(const released_record& r, std::string& out);
void encode(const deferred_record& r, std::string& out);
void encode(const submitted_record& r, std::string& out);
void encode(const receipt_record& r, std::string& out);
void encode(const ended_record& r, std::string& out);
void encode(const replaced_record& r, std::string& out);
void encode(const mo_record& r, std::string& out);
void encode(const outbox_done_record& r, std::string& out);
void encode(const audit_entry_record& r, std::string& out);
void encode(const restored_record& r, std::string& out);
void encode(const unmatched_record& r, std::string& out);
void encode(const unmatched_resolved_record& r, std::string& out);

[[nodiscard]] bool decode(std::string_view in, accepted_record& r);
[[nodiscard]] bool decode(std::string_view in, released_record& r);
[[nodiscard]] bool decode(std::string_view in, deferred_record& r);
[[nodiscard]] bool decode(std::string_view in, submitted_record& r);
[[nodiscard]] bool decode(std::string_view in, receipt_record& r);
[[nodiscard]] bool decode(std::string_view in, ended_record& r);
[[nodiscard]] bool decode(std::string_view in, replaced_record& r);
[[nodiscard]] bool decode(std::string_view in, mo_record& r);
[[nodiscard]] bool decode(std::string_view in, outbox_done_record& r);
[[nodiscard]] bool decode(std::string_view in, audit_entry_record& r);
[[nodiscard]] bool decode(std::string_view in, restored_record& r);
[[nodiscard]] bool decode(std::string_view in, unmatched_record& r);
[[nodiscard]] bool decode(std::string_view in, unmatched_resolved_record& r);

}  // namespace smppgw::store
