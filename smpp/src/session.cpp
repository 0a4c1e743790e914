#include "smppgw/smpp/session.hpp"

#include <algorithm>
#include <atomic>
#include <bit>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace smppgw::smpp {
namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

class session_category_impl final : public std::error_category {
public:
    const char* name() const noexcept override { return "smpp-session"; }
    std::string message(int value) const override {
        switch (static_cast<session_errc>(value)) {
            case session_errc::closed: return "session closed";
            case session_errc::response_timeout: return "no response within the response timeout";
            case session_errc::window_full: return "window full";
            case session_errc::write_queue_full: return "peer does not read: write queue full";
            case session_errc::peer_closed: return "peer closed the connection";
            case session_errc::inactivity: return "inactivity timeout";
            case session_errc::session_init: return "not bound within the session-init timeout";
            case session_errc::partial_pdu: return "partial PDU not completed in time";
            case session_errc::enquire_link_timeout: return "enquire_link not answered";
            case session_errc::framing_error: return "framing error (command_length)";
            case session_errc::malformed_response: return "malformed response";
        }
        return "unknown session error";
    }
};

std::atomic<std::uint64_t> next_session_id{1};

std::size_t ring_size_for(std::size_t window) {
    // Twice the window leaves room to skip sequence numbers whose slot is still held by a slow
    // request, so a free slot always exists while outstanding < window.
    return std::bit_ceil(std::max<std::size_t>(window, 8) * 2);
}

}  // namespace

const std::error_category& session_category() noexcept {
    static const session_category_impl instance;
    return instance;
}

std::shared_ptr<session> session::create(stream s, session_config config,
                                         std::shared_ptr<session_handler> handler) {
    return std::shared_ptr<session>(new session(std::move(s), config, std::move(handler)));
}

session::session(stream s, session_config config, std::shared_ptr<session_handler> handler)
    : stream_(std::move(s)),
      config_(config),
      handler_(std::move(handler)),
      id_(next_session_id.fetch_add(1, std::memory_order_relaxed)),
      rbuf_(std::max<std::size_t>(config.read_buffer_size, 4096)),
      slots_(ring_size_for(config.window)),
      created_(clock::now()),
      last_rx_(created_),
      wake_timer_(stream_.get_executor()),
      resume_timer_(stream_.get_executor()),
      tick_timer_(stream_.get_executor()) {
    boost::system::error_code ec;
    remote_ = stream_.socket().remote_endpoint(ec);
    pending_.reserve(16 * 1024);
    writing_.reserve(16 * 1024);
}

session::~session() = default;

void session::start() {
    auto self = shared_from_this();
    asio::co_spawn(get_executor(), [self] { return self->read_loop(); }, asio::detached);
    asio::co_spawn(get_executor(), [self] { return self->write_loop(); }, asio::detached);
    asio::co_spawn(get_executor(), [self] { return self->tick_loop(); }, asio::detached);
}

asio::awaitable<void> session::read_loop() {
    while (!closed_) {
        if (rend_ == rbuf_.size()) {
            if (rbegin_ > 0) {
                // Slide the partial PDU to the front; the buffer only grows for a PDU that is
                // bigger than it (bounded by the command_length ceiling).
                std::copy(rbuf_.begin() + static_cast<long>(rbegin_),
                          rbuf_.begin() + static_cast<long>(rend_), rbuf_.begin());
                rend_ -= rbegin_;
                rbegin_ = 0;
            } else {
                rbuf_.resize(rbuf_.size() * 2);
            }
        }
        auto [ec, n] =
            co_await stream_.async_read_some(asio::buffer(rbuf_.data() + rend_, rbuf_.size() - rend_),
                                             use_tuple);
        if (closed_) {
            co_return;
        }
        if (ec) {
            close(ec == asio::error::eof ? make_error_code(session_errc::peer_closed)
                                         : std::error_code(ec));
            co_return;
        }
        rend_ += n;
        last_rx_ = clock::now();
        if (closing_after_flush_) {
            // Nothing more will be dispatched. Drop what arrives rather than let a peer that
            // keeps sending grow the buffer while the writer drains; reading on still notices
            // the peer's close.
            rbegin_ = rend_ = 0;
            continue;
        }
        if (!process_buffer()) {
            co_return;
        }
        while (paused_ && !closed_) {
            resume_timer_.expires_at(clock::time_point::max());
            co_await resume_timer_.async_wait(use_tuple);
            if (!paused_ && !process_buffer()) {
                co_return;
            }
        }
    }
}

bool session::process_buffer() {
    while (!closed_ && !closing_after_flush_ && !paused_) {
        const auto available = std::span(rbuf_.data() + rbegin_, rend_ - rbegin_);
        if (available.empty()) {
            rbegin_ = rend_ = 0;
            break;
        }
        const decode_result r = decode(available, rx_, config_.decode);
        if (r.fatal()) {
            handle_decode_error(r);
            return false;
        }
        if (r.need_more()) {
            const std::size_t needed = peek_command_length(available);
            if (needed > rbuf_.size()) {
                // Make room for one large PDU (it passed the ceiling check above).
                std::copy(available.begin(), available.end(), rbuf_.begin());
                rend_ = available.size();
                rbegin_ = 0;
                rbuf_.resize(needed);
            }
            if (partial_since_ == clock::time_point{}) {
                partial_since_ = last_rx_;
            }
            break;
        }
        partial_since_ = {};
        rbegin_ += r.consumed;
        if (r.error) {
            handle_decode_error(r);
            continue;
        }
        dispatch(rx_);
    }
    return !closed_;
}

void session::dispatch(pdu& p) {
    const auto id = p.command_id();
    if (is_response(id)) {
        handle_response(p);
        return;
    }
    switch (id) {
        case command_id::enquire_link: {
            (void)send_response(make_response(p, status::ESME_ROK));
            return;
        }
        case command_id::unbind: {
            if (!is_bound(state_)) {
                (void)send_response(make_response(p, status::ESME_RINVBNDSTS));
                return;
            }
            (void)send_response(make_response(p, status::ESME_ROK));
            state_ = bind_state::unbound;
            handler_->on_unbind(*this);
            close_after_flush();
            return;
        }
        default: break;
    }
    if (state_ == bind_state::unbound) {
        // §6.1: after unbind, new requests are refused; responses still owed are delivered.
        (void)send_response(make_response(p, status::ESME_RINVBNDSTS));
        return;
    }
    handler_->on_request(*this, p);
}

void session::handle_response(pdu& p) {
    slot* s = find_slot(p.sequence_number);
    if (s == nullptr) {
        return;  // late (already timed out) or never ours: nothing waits for it
    }
    const bool nack = p.command_id() == command_id::generic_nack;
    if (!nack && static_cast<std::uint32_t>(p.command_id()) != (s->command_id | response_bit)) {
        return;  // a response of the wrong type for this sequence number: not ours
    }
    const slot taken = *s;
    release(*s);
    switch (taken.kind) {
        case slot_kind::request:
            handler_->on_response(*this, taken.cookie, &p, {});
            break;
        case slot_kind::probe:
            enquire_outstanding_ = false;
            break;
        case slot_kind::unbind_request:
            // Flush first: responses queued before the unbind_resp arrived (ESME_RINVBNDSTS
            // refusals, answers still owed) belong to the peer. close() would drop them.
            close_after_flush({});
            break;
        case slot_kind::free: break;
    }
}

void session::handle_decode_error(const decode_result& r) {
    handler_->on_decode_error(*this, r);
    if (r.fatal()) {
        // §6.1: generic_nack ESME_RINVCMDLEN, then close: the stream cannot be re-synchronised.
        (void)send_response(make_generic_nack(0, status::ESME_RINVCMDLEN));
        close_after_flush(make_error_code(session_errc::framing_error));
        return;
    }
    if ((r.command_id & response_bit) != 0) {
        // A broken response to one of our requests: its outcome is unknown to the owner.
        if (slot* s = find_slot(r.sequence_number); s != nullptr && s->kind == slot_kind::request) {
            const auto cookie = s->cookie;
            release(*s);
            handler_->on_response(*this, cookie, nullptr,
                                  make_error_code(session_errc::malformed_response));
        }
        return;
    }
    const auto response_id = response_for(r.command_id);
    if (response_id == command_id::generic_nack) {
        (void)send_response(make_generic_nack(r.sequence_number, r.response_status));
        return;
    }
    pdu stub;
    stub.sequence_number = r.sequence_number;
    (void)emplace_body(static_cast<command_id>(r.command_id), stub.body);
    (void)send_response(make_response(stub, r.response_status));
}

std::error_code session::send_request(pdu& request, std::uint64_t cookie) {
    return track_and_send(request, cookie, slot_kind::request);
}

std::error_code session::send_response(const pdu& response) { return enqueue(response); }

std::uint32_t session::free_sequence() noexcept {
    const std::size_t mask = slots_.size() - 1;
    std::uint32_t seq = next_sequence_;
    while (slots_[seq & mask].kind != slot_kind::free) {
        seq = seq == 0x7FFFFFFFU ? 1 : seq + 1;
    }
    next_sequence_ = seq == 0x7FFFFFFFU ? 1 : seq + 1;
    return seq;
}

std::error_code session::send_encoded_request(std::span<const std::uint8_t> bytes,
                                              std::uint64_t cookie) {
    if (closed_ || closing_after_flush_) {
        return session_errc::closed;
    }
    if (outstanding_ >= config_.window) {
        return session_errc::window_full;
    }
    if (bytes.size() < 16) {
        return make_error_code(errc::length_too_small);
    }
    const std::uint32_t seq = free_sequence();
    const auto at = pending_.size();
    pending_.insert(pending_.end(), bytes.begin(), bytes.end());
    for (int i = 0; i < 4; ++i) {
        pending_[at + 12 + static_cast<std::size_t>(i)] =
            static_cast<std::uint8_t>(seq >> (24 - 8 * i));
    }
    if (pending_.size() > config_.max_write_queue_bytes) {
        close(session_errc::write_queue_full);
        return session_errc::write_queue_full;
    }
    wake_writer();
    slot& s = slots_[seq & (slots_.size() - 1)];
    s.sequence = seq;
    s.command_id = static_cast<std::uint32_t>(bytes[4]) << 24U |
                   static_cast<std::uint32_t>(bytes[5]) << 16U |
                   static_cast<std::uint32_t>(bytes[6]) << 8U | bytes[7];
    s.cookie = cookie;
    s.deadline = clock::now() + config_.response_timeout;
    s.kind = slot_kind::request;
    ++outstanding_;
    return {};
}

std::error_code session::track_and_send(pdu& request, std::uint64_t cookie, slot_kind kind) {
    if (closed_ || closing_after_flush_) {
        return session_errc::closed;
    }
    // Internal enquire_link/unbind may exceed the window by one: they must get through.
    if (kind == slot_kind::request && outstanding_ >= config_.window) {
        return session_errc::window_full;
    }
    const std::uint32_t seq = free_sequence();
    request.sequence_number = seq;
    request.command_status = status::ESME_ROK;
    if (auto ec = enqueue(request)) {
        return ec;
    }
    slot& s = slots_[seq & (slots_.size() - 1)];
    s.sequence = seq;
    s.command_id = static_cast<std::uint32_t>(request.command_id());
    s.cookie = cookie;
    s.deadline = clock::now() +
                 (kind == slot_kind::unbind_request ? config_.unbind_timeout : config_.response_timeout);
    s.kind = kind;
    ++outstanding_;
    return {};
}

std::error_code session::enqueue(const pdu& p) {
    if (closed_) {
        return session_errc::closed;
    }
    if (auto ec = encode(p, pending_, {.strict = true, .include_tlvs = peer_version_ >= 0x34})) {
        return ec;
    }
    if (pending_.size() > config_.max_write_queue_bytes) {
        close(session_errc::write_queue_full);
        return session_errc::write_queue_full;
    }
    wake_writer();
    return {};
}

session::slot* session::find_slot(std::uint32_t sequence) noexcept {
    slot& s = slots_[sequence & (slots_.size() - 1)];
    if (s.kind == slot_kind::free || s.sequence != sequence) {
        return nullptr;
    }
    return &s;
}

void session::release(slot& s) noexcept {
    if (s.kind == slot_kind::request || s.kind == slot_kind::probe ||
        s.kind == slot_kind::unbind_request) {
        --outstanding_;
    }
    s.kind = slot_kind::free;
}

void session::wake_writer() {
    if (writer_waiting_) {
        writer_waiting_ = false;
        wake_timer_.cancel();
    }
}

asio::awaitable<void> session::write_loop() {
    while (!closed_) {
        if (pending_.empty()) {
            if (closing_after_flush_) {
                close(close_reason_);
                co_return;
            }
            writer_waiting_ = true;
            wake_timer_.expires_at(clock::time_point::max());
            co_await wake_timer_.async_wait(use_tuple);
            continue;
        }
        std::swap(pending_, writing_);
        auto [ec, n] = co_await asio::async_write(stream_, asio::buffer(writing_), use_tuple);
        writing_.clear();
        if (closed_) {
            co_return;
        }
        if (ec) {
            close(std::error_code(ec));
            co_return;
        }
    }
}

asio::awaitable<void> session::tick_loop() {
    while (!closed_) {
        tick_timer_.expires_after(config_.tick);
        (void)co_await tick_timer_.async_wait(use_tuple);
        if (closed_) {
            co_return;
        }
        check_timers(clock::now());
    }
}

void session::check_timers(clock::time_point now) {
    if (closing_after_flush_ && now > flush_deadline_) {
        close(close_reason_);
        return;
    }
    if (config_.session_init_timeout.count() > 0 && state_ == bind_state::open &&
        now - created_ > config_.session_init_timeout) {
        close(session_errc::session_init);
        return;
    }
    if (partial_since_ != clock::time_point{} && now - partial_since_ > config_.partial_pdu_timeout) {
        close(session_errc::partial_pdu);
        return;
    }
    if (config_.inactivity_timeout.count() > 0 && now - last_rx_ > config_.inactivity_timeout) {
        close(session_errc::inactivity);
        return;
    }
    if (outstanding_ > 0) {
        for (auto& s : slots_) {
            if (s.kind == slot_kind::free || s.deadline > now) {
                continue;
            }
            const slot taken = s;
            release(s);
            switch (taken.kind) {
                case slot_kind::request:
                    handler_->on_response(*this, taken.cookie, nullptr,
                                          make_error_code(session_errc::response_timeout));
                    break;
                case slot_kind::probe:
                    close(session_errc::enquire_link_timeout);
                    return;
                case slot_kind::unbind_request:
                    close({});
                    return;
                case slot_kind::free: break;
            }
            if (closed_) {
                return;
            }
        }
    }
    if (config_.enquire_link_interval.count() > 0 && is_bound(state_) && !enquire_outstanding_ &&
        now - last_rx_ > config_.enquire_link_interval) {
        pdu probe;
        probe.body = enquire_link{};
        if (!track_and_send(probe, 0, slot_kind::probe)) {
            enquire_outstanding_ = true;
        }
    }
}

void session::unbind() {
    if (closed_ || closing_after_flush_) {
        return;
    }
    const auto unbinding = [](const slot& s) { return s.kind == slot_kind::unbind_request; };
    if (state_ == bind_state::unbound && std::ranges::any_of(slots_, unbinding)) {
        // Our unbind is already waiting for its response (bounded by unbind_timeout); closing
        // now would cut the orderly end short, possibly before the unbind is even written.
        return;
    }
    if (!is_bound(state_)) {
        close({});
        return;
    }
    state_ = bind_state::unbound;
    pdu request;
    request.body = smpp::unbind{};
    if (track_and_send(request, 0, slot_kind::unbind_request)) {
        close({});
    }
}

void session::close_after_flush(std::error_code reason) {
    if (closed_) {
        return;
    }
    if (!closing_after_flush_) {
        // The flush is bounded like every other wait: a peer that stopped reading would
        // otherwise hold the session (and its queue) open forever.
        flush_deadline_ = clock::now() + config_.unbind_timeout;
    }
    closing_after_flush_ = true;
    close_reason_ = reason;
    if (pending_.empty() && writing_.empty()) {
        // Nothing to flush: wake the writer, which closes on its way out.
        wake_writer();
    }
}

void session::close(std::error_code reason) {
    if (closed_) {
        return;
    }
    closed_ = true;
    state_ = bind_state::closed;
    stream_.close();
    wake_timer_.cancel();
    resume_timer_.cancel();
    tick_timer_.cancel();
    // Keep ourselves and the handler alive through the callbacks below even if the owner drops
    // its last reference inside them.
    auto self = shared_from_this();
    auto handler = handler_;
    for (auto& s : slots_) {
        if (s.kind == slot_kind::request) {
            const auto cookie = s.cookie;
            release(s);
            handler->on_response(*this, cookie, nullptr, make_error_code(session_errc::closed));
        } else if (s.kind != slot_kind::free) {
            release(s);
        }
    }
    handler->on_closed(*this, reason);
    // Break the session <-> owner cycle once the coroutines have seen closed_.
    asio::post(get_executor(), [self] { self->handler_.reset(); });
}

void session::pause_reading() { paused_ = true; }

void session::resume_reading() {
    if (paused_) {
        paused_ = false;
        resume_timer_.cancel();
    }
}

}  // namespace smppgw::smpp
