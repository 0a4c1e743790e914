#pragma once
// The outbox relay: receipts and MOs waiting in an account's outbox (store::live_state) go to
// the account's receiver binds (RX or TRX), each within its deliver window. An entry leaves the
// outbox only when the account answers deliver_sm_resp (or refuses it for good: ESME_RX_P_APPN,
// ESME_RX_R_APPN); a timeout or a temporary refusal puts it back and pauses that bind for a
// growing while instead of retrying in a loop. An account with no receiver bound keeps its
// outbox until one binds; a bind that goes away hands back what it had in flight.
//
// Thread rule: outbox_relay (who receives for which account) is under its own mutex, any
// thread. An outbox_delivery belongs to one receiver and runs on that receiver's thread.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "smppgw/smpp/pdu.hpp"
#include "smppgw/store/live_state.hpp"

namespace smppgw::gateway {

class metrics;

// A receiver bind as the relay sees it (northbound's upstream_connection; tests fake it).
class receiver {
public:
    virtual ~receiver() = default;
    // Sends one deliver_sm kept as bytes (the session puts its own sequence number in) under
    // `cookie`; false when the session cannot take it now (window full, closing).
    [[nodiscard]] virtual bool deliver(std::string_view bytes, std::uint64_t cookie) = 0;
    // Asks for outbox_delivery::pump on the receiver's own thread, soon.
    virtual void kick() = 0;
};

// One receiver's part: what it has in flight, and how long it is paused.
class outbox_delivery {
public:
    using steady = std::chrono::steady_clock;

    outbox_delivery(store::live_state& live, std::string account, receiver& r, metrics* stats);

    // Hands entries to the receiver while fewer than `window` are in flight (and it is not
    // paused). Returns when the pause ends if paused, else steady::time_point{}.
    steady::time_point pump(std::size_t window, steady::time_point now);
    // The account's answer to the deliver_sm sent under `cookie` (nullptr: timeout, closed).
    void answered(std::uint64_t cookie, const smpp::pdu* response, steady::time_point now);
    // The session ended: everything in flight goes back to the outbox.
    void closed();

    [[nodiscard]] std::size_t in_flight() const noexcept { return in_flight_.size(); }
    [[nodiscard]] const std::string& account() const noexcept { return account_; }

private:
    store::live_state& live_;
    const std::string account_;
    receiver& receiver_;
    metrics* stats_;
    std::map<std::uint64_t, std::pair<store::lsn_t, store::outbox_kind>> in_flight_;  // by cookie
    std::uint64_t next_cookie_ = 1;
    steady::time_point paused_until_{};
    std::chrono::milliseconds backoff_{0};
};

class outbox_relay {
public:
    // Told (outside the relay's lock, on the thread that added or removed a receiver) that the
    // receivers of `account` changed; set once before traffic.
    void on_receivers_changed(std::function<void(std::string_view account)> fn);
    void add(std::string_view account, const std::shared_ptr<receiver>& r);
    void remove(std::string_view account, const receiver* r);
    // The account's outbox has deliverable entries: wake its receivers; returns how many.
    std::size_t ready(std::string_view account);
    [[nodiscard]] std::size_t receivers(std::string_view account) const;

private:
    mutable std::mutex mutex_;
    std::map<std::string, std::vector<std::weak_ptr<receiver>>, std::less<>> receivers_;
    std::function<void(std::string_view)> receivers_changed_;
};

}  // namespace smppgw::gateway
