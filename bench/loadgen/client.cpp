#include "loadgen/client.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <boost/asio/connect.hpp>

#include "common/status_label.hpp"
#include "loadgen/worker.hpp"

namespace smppgw::bench::loadgen {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using smpp::command_id;
namespace status = smpp::status;

namespace {
constexpr auto reconnect_delay = std::chrono::milliseconds(500);
constexpr auto connect_retry_delay = std::chrono::milliseconds(200);
}  // namespace

client::client(worker& w, std::size_t id, smpp::bind_type type)
    : worker_(w), id_(id), type_(type), resolver_(w.io()), retry_timer_(w.io()) {
    // One slot per window entry plus the bind; the session refuses more than its window anyway.
    const std::size_t n = w.config().window + 2;
    slots_.resize(n);
    free_slots_.reserve(n);
    for (std::size_t i = n; i-- > 0;) {
        free_slots_.push_back(static_cast<std::uint32_t>(i));
    }
}

void client::start() {
    if (!deadline_set_) {
        connect_deadline_ = std::chrono::steady_clock::now() + worker_.config().connect_timeout;
        deadline_set_ = true;
    }
    connect();
}

void client::connect() {
    if (stopping_ || worker_.stopping()) {
        return;
    }
    const auto& cfg = worker_.config();
    resolver_.async_resolve(
        cfg.host, std::to_string(cfg.port),
        [self = shared_from_this()](boost::system::error_code ec,
                                    const tcp::resolver::results_type& endpoints) {
            if (ec) {
                self->connect_failed(ec);
                return;
            }
            auto socket = std::make_shared<tcp::socket>(self->worker_.io());
            asio::async_connect(
                *socket, endpoints,
                [self, socket](boost::system::error_code cec, const tcp::endpoint&) {
                    if (cec) {
                        self->connect_failed(cec);
                        return;
                    }
                    self->bind(std::move(*socket));
                });
        });
}

void client::connect_failed(boost::system::error_code ec) {
    if (stopping_ || worker_.stopping()) {
        return;
    }
    // At start the peer may still be coming up; mid-run a reconnect keeps trying.
    const auto& cfg = worker_.config();
    if (!ever_bound_ && std::chrono::steady_clock::now() > connect_deadline_) {
        worker_.fail(fmt::format("bind {}: cannot connect to {}:{}: {}", id_, cfg.host, cfg.port,
                                 ec.message()));
        return;
    }
    retry_timer_.expires_after(connect_retry_delay);
    retry_timer_.async_wait([self = shared_from_this()](boost::system::error_code wec) {
        if (!wec) {
            self->connect();
        }
    });
}

void client::bind(tcp::socket socket) {
    if (stopping_ || worker_.stopping()) {
        return;
    }
    const auto& cfg = worker_.config();
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);

    smpp::session_config sc;
    sc.window = cfg.window;
    sc.response_timeout =
        std::chrono::duration_cast<std::chrono::milliseconds>(cfg.response_timeout);
    sc.enquire_link_interval = cfg.enquire_link;
    sc.unbind_timeout = std::chrono::seconds(2);
    session_ = smpp::session::create(smpp::stream(std::move(socket)), sc, shared_from_this());
    session_->start();
    worker_.on_connection(true);

    smpp::pdu request;
    smpp::bind_fields* f = nullptr;
    switch (type_) {
        case smpp::bind_type::transmitter:
            f = &request.body.emplace<smpp::bind_transmitter>();
            break;
        case smpp::bind_type::receiver:
            f = &request.body.emplace<smpp::bind_receiver>();
            break;
        case smpp::bind_type::transceiver:
            f = &request.body.emplace<smpp::bind_transceiver>();
            break;
    }
    (void)f->system_id.assign(cfg.system_id);
    (void)f->password.assign(cfg.password);
    (void)f->system_type.assign(cfg.system_type);
    f->interface_version = 0x34;
    const std::uint32_t slot = free_slots_.back();
    free_slots_.pop_back();
    slots_[slot] = {};
    slots_[slot].is_bind = true;
    if (session_->send_request(request, slot)) {
        free_slots_.push_back(slot);
        session_->close();
    }
}

void client::schedule_reconnect() {
    if (stopping_ || worker_.stopping()) {
        return;
    }
    worker_.on_reconnect();
    retry_timer_.expires_after(reconnect_delay);
    retry_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
        if (!ec) {
            self->connect();
        }
    });
}

void client::unbind() {
    stopping_ = true;
    retry_timer_.cancel();
    if (session_ && !session_->is_closed()) {
        session_->unbind();
    }
}

client::fill_result client::fill(std::size_t max_parts, bool queue_when_starved) {
    if (!transmits() || !bound_ || !open()) {
        return fill_result::blocked;
    }
    for (std::size_t sent = 0; sent < max_parts; ++sent) {
        if (session_->window_full() || free_slots_.empty()) {
            return fill_result::blocked;
        }
        if (!has_current_) {
            if (!worker_.claim_message(current_)) {
                return fill_result::blocked;
            }
            has_current_ = true;
            next_part_ = 0;
        }
        if (!worker_.take_token()) {
            if (queue_when_starved) {
                worker_.starve(*this);
            }
            return fill_result::no_tokens;
        }
        if (!send_part()) {
            return fill_result::blocked;
        }
    }
    return fill_result::sent_all;
}

bool client::send_part() {
    smpp::pdu& p = worker_.scratch();
    const bool receipt = worker_.config().receipts;
    worker_.factory().fill(current_, next_part_, receipt, std::get<smpp::submit_sm>(p.body));
    const std::uint32_t slot = free_slots_.back();
    if (session_->send_request(p, slot)) {
        return false;  // closed under us, or the window filled: the caller stops
    }
    free_slots_.pop_back();
    request_slot& r = slots_[slot];
    r.sent_ns = worker_.now_ns();
    r.token = current_.token;
    std::copy_n(current_.destination, current_.destination_length, r.destination);
    r.destination_length = current_.destination_length;
    r.is_bind = false;
    r.receipt = receipt;
    r.opted_out = current_.opted_out;
    r.promotional = current_.promotional;
    worker_.on_submitted(current_, next_part_, r.sent_ns);
    if (++next_part_ == current_.body->parts.size()) {
        has_current_ = false;
    }
    return true;
}

void client::on_request(smpp::session& s, smpp::pdu& request) {
    const auto id = request.command_id();
    const auto allowed = smpp::check_request_at_esme(id, s.state());
    if (id == command_id::alert_notification || id == command_id::outbind) {
        return;  // no response exists for these
    }
    if (allowed != status::ESME_ROK) {
        (void)s.send_response(smpp::make_response(request, allowed));
        return;
    }
    if (id == command_id::deliver_sm || id == command_id::data_sm) {
        worker_.on_deliver(request);
    }
    (void)s.send_response(smpp::make_response(request, status::ESME_ROK));
}

void client::on_response(smpp::session& s, std::uint64_t cookie, const smpp::pdu* response,
                         std::error_code ec) {
    if (cookie >= slots_.size()) {
        return;
    }
    const auto slot = static_cast<std::uint32_t>(cookie);
    const request_slot r = slots_[slot];
    free_slots_.push_back(slot);
    if (r.is_bind) {
        const auto result = response != nullptr ? response->command_status : status::ESME_RBINDFAIL;
        if (ec || result != status::ESME_ROK) {
            // Refused credentials will not improve with retries: end the run.
            worker_.fail(fmt::format("bind {} ({}) refused: {}", id_, smpp::to_string(type_),
                                     ec ? ec.message() : status_label(result)));
            stopping_ = true;
            s.close();
            return;
        }
        s.set_state(smpp::bound_state_for(type_));
        bound_ = true;
        ever_bound_ = true;
        worker_.on_bound(true);
        if (worker_.sending()) {
            (void)fill();
        }
        return;
    }
    worker_.on_submit_outcome(r.sent_ns, r.token,
                              std::string_view(r.destination, r.destination_length), r.receipt,
                              r.opted_out, response, ec);
    // A slot is free again. After stop_sending this only finishes the parts of a long message
    // already begun (claim_message refuses new ones).
    (void)fill();
}

void client::on_closed(smpp::session&, std::error_code) {
    if (bound_) {
        bound_ = false;
        worker_.on_bound(false);
    }
    worker_.on_connection(false);
    session_.reset();
    // A long message cut by the disconnect stays incomplete; start afresh after reconnecting.
    has_current_ = false;
    schedule_reconnect();
}

}  // namespace smppgw::bench::loadgen
