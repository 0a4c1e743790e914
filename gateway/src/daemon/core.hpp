#pragma once
// The composition root: builds the gateway's components, wires them to each other and to the
// store, starts and stops them, and applies configuration reloads. It holds no message logic of
// its own; the components do (README "What is where" and docs/architecture.md):
//
//   accounts          northbound/accounts        who may bind, runtime counters
//   listeners         northbound/listener        the SMSC face, per-address limits, TLS
//   upstream binds    northbound/upstream_connection  bind, submit, query/cancel/replace, outbox
//   acceptance        mt/acceptance              policy, then journal; the STOP promise
//   router            mt/router                  longest prefix, failover
//   scheduler         mt/scheduler               deferred releases, housekeeping
//   carrier pool      carrier/                   client binds, windows, retries
//   receipt relay     inbound/receipt_relay      carrier receipts to the account's receipt
//   MO relay          inbound/mo_relay           keywords, opt-outs, MOs to the account
//   outbox relay      inbound/outbox_relay       receipts and MOs to receiver binds
//   outbox hand-off   inbound/outbox_handoff     [cluster] only: to receivers on other nodes
//   live state        store::live_state          every message in flight, journaled
//   cluster node      cluster::node              [cluster] only: shared compliance state
//
// Thread rule: start(), stop(), reload() from the main thread (reload also from the admin
// API's thread; reloads serialize on a mutex). The carrier_events glue runs on carrier bind
// threads. Everything else is the components'.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/thread_pool.hpp>

#include "carrier/carrier_pool.hpp"
#include "inbound/evidence.hpp"
#include "inbound/mo_relay.hpp"
#include "inbound/outbox_handoff.hpp"
#include "inbound/outbox_relay.hpp"
#include "inbound/receipt_relay.hpp"
#include "infra/io_pool.hpp"
#include "infra/metrics.hpp"
#include "infra/snapshot.hpp"
#include "mt/acceptance.hpp"
#include "mt/router.hpp"
#include "mt/scheduler.hpp"
#include "northbound/accounts.hpp"
#include "northbound/listener.hpp"
#include "northbound/services.hpp"
#include "smppgw/cluster/node.hpp"
#include "smppgw/gateway/config.hpp"
#include "smppgw/policy/engine.hpp"
#include "smppgw/store/import_export.hpp"
#include "smppgw/store/store.hpp"
#include "smppgw/store/testing.hpp"

namespace smppgw::gateway {

class upstream_connection;

class core final : public carrier_events, public acceptance_store {
public:
    explicit core(std::shared_ptr<const config> cfg);
    ~core() override;
    core(const core&) = delete;
    core& operator=(const core&) = delete;

    // Opens the store (rebuilding the live state), builds the policy engine, binds the
    // listeners, connects carriers and routes what was waiting. Throws with a clear message
    // when any of that fails.
    void start();
    // SIGTERM: stop accepting, unbind upstream, drain carrier windows within the grace period,
    // close the store.
    void stop();
    // Reloads the config file: everything or nothing. False with `error` when the new config is
    // invalid; the running one stays.
    bool reload(std::string& error);
    bool apply(std::shared_ptr<const config> next, std::string& error);

    // ---- for the admin API and main ----------------------------------------------------------
    [[nodiscard]] std::shared_ptr<const config> cfg() const { return cfg_.load(); }
    [[nodiscard]] store::store& db() noexcept { return *store_; }
    [[nodiscard]] metrics& stats() noexcept { return metrics_; }
    [[nodiscard]] std::uint64_t generation() const noexcept { return generation_.load(); }
    [[nodiscard]] bool ready() const noexcept;
    [[nodiscard]] std::vector<std::shared_ptr<carrier>> carriers() const;
    [[nodiscard]] std::shared_ptr<carrier> find_carrier(std::string_view name) const;
    [[nodiscard]] std::vector<std::shared_ptr<upstream_connection>> connections() const;
    [[nodiscard]] std::uint16_t listener_port(std::string_view name) const;
    // An opt-out or review hold entered through the admin API is in force from now on.
    void policy_changed() noexcept;
    // The cluster node, or null for a single node (no [cluster] in the config).
    [[nodiscard]] const cluster::node* cluster_node() const noexcept { return cluster_.get(); }
    // Admin writes (blocking; the admin API's worker threads): commits `b` locally and, on a
    // cluster, with `changes` staged for it, then waits for the cluster's quorum (at most
    // cluster.write_timeout; past it the change stays pending and goes out later). The
    // commit's error; `replicated` says whether the cluster acknowledged.
    std::error_code commit_shared(store::batch b, std::vector<cluster::change> changes,
                                  bool* replicated = nullptr);
    // Makes an import's chunks cluster-wide (nothing on a single node): each chunk's records
    // are staged into its batch and published once it committed.
    void share_imports(store::import_options& o);
    // Runs `alive` once every I/O thread has run a task posted now: a liveness probe for the
    // systemd watchdog (a stuck thread stops the pings).
    void probe_io(std::function<void()> alive);
    // Set before start(): called once, from the scheduler thread, when the store met an error
    // only reopening it clears and its disk has room again. The daemon then restarts in place
    // (main.cpp): the restart path is the one every kill -9 test exercises.
    void on_store_reopen_needed(std::function<void()> restart) { store_reopen_ = std::move(restart); }

    // ---- carrier_events (carrier bind threads) -----------------------------------------------
    bool begin(dispatch& d) override;
    std::optional<std::uint32_t> may_send(dispatch& d) override;
    void part_accepted(carrier& c, dispatch& d, std::size_t part,
                       std::string_view carrier_message_id) override;
    void message_failed(carrier& c, dispatch& d, smpp::command_status status,
                        std::string_view reason) override;
    void carrier_delivery(carrier& c, smpp::pdu& request, deferred_response respond) override;
    void carrier_state_changed(carrier& c, bool up) override;

    // ---- acceptance_store ---------------------------------------------------------------------
    [[nodiscard]] policy::lookups lookups() const override;
    [[nodiscard]] store::message_id next_id() override { return store_->next_id(); }
    [[nodiscard]] store::time_point now() const override { return store_->now(); }
    void reserve_send(std::string_view brand, std::string_view msisdn, store::time_point when,
                      store::batch& b) override {
        store_->reserve_send(brand, msisdn, when, b);
    }

private:
    void housekeeping();
    // Messages whose receipt never came (server.receipt_timeout) end as expired.
    void end_overdue_receipts();
    // Receipts and MOs no bind took within store.retention.outbox are dropped (and counted).
    void expire_outboxes();
    // Ends a message that gets no (more) carrier receipts: its final receipt goes to the
    // account if it asked, and it is counted once. False if it had ended already.
    bool end_with_final_receipt(const store::message_ptr& m, store::message_state state,
                                std::uint32_t status);
    void configure_relays(const config& c);
    // On a cluster: this node's share of each carrier's binds goes into its heartbeats.
    void announce_carrier_shares(const config& c);
    void drop_removed_accounts(const std::vector<std::string>& removed);

    snapshot<config> cfg_;
    snapshot<policy::engine> engine_;
    std::atomic<std::uint64_t> generation_{1};
    std::mutex reload_mutex_;  // SIGHUP and the admin API may reload at the same time

    metrics metrics_;
    std::unique_ptr<store::store> store_;
    std::unique_ptr<store_evidence> evidence_;  // over store_, for the MO planner
    std::unique_ptr<io_pool> io_;
    boost::asio::thread_pool auth_pool_{1};

    account_registry accounts_;
    connection_registry connections_;
    outbox_relay outbox_;
    std::unique_ptr<carrier_pool> carriers_;
    std::unique_ptr<router> router_;
    std::unique_ptr<acceptance> acceptance_;
    std::unique_ptr<receipt_relay> receipts_;
    std::unique_ptr<mo_relay> mos_;
    std::unique_ptr<scheduler> scheduler_;
    std::unique_ptr<cluster::node> cluster_;  // after acceptance_: it tells it of changes
    std::unique_ptr<node_outbox_link> handoff_link_;  // with cluster_
    std::unique_ptr<outbox_handoff> handoff_;
    std::unique_ptr<northbound_services> services_;
    std::vector<std::shared_ptr<listener>> listeners_;

    // Drills only: while the file named by SMPPGW_FAULT_INJECTION_FILE exists, every store write
    // fails as on a full disk (store::write_fault); if the file says "room", the file system
    // reports free space meanwhile (the disk refilled under a resume). Unset in production.
    std::shared_ptr<store::write_fault> fault_;
    std::string fault_file_;
    std::function<void()> store_reopen_;
    bool store_reopen_requested_ = false;  // scheduler thread

    std::atomic<bool> stopping_{false};
    std::atomic<bool> started_{false};
};

}  // namespace smppgw::gateway
