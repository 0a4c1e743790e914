#pragma once
// The daemon's shared state and message logic. Sessions (northbound.cpp, carrier.cpp) call in;
// the store, the policy engine and the carrier pool are reached from here.
//
// Threads: N I/O threads (one io_context each, sessions pinned), the store's two committer
// threads (a writer, and a completion thread that runs the commit callbacks, which post back
// to a session's executor before touching it), one small pool for password hashing. Shared state is
// either immutable snapshots (config, policy engine, routes; swapped whole on reload) or guarded
// per account / per carrier / per shard: no global lock on the per-message path.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include "carrier/carrier.hpp"
#include "daemon/evidence.hpp"
#include "inbound/correlator.hpp"
#include "infra/io_pool.hpp"
#include "infra/metrics.hpp"
#include "infra/token_bucket.hpp"
#include "mt/outbound.hpp"
#include "smppgw/gateway/config.hpp"
#include "smppgw/policy/engine.hpp"
#include "smppgw/smpp/reassembly.hpp"
#include "smppgw/smpp/receipt.hpp"
#include "smppgw/store/store.hpp"
#include "smppgw/store/testing.hpp"

namespace smppgw::gateway {

class upstream_connection;
class listener;

// Runtime state of one account, kept across config reloads (keyed by system_id).
struct account_state {
    explicit account_state(std::shared_ptr<const account_config> c)
        : system_id(c->system_id), cfg(std::move(c)), rate(cfg->rate) {}

    const std::string system_id;
    std::mutex mutex;  // guards everything below
    std::shared_ptr<const account_config> cfg;
    bool removed = false;  // dropped from the config: no new binds
    token_bucket rate;
    std::size_t binds = 0;
    std::vector<std::weak_ptr<upstream_connection>> receivers;
    // Outbox delivery: entries read from the store, not yet handed to a session.
    std::deque<store::outbox_entry> ready;
    std::set<std::uint64_t> loaded;  // seqs in `ready` or in flight: never read twice
    std::uint64_t read_from = 0;     // next store sequence to read
    bool reading = false;
    bool more_in_store = true;
};

// A snapshot of routing: longest destination prefix first.
struct route_table {
    std::vector<route_config> routes;  // sorted by prefix length, longest first
    [[nodiscard]] const route_config* match(std::string_view msisdn) const noexcept;
};

class core final : public carrier_events, public policy::hold_lookup {
public:
    explicit core(std::shared_ptr<const config> cfg);
    ~core() override;
    core(const core&) = delete;
    core& operator=(const core&) = delete;

    // Opens the store, builds the policy engine, binds the listeners, connects carriers and
    // resumes pending work. Throws with a clear message when any of that fails.
    void start();
    // SIGTERM: stop accepting, unbind upstream, drain carrier windows within the grace period,
    // close the store.
    void stop();
    // Reloads the config file: everything or nothing. False with `error` when the new config is
    // invalid; the running one stays.
    bool reload(std::string& error);
    bool apply(std::shared_ptr<const config> next, std::string& error);

    // ---- services ------------------------------------------------------------------------
    [[nodiscard]] std::shared_ptr<const config> cfg() const;
    [[nodiscard]] std::shared_ptr<const policy::engine> engine() const;
    [[nodiscard]] store::store& db() noexcept { return *store_; }
    [[nodiscard]] metrics& stats() noexcept { return metrics_; }
    [[nodiscard]] io_pool& io() noexcept { return *io_; }
    [[nodiscard]] boost::asio::thread_pool& auth_pool() noexcept { return auth_pool_; }
    [[nodiscard]] policy::lookups lookups() const noexcept;
    [[nodiscard]] std::uint64_t generation() const noexcept { return generation_.load(); }

    // ---- accounts --------------------------------------------------------------------------
    [[nodiscard]] std::shared_ptr<account_state> account(std::string_view system_id) const;
    [[nodiscard]] std::vector<std::shared_ptr<account_state>> all_accounts() const;
    // The account owning an MO receiving number, if any.
    [[nodiscard]] std::shared_ptr<account_state> mo_owner(std::string_view number) const;
    void receiver_bound(const std::shared_ptr<account_state>& a,
                        const std::shared_ptr<upstream_connection>& c);

    // ---- MT path -----------------------------------------------------------------------------
    // Admission: messages accepted but not yet acknowledged by a carrier.
    [[nodiscard]] bool over_capacity() const noexcept;
    void message_accepted() noexcept;
    // The message no longer waits for a carrier (acknowledged, failed, deferred, cancelled).
    void message_left() noexcept;
    // Entries in the deferred index (+1 deferred, -1 released or dropped).
    void deferred_changed(std::int64_t delta) noexcept;
    // Hands an accepted message to its carrier (longest prefix, first carrier that is up).
    void route(outbound_ptr msg);
    // cancel_sm / replace_sm on a message a bind has not taken yet.
    [[nodiscard]] outbound_ptr find_queued(store::message_id id) const;
    void forget_queued(store::message_id id);

    // ---- outbox (receipts and MOs to upstream accounts) -------------------------------------
    void outbox_appended(std::string_view account);
    // A receiver session asks for its next entries (called on its thread).
    [[nodiscard]] std::vector<store::outbox_entry> take_outbox(account_state& a, std::size_t max);
    void outbox_acked(account_state& a, std::uint64_t seq);
    void outbox_returned(account_state& a, store::outbox_entry entry);

    // ---- carriers ---------------------------------------------------------------------------
    [[nodiscard]] std::vector<std::shared_ptr<carrier>> carriers() const;
    [[nodiscard]] std::shared_ptr<carrier> find_carrier(std::string_view name) const;
    [[nodiscard]] bool ready() const noexcept;
    // Runs `alive` once every I/O thread has run a task posted now: a liveness probe for the
    // systemd watchdog (a stuck thread stops the pings).
    void probe_io(std::function<void()> alive);

    // carrier_events
    void part_submitted(carrier& c, const outbound_ptr& msg, std::size_t part,
                        std::string_view carrier_message_id) override;
    void message_failed(carrier& c, const outbound_ptr& msg, smpp::command_status status,
                        std::string_view reason) override;
    void carrier_delivery(carrier& c, smpp::pdu& request, deferred_response respond) override;
    void carrier_state_changed(carrier& c, bool up) override;

    // policy::hold_lookup: review holds placed by ambiguous STOP messages.
    [[nodiscard]] std::optional<policy::hold_summary> find_hold(
        std::string_view brand, std::string_view msisdn) const override;

    // ---- listeners ------------------------------------------------------------------------
    [[nodiscard]] std::uint16_t listener_port(std::string_view name) const;
    void connection_closed(upstream_connection& c);
    [[nodiscard]] std::vector<std::shared_ptr<upstream_connection>> connections() const;
    void connection_opened(const std::shared_ptr<upstream_connection>& c);

    // Sends an upstream receipt for a message that ended without a carrier receipt (failed,
    // rejected at release, expired in a queue), if the upstream asked for one.
    void final_without_carrier(const store::message_record& rec, store::message_state state,
                               std::uint32_t error, store::batch& b);

private:
    friend class listener;

    // `deadline`: how long an unknown id may wait for its mapping (set on the first attempt).
    void handle_receipt(carrier& c, smpp::pdu& request, deferred_response respond,
                        std::chrono::steady_clock::time_point deadline = {});
    void apply_receipt(carrier& c, const std::string& key, const correlator::match& m,
                       const smpp::receipt& r, deferred_response respond);
    void handle_mo(carrier& c, smpp::pdu& request, deferred_response respond);
    void process_mo(const std::string& carrier_name, const smpp::pdu& mo,
                    std::span<const std::uint8_t> content, std::uint8_t data_coding,
                    deferred_response respond);
    void release_parked(const std::vector<correlator::parked>& parked);
    void schedule_tick();
    void release_deferred();
    void resume_pending();
    void sweep();
    void refill_outbox(const std::shared_ptr<account_state>& a);
    void kick_receivers(account_state& a);
    void rebuild_routes(const config& c);
    void rebuild_accounts(const config& c);
    void rebuild_carriers(const config& c);
    std::shared_ptr<carrier> pick_carrier(const store::message_record& rec) const;

    std::shared_ptr<const config> cfg_;
    std::shared_ptr<const policy::engine> engine_;
    std::shared_ptr<const route_table> routes_;
    mutable std::mutex snapshot_mutex_;  // guards the three snapshot pointers above
    std::atomic<std::uint64_t> generation_{1};

    metrics metrics_;
    std::unique_ptr<store::store> store_;
    std::unique_ptr<store_evidence> evidence_;  // over store_, for the MO planner
    std::unique_ptr<io_pool> io_;
    boost::asio::thread_pool auth_pool_{1};

    mutable std::mutex accounts_mutex_;
    std::map<std::string, std::shared_ptr<account_state>, std::less<>> accounts_;
    std::map<std::string, std::shared_ptr<account_state>, std::less<>> mo_numbers_;

    mutable std::mutex carriers_mutex_;
    std::map<std::string, std::shared_ptr<carrier>, std::less<>> carriers_;

    // Messages waiting in a carrier queue, for cancel/replace (sharded by id).
    static constexpr std::size_t queued_shards = 16;
    struct queued_shard {
        mutable std::mutex mutex;
        std::unordered_map<store::message_id, outbound_ptr> map;
    };
    std::array<queued_shard, queued_shards> queued_;

    std::atomic<std::int64_t> pending_{0};
    std::atomic<std::int64_t> deferred_{0};
    std::mutex reload_mutex_;  // SIGHUP and the admin API may reload at the same time
    correlator correlator_;
    std::mutex store_fallback_mutex_;  // receipts whose mapping is read from the store

    mutable std::mutex holds_mutex_;
    std::map<std::string, policy::hold_record, std::less<>> holds_;

    std::mutex reassembly_mutex_;
    std::unique_ptr<smpp::reassembler> reassembler_;

    mutable std::mutex connections_mutex_;
    std::vector<std::weak_ptr<upstream_connection>> connections_;
    std::vector<std::shared_ptr<listener>> listeners_;

    // Drills only: while the file named by SMPPGW_FAULT_INJECTION_FILE exists, every store write
    // fails as on a full disk (store::write_fault). Unset in production.
    std::shared_ptr<store::write_fault> fault_;
    std::string fault_file_;

    std::unique_ptr<boost::asio::steady_timer> tick_timer_;
    std::mutex releasing_mutex_;
    std::set<store::message_id> releasing_;
    std::atomic<bool> stopping_{false};
    std::atomic<bool> started_{false};
    std::chrono::steady_clock::time_point last_sweep_{};
};

}  // namespace smppgw::gateway
