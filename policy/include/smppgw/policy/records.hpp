#pragma once
// Records shared by the policy stage (which decides with them) and the store (which keeps
// them). Plain values: no I/O, no RocksDB, so both sides and the tests can build them freely.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace smppgw::policy {

// Wall-clock instants are UTC with millisecond resolution everywhere in smppgw.
using time_point = std::chrono::sys_time<std::chrono::milliseconds>;

// COMPLIANCE.md: promotional (marketing), transactional (informational), conversational (a
// reply to the consumer's own message).
enum class message_class : std::uint8_t { transactional = 0, promotional = 1, conversational = 2 };

[[nodiscard]] std::string_view to_string(message_class c) noexcept;
[[nodiscard]] std::optional<message_class> parse_message_class(std::string_view s) noexcept;

// Where an opt-out or consent came from.
enum class record_source : std::uint8_t { mo = 0, api = 1, import = 2, web = 3, keyword = 4, paper = 5 };

[[nodiscard]] std::string_view to_string(record_source s) noexcept;
[[nodiscard]] std::optional<record_source> parse_record_source(std::string_view s) noexcept;

// An opt-out covers every sender and program of one brand; a STOPALL covers every brand on the
// receiving number and is stored under the reserved brand `all_brands`.
inline constexpr std::string_view all_brands = "*";

struct optout_record {
    std::string brand;      // brand name, or all_brands for STOPALL
    std::string msisdn;     // E.164 digits without '+'
    time_point when{};      // when the opt-out took effect
    std::string keyword;    // normalized keyword that caused it ("STOP"), empty for API/import
    record_source source = record_source::mo;
    std::string reference; // MO message id, API caller or import file: evidence for audits
};

// Consent states: `pending` until a double opt-in YES arrives; `revoked` after an opt-out or an
// explicit revocation. Records are append-only events; the current state is the latest event.
enum class consent_status : std::uint8_t { granted = 0, pending = 1, revoked = 2 };

// Prior express written consent (required for promotional) vs prior express consent.
enum class consent_type : std::uint8_t { express = 0, express_written = 1 };

[[nodiscard]] std::string_view to_string(consent_status s) noexcept;
[[nodiscard]] std::optional<consent_status> parse_consent_status(std::string_view s) noexcept;
[[nodiscard]] std::string_view to_string(consent_type t) noexcept;
[[nodiscard]] std::optional<consent_type> parse_consent_type(std::string_view s) noexcept;

// One consent event with its proof, as COMPLIANCE.md lists the fields.
struct consent_record {
    std::string brand;
    std::string msisdn;                  // E.164 digits without '+'
    message_class klass = message_class::transactional;
    consent_status status = consent_status::granted;
    consent_type type = consent_type::express;
    std::string program;                 // campaign or program name
    time_point granted{};                // UTC
    record_source source = record_source::api;
    std::string proof;                   // verbatim wording, or its hash and version
    std::string proof_url;               // URL or keyword where consent was captured
    std::string ip;                      // where known
    std::string user_agent;              // where known
    std::optional<time_point> double_opt_in;  // when YES confirmed a pending consent
    std::string jurisdiction;            // e.g. "US", "US-FL", "CA"
    std::optional<time_point> expires;
    std::optional<time_point> revoked;
    std::string revocation_channel;      // "MO", "API", ...

    // A record with only a timestamp is not valid for promotional (COMPLIANCE.md).
    [[nodiscard]] bool has_proof() const noexcept { return !proof.empty() || !proof_url.empty(); }
};

// A review hold: an MO mentioned an opt-out word ambiguously ("don't stop the deals"), so
// promotional sends from the brand to the number are held until an operator resolves it or the
// consumer sends a clear keyword. Keyed like an opt-out (brand, msisdn).
struct hold_record {
    std::string brand;
    std::string msisdn;  // E.164 digits without '+'
    time_point since{};
    std::string reference;  // MO message id
    std::string text;       // the MO text as received, for the reviewer
};

}  // namespace smppgw::policy
