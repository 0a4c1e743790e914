#include "northbound/upstream_connection.hpp"

#include <algorithm>

#include <boost/asio/post.hpp>

#include "infra/account_counters.hpp"
#include "infra/io_pool.hpp"
#include "infra/log.hpp"
#include "infra/metrics.hpp"
#include "mt/acceptance.hpp"
#include "mt/router.hpp"
#include "northbound/listener.hpp"
#include "smppgw/gateway/auth.hpp"
#include "smppgw/smpp/message_view.hpp"
#include "smppgw/smpp/smpp_time.hpp"
#include "smppgw/smpp/text.hpp"
#include "smppgw/store/store.hpp"
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

// One line per second at most: a full disk fails every submit.
void log_journal_failure(std::error_code ec) {
    static std::atomic<std::int64_t> last_logged{0};
    const auto now_s =
        std::chrono::duration_cast<std::chrono::seconds>(clock::now().time_since_epoch()).count();
    if (last_logged.exchange(now_s) != now_s) {
        log::error("journal write failed, refusing submits with ESME_RSYSERR: {}", ec.message());
    }
}

}  // namespace

// ---- connection registry ---------------------------------------------------------------------

void connection_registry::opened(const std::shared_ptr<upstream_connection>& c) {
    std::lock_guard lock(mutex_);
    std::erase_if(connections_, [](const auto& w) { return w.expired(); });
    connections_.push_back(c);
}

void connection_registry::closed(const upstream_connection& c) {
    std::lock_guard lock(mutex_);
    std::erase_if(connections_, [&](const auto& w) {
        auto p = w.lock();
        return !p || p.get() == &c;
    });
}

std::vector<std::shared_ptr<upstream_connection>> connection_registry::all() const {
    std::lock_guard lock(mutex_);
    std::vector<std::shared_ptr<upstream_connection>> out;
    for (const auto& w : connections_) {
        if (auto p = w.lock()) {
            out.push_back(std::move(p));
        }
    }
    return out;
}

// ---- upstream_connection ---------------------------------------------------------------------

upstream_connection::upstream_connection(northbound_services& services,
                                         std::shared_ptr<listener> l, std::string ip,
                                         std::string tls_common_name, asio::io_context& thread)
    : services_(services),
      listener_(std::move(l)),
      ip_(std::move(ip)),
      tls_cn_(std::move(tls_common_name)),
      mailbox_(services.io.mailbox_of(thread)) {
    info_.ip = ip_;
    info_.listener = listener_->name();
    info_.bind_type = "unbound";
}

upstream_connection::~upstream_connection() = default;

void upstream_connection::publish_info() {
    std::lock_guard lock(info_mutex_);
    info_.session_id = session_ ? session_->id() : 0;
    info_.account = account_ ? account_->cfg->system_id : std::string();
    info_.bind_type = account_ ? std::string(smpp::to_string(bind_type_)) : "unbound";
    info_.tls = session_ && session_->is_tls();
    info_.outstanding_submits = outstanding_submits_;
    info_.deliveries_in_flight = delivery_ ? delivery_->in_flight() : 0;
    info_.submits = submits_;
}

upstream_connection::info upstream_connection::describe() const {
    std::lock_guard lock(info_mutex_);
    return info_;
}

std::string upstream_connection::account_id() const {
    std::lock_guard lock(info_mutex_);
    return info_.account;
}

void upstream_connection::reply(const smpp::pdu& response) {
    services_.stats.pdu(face::upstream, direction::out, response.command_id(),
                        response.command_status);
    (void)session_->send_response(response);
}

void upstream_connection::reply_status(std::uint32_t sequence, smpp::command_id command,
                                       smpp::command_status st, std::string_view message_id) {
    smpp::pdu stub;
    stub.sequence_number = sequence;
    (void)smpp::emplace_body(command, stub.body);
    auto response = smpp::make_response(stub, st);
    if (!message_id.empty()) {
        std::visit(
            [&](auto& body) {
                if constexpr (requires { body.message_id; }) {
                    (void)body.message_id.assign(message_id);
                }
            },
            response.body);
    }
    reply(response);
}

void upstream_connection::on_decode_error(smpp::session&, const smpp::decode_result& r) {
    services_.stats.pdu(face::upstream, direction::in, static_cast<smpp::command_id>(r.command_id),
                        r.response_status);
    log::debug("{}: undecodable PDU from {}: {}", listener_->name(), log::remote_address(ip_),
               r.error.message());
}

void upstream_connection::on_request(smpp::session& s, smpp::pdu& request) {
    services_.stats.pdu(face::upstream, direction::in, request.command_id(), 0);
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

// ---- bind ----------------------------------------------------------------------------------

void upstream_connection::handle_bind(smpp::pdu& request) {
    const auto& fields = *bind_fields_of(request);
    const std::string system_id(fields.system_id.view());
    bind_type_ =
        request.command_id() == smpp::command_id::bind_transmitter ? smpp::bind_type::transmitter
        : request.command_id() == smpp::command_id::bind_receiver  ? smpp::bind_type::receiver
                                                                   : smpp::bind_type::transceiver;

    auto refuse = [&](smpp::command_status status, std::string_view reason, bool count_failure) {
        services_.stats.bind_failures(reason).Increment();
        log::info("bind refused: system_id={} ip={} reason={}", log::account(system_id),
                  log::remote_address(ip_), reason);
        if (count_failure) {
            const auto locked = bind_guard::instance().failed(ip_, system_id);
            if (!locked.empty()) {
                services_.stats.lockouts(locked).Increment();
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
    const auto acct = services_.accounts.find(system_id);
    if (!acct) {
        refuse(smpp::status::ESME_RINVSYSID, "unknown_system_id", true);
        return;
    }
    const auto& cfg = *acct->cfg;
    if (std::find(cfg.bind_types.begin(), cfg.bind_types.end(), bind_type_) ==
        cfg.bind_types.end()) {
        refuse(smpp::status::ESME_RBINDFAIL, "bind_type_not_allowed", false);
        return;
    }
    if (!cfg.allowed_networks.empty()) {
        boost::system::error_code ec;
        const auto bytes = to_v6_bytes(asio::ip::make_address(ip_, ec));
        const bool inside = !ec && std::any_of(cfg.allowed_networks.begin(),
                                               cfg.allowed_networks.end(),
                                               [&](const ip_network& n) { return n.contains(bytes); });
        if (!inside) {
            refuse(smpp::status::ESME_RBINDFAIL, "address_not_allowed", true);
            return;
        }
    }
    if (cfg.require_client_certificate &&
        (tls_cn_.empty() || (!cfg.client_certificate_cn.empty() && tls_cn_ != cfg.client_certificate_cn))) {
        refuse(smpp::status::ESME_RBINDFAIL, "client_certificate", true);
        return;
    }
    // yescrypt takes milliseconds on purpose: verify off the I/O thread, answer back on it.
    binding_ = true;
    const std::string password(fields.password.view());
    asio::post(services_.auth_pool, [self = shared_from_this(), request, acct = *acct,
                                     password]() mutable {
        const bool ok = verify_password(password, acct.cfg->password_hash);
        auto session = self->session_;
        asio::post(session->get_executor(), [self, request = std::move(request),
                                             acct = std::move(acct), ok]() mutable {
            self->finish_bind(std::move(request), std::move(acct), ok);
        });
    });
}

void upstream_connection::finish_bind(smpp::pdu request, account_entry acct, bool ok) {
    binding_ = false;
    if (session_->is_closed()) {
        return;
    }
    const std::string system_id = acct.cfg->system_id;
    if (!ok) {
        services_.stats.bind_failures("bad_password").Increment();
        const auto locked = bind_guard::instance().failed(ip_, system_id);
        if (!locked.empty()) {
            services_.stats.lockouts(locked).Increment();
            log::warn("bind lockout: {} after repeated failures (ip={} system_id={})", locked,
                      log::remote_address(ip_), log::account(system_id));
        }
        log::info("bind refused: system_id={} ip={} reason=bad_password", log::account(system_id),
                  log::remote_address(ip_));
        reply(smpp::make_response(request, smpp::status::ESME_RINVPASWD));
        session_->close_after_flush();
        return;
    }
    if (!acct.runtime->add_bind(acct.cfg->max_binds)) {
        services_.stats.bind_failures("max_binds").Increment();
        reply(smpp::make_response(request, smpp::status::ESME_RBINDFAIL));
        session_->close_after_flush();
        return;
    }
    bind_guard::instance().succeeded(ip_, system_id);
    account_ = acct;
    counters_ = account_counters::make(services_.stats, *acct.cfg);
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
    services_.stats.binds(system_id, smpp::to_string(bind_type_)).Increment();
    log::info("bound: system_id={} type={} ip={} session={}", log::account(system_id),
              smpp::to_string(bind_type_), log::remote_address(ip_), session_->id());
    if (smpp::can_receive(session_->state())) {
        delivery_ = std::make_unique<outbox_delivery>(services_.db.live(), system_id, *this,
                                                      &services_.stats);
        services_.outbox.add(system_id, shared_from_this());
    }
    publish_info();
}

// ---- submit --------------------------------------------------------------------------------

smpp::command_status upstream_connection::admit() {
    if (outstanding_submits_ >= account_->cfg->max_outstanding) {
        return smpp::status::ESME_RTHROTTLED;
    }
    if (services_.db.live().waiting_for_carrier() >=
        services_.cfg.load()->server.max_pending_messages) {
        return smpp::status::ESME_RMSGQFUL;
    }
    if (!account_->runtime->take_rate()) {
        return smpp::status::ESME_RTHROTTLED;
    }
    return smpp::status::ESME_ROK;
}

store::completion upstream_connection::back_here(std::uint64_t slot) {
    // The journal's completion thread: hand the outcome to this connection's thread, batched
    // with everything else that group completed for it.
    return [self = shared_from_this(), slot](std::error_code ec) {
        self->mailbox_.push([self, slot, ec] { self->submit_durable(slot, ec); });
    };
}

void upstream_connection::handle_submit(smpp::pdu& request) {
    const auto started = clock::now();
    ++submits_;
    const auto& acct = *account_->cfg;
    auto refuse = [&](smpp::command_status st, std::string_view outcome) {
        services_.stats.messages(acct.system_id, outcome).Increment();
        reply(smpp::make_response(request, st));
    };
    if (const auto st = admit(); st != smpp::status::ESME_ROK) {
        refuse(st, "throttled");
        return;
    }
    const auto view = smpp::view_message(request);
    const auto now = services_.db.now();
    const auto fields = check_submit_fields(request, *view, now);
    if (fields.status != smpp::status::ESME_ROK) {
        refuse(fields.status, "invalid");
        return;
    }
    const auto klass = message_class_of(*view, request.tlvs, acct.default_class);
    std::string text;
    const auto cfg = services_.cfg.load();
    if (cfg->policy.content.enabled && (cfg->policy.content.require_brand_prefix ||
                                        cfg->policy.content.require_optout_instructions)) {
        text = smpp::message_text(request).text;  // decoded only when a content rule reads it
    }
    auto rec = make_record(request, *view, view->dest_addr_ton, view->dest_addr_npi,
                           view->destination_addr, acct, klass, fields, now);
    const auto slot = next_slot_++;
    auto outcome = services_.acceptor.accept(std::move(rec), text, back_here(slot));
    if (outcome.kind == accept_outcome::verdict::rejected) {
        counters_->count(klass, campaign_of(request.tlvs, acct),
                         account_counters::answer::rejected);
        reply(smpp::make_response(request, outcome.status));
        services_.stats.submit_response.Observe(seconds_since(started));
        return;
    }
    ++outstanding_submits_;
    pending_.emplace(slot, pending_submit{request.sequence_number, request.command_id(),
                                          std::move(outcome.message),
                                          outcome.kind == accept_outcome::verdict::deferred,
                                          started, 0});
}

void upstream_connection::submit_durable(std::uint64_t slot, std::error_code ec) {
    const auto it = pending_.find(slot);
    if (it == pending_.end()) {
        return;
    }
    auto p = std::move(it->second);
    pending_.erase(it);
    if (p.multi != 0) {
        const auto m = multis_.find(p.multi);
        if (m != multis_.end()) {
            auto& multi = m->second;
            if (ec) {
                log_journal_failure(ec);
                services_.stats.store_errors("accept").Increment();
                multi.response.unsuccess_smes.push_back(
                    {p.message->rec.destination.ton, p.message->rec.destination.npi, {},
                     smpp::status::ESME_RSYSERR});
                (void)multi.response.unsuccess_smes.back().destination_addr.assign(
                    p.message->rec.destination.addr);
            } else if (const auto refused =
                           p.deferred ? std::nullopt : services_.acceptor.recheck(*p.message)) {
                store::ended_record r;
                r.state = store::message_state::failed;
                r.status = *refused;
                r.when = services_.db.now();
                (void)services_.db.live().end(p.message, std::move(r), {});
                multi.response.unsuccess_smes.push_back(
                    {p.message->rec.destination.ton, p.message->rec.destination.npi, {}, *refused});
                (void)multi.response.unsuccess_smes.back().destination_addr.assign(
                    p.message->rec.destination.addr);
            } else {
                if (multi.first_id.empty()) {
                    multi.first_id = format_message_id(p.message->rec.id);
                }
                if (!p.deferred) {
                    services_.routes.route(p.message);
                }
            }
            multi_destination_done(multi, m->first);
        }
        return;
    }
    --outstanding_submits_;
    const auto& account = p.message->rec.account;
    if (ec) {
        // Not durable: refuse, so the application resends. Never ESME_ROK unjournaled.
        services_.stats.store_errors("accept").Increment();
        services_.stats.messages(account, "failed").Increment();
        log_journal_failure(ec);
        reply_status(p.sequence, p.command, smpp::status::ESME_RSYSERR);
        return;
    }
    // A STOP understood since this message passed the policy: refuse it now rather than
    // acknowledge it after the STOP's own acknowledgement (acceptance.hpp).
    if (const auto refused = services_.acceptor.recheck(*p.message)) {
        store::ended_record r;
        r.state = store::message_state::failed;
        r.status = *refused;
        r.when = services_.db.now();
        (void)services_.db.live().end(p.message, std::move(r), {});
        counters_->count(p.message->rec.klass, p.message->rec.campaign,
                         account_counters::answer::rejected);
        reply_status(p.sequence, p.command, *refused);
        return;
    }
    reply_status(p.sequence, p.command, smpp::status::ESME_ROK,
                 format_message_id(p.message->rec.id));
    services_.stats.submit_response.Observe(seconds_since(p.started));
    counters_->count(p.message->rec.klass, p.message->rec.campaign,
                     p.deferred ? account_counters::answer::deferred
                                : account_counters::answer::accepted);
    if (!p.deferred) {
        services_.routes.route(std::move(p.message));
    }
}

void upstream_connection::handle_submit_multi(smpp::pdu& request) {
    const auto started = clock::now();
    ++submits_;
    const auto& m = std::get<smpp::submit_multi>(request.body);
    const auto& acct = *account_->cfg;
    if (const auto st = admit(); st != smpp::status::ESME_ROK) {
        services_.stats.messages(acct.system_id, "throttled").Increment();
        reply(smpp::make_response(request, st));
        return;
    }
    const auto view = smpp::view_message(request);
    const auto now = services_.db.now();
    const auto fields = check_submit_fields(request, *view, now);
    if (fields.status != smpp::status::ESME_ROK) {
        services_.stats.messages(acct.system_id, "invalid").Increment();
        reply(smpp::make_response(request, fields.status));
        return;
    }
    const auto klass = message_class_of(*view, request.tlvs, acct.default_class);
    const auto campaign = campaign_of(request.tlvs, acct);
    const auto multi_id = next_multi_++;
    auto& multi = multis_[multi_id];
    multi.request = request;
    multi.started = started;
    ++outstanding_submits_;
    for (const auto& d : m.dest_addresses) {
        if (d.dest_flag != smpp::dest_address::sme_address) {
            multi.response.unsuccess_smes.push_back(
                {0, 0, d.dl_name, smpp::status::ESME_RCNTSUBDL});  // no distribution lists here
            continue;
        }
        auto rec = make_record(request, *view, d.dest_addr_ton, d.dest_addr_npi,
                               d.destination_addr.view(), acct, klass, fields, now);
        const auto slot = next_slot_++;
        auto outcome = services_.acceptor.accept(std::move(rec), {}, back_here(slot));
        if (outcome.kind == accept_outcome::verdict::rejected) {
            counters_->count(klass, campaign, account_counters::answer::rejected);
            multi.response.unsuccess_smes.push_back(
                {d.dest_addr_ton, d.dest_addr_npi, d.destination_addr, outcome.status});
            continue;
        }
        ++multi.waiting;
        counters_->count(klass, campaign,
                         outcome.kind == accept_outcome::verdict::deferred
                             ? account_counters::answer::deferred
                             : account_counters::answer::accepted);
        pending_.emplace(slot, pending_submit{request.sequence_number, request.command_id(),
                                              std::move(outcome.message),
                                              outcome.kind == accept_outcome::verdict::deferred,
                                              started, multi_id});
    }
    if (multi.waiting == 0) {
        multi_destination_done(multi, multi_id);
    }
}

void upstream_connection::multi_destination_done(pending_multi& multi, std::uint64_t id) {
    if (multi.waiting > 0) {
        --multi.waiting;
    }
    if (multi.waiting > 0) {
        return;
    }
    // The response carries the id of the first accepted destination; each destination's
    // receipt carries its own id (documented in the README).
    --outstanding_submits_;
    smpp::pdu response = smpp::make_response(multi.request, smpp::status::ESME_ROK);
    (void)multi.response.message_id.assign(multi.first_id);
    response.body = multi.response;
    response.omit_body = false;
    if (multi.first_id.empty()) {
        response.command_status = smpp::status::ESME_RSUBMITFAIL;
    }
    reply(response);
    services_.stats.submit_response.Observe(seconds_since(multi.started));
    multis_.erase(id);
}

// ---- query / cancel / replace ------------------------------------------------------------------

void upstream_connection::handle_query(smpp::pdu& request) {
    const auto& q = std::get<smpp::query_sm>(request.body);
    const auto id = parse_message_id(q.message_id.view());
    std::optional<store::message_record> rec;
    if (id) {
        auto r = services_.db.get_message(*id);
        if (r && *r && (*r)->account == account_->cfg->system_id) {
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
    store::ended_record r;
    r.when = services_.db.now();
    const auto seq = request.sequence_number;
    const auto result = services_.db.live().cancel(
        *id, account_->cfg->system_id, std::move(r),
        [self = shared_from_this(), seq](std::error_code ec) {
            self->mailbox_.push([self, seq, ec] {
                self->reply_status(seq, smpp::command_id::cancel_sm,
                                   ec ? smpp::status::ESME_RSYSERR : smpp::status::ESME_ROK);
            });
        });
    if (result != store::live_state::change_result::done) {
        reply(smpp::make_response(request, smpp::status::ESME_RCANCELFAIL));
    }
}

void upstream_connection::handle_replace(smpp::pdu& request) {
    const auto& rp = std::get<smpp::replace_sm>(request.body);
    const auto id = parse_message_id(rp.message_id.view());
    if (!id || rp.short_message.empty()) {
        reply(smpp::make_response(request, smpp::status::ESME_RREPLACEFAIL));
        return;
    }
    store::replaced_record r;
    r.registered_delivery = rp.registered_delivery;
    r.payload.assign(rp.short_message.chars());
    r.when = services_.db.now();
    const auto seq = request.sequence_number;
    const auto result = services_.db.live().replace(
        *id, account_->cfg->system_id, std::move(r),
        [self = shared_from_this(), seq](std::error_code ec) {
            self->mailbox_.push([self, seq, ec] {
                self->reply_status(seq, smpp::command_id::replace_sm,
                                   ec ? smpp::status::ESME_RSYSERR : smpp::status::ESME_ROK);
            });
        });
    if (result != store::live_state::change_result::done) {
        reply(smpp::make_response(request, smpp::status::ESME_RREPLACEFAIL));
    }
}

// ---- outbox delivery -----------------------------------------------------------------------

bool upstream_connection::deliver(std::string_view bytes, std::uint64_t cookie) {
    if (!session_ || session_->is_closed()) {
        return false;
    }
    const auto data = std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    if (session_->peer_interface_version() >= 0x34) {
        if (session_->send_encoded_request(data, cookie)) {
            return false;
        }
    } else {
        // A peer bound below 3.4 reads no TLVs: the text goes in short_message, in parts.
        smpp::pdu p;
        if (!smpp::decode(data, p).ok()) {
            return false;
        }
        const auto adapted =
            adapt_for_peer(p, session_->peer_interface_version(), static_cast<std::uint8_t>(cookie));
        if (adapted.ec) {
            log::warn("an outbox entry of {} cannot be adapted to SMPP 3.3 ({}); sent as is",
                      account_->cfg->system_id, adapted.ec.message());
        }
        std::vector<std::uint64_t> sent;
        for (const auto& part : adapted.parts) {
            auto copy = part;
            const auto part_cookie = sent.empty() ? cookie : next_part_cookie_++;
            if (session_->send_request(copy, part_cookie)) {
                break;
            }
            services_.stats.pdu(face::upstream, direction::out, copy.command_id(), 0);
            sent.push_back(part_cookie);
        }
        if (sent.empty()) {
            return false;
        }
        if (adapted.parts.size() > 1) {
            splits_.add(cookie, sent, sent.size() == adapted.parts.size());
        }
        return true;
    }
    services_.stats.pdu(face::upstream, direction::out, smpp::command_id::deliver_sm, 0);
    return true;
}

void upstream_connection::kick() {
    if (kick_pending_.exchange(true) || !session_) {
        return;
    }
    asio::post(session_->get_executor(), [self = shared_from_this()] {
        self->kick_pending_ = false;
        self->pump_outbox();
    });
}

void upstream_connection::pump_outbox() {
    if (!delivery_ || !session_ || session_->is_closed() ||
        !smpp::can_receive(session_->state())) {
        return;
    }
    const auto window = account_->cfg->deliver_window;
    const auto paused_until = delivery_->pump(window, clock::now());
    if (paused_until != clock::time_point{}) {
        if (!deliver_timer_) {
            deliver_timer_ = std::make_unique<asio::steady_timer>(session_->get_executor());
        }
        deliver_timer_->expires_at(paused_until);
        deliver_timer_->async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
            if (!ec) {
                self->pump_outbox();
            }
        });
    }
    publish_info();
}

void upstream_connection::on_response(smpp::session&, std::uint64_t cookie,
                                      const smpp::pdu* response, std::error_code) {
    if (response != nullptr) {
        services_.stats.pdu(face::upstream, direction::in, response->command_id(),
                            response->command_status);
    }
    const auto status = response != nullptr ? response->command_status : smpp::status::ESME_RSYSERR;
    if (const auto split = splits_.answered(cookie, status)) {
        if (!split->complete) {
            return;  // the entry waits for its other parts
        }
        // The entry settles with what all of its parts got.
        smpp::pdu settled;
        settled.body = smpp::deliver_sm_resp{};
        settled.command_status = split->status;
        if (delivery_) {
            delivery_->answered(split->entry, &settled, clock::now());
        }
        pump_outbox();
        return;
    }
    if (delivery_) {
        delivery_->answered(cookie, response, clock::now());
    }
    pump_outbox();
}

void upstream_connection::shutdown() {
    asio::post(session_->get_executor(), [self = shared_from_this()] { self->session_->unbind(); });
}

void upstream_connection::on_closed(smpp::session&, std::error_code reason) {
    if (account_) {
        const auto& system_id = account_->cfg->system_id;
        account_->runtime->remove_bind();
        services_.stats.binds(system_id, smpp::to_string(bind_type_)).Decrement();
        if (delivery_) {
            splits_.clear();
            delivery_->closed();
            services_.outbox.remove(system_id, this);
        }
        log::info("unbound: system_id={} session={} reason={}", log::account(system_id),
                  session_->id(), reason ? reason.message() : "unbind");
    }
    listener_->released(ip_);
    services_.connections.closed(*this);
}

}  // namespace smppgw::gateway
