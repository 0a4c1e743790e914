#pragma once
// Receipts and MOs between nodes: the cluster's outbox stream, a JetStream work queue with one
// subject per account (`<outbox>.<account>`), replicated like the buckets.
//
// A node hands entries to the stream, in batches of one account's entries (outbox_batch.hpp),
// when the account has no receiver bound on it; they leave that node's outbox once the stream
// acknowledged the batch. A node on which a receiver of the account is bound serves the
// account: it subscribes to the account's durable consumer, whose deliveries are shared by a
// queue group between every node serving it (each batch goes to one of them), and settles each
// delivery once its entries are durable in its own outbox (or refuses it, to have it offered
// again a second later). An entry is always in one durable
// place; a crash between the two writes delivers it twice, never zero times. Nothing is
// broadcast: a batch costs one publish and one delivery whatever the number of nodes.
//
// Thread rule: hand_off(), serve(), settle functions from any thread; open(), tick(), stop()
// on the cluster's control thread; arrivals run on nats.c threads.

#include <nats/nats.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "link.hpp"
#include "smppgw/cluster/node.hpp"
#include "smppgw/cluster/stats.hpp"

namespace smppgw::cluster::detail {

class outboxes {
public:
    // How long a delivery may stay unsettled before the stream offers it again (a node that
    // died with it), and how long a refused one waits.
    static constexpr std::chrono::milliseconds ack_wait{30'000};
    static constexpr std::chrono::milliseconds refused_delay{1'000};

    outboxes(const options& o, stats& st, std::chrono::milliseconds max_age);
    ~outboxes();
    outboxes(const outboxes&) = delete;
    outboxes& operator=(const outboxes&) = delete;

    void on_arrival(node::outbox_arrival fn);  // before the first tick()
    [[nodiscard]] std::string open(link& l);    // the stream; empty on success
    bool hand_off(link& l, std::string_view account, std::span<const outbox_entry> entries,
                  std::uint64_t first_id, std::function<void(bool)> done);
    void serve(std::string_view account, bool on);
    // Subscribes to the consumers of the accounts served now and leaves the others.
    void tick(link& l);
    void stop();
    [[nodiscard]] std::vector<std::string> served() const;

private:
    struct subscription {
        outboxes* owner = nullptr;
        std::string account;
        natsSubscription* sub = nullptr;
    };
    static void on_message(natsConnection*, natsSubscription*, natsMsg* m, void* closure);
    void arrived(const subscription& s, natsMsg* m);
    [[nodiscard]] std::string subscribe(link& l, subscription& s);
    void settle(const std::string& reply, bool taken, std::size_t entries);

    const options& opts_;
    stats& stats_;
    const std::chrono::milliseconds max_age_;
    node::outbox_arrival arrival_;
    link* link_ = nullptr;  // set by open(); the node owns it and outlives this

    mutable std::mutex mu_;  // wanted_, stopped_; settle() publishes under it (see stop())
    std::set<std::string, std::less<>> wanted_;
    bool stopped_ = false;
    std::map<std::string, std::unique_ptr<subscription>> subs_;  // control thread
    std::atomic<bool> opened_{false};
};

}  // namespace smppgw::cluster::detail
