#include "northbound/northbound.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>

#include "daemon/core.hpp"
#include "infra/log.hpp"
#include "infra/tls.hpp"
#include "smppgw/gateway/auth.hpp"
#include "smppgw/smpp/smpp_time.hpp"
#include "smppgw/smpp/text.hpp"
#include "wire/wire.hpp"

namespace smppgw::gateway {
namespace {

namespace asio = boost::asio;
using clock = std::chrono::steady_clock;

std::array<std::uint8_t, 16> to_v6_bytes(const asio::ip::address& a) {
    if (a.is_v4()) {
        return asio::ip::make_address_v6(asio::ip::v4_mapped, a.to_v4()).to_bytes();
    }
    return a.to_v6().to_bytes();
}

policy::address policy_address(std::uint8_t ton, std::uint8_t npi, std::string_view digits) {
    return {static_cast<policy::type_of_number>(ton), static_cast<policy::numbering_plan>(npi),
            digits};
}

store::audit_verdict audit_of(policy::verdict v) {
    switch (v) {
        case policy::verdict::accept:
            return store::audit_verdict::accept;
        case policy::verdict::reject:
            return store::audit_verdict::reject;
        case policy::verdict::defer:
            return store::audit_verdict::defer;
    }
    return store::audit_verdict::accept;
}

store::audit_record make_audit(const policy::decision& d, store::message_id id,
                               const account_config& a, std::string_view raw_destination,
                               time_point now) {
    store::audit_record rec;
    rec.when = now;
    rec.id = id;
    rec.msisdn =
        d.destination.empty() ? std::string(raw_destination) : std::string(d.destination.digits());
    rec.account = a.system_id;
    rec.brand = a.brand;
    rec.check = std::string(policy::to_string(d.check));
    rec.verdict = audit_of(d.kind);
    rec.command_status = d.command_status;
    rec.reason = std::string(policy::reason_code(d.why));
    if (d.deferred()) {
        rec.defer_until = d.until;
    }
    return rec;
}

// The fields every bind_* request shares; only called for bind requests.
const smpp::bind_fields* bind_fields_of(const smpp::pdu& p) {
    if (const auto* tx = std::get_if<smpp::bind_transmitter>(&p.body)) {
        return tx;
    }
    if (const auto* rx = std::get_if<smpp::bind_receiver>(&p.body)) {
        return rx;
    }
    return &std::get<smpp::bind_transceiver>(p.body);
}

}  // namespace

// ---- listener ---------------------------------------------------------------------------------

listener::listener(core& c, listener_config cfg)
    : core_(c), name_(cfg.name), cfg_(std::make_shared<const listener_config>(std::move(cfg))) {
    if (cfg_->tls.enabled) {
        tls_ = make_server_tls_context(cfg_->tls);
    }
}

std::shared_ptr<const listener_config> listener::config() const {
    std::lock_guard lock(mutex_);
    return cfg_;
}

void listener::reconfigure(const listener_config& cfg) {
    std::shared_ptr<asio::ssl::context> tls;
    if (cfg.tls.enabled) {
        tls = make_server_tls_context(cfg.tls);  // certificates reload with the config
    }
    std::lock_guard lock(mutex_);
    cfg_ = std::make_shared<const listener_config>(cfg);
    tls_ = std::move(tls);
}

void listener::start() {
    const auto cfg = config();
    auto& ctx = core_.io().at(0);
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(cfg->address, ec);
    if (ec) {
        throw std::runtime_error("listener " + name_ + ": bad address " + cfg->address);
    }
    const asio::ip::tcp::endpoint endpoint(address, cfg->port);
    acceptor_ = std::make_unique<asio::ip::tcp::acceptor>(ctx);
    acceptor_->open(endpoint.protocol());
    acceptor_->set_option(asio::socket_base::reuse_address(true));
    acceptor_->bind(endpoint, ec);
    if (ec) {
        throw std::runtime_error("listener " + name_ + ": cannot listen on " + cfg->address + ":" +
                                 std::to_string(cfg->port) + ": " + ec.message());
    }
    acceptor_->listen(asio::socket_base::max_listen_connections);
    port_ = acceptor_->local_endpoint().port();
    log::info("listening for SMPP{} on {}:{} ({})", cfg->tls.enabled ? " over TLS" : "",
              cfg->address, port_, name_);
    accept();
}

void listener::stop() {
    stopped_ = true;
    if (acceptor_) {
        asio::post(acceptor_->get_executor(), [self = shared_from_this()] {
            boost::system::error_code ignored;
            self->acceptor_->close(ignored);
        });
    }
}

bool listener::admit(const std::string& ip) {
    const auto cfg = config();
    std::lock_guard lock(mutex_);
    auto [it, fresh] = per_ip_.try_emplace(ip);
    if (fresh) {
        it->second.accepts.reset(cfg->accept_rate_per_ip);
    }
    if (it->second.connections >= cfg->max_connections_per_ip || !it->second.accepts.try_take()) {
        return false;
    }
    ++it->second.connections;
    return true;
}

void listener::released(const std::string& ip) {
    std::lock_guard lock(mutex_);
    auto it = per_ip_.find(ip);
    if (it != per_ip_.end() && it->second.connections > 0) {
        --it->second.connections;
    }
}

void listener::accept() {
    auto& target = core_.io().next();
    acceptor_->async_accept(
        target, [self = shared_from_this(), &target](const boost::system::error_code& ec,
                                                     asio::ip::tcp::socket socket) {
            if (self->stopped_ || ec == asio::error::operation_aborted) {
                return;
            }
            if (ec) {
                // EMFILE and friends: keep accepting, the condition may clear.
                log::warn("accept on {} failed: {}", self->name_, ec.message());
                self->accept();
                return;
            }
            self->accept();
            // The handler runs on the acceptor's thread, the socket belongs to `target`: everything
            // that touches it from here on (the handshake and its timeout above all) runs there,
            // since an Asio socket must not be used from two threads at once.
            asio::post(target, [self, &target, socket = std::move(socket)]() mutable {
                self->open_connection(target, std::move(socket));
            });
        });
}

void listener::open_connection(asio::io_context& target, asio::ip::tcp::socket socket) {
    auto self = shared_from_this();
    boost::system::error_code pec;
    const auto peer = socket.remote_endpoint(pec);
    if (pec) {
        return;
    }
    const std::string ip = peer.address().to_string();
    if (!admit(ip)) {
        core_.stats().bind_failures("connection_limit").Increment();
        boost::system::error_code ignored;
        socket.close(ignored);
        return;
    }
    socket.set_option(asio::ip::tcp::no_delay(true));
    const auto cfg = config();
    smpp::session_config sc;
    sc.decode.max_command_length = cfg->max_command_length;
    sc.session_init_timeout = cfg->session_init_timeout;
    sc.inactivity_timeout = cfg->inactivity_timeout;
    sc.enquire_link_interval = cfg->enquire_link_interval;
    sc.max_write_queue_bytes = cfg->max_write_queue_bytes;
    sc.window = 1024;  // deliver_sm window is enforced per account by the connection

    auto start_session = [self, ip, sc](smpp::stream stream, std::string cn) {
        auto conn = std::make_shared<upstream_connection>(self->core_, self, ip, std::move(cn));
        auto session = smpp::session::create(std::move(stream), sc, conn);
        conn->attach(session);
        self->core_.connection_opened(conn);
        session->start();
    };
    std::shared_ptr<asio::ssl::context> tls;
    {
        std::lock_guard lock(mutex_);
        tls = tls_;
    }
    if (!tls) {
        start_session(smpp::stream(std::move(socket)), {});
        return;
    }
    auto stream = std::make_shared<smpp::tls_stream>(std::move(socket), *tls);
    // The handshake must finish within the session-init time, like a bind.
    auto timer = std::make_shared<asio::steady_timer>(target, cfg->session_init_timeout);
    timer->async_wait([stream](const boost::system::error_code& tec) {
        if (!tec) {
            boost::system::error_code ignored;
            stream->next_layer().close(ignored);
        }
    });
    stream->async_handshake(
        asio::ssl::stream_base::server,
        [self, stream, timer, tls, ip, start_session](const boost::system::error_code& hec) {
            timer->cancel();
            if (hec) {
                self->released(ip);
                self->core_.stats().bind_failures("tls_handshake").Increment();
                return;
            }
            std::string cn = peer_common_name(*stream);
            start_session(smpp::stream(std::move(*stream)), std::move(cn));
        });
}

// ---- bind_guard -------------------------------------------------------------------------------

bind_guard& bind_guard::instance() {
    static bind_guard g;
    return g;
}

bool bind_guard::check(std::map<std::string, counter, std::less<>>& m, const std::string& key,
                       clock::time_point now) {
    auto it = m.find(key);
    return it == m.end() || it->second.locked_until <= now;
}

bool bind_guard::record(std::map<std::string, counter, std::less<>>& m, const std::string& key,
                        clock::time_point now) {
    auto& c = m[key];
    if (now - c.first > window) {
        c.failures = 0;
        c.first = now;
    }
    if (++c.failures >= max_failures) {
        c.locked_until = now + lockout;
        c.failures = 0;
        return true;
    }
    return false;
}

bool bind_guard::allowed(const std::string& ip, const std::string& system_id) {
    std::lock_guard lock(mutex_);
    const auto now = clock::now();
    return check(by_ip_, ip, now) && check(by_system_id_, system_id, now);
}

std::string bind_guard::failed(const std::string& ip, const std::string& system_id) {
    std::lock_guard lock(mutex_);
    const auto now = clock::now();
    if (by_ip_.size() > 100'000) {
        by_ip_.clear();  // a flood of distinct addresses must not grow this without bound
    }
    std::string scope;
    if (record(by_ip_, ip, now)) {
        scope = "ip";
    }
    if (!system_id.empty() && record(by_system_id_, system_id, now)) {
        scope = scope.empty() ? "system_id" : scope;
    }
    return scope;
}

void bind_guard::succeeded(const std::string& ip, const std::string& system_id) {
    std::lock_guard lock(mutex_);
    by_ip_.erase(ip);
    by_system_id_.erase(system_id);
}

// ---- upstream_connection ----------------------------------------------------------------------

upstream_connection::upstream_connection(core& c, std::shared_ptr<listener> l, std::string ip,
                                         std::string tls_common_name)
    : core_(c), listener_(std::move(l)), ip_(std::move(ip)), tls_cn_(std::move(tls_common_name)) {}

std::shared_ptr<account_state> upstream_connection::account() const {
    return account_;
}

upstream_connection::info upstream_connection::describe() const {
    return {session_ ? session_->id() : 0,
            account_ ? account_->system_id : std::string(),
            account_ ? std::string(smpp::to_string(bind_type_)) : "unbound",
            ip_,
            listener_->name(),
            session_ && session_->is_tls(),
            outstanding_submits_,
            deliveries_.size(),
            submits_};
}

void upstream_connection::reply(const smpp::pdu& response) {
    core_.stats().pdu(face::upstream, direction::out, response.command_id(),
                      response.command_status);
    (void)session_->send_response(response);
}

void upstream_connection::on_decode_error(smpp::session&, const smpp::decode_result& r) {
    core_.stats().pdu(face::upstream, direction::in, static_cast<smpp::command_id>(r.command_id),
                      r.response_status);
    log::debug("{}: undecodable PDU from {}: {}", listener_->name(), log::remote_address(ip_),
               r.error.message());
}

void upstream_connection::on_request(smpp::session& s, smpp::pdu& request) {
    core_.stats().pdu(face::upstream, direction::in, request.command_id(), 0);
    const auto id = request.command_id();
    const auto allowed = smpp::check_request_at_smsc(id, s.state());
    if (allowed != smpp::status::ESME_ROK || binding_) {
        reply(smpp::make_response(request, binding_ ? smpp::status::ESME_RINVBNDSTS : allowed));
        if (s.state() == smpp::bind_state::open && !binding_ &&
            id != smpp::command_id::generic_nack) {
            // §6.1: a non-bind request before binding gets its error, then the socket closes.
            s.close_after_flush();
        }
        return;
    }
    switch (id) {
        case smpp::command_id::bind_transmitter:
        case smpp::command_id::bind_receiver:
        case smpp::command_id::bind_transceiver:
            handle_bind(request);
            return;
        case smpp::command_id::submit_sm:
        case smpp::command_id::data_sm:
            handle_submit(request);
            return;
        case smpp::command_id::submit_multi:
            handle_submit_multi(request);
            return;
        case smpp::command_id::query_sm:
            handle_query(request);
            return;
        case smpp::command_id::cancel_sm:
            handle_cancel(request);
            return;
        case smpp::command_id::replace_sm:
            handle_replace(request);
            return;
        default:
            reply(smpp::make_response(request, smpp::status::ESME_RINVCMDID));
            return;
    }
}

// ---- bind ---------------------------------------------------------------------------------

void upstream_connection::handle_bind(smpp::pdu& request) {
    const auto& fields = *bind_fields_of(request);
    const std::string system_id(fields.system_id.view());
    bind_type_ =
        request.command_id() == smpp::command_id::bind_transmitter ? smpp::bind_type::transmitter
        : request.command_id() == smpp::command_id::bind_receiver  ? smpp::bind_type::receiver
                                                                   : smpp::bind_type::transceiver;

    auto refuse = [&](smpp::command_status status, std::string_view reason, bool count_failure) {
        core_.stats().bind_failures(reason).Increment();
        log::info("bind refused: system_id={} ip={} reason={}", log::account(system_id),
                  log::remote_address(ip_), reason);
        if (count_failure) {
            const auto locked = bind_guard::instance().failed(ip_, system_id);
            if (!locked.empty()) {
                core_.stats().lockouts(locked).Increment();
                log::warn("bind lockout: {} after repeated failures (ip={} system_id={})", locked,
                          log::remote_address(ip_), log::account(system_id));
            }
        }
        reply(smpp::make_response(request, status));
        session_->close_after_flush();
    };

    if (!bind_guard::instance().allowed(ip_, system_id)) {
        refuse(smpp::status::ESME_RBINDFAIL, "locked_out", false);
        return;
    }
    auto acct = core_.account(system_id);
    if (!acct) {
        refuse(smpp::status::ESME_RINVSYSID, "unknown_system_id", true);
        return;
    }
    std::shared_ptr<const account_config> cfg;
    {
        std::lock_guard lock(acct->mutex);
        cfg = acct->cfg;
        if (acct->removed) {
            cfg.reset();
        }
    }
    if (!cfg) {
        refuse(smpp::status::ESME_RINVSYSID, "unknown_system_id", true);
        return;
    }
    if (std::find(cfg->bind_types.begin(), cfg->bind_types.end(), bind_type_) ==
        cfg->bind_types.end()) {
        refuse(smpp::status::ESME_RBINDFAIL, "bind_type_not_allowed", false);
        return;
    }
    if (!cfg->allowed_networks.empty()) {
        boost::system::error_code ec;
        const auto bytes = to_v6_bytes(asio::ip::make_address(ip_, ec));
        const bool inside =
            !ec && std::any_of(cfg->allowed_networks.begin(), cfg->allowed_networks.end(),
                               [&](const ip_network& n) { return n.contains(bytes); });
        if (!inside) {
            refuse(smpp::status::ESME_RBINDFAIL, "address_not_allowed", true);
            return;
        }
    }
    if (cfg->require_client_certificate &&
        (tls_cn_.empty() ||
         (!cfg->client_certificate_cn.empty() && tls_cn_ != cfg->client_certificate_cn))) {
        refuse(smpp::status::ESME_RBINDFAIL, "client_certificate", true);
        return;
    }
    // yescrypt takes milliseconds on purpose: verify off the I/O thread, answer back on it.
    binding_ = true;
    const std::string password(fields.password.view());
    asio::post(core_.auth_pool(),
               [self = shared_from_this(), request, acct, cfg, password]() mutable {
                   const bool ok = verify_password(password, cfg->password_hash);
                   auto session = self->session_;
                   asio::post(session->get_executor(),
                              [self, request = std::move(request), acct, ok]() mutable {
                                  self->finish_bind(std::move(request), acct, ok);
                              });
               });
}

void upstream_connection::finish_bind(smpp::pdu request, std::shared_ptr<account_state> acct,
                                      bool ok) {
    binding_ = false;
    if (session_->is_closed()) {
        return;
    }
    const std::string system_id = acct->system_id;
    if (!ok) {
        core_.stats().bind_failures("bad_password").Increment();
        const auto locked = bind_guard::instance().failed(ip_, system_id);
        if (!locked.empty()) {
            core_.stats().lockouts(locked).Increment();
            log::warn("bind lockout: {} after repeated failures (ip={} system_id={})", locked,
                      log::remote_address(ip_), log::account(system_id));
        }
        log::info("bind refused: system_id={} ip={} reason=bad_password", log::account(system_id),
                  log::remote_address(ip_));
        reply(smpp::make_response(request, smpp::status::ESME_RINVPASWD));
        session_->close_after_flush();
        return;
    }
    {
        std::lock_guard lock(acct->mutex);
        if (acct->binds >= acct->cfg->max_binds) {
            core_.stats().bind_failures("max_binds").Increment();
            reply(smpp::make_response(request, smpp::status::ESME_RBINDFAIL));
            session_->close_after_flush();
            return;
        }
        ++acct->binds;
    }
    bind_guard::instance().succeeded(ip_, system_id);
    account_ = acct;
    const std::uint8_t version = bind_fields_of(request)->interface_version;
    session_->set_peer_interface_version(version);
    session_->set_state(smpp::bound_state_for(bind_type_));
    auto resp = smpp::make_response(request, smpp::status::ESME_ROK);
    std::visit(
        [](auto& b) {
            if constexpr (std::is_base_of_v<smpp::bind_resp_fields, std::decay_t<decltype(b)>>) {
                (void)b.system_id.assign("smppgw");
            }
        },
        resp.body);
    if (version >= 0x34) {
        resp.tlvs.set<smpp::tlv::sc_interface_version>(0x34);
    }
    reply(resp);
    core_.stats().binds(system_id, smpp::to_string(bind_type_)).Increment();
    log::info("bound: system_id={} type={} ip={} session={}", log::account(system_id),
              smpp::to_string(bind_type_), log::remote_address(ip_), session_->id());
    if (smpp::can_receive(session_->state())) {
        core_.receiver_bound(acct, shared_from_this());
    }
}

// ---- submit -------------------------------------------------------------------------------

smpp::command_status upstream_connection::admit() {
    const auto cfg = [&] {
        std::lock_guard lock(account_->mutex);
        return account_->cfg;
    }();
    if (outstanding_submits_ >= cfg->max_outstanding) {
        return smpp::status::ESME_RTHROTTLED;
    }
    if (core_.over_capacity()) {
        return smpp::status::ESME_RMSGQFUL;
    }
    std::lock_guard lock(account_->mutex);
    if (!account_->rate.try_take()) {
        return smpp::status::ESME_RTHROTTLED;
    }
    return smpp::status::ESME_ROK;
}

void upstream_connection::handle_submit(smpp::pdu& request) {
    const auto started = clock::now();
    ++submits_;
    const auto acct_cfg = [&] {
        std::lock_guard lock(account_->mutex);
        return account_->cfg;
    }();
    auto respond_status = [&](smpp::command_status st, std::string_view outcome) {
        core_.stats().messages(acct_cfg->system_id, outcome).Increment();
        reply(smpp::make_response(request, st));
    };
    if (const auto st = admit(); st != smpp::status::ESME_ROK) {
        respond_status(st, "throttled");
        return;
    }
    const auto view = smpp::view_message(request);
    const time_point now = core_.db().now();
    const auto fields = check_submit_fields(request, *view, now);
    if (fields.status != smpp::status::ESME_ROK) {
        respond_status(fields.status, "invalid");
        return;
    }
    const auto klass = message_class_of(*view, request.tlvs, acct_cfg->default_class);
    const auto engine = core_.engine();
    policy::message_facts facts;
    facts.account = acct_cfg->system_id;
    facts.brand = acct_cfg->brand;
    facts.klass = klass;
    facts.source = policy_address(view->source_addr_ton, view->source_addr_npi, view->source_addr);
    facts.destination =
        policy_address(view->dest_addr_ton, view->dest_addr_npi, view->destination_addr);
    facts.received = now;
    std::string text;
    const auto cfg = core_.cfg();
    if (cfg->policy.content.enabled && (cfg->policy.content.require_brand_prefix ||
                                        cfg->policy.content.require_optout_instructions)) {
        text = smpp::message_text(request).text;  // decoded only when a content rule reads it
        facts.text = text;
    }
    const auto policy_start = clock::now();
    const auto decision = engine->evaluate(facts, core_.lookups(), now);
    core_.stats().policy_evaluation.Observe(seconds_since(policy_start));
    core_.stats()
        .policy_decision(policy::to_string(decision.check), policy::to_string(decision.kind), false)
        .Increment();
    for (std::size_t i = 0; i < decision.shadow_count; ++i) {
        const auto& sh = decision.shadows[i];
        core_.stats()
            .policy_decision(policy::to_string(sh.check), policy::to_string(sh.would_be), true)
            .Increment();
    }

    if (decision.rejected()) {
        store::batch audit;
        audit.put_audit(make_audit(decision, 0, *acct_cfg, view->destination_addr, now));
        core_.db().commit(std::move(audit), [](std::error_code) {});
        respond_status(decision.command_status, "rejected");
        core_.stats().submit_response.Observe(seconds_since(started));
        return;
    }

    auto msg = std::make_shared<outbound_message>();
    auto& rec = msg->rec;
    rec = make_record(request, *view, view->dest_addr_ton, view->dest_addr_npi,
                      view->destination_addr, *acct_cfg, klass, fields, now);
    rec.id = core_.db().next_id();
    rec.msisdn = std::string(decision.destination.digits());
    msg->counts_toward_frequency = decision.counts_toward_frequency;
    store::batch b;
    if (decision.deferred()) {
        rec.state = store::message_state::deferred;
        rec.history.push_back({store::message_state::deferred, now});
    }
    b.put_message(rec);
    if (decision.deferred()) {
        b.put_deferred(decision.until, rec.id);
    }
    b.put_audit(make_audit(decision, rec.id, *acct_cfg, view->destination_addr, now));

    ++outstanding_submits_;
    core_.message_accepted();
    const bool deferred = decision.deferred();
    smpp::pdu response = smpp::make_response(request, smpp::status::ESME_ROK);
    core_.db().commit(std::move(b), [self = shared_from_this(), msg, deferred, started,
                                     response = std::move(response)](std::error_code ec) mutable {
        // Committer thread: hop back to the session's thread before touching it.
        auto session = self->session_;
        asio::post(session->get_executor(), [self, msg, deferred, started, ec,
                                             response = std::move(response)]() mutable {
            --self->outstanding_submits_;
            const auto& account = msg->rec.account;
            if (ec) {
                // Not durable: refuse, so the application resends. Never ESME_ROK unjournaled.
                self->core_.stats().store_errors("accept").Increment();
                self->core_.stats().messages(account, "failed").Increment();
                self->core_.message_left();
                // One line per second at most: a full disk fails every submit.
                static std::atomic<std::int64_t> last_logged{0};
                const auto now_s = std::chrono::duration_cast<std::chrono::seconds>(
                                       clock::now().time_since_epoch())
                                       .count();
                if (last_logged.exchange(now_s) != now_s) {
                    log::error("journal write failed, refusing submits with ESME_RSYSERR: {}",
                               ec.message());
                }
                response.command_status = smpp::status::ESME_RSYSERR;
                response.omit_body = true;
                self->reply(response);
                return;
            }
            const auto id = format_message_id(msg->rec.id);
            std::visit(
                [&](auto& body) {
                    if constexpr (requires { body.message_id; }) {
                        (void)body.message_id.assign(id);
                    }
                },
                response.body);
            self->reply(response);
            self->core_.stats().submit_response.Observe(seconds_since(started));
            self->core_.stats().messages(account, deferred ? "deferred" : "accepted").Increment();
            if (deferred) {
                self->core_.message_left();  // not awaiting a carrier yet
                self->core_.deferred_changed(1);
            } else {
                self->core_.route(msg);
            }
        });
    });
}

void upstream_connection::handle_submit_multi(smpp::pdu& request) {
    const auto started = clock::now();
    const auto& m = std::get<smpp::submit_multi>(request.body);
    const auto acct_cfg = [&] {
        std::lock_guard lock(account_->mutex);
        return account_->cfg;
    }();
    if (const auto st = admit(); st != smpp::status::ESME_ROK) {
        core_.stats().messages(acct_cfg->system_id, "throttled").Increment();
        reply(smpp::make_response(request, st));
        return;
    }
    const auto view = smpp::view_message(request);
    const time_point now = core_.db().now();
    const auto fields = check_submit_fields(request, *view, now);
    if (fields.status != smpp::status::ESME_ROK) {
        core_.stats().messages(acct_cfg->system_id, "invalid").Increment();
        reply(smpp::make_response(request, fields.status));
        return;
    }
    const auto klass = message_class_of(*view, request.tlvs, acct_cfg->default_class);
    const auto engine = core_.engine();
    smpp::submit_multi_resp resp_body;
    std::size_t deferred_count = 0;
    store::batch b;
    std::vector<outbound_ptr> accepted;
    std::string first_id;
    for (const auto& d : m.dest_addresses) {
        if (d.dest_flag != smpp::dest_address::sme_address) {
            resp_body.unsuccess_smes.push_back(
                {0, 0, d.dl_name, smpp::status::ESME_RCNTSUBDL});  // no distribution lists here
            continue;
        }
        policy::message_facts facts;
        facts.account = acct_cfg->system_id;
        facts.brand = acct_cfg->brand;
        facts.klass = klass;
        facts.source =
            policy_address(view->source_addr_ton, view->source_addr_npi, view->source_addr);
        facts.destination =
            policy_address(d.dest_addr_ton, d.dest_addr_npi, d.destination_addr.view());
        facts.received = now;
        const auto decision = engine->evaluate(facts, core_.lookups(), now);
        core_.stats()
            .policy_decision(policy::to_string(decision.check), policy::to_string(decision.kind),
                             false)
            .Increment();
        if (decision.rejected()) {
            core_.stats().messages(acct_cfg->system_id, "rejected").Increment();
            b.put_audit(make_audit(decision, 0, *acct_cfg, d.destination_addr.view(), now));
            resp_body.unsuccess_smes.push_back(
                {d.dest_addr_ton, d.dest_addr_npi, d.destination_addr, decision.command_status});
            continue;
        }
        auto msg = std::make_shared<outbound_message>();
        msg->rec = make_record(request, *view, d.dest_addr_ton, d.dest_addr_npi,
                               d.destination_addr.view(), *acct_cfg, klass, fields, now);
        msg->rec.id = core_.db().next_id();
        msg->rec.msisdn = std::string(decision.destination.digits());
        msg->counts_toward_frequency = decision.counts_toward_frequency;
        if (decision.deferred()) {
            msg->rec.state = store::message_state::deferred;
            msg->rec.history.push_back({store::message_state::deferred, now});
            b.put_deferred(decision.until, msg->rec.id);
            ++deferred_count;
        } else {
            accepted.push_back(msg);
        }
        b.put_message(msg->rec);
        b.put_audit(make_audit(decision, msg->rec.id, *acct_cfg, d.destination_addr.view(), now));
        if (first_id.empty()) {
            first_id = format_message_id(msg->rec.id);
        }
    }
    // The response carries the id of the first accepted destination; each destination's receipt
    // carries its own id (documented in the README).
    (void)resp_body.message_id.assign(first_id);
    smpp::pdu response = smpp::make_response(request, smpp::status::ESME_ROK);
    response.body = resp_body;
    response.omit_body = false;
    if (first_id.empty()) {
        response.command_status = smpp::status::ESME_RSUBMITFAIL;
        reply(response);
        core_.db().commit(std::move(b), [](std::error_code) {});
        return;
    }
    ++outstanding_submits_;
    for (std::size_t i = 0; i < accepted.size(); ++i) {
        core_.message_accepted();
    }
    core_.db().commit(std::move(b), [self = shared_from_this(), accepted, deferred_count, started,
                                     response = std::move(response)](std::error_code ec) mutable {
        auto session = self->session_;
        asio::post(session->get_executor(), [self, accepted, deferred_count, started, ec,
                                             response = std::move(response)]() mutable {
            --self->outstanding_submits_;
            const auto& account = self->account_->system_id;
            if (ec) {
                for (std::size_t i = 0; i < accepted.size(); ++i) {
                    self->core_.message_left();
                }
                self->core_.stats().store_errors("accept").Increment();
                self->core_.stats()
                    .messages(account, "failed")
                    .Increment(static_cast<double>(accepted.size() + deferred_count));
                response.command_status = smpp::status::ESME_RSYSERR;
                response.omit_body = true;
                self->reply(response);
                return;
            }
            self->reply(response);
            self->core_.stats().submit_response.Observe(seconds_since(started));
            self->core_.stats()
                .messages(account, "accepted")
                .Increment(static_cast<double>(accepted.size()));
            if (deferred_count > 0) {
                self->core_.stats()
                    .messages(account, "deferred")
                    .Increment(static_cast<double>(deferred_count));
                self->core_.deferred_changed(static_cast<std::int64_t>(deferred_count));
            }
            for (auto& msg : accepted) {
                self->core_.route(msg);
            }
        });
    });
}

// ---- query / cancel / replace -------------------------------------------------------------

void upstream_connection::handle_query(smpp::pdu& request) {
    const auto& q = std::get<smpp::query_sm>(request.body);
    const auto id = parse_message_id(q.message_id.view());
    std::optional<store::message_record> rec;
    if (id) {
        auto r = core_.db().get_message(*id);
        if (r && *r && (*r)->account == account_->system_id) {
            rec = std::move(**r);
        }
    }
    if (!rec) {
        reply(smpp::make_response(request, smpp::status::ESME_RQUERYFAIL));
        return;
    }
    smpp::pdu resp = smpp::make_response(request, smpp::status::ESME_ROK);
    smpp::query_sm_resp body;
    (void)body.message_id.assign(q.message_id.view());
    body.message_state = static_cast<std::uint8_t>(to_smpp_state(rec->state));
    if (store::is_final(rec->state) && !rec->history.empty()) {
        const auto formatted =
            smpp::format_smpp_time(smpp::smpp_time::absolute(rec->history.back().when));
        if (!formatted.ec) {
            (void)body.final_date.assign(formatted.text.view());
        }
    }
    for (const auto& part : rec->parts) {
        if (part.error != 0) {
            body.error_code = static_cast<std::uint8_t>(std::min<std::uint32_t>(part.error, 255));
        }
    }
    resp.body = body;
    reply(resp);
}

void upstream_connection::handle_cancel(smpp::pdu& request) {
    const auto& c = std::get<smpp::cancel_sm>(request.body);
    const auto id = parse_message_id(c.message_id.view());
    if (!id) {
        // Cancelling by source/destination (empty message_id) is not offered.
        reply(smpp::make_response(request, smpp::status::ESME_RCANCELFAIL));
        return;
    }
    auto r = core_.db().get_message(*id);
    if (!r || !*r || (*r)->account != account_->system_id) {
        reply(smpp::make_response(request, smpp::status::ESME_RCANCELFAIL));
        return;
    }
    const auto state = (*r)->state;
    bool cancellable = state == store::message_state::deferred;
    if (auto queued = core_.find_queued(*id)) {
        auto expected = outbound_message::phase::queued;
        cancellable =
            queued->state.compare_exchange_strong(expected, outbound_message::phase::cancelled);
        if (cancellable) {
            core_.forget_queued(*id);
            core_.message_left();
        }
    } else if (state == store::message_state::accepted || state == store::message_state::queued) {
        cancellable = false;  // not in a queue we control: on its way to the carrier
    }
    if (!cancellable) {
        reply(smpp::make_response(request, smpp::status::ESME_RCANCELFAIL));
        return;
    }
    store::batch b;
    b.set_state(*id, store::message_state::cancelled, core_.db().now());
    core_.db().commit(std::move(b), [self = shared_from_this(), request](std::error_code ec) {
        auto session = self->session_;
        asio::post(session->get_executor(), [self, request, ec] {
            self->reply(smpp::make_response(
                request, ec ? smpp::status::ESME_RSYSERR : smpp::status::ESME_ROK));
        });
    });
}

void upstream_connection::handle_replace(smpp::pdu& request) {
    const auto& rp = std::get<smpp::replace_sm>(request.body);
    const auto id = parse_message_id(rp.message_id.view());
    auto queued = id ? core_.find_queued(*id) : nullptr;
    std::optional<store::message_record> rec;
    if (id) {
        auto r = core_.db().get_message(*id);
        if (r && *r && (*r)->account == account_->system_id) {
            rec = std::move(**r);
        }
    }
    const bool replaceable =
        rec && (rec->state == store::message_state::deferred ||
                (queued && queued->state.load() == outbound_message::phase::queued));
    if (!replaceable || rp.short_message.empty()) {
        reply(smpp::make_response(request, smpp::status::ESME_RREPLACEFAIL));
        return;
    }
    rec->payload.assign(rp.short_message.chars());
    if (rp.registered_delivery != 0) {
        rec->registered_delivery = rp.registered_delivery;
    }
    if (queued) {
        // The bind reads rec only after winning queued -> sending; replace under the same rule.
        auto expected = outbound_message::phase::queued;
        if (!queued->state.compare_exchange_strong(expected, outbound_message::phase::cancelled)) {
            reply(smpp::make_response(request, smpp::status::ESME_RREPLACEFAIL));
            return;
        }
        queued->rec.payload = rec->payload;
        queued->rec.registered_delivery = rec->registered_delivery;
        queued->state = outbound_message::phase::queued;
    }
    store::batch b;
    b.put_message(*rec);
    core_.db().commit(std::move(b), [self = shared_from_this(), request](std::error_code ec) {
        auto session = self->session_;
        asio::post(session->get_executor(), [self, request, ec] {
            self->reply(smpp::make_response(
                request, ec ? smpp::status::ESME_RSYSERR : smpp::status::ESME_ROK));
        });
    });
}

// ---- outbox delivery ----------------------------------------------------------------------

void upstream_connection::kick() {
    if (kick_pending_.exchange(true)) {
        return;
    }
    asio::post(session_->get_executor(), [self = shared_from_this()] {
        self->kick_pending_ = false;
        self->pump_outbox();
    });
}

void upstream_connection::pump_outbox() {
    if (!account_ || !session_ || session_->is_closed() || !smpp::can_receive(session_->state())) {
        return;
    }
    const auto now = clock::now();
    if (now < deliver_paused_until_) {
        if (!deliver_timer_) {
            deliver_timer_ = std::make_unique<asio::steady_timer>(session_->get_executor());
        }
        deliver_timer_->expires_at(deliver_paused_until_);
        deliver_timer_->async_wait(
            [self = shared_from_this()](const boost::system::error_code& ec) {
                if (!ec) {
                    self->pump_outbox();
                }
            });
        return;
    }
    const std::size_t window = [&] {
        std::lock_guard lock(account_->mutex);
        return account_->cfg->deliver_window;
    }();
    while (deliveries_.size() < window) {
        auto entries = core_.take_outbox(*account_, window - deliveries_.size());
        if (entries.empty()) {
            return;
        }
        for (auto& e : entries) {
            smpp::pdu p;
            const auto bytes =
                std::span(reinterpret_cast<const std::uint8_t*>(e.bytes.data()), e.bytes.size());
            if (!smpp::decode(bytes, p).ok()) {
                log::error("outbox entry {} of {} does not decode; dropping it", e.seq,
                           log::account(account_->system_id));
                core_.outbox_acked(*account_, e.seq);
                continue;
            }
            const std::uint64_t cookie = next_delivery_cookie_++;
            if (session_->send_request(p, cookie)) {
                core_.outbox_returned(*account_, std::move(e));
                continue;
            }
            core_.stats().pdu(face::upstream, direction::out, p.command_id(), 0);
            deliveries_.emplace(cookie, std::move(e));
        }
    }
}

void upstream_connection::on_response(smpp::session&, std::uint64_t cookie,
                                      const smpp::pdu* response, std::error_code) {
    auto it = deliveries_.find(cookie);
    if (it == deliveries_.end()) {
        return;
    }
    store::outbox_entry entry = std::move(it->second);
    deliveries_.erase(it);
    if (response != nullptr) {
        core_.stats().pdu(face::upstream, direction::in, response->command_id(),
                          response->command_status);
    }
    const auto status = response != nullptr ? response->command_status : smpp::status::ESME_RSYSERR;
    if (response != nullptr &&
        (status == smpp::status::ESME_ROK || status == smpp::status::ESME_RX_P_APPN ||
         status == smpp::status::ESME_RX_R_APPN)) {
        // Acknowledged (or refused for good by the application, which retrying cannot change).
        core_.stats()
            .outbox_delivered(account_->system_id, status == smpp::status::ESME_ROK
                                                       ? store::to_string(entry.kind)
                                                       : "refused")
            .Increment();
        core_.outbox_acked(*account_, entry.seq);
        deliver_backoff_ = std::chrono::milliseconds(0);
    } else {
        // Timeout, throttled, temporary refusal: back in the queue, and this bind pauses.
        core_.outbox_returned(*account_, std::move(entry));
        if (!session_->is_closed()) {
            deliver_backoff_ = std::clamp(deliver_backoff_ * 2, std::chrono::milliseconds(250),
                                          std::chrono::milliseconds(30'000));
            deliver_paused_until_ = clock::now() + deliver_backoff_;
        }
    }
    pump_outbox();
}

void upstream_connection::shutdown() {
    asio::post(session_->get_executor(), [self = shared_from_this()] { self->session_->unbind(); });
}

void upstream_connection::on_closed(smpp::session&, std::error_code reason) {
    if (account_) {
        {
            std::lock_guard lock(account_->mutex);
            if (account_->binds > 0) {
                --account_->binds;
            }
        }
        core_.stats().binds(account_->system_id, smpp::to_string(bind_type_)).Decrement();
        for (auto& [cookie, entry] : deliveries_) {
            core_.outbox_returned(*account_, std::move(entry));
        }
        deliveries_.clear();
        log::info("unbound: system_id={} session={} reason={}", log::account(account_->system_id),
                  session_->id(), reason ? reason.message() : "unbind");
    }
    listener_->released(ip_);
    core_.connection_closed(*this);
}

}  // namespace smppgw::gateway
