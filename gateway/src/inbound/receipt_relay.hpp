#pragma once
// The receipt relay: a carrier's receipt is matched to our message by (carrier, carrier message
// id), folded across the message's parts (one receipt per submit unless the account wants one
// per segment), turned into the account's receipt with our own id, and journaled; the carrier
// hears ESME_ROK once that is durable (ESME_RX_T_APPN if the journal refused it: it sends the
// receipt again). A receipt whose id nobody knows yet — our own submit_sm_resp may still be on
// its way on another session — waits in memory for a while and is looked up again as soon as
// a mapping for its id appears; after that it is kept durably as unmatched (bounded, visible in
// the admin API) until its mapping appears or an operator drops it. Nothing is dropped in
// silence. On a cluster node the relay also asks the cluster which node submitted an id it
// does not know, and forwards the receipt there (the carrier hears ESME_ROK once the cluster
// holds it); a receipt forwarded here is applied like one from a local bind.
//
// Thread rule: handle() and mapped() on any carrier bind thread, sweep() on the scheduler's,
// forwarded() and the cluster's answers on nats.c threads; the parked receipts are under the
// relay's mutex.

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "carrier/carrier.hpp"
#include "smppgw/smpp/message_id.hpp"
#include "smppgw/smpp/receipt.hpp"
#include "smppgw/store/live_state.hpp"

namespace smppgw::gateway {

class metrics;

// The pure part: what one carrier receipt for `part` of `m` changes, and the account's receipt
// it owes (in dlr), or nullopt when it changes nothing (a repeat of a final receipt).
[[nodiscard]] std::optional<store::receipt_record> fold_receipt(const store::live_message& m,
                                                                std::uint16_t part,
                                                                const smpp::receipt& r,
                                                                bool per_segment,
                                                                store::time_point now);

class receipt_relay {
public:
    struct settings {
        std::chrono::milliseconds park_timeout{30'000};
        std::size_t max_unmatched = 100'000;
        // Whether an account wants one receipt per segment (else one per submit).
        std::function<bool(std::string_view account)> per_segment;
        // Whether (carrier, id) belonged to a message that has left the live state: a carrier
        // repeating a receipt we already took (its link dropped before our answer), or a late
        // one. Answered at once instead of waiting for a mapping that will not come.
        std::function<bool(std::string_view carrier, std::string_view id)> known_finished;
    };

    receipt_relay(store::live_state& live, metrics& stats, settings s);

    void configure(settings s);
    // A deliver_sm/data_sm from `carrier` (which writes ids as `ids` says) carrying a receipt.
    void handle(std::string_view carrier, const smpp::id_format& ids, const smpp::pdu& request,
                deferred_response respond);
    // The cluster's part (cluster nodes with cluster.receipt_routes; set before traffic): which
    // node submitted an id this node does not know, and sending a receipt there durably.
    struct elsewhere {
        std::string self;  // this node's name
        std::function<void(std::string_view carrier, std::string_view id,
                           std::function<void(std::string node)> found)>
            locate;
        std::function<bool(const std::string& node, std::string_view carrier,
                           const std::vector<std::string>& ids, std::string_view pdu,
                           std::function<void(bool stored)> done)>
            forward;
        // Whether the cluster can answer now (the node is ready, not degraded); empty: always.
        std::function<bool()> reachable;
    };
    void set_elsewhere(elsewhere e);
    // A receipt another node forwarded here, with the ids it normalized; `settle(true)` once it
    // is durable here (or needs nothing), `settle(false)` to have it sent again.
    void forwarded(std::string_view carrier, std::vector<std::string> ids, std::string_view pdu,
                   std::function<void(bool)> settle);
    // A carrier id was just mapped to one of our messages: receipts waiting for it go now.
    void mapped(std::string_view carrier, std::string_view carrier_message_id,
                std::vector<store::unmatched_receipt> kept);
    // Parked receipts: look again; those past their deadline are kept as unmatched. On a
    // cluster node, also asks again which node submitted the kept ones (kept_ask_batch of them
    // every kept_ask_interval, in turn, and at once when the cluster is reachable again after
    // it was not): one whose route reached the cluster only after its park timeout (a slow or
    // partitioned cluster) still goes to that node.
    void sweep(std::chrono::steady_clock::time_point now);
    static constexpr std::chrono::seconds kept_ask_interval{60};
    static constexpr std::size_t kept_ask_batch = 256;
    [[nodiscard]] std::size_t parked() const;

private:
    struct waiting {
        std::string carrier;
        std::vector<std::string> ids;  // normalized candidates, TLV's first
        smpp::receipt receipt;
        std::string pdu;  // encoded, for the unmatched record
        deferred_response respond;
        std::chrono::steady_clock::time_point deadline;
        // The cluster: may it be forwarded (not one forwarded here), when to ask again, and
        // which ask an answer belongs to.
        bool may_forward = false;
        std::chrono::steady_clock::time_point next_ask{};
        std::uint64_t ticket = 0;
    };
    enum class outcome : std::uint8_t { applied, repeat, unknown };
    outcome apply(std::string_view carrier, const std::vector<std::string>& ids,
                  const smpp::receipt& r, store::completion done,
                  std::span<const store::lsn_t> resolves = {});
    // Applies a receipt, or answers it as a repeat or as one for a message already finished;
    // false when nothing here knows the message yet, and the caller parks or keeps it.
    bool settle(std::string_view carrier, const std::vector<std::string>& ids,
                const smpp::receipt& r, const deferred_response& respond);
    void keep(waiting w);
    // Applies a receipt, or parks it; `request` is encoded for the record only when parked
    // (a forwarded receipt comes with its bytes in `pdu`).
    void take(std::string_view carrier, std::vector<std::string> ids, smpp::receipt r,
              const smpp::pdu* request, std::string pdu, deferred_response respond,
              bool may_forward);
    struct ask {
        std::string key;
        std::uint64_t ticket = 0;
        std::string carrier;
        std::string id;
    };
    // Under mutex_: the question for the cluster about `w`, if it is time to ask one (sent by
    // send_asks() once the mutex is let go; the answer comes to located()).
    std::optional<ask> ask_if_due(waiting& w, const std::string& key,
                                  std::chrono::steady_clock::time_point now);
    void send_asks(std::vector<ask> asks);
    void located(const std::string& key, std::uint64_t ticket, std::string node);
    void ask_about_kept(std::chrono::steady_clock::time_point now);
    void located_kept(const store::unmatched_receipt& kept, const std::string& node);

    store::live_state& live_;
    metrics& stats_;
    mutable std::mutex mutex_;  // guards settings_, parked_
    settings settings_;
    elsewhere elsewhere_;  // set before traffic
    std::uint64_t next_ticket_ = 1;
    std::multimap<std::string, waiting> parked_;  // carrier \0 first id
    // When each unknown id was first parked: a carrier that delivers the receipt again (its link
    // dropped before our answer) must not restart the wait. Bounded; pruned by sweep().
    std::map<std::string, std::chrono::steady_clock::time_point> first_parked_;
    // sweep()'s own: the kept receipts asked about next, after kept_cursor_, from next_kept_ask_.
    std::chrono::steady_clock::time_point next_kept_ask_{};
    store::lsn_t kept_cursor_ = 0;
    bool kept_ask_on_return_ = false;  // a sweep found the cluster away: ask when it is back
};

}  // namespace smppgw::gateway
