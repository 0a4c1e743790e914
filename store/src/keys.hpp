#pragma once
// Key layouts of every column family. Strings inside keys never contain NUL (batch rejects
// them), so NUL terminates a variable-length part and prefix scans of "x\0" cannot match "xy".
//
//   messages     be64(id)
//   pending      be64(id)                 ids are time-ordered: retention reads the time here
//                The pending family exists so that recovery lists accepted-but-unsubmitted
//                messages by scanning only them, not a week of `messages`; it costs one put at
//                acceptance and one delete at submission (a tiny key, no value).
//   carrier_ids  carrier \0 carrier_message_id
//   optouts      'a' brand \0 msisdn                     active opt-out (never expires)
//                'h' brand \0 msisdn \0 t64(when) be64(uniq)   put/lift history (evidence TTL)
//   consents     's' brand \0 msisdn \0 class            current state (never expires)
//                'e' brand \0 msisdn \0 class t64(effective) be64(uniq)  event (evidence TTL)
//   deferred     t64(release) be64(id)
//   outbox       'q' account \0 be64(seq)                unacknowledged entry
//                's' account                             last assigned seq (be64 value)
//   freq         brand \0 msisdn
//   holds        brand \0 msisdn
//   journal      be64(LSN of the group's first record)      appends only
//   checkpoint   be64(generation) be32(chunk)
//   audit        't' t64(when) be64(id) be64(uniq)       the decision
//                'm' msisdn \0 t64(when) be64(id) be64(uniq)  -> "" (index by recipient)
//   stats        t64(hour start) account \0 brand \0 campaign \0 measure:u8
//                -> count: u64 little-endian; written as merge operands that add (traffic.hpp)
//   default      "smppgw.store.marker"                   format marker and version
//                "side\0" owner \0 key                   side records (batch::put_side_record)
//
// `uniq` is a process-wide counter seeded from the clock at start-up: it keeps two events at
// the same millisecond apart and orders them by creation within a process.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "codec.hpp"
#include "smppgw/store/column_family.hpp"
#include "smppgw/policy/records.hpp"
#include "smppgw/store/id_generator.hpp"

namespace smppgw::store::detail {

inline constexpr std::string_view marker_key = "smppgw.store.marker";
inline constexpr std::string_view marker_magic = "smppgw-store";
// 1: messages, pending, deferred and outbox rows written per transition (up to 0.1.x).
// 2: a journal of transitions with checkpoints; messages rows only for finished messages.
inline constexpr std::uint32_t format_version = 2;
// meta keys of format 2
inline constexpr std::string_view checkpoint_pointer_key = "smppgw.checkpoint";
// The materializer's watermark, kept in each family it writes under a key no row can have
// (message keys are 8 bytes, audit keys start with 't' or 'm', stats keys are longer).
inline constexpr std::string_view materialized_watermark_key = "~";

// Side records live in the meta family under this prefix; no store key starts with it.
inline constexpr std::string_view side_record_prefix{"side\0", 5};

inline void side_record_key(std::string& k, std::string_view owner, std::string_view key) {
    k.assign(side_record_prefix);
    k.append(owner);
    k.push_back('\0');
    k.append(key);
}

inline constexpr char optout_active_tag = 'a';
inline constexpr char optout_history_tag = 'h';
inline constexpr char consent_state_tag = 's';
inline constexpr char consent_event_tag = 'e';
inline constexpr char outbox_entry_tag = 'q';
inline constexpr char outbox_seq_tag = 's';
inline constexpr char audit_time_tag = 't';
inline constexpr char audit_msisdn_tag = 'm';

[[nodiscard]] std::uint64_t next_uniq() noexcept;

inline void message_key(std::string& k, message_id id) {
    k.clear();
    put_be64(k, id);
}
[[nodiscard]] inline std::optional<message_id> parse_message_key(std::string_view k) noexcept {
    if (k.size() != 8) {
        return std::nullopt;
    }
    return get_be64(k.data());
}

// The stats family joined later: a store that predates it gets its watermark set at open to
// where the others stand (init_traffic_watermark), so nothing already written is counted.
inline constexpr std::array<column_family, 4> materialized_families{
    column_family::messages, column_family::audit, column_family::carrier_ids,
    column_family::stats};

inline void journal_key(std::string& k, std::uint64_t first_lsn) {
    k.clear();
    put_be64(k, first_lsn);
}

// checkpoint: be64(generation) be32(chunk)
inline void checkpoint_chunk_key(std::string& k, std::uint64_t generation, std::uint32_t chunk) {
    k.clear();
    put_be64(k, generation);
    for (int i = 3; i >= 0; --i) {
        k.push_back(static_cast<char>((chunk >> (8U * static_cast<unsigned>(i))) & 0xFFU));
    }
}

inline void carrier_key(std::string& k, std::string_view carrier, std::string_view cmid) {
    k.clear();
    k.append(carrier);
    k.push_back('\0');
    k.append(cmid);
}

inline void optout_key(std::string& k, std::string_view brand, std::string_view msisdn) {
    k.clear();
    k.push_back(optout_active_tag);
    k.append(brand);
    k.push_back('\0');
    k.append(msisdn);
}
inline void optout_brand_prefix(std::string& k, std::string_view brand) {
    k.clear();
    k.push_back(optout_active_tag);
    k.append(brand);
    k.push_back('\0');
}
inline void optout_history_key(std::string& k, std::string_view brand, std::string_view msisdn,
                               time_point when, std::uint64_t uniq) {
    k.clear();
    k.push_back(optout_history_tag);
    k.append(brand);
    k.push_back('\0');
    k.append(msisdn);
    k.push_back('\0');
    put_be64(k, time_to_key(when));
    put_be64(k, uniq);
}

inline void consent_prefix(std::string& k, char tag, std::string_view brand,
                           std::string_view msisdn, policy::message_class klass) {
    k.clear();
    k.push_back(tag);
    k.append(brand);
    k.push_back('\0');
    k.append(msisdn);
    k.push_back('\0');
    k.push_back(static_cast<char>(klass));
}
inline void consent_event_key(std::string& k, std::string_view brand, std::string_view msisdn,
                              policy::message_class klass, time_point effective,
                              std::uint64_t uniq) {
    consent_prefix(k, consent_event_tag, brand, msisdn, klass);
    put_be64(k, time_to_key(effective));
    put_be64(k, uniq);
}

struct consent_key_parts {
    std::string_view brand;
    std::string_view msisdn;
    policy::message_class klass = policy::message_class::transactional;
};
// Parses the (brand, msisdn, class) part of an 's' or 'e' key.
[[nodiscard]] std::optional<consent_key_parts> parse_consent_key(std::string_view k) noexcept;

inline void deferred_key(std::string& k, time_point release, message_id id) {
    k.clear();
    put_be64(k, time_to_key(release));
    put_be64(k, id);
}

inline void outbox_prefix(std::string& k, std::string_view account) {
    k.clear();
    k.push_back(outbox_entry_tag);
    k.append(account);
    k.push_back('\0');
}
inline void outbox_key(std::string& k, std::string_view account, std::uint64_t seq) {
    outbox_prefix(k, account);
    put_be64(k, seq);
}
inline void outbox_seq_key(std::string& k, std::string_view account) {
    k.clear();
    k.push_back(outbox_seq_tag);
    k.append(account);
}

inline void freq_key(std::string& k, std::string_view brand, std::string_view msisdn) {
    k.clear();
    k.append(brand);
    k.push_back('\0');
    k.append(msisdn);
}

inline void audit_time_key(std::string& k, time_point when, message_id id, std::uint64_t uniq) {
    k.clear();
    k.push_back(audit_time_tag);
    put_be64(k, time_to_key(when));
    put_be64(k, id);
    put_be64(k, uniq);
}
inline void audit_msisdn_key(std::string& k, std::string_view msisdn, time_point when,
                             message_id id, std::uint64_t uniq) {
    k.clear();
    k.push_back(audit_msisdn_tag);
    k.append(msisdn);
    k.push_back('\0');
    put_be64(k, time_to_key(when));
    put_be64(k, id);
    put_be64(k, uniq);
}

// stats: t64(hour start) account \0 brand \0 campaign \0 measure
inline void stats_key(std::string& k, time_point hour, std::string_view account,
                      std::string_view brand, std::string_view campaign, std::uint8_t measure) {
    k.clear();
    put_be64(k, time_to_key(hour));
    k.append(account);
    k.push_back('\0');
    k.append(brand);
    k.push_back('\0');
    k.append(campaign);
    k.push_back('\0');
    k.push_back(static_cast<char>(measure));
}
struct stats_key_parts {
    time_point hour{};
    std::string_view account;
    std::string_view brand;
    std::string_view campaign;
    std::uint8_t measure = 0;
};
[[nodiscard]] std::optional<stats_key_parts> parse_stats_key(std::string_view k) noexcept;

// The time a key carries, for the retention filters; nullopt for keys without one.
[[nodiscard]] std::optional<time_point> optout_history_time(std::string_view k) noexcept;
[[nodiscard]] std::optional<time_point> consent_event_time(std::string_view k) noexcept;
[[nodiscard]] std::optional<time_point> audit_key_time(std::string_view k) noexcept;
[[nodiscard]] std::optional<time_point> stats_key_time(std::string_view k) noexcept;

}  // namespace smppgw::store::detail
