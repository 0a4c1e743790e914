#include "smppgw/cluster/node.hpp"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "compliance.hpp"
#include "link.hpp"
#include "log.hpp"
#include "nodes.hpp"
#include "outboxes.hpp"
#include "receipt_routes.hpp"
#include "sends.hpp"
#include "smppgw/store/store.hpp"

namespace smppgw::cluster {

using detail::log;
using clock = std::chrono::steady_clock;

namespace {

// How often the control thread looks at the link, retries pending changes and refreshes the
// mirror figures: the bound on how late a change made while NATS was away goes out after it
// returns (plus the publish itself).
constexpr std::chrono::milliseconds control_period{200};

}  // namespace

// The control thread owns the JetStream setup (buckets, subscriptions) and the node's state;
// nats.c's threads only flag link changes and wake it.
struct node::impl {
    options opts;
    store::store& db;
    stats st;
    detail::link link;
    detail::compliance comp;
    detail::nodes peers;
    // Frequency caps across nodes: the others' sends, the lookup that adds them to this node's,
    // and the publisher and reader of the send-count stream.
    remote_sends remote;
    shared_frequency frequency;
    detail::sends sent;
    // Receipts and MOs for receivers bound on other nodes.
    detail::outboxes boxes;
    // Carrier receipts that arrive on another node's bind.
    detail::receipt_routes routes;

    std::atomic<node_state> state{node_state::starting};
    std::atomic<bool> link_changed{false};
    std::atomic<bool> served{false};  // wait_until_serving() returned: degraded, not starting
    mutable std::mutex mu;            // last_error, the control thread's wake-up
    std::condition_variable cv;
    bool stopping = false;
    std::string last_error;
    std::thread control;

    impl(options o, store::store& d, std::function<void()> policy_changed)
        : opts(std::move(o)),
          db(d),
          link(opts, [this](bool) { wake(); }),
          comp(opts, db, st, std::move(policy_changed)),
          peers(opts),
          remote(opts.node,
                 std::chrono::duration_cast<std::chrono::milliseconds>(
                     db.options().retention.freq_window),
                 opts.max_remote_sends),
          frequency(db, remote),
          sent(opts, db, st, remote),
          boxes(opts, st,
                std::chrono::duration_cast<std::chrono::milliseconds>(
                    db.options().retention.outbox)),
          routes(opts, st,
                 std::chrono::duration_cast<std::chrono::milliseconds>(
                     db.options().retention.carrier_ids)) {}

    void wake() {
        link_changed = true;
        cv.notify_all();
    }

    void set_error(std::string e) {
        std::lock_guard lock(mu);
        if (e != last_error) {
            log(log_level::warn, "cluster: {}", e);
        }
        last_error = std::move(e);
    }

    void run() {
        bool opened = false;
        bool subscribed = false;
        bool was_up = false;
        auto next_beat = clock::now();
        for (;;) {
            {
                std::unique_lock lock(mu);
                cv.wait_for(lock, control_period, [&] { return stopping || link_changed.load(); });
                if (stopping) {
                    return;
                }
            }
            link_changed = false;
            routes.tick();  // lookups left unanswered (also while NATS is away)
            const bool up = link.up();
            if (up != was_up) {
                log(up ? log_level::info : log_level::warn, "cluster: NATS {}",
                    up ? "connected at " + link.connected_url() : "connection lost");
                if (!up) {
                    comp.link_down();
                }
            }
            if (!up) {
                was_up = false;
                if (served.load()) {
                    state = node_state::degraded;
                }
                continue;
            }
            if (!opened) {
                auto err = comp.open(link);
                if (err.empty()) {
                    err = peers.open(link);
                }
                if (err.empty()) {
                    err = sent.open(link);
                }
                if (err.empty()) {
                    err = boxes.open(link);
                }
                if (err.empty() && opts.receipt_routes) {
                    err = routes.open(link);
                }
                if (!err.empty()) {
                    set_error(err);  // no JetStream quorum yet: try again next period
                    continue;
                }
                opened = true;
            }
            if (!subscribed) {
                auto err = comp.subscribe(link);
                if (err.empty()) {
                    err = sent.subscribe(link);
                }
                if (!err.empty()) {
                    set_error(err);
                    continue;
                }
                subscribed = true;
            } else if (!was_up) {
                // Back after an outage: what others wrote meanwhile must be applied before
                // this node counts as caught up again.
                if (!comp.refresh_targets(link) || !sent.refresh_target(link)) {
                    set_error("JetStream did not answer after the reconnect");
                    continue;
                }
            }
            was_up = true;
            comp.tick(link);
            sent.tick(link);
            boxes.tick(link);
            // Ready: every change the cluster had is applied here and the cluster takes ours.
            // A change merely in flight does not make the node degraded; one the cluster
            // failed to take does, until a retry gets through. The others' send counts as the
            // stream held them when this node (re)connected are in memory too.
            if (comp.caught_up() && sent.caught_up() && !comp.publishing_fails()) {
                state = node_state::ready;
                std::lock_guard lock(mu);
                last_error.clear();
            } else if (served.load()) {
                state = node_state::degraded;  // serving; the mirror or our changes behind
            }
            if (clock::now() >= next_beat) {
                if (!peers.beat(state.load())) {
                    set_error("heartbeat not written");
                }
                for (const auto& c : peers.newly_over_limit()) {
                    std::string shares;
                    for (const auto& [name, sessions] : c.by_node) {
                        shares += fmt::format("{}{}: {}", shares.empty() ? "" : ", ", name,
                                              sessions);
                    }
                    log(log_level::warn,
                        "cluster: carrier \"{}\": the nodes' sessions add up to {} ({}), above "
                        "its cluster_sessions limit of {}; the carrier will refuse binds beyond "
                        "its limit",
                        c.carrier, c.total, shares, c.limit);
                }
                next_beat = clock::now() + opts.heartbeat_interval;
            }
        }
    }
};

node::node(options o, store::store& db, std::function<void()> policy_changed)
    : impl_(std::make_unique<impl>(std::move(o), db, std::move(policy_changed))) {}

node::~node() {
    stop();
}

void node::start() {
    impl_->comp.load_pending();
    // Each durable group's counts, from the store's completion thread: appended to the open
    // batch and published by the sender.
    impl_->db.on_send_counts([this](std::span<const store::store::send_count_change> c) {
        impl_->sent.enqueue(c);
    });
    impl_->link.start();
    impl_->control = std::thread([this] { impl_->run(); });
}

node_state node::wait_until_serving() {
    auto& i = *impl_;
    const auto started = clock::now();
    auto next_note = started + std::chrono::seconds(5);
    while (i.state.load() != node_state::ready) {
        const auto now = clock::now();
        if (i.opts.startup_timeout.count() > 0 && now - started >= i.opts.startup_timeout) {
            log(log_level::warn,
                "cluster: not caught up after cluster.startup_timeout; serving DEGRADED from the "
                "local copy ({})",
                i.link.up() ? "mirror behind" : "NATS unreachable");
            i.state = node_state::degraded;
            break;
        }
        if (now >= next_note) {
            std::string err;
            {
                std::lock_guard lock(i.mu);
                err = i.last_error;
            }
            log(log_level::warn,
                "cluster: waiting for NATS ({}) and the mirror's catch-up before accepting "
                "submits{}{}",
                i.link.up() ? "connected" : "not connected", err.empty() ? "" : ": ", err);
            next_note = now + std::chrono::seconds(5);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    i.served = true;
    if (i.state.load() == node_state::ready) {
        log(log_level::info, "cluster: node {} caught up with the cluster in {} ms", i.opts.node,
            std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - started).count());
    }
    return i.state.load();
}

void node::stop() {
    auto& i = *impl_;
    {
        std::lock_guard lock(i.mu);
        if (i.stopping) {
            return;
        }
        i.stopping = true;
    }
    i.cv.notify_all();
    if (i.control.joinable()) {
        i.control.join();
    }
    i.db.on_send_counts({});
    i.sent.stop();
    i.boxes.stop();
    i.routes.stop();
    i.peers.stop();
    i.comp.stop();
    i.link.close();
    i.state = node_state::stopped;
}

staged_changes node::stage(store::batch& b, std::vector<change> changes) {
    return impl_->comp.stage(b, std::move(changes));
}

void node::publish(staged_changes s, std::function<void(bool)> done) {
    impl_->comp.publish(std::move(s), std::move(done));
}

void node::on_outbox_arrival(outbox_arrival fn) {
    impl_->boxes.on_arrival(std::move(fn));
}

bool node::hand_off(std::string_view account, std::span<const outbox_entry> entries,
                    std::uint64_t first_id, std::function<void(bool)> done) {
    return impl_->boxes.hand_off(impl_->link, account, entries, first_id, std::move(done));
}

void node::serve(std::string_view account, bool on) {
    impl_->boxes.serve(account, on);
    impl_->wake();  // subscribe now, not at the next period
}

void node::note_route(std::string_view carrier, std::string_view carrier_message_id) {
    if (impl_->opts.receipt_routes) {
        impl_->routes.note(impl_->link, carrier, carrier_message_id);
    }
}

void node::find_route(std::string_view carrier, std::string_view id,
                      std::function<void(std::string)> found) {
    if (!impl_->opts.receipt_routes) {
        found({});
        return;
    }
    impl_->routes.locate(impl_->link, carrier, id, std::move(found));
}

bool node::forward_receipt(const std::string& to, std::string_view carrier,
                           const std::vector<std::string>& ids, std::string_view pdu,
                           std::function<void(bool)> done) {
    return impl_->routes.forward(impl_->link, to, carrier, ids, pdu, std::move(done));
}

void node::on_receipt_arrival(receipt_arrival fn) {
    impl_->routes.on_arrival(std::move(fn));
}

bool node::receipt_routes() const noexcept {
    return impl_->opts.receipt_routes;
}

const std::string& node::name() const noexcept {
    return impl_->opts.node;
}

bool node::connected() const noexcept {
    return impl_->link.up();
}

node_state node::state() const noexcept {
    return impl_->state.load();
}

const stats& node::statistics() const noexcept {
    return impl_->st;
}

const policy::frequency_lookup& node::frequency() const noexcept {
    return impl_->frequency;
}

void node::set_carrier_shares(std::vector<carrier_share> shares) {
    impl_->peers.set_carrier_shares(std::move(shares));
}

status node::snapshot() const {
    auto& i = *impl_;
    status s;
    s.state = i.state.load();
    s.node = i.opts.node;
    s.connected = i.link.up();
    s.server = i.link.connected_url();
    s.reconnects = i.link.reconnects();
    {
        std::lock_guard lock(i.mu);
        s.last_error = i.last_error;
    }
    s.mirrors = i.comp.mirrors();
    s.pending_changes = i.comp.pending();
    s.nodes = i.peers.seen();
    s.conflicts = i.peers.conflicts();
    s.carriers = i.peers.carrier_totals();
    s.sends_queued = i.sent.queued();
    s.remote_sends = i.remote.size();
    s.sends_applied_sequence = i.sent.applied_sequence();
    s.sends_last_sequence = i.sent.last_sequence();
    s.outbox_served = i.boxes.served();
    return s;
}

}  // namespace smppgw::cluster
