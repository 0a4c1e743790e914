#pragma once
// Traffic statistics: the numbers a sender judges a program by — how its messages ended and how
// many recipients opted out — counted durably per hour, account, brand and campaign in the
// `stats` column family (merge counters), so GET /v1/stats answers from disk and survives
// restarts. No write on the acknowledgement path:
//
//   final states  counted by the materializer for every finished message it writes (the replies
//                 smppgw sends itself excepted), in the hour the message was RECEIVED: a cohort,
//                 so "submitted" is the sum of the final states and the delivery rate of a window
//                 is the rate of the messages received in it. A message is counted once it is
//                 final; one still in flight is not counted yet.
//                 Exactly once: the counts go into the stats family together with that family's
//                 own materializer watermark, in one batch (a family's memtable is flushed whole,
//                 so its counts and its watermark reach the disk together or not at all), and an
//                 item a restart materializes again is skipped when that watermark covers it.
//   keywords      counted by the MO relay in the batch that journals the MO (one atomic write
//                 with the WAL): a new opt-out recorded, an opt-in or a HELP keyword, in the hour
//                 of the MO, for the account owning the receiving number, campaign none.
//
// Labels are bounded: accounts and brands come from the config, campaigns from each account's
// list (anything else is "other"). Hour buckets expire with store.retention.stats.

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "smppgw/store/id_generator.hpp"
#include "smppgw/store/message_record.hpp"

namespace smppgw::store {

// What a counter counts. Values are stable: they are key bytes on disk.
enum class traffic_measure : std::uint8_t {
    delivered = 1,
    undeliverable = 2,
    rejected = 3,  // REJECTD by the carrier
    expired = 4,
    failed = 5,  // refused by the carrier, at dispatch or release, no route
    cancelled = 6,
    opt_out = 16,  // an MO recorded a new opt-out (brand or all brands)
    opt_in = 17,   // an MO classified as an opt-in keyword (START, UNSTOP, ...)
    help = 18,     // an MO classified as HELP
};

// The measure of a final message state; nullopt for states that are not final.
[[nodiscard]] std::optional<traffic_measure> final_measure(message_state s) noexcept;
[[nodiscard]] std::string_view to_string(traffic_measure m) noexcept;

struct traffic_key {
    std::string account;
    std::string brand;
    std::string campaign;  // empty: none

    friend auto operator<=>(const traffic_key&, const traffic_key&) = default;
    friend bool operator==(const traffic_key&, const traffic_key&) = default;
};

struct traffic_counts {
    std::uint64_t delivered = 0;
    std::uint64_t undeliverable = 0;
    std::uint64_t rejected = 0;
    std::uint64_t expired = 0;
    std::uint64_t failed = 0;
    std::uint64_t cancelled = 0;
    std::uint64_t opt_outs = 0;
    std::uint64_t opt_ins = 0;
    std::uint64_t help = 0;

    void add(traffic_measure m, std::uint64_t n) noexcept;
    void add(const traffic_counts& other) noexcept;
    // Messages that reached a final state: the sum of the six final measures.
    [[nodiscard]] std::uint64_t finished() const noexcept;

    friend bool operator==(const traffic_counts&, const traffic_counts&) = default;
};

// A finished message as the materializer counts it.
struct traffic_sample {
    traffic_key key;
    time_point received{};
    message_state state = message_state::delivered;
};

// Counters of the hours whose start lies in [floor_hour(from), to), optionally for one account,
// brand or campaign ("" selects messages without a campaign).
struct traffic_query {
    time_point from{};
    time_point to{};
    std::optional<std::string> account;
    std::optional<std::string> brand;
    std::optional<std::string> campaign;
};

struct traffic_row {
    traffic_key key;
    traffic_counts counts;
};

// Final states the materializer counted in one batch (store::on_traffic, for the metrics).
struct traffic_event {
    traffic_key key;
    message_state state = message_state::delivered;
    std::uint64_t count = 0;
};

// The start of the UTC hour holding `t`, and the first hour start at or after it.
[[nodiscard]] time_point floor_hour(time_point t) noexcept;
[[nodiscard]] time_point ceil_hour(time_point t) noexcept;

}  // namespace smppgw::store
