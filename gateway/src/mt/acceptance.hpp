#pragma once
// Acceptance: the one place an upstream message is decided — the policy chain, then the
// journal. submit_sm, data_sm, every destination of a submit_multi and the release of a
// deferred message all come through here.
//
// It also keeps the promise about STOP: once smppgw has answered a STOP's deliver_sm_resp, no
// message for that (brand, number) is acknowledged ESME_ROK or forwarded to a carrier. An
// opt-out (or review hold) becomes visible to lookups when the MO is understood, before its
// commit, and bumps the policy epoch; a message checked under an older epoch is looked at
// again (recheck) right before its ESME_ROK is written and right before a carrier gets it.
//
// Thread rule: any thread (upstream sessions, the scheduler, carrier binds for recheck). Its
// own state: the policy epoch (atomic) and the frequency stripes (a mutex per slice of
// (brand, number), held across a capped message's second look and its reservation, so
// concurrent submits cannot pass a cap together).

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>

#include "infra/snapshot.hpp"
#include "smppgw/gateway/config.hpp"
#include "smppgw/policy/engine.hpp"
#include "smppgw/store/batch.hpp"
#include "smppgw/store/live_state.hpp"

namespace smppgw::gateway {

class metrics;

// What acceptance needs from the store, narrowed so unit tests can stand in for it.
class acceptance_store {
public:
    virtual ~acceptance_store() = default;
    [[nodiscard]] virtual policy::lookups lookups() const = 0;
    [[nodiscard]] virtual store::message_id next_id() = 0;
    [[nodiscard]] virtual store::time_point now() const = 0;
    // Counts a send at acceptance: visible to later lookups at once, written with `b`.
    virtual void reserve_send(std::string_view brand, std::string_view msisdn,
                              store::time_point when, store::batch& b) = 0;
};

struct accept_outcome {
    enum class verdict : std::uint8_t { accepted, deferred, rejected };
    verdict kind = verdict::rejected;
    std::uint32_t status = 0;    // rejected: the policy status for submit_sm_resp
    store::message_ptr message;  // accepted or deferred
};

class acceptance {
public:
    acceptance(store::live_state& live, acceptance_store& store,
               const snapshot<policy::engine>& engine, metrics& stats);

    // A new upstream message, built from its PDU (wire::make_record; id and msisdn are set
    // here). Rejected: answered now, with an audit record; `done` is dropped. Accepted or
    // deferred: journaled, and `done` runs on the journal's completion thread once durable (or
    // failed: the message then never existed and the submit gets ESME_RSYSERR).
    accept_outcome accept(store::message_record rec, std::string_view text, store::completion done);

    // A deferred message whose time came: the whole chain runs again. Accepted: `route` runs
    // with it once the release is durable. Deferred again, or refused (then ended, with a
    // receipt if one was asked for).
    void release(const store::message_ptr& m,
                 store::inplace_function<void(store::message_ptr), 32> route);

    // Is the message still allowed now? Empty if so; else the status it is refused with. Cheap
    // unless an opt-out or hold appeared since the message was last checked.
    [[nodiscard]] std::optional<std::uint32_t> recheck(store::live_message& m);

    // An opt-out or review hold is in force from now on (MO relay, admin API).
    void policy_changed() noexcept { epoch_.fetch_add(1, std::memory_order_acq_rel); }
    [[nodiscard]] std::uint32_t epoch() const noexcept {
        return epoch_.load(std::memory_order_acquire);
    }

private:
    policy::decision evaluate(const policy::engine& e, const store::message_record& rec,
                              std::string_view text, store::time_point now);
    std::mutex& stripe(std::string_view brand, std::string_view msisdn);
    void count(const policy::decision& d);

    store::live_state& live_;
    acceptance_store& store_;
    const snapshot<policy::engine>& engine_;
    metrics& stats_;
    std::atomic<std::uint32_t> epoch_{1};  // wraps; see live_message::checked_epoch
    static constexpr std::size_t stripe_count = 256;
    std::array<std::mutex, stripe_count> stripes_;
};

// The policy facts of a journaled message.
[[nodiscard]] policy::message_facts facts_of(const store::message_record& rec,
                                             std::string_view text = {});

}  // namespace smppgw::gateway
