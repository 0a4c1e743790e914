#include "carrier/carrier.hpp"

#include <algorithm>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>

#include "infra/io_pool.hpp"
#include "infra/log.hpp"
#include "infra/metrics.hpp"
#include "infra/tls.hpp"
#include "smppgw/smpp/segmentation.hpp"
#include "smppgw/smpp/text.hpp"
#include "wire/wire.hpp"

namespace smppgw::gateway {
namespace {

namespace asio = boost::asio;
using clock = std::chrono::steady_clock;

constexpr std::uint64_t bind_cookie = ~std::uint64_t{0};
constexpr std::uint16_t max_transient_attempts = 8;
constexpr std::chrono::milliseconds min_throttle_pause{100};
constexpr std::chrono::milliseconds max_throttle_pause{5'000};

// Statuses that mean "not now" rather than "never": the part is sent again later.
bool throttling(smpp::command_status s) {
    return s == smpp::status::ESME_RTHROTTLED || s == smpp::status::ESME_RMSGQFUL;
}
bool transient(smpp::command_status s) {
    return s == smpp::status::ESME_RX_T_APPN || s == smpp::status::ESME_RSYSERR ||
           s == smpp::status::ESME_RUNKNOWNERR;
}

}  // namespace

void deferred_response::send(smpp::command_status status) const {
    if (observer) {
        observer(status);
        return;
    }
    auto s = session.lock();
    if (!s) {
        return;  // the carrier will redeliver; the work is idempotent
    }
    asio::post(s->get_executor(), [s, seq = sequence, id = request, status, m = stats] {
        smpp::pdu stub;
        stub.sequence_number = seq;
        (void)smpp::emplace_body(id, stub.body);
        const auto response = smpp::make_response(stub, status);
        if (!s->send_response(response) && m != nullptr) {
            m->pdu(face::carrier, direction::out, response.command_id(), status);
        }
    });
}

// ---- carrier --------------------------------------------------------------------------------

carrier::carrier(carrier_config cfg, io_pool& io, metrics& m, carrier_events& events)
    : name_(cfg.name),
      io_(io),
      metrics_(m),
      events_(events),
      cfg_(std::make_shared<const carrier_config>(std::move(cfg))) {
    if (cfg_->tls.enabled) {
        tls_ = make_client_tls_context(cfg_->tls);
    }
    // Known label sets exist from the start, at zero.
    metrics_.carrier_reconnects(name_).Increment(0);
    metrics_.carrier_throttled(name_).Increment(0);
}

carrier::~carrier() = default;

std::vector<std::shared_ptr<carrier_bind>> carrier::make_binds(const carrier_config& cfg) {
    std::vector<std::shared_ptr<carrier_bind>> binds;
    for (std::size_t i = 0; i < cfg.sessions; ++i) {
        if (cfg.mode == bind_mode::transceiver) {
            binds.push_back(std::make_shared<carrier_bind>(*this, io_.next(),
                                                           carrier_bind::role::transceiver, i));
        } else {
            binds.push_back(std::make_shared<carrier_bind>(*this, io_.next(),
                                                           carrier_bind::role::transmitter, i));
            binds.push_back(std::make_shared<carrier_bind>(*this, io_.next(),
                                                           carrier_bind::role::receiver, i));
        }
    }
    return binds;
}

void carrier::start() {
    std::vector<std::shared_ptr<carrier_bind>> binds;
    {
        std::lock_guard lock(config_mutex_);
        binds_ = make_binds(*cfg_);
        binds = binds_;
    }
    for (auto& b : binds) {
        b->start();
    }
}

void carrier::stop() {
    stopped_ = true;
    std::vector<std::shared_ptr<carrier_bind>> binds;
    {
        std::lock_guard lock(config_mutex_);
        binds = binds_;
    }
    for (auto& b : binds) {
        b->stop();
    }
}

void carrier::reconfigure(const carrier_config& cfg) {
    const auto old = config();
    const bool reconnect = old->host != cfg.host || old->port != cfg.port ||
                           old->system_id != cfg.system_id || old->password != cfg.password ||
                           old->mode != cfg.mode || old->sessions != cfg.sessions ||
                           old->tls.enabled != cfg.tls.enabled;
    // Build what can fail (TLS files) before changing anything.
    std::shared_ptr<boost::asio::ssl::context> tls;
    if (reconnect && cfg.tls.enabled) {
        tls = make_client_tls_context(cfg.tls);
    }
    std::vector<std::shared_ptr<carrier_bind>> retired;
    std::vector<std::shared_ptr<carrier_bind>> fresh;
    {
        // Binds, TLS context and config change together under the lock that wake_binds() and
        // tls() read them under: a bind being woken or connecting never sees half a change.
        std::lock_guard lock(config_mutex_);
        cfg_ = std::make_shared<const carrier_config>(cfg);
        if (reconnect) {
            tls_ = std::move(tls);
            retired.swap(binds_);
            binds_ = make_binds(cfg);
            fresh = binds_;
        }
    }
    if (!reconnect) {
        wake_binds();
        return;
    }
    log::info("carrier {}: connection settings changed, rebinding", log::carrier(name_));
    for (auto& b : retired) {
        b->stop();
    }
    for (auto& b : fresh) {
        b->start();
    }
}

std::shared_ptr<const carrier_config> carrier::config() const {
    std::lock_guard lock(config_mutex_);
    return cfg_;
}

std::shared_ptr<boost::asio::ssl::context> carrier::tls() const {
    std::lock_guard lock(config_mutex_);
    return tls_;
}

smpp::normalized_id carrier::normalize(std::string_view raw, smpp::id_source src) const {
    const auto cfg = config();
    return smpp::message_id_normalizer(cfg->ids).normalize(raw, src);
}

void carrier::enqueue(dispatch item, bool front) {
    {
        std::unique_lock lock(queue_mutex_);
        if (reroute_) {
            auto reroute = reroute_;
            lock.unlock();
            reroute(std::move(item));
            return;
        }
        if (front) {
            queue_.push_front(std::move(item));
        } else {
            queue_.push_back(std::move(item));
        }
    }
    wake_binds();
}

std::optional<dispatch> carrier::take() {
    if (paused_.load(std::memory_order_relaxed)) {
        return std::nullopt;
    }
    std::lock_guard lock(queue_mutex_);
    if (queue_.empty()) {
        return std::nullopt;
    }
    dispatch item = std::move(queue_.front());
    queue_.pop_front();
    return item;
}

std::vector<dispatch> carrier::drain() {
    std::lock_guard lock(queue_mutex_);
    std::vector<dispatch> out(std::make_move_iterator(queue_.begin()),
                               std::make_move_iterator(queue_.end()));
    queue_.clear();
    return out;
}

std::size_t carrier::queued() const {
    std::lock_guard lock(queue_mutex_);
    return queue_.size();
}

void carrier::retire(std::function<void(dispatch)> reroute) {
    std::deque<dispatch> queued;
    {
        std::lock_guard lock(queue_mutex_);
        reroute_ = reroute;
        queued.swap(queue_);
    }
    for (auto& item : queued) {
        reroute(std::move(item));
    }
    stop();
}

void carrier::pause() {
    paused_ = true;
    events_.carrier_state_changed(*this, false);
}

void carrier::resume() {
    paused_ = false;
    events_.carrier_state_changed(*this, up());
    wake_binds();
}

void carrier::wake_binds() {
    std::vector<std::shared_ptr<carrier_bind>> binds;
    {
        std::lock_guard lock(config_mutex_);
        binds = binds_;
    }
    for (auto& b : binds) {
        if (b->can_send()) {
            b->kick();
        }
    }
}

void carrier::bind_up(bool tx_capable) {
    ++bound_;
    metrics_.carrier_binds(name_).Set(static_cast<double>(bound_.load()));
    if (tx_capable && bound_tx_.fetch_add(1) == 0) {
        events_.carrier_state_changed(*this, up());
    }
}

void carrier::bind_down(bool tx_capable) {
    --bound_;
    metrics_.carrier_binds(name_).Set(static_cast<double>(bound_.load()));
    if (tx_capable && bound_tx_.fetch_sub(1) == 1) {
        events_.carrier_state_changed(*this, false);
    }
}

// ---- carrier_bind -----------------------------------------------------------------------------

carrier_bind::carrier_bind(carrier& owner, asio::io_context& io, role r, std::size_t index)
    : owner_(owner),
      io_(io),
      role_(r),
      index_(index),
      label_(fmt::format("{}{}",
                         r == role::receiver      ? "rx"
                         : r == role::transmitter ? "tx"
                                                  : "trx",
                         index)),
      reconnect_timer_(io),
      pump_timer_(io) {
    if (r != role::receiver) {
        // Known from the config: the bind's window exists at zero before its first submit.
        (void)owner_.stats().carrier_window(owner_.name(), label_);
    }
}

void carrier_bind::start() {
    asio::post(io_, [self = shared_from_this()] { self->connect(); });
}

void carrier_bind::stop() {
    asio::post(io_, [self = shared_from_this()] {
        self->stopping_ = true;
        self->reconnect_timer_.cancel();
        self->pump_timer_.cancel();
        if (self->session_) {
            self->session_->unbind();
        }
    });
}

void carrier_bind::kick() {
    if (kick_pending_.exchange(true)) {
        return;  // a pump is already on its way to this bind's thread
    }
    asio::post(io_, [self = shared_from_this()] {
        self->kick_pending_ = false;
        self->pump();
    });
}

void carrier_bind::connect() {
    if (stopping_) {
        return;
    }
    const auto cfg = owner_.config();
    if (connected_before_) {
        owner_.stats().carrier_reconnects(owner_.name()).Increment();
    }
    connected_before_ = true;
    auto resolver = std::make_shared<smpp::tcp::resolver>(io_);
    resolver->async_resolve(
        cfg->host, std::to_string(cfg->port),
        [self = shared_from_this(), resolver, cfg](const boost::system::error_code& ec,
                                                   const smpp::tcp::resolver::results_type& r) {
            if (ec || self->stopping_) {
                log::warn("carrier {} {}: cannot resolve {}: {}", log::carrier(self->owner_.name()),
                          self->label_, cfg->host, ec.message());
                self->schedule_reconnect();
                return;
            }
            auto socket = std::make_shared<smpp::tcp::socket>(self->io_);
            asio::async_connect(
                *socket, r,
                [self, socket, cfg](const boost::system::error_code& cec,
                                    const smpp::tcp::endpoint&) {
                    if (cec || self->stopping_) {
                        log::warn("carrier {} {}: connect to {}:{} failed: {}",
                                  log::carrier(self->owner_.name()), self->label_, cfg->host,
                                  cfg->port, cec.message());
                        self->schedule_reconnect();
                        return;
                    }
                    socket->set_option(smpp::tcp::no_delay(true));
                    smpp::session_config sc;
                    sc.window = cfg->window;
                    sc.response_timeout = cfg->response_timeout;
                    sc.enquire_link_interval = cfg->enquire_link_interval;
                    sc.unbind_timeout = std::chrono::milliseconds(2'000);
                    if (!cfg->tls.enabled) {
                        self->session_ =
                            smpp::session::create(smpp::stream(std::move(*socket)), sc, self);
                        self->session_->start();
                        self->send_bind();
                        return;
                    }
                    // The context stays alive with the handshake, whatever a reload does.
                    auto context = self->owner_.tls();
                    if (!context) {
                        self->schedule_reconnect();
                        return;
                    }
                    auto tls = std::make_shared<smpp::tls_stream>(std::move(*socket), *context);
                    const std::string host =
                        cfg->tls.server_name.empty() ? cfg->host : cfg->tls.server_name;
                    prepare_client_tls(*tls, host, cfg->tls.verify);
                    tls->async_handshake(
                        asio::ssl::stream_base::client,
                        [self, tls, sc, cfg, context](const boost::system::error_code& hec) {
                            if (hec || self->stopping_) {
                                log::warn("carrier {} {}: TLS handshake failed: {}",
                                          log::carrier(self->owner_.name()), self->label_,
                                          hec.message());
                                self->schedule_reconnect();
                                return;
                            }
                            self->session_ =
                                smpp::session::create(smpp::stream(std::move(*tls)), sc, self);
                            self->session_->start();
                            self->send_bind();
                        });
                });
        });
}

void carrier_bind::send_bind() {
    const auto cfg = owner_.config();
    smpp::pdu request;
    smpp::bind_fields fields;
    (void)fields.system_id.assign(cfg->system_id);
    (void)fields.password.assign(cfg->password);
    (void)fields.system_type.assign(cfg->system_type);
    fields.interface_version = 0x34;
    switch (role_) {
        case role::transceiver:
            request.body = smpp::bind_transceiver{fields};
            break;
        case role::transmitter:
            request.body = smpp::bind_transmitter{fields};
            break;
        case role::receiver:
            request.body = smpp::bind_receiver{fields};
            break;
    }
    if (auto ec = session_->send_request(request, bind_cookie)) {
        session_->close(ec);
        return;
    }
    owner_.stats().pdu(face::carrier, direction::out, request.command_id(), 0);
}

void carrier_bind::schedule_reconnect() {
    if (stopping_) {
        return;
    }
    const auto cfg = owner_.config();
    backoff_ =
        backoff_.count() == 0 ? cfg->reconnect_min : std::min(cfg->reconnect_max, backoff_ * 2);
    // Full jitter on the upper half keeps many binds from reconnecting in lockstep.
    std::uniform_int_distribution<long> spread(backoff_.count() / 2, backoff_.count());
    reconnect_timer_.expires_after(std::chrono::milliseconds(spread(jitter_)));
    reconnect_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
        if (!ec) {
            self->connect();
        }
    });
}

void carrier_bind::bound() {
    const auto cfg = owner_.config();
    bound_ = true;
    backoff_ = std::chrono::milliseconds(0);
    window_limit_ = cfg->window;
    throttle_backoff_ = std::chrono::milliseconds(0);
    paused_until_ = {};
    const double per_bind_rate =
        cfg->rate > 0 ? cfg->rate / static_cast<double>(cfg->sessions) : 0.0;
    rate_.reset(per_bind_rate);
    session_->set_state(role_ == role::transceiver ? smpp::bind_state::bound_trx
                        : role_ == role::receiver  ? smpp::bind_state::bound_rx
                                                   : smpp::bind_state::bound_tx);
    log::info("carrier {} {}: bound to {}:{}", log::carrier(owner_.name()), label_, cfg->host,
              cfg->port);
    owner_.bind_up(can_send());
    pump();
}

void carrier_bind::on_request(smpp::session& s, smpp::pdu& request) {
    owner_.stats().pdu(face::carrier, direction::in, request.command_id(), request.command_status);
    const auto allowed = smpp::check_request_at_esme(request.command_id(), s.state());
    if (request.command_id() == smpp::command_id::alert_notification) {
        return;  // no response exists; nothing to do with it
    }
    if (allowed != smpp::status::ESME_ROK) {
        (void)s.send_response(smpp::make_response(request, allowed));
        return;
    }
    owner_.events().carrier_delivery(owner_, request,
                                     deferred_response{session_, request.sequence_number,
                                                       request.command_id(), &owner_.stats(), {}});
}

std::uint64_t carrier_bind::remember(dispatch d) {
    std::uint32_t slot = 0;
    if (!free_slots_.empty()) {
        slot = free_slots_.back();
        free_slots_.pop_back();
    } else {
        slot = static_cast<std::uint32_t>(inflight_.size());
        inflight_.emplace_back();
    }
    inflight_[slot] = {std::move(d), true};
    return slot;
}

void carrier_bind::on_response(smpp::session& s, std::uint64_t cookie, const smpp::pdu* response,
                               std::error_code ec) {
    if (cookie == bind_cookie) {
        if (response != nullptr) {
            owner_.stats().pdu(face::carrier, direction::in, response->command_id(),
                               response->command_status);
        }
        if (response != nullptr && response->command_status == smpp::status::ESME_ROK &&
            response->command_id() != smpp::command_id::generic_nack) {
            bound();
            return;
        }
        log::warn("carrier {} {}: bind refused: {}", log::carrier(owner_.name()), label_,
                  response != nullptr ? std::string(smpp::status_name(response->command_status))
                                      : ec.message());
        s.close(ec ? ec : make_error_code(smpp::session_errc::closed));
        return;
    }
    if (cookie >= inflight_.size() || !inflight_[cookie].used) {
        return;
    }
    dispatch d = std::move(inflight_[cookie].item);
    inflight_[cookie] = {};
    owner_.answered();
    free_slots_.push_back(static_cast<std::uint32_t>(cookie));
    auto& send = *d.send;
    if (response != nullptr) {
        owner_.stats().pdu(face::carrier, direction::in, response->command_id(),
                           response->command_status);
    }

    if (response == nullptr) {
        // Timeout, lost session or a broken response: the carrier may or may not have the part.
        // Sending it again risks a duplicate, never a loss (at-least-once).
        owner_.stats().carrier_submits(owner_.name(), "unknown_outcome").Increment();
        if (!s.is_closed()) {
            retry_later(std::move(d), false);
        } else {
            owner_.enqueue(std::move(d), true);
        }
        pump();
        return;
    }

    const auto status = response->command_status;
    const auto part = static_cast<std::size_t>(d.part);
    if (status == smpp::status::ESME_ROK && response->command_id() != smpp::command_id::generic_nack) {
        std::string_view id;
        if (const auto* r = std::get_if<smpp::submit_sm_resp>(&response->body)) {
            id = r->message_id.view();
        } else if (const auto* r2 = std::get_if<smpp::data_sm_resp>(&response->body)) {
            id = r2->message_id.view();
        }
        const auto key = owner_.normalize(id, smpp::id_source::response);
        if (window_limit_ < owner_.config()->window) {
            ++window_limit_;
        }
        throttle_backoff_ = std::chrono::milliseconds(0);
        owner_.stats().carrier_submits(owner_.name(), "ok").Increment();
        if (part < send.acked.size() && send.acked[part] == 0) {
            // (A duplicate answer for a part sent twice after a timeout changes nothing.)
            send.acked[part] = 1;
            ++send.acked_count;
            owner_.events().part_accepted(owner_, d, part, key.view());
        }
    } else if (throttling(status)) {
        owner_.stats().carrier_throttled(owner_.name()).Increment();
        owner_.stats().carrier_submits(owner_.name(), "throttled").Increment();
        retry_later(std::move(d), true);
    } else if (transient(status) && send.attempts < max_transient_attempts) {
        ++send.attempts;
        owner_.stats().carrier_submits(owner_.name(), "transient_error").Increment();
        retry_later(std::move(d), true);
    } else {
        owner_.stats().carrier_submits(owner_.name(), "rejected").Increment();
        if (!send.failed) {
            send.failed = true;
            owner_.events().message_failed(
                owner_, d, status,
                fmt::format("carrier answered {}",
                            smpp::status_name(status).empty()
                                ? fmt::format("0x{:08x}", status)
                                : std::string(smpp::status_name(status))));
        }
    }
    owner_.stats().carrier_window(owner_.name(), label_).Set(static_cast<double>(s.outstanding()));
    pump();
}

void carrier_bind::retry_later(dispatch d, bool throttled) {
    local_.push_front(std::move(d));
    const auto now = clock::now();
    // One step per throttling episode: a whole window refused at once is one signal, not N
    // (otherwise one burst would jump straight to the longest pause and a window of one).
    if (throttled && now >= paused_until_) {
        window_limit_ = std::max<std::size_t>(1, window_limit_ / 2);
        throttle_backoff_ = std::clamp(throttle_backoff_ * 2, min_throttle_pause, max_throttle_pause);
        paused_until_ = now + throttle_backoff_;
    }
}

void carrier_bind::on_closed(smpp::session&, std::error_code reason) {
    const bool was_bound = bound_;
    bound_ = false;
    if (was_bound) {
        owner_.bind_down(can_send());
        log::warn("carrier {} {}: session closed: {}", log::carrier(owner_.name()), label_,
                  reason ? reason.message() : "unbound");
    }
    requeue_all();
    session_.reset();
    schedule_reconnect();
}

void carrier_bind::requeue_all() {
    // Everything this bind held goes back to the carrier queue, in front, for any bind to send.
    for (auto& f : inflight_) {
        if (f.used) {
            owner_.answered();  // never answered, but no longer outstanding either
            owner_.enqueue(std::move(f.item), true);
        }
    }
    inflight_.clear();
    free_slots_.clear();
    while (!local_.empty()) {
        owner_.enqueue(std::move(local_.back()), true);
        local_.pop_back();
    }
}

void carrier_bind::arm_pump_timer(clock::duration d) {
    if (pump_timer_armed_) {
        return;
    }
    pump_timer_armed_ = true;
    pump_timer_.expires_after(std::max<clock::duration>(d, std::chrono::milliseconds(1)));
    pump_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
        self->pump_timer_armed_ = false;
        if (!ec) {
            self->pump();
        }
    });
}

void carrier_bind::pump() {
    if (!bound_ || !can_send() || !session_ || stopping_) {
        return;
    }
    const auto cfg = owner_.config();
    while (session_->outstanding() < std::min(window_limit_, cfg->window)) {
        const auto now = clock::now();
        if (now < paused_until_) {
            arm_pump_timer(paused_until_ - now);
            return;
        }
        if (const auto wait = rate_.wait_time(now); wait > clock::duration::zero()) {
            arm_pump_timer(wait);
            return;
        }
        std::optional<dispatch> item;
        if (!local_.empty()) {
            item = std::move(local_.front());
            local_.pop_front();
        } else {
            item = owner_.take();
        }
        if (!item) {
            return;
        }
        auto& d = *item;
        if (!d.send) {
            // A message no bind has taken yet: it must still be queued (not cancelled), and
            // still allowed (no STOP since it was accepted, validity not passed).
            if (!owner_.events().begin(d)) {
                continue;
            }
            if (const auto refused = owner_.events().may_send(d)) {
                d.send = std::make_shared<sending>();
                d.send->failed = true;
                owner_.events().message_failed(owner_, d, *refused, "refused at dispatch");
                continue;
            }
            d.send = std::make_shared<sending>();
            d.part = -1;
        }
        auto& send = *d.send;
        if (d.part >= 0 && send.carrier != owner_.name() && send.acked_count == 0) {
            // Failed over from a carrier that segments differently before any part got
            // through: start over with this carrier's parts.
            d.part = -1;
            send.carrier.clear();
        }
        if (d.part < 0) {
            if (send.carrier != owner_.name()) {
                build_parts(d, *cfg);
            }
            // Remaining parts follow on this session, ahead of new work.
            for (std::size_t p = send.parts.size(); p-- > 1;) {
                if (send.acked[p] == 0) {
                    local_.push_front(dispatch{d.message, d.send, static_cast<int>(p)});
                }
            }
            if (send.acked[0] != 0) {
                continue;
            }
            d.part = 0;
        }
        if (send.failed || send.acked[static_cast<std::size_t>(d.part)] != 0) {
            continue;
        }
        (void)rate_.try_take(now);
        const auto part = static_cast<std::size_t>(d.part);
        if (!send_part(d, part)) {
            owner_.enqueue(std::move(d), true);
            return;
        }
    }
    owner_.stats().carrier_window(owner_.name(), label_)
        .Set(static_cast<double>(session_->outstanding()));
}

bool carrier_bind::send_part(dispatch& d, std::size_t part) {
    smpp::pdu& p = d.send->parts[part];
    const std::uint64_t cookie = remember(d);
    if (auto ec = session_->send_request(p, cookie)) {
        inflight_[cookie] = {};
        free_slots_.push_back(static_cast<std::uint32_t>(cookie));
        return false;
    }
    owner_.sent();
    owner_.stats().pdu(face::carrier, direction::out, p.command_id(), 0);
    return true;
}

void carrier_bind::build_parts(dispatch& d, const carrier_config& cfg) {
    static std::atomic<std::uint16_t> next_reference{1};
    auto& send = *d.send;
    // The bind owns the message (submitting): its content fields are stable without a lock.
    send.parts = build_carrier_parts(d.message->rec, cfg, next_reference.fetch_add(1));
    send.carrier = owner_.name();
    send.acked.assign(send.parts.size(), 0);
    send.acked_count = 0;
}

}  // namespace smppgw::gateway
