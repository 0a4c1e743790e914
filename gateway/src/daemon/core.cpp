#include "daemon/core.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include <boost/asio/post.hpp>

#include "infra/log.hpp"
#include "infra/tls.hpp"
#include "northbound/northbound.hpp"
#include "wire/wire.hpp"

namespace smppgw::gateway {
namespace {

namespace asio = boost::asio;
using clock = std::chrono::steady_clock;

constexpr auto tick_interval = std::chrono::milliseconds(200);
constexpr std::size_t deferred_batch = 256;
constexpr std::size_t outbox_read_batch = 512;

std::shared_ptr<const route_table> make_routes(const config& c) {
    auto t = std::make_shared<route_table>();
    t->routes = c.routes;
    std::stable_sort(t->routes.begin(), t->routes.end(), [](const auto& a, const auto& b) {
        return a.prefix.size() > b.prefix.size();
    });
    return t;
}

}  // namespace

const route_config* route_table::match(std::string_view msisdn) const noexcept {
    for (const auto& r : routes) {
        if (msisdn.starts_with(r.prefix)) {
            return &r;
        }
    }
    return nullptr;
}

core::core(std::shared_ptr<const config> cfg) : cfg_(std::move(cfg)) {
    log::configure(cfg_->log.level, cfg_->log.json);
}

core::~core() {
    stop();
}

std::shared_ptr<const config> core::cfg() const {
    std::lock_guard lock(snapshot_mutex_);
    return cfg_;
}

std::shared_ptr<const policy::engine> core::engine() const {
    std::lock_guard lock(snapshot_mutex_);
    return engine_;
}

policy::lookups core::lookups() const noexcept {
    return {store_.get(), store_.get(), store_.get(), this};
}

// ---- lifecycle --------------------------------------------------------------------------

void core::start() {
    const auto c = cfg();
    engine_ = policy::build_engine(c->policy);
    routes_ = make_routes(*c);

    store::store_options so = c->store;
    if (const char* f = std::getenv("SMPPGW_FAULT_INJECTION_FILE"); f != nullptr && *f != '\0') {
        fault_file_ = f;
        fault_ = std::make_shared<store::write_fault>();
        so.fault = fault_;
        log::warn("fault injection enabled: store writes fail while {} exists", fault_file_);
    }
    so.on_outbox_append = [this](std::string_view account, std::uint64_t, store::outbox_kind) {
        outbox_appended(account);
    };
    store_ = store::store::open(so);
    const auto& rep = store_->recovery();
    deferred_changed(static_cast<std::int64_t>(rep.deferred_total));
    log::info("store open at {}: {} pending, {} deferred, {} opt-outs, {} consents ({} ms)",
              c->store.path.string(), rep.pending_total, rep.deferred_total, rep.optouts,
              rep.consents, rep.duration.count());

    io_ = std::make_unique<io_pool>(c->server.threads);
    reassembler_ = std::make_unique<smpp::reassembler>(smpp::reassembly_limits{});
    rebuild_accounts(*c);
    io_->start();
    rebuild_carriers(*c);
    for (const auto& l : c->listeners) {
        auto li = std::make_shared<listener>(*this, l);
        li->start();
        listeners_.push_back(li);
    }
    resume_pending();
    tick_timer_ = std::make_unique<asio::steady_timer>(io_->at(0));
    schedule_tick();
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
    // already outstanding (its carrier ids must be journaled), within the grace period. Queued
    // work stays journaled and is sent again after the restart.
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
    for (auto& c : carriers()) {
        c->stop();
    }
    if (tick_timer_) {
        asio::post(io_->at(0), [this] { tick_timer_->cancel(); });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // unbind round trips
    io_->stop();
    auth_pool_.join();
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
        const auto current = cfg();
        if (next->store.path != current->store.path) {
            throw std::runtime_error("store.path cannot change without a restart");
        }
        if (next->admin.enabled != current->admin.enabled ||
            next->admin.address != current->admin.address ||
            next->admin.port != current->admin.port) {
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
    {
        std::lock_guard lock(snapshot_mutex_);
        cfg_ = next;
        engine_ = next_engine;
        routes_ = make_routes(*next);
    }
    log::configure(next->log.level, next->log.json);
    for (std::size_t i = 0; i < listeners_.size(); ++i) {
        listeners_[i]->reconfigure(next->listeners[i]);
    }
    rebuild_accounts(*next);
    rebuild_carriers(*next);
    ++generation_;
    metrics_.config_generation.Set(static_cast<double>(generation_.load()));
    metrics_.config_reloads_ok.Increment();
    log::info("config reloaded (generation {})", generation_.load());
    return true;
}

void core::rebuild_accounts(const config& c) {
    std::vector<std::shared_ptr<upstream_connection>> to_drop;
    {
        std::lock_guard lock(accounts_mutex_);
        std::set<std::string, std::less<>> present;
        for (const auto& a : c.accounts) {
            present.insert(a.system_id);
            auto cfg = std::make_shared<const account_config>(a);
            auto it = accounts_.find(a.system_id);
            if (it == accounts_.end()) {
                accounts_.emplace(a.system_id, std::make_shared<account_state>(cfg));
            } else {
                std::lock_guard alock(it->second->mutex);
                if (it->second->cfg->rate != a.rate) {
                    it->second->rate.reset(a.rate);
                }
                it->second->cfg = cfg;
                it->second->removed = false;
            }
        }
        for (auto& [id, state] : accounts_) {
            if (!present.contains(id)) {
                std::lock_guard alock(state->mutex);
                state->removed = true;
            }
        }
        mo_numbers_.clear();
        for (const auto& a : c.accounts) {
            for (const auto& n : a.mo_numbers) {
                mo_numbers_[n] = accounts_[a.system_id];
            }
        }
    }
    // Sessions of removed accounts end; everyone else keeps their bind.
    for (auto& conn : connections()) {
        auto a = conn->account();
        if (a) {
            std::lock_guard alock(a->mutex);
            if (a->removed) {
                to_drop.push_back(conn);
            }
        }
    }
    for (auto& conn : to_drop) {
        conn->shutdown();
    }
}

void core::rebuild_carriers(const config& c) {
    std::vector<std::shared_ptr<carrier>> started;
    std::vector<std::shared_ptr<carrier>> removed;
    {
        std::lock_guard lock(carriers_mutex_);
        std::set<std::string, std::less<>> present;
        for (const auto& cc : c.carriers) {
            present.insert(cc.name);
            auto it = carriers_.find(cc.name);
            if (it == carriers_.end()) {
                auto car = std::make_shared<carrier>(cc, *io_, metrics_, *this);
                carriers_.emplace(cc.name, car);
                started.push_back(car);
            } else {
                it->second->reconfigure(cc);
            }
        }
        for (auto it = carriers_.begin(); it != carriers_.end();) {
            if (!present.contains(it->first)) {
                removed.push_back(it->second);
                it = carriers_.erase(it);
            } else {
                ++it;
            }
        }
    }
    for (auto& car : started) {
        car->start();
    }
    for (auto& car : removed) {
        // Everything it holds, now or later (work its binds hand back as they close), goes to
        // whatever route the new config gives it.
        car->retire([this](work_item item) { route(item.msg); });
    }
}

// ---- accounts ---------------------------------------------------------------------------

std::shared_ptr<account_state> core::account(std::string_view system_id) const {
    std::lock_guard lock(accounts_mutex_);
    auto it = accounts_.find(system_id);
    return it == accounts_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<account_state>> core::all_accounts() const {
    std::lock_guard lock(accounts_mutex_);
    std::vector<std::shared_ptr<account_state>> out;
    for (const auto& [id, a] : accounts_) {
        out.push_back(a);
    }
    return out;
}

std::shared_ptr<account_state> core::mo_owner(std::string_view number) const {
    std::lock_guard lock(accounts_mutex_);
    auto it = mo_numbers_.find(number);
    if (it == mo_numbers_.end() && number.starts_with('+')) {
        it = mo_numbers_.find(number.substr(1));
    }
    return it == mo_numbers_.end() ? nullptr : it->second;
}

void core::receiver_bound(const std::shared_ptr<account_state>& a,
                          const std::shared_ptr<upstream_connection>& c) {
    {
        std::lock_guard lock(a->mutex);
        std::erase_if(a->receivers, [](const auto& w) { return w.expired(); });
        a->receivers.push_back(c);
        a->more_in_store = true;  // whatever waited while nobody was bound
    }
    c->kick();
}

void core::connection_opened(const std::shared_ptr<upstream_connection>& c) {
    std::lock_guard lock(connections_mutex_);
    std::erase_if(connections_, [](const auto& w) { return w.expired(); });
    connections_.push_back(c);
}

void core::connection_closed(upstream_connection& c) {
    std::lock_guard lock(connections_mutex_);
    std::erase_if(connections_, [&](const auto& w) {
        auto p = w.lock();
        return !p || p.get() == &c;
    });
}

std::vector<std::shared_ptr<upstream_connection>> core::connections() const {
    std::lock_guard lock(connections_mutex_);
    std::vector<std::shared_ptr<upstream_connection>> out;
    for (const auto& w : connections_) {
        if (auto p = w.lock()) {
            out.push_back(std::move(p));
        }
    }
    return out;
}

std::uint16_t core::listener_port(std::string_view name) const {
    for (const auto& l : listeners_) {
        if (l->name() == name || name.empty()) {
            return l->port();
        }
    }
    return 0;
}

// ---- MT routing -------------------------------------------------------------------------

bool core::over_capacity() const noexcept {
    return pending_.load(std::memory_order_relaxed) >=
           static_cast<std::int64_t>(cfg()->server.max_pending_messages);
}

void core::message_accepted() noexcept {
    metrics_.pending_messages.Set(static_cast<double>(++pending_));
}

void core::message_left() noexcept {
    metrics_.pending_messages.Set(static_cast<double>(--pending_));
}

void core::deferred_changed(std::int64_t delta) noexcept {
    metrics_.deferred_messages.Set(static_cast<double>(deferred_ += delta));
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

std::shared_ptr<carrier> core::pick_carrier(const store::message_record& rec) const {
    std::shared_ptr<const route_table> routes;
    {
        std::lock_guard lock(snapshot_mutex_);
        routes = routes_;
    }
    const auto* r = routes->match(rec.msisdn);
    if (r == nullptr) {
        return nullptr;
    }
    std::shared_ptr<carrier> primary;
    for (const auto& name : r->carriers) {
        auto c = find_carrier(name);
        if (!c) {
            continue;
        }
        if (!primary) {
            primary = c;
        }
        if (c->up()) {
            return c;  // failover: the first carrier in priority order that is bound
        }
    }
    return primary;  // all down: wait in the primary's queue (and fail over when one comes up)
}

void core::route(outbound_ptr msg) {
    auto c = pick_carrier(msg->rec);
    if (!c) {
        log::warn("no route for message {} to {}", log::message_id(msg->rec.id), msg->rec.msisdn);
        store::batch b;
        b.set_state(msg->rec.id, store::message_state::failed, store_->now());
        final_without_carrier(msg->rec, store::message_state::failed, 0, b);
        store_->commit(std::move(b), [](std::error_code) {});
        metrics_.messages(msg->rec.account, "unroutable").Increment();
        message_left();
        return;
    }
    {
        auto& shard = queued_[msg->rec.id % queued_shards];
        std::lock_guard lock(shard.mutex);
        shard.map[msg->rec.id] = msg;
    }
    msg->state = outbound_message::phase::queued;
    c->enqueue({msg, -1});
}

outbound_ptr core::find_queued(store::message_id id) const {
    const auto& shard = queued_[id % queued_shards];
    std::lock_guard lock(shard.mutex);
    auto it = shard.map.find(id);
    return it == shard.map.end() ? nullptr : it->second;
}

void core::forget_queued(store::message_id id) {
    auto& shard = queued_[id % queued_shards];
    std::lock_guard lock(shard.mutex);
    shard.map.erase(id);
}

std::vector<std::shared_ptr<carrier>> core::carriers() const {
    std::lock_guard lock(carriers_mutex_);
    std::vector<std::shared_ptr<carrier>> out;
    for (const auto& [name, c] : carriers_) {
        out.push_back(c);
    }
    return out;
}

std::shared_ptr<carrier> core::find_carrier(std::string_view name) const {
    std::lock_guard lock(carriers_mutex_);
    auto it = carriers_.find(name);
    return it == carriers_.end() ? nullptr : it->second;
}

bool core::ready() const noexcept {
    if (!started_ || stopping_) {
        return false;
    }
    for (const auto& c : carriers()) {
        if (c->up()) {
            return true;
        }
    }
    return false;
}

void core::carrier_state_changed(carrier& c, bool up) {
    log::info("carrier {} is {}", log::carrier(c.name()), up ? "up" : "down");
    if (stopping_) {
        return;
    }
    // Fail over what waits for carriers that are down to the first carrier of each message's
    // route that is up. Checked both when a carrier goes down (its queue moves on) and when one
    // comes up (work queued while every carrier was down, or resumed after a restart before
    // any bind was up, finally has somewhere to go).
    const auto move_from = [this](carrier& from) {
        std::size_t moved = 0;
        for (auto& item : from.drain()) {
            auto target = pick_carrier(item.msg->rec);
            if (target && target.get() != &from && target->up()) {
                target->enqueue(std::move(item));
                ++moved;
            } else {
                from.enqueue(std::move(item));
            }
        }
        if (moved > 0) {
            log::info("failed over {} queued messages from carrier {}", moved,
                      log::carrier(from.name()));
        }
    };
    if (!up) {
        move_from(c);
        return;
    }
    for (auto& other : carriers()) {
        if (other.get() != &c && !other->up() && other->queued() > 0) {
            move_from(*other);
        }
    }
}

void core::part_submitted(carrier& c, const outbound_ptr& msg, std::size_t part,
                          std::string_view carrier_message_id) {
    if (msg->part_acked[part] != 0) {
        return;  // a duplicate answer for a part sent twice (retry after timeout)
    }
    msg->part_acked[part] = 1;
    ++msg->acked;
    const bool last = msg->acked == msg->parts.size();
    const auto now = store_->now();
    if (!msg->receipt) {
        auto ctx = std::make_shared<receipt_context>();
        ctx->id = msg->rec.id;
        ctx->account = msg->rec.account;
        ctx->source = msg->rec.source;
        ctx->destination = msg->rec.destination;
        ctx->registered_delivery = msg->rec.registered_delivery;
        ctx->received = msg->rec.received;
        ctx->accepted_at = msg->accepted_at;
        if (auto a = account(msg->rec.account)) {
            std::lock_guard lock(a->mutex);
            ctx->per_segment = a->cfg->per_segment_receipts;
        }
        ctx->parts.assign(msg->parts.size(), store::message_state::submitted);
        ctx->errors.assign(msg->parts.size(), 0);
        msg->receipt = ctx;
    }
    std::string key(carrier_message_id);
    if (!key.empty()) {
        correlator_.add(c.name(), key, msg->receipt, static_cast<std::uint16_t>(part));
    }
    store::batch b;
    b.part_submitted(msg->rec.id, static_cast<std::uint16_t>(part), c.name(), key, now, last);
    if (last && msg->counts_toward_frequency) {
        b.record_send(msg->rec.brand, msg->rec.msisdn, now);
    }
    store_->commit(std::move(b), [this, name = c.name(), key](std::error_code ec) {
        if (ec) {
            metrics_.store_errors("submitted").Increment();
            log::error("journal write for a carrier id failed: {}", ec.message());
        }
        if (!key.empty()) {
            release_parked(correlator_.made_durable(name, key));
        }
    });
    if (last) {
        msg->state = outbound_message::phase::done;
        forget_queued(msg->rec.id);
        message_left();
        metrics_.carrier_ack.Observe(seconds_since(msg->accepted_at));
    }
}

void core::message_failed(carrier& c, const outbound_ptr& msg, smpp::command_status status,
                          std::string_view reason) {
    log::info("message {} failed at carrier {}: {}", log::message_id(msg->rec.id),
              log::carrier(c.name()), reason);
    store::batch b;
    b.set_state(msg->rec.id, store::message_state::failed, store_->now());
    final_without_carrier(msg->rec, store::message_state::failed, status, b);
    store_->commit(std::move(b), [this](std::error_code ec) {
        if (ec) {
            metrics_.store_errors("failed").Increment();
        }
    });
    metrics_.messages(msg->rec.account, "failed").Increment();
    if (msg->state.exchange(outbound_message::phase::done) != outbound_message::phase::done) {
        forget_queued(msg->rec.id);
        message_left();
    }
}

void core::final_without_carrier(const store::message_record& rec, store::message_state state,
                                 std::uint32_t error, store::batch& b) {
    if (!receipt_wanted(rec.registered_delivery, state)) {
        return;
    }
    receipt_facts f;
    f.id = rec.id;
    f.source = &rec.source;
    f.destination = &rec.destination;
    f.submitted = rec.received;
    f.done = store_->now();
    f.state = state;
    f.error = error;
    f.parts = std::max<std::uint32_t>(1, static_cast<std::uint32_t>(rec.parts.size()));
    f.delivered_parts = 0;
    std::vector<std::uint8_t> bytes;
    auto p = build_upstream_receipt(f);
    p.sequence_number = 1;  // replaced by the delivering session
    if (!smpp::encode(p, bytes)) {
        b.append_outbox(rec.account, store::outbox_kind::dlr,
                        std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()),
                        store_->now());
    }
}

// ---- outbox -----------------------------------------------------------------------------

void core::outbox_appended(std::string_view account_id) {
    auto a = account(account_id);
    if (!a) {
        return;
    }
    {
        std::lock_guard lock(a->mutex);
        a->more_in_store = true;
    }
    kick_receivers(*a);
}

void core::kick_receivers(account_state& a) {
    std::vector<std::shared_ptr<upstream_connection>> live;
    {
        std::lock_guard lock(a.mutex);
        for (const auto& w : a.receivers) {
            if (auto c = w.lock()) {
                live.push_back(std::move(c));
            }
        }
    }
    for (auto& c : live) {
        c->kick();
    }
}

std::vector<store::outbox_entry> core::take_outbox(account_state& a, std::size_t max) {
    std::unique_lock lock(a.mutex);
    if (a.ready.size() < max && a.more_in_store && !a.reading) {
        a.reading = true;
        a.more_in_store = false;
        const auto from = a.read_from;
        lock.unlock();
        auto entries = store_->read_outbox(a.system_id, from, outbox_read_batch);
        lock.lock();
        a.reading = false;
        if (entries) {
            for (auto& e : *entries) {
                if (e.seq >= a.read_from) {
                    a.read_from = e.seq + 1;
                    a.ready.push_back(std::move(e));
                }
            }
            if (entries->size() == outbox_read_batch) {
                a.more_in_store = true;
            }
        } else {
            a.more_in_store = true;
            metrics_.store_errors("read_outbox").Increment();
        }
    }
    std::vector<store::outbox_entry> out;
    while (!a.ready.empty() && out.size() < max) {
        out.push_back(std::move(a.ready.front()));
        a.ready.pop_front();
    }
    return out;
}

void core::outbox_acked(account_state& a, std::uint64_t seq) {
    store::batch b;
    b.ack_outbox(a.system_id, seq);
    store_->commit(std::move(b), [this](std::error_code ec) {
        if (ec) {
            metrics_.store_errors("ack_outbox").Increment();
        }
    });
}

void core::outbox_returned(account_state& a, store::outbox_entry entry) {
    {
        std::lock_guard lock(a.mutex);
        a.ready.push_front(std::move(entry));
    }
    kick_receivers(a);
}

// ---- holds ------------------------------------------------------------------------------

std::optional<policy::hold_summary> core::find_hold(std::string_view brand,
                                                    std::string_view msisdn) const {
    std::string key;
    key.append(brand).push_back('\0');
    key.append(msisdn);
    std::lock_guard lock(holds_mutex_);
    if (holds_.empty()) {
        return std::nullopt;
    }
    auto it = holds_.find(key);
    if (it == holds_.end()) {
        return std::nullopt;
    }
    return policy::hold_summary{it->second.since};
}

// ---- timers: deferred release, parked receipts, housekeeping ----------------------------

void core::schedule_tick() {
    tick_timer_->expires_after(tick_interval);
    tick_timer_->async_wait([this](const boost::system::error_code& ec) {
        if (ec || stopping_) {
            return;
        }
        release_deferred();
        if (clock::now() - last_sweep_ > std::chrono::seconds(1)) {
            last_sweep_ = clock::now();
            sweep();
        }
        schedule_tick();
    });
}

void core::release_deferred() {
    if (fault_) {
        std::error_code ec;
        const bool armed = std::filesystem::exists(fault_file_, ec);
        if (armed != fault_->armed()) {
            armed ? fault_->arm() : fault_->disarm();
            log::warn("fault injection {}", armed ? "armed: store writes fail" : "disarmed");
        }
    }
    const auto now = store_->now();
    auto due = store_->due_deferred(now, deferred_batch);
    if (!due) {
        metrics_.store_errors("due_deferred").Increment();
        return;
    }
    const auto engine_now = engine();
    for (const auto& entry : *due) {
        {
            std::lock_guard lock(releasing_mutex_);
            if (!releasing_.insert(entry.id).second) {
                continue;  // a release of this message is already being committed
            }
        }
        auto done = [this, id = entry.id] {
            std::lock_guard lock(releasing_mutex_);
            releasing_.erase(id);
        };
        auto r = store_->get_message(entry.id);
        store::batch b;
        b.remove_deferred(entry.release, entry.id);
        if (!r || !*r || store::is_final((*r)->state)) {
            // Cancelled or gone (retention): only the index entry is left to remove.
            store_->commit(std::move(b), [this, done](std::error_code ec) {
                done();
                if (!ec) {
                    deferred_changed(-1);
                }
            });
            continue;
        }
        auto msg = std::make_shared<outbound_message>();
        msg->rec = std::move(**r);
        const auto& rec = msg->rec;
        auto acct = account(rec.account);
        // The whole chain runs again: the recipient may have opted out meanwhile.
        policy::message_facts facts;
        facts.account = rec.account;
        facts.brand = rec.brand;
        facts.klass = rec.klass;
        facts.source = {static_cast<policy::type_of_number>(rec.source.ton),
                        static_cast<policy::numbering_plan>(rec.source.npi), rec.source.addr};
        facts.destination = {static_cast<policy::type_of_number>(rec.destination.ton),
                             static_cast<policy::numbering_plan>(rec.destination.npi),
                             rec.destination.addr};
        facts.received = rec.received;
        const auto decision = engine_now->evaluate(facts, lookups(), now);
        metrics_
            .policy_decision(policy::to_string(decision.check), policy::to_string(decision.kind),
                             false)
            .Increment();
        store::audit_record audit;
        audit.when = now;
        audit.id = rec.id;
        audit.msisdn = rec.msisdn;
        audit.account = rec.account;
        audit.brand = rec.brand;
        audit.check = std::string(policy::to_string(decision.check));
        audit.verdict = decision.accepted()   ? store::audit_verdict::accept
                        : decision.deferred() ? store::audit_verdict::defer
                                              : store::audit_verdict::reject;
        audit.command_status = decision.command_status;
        audit.reason =
            decision.accepted() ? "released" : std::string(policy::reason_code(decision.why));
        if (decision.deferred()) {
            audit.defer_until = decision.until;
        }
        b.put_audit(audit);
        if (decision.accepted()) {
            b.set_state(rec.id, store::message_state::queued, now);
            msg->counts_toward_frequency = decision.counts_toward_frequency;
            message_accepted();
            store_->commit(std::move(b), [this, msg, done](std::error_code ec) {
                done();
                if (ec) {
                    message_left();
                    metrics_.store_errors("release").Increment();
                    return;  // the deferred entry is still there: retried next tick
                }
                deferred_changed(-1);
                asio::post(io_->next(), [this, msg] { route(msg); });
            });
        } else if (decision.deferred()) {
            b.put_deferred(decision.until, rec.id);
            store_->commit(std::move(b), [done](std::error_code) { done(); });
        } else {
            b.set_state(rec.id, store::message_state::failed, now);
            final_without_carrier(rec, store::message_state::failed, decision.command_status, b);
            metrics_.messages(rec.account, "rejected_at_release").Increment();
            store_->commit(std::move(b), [this, done](std::error_code ec) {
                done();
                if (!ec) {
                    deferred_changed(-1);
                }
            });
        }
    }
}

void core::resume_pending() {
    // Accepted before the restart but never acknowledged by a carrier: send again.
    std::size_t resumed = 0;
    store::message_id after = 0;
    for (;;) {
        auto ids = store_->list_pending(after, 4096);
        if (!ids || ids->empty()) {
            break;
        }
        for (const auto id : *ids) {
            after = id;
            auto r = store_->get_message(id);
            if (!r || !*r) {
                continue;
            }
            auto msg = std::make_shared<outbound_message>();
            msg->rec = std::move(**r);
            message_accepted();
            route(msg);
            ++resumed;
        }
    }
    if (resumed > 0) {
        log::info("resumed {} messages accepted before the restart", resumed);
    }
}

void core::sweep() {
    const auto now = clock::now();
    // Receipts nobody could match yet: try again; handle_receipt gives up at the deadline.
    for (auto& p : correlator_.take_unknown()) {
        auto c = find_carrier(p.carrier);
        if (!c) {
            p.respond.send(smpp::status::ESME_ROK);
            continue;
        }
        handle_receipt(*c, p.pdu, p.respond, p.deadline);
    }
    correlator_.expire(now, std::chrono::minutes(10));
    {
        std::vector<smpp::incomplete_group> expired;
        {
            std::lock_guard lock(reassembly_mutex_);
            expired = reassembler_->expire(now);
        }
        for (const auto& g : expired) {
            metrics_.mo_messages("incomplete_concatenation").Increment();
            log::warn("concatenated MO from {} to {} incomplete after the timeout ({} of {} parts)",
                      g.source_addr, g.destination_addr, g.parts.size(), g.total);
        }
    }
    for (auto& c : carriers()) {
        metrics_.carrier_queue(c->name()).Set(static_cast<double>(c->queued()));
    }
    for (const auto& o : store_->outboxes()) {
        metrics_.outbox_depth(o.account).Set(static_cast<double>(o.depth));
    }
    metrics_.ready.Set(ready() ? 1 : 0);
}

void core::release_parked(const std::vector<correlator::parked>& parked) {
    for (const auto& p : parked) {
        auto c = find_carrier(p.carrier);
        if (!c) {
            p.respond.send(smpp::status::ESME_ROK);
            continue;
        }
        // Back on a carrier thread: parked receipts are handled where any receipt would be.
        asio::post(io_->next(), [this, c, p] {
            smpp::pdu copy = p.pdu;
            handle_receipt(*c, copy, p.respond, p.deadline);
        });
    }
}

}  // namespace smppgw::gateway
