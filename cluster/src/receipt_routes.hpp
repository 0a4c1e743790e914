#pragma once
// Carrier receipts that arrive on another node's bind. A carrier may deliver a receipt on any of
// its binds, and on a cluster those belong to different nodes; only the node that submitted the
// message has it. So each node records, per submitted part, which node it is in the key-value
// bucket <routes> (key carrier.carrier-id, value the node; expires after
// store.retention.carrier_ids), written asynchronously once the carrier acknowledged the part.
// A node that cannot match a receipt asks the bucket (one direct read, asynchronous) and, when
// another node submitted it, forwards the receipt to that node's queue in the work-queue stream
// <receipts> (subject <receipts>.<node>, one durable consumer per node); the carrier hears
// ESME_ROK once the stream holds it. The submitting node takes its queue whenever it runs (after
// a restart too), applies each receipt like one from its own bind and settles it once that is
// durable. Per receipt that needs it: one read and one forward, whatever the number of nodes.
//
// Thread rule: note(), locate(), forward() from any thread; open(), tick(), stop() on the
// cluster's control thread; replies and arrivals run on nats.c threads.

#include <nats/nats.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "jetstream.hpp"
#include "link.hpp"
#include "smppgw/cluster/node.hpp"
#include "smppgw/cluster/stats.hpp"

namespace smppgw::cluster::detail {

class receipt_routes {
public:
    static constexpr std::chrono::milliseconds ack_wait{30'000};
    static constexpr std::chrono::milliseconds refused_delay{1'000};

    receipt_routes(const options& o, stats& st, std::chrono::milliseconds ttl);
    ~receipt_routes();
    receipt_routes(const receipt_routes&) = delete;
    receipt_routes& operator=(const receipt_routes&) = delete;

    void on_arrival(node::receipt_arrival fn);  // before open()
    // The bucket, the stream, this node's queue and the reply subscription; empty on success.
    [[nodiscard]] std::string open(link& l);
    void note(link& l, std::string_view carrier, std::string_view id);
    void locate(link& l, std::string_view carrier, std::string_view id,
                std::function<void(std::string)> found);
    bool forward(link& l, const std::string& node, std::string_view carrier,
                 const std::vector<std::string>& ids, std::string_view pdu,
                 std::function<void(bool)> done);
    // Lookups without an answer in write_timeout are answered "unknown".
    void tick();
    void stop();

private:
    struct lookup {
        std::function<void(std::string)> found;
        std::chrono::steady_clock::time_point deadline;
    };
    static void on_reply(natsConnection*, natsSubscription*, natsMsg* m, void* self);
    static void on_receipt(natsConnection*, natsSubscription*, natsMsg* m, void* self);
    void settle(const std::string& reply, bool taken);

    const options& opts_;
    stats& stats_;
    const std::chrono::milliseconds ttl_;
    node::receipt_arrival arrival_;
    bucket routes_;
    link* link_ = nullptr;
    std::atomic<bool> opened_{false};
    const std::string inbox_;  // _smppgw_inbox.<node>.<start>. ; a lookup's reply subject adds n
    const std::string msg_id_base_;
    std::atomic<std::uint64_t> next_{1};

    mutable std::mutex mu_;  // lookups_, stopped_
    std::map<std::uint64_t, lookup> lookups_;
    bool stopped_ = false;
    natsSubscription* replies_ = nullptr;   // control thread
    natsSubscription* receipts_ = nullptr;  // control thread
};

}  // namespace smppgw::cluster::detail
