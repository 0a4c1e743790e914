#pragma once
// Receipt correlation in memory: (carrier, normalized carrier id) → which part of which message,
// plus what the upstream receipt needs, so the common receipt costs no store read.
//
// A mapping enters when the carrier's submit_sm_resp arrives and becomes `durable` when the
// store has journaled it. A receipt that arrives before that (the carrier's receipt can overtake
// our own commit) is parked on the entry and handled the moment the mapping is durable: DESIGN.md
// says a mapping is durable before any receipt for it is handled. Receipts for ids not in memory
// (after a restart, or old ones) fall back to the store; ones nobody knows yet are parked with a
// deadline, then given up and counted.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "carrier/carrier.hpp"
#include "smppgw/smpp/pdu.hpp"
#include "smppgw/store/message_record.hpp"

namespace smppgw::gateway {

// What an upstream receipt needs about a message, shared by its parts.
struct receipt_context {
    store::message_id id = 0;
    std::string account;
    store::sme_address source;
    store::sme_address destination;
    std::uint8_t registered_delivery = 0;
    bool per_segment = false;
    store::time_point received{};
    std::string text;  // receipt_text_of the message: the receipts' `text:` field
    std::chrono::steady_clock::time_point accepted_at{};

    std::mutex mutex;  // guards the part states
    std::vector<store::message_state> parts;
    std::vector<std::uint32_t> errors;
    bool final_sent = false;
};

class correlator {
public:
    struct match {
        std::shared_ptr<receipt_context> ctx;
        std::uint16_t part = 0;
    };

    // A receipt waiting for its mapping: the PDU, who to answer, and until when to wait.
    struct parked {
        std::string carrier;
        std::string key;
        smpp::pdu pdu;
        deferred_response respond;
        std::chrono::steady_clock::time_point deadline;
    };

    // The carrier acknowledged `part`; the store commit is still in flight (or, with
    // `durable`, the mapping was read back from the store).
    void add(std::string_view carrier, std::string_view key, std::shared_ptr<receipt_context> ctx,
             std::uint16_t part, bool durable = false);
    // The store made the mapping durable: returns receipts parked on it.
    [[nodiscard]] std::vector<parked> made_durable(std::string_view carrier, std::string_view key);
    // The part reached a final state: the entry is no longer needed.
    void forget(std::string_view carrier, std::string_view key);

    enum class lookup_result : std::uint8_t { found, parked_on_commit, unknown };
    // Found: `out` holds the match. Commit in flight: the receipt was parked (moved from `p`).
    // Unknown: the caller asks the store.
    [[nodiscard]] lookup_result lookup(std::string_view carrier, std::string_view key, match& out,
                                       parked& p);

    // Receipts whose id nobody knows yet: retried on every sweep until their deadline.
    void park_unknown(parked p);
    // The deadline of an unknown id is fixed when it is first seen: a carrier that redelivers
    // the receipt (its link dropped before our answer arrived) must not restart the wait, or an
    // id we can never match is parked and redelivered forever. Returns the first deadline.
    [[nodiscard]] std::chrono::steady_clock::time_point first_deadline(
        std::string_view carrier, std::string_view key,
        std::chrono::steady_clock::time_point proposed);
    [[nodiscard]] std::vector<parked> take_unknown();
    // Entries older than `max_age` leave memory (the store still has them).
    std::size_t expire(std::chrono::steady_clock::time_point now, std::chrono::seconds max_age);
    [[nodiscard]] std::size_t size() const;
    [[nodiscard]] std::size_t parked_count() const;

private:
    struct entry {
        std::shared_ptr<receipt_context> ctx;
        std::uint16_t part = 0;
        bool durable = false;
        std::chrono::steady_clock::time_point added;
        std::vector<parked> waiting;
    };
    static constexpr std::size_t shard_count = 32;
    struct shard {
        mutable std::mutex mutex;
        std::unordered_map<std::string, entry> map;
    };

    static std::string make_key(std::string_view carrier, std::string_view key);
    shard& shard_for(const std::string& full_key);

    std::array<shard, shard_count> shards_;
    mutable std::mutex unknown_mutex_;
    std::vector<parked> unknown_;
    // carrier + id -> deadline of unknown ids; bounded, and pruned by expire().
    static constexpr std::size_t max_unknown_deadlines = 100'000;
    std::unordered_map<std::string, std::chrono::steady_clock::time_point> unknown_deadlines_;
};

}  // namespace smppgw::gateway
