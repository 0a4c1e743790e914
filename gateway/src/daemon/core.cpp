#include "daemon/core.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include <boost/asio/post.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "infra/log.hpp"
#include "infra/tls.hpp"
#include "northbound/upstream_connection.hpp"
#include "smppgw/cluster/log.hpp"
#include "smppgw/smpp/receipt.hpp"
#include "wire/wire.hpp"

namespace smppgw::gateway {
namespace {

namespace asio = boost::asio;
using clock = std::chrono::steady_clock;

}  // namespace

core::core(std::shared_ptr<const config> cfg) : cfg_(std::move(cfg)) {
    const auto c = cfg_.load();
    log::configure(c->log.level, c->log.json);
}

core::~core() {
    stop();
}

policy::lookups core::lookups() const {
    // A cluster node counts the other nodes' sends toward frequency caps as well.
    const policy::frequency_lookup* frequency = store_.get();
    if (cluster_) {
        frequency = &cluster_->frequency();
    }
    return {store_.get(), store_.get(), frequency, store_.get(), evidence_.get()};
}

// ---- lifecycle ---------------------------------------------------------------------------------

void core::start() {
    const auto c = cfg();
    engine_.store(policy::build_engine(c->policy));

    store::store_options so = c->store;
    if (const char* f = std::getenv("SMPPGW_FAULT_INJECTION_FILE"); f != nullptr && *f != '\0') {
        fault_file_ = f;
        fault_ = std::make_shared<store::write_fault>();
        so.fault = fault_;
        log::warn("fault injection enabled: store writes fail while {} exists", fault_file_);
    }
    // Once per episode, from the committer's writer thread: why writes fail, how much room
    // there is and how much the store waits for before it resumes.
    so.on_writes_changed = [threshold = so.resume_min_free_bytes](
                               std::error_code ec, std::optional<std::uint64_t> free) {
        const auto free_text = free ? fmt::format("{} bytes", *free) : std::string("unknown");
        if (ec) {
            log::error("store writes fail ({}); {} free on its file system, writes resume once "
                       "{} bytes are free (store.resume_min_free_bytes); until then submits get "
                       "ESME_RSYSERR and /readyz says not ready",
                       ec.message(), free_text, threshold);
        } else {
            log::info("store writes work again; {} free on its file system "
                      "(store.resume_min_free_bytes = {})",
                      free_text, threshold);
        }
    };
    // RocksDB's own lines, one level quieter than its own: its "info" is a line per flush and
    // compaction, which is debugging detail here; its warnings and errors stay what they are.
    so.engine_log_min = log::enabled(log::level::debug) ? store::engine_log_level::info
                                                        : store::engine_log_level::warn;
    so.on_engine_log = [](store::engine_log_level level, std::string_view line) {
        switch (level) {
            case store::engine_log_level::debug:
            case store::engine_log_level::info:
                log::debug("rocksdb: {}", line);
                break;
            case store::engine_log_level::warn:
                log::warn("rocksdb: {}", line);
                break;
            case store::engine_log_level::error:
                log::error("rocksdb: {}", line);
                break;
        }
    };
    store_ = store::store::open(so);
    evidence_ = std::make_unique<store_evidence>(*store_);
    const auto& rep = store_->recovery();
    if (rep.upgraded_from != 0) {
        log::info("store at {} upgraded from format {}: its work in flight is now the first "
                  "checkpoint of the journal",
                  c->store.path.string(), rep.upgraded_from);
    }
    log::info(
        "store open at {}: checkpoint at {} + {} journal records replayed; {} queued, {} deferred, "
        "{} awaiting receipts, {} outbox entries; {} opt-outs, {} consents, {} review holds "
        "({} ms)",
        c->store.path.string(), rep.checkpoint_lsn, rep.replayed_records, rep.live.queued,
        rep.live.deferred, rep.live.awaiting_receipt, rep.live.outbox_entries, rep.optouts,
        rep.consents, rep.holds, rep.duration.count());

    // How messages ended, as the store's materializer counts them for /v1/stats.
    store_->on_traffic([this](const std::vector<store::traffic_event>& events) {
        for (const auto& e : events) {
            metrics_.final_state(e.key.account, e.key.brand, e.key.campaign, store::to_string(e.state))
                .Increment(static_cast<double>(e.count));
        }
    });
    metrics_.declare(*c);

    io_ = std::make_unique<io_pool>(c->server.threads);
    accounts_.configure(c->accounts);
    carriers_ = std::make_unique<carrier_pool>(*io_, metrics_, *this);
    router_ = std::make_unique<router>(*carriers_, store_->live(), metrics_);
    router_->configure(c->routes);
    acceptance_ = std::make_unique<acceptance>(store_->live(), *this, engine_, metrics_);
    receipts_ = std::make_unique<receipt_relay>(store_->live(), metrics_, receipt_relay::settings{});
    if (c->cluster) {
        cluster::set_log_sink([](cluster::log_level level, const std::string& line) {
            switch (level) {
                case cluster::log_level::debug: log::debug("{}", line); break;
                case cluster::log_level::info: log::info("{}", line); break;
                case cluster::log_level::warn: log::warn("{}", line); break;
                case cluster::log_level::error: log::error("{}", line); break;
            }
        });
        // Another node's opt-out or hold, applied by the mirror: in force here from now on.
        cluster_ = std::make_unique<cluster::node>(*c->cluster, *store_,
                                                   [this] { acceptance_->policy_changed(); });
        // Receipts and MOs for accounts whose receivers are bound on other nodes.
        handoff_link_ = std::make_unique<node_outbox_link>(*cluster_);
        handoff_ = std::make_unique<outbox_handoff>(store_->live(), outbox_, *handoff_link_);
        handoff_->attach();
        outbox_.on_receivers_changed(
            [this](std::string_view account) { handoff_->receivers_changed(account); });
        if (cluster_->receipt_routes()) {
            // Receipts the carrier delivers on another node's bind than the submitting one.
            auto* node = cluster_.get();
            receipts_->set_elsewhere(receipt_relay::elsewhere{
                .self = node->name(),
                .locate = [node](std::string_view carrier, std::string_view id,
                                 std::function<void(std::string)> found) {
                    node->find_route(carrier, id, std::move(found));
                },
                .forward = [node](const std::string& to, std::string_view carrier,
                                  const std::vector<std::string>& ids, std::string_view pdu,
                                  std::function<void(bool)> done) {
                    return node->forward_receipt(to, carrier, ids, pdu, std::move(done));
                },
                .reachable = [node] { return node->state() == cluster::node_state::ready; }});
            cluster_->on_receipt_arrival([this](std::string_view carrier,
                                                std::vector<std::string> ids,
                                                std::string_view pdu,
                                                std::function<void(bool)> settle) {
                receipts_->forwarded(carrier, std::move(ids), pdu, std::move(settle));
            });
        }
    }
    mos_ = std::make_unique<mo_relay>(*store_, accounts_, *acceptance_, *router_, cfg_, engine_,
                                      metrics_, cluster_.get());
    configure_relays(*c);
    announce_carrier_shares(*c);
    store_->live().on_outbox_ready([this](std::string_view account) {
        const auto woken = outbox_.ready(account);
        if (handoff_) {
            handoff_->ready(account, woken);  // no receiver of it here: to the cluster now
        }
    });
    services_ = std::make_unique<northbound_services>(northbound_services{
        cfg_, accounts_, *acceptance_, *router_, *store_, outbox_, metrics_, *io_, auth_pool_,
        connections_});
    scheduler_ = std::make_unique<scheduler>(
        store_->live(), *acceptance_, [this](store::message_ptr m) { router_->route(std::move(m)); });

    if (cluster_) {
        // No submit before this node has every opt-out the cluster had when it came up.
        log::info("cluster: node {} connecting to {}", c->cluster->node,
                  fmt::format("{}", fmt::join(c->cluster->servers, ", ")));
        cluster_->start();
        (void)cluster_->wait_until_serving();
    }
    io_->start();
    carriers_->configure(c->carriers, [this](dispatch d) { router_->route(std::move(d.message)); });
    for (const auto& l : c->listeners) {
        auto li = std::make_shared<listener>(*services_, l);
        li->start();
        listeners_.push_back(li);
    }
    // Accepted before the restart and not yet acknowledged by a carrier: send again.
    const auto resumed = store_->live().queued();
    for (const auto& m : resumed) {
        router_->route(m);
    }
    if (!resumed.empty()) {
        log::info("resumed {} messages accepted before the restart", resumed.size());
    }
    scheduler_->start(io_->at(0), std::chrono::milliseconds(100), [this] { housekeeping(); });
    started_ = true;
    metrics_.config_generation.Set(static_cast<double>(generation_.load()));
    log::info("smppgw started: {} I/O threads, {} accounts, {} carriers", io_->size(),
              c->accounts.size(), c->carriers.size());
}

void core::stop() {
    if (!started_.exchange(false)) {
        return;
    }
    stopping_ = true;
    const auto grace = cfg()->server.shutdown_grace;
    log::info("shutting down: closing listeners, unbinding upstream sessions");
    for (auto& l : listeners_) {
        l->stop();
    }
    for (auto& c : connections()) {
        c->shutdown();
    }
    // Let carrier windows drain: stop handing out new work, wait for the answers to what is
    // already outstanding (their carrier ids must be journaled), within the grace period.
    // Queued work stays journaled and is sent again after the restart.
    for (auto& c : carriers()) {
        c->pause();
    }
    const auto deadline = clock::now() + grace;
    auto outstanding = [&] {
        std::int64_t n = 0;
        for (auto& c : carriers()) {
            n += c->in_flight();
        }
        return n;
    };
    while (clock::now() < deadline && outstanding() > 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (const auto left = outstanding(); left > 0) {
        log::warn("{} submits still unanswered after the {} ms grace; they will be resent", left,
                  grace.count());
    }
    carriers_->stop_all();
    scheduler_->stop();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // unbind round trips
    io_->stop();
    auth_pool_.join();
    if (cluster_) {
        // Before the store closes: the mirror writes into it. Pending changes stay in the
        // store and are published after the restart.
        cluster_->stop();
    }
    store_->close();
    log::info("smppgw stopped");
}

bool core::reload(std::string& error) {
    try {
        return apply(load_config(cfg()->file), error);
    } catch (const std::exception& e) {
        error = e.what();
        metrics_.config_reloads_failed.Increment();
        log::error("config reload refused, keeping the running config: {}", error);
        return false;
    }
}

bool core::apply(std::shared_ptr<const config> next, std::string& error) {
    std::lock_guard reload_lock(reload_mutex_);
    std::shared_ptr<const policy::engine> next_engine;
    try {
        // Build everything that can fail first: nothing changes unless all of it succeeds.
        next_engine = policy::build_engine(next->policy);
        for (const auto& l : next->listeners) {
            if (l.tls.enabled) {
                (void)make_server_tls_context(l.tls);
            }
        }
        for (const auto& cc : next->carriers) {
            if (cc.tls.enabled) {
                (void)make_client_tls_context(cc.tls);
            }
        }
        const auto current = cfg();
        if (next->store.path != current->store.path) {
            throw std::runtime_error("store.path cannot change without a restart");
        }
        if (next->admin.enabled != current->admin.enabled ||
            next->admin.address != current->admin.address || next->admin.port != current->admin.port) {
            throw std::runtime_error("the admin listener cannot change without a restart");
        }
        if (next->server.threads != current->server.threads ||
            next->server.node_id != current->server.node_id) {
            throw std::runtime_error("server.threads and server.node_id need a restart");
        }
        if (next->listeners.size() != current->listeners.size()) {
            throw std::runtime_error("listeners cannot be added or removed without a restart");
        }
        for (std::size_t i = 0; i < next->listeners.size(); ++i) {
            if (next->listeners[i].address != current->listeners[i].address ||
                next->listeners[i].port != current->listeners[i].port) {
                throw std::runtime_error("listener addresses cannot change without a restart");
            }
        }
    } catch (const std::exception& e) {
        error = e.what();
        metrics_.config_reloads_failed.Increment();
        log::error("config reload refused, keeping the running config: {}", error);
        return false;
    }
    cfg_.store(next);
    engine_.store(next_engine);
    router_->configure(next->routes);
    log::configure(next->log.level, next->log.json);
    for (std::size_t i = 0; i < listeners_.size(); ++i) {
        listeners_[i]->reconfigure(next->listeners[i]);
    }
    drop_removed_accounts(accounts_.configure(next->accounts));
    configure_relays(*next);
    announce_carrier_shares(*next);
    carriers_->configure(next->carriers, [this](dispatch d) { router_->route(std::move(d.message)); });
    ++generation_;
    metrics_.declare(*next);
    metrics_.config_generation.Set(static_cast<double>(generation_.load()));
    metrics_.config_reloads_ok.Increment();
    log::info("config reloaded (generation {})", generation_.load());
    return true;
}

void core::configure_relays(const config& c) {
    receipt_relay::settings s;
    s.park_timeout = c.server.receipt_park_timeout;
    s.max_unmatched = c.server.max_unmatched_receipts;
    s.per_segment = [this](std::string_view account) {
        const auto a = accounts_.find(account);
        return a && a->cfg->per_segment_receipts;
    };
    s.known_finished = [this](std::string_view carrier, std::string_view id) {
        const auto m = store_->find_carrier_id(carrier, id);
        return m && m->has_value();
    };
    receipts_->configure(std::move(s));
    store_->live().set_receipt_timeout(c.server.receipt_timeout);
}

void core::announce_carrier_shares(const config& c) {
    if (!cluster_) {
        return;
    }
    std::vector<cluster::carrier_share> shares;
    shares.reserve(c.carriers.size());
    for (const auto& carrier : c.carriers) {
        shares.push_back({carrier.name, static_cast<std::uint32_t>(carrier.sessions),
                          static_cast<std::uint32_t>(carrier.cluster_sessions)});
    }
    cluster_->set_carrier_shares(std::move(shares));
}

void core::drop_removed_accounts(const std::vector<std::string>& removed) {
    if (removed.empty()) {
        return;
    }
    // Sessions of removed accounts end; everyone else keeps their bind.
    for (auto& conn : connections()) {
        const auto id = conn->account_id();
        if (std::find(removed.begin(), removed.end(), id) != removed.end()) {
            conn->shutdown();
        }
    }
}

// ---- admin façade ------------------------------------------------------------------------------

bool core::ready() const noexcept {
    if (!started_ || stopping_ || !store_ || !store_->writable()) {
        return false;
    }
    for (const auto& c : carriers()) {
        if (c->up()) {
            return true;
        }
    }
    return false;
}

std::vector<std::shared_ptr<carrier>> core::carriers() const {
    return carriers_ ? carriers_->all() : std::vector<std::shared_ptr<carrier>>{};
}

std::shared_ptr<carrier> core::find_carrier(std::string_view name) const {
    return carriers_ ? carriers_->find(name) : nullptr;
}

std::vector<std::shared_ptr<upstream_connection>> core::connections() const {
    return connections_.all();
}

std::uint16_t core::listener_port(std::string_view name) const {
    for (const auto& l : listeners_) {
        if (l->name() == name || name.empty()) {
            return l->port();
        }
    }
    return 0;
}

void core::policy_changed() noexcept {
    if (acceptance_) {
        acceptance_->policy_changed();
    }
}

std::error_code core::commit_shared(store::batch b, std::vector<cluster::change> changes,
                                   bool* replicated) {
    if (!cluster_ || changes.empty()) {
        if (replicated != nullptr) {
            *replicated = false;
        }
        return store_->commit_sync(std::move(b));
    }
    auto staged = cluster_->stage(b, std::move(changes));
    if (const auto ec = store_->commit_sync(std::move(b))) {
        return ec;
    }
    auto done = std::make_shared<std::promise<bool>>();
    auto result = done->get_future();
    cluster_->publish(std::move(staged), [done](bool ok) { done->set_value(ok); });
    const bool ok = result.get();  // at most cluster.write_timeout
    if (replicated != nullptr) {
        *replicated = ok;
    }
    return {};
}

void core::share_imports(store::import_options& o) {
    if (!cluster_) {
        return;
    }
    // One chunk at a time: stage_* runs right before the chunk's commit, chunk_committed right
    // after it, on the import's thread.
    auto staged = std::make_shared<cluster::staged_changes>();
    auto* node = cluster_.get();
    o.stage_optouts = [node, staged](store::batch& b,
                                     std::span<const policy::optout_record> records) {
        std::vector<cluster::change> changes;
        changes.reserve(records.size());
        for (const auto& r : records) {
            changes.push_back(cluster::change::optout_put(r));
        }
        *staged = node->stage(b, std::move(changes));
    };
    o.stage_consents = [node, staged](store::batch& b,
                                      std::span<const policy::consent_record> records) {
        std::vector<cluster::change> changes;
        changes.reserve(records.size());
        for (const auto& r : records) {
            changes.push_back(cluster::change::consent_put(r));
        }
        *staged = node->stage(b, std::move(changes));
    };
    o.chunk_committed = [node, staged](std::error_code ec) {
        auto s = std::move(*staged);
        *staged = {};
        if (ec) {
            return;  // nothing of the chunk is durable, its pending records neither
        }
        auto done = std::make_shared<std::promise<bool>>();
        auto result = done->get_future();
        node->publish(std::move(s), [done](bool ok) { done->set_value(ok); });
        (void)result.get();  // the next chunk after this one's quorum (or write_timeout)
    };
}

void core::probe_io(std::function<void()> alive) {
    auto remaining = std::make_shared<std::atomic<std::size_t>>(io_->size());
    auto done = std::make_shared<std::function<void()>>(std::move(alive));
    for (std::size_t i = 0; i < io_->size(); ++i) {
        asio::post(io_->at(i), [remaining, done] {
            if (remaining->fetch_sub(1) == 1) {
                (*done)();
            }
        });
    }
}

// ---- housekeeping (scheduler thread, once a second) ----------------------------------------------

void core::housekeeping() {
    if (fault_) {
        std::error_code ec;
        const bool armed = std::filesystem::exists(fault_file_, ec);
        if (armed != fault_->armed()) {
            // A file saying "room" makes the file system report free space while writes fail
            // (the disk refilled between the check and the write).
            std::ifstream in(fault_file_);
            std::string how;
            in >> how;
            fault_->report_full(how != "room");
            armed ? fault_->arm() : fault_->disarm();
            log::warn("fault injection {}", armed ? "armed: store writes fail" : "disarmed");
        }
    }
    if (store_->needs_reopen() && !store_reopen_requested_ && store_reopen_) {
        const auto free = store_->free_space();
        if (!free || *free >= cfg()->store.resume_min_free_bytes) {
            store_reopen_requested_ = true;
            log::error("the store met an error that only reopening it clears (the RocksDB lines "
                       "above say which); the daemon restarts in place to reopen it: what was "
                       "acknowledged is in its journal, binds reconnect");
            store_reopen_();
        }
    }
    if (!store_->writable()) {
        // Nothing may be writing while writes fail (not ready: no traffic comes): an empty
        // commit lets the committer try to resume once there is room again (commit_queue.hpp).
        store_->commit(store::batch{}, {});
    }
    receipts_->sweep(clock::now());
    mos_->expire(clock::now());
    if (handoff_) {
        handoff_->sweep();
    }
    end_overdue_receipts();
    expire_outboxes();
    for (auto& c : carriers()) {
        metrics_.carrier_queue(c->name()).Set(static_cast<double>(c->queued()));
    }
    for (const auto& o : store_->live().outboxes()) {
        metrics_.outbox_depth(o.account).Set(static_cast<double>(o.ready + o.in_flight + o.pending));
    }
    const auto counts = store_->live().counts();
    metrics_.pending_messages.Set(static_cast<double>(counts.queued + counts.submitting));
    metrics_.deferred_messages.Set(static_cast<double>(counts.deferred));
    metrics_.ready.Set(ready() ? 1 : 0);
}

void core::end_overdue_receipts() {
    constexpr std::size_t per_tick = 2000;  // a backlog drains over seconds, not in one tick
    const auto overdue = store_->live().take_overdue(per_tick);
    for (const auto& m : overdue) {
        (void)end_with_final_receipt(m, store::message_state::expired, 0);
    }
    if (!overdue.empty()) {
        log::info("{} messages had no receipt within server.receipt_timeout: ended as expired",
                  overdue.size());
    }
}

void core::expire_outboxes() {
    const auto keep = cfg()->store.retention.outbox;
    if (keep.count() <= 0 || !store_->writable()) {
        return;
    }
    constexpr std::size_t per_tick = 2000;
    for (const auto& [account, n] : store_->live().expire_outbox(store_->now() - keep, per_tick)) {
        metrics_.outbox_expired(account).Increment(static_cast<double>(n));
        log::warn("{} receipts and MOs for {} dropped undelivered after "
                  "store.retention.outbox ({} s)",
                  n, log::account(account),
                  std::chrono::duration_cast<std::chrono::seconds>(keep).count());
    }
}

bool core::end_with_final_receipt(const store::message_ptr& m, store::message_state state,
                                  std::uint32_t status) {
    const auto rec = store_->live().find(m->rec.id);
    if (!rec) {
        return false;  // ended meanwhile
    }
    store::ended_record r;
    r.state = state;
    r.status = status;
    r.when = store_->now();
    r.dlr = final_receipt_bytes(*rec, r.state, status, r.when);
    if (!store_->live().end(m, std::move(r), {})) {
        return false;
    }
    metrics_.messages(rec->account, store::to_string(state)).Increment();
    return true;
}

// ---- carrier_events ----------------------------------------------------------------------------

bool core::begin(dispatch& d) {
    return store_->live().begin_submit(d.message);
}

std::optional<std::uint32_t> core::may_send(dispatch& d) {
    const auto& rec = d.message->rec;
    if (rec.validity && *rec.validity <= store_->now()) {
        return smpp::status::ESME_RINVEXPIRY;  // message_failed ends it as expired
    }
    // A STOP since it was accepted: it never reaches the carrier (acceptance.hpp).
    return acceptance_->recheck(*d.message);
}

void core::part_accepted(carrier& c, dispatch& d, std::size_t part,
                         std::string_view carrier_message_id) {
    const auto& m = d.message;
    store::submitted_record r;
    r.id = m->rec.id;
    r.part = static_cast<std::uint16_t>(part);
    r.parts = static_cast<std::uint16_t>(d.send->parts.size());
    r.carrier = c.name();
    r.carrier_message_id = std::string(carrier_message_id);
    r.when = store_->now();
    auto kept = store_->live().submitted(m, std::move(r), {});
    if (!carrier_message_id.empty()) {
        receipts_->mapped(c.name(), carrier_message_id, std::move(kept));
        if (cluster_) {
            cluster_->note_route(c.name(), carrier_message_id);  // asynchronous
        }
    }
    if (d.send->acked_count == d.send->parts.size()) {
        if (const auto age = m->seconds_since_accepted(store_->now())) {
            metrics_.carrier_ack.Observe(*age);
        }
    }
}

void core::message_failed(carrier& c, dispatch& d, smpp::command_status status,
                          std::string_view reason) {
    const auto& m = d.message;
    log::info("message {} failed at carrier {}: {}", log::message_id(m->rec.id),
              log::carrier(c.name()), reason);
    // Validity is fixed at acceptance (may_send reads it the same way).
    const bool expired = m->rec.validity && *m->rec.validity <= store_->now();
    (void)end_with_final_receipt(
        m, expired ? store::message_state::expired : store::message_state::failed, status);
}

void core::carrier_delivery(carrier& c, smpp::pdu& request, deferred_response respond) {
    if (smpp::is_receipt(request)) {
        receipts_->handle(c.name(), c.config()->ids, request, std::move(respond));
    } else {
        mos_->handle(c, request, std::move(respond));
    }
}

void core::carrier_state_changed(carrier& c, bool up) {
    log::info("carrier {} is {}", log::carrier(c.name()), up ? "up" : "down");
    if (!stopping_) {
        router_->carrier_state_changed(c, up);
    }
}

}  // namespace smppgw::gateway
