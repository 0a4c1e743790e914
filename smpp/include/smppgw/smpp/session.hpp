#pragma once
// One SMPP connection: framing, a window of outstanding requests keyed by sequence number,
// enquire_link, timers, orderly unbind. Shared by the gateway's northbound server and carrier
// client and by the bench tools; what a PDU *means* is the owner's business (session_handler).
//
// Threading: a session lives on the executor of its stream (one io_context thread in smppgw),
// and every public member must be called from there. Cross-thread callers post to
// get_executor(). Nothing blocks; peers' errors come back as values.
//
// Writes are coalesced: PDUs encode straight into a pending buffer that a single writer flushes
// with one write per batch, so a burst of N responses costs one syscall, not N.

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <system_error>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "smppgw/smpp/bind_state.hpp"
#include "smppgw/smpp/codec.hpp"
#include "smppgw/smpp/pdu.hpp"
#include "smppgw/smpp/stream.hpp"

namespace smppgw::smpp {

enum class session_errc {
    closed = 1,          // the session closed before the request completed
    response_timeout,    // no response within response_timeout
    window_full,         // send_request beyond the configured window
    write_queue_full,    // the peer does not read: our unsent bytes passed the limit
    peer_closed,         // EOF from the peer
    inactivity,          // nothing received for inactivity_timeout
    session_init,        // not bound within session_init_timeout
    partial_pdu,         // a PDU stayed half-received for partial_pdu_timeout
    enquire_link_timeout,
    framing_error,       // command_length < 16 or over the ceiling
    malformed_response,  // a response to one of our requests did not decode
};

[[nodiscard]] const std::error_category& session_category() noexcept;
[[nodiscard]] inline std::error_code make_error_code(session_errc e) noexcept {
    return {static_cast<int>(e), session_category()};
}

struct session_config {
    decode_options decode{};
    std::size_t read_buffer_size = 64 * 1024;
    // Unsent bytes we keep for a peer that does not read; past it the session closes rather than
    // let a slow reader pin memory.
    std::size_t max_write_queue_bytes = 8 * 1024 * 1024;
    // Outstanding requests we send (submit_sm to a carrier, deliver_sm to an ESME).
    std::size_t window = 64;
    std::chrono::milliseconds response_timeout{30'000};
    std::chrono::milliseconds enquire_link_interval{0};  // 0: never send enquire_link
    std::chrono::milliseconds inactivity_timeout{0};     // 0: off; close after this much silence
    std::chrono::milliseconds session_init_timeout{0};   // 0: off; close if still unbound
    std::chrono::milliseconds partial_pdu_timeout{10'000};
    // How long an orderly end may take: waiting for unbind_resp, and flushing what is queued
    // before a close_after_flush (after which the session closes regardless).
    std::chrono::milliseconds unbind_timeout{5'000};
    // How often timers are checked; deadlines are honoured to within this.
    std::chrono::milliseconds tick{100};
};

class session;

// Implemented by the owner of a session. All calls arrive on the session's executor.
class session_handler {
public:
    virtual ~session_handler() = default;
    // A request from the peer other than enquire_link and unbind, which the session answers
    // itself. The handler answers with session::send_response exactly once, now or later.
    virtual void on_request(session& s, pdu& request) = 0;
    // The outcome of send_request(…, cookie): a response (whose status may be an error, or a
    // generic_nack), or no response and an error (timeout, closed, malformed response).
    virtual void on_response(session& s, std::uint64_t cookie, const pdu* response,
                             std::error_code ec) = 0;
    // Once, when the session is closed. `reason` is empty for a close we asked for.
    virtual void on_closed(session& s, std::error_code reason) = 0;
    // The peer unbound; the session has answered and will close after flushing.
    virtual void on_unbind(session&) {}
    // A PDU that failed to decode; the session has already answered it where it could.
    virtual void on_decode_error(session&, const decode_result&) {}
};

class session : public std::enable_shared_from_this<session> {
public:
    using clock = std::chrono::steady_clock;

    static std::shared_ptr<session> create(stream s, session_config config,
                                           std::shared_ptr<session_handler> handler);
    ~session();
    session(const session&) = delete;
    session& operator=(const session&) = delete;

    // Starts reading, writing and the timers.
    void start();

    // Sends a request: assigns and writes its sequence number, tracks it in the window.
    [[nodiscard]] std::error_code send_request(pdu& request, std::uint64_t cookie);
    // Sends a request kept encoded (an outbox entry): its sequence number is replaced in a copy.
    // `bytes` must be one whole PDU; nothing is stripped for peers bound below 3.4, so the
    // caller passes a form that suits the peer.
    [[nodiscard]] std::error_code send_encoded_request(std::span<const std::uint8_t> bytes,
                                                       std::uint64_t cookie);

    // Sends a response (or generic_nack) to one of the peer's requests.
    [[nodiscard]] std::error_code send_response(const pdu& response);

    // Orderly end: unbind, wait for unbind_resp (bounded), flush, close.
    void unbind();
    // Ends now: outstanding requests fail with session_errc::closed.
    void close(std::error_code reason = {});
    // Sends what is queued, then closes (after answering a fatal framing error, for example).
    void close_after_flush(std::error_code reason = {});

    // Backpressure: stop decoding further PDUs until resumed (bytes stay in the kernel buffer).
    void pause_reading();
    void resume_reading();

    [[nodiscard]] bind_state state() const noexcept { return state_; }
    void set_state(bind_state s) noexcept { state_ = s; }
    // Peers bound with interface_version <= 0x33 speak 3.3: no TLVs are sent to them.
    void set_peer_interface_version(std::uint8_t v) noexcept { peer_version_ = v; }
    [[nodiscard]] std::uint8_t peer_interface_version() const noexcept { return peer_version_; }

    [[nodiscard]] std::size_t outstanding() const noexcept { return outstanding_; }
    [[nodiscard]] bool window_full() const noexcept { return outstanding_ >= config_.window; }
    [[nodiscard]] std::size_t window() const noexcept { return config_.window; }
    [[nodiscard]] std::size_t queued_bytes() const noexcept { return pending_.size(); }
    [[nodiscard]] bool is_closed() const noexcept { return closed_; }
    [[nodiscard]] std::uint64_t id() const noexcept { return id_; }
    [[nodiscard]] const tcp::endpoint& remote_endpoint() const noexcept { return remote_; }
    [[nodiscard]] asio::any_io_executor get_executor() { return stream_.get_executor(); }
    [[nodiscard]] bool is_tls() const noexcept { return stream_.is_tls(); }

    // Free slot for owners to hang per-session data on (e.g. the bound account).
    void* user_data = nullptr;

private:
    session(stream s, session_config config, std::shared_ptr<session_handler> handler);

    enum class slot_kind : std::uint8_t { free, request, probe, unbind_request };
    struct slot {
        std::uint32_t sequence = 0;
        std::uint32_t command_id = 0;
        std::uint64_t cookie = 0;
        clock::time_point deadline{};
        slot_kind kind = slot_kind::free;
    };

    asio::awaitable<void> read_loop();
    asio::awaitable<void> write_loop();
    asio::awaitable<void> tick_loop();

    // Decodes and dispatches what the read buffer holds; false once the session is closing.
    bool process_buffer();
    void dispatch(pdu& p);
    void handle_decode_error(const decode_result& r);
    void handle_response(pdu& p);
    void check_timers(clock::time_point now);

    std::error_code enqueue(const pdu& p);
    std::error_code track_and_send(pdu& request, std::uint64_t cookie, slot_kind kind);
    std::uint32_t free_sequence() noexcept;
    slot* find_slot(std::uint32_t sequence) noexcept;
    void release(slot& s) noexcept;
    void wake_writer();

    stream stream_;
    session_config config_;
    std::shared_ptr<session_handler> handler_;
    std::uint64_t id_;
    tcp::endpoint remote_;

    bind_state state_ = bind_state::open;
    std::uint8_t peer_version_ = 0x34;
    bool closed_ = false;
    bool closing_after_flush_ = false;
    clock::time_point flush_deadline_{};  // set with closing_after_flush_
    std::error_code close_reason_;
    bool paused_ = false;
    bool writer_waiting_ = false;

    std::vector<std::uint8_t> rbuf_;
    std::size_t rbegin_ = 0;
    std::size_t rend_ = 0;
    pdu rx_;  // reused for every incoming PDU: no per-PDU allocation

    std::vector<std::uint8_t> pending_;
    std::vector<std::uint8_t> writing_;

    std::vector<slot> slots_;  // power-of-two ring indexed by sequence number
    std::size_t outstanding_ = 0;
    std::uint32_t next_sequence_ = 1;

    clock::time_point created_;
    clock::time_point last_rx_;
    clock::time_point partial_since_{};
    bool enquire_outstanding_ = false;

    asio::steady_timer wake_timer_;
    asio::steady_timer resume_timer_;
    asio::steady_timer tick_timer_;
};

}  // namespace smppgw::smpp

template <>
struct std::is_error_code_enum<smppgw::smpp::session_errc> : std::true_type {};
