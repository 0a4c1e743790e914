#pragma once
// The seams between pure policy decisions and durable state. The store implements these; tests
// implement them with in-memory maps. Every call is synchronous and must be cheap: the chain
// runs once per message on an I/O thread (the store answers from memory where it can).

#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "smppgw/policy/records.hpp"

namespace smppgw::policy {

// What a decision needs to know about an opt-out; the full record (with its evidence) stays in
// the store. Small and allocation-free because it is asked for on every message.
struct optout_summary {
    time_point when{};
    bool all_brands = false;  // a STOPALL: covers every brand on the number
};

class optout_lookup {
public:
    virtual ~optout_lookup() = default;
    // The opt-out in force for (brand, msisdn): a brand-scoped one, else a STOPALL
    // (brand == all_brands) one, else nothing.
    [[nodiscard]] virtual std::optional<optout_summary> find_optout(
        std::string_view brand, std::string_view msisdn) const = 0;
};

// The current consent state for (brand, msisdn, class): the latest event folded.
struct consent_summary {
    consent_status status = consent_status::granted;
    consent_type type = consent_type::express;
    bool has_proof = false;
    time_point granted{};
    std::optional<time_point> expires;
};

class consent_lookup {
public:
    virtual ~consent_lookup() = default;
    [[nodiscard]] virtual std::optional<consent_summary> find_consent(
        std::string_view brand, std::string_view msisdn, message_class klass) const = 0;
};

// The most recent promotional sends to one recipient for one brand, newest last. Fixed capacity:
// caps are small (COMPLIANCE.md default 3 per 24 h), so no allocation on the hot path.
struct send_history {
    static constexpr std::size_t capacity = 16;
    std::array<time_point, capacity> sends{};
    std::size_t count = 0;

    [[nodiscard]] std::span<const time_point> view() const noexcept { return {sends.data(), count}; }
};

class frequency_lookup {
public:
    virtual ~frequency_lookup() = default;
    // Sends counted for (brand, msisdn) at or after `since`, oldest first, at most
    // send_history::capacity of the newest ones.
    [[nodiscard]] virtual send_history recent_sends(std::string_view brand,
                                                    std::string_view msisdn,
                                                    time_point since) const = 0;
};

// Review holds (records.hpp hold_record). Optional: without one, no holds are enforced.
struct hold_summary {
    time_point since{};
};

class hold_lookup {
public:
    virtual ~hold_lookup() = default;
    // The review hold on (brand, msisdn), if any.
    [[nodiscard]] virtual std::optional<hold_summary> find_hold(std::string_view brand,
                                                                std::string_view msisdn) const = 0;
};

// The evidence behind opt-outs and consents, for the MO planner only (fetch_mo_state): a START
// may undo only what the number's own MO keyword did, and to restore a consent it needs the
// event the opt-out revoked. Asked once per MO from an opted-out number, never per MT, so an
// implementation may read its store. Read errors answer as if nothing were stored, which keeps
// every opt-out and every revocation in force (fail closed).
class evidence_lookup {
public:
    virtual ~evidence_lookup() = default;
    // The opt-out record stored under exactly (brand, msisdn); brand may be all_brands. No
    // fallback from a brand to the STOPALL.
    [[nodiscard]] virtual std::optional<optout_record> optout_evidence(
        std::string_view brand, std::string_view msisdn) const = 0;
    // Every consent event kept for (brand, msisdn, klass), oldest first by effective time (the
    // latest of grant, double opt-in and revocation): the last one is the state in force.
    [[nodiscard]] virtual std::vector<consent_record> consent_events(std::string_view brand,
                                                                     std::string_view msisdn,
                                                                     message_class klass) const = 0;
};

// The lookups one evaluation uses. Plain pointers: the gateway owns the implementations and
// they outlive the call. optouts, consents and frequency are required; holds and evidence are
// optional (without evidence a START lifts only the brand's own opt-out and restores nothing).
struct lookups {
    const optout_lookup* optouts = nullptr;
    const consent_lookup* consents = nullptr;
    const frequency_lookup* frequency = nullptr;
    const hold_lookup* holds = nullptr;
    const evidence_lookup* evidence = nullptr;
};

}  // namespace smppgw::policy
