#pragma once
// The MO relay: a carrier's mobile-originated message is reassembled (concatenated MO), its
// keywords classified and planned (policy::mo_planner), the plan's effects — opt-out, consent
// events, review hold, the replies smppgw sends itself — journaled together with the MO for the
// account that owns the receiving number, and only then does the carrier hear ESME_ROK. An
// opt-out or hold is visible to every lookup from the moment it is understood, before that
// commit (acceptance.hpp explains the promise this keeps). On a cluster the same effects are
// staged into that commit for the other nodes and published after it; the carrier hears
// ESME_ROK once a quorum has them, or once cluster.write_timeout passed (degraded: the local
// durable write stands and the change goes out when NATS returns).
//
// Thread rule: handle() on any carrier bind thread; the reassembler is under the relay's
// mutex; expire() on the scheduler's thread; the cluster's acknowledgement on a nats.c thread
// only sends the response and routes replies (both hand over to their owners' threads).

#include <chrono>
#include <memory>
#include <mutex>
#include <span>
#include <string>

#include "carrier/carrier.hpp"
#include "inbound/evidence.hpp"
#include "infra/snapshot.hpp"
#include "smppgw/cluster/node.hpp"
#include "smppgw/gateway/config.hpp"
#include "smppgw/policy/engine.hpp"
#include "smppgw/smpp/reassembly.hpp"
#include "smppgw/store/store.hpp"

namespace smppgw::gateway {

class account_registry;
class acceptance;
class metrics;
class router;

class mo_relay {
public:
    mo_relay(store::store& db, account_registry& accts, acceptance& accept, router& route,
             const snapshot<config>& cfg, const snapshot<policy::engine>& engine, metrics& stats,
             cluster::node* shared = nullptr);

    // A deliver_sm/data_sm from `carrier` that is not a receipt.
    void handle(carrier& c, const smpp::pdu& request, deferred_response respond);
    // Concatenated MOs whose parts stopped coming.
    void expire(std::chrono::steady_clock::time_point now);

private:
    void process(const std::string& carrier_name, const smpp::pdu& mo,
                 std::span<const std::uint8_t> content, std::uint8_t data_coding,
                 deferred_response respond);

    store::store& db_;
    account_registry& accounts_;
    acceptance& acceptance_;
    router& router_;
    const snapshot<config>& cfg_;
    const snapshot<policy::engine>& engine_;
    metrics& stats_;
    cluster::node* cluster_;  // null on a single node
    store_evidence evidence_;  // what a START may undo (policy/README.md, "MO planner")
    std::mutex reassembly_mutex_;
    smpp::reassembler reassembler_{smpp::reassembly_limits{}};
};

}  // namespace smppgw::gateway
