#include "sim/shard.hpp"

#include <sys/socket.h>

#include <algorithm>

#include <fmt/format.h>
#include <boost/asio/post.hpp>

#include "sim/smsc_server.hpp"
#include "sim/text_helpers.hpp"
#include "smppgw/smpp/codec.hpp"

namespace smppgw::bench::sim {

namespace asio = boost::asio;
using smpp::command_id;
namespace status = smpp::status;

// One accepted connection. The session calls back into the shard; the connection only carries
// per-connection state. Owned by the shard's table and (as handler) by its session.
struct connection final : smpp::session_handler {
    connection(shard& s, std::uint32_t slot_, std::uint32_t generation_, std::size_t window)
        : owner(s), slot(slot_), generation(generation_), inflight(window) {
        free_inflight.reserve(window);
        for (std::size_t i = window; i-- > 0;) {
            free_inflight.push_back(static_cast<std::uint32_t>(i));
        }
    }

    void on_request(smpp::session&, smpp::pdu& request) override {
        owner.on_request(*this, request);
    }
    void on_response(smpp::session&, std::uint64_t cookie, const smpp::pdu* response,
                     std::error_code ec) override {
        owner.on_delivery_response(*this, cookie, response, ec);
    }
    void on_closed(smpp::session&, std::error_code) override { owner.on_closed(*this); }

    [[nodiscard]] bool can_send() const noexcept {
        return session && !session->is_closed() && !session->window_full() &&
               !free_inflight.empty();
    }

    shard& owner;
    std::uint32_t slot;
    std::uint32_t generation;
    std::shared_ptr<smpp::session> session;
    int fd = -1;  // for garbage injection only, valid while the session is open
    std::string system_id;
    account* acct = nullptr;  // set at bind
    bool receiver = false;
    bool bound = false;
    std::vector<delivery> inflight;  // deliver_sm awaiting deliver_sm_resp, indexed by cookie
    std::vector<std::uint32_t> free_inflight;
};

namespace {

constexpr auto tick_resolution = std::chrono::milliseconds(1);

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::uint16_t err_for(smpp::message_state s) {
    switch (s) {
        case smpp::message_state::delivered:
            return 0;
        case smpp::message_state::undeliverable:
            return 1;
        case smpp::message_state::expired:
            return 2;
        case smpp::message_state::rejected:
            return 3;
        case smpp::message_state::deleted:
            return 4;
        default:
            return 5;
    }
}

// registered_delivery bits 1-0 (SMPP.md §7.2): 01 always, 10 on failure, 11 on success (5.0).
bool wants_receipt(std::uint8_t registered_delivery, smpp::message_state s) {
    switch (registered_delivery & 0x03) {
        case 1:
            return true;
        case 2:
            return !smpp::is_success(s);
        case 3:
            return smpp::is_success(s);
        default:
            return false;
    }
}

const std::vector<std::string_view> free_text_pool = {
    "Thanks!",         "What time do you open tomorrow?",
    "ok see you then", "Can I change my appointment to Friday?",
    "Who is this?",    "Yes",
    "No thanks",       "Is my order shipped yet? Order 55321",
};

}  // namespace

shard::shard(smsc_server& server, std::size_t index, std::size_t shards, asio::io_context& context)
    : server_(server),
      config_(server.config()),
      index_(index),
      context_(context),
      rng_(server.config().seed * 0x9E3779B97F4A7C15ULL + index + 1),
      ids_(server.config().ids, server.id_base(), index, shards),
      responses_(server.origin(), tick_resolution),
      deliveries_(server.origin(), tick_resolution),
      timer_(context) {
    std::vector<double> w;
    for (const auto& o : config_.outcomes) {
        w.push_back(o.weight);
    }
    outcome_choice_ = weighted_choice(w);
    w.clear();
    for (const auto& v : config_.receipt_variants) {
        w.push_back(v.second);
    }
    variant_choice_ = weighted_choice(w);
    w.clear();
    for (const auto& k : config_.mo_mix) {
        w.push_back(k.weight);
    }
    mo_choice_ = weighted_choice(w);
    out_.body = smpp::deliver_sm{};
    record_buffer_.reserve(1 << 20);
}

shard::~shard() = default;

void shard::start() {
    const auto now = clock::now();
    next_housekeeping_ = now + std::chrono::seconds(1);
    next_forward_ = now;
    last_mo_ = now;
    if (config_.disconnect_every.count() > 0) {
        next_disconnect_ = server_.origin() + config_.disconnect_every;
    }
    arm(now + tick_resolution);
}

void shard::adopt(asio::ip::tcp::socket socket) {
    if (stopping_) {
        return;
    }
    boost::system::error_code ignored;
    socket.set_option(asio::ip::tcp::no_delay(true), ignored);
    const int fd = socket.native_handle();

    std::uint32_t slot = 0;
    if (!free_conn_slots_.empty()) {
        slot = free_conn_slots_.back();
        free_conn_slots_.pop_back();
    } else {
        slot = static_cast<std::uint32_t>(conns_.size());
        conns_.emplace_back();
    }
    auto c = std::make_shared<connection>(*this, slot, next_generation_++, config_.dlr_window);
    c->fd = fd;

    smpp::session_config sc;
    sc.window = config_.dlr_window;
    sc.enquire_link_interval = config_.enquire_link;
    sc.session_init_timeout = std::chrono::seconds(30);
    sc.response_timeout = std::chrono::seconds(30);
    c->session = smpp::session::create(smpp::stream(std::move(socket)), sc, c);
    conns_[slot] = c;
    bump(stats_.connections);
    c->session->start();
}

// ---- requests

void shard::on_request(connection& c, smpp::pdu& request) {
    const auto id = request.command_id();
    const auto allowed = smpp::check_request_at_smsc(id, c.session->state());
    if (allowed != status::ESME_ROK) {
        (void)c.session->send_response(smpp::make_response(request, allowed));
        if (id == command_id::submit_sm || id == command_id::data_sm ||
            id == command_id::submit_multi) {
            stats_.add_response(allowed);
        }
        return;
    }
    switch (id) {
        case command_id::bind_transmitter:
        case command_id::bind_receiver:
        case command_id::bind_transceiver:
            handle_bind(c, request);
            return;
        case command_id::submit_sm:
        case command_id::data_sm:
        case command_id::submit_multi:
            handle_submit(c, request);
            return;
        case command_id::query_sm:
            bump(stats_.other_requests);
            (void)c.session->send_response(smpp::make_response(request, status::ESME_RQUERYFAIL));
            return;
        case command_id::cancel_sm:
            bump(stats_.other_requests);
            (void)c.session->send_response(smpp::make_response(request, status::ESME_RCANCELFAIL));
            return;
        case command_id::replace_sm:
            bump(stats_.other_requests);
            (void)c.session->send_response(smpp::make_response(request, status::ESME_RREPLACEFAIL));
            return;
        default:
            bump(stats_.other_requests);
            (void)c.session->send_response(smpp::make_response(request, status::ESME_RINVCMDID));
            return;
    }
}

void shard::handle_bind(connection& c, smpp::pdu& request) {
    const smpp::bind_fields* fields = nullptr;
    smpp::bind_type type = smpp::bind_type::transceiver;
    if (auto* b = std::get_if<smpp::bind_transmitter>(&request.body)) {
        fields = b;
        type = smpp::bind_type::transmitter;
    } else if (auto* r = std::get_if<smpp::bind_receiver>(&request.body)) {
        fields = r;
        type = smpp::bind_type::receiver;
    } else if (auto* t = std::get_if<smpp::bind_transceiver>(&request.body)) {
        fields = t;
    }
    if (fields == nullptr) {
        return;
    }
    smpp::command_status result = status::ESME_ROK;
    if (config_.system_id && fields->system_id.view() != *config_.system_id) {
        result = status::ESME_RINVSYSID;
    } else if (config_.password && fields->password.view() != *config_.password) {
        result = status::ESME_RINVPASWD;
    }
    auto resp = smpp::make_response(request, result);
    if (result != status::ESME_ROK) {
        bump(stats_.bind_failures);
        (void)c.session->send_response(resp);
        c.session->close_after_flush();
        return;
    }
    std::visit(
        [&](auto& body) {
            if constexpr (std::is_base_of_v<smpp::bind_resp_fields, std::decay_t<decltype(body)>>) {
                (void)body.system_id.assign(std::string_view(config_.own_system_id).substr(0, 15));
            }
        },
        resp.body);
    (void)c.session->send_response(resp);
    c.session->set_state(smpp::bound_state_for(type));
    c.session->set_peer_interface_version(fields->interface_version);
    c.system_id = std::string(fields->system_id.view());
    c.acct = &account_for(c.system_id);
    c.bound = true;
    switch (type) {
        case smpp::bind_type::transmitter:
            bump(stats_.binds_tx);
            break;
        case smpp::bind_type::receiver:
            bump(stats_.binds_rx);
            break;
        case smpp::bind_type::transceiver:
            bump(stats_.binds_trx);
            break;
    }
    if (type != smpp::bind_type::transmitter) {
        c.receiver = true;
        account& a = *c.acct;
        a.receivers.push_back(&c);
        server_.receiver_added(c.system_id, index_);
        pump(a);
    }
}

bool shard::throttling(clock::time_point now) const noexcept {
    if (config_.throttle_every.count() <= 0 || config_.throttle_length.count() <= 0) {
        return false;
    }
    const auto since = (now - server_.origin()) % config_.throttle_every;
    // The window closes each period: [every - length, every), so a run starts unthrottled.
    return since >= config_.throttle_every - config_.throttle_length;
}

void shard::handle_submit(connection& c, smpp::pdu& request) {
    const auto now = clock::now();
    const auto id = request.command_id();
    command_id response_id = command_id::submit_sm_resp;
    switch (id) {
        case command_id::submit_sm:
            bump(stats_.submit_sm);
            break;
        case command_id::data_sm:
            bump(stats_.data_sm);
            response_id = command_id::data_sm_resp;
            break;
        default:
            bump(stats_.submit_multi);
            response_id = command_id::submit_multi_resp;
            break;
    }

    smpp::command_status result = status::ESME_ROK;
    if (throttling(now) || rng_.chance(config_.throttle_share)) {
        result = status::ESME_RTHROTTLED;
    }
    std::chrono::nanoseconds delay{0};
    if (config_.slow_share > 0 && rng_.chance(config_.slow_share)) {
        delay = config_.slow_latency.sample(rng_);
        bump(stats_.slow_responses);
    } else if (!config_.ack_latency.is_zero()) {
        delay = config_.ack_latency.sample(rng_);
    }

    char id_buf[48];
    std::size_t id_len = 0;
    if (result == status::ESME_ROK) {
        id_len = ids_.next(id_buf);
        const std::string_view message_id(id_buf, id_len);
        const auto receipt_due = now + delay + config_.receipt_delay.sample(rng_);
        if (auto* sm = std::get_if<smpp::submit_sm>(&request.body)) {
            std::span<const std::uint8_t> data = sm->short_message.bytes();
            if (data.empty()) {
                if (auto payload = request.tlvs.get<smpp::tlv::message_payload>()) {
                    data = *payload;
                }
            }
            accept_destination(c, message_id, sm->source_addr.view(), sm->destination_addr.view(),
                               sm->registered_delivery, sm->esm_class, sm->data_coding, data,
                               request.tlvs, receipt_due);
        } else if (auto* ds = std::get_if<smpp::data_sm>(&request.body)) {
            std::span<const std::uint8_t> data;
            if (auto payload = request.tlvs.get<smpp::tlv::message_payload>()) {
                data = *payload;
            }
            accept_destination(c, message_id, ds->source_addr.view(), ds->destination_addr.view(),
                               ds->registered_delivery, ds->esm_class, ds->data_coding, data,
                               request.tlvs, receipt_due);
        } else if (auto* sm_multi = std::get_if<smpp::submit_multi>(&request.body)) {
            std::span<const std::uint8_t> data = sm_multi->short_message.bytes();
            if (data.empty()) {
                if (auto payload = request.tlvs.get<smpp::tlv::message_payload>()) {
                    data = *payload;
                }
            }
            for (const auto& dest : sm_multi->dest_addresses) {
                if (dest.dest_flag != smpp::dest_address::sme_address) {
                    continue;  // distribution lists: accepted, nothing to deliver
                }
                accept_destination(c, message_id, sm_multi->source_addr.view(),
                                   dest.destination_addr.view(), sm_multi->registered_delivery,
                                   sm_multi->esm_class, sm_multi->data_coding, data, request.tlvs,
                                   receipt_due);
            }
        }
    }
    respond(c, request.sequence_number, response_id, result, std::string_view(id_buf, id_len),
            delay, now);
}

void shard::accept_destination(connection& c, std::string_view message_id, std::string_view source,
                               std::string_view destination, std::uint8_t registered_delivery,
                               std::uint8_t esm_class, std::uint8_t data_coding,
                               std::span<const std::uint8_t> user_data, const smpp::tlv_list& tlvs,
                               clock::time_point receipt_due) {
    if (server_.records().enabled()) {
        append_record(record_buffer_, c.system_id, message_id, source, destination, esm_class,
                      data_coding, user_data, tlvs, server_.records().text_mode());
        bump(stats_.recorded);
        if (record_buffer_.size() > (1U << 20)) {
            flush_record();
        }
    }
    if (!config_.receipts) {
        return;
    }
    const auto state = config_.outcomes[outcome_choice_.pick(rng_)].state;
    if (!wants_receipt(registered_delivery, state)) {
        return;
    }
    scheduled_delivery s;
    s.to = c.acct;
    delivery& d = s.item;
    d.what = delivery::kind::receipt;
    d.state = state;
    d.variant = config_.receipt_variants[variant_choice_.pick(rng_)].first;
    d.err = err_for(state);
    d.submit_unix_s = unix_now();
    d.message_id.assign(message_id);
    // The receipt comes from the handset back to the sender.
    d.source.assign(destination);
    d.destination.assign(source);
    receipt_snippet(user_data, esm_class, data_coding, d.text);
    deliveries_.schedule(receipt_due, s);
    bump(stats_.receipts_scheduled);
    arm(deliveries_.next_tick_time());
}

void shard::respond(connection& c, std::uint32_t sequence, command_id response_id,
                    std::uint32_t result, std::string_view message_id,
                    std::chrono::nanoseconds delay, clock::time_point now) {
    if (delay.count() <= 0) {
        send_response_now(c, sequence, response_id, result, message_id);
        return;
    }
    pending_response p;
    p.conn_slot = c.slot;
    p.conn_generation = c.generation;
    p.sequence = sequence;
    p.id = response_id;
    p.status = result;
    p.message_id.assign(message_id);
    responses_.schedule(now + delay, p);
    arm(responses_.next_tick_time());
}

void shard::send_response_now(connection& c, std::uint32_t sequence, command_id response_id,
                              std::uint32_t result, std::string_view message_id) {
    if (!c.session || c.session->is_closed()) {
        return;
    }
    maybe_inject_garbage(c);
    resp_.command_status = result;
    resp_.sequence_number = sequence;
    resp_.omit_body = result != status::ESME_ROK;
    resp_.tlvs.clear();
    switch (response_id) {
        case command_id::data_sm_resp:
            (void)resp_.body.emplace<smpp::data_sm_resp>().message_id.assign(message_id);
            break;
        case command_id::submit_multi_resp:
            (void)resp_.body.emplace<smpp::submit_multi_resp>().message_id.assign(message_id);
            break;
        default:
            (void)resp_.body.emplace<smpp::submit_sm_resp>().message_id.assign(message_id);
            break;
    }
    if (!c.session->send_response(resp_)) {
        stats_.add_response(result);
    }
}

void shard::maybe_inject_garbage(connection& c) {
    if (config_.garbage_share <= 0 || !rng_.chance(config_.garbage_share) || c.fd < 0) {
        return;
    }
    // The session owns the socket and has no raw-write hook, so the bytes go straight to the
    // descriptor (valid: the session is open, and both run on this thread). They land between
    // PDUs unless the socket buffer is full and a PDU is half-written, which is garbage too.
    std::uint8_t junk[24];
    std::size_t n = 0;
    if (config_.garbage == garbage_kind::frame) {
        // command_length 24, command_id 0x000000F0 (reserved), status 0, random sequence, body.
        const std::uint32_t seq = static_cast<std::uint32_t>(rng_() & 0x7FFFFFFF) | 1U;
        const std::uint8_t header[16] = {0,
                                         0,
                                         0,
                                         24,
                                         0,
                                         0,
                                         0,
                                         0xF0,
                                         0,
                                         0,
                                         0,
                                         0,
                                         static_cast<std::uint8_t>(seq >> 24),
                                         static_cast<std::uint8_t>(seq >> 16),
                                         static_cast<std::uint8_t>(seq >> 8),
                                         static_cast<std::uint8_t>(seq)};
        std::copy(std::begin(header), std::end(header), junk);
        for (std::size_t i = 16; i < 24; ++i) {
            junk[i] = static_cast<std::uint8_t>(rng_());
        }
        n = 24;
    } else {
        for (auto& b : junk) {
            b = static_cast<std::uint8_t>(rng_());
        }
        n = 16;
    }
    if (::send(c.fd, junk, n, MSG_DONTWAIT | MSG_NOSIGNAL) > 0) {
        bump(stats_.garbage_sent);
    }
}

// ---- deliveries (receipts and MOs)

account& shard::account_for(const std::string& system_id) {
    auto it = accounts_.find(system_id);
    if (it == accounts_.end()) {
        auto a = std::make_unique<account>();
        a->system_id = system_id;
        it = accounts_.emplace(system_id, std::move(a)).first;
    }
    return *it->second;
}

void shard::mark_dirty(account& a) {
    if (!a.dirty) {
        a.dirty = true;
        dirty_.push_back(&a);
    }
}

void shard::pump(account& a) {
    if (stopping_) {
        return;
    }
    std::size_t idle = 0;
    while (!a.queue.empty() && !a.receivers.empty() && idle < a.receivers.size()) {
        connection& r = *a.receivers[a.next++ % a.receivers.size()];
        if (!r.can_send()) {
            ++idle;
            continue;
        }
        const delivery d = a.queue.front();
        a.queue.pop_front();
        // Only a delivery actually sent resets the count: receivers whose session is closing
        // still say can_send() but refuse, and must not keep this loop spinning.
        if (send_delivery(r, d)) {
            idle = 0;
        } else {
            a.queue.push_front(d);
            ++idle;
        }
    }
}

bool shard::send_delivery(connection& r, const delivery& d) {
    if (d.what == delivery::kind::receipt) {
        build_receipt(d);
    } else {
        build_mo(d);
    }
    const std::uint32_t slot = r.free_inflight.back();
    const auto ec = r.session->send_request(out_, slot);
    if (ec) {
        return false;
    }
    r.free_inflight.pop_back();
    r.inflight[slot] = d;
    if (d.what == delivery::kind::receipt) {
        bump(stats_.receipts_sent);
    } else {
        bump(stats_.mo_sent);
    }
    return true;
}

void shard::build_receipt(const delivery& d) {
    auto& sm = out_.body.emplace<smpp::deliver_sm>();
    out_.tlvs.clear();
    out_.command_status = 0;
    (void)sm.source_addr.assign(d.source.view());
    (void)sm.destination_addr.assign(d.destination.view());
    sm.source_addr_ton = 1;
    sm.source_addr_npi = 1;
    sm.dest_addr_ton = 1;
    sm.dest_addr_npi = 1;
    sm.esm_class = smpp::esm::smsc_delivery_receipt;

    smpp::outbound_receipt r;
    r.id = d.message_id.view();
    r.submit_date = std::chrono::sys_seconds(std::chrono::seconds(d.submit_unix_s));
    r.done_date = std::chrono::sys_seconds(std::chrono::seconds(unix_now()));
    r.state = d.state;
    r.err = d.err;
    r.text = d.text.view();
    std::string text = smpp::format_receipt_text(r);
    switch (d.variant) {
        case receipt_variant::upper_text: {
            const auto at = text.rfind(" text:");
            if (at != std::string::npos) {
                text[at + 1] = 'T';
            }
            break;
        }
        case receipt_variant::no_sub_dlvrd: {
            const auto from = text.find(" sub:");
            const auto to = text.find(" submit date:");
            if (from != std::string::npos && to != std::string::npos && to > from) {
                text.erase(from, to - from);
            }
            break;
        }
        default:
            break;
    }
    const auto bytes = std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
    if (d.variant == receipt_variant::payload || text.size() > smpp::short_message_t::spec_max) {
        sm.short_message.clear();
        out_.tlvs.append_raw(smpp::tlv::message_payload::tag, bytes);
    } else {
        (void)sm.short_message.assign(bytes);
    }
    if (config_.receipt_tlvs) {
        std::uint8_t id_value[49];
        const auto id = d.message_id.view();
        std::copy(id.begin(), id.end(), id_value);
        id_value[id.size()] = 0;
        out_.tlvs.append_raw(smpp::tlv::receipted_message_id::tag,
                             std::span<const std::uint8_t>(id_value, id.size() + 1));
        const std::uint8_t state = static_cast<std::uint8_t>(d.state);
        out_.tlvs.append_raw(smpp::tlv::message_state::tag, std::span(&state, 1));
        if (d.err != 0) {
            // GSM network type, the error as the code.
            const std::uint8_t nec[3] = {3, static_cast<std::uint8_t>(d.err >> 8),
                                         static_cast<std::uint8_t>(d.err)};
            out_.tlvs.append_raw(smpp::tlv::network_error_code::tag, nec);
        }
    }
}

void shard::build_mo(const delivery& d) {
    auto& sm = out_.body.emplace<smpp::deliver_sm>();
    out_.tlvs.clear();
    out_.command_status = 0;
    (void)sm.source_addr.assign(d.source.view());
    (void)sm.destination_addr.assign(d.destination.view());
    sm.source_addr_ton = 1;
    sm.source_addr_npi = 1;
    sm.dest_addr_ton = 1;
    sm.dest_addr_npi = 1;
    sm.data_coding = encode_mo_text(d.text.view(), encoded_);
    (void)sm.short_message.assign(encoded_);
}

void shard::on_delivery_response(connection& c, std::uint64_t cookie, const smpp::pdu* response,
                                 std::error_code ec) {
    if (cookie >= c.inflight.size()) {
        return;
    }
    const auto slot = static_cast<std::uint32_t>(cookie);
    const delivery d = c.inflight[slot];
    c.free_inflight.push_back(slot);
    const bool receipt = d.what == delivery::kind::receipt;
    if (!ec && response != nullptr && response->command_status == status::ESME_ROK) {
        bump(receipt ? stats_.receipts_acked : stats_.mo_acked);
        if (c.receiver && c.can_send()) {
            // A window slot is free again. Sending now (not on the next tick) keeps the pipe
            // full; the session coalesces what a burst of responses frees into one write.
            pump(*c.acct);
        }
        return;
    }
    bump(receipt ? stats_.receipts_retried : stats_.mo_retried);
    account& a = *c.acct;
    if (ec == smpp::session_errc::closed) {
        // Lost with the connection: first in line for the next receiver.
        a.queue.push_front(d);
        mark_dirty(a);
        return;
    }
    // An error status or a timeout: try again in a second, as a carrier would.
    scheduled_delivery s;
    s.to = &a;
    s.item = d;
    deliveries_.schedule(clock::now() + std::chrono::seconds(1), s);
    arm(deliveries_.next_tick_time());
}

void shard::on_closed(connection& c) {
    if (c.receiver) {
        account& a = *c.acct;
        std::erase(a.receivers, &c);
        server_.receiver_removed(c.system_id, index_);
        mark_dirty(a);
        arm(clock::now());
    }
    c.fd = -1;
    const auto keep = conns_[c.slot];  // c lives until this function returns
    conns_[c.slot].reset();
    free_conn_slots_.push_back(c.slot);
    c.session.reset();
}

void shard::accept_forwarded(const std::string& system_id, std::vector<delivery> items) {
    account& a = account_for(system_id);
    for (const auto& d : items) {
        a.queue.push_back(d);
    }
    mark_dirty(a);
    arm(clock::now());
}

// ---- the tick

void shard::arm(clock::time_point when) {
    if (stopping_ || (armed_ && when >= armed_at_)) {
        return;
    }
    armed_ = true;
    armed_at_ = when;
    timer_.expires_at(when);
    timer_.async_wait([this, when](boost::system::error_code ec) {
        if (ec || !armed_ || armed_at_ != when) {
            return;  // superseded by an earlier deadline, or stopping
        }
        armed_ = false;
        on_tick();
    });
}

void shard::on_tick() {
    if (stopping_) {
        return;
    }
    const auto now = clock::now();
    responses_.expire(now, [this](pending_response& p) {
        if (p.conn_slot >= conns_.size()) {
            return;
        }
        connection* c = conns_[p.conn_slot].get();
        if (c == nullptr || c->generation != p.conn_generation) {
            return;  // the connection is gone: its ESME never learns the outcome
        }
        send_response_now(*c, p.sequence, p.id, p.status, p.message_id.view());
    });
    deliveries_.expire(now, [this](scheduled_delivery& s) {
        s.to->queue.push_back(s.item);
        mark_dirty(*s.to);
    });
    if (index_ == 0 && config_.mo_rate > 0) {
        generate_mo(now);
    }
    for (account* a : dirty_) {
        a->dirty = false;
        pump(*a);
    }
    dirty_.clear();
    if (server_.shard_count() > 1 && now >= next_forward_) {
        forward_stuck_accounts();
        next_forward_ = now + std::chrono::milliseconds(20);
    }
    if (config_.disconnect_every.count() > 0 && now >= next_disconnect_) {
        for (auto& c : conns_) {
            if (c && c->session && !c->session->is_closed()) {
                bump(stats_.injected_disconnects);
                const auto keep = c;
                keep->session->close();
            }
        }
        while (next_disconnect_ <= now) {
            next_disconnect_ += config_.disconnect_every;
        }
    }
    if (now >= next_housekeeping_) {
        housekeeping(now);
        next_housekeeping_ = now + std::chrono::seconds(1);
    }

    auto next = next_housekeeping_;
    if (!responses_.empty()) {
        next = std::min(next, responses_.next_tick_time());
    }
    if (!deliveries_.empty()) {
        next = std::min(next, deliveries_.next_tick_time());
    }
    if (index_ == 0 && config_.mo_rate > 0) {
        const auto gap = std::chrono::duration<double>(1.0 / config_.mo_rate);
        next = std::min(
            next, now + std::max<clock::duration>(
                            tick_resolution, std::chrono::duration_cast<clock::duration>(gap)));
    }
    if (config_.disconnect_every.count() > 0) {
        next = std::min(next, next_disconnect_);
    }
    if (server_.shard_count() > 1) {
        for (const auto& [name, a] : accounts_) {
            if (!a->queue.empty() && a->receivers.empty()) {
                next = std::min(next, next_forward_);
                break;
            }
        }
    }
    arm(std::max(next, now + std::chrono::microseconds(200)));
}

void shard::generate_mo(clock::time_point now) {
    mo_credit_ += std::chrono::duration<double>(now - last_mo_).count() * config_.mo_rate;
    last_mo_ = now;
    // Bounded catch-up after a stall: never a burst bigger than one second's worth.
    mo_credit_ = std::min(mo_credit_, std::max(1.0, config_.mo_rate));
    while (mo_credit_ >= 1.0) {
        mo_credit_ -= 1.0;
        account* target = nullptr;
        if (config_.mo_system_id) {
            target = &account_for(*config_.mo_system_id);
        } else if (!mo_targets_.empty()) {
            target = &account_for(mo_targets_[mo_next_target_++ % mo_targets_.size()]);
        }
        if (target == nullptr) {
            bump(stats_.mo_skipped);
            continue;
        }
        delivery d;
        d.what = delivery::kind::mo;
        const auto& k = config_.mo_mix[mo_choice_.pick(rng_)];
        d.text.assign(k.free_text ? free_text_pool[rng_.below(free_text_pool.size())]
                                  : std::string_view(k.text));
        char number[24];
        const auto from_len = config_.mo_from.at(rng_.below(config_.mo_from.size()), number);
        d.source.assign(std::string_view(number, from_len));
        const auto to_len = config_.mo_to.at(rng_.below(config_.mo_to.size()), number);
        d.destination.assign(std::string_view(number, to_len));
        target->queue.push_back(d);
        mark_dirty(*target);
    }
}

void shard::forward_stuck_accounts() {
    for (auto& [name, a] : accounts_) {
        if (a->queue.empty() || !a->receivers.empty()) {
            continue;
        }
        const auto target = server_.shard_with_receiver(name, index_);
        if (!target) {
            continue;  // nobody bound anywhere: keep queueing (store and forward)
        }
        std::vector<delivery> batch;
        batch.reserve(a->queue.size());
        while (!a->queue.empty()) {
            batch.push_back(a->queue.front());
            a->queue.pop_front();
        }
        shard& to = server_.shard_at(*target);
        asio::post(to.context(), [&to, system_id = name, items = std::move(batch)]() mutable {
            to.accept_forwarded(system_id, std::move(items));
        });
    }
}

void shard::housekeeping(clock::time_point) {
    flush_record();
    std::uint64_t queued = 0;
    for (const auto& [name, a] : accounts_) {
        queued += a->queue.size();
    }
    stats_.queued_deliveries.store(queued, std::memory_order_relaxed);
    stats_.pending_responses.store(responses_.size(), std::memory_order_relaxed);
    stats_.pending_receipts.store(deliveries_.size(), std::memory_order_relaxed);
    if (index_ == 0 && config_.mo_rate > 0 && !config_.mo_system_id) {
        mo_targets_ = server_.receiver_system_ids();
    }
}

void shard::flush_record() {
    if (!record_buffer_.empty()) {
        server_.records().write(record_buffer_);
        record_buffer_.clear();
    }
    server_.records().flush();
}

void shard::shutdown() {
    flush_record();
    housekeeping(clock::now());
    stopping_ = true;
    armed_ = false;
    timer_.cancel();
    for (auto& c : conns_) {
        if (c && c->session && !c->session->is_closed()) {
            const auto keep = c;
            keep->session->unbind();
        }
    }
}

}  // namespace smppgw::bench::sim
