#pragma once
// The MT policy chain (Envoy network-filter style): small checks with immutable config, built
// once per config version, evaluated synchronously in order; the first non-accept decision
// wins. Each check counts its verdicts and can run in shadow mode.

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "smppgw/policy/decision.hpp"
#include "smppgw/policy/lookups.hpp"
#include "smppgw/policy/message.hpp"
#include "smppgw/policy/number.hpp"
#include "smppgw/policy/zones.hpp"

namespace smppgw::policy {

// Verdict counters of one check, for the gateway's metrics. Relaxed atomics: each counter is
// exact, but a reader may see counters of one message updated at slightly different moments.
// Counters belong to one config version; the exporter sums across versions if it wants totals.
struct check_counters {
    std::atomic<std::uint64_t> accepted{0};         // applied and passed
    std::atomic<std::uint64_t> exempt{0};           // not applicable (class, keyword reply)
    std::atomic<std::uint64_t> rejected{0};         // enforced
    std::atomic<std::uint64_t> deferred{0};         // enforced
    std::atomic<std::uint64_t> shadow_rejected{0};  // would have rejected (shadow mode)
    std::atomic<std::uint64_t> shadow_deferred{0};  // would have deferred (shadow mode)
    // Every non-accept verdict (enforced or shadow) by reason, indexed by reason's value.
    std::array<std::atomic<std::uint64_t>, reason_count> by_reason{};
};

// State one evaluation shares between checks: the normalized destination and what earlier
// checks already fetched, so a later check does not ask the store twice.
struct evaluation {
    const message_facts& facts;
    const lookups& lk;
    time_point now;
    e164 destination;
    number_profile profile;
    bool consent_fetched = false;
    std::optional<consent_summary> consent;  // for facts.klass (promotional for content rules)
};

// What one check decided.
struct check_verdict {
    verdict kind = verdict::accept;
    reason why = reason::none;
    time_point until{};
    bool exempt = false;  // accept because the check does not apply to this message

    static check_verdict accept() noexcept { return {}; }
    static check_verdict not_applicable() noexcept {
        return {verdict::accept, reason::none, {}, true};
    }
    static check_verdict reject(reason r) noexcept { return {verdict::reject, r, {}, false}; }
    static check_verdict defer(reason r, time_point until) noexcept {
        return {verdict::defer, r, until, false};
    }
};

class check {
public:
    virtual ~check() = default;
    check(const check&) = delete;
    check& operator=(const check&) = delete;

    [[nodiscard]] check_id id() const noexcept { return id_; }
    [[nodiscard]] bool shadow() const noexcept { return shadow_; }
    [[nodiscard]] const check_counters& counters() const noexcept { return counters_; }

    // Decides without counting. Must not allocate in the common case and must not block
    // beyond the lookups it calls.
    [[nodiscard]] virtual check_verdict decide(evaluation& ev) const = 0;

    // Whether an accepted message counts as a send this check will later look up (frequency
    // caps, first-message content rule). Default: no.
    [[nodiscard]] virtual bool counts_send(const message_facts& facts) const noexcept {
        (void)facts;
        return false;
    }

    // decide() plus counting; what the chain calls.
    [[nodiscard]] check_verdict run(evaluation& ev) const;

protected:
    check(check_id id, bool shadow) noexcept : id_(id), shadow_(shadow) {}

private:
    check_id id_;
    bool shadow_;
    mutable check_counters counters_;  // the only mutable state: metrics
};

class chain {
public:
    // `checks` in evaluation order; the first must be the destination check.
    chain(std::shared_ptr<const number_index> numbers, std::vector<std::unique_ptr<check>> checks);

    // Runs the checks in order and returns the first enforced non-accept verdict, or accept.
    // `now` is the decision instant (receive time on submit, release time on re-evaluation of a
    // deferred message: the chain always runs again at release). Thread-safe; allocation-free
    // unless a lookup implementation allocates.
    [[nodiscard]] decision evaluate(const message_facts& facts, const lookups& lk,
                                    time_point now) const;

    // A second look at an accepted message with one check only (after the destination check,
    // which normalizes the number): the gateway asks the opt-out check again before a message
    // checked earlier reaches a carrier, when a STOP may have arrived since. Shadow mode is
    // respected; verdicts are not counted (it is not a new message).
    [[nodiscard]] decision recheck(check_id only, const message_facts& facts, const lookups& lk,
                                   time_point now) const;

    [[nodiscard]] std::span<const std::unique_ptr<check>> checks() const noexcept {
        return checks_;
    }
    // nullptr if the check is disabled in this config version.
    [[nodiscard]] const check* find(check_id id) const noexcept;
    [[nodiscard]] const number_index& numbers() const noexcept { return *numbers_; }

private:
    std::shared_ptr<const number_index> numbers_;
    std::vector<std::unique_ptr<check>> checks_;
};

}  // namespace smppgw::policy
