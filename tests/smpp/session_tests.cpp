// smpp::session over real loopback TCP. A fake peer (a raw socket that speaks bytes through the
// codec) drives one session; a recording handler captures what the session reports.
//
// Everything runs on one io_context in the test thread. Every wait is bounded (run_until with a
// deadline), so a broken session fails a test instead of hanging it, and assertions are about
// outcomes, never about how long something took: timers are configured short (tens to hundreds
// of milliseconds) only so that the tests finish quickly.

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/system/error_code.hpp>

#include "smppgw/smpp/codec.hpp"
#include "smppgw/smpp/session.hpp"

namespace smpp = smppgw::smpp;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
using bytes = std::vector<std::uint8_t>;
using smpp::session_errc;

namespace {

// Long enough for a loaded CI machine running an ASan build; only reached when a test fails.
constexpr auto default_wait = 5s;

// ---- PDU builders ---------------------------------------------------------------------------

void put_u32(bytes& out, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) {
        out.push_back(static_cast<std::uint8_t>(v >> shift));
    }
}

// A header claiming `length`, whatever follows it.
bytes raw_header(std::uint32_t length, std::uint32_t id, std::uint32_t seq) {
    bytes out;
    put_u32(out, length);
    put_u32(out, id);
    put_u32(out, 0);
    put_u32(out, seq);
    return out;
}

// A PDU with a correct command_length around an arbitrary body.
bytes raw_pdu(std::uint32_t id, std::uint32_t seq, const bytes& body = {}) {
    bytes out = raw_header(static_cast<std::uint32_t>(16 + body.size()), id, seq);
    out.insert(out.end(), body.begin(), body.end());
    return out;
}

bytes concat(std::initializer_list<bytes> parts) {
    bytes out;
    for (const auto& p : parts) {
        out.insert(out.end(), p.begin(), p.end());
    }
    return out;
}

template <typename Body>
smpp::pdu make(std::uint32_t seq, Body body = Body{},
               smpp::command_status status = smpp::status::ESME_ROK) {
    smpp::pdu p;
    p.sequence_number = seq;
    p.command_status = status;
    p.body = std::move(body);
    return p;
}

smpp::pdu submit(std::uint32_t seq, std::string_view text = "hello") {
    smpp::submit_sm s;
    s.source_addr_ton = 1;
    s.source_addr_npi = 1;
    s.source_addr = "15550001111";
    s.dest_addr_ton = 1;
    s.dest_addr_npi = 1;
    s.destination_addr = "15550002222";
    REQUIRE(s.short_message.assign(text));
    return make(seq, s);
}

smpp::pdu submit_resp(std::uint32_t seq, std::string_view message_id) {
    smpp::submit_sm_resp r;
    REQUIRE(r.message_id.assign(message_id));
    return make(seq, r);
}

bytes pattern(std::size_t n) {
    bytes out(n);
    for (std::size_t i = 0; i < n; ++i) {
        out[i] = static_cast<std::uint8_t>(i % 251);
    }
    return out;
}

bytes encoded(const smpp::pdu& p) {
    bytes out;
    REQUIRE_FALSE(smpp::encode(p, out));
    return out;
}

std::uint32_t seq_of(const smpp::pdu& p) {
    return p.sequence_number;
}

// ---- The handler under the session --------------------------------------------------------

struct response_event {
    std::uint64_t cookie = 0;
    std::optional<smpp::pdu> response;
    std::error_code ec;
};

class recorder final : public smpp::session_handler {
public:
    std::vector<smpp::pdu> requests;
    std::vector<response_event> responses;
    std::vector<std::error_code> closed;
    std::vector<smpp::decode_result> decode_errors;
    int unbinds = 0;
    // Every callback in call order, for assertions about ordering across callback kinds.
    std::vector<std::string> log;
    // Answer each request at once with its ESME_ROK response.
    bool auto_answer = false;
    // Extra behaviour on a request (pause, answer later, ...), run after recording it.
    std::function<void(smpp::session&, smpp::pdu&)> on_request_hook;
    std::function<void(smpp::session&, const response_event&)> on_response_hook;
    std::function<void(smpp::session&)> on_closed_hook;

    void on_request(smpp::session& s, smpp::pdu& request) override {
        requests.push_back(request);
        log.push_back("request");
        if (auto_answer) {
            REQUIRE_FALSE(s.send_response(smpp::make_response(request, smpp::status::ESME_ROK)));
        }
        if (on_request_hook) {
            on_request_hook(s, request);
        }
    }
    void on_response(smpp::session& s, std::uint64_t cookie, const smpp::pdu* response,
                     std::error_code ec) override {
        response_event e;
        e.cookie = cookie;
        if (response != nullptr) {
            e.response = *response;
        }
        e.ec = ec;
        responses.push_back(e);
        log.push_back("response");
        if (on_response_hook) {
            on_response_hook(s, e);
        }
    }
    void on_closed(smpp::session& s, std::error_code reason) override {
        closed.push_back(reason);
        log.push_back("closed");
        if (on_closed_hook) {
            on_closed_hook(s);
        }
    }
    void on_unbind(smpp::session&) override {
        ++unbinds;
        log.push_back("unbind");
    }
    void on_decode_error(smpp::session&, const smpp::decode_result& r) override {
        decode_errors.push_back(r);
        log.push_back("decode_error");
    }
};

// ---- The fake peer and the loop -----------------------------------------------------------

smpp::session_config fast_config() {
    smpp::session_config c;
    c.tick = 10ms;
    return c;
}

struct harness_options {
    smpp::session_config config = fast_config();
    // Whether the peer reads what the session sends (false: a peer that never reads).
    bool peer_reads = true;
    // Socket buffer sizes, 0 for the kernel default; small values make a slow reader show up
    // after kilobytes rather than megabytes.
    int peer_receive_buffer = 0;
    int session_send_buffer = 0;
};

struct write_op {
    bytes data;
    bool done = false;
    boost::system::error_code ec;
};

class harness {
public:
    explicit harness(harness_options options = {}) {
        tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
        peer.open(tcp::v4());
        if (options.peer_receive_buffer > 0) {
            // Before connect, so the advertised window follows it.
            peer.set_option(tcp::socket::receive_buffer_size(options.peer_receive_buffer));
        }
        peer.connect(acceptor.local_endpoint());
        peer.set_option(tcp::no_delay(true));
        tcp::socket server(io);
        acceptor.accept(server);
        server.set_option(tcp::no_delay(true));
        if (options.session_send_buffer > 0) {
            server.set_option(tcp::socket::send_buffer_size(options.session_send_buffer));
        }
        session = smpp::session::create(smpp::stream(std::move(server)), options.config, handler);
        session->start();
        if (options.peer_reads) {
            arm_peer_read();
        }
    }

    ~harness() {
        boost::system::error_code ignored;
        peer.close(ignored);
        if (session) {
            session->close();
        }
        // Let the session's coroutines see the close and finish, so nothing leaks.
        io.restart();
        io.run_for(2s);
        session.reset();
    }

    harness(const harness&) = delete;
    harness& operator=(const harness&) = delete;

    // Runs the loop until pred() holds; false if it did not within `limit` (or the loop ran out
    // of work, after which nothing can change).
    template <typename Pred>
    bool run_until(Pred pred, std::chrono::milliseconds limit = default_wait) {
        const auto deadline = std::chrono::steady_clock::now() + limit;
        while (!pred()) {
            if (std::chrono::steady_clock::now() >= deadline) {
                return false;
            }
            if (io.stopped()) {
                io.restart();
            }
            if (io.run_one_for(10ms) == 0 && io.stopped()) {
                return pred();
            }
        }
        return true;
    }

    // Runs the loop for a while; for checks that something does *not* happen.
    void run_for(std::chrono::milliseconds d) {
        (void)run_until([] { return false; }, d);
    }

    void poll() {
        if (io.stopped()) {
            io.restart();
        }
        io.poll();
    }

    std::shared_ptr<write_op> start_write(bytes data) {
        auto op = std::make_shared<write_op>();
        op->data = std::move(data);
        asio::async_write(peer, asio::buffer(op->data),
                          [op](boost::system::error_code ec, std::size_t) {
                              op->done = true;
                              op->ec = ec;
                          });
        return op;
    }

    // The same without a copy, for bulk traffic; `data` must outlive the write.
    std::shared_ptr<write_op> start_write_view(std::span<const std::uint8_t> data) {
        auto op = std::make_shared<write_op>();
        asio::async_write(peer, asio::buffer(data.data(), data.size()),
                          [op](boost::system::error_code ec, std::size_t) {
                              op->done = true;
                              op->ec = ec;
                          });
        return op;
    }

    void write(bytes data) {
        auto op = start_write(std::move(data));
        REQUIRE(run_until([&] { return op->done; }));
        REQUIRE_FALSE(op->ec);
    }

    void send(const smpp::pdu& p) { write(encoded(p)); }

    // The next PDU the session sent, or nullopt when the connection ended (or nothing came).
    std::optional<smpp::pdu> read_pdu(std::chrono::milliseconds limit = default_wait) {
        if (!stash_.empty()) {
            auto p = std::move(stash_.front());
            stash_.pop_front();
            return p;
        }
        smpp::pdu p;
        smpp::decode_result r;
        const auto decode_next = [&] {
            r = smpp::decode(std::span(peer_rx_).subspan(peer_rx_begin_), p, peer_decode_);
            return !r.need_more() || peer_closed_;
        };
        if (!run_until(decode_next, limit) || r.need_more()) {
            return std::nullopt;
        }
        REQUIRE_FALSE(r.error);  // the session must never send what our codec cannot read
        peer_rx_begin_ += r.consumed;
        return p;
    }

    // Round trip through the session: an enquire_link of our own, answered after everything
    // sent before it has been processed. PDUs read meanwhile stay queued for read_pdu().
    void sync() {
        const std::uint32_t seq = 0x7FFF0000U + ++sync_count_;
        send(make<smpp::enquire_link>(seq));
        std::deque<smpp::pdu> before;
        for (;;) {
            auto p = read_pdu();
            REQUIRE(p);
            if (p->command_id() == smpp::command_id::enquire_link_resp &&
                p->sequence_number == seq) {
                break;
            }
            before.push_back(std::move(*p));
        }
        for (auto& p : before) {
            stash_.push_back(std::move(p));
        }
    }

    // Runs until the peer's read side ends; true when it ended with a clean EOF.
    bool wait_peer_eof(std::chrono::milliseconds limit = default_wait) {
        return run_until([&] { return peer_closed_; }, limit) && peer_error_ == asio::error::eof;
    }
    // True when every byte the peer received has been handed out by read_pdu().
    [[nodiscard]] bool nothing_unread() const {
        return peer_rx_begin_ == peer_rx_.size() && stash_.empty();
    }
    [[nodiscard]] std::size_t received_bytes() const { return peer_rx_.size(); }

    bool wait_closed(std::chrono::milliseconds limit = default_wait) {
        return run_until([&] { return !handler->closed.empty(); }, limit);
    }

    asio::io_context io;
    std::shared_ptr<recorder> handler = std::make_shared<recorder>();
    tcp::socket peer{io};
    std::shared_ptr<smpp::session> session;

private:
    void arm_peer_read() {
        peer.async_read_some(asio::buffer(chunk_), [this](boost::system::error_code ec,
                                                          std::size_t n) {
            if (ec) {
                peer_closed_ = true;
                peer_error_ = ec;
                return;
            }
            peer_rx_.insert(peer_rx_.end(), chunk_.begin(), chunk_.begin() + static_cast<long>(n));
            arm_peer_read();
        });
    }

    smpp::decode_options peer_decode_{.max_command_length = 1U << 20};
    bytes chunk_ = bytes(64 * 1024);
    bytes peer_rx_;
    std::size_t peer_rx_begin_ = 0;
    bool peer_closed_ = false;
    boost::system::error_code peer_error_;
    std::deque<smpp::pdu> stash_;
    std::uint32_t sync_count_ = 0;
};

}  // namespace

// ---- enquire_link, unknown ids, body errors ------------------------------------------------

TEST_CASE("enquire_link from the peer is answered in every state", "[session]") {
    const auto state =
        GENERATE(smpp::bind_state::open, smpp::bind_state::bound_tx, smpp::bind_state::bound_rx,
                 smpp::bind_state::bound_trx, smpp::bind_state::unbound);
    CAPTURE(smpp::to_string(state));
    harness h;
    h.session->set_state(state);

    for (const std::uint32_t seq : {1U, 0x1234U, 0x7FFFFFFFU}) {
        h.send(make<smpp::enquire_link>(seq));
        const auto resp = h.read_pdu();
        REQUIRE(resp);
        CHECK(resp->command_id() == smpp::command_id::enquire_link_resp);
        CHECK(resp->sequence_number == seq);
        CHECK(resp->command_status == smpp::status::ESME_ROK);
    }
    CHECK(h.handler->requests.empty());
    CHECK(h.handler->closed.empty());
    CHECK(h.session->state() == state);
}

TEST_CASE("an unknown command_id is nacked with its sequence and the session goes on",
          "[session]") {
    harness h;
    h.session->set_state(smpp::bind_state::bound_trx);
    h.handler->auto_answer = true;

    // A reserved id, a vendor id, and an SMPP 5.0 id this library does not speak.
    const std::uint32_t id = GENERATE(0x0000000AU, 0x00010200U, 0x00000111U);
    CAPTURE(id);
    h.write(raw_pdu(id, 77, {0x01, 0x02, 0x03, 0x00, 0x05}));
    auto nack = h.read_pdu();
    REQUIRE(nack);
    CHECK(nack->command_id() == smpp::command_id::generic_nack);
    CHECK(nack->sequence_number == 77);
    CHECK(nack->command_status == smpp::status::ESME_RINVCMDID);
    REQUIRE(h.handler->decode_errors.size() == 1);
    CHECK(h.handler->decode_errors[0].error == smpp::errc::unknown_command_id);

    // The stream is still in step: the next request is dispatched and answered.
    h.send(submit(78));
    auto resp = h.read_pdu();
    REQUIRE(resp);
    CHECK(resp->command_id() == smpp::command_id::submit_sm_resp);
    CHECK(resp->sequence_number == 78);
    REQUIRE(h.handler->requests.size() == 1);
    CHECK(h.handler->requests[0].sequence_number == 78);
    CHECK(h.handler->closed.empty());
}

TEST_CASE("a request whose body does not decode gets its own response with the decoder's status",
          "[session]") {
    struct bad_request {
        const char* name;
        bytes pdu;
        smpp::command_id response;
        smpp::command_status status;
    };

    // submit_sm body: service_type "", ton, npi, then a source_addr of 25 octets and no NUL
    // within its 21-octet maximum.
    bytes long_source = {0x00, 0x01, 0x01};
    long_source.insert(long_source.end(), 25, 'A');
    long_source.push_back(0x00);
    long_source.insert(long_source.end(), 40, 0x00);

    // destination_addr likewise, after a valid source_addr.
    bytes long_destination = {0x00, 0x01, 0x01, '1', '2', '3', 0x00, 0x01, 0x01};
    long_destination.insert(long_destination.end(), 30, '9');
    long_destination.push_back(0x00);
    long_destination.insert(long_destination.end(), 40, 0x00);

    // sm_length claims more octets than the PDU holds (vector
    // NEGATIVE_deliver_sm_sm_length_overrun).
    bytes overrun = encoded(submit(0x42, "hi"));
    overrun[overrun.size() - 3] = 200;
    const bytes overrun_body(overrun.begin() + 16, overrun.end());

    // A TLV whose length runs past the end of the PDU (vector NEGATIVE_deliver_sm_tlv_overrun).
    bytes tlv_overrun = encoded(submit(0x42, "hi"));
    const bytes tlv_overrun_body = concat({bytes(tlv_overrun.begin() + 16, tlv_overrun.end()),
                                           bytes{0x02, 0x04, 0x00, 0x41, 0x01, 0x02}});

    // alert_notification has no response of its own: a broken one is answered by generic_nack.
    const bytes truncated_alert = {0x01, 0x01, '1', '2'};

    const std::vector<bad_request> cases = {
        {"source_addr without NUL", raw_pdu(0x00000004, 101, long_source),
         smpp::command_id::submit_sm_resp, smpp::status::ESME_RINVSRCADR},
        {"destination_addr without NUL", raw_pdu(0x00000004, 102, long_destination),
         smpp::command_id::submit_sm_resp, smpp::status::ESME_RINVDSTADR},
        {"sm_length overrun", raw_pdu(0x00000004, 103, overrun_body),
         smpp::command_id::submit_sm_resp, smpp::status::ESME_RINVMSGLEN},
        {"sm_length overrun in deliver_sm", raw_pdu(0x00000005, 104, overrun_body),
         smpp::command_id::deliver_sm_resp, smpp::status::ESME_RINVMSGLEN},
        {"TLV overrun", raw_pdu(0x00000004, 105, tlv_overrun_body),
         smpp::command_id::submit_sm_resp, smpp::status::ESME_RINVOPTPARSTREAM},
        {"truncated alert_notification", raw_pdu(0x00000102, 106, truncated_alert),
         smpp::command_id::generic_nack, smpp::status::ESME_RINVCMDLEN},
    };

    harness h;
    h.session->set_state(smpp::bind_state::bound_trx);
    h.handler->auto_answer = true;

    std::uint32_t next_good = 1;
    for (const auto& c : cases) {
        CAPTURE(c.name);
        h.write(c.pdu);
        auto resp = h.read_pdu();
        REQUIRE(resp);
        CHECK(resp->command_id() == c.response);
        CHECK(resp->command_status == c.status);
        CHECK(resp->sequence_number == static_cast<std::uint32_t>(c.pdu[15]));
        // Error responses carry their body (empty fields); only generic_nack has none.
        CHECK(resp->omit_body == (resp->command_id() == smpp::command_id::generic_nack));

        // And the session is still in step.
        h.send(submit(next_good));
        auto good = h.read_pdu();
        REQUIRE(good);
        CHECK(good->command_id() == smpp::command_id::submit_sm_resp);
        CHECK(good->sequence_number == next_good);
        CHECK(good->command_status == smpp::status::ESME_ROK);
        ++next_good;
    }
    CHECK(h.handler->decode_errors.size() == cases.size());
    CHECK(h.handler->requests.size() == cases.size());
    CHECK(h.handler->closed.empty());
}

TEST_CASE("a request with a sequence_number above 0x7FFFFFFF does not derail the session",
          "[session]") {
    // SMPP.md §1.1: read leniently, write strictly. Whether such a request is answered is a
    // codec policy (vector NEGATIVE_enquire_link_seq_high_bit); the session must go on either way.
    harness h;
    h.session->set_state(smpp::bind_state::bound_trx);
    h.write(raw_pdu(0x00000015, 0x80000001U));
    h.sync();
    CHECK(h.handler->closed.empty());
    CHECK(h.session->state() == smpp::bind_state::bound_trx);
}

TEST_CASE("a session reports its connection", "[session]") {
    harness h;
    CHECK(h.session->remote_endpoint() == h.peer.local_endpoint());
    CHECK_FALSE(h.session->is_tls());
    CHECK_FALSE(h.session->is_closed());
    CHECK(h.session->state() == smpp::bind_state::open);
    CHECK(h.session->queued_bytes() == 0);
    harness other;
    CHECK(other.session->id() != h.session->id());
}

// ---- Framing -------------------------------------------------------------------------------

TEST_CASE("a command_length below 16 or above the ceiling is nacked, then the session closes",
          "[session][framing]") {
    constexpr std::uint32_t ceiling = 1024;
    const std::uint32_t length = GENERATE(0U, 4U, 15U, ceiling + 1, 0xFFFFFFFFU);
    CAPTURE(length);

    harness_options options;
    options.config.decode.max_command_length = ceiling;
    harness h(options);
    h.session->set_state(smpp::bind_state::bound_trx);

    // One request of ours is outstanding when the framing error arrives.
    auto request = submit(0);
    REQUIRE_FALSE(h.session->send_request(request, 9));
    auto sent = h.read_pdu();
    REQUIRE(sent);

    // A good PDU first: it is answered before the nack.
    h.write(concat({encoded(make<smpp::enquire_link>(1)), raw_header(length, 0x00000004, 2)}));

    auto resp = h.read_pdu();
    REQUIRE(resp);
    CHECK(resp->command_id() == smpp::command_id::enquire_link_resp);
    CHECK(resp->sequence_number == 1);
    auto nack = h.read_pdu();
    REQUIRE(nack);
    CHECK(nack->command_id() == smpp::command_id::generic_nack);
    CHECK(nack->command_status == smpp::status::ESME_RINVCMDLEN);
    CHECK(nack->sequence_number == 0);
    CHECK(h.wait_peer_eof());
    CHECK(h.nothing_unread());

    REQUIRE(h.wait_closed());
    h.run_for(50ms);
    REQUIRE(h.handler->closed.size() == 1);
    CHECK(h.handler->closed[0] == session_errc::framing_error);
    REQUIRE(h.handler->decode_errors.size() == 1);
    CHECK(h.handler->decode_errors[0].fatal());
    REQUIRE(h.handler->responses.size() == 1);
    CHECK(h.handler->responses[0].cookie == 9);
    CHECK(h.handler->responses[0].ec == session_errc::closed);
    CHECK(h.handler->log.back() == "closed");
    CHECK(h.session->is_closed());
    CHECK(h.session->state() == smpp::bind_state::closed);
}

TEST_CASE("an oversized PDU sent whole is nacked before the close", "[session][framing]") {
    // The peer keeps writing the body the session refuses to read: the nack must still reach it,
    // followed by the end of the stream.
    harness_options options;
    options.config.decode.max_command_length = 1024;
    harness h(options);
    constexpr std::uint32_t length = 300 * 1024;
    bytes big = raw_header(length, 0x00000004, 3);
    big.resize(length, 'x');
    (void)h.start_write(std::move(big));  // never completes: the session stops reading

    auto nack = h.read_pdu();
    REQUIRE(nack);
    CHECK(nack->command_id() == smpp::command_id::generic_nack);
    CHECK(nack->command_status == smpp::status::ESME_RINVCMDLEN);
    CHECK(nack->sequence_number == 0);
    CHECK(h.wait_peer_eof());
    REQUIRE(h.wait_closed());
    CHECK(h.handler->closed == std::vector<std::error_code>{session_errc::framing_error});
}

TEST_CASE("a PDU exactly at the command_length ceiling is accepted", "[session][framing]") {
    constexpr std::size_t ceiling = 2048;
    harness_options options;
    options.config.decode.max_command_length = ceiling;
    harness h(options);
    h.session->set_state(smpp::bind_state::bound_trx);
    h.handler->auto_answer = true;

    auto p = submit(5, "");
    const std::size_t without_payload = encoded(p).size();
    const bytes payload = pattern(ceiling - without_payload - 4);
    p.tlvs.set<smpp::tlv::message_payload>(payload);
    REQUIRE(encoded(p).size() == ceiling);
    h.send(p);

    auto resp = h.read_pdu();
    REQUIRE(resp);
    CHECK(resp->command_id() == smpp::command_id::submit_sm_resp);
    CHECK(resp->command_status == smpp::status::ESME_ROK);
    REQUIRE(h.handler->requests.size() == 1);
    const auto got = h.handler->requests[0].tlvs.get<smpp::tlv::message_payload>();
    REQUIRE(got);
    CHECK(std::ranges::equal(*got, payload));
    CHECK(h.handler->closed.empty());
}

TEST_CASE("PDUs written one byte at a time are reassembled and dispatched in order",
          "[session][framing]") {
    harness h;
    h.session->set_state(smpp::bind_state::bound_trx);

    smpp::data_sm d;
    d.source_addr = "12345";
    d.destination_addr = "67890";
    auto data = make(5, d);
    data.tlvs.set<smpp::tlv::message_payload>(pattern(300));
    const bytes stream =
        concat({encoded(submit(1, "one")), encoded(submit(2, "two")),
                encoded(make<smpp::enquire_link>(3)), encoded(submit(4, "four")), encoded(data)});
    for (const std::uint8_t b : stream) {
        h.write({b});
        h.poll();
    }

    REQUIRE(h.run_until([&] { return h.handler->requests.size() == 4; }));
    std::vector<std::uint32_t> seqs;
    std::ranges::transform(h.handler->requests, std::back_inserter(seqs), seq_of);
    CHECK(seqs == std::vector<std::uint32_t>{1, 2, 4, 5});
    CHECK(h.handler->requests[0].body ==
          smpp::pdu_body(std::get<smpp::submit_sm>(submit(1, "one").body)));
    CHECK(h.handler->requests[3].tlvs == data.tlvs);
    auto resp = h.read_pdu();
    REQUIRE(resp);
    CHECK(resp->command_id() == smpp::command_id::enquire_link_resp);
    CHECK(resp->sequence_number == 3);
    CHECK(h.handler->decode_errors.empty());
    CHECK(h.handler->closed.empty());
}

TEST_CASE("a PDU split in two at every offset is dispatched once, intact", "[session][framing]") {
    harness h;
    h.session->set_state(smpp::bind_state::bound_trx);

    const bytes one = encoded(submit(1, "split me anywhere"));
    for (std::size_t split = 1; split < one.size(); ++split) {
        CAPTURE(split);
        auto p = submit(static_cast<std::uint32_t>(split), "split me anywhere");
        const bytes wire = encoded(p);
        h.write(bytes(wire.begin(), wire.begin() + static_cast<long>(split)));
        h.poll();
        h.write(bytes(wire.begin() + static_cast<long>(split), wire.end()));
        REQUIRE(h.run_until([&] { return h.handler->requests.size() == split; }));
        CHECK(h.handler->requests.back() == p);
    }
    CHECK(h.handler->decode_errors.empty());
    CHECK(h.handler->closed.empty());
}

TEST_CASE("many PDUs in one write are all dispatched in order", "[session][framing]") {
    // A small read buffer makes the batch straddle buffer refills, which slide a partial PDU to
    // the front.
    harness_options options;
    options.config.read_buffer_size = 4096;
    harness h(options);
    h.session->set_state(smpp::bind_state::bound_trx);
    h.handler->auto_answer = true;

    constexpr std::uint32_t count = 500;
    bytes batch;
    for (std::uint32_t seq = 1; seq <= count; ++seq) {
        const bytes one = seq % 7 == 0 ? encoded(make<smpp::enquire_link>(seq))
                                       : encoded(submit(seq, "message " + std::to_string(seq)));
        batch.insert(batch.end(), one.begin(), one.end());
    }
    REQUIRE(batch.size() > 4 * 4096);
    h.write(batch);

    // Responses come back in request order, enquire_link_resp included.
    for (std::uint32_t seq = 1; seq <= count; ++seq) {
        auto resp = h.read_pdu();
        REQUIRE(resp);
        CHECK(resp->sequence_number == seq);
        CHECK(resp->command_id() == (seq % 7 == 0 ? smpp::command_id::enquire_link_resp
                                                  : smpp::command_id::submit_sm_resp));
    }
    std::uint32_t expected = 1;
    for (const auto& r : h.handler->requests) {
        if (expected % 7 == 0) {
            ++expected;
        }
        CHECK(r.sequence_number == expected);
        CHECK(std::get<smpp::submit_sm>(r.body).short_message.chars() ==
              "message " + std::to_string(expected));
        ++expected;
    }
    CHECK(h.handler->requests.size() == count - count / 7);
    CHECK(h.handler->closed.empty());
}

TEST_CASE("a PDU bigger than the read buffer is received intact", "[session][framing]") {
    harness_options options;
    options.config.read_buffer_size = 4096;
    harness h(options);
    h.session->set_state(smpp::bind_state::bound_trx);
    h.handler->auto_answer = true;

    auto big = submit(2, "");
    const bytes payload = pattern(60 * 1024);
    big.tlvs.set<smpp::tlv::message_payload>(payload);
    REQUIRE(encoded(big).size() > 60 * 1024);

    // Small PDUs on both sides of it in the same write, and a second big one after.
    auto big2 = big;
    big2.sequence_number = 4;
    h.write(concat(
        {encoded(submit(1, "before")), encoded(big), encoded(submit(3, "after")), encoded(big2)}));

    for (std::uint32_t seq = 1; seq <= 4; ++seq) {
        auto resp = h.read_pdu();
        REQUIRE(resp);
        CHECK(resp->sequence_number == seq);
        CHECK(resp->command_status == smpp::status::ESME_ROK);
    }
    REQUIRE(h.handler->requests.size() == 4);
    for (const std::size_t i : {1U, 3U}) {
        const auto got = h.handler->requests[i].tlvs.get<smpp::tlv::message_payload>();
        REQUIRE(got);
        CHECK(std::ranges::equal(*got, payload));
    }
    CHECK(std::get<smpp::submit_sm>(h.handler->requests[2].body).short_message.chars() == "after");
    CHECK(h.handler->closed.empty());
}

// ---- Our requests: window, matching, timeouts ----------------------------------------------

TEST_CASE("send_request numbers requests and matches responses out of order", "[session][window]") {
    harness h;
    h.session->set_state(smpp::bind_state::bound_trx);

    std::vector<std::uint32_t> seqs;
    for (std::uint64_t cookie = 100; cookie < 105; ++cookie) {
        auto request = submit(0, "to carrier");
        REQUIRE_FALSE(h.session->send_request(request, cookie));
        // The assigned number is written back into the caller's PDU.
        seqs.push_back(request.sequence_number);
    }
    CHECK(h.session->outstanding() == 5);
    CHECK(seqs == std::vector<std::uint32_t>{1, 2, 3, 4, 5});

    for (const auto seq : seqs) {
        auto sent = h.read_pdu();
        REQUIRE(sent);
        CHECK(sent->command_id() == smpp::command_id::submit_sm);
        CHECK(sent->sequence_number == seq);
        CHECK(sent->command_status == smpp::status::ESME_ROK);
    }

    // Answer in reverse order; each message_id names the sequence it answers.
    bytes answers;
    for (auto it = seqs.rbegin(); it != seqs.rend(); ++it) {
        const bytes one = encoded(submit_resp(*it, "id-" + std::to_string(*it)));
        answers.insert(answers.end(), one.begin(), one.end());
    }
    h.write(answers);
    REQUIRE(h.run_until([&] { return h.handler->responses.size() == 5; }));
    for (const auto& e : h.handler->responses) {
        REQUIRE(e.response);
        CHECK_FALSE(e.ec);
        const auto seq = static_cast<std::uint32_t>(e.cookie - 100 + 1);
        CHECK(e.response->sequence_number == seq);
        CHECK(std::get<smpp::submit_sm_resp>(e.response->body).message_id ==
              "id-" + std::to_string(seq));
    }
    CHECK(h.handler->responses.front().cookie == 104);
    CHECK(h.session->outstanding() == 0);

    // Numbering continues after the window drained.
    auto next = submit(0);
    REQUIRE_FALSE(h.session->send_request(next, 200));
    CHECK(next.sequence_number == 6);
}

TEST_CASE("generic_nack answers one of our requests", "[session][window]") {
    harness h;
    h.session->set_state(smpp::bind_state::bound_trx);
    auto request = submit(0);
    REQUIRE_FALSE(h.session->send_request(request, 7));
    REQUIRE(h.read_pdu());

    h.send(smpp::make_generic_nack(request.sequence_number, smpp::status::ESME_RINVCMDID));
    REQUIRE(h.run_until([&] { return !h.handler->responses.empty(); }));
    const auto& e = h.handler->responses[0];
    CHECK(e.cookie == 7);
    CHECK_FALSE(e.ec);
    REQUIRE(e.response);
    CHECK(e.response->command_id() == smpp::command_id::generic_nack);
    CHECK(e.response->command_status == smpp::status::ESME_RINVCMDID);
    CHECK(h.session->outstanding() == 0);
}

TEST_CASE("responses with an unknown sequence or the wrong type are ignored", "[session][window]") {
    harness h;
    h.session->set_state(smpp::bind_state::bound_trx);
    auto request = submit(0);
    REQUIRE_FALSE(h.session->send_request(request, 7));
    REQUIRE(h.read_pdu());
    const auto seq = request.sequence_number;

    h.write(concat({
        encoded(submit_resp(seq + 100, "stranger")),  // never ours
        encoded(make<smpp::deliver_sm_resp>(seq)),    // right number, wrong type
        encoded(make<smpp::enquire_link_resp>(seq)),  // likewise
        encoded(make<smpp::submit_sm_resp>(0)),       // sequence 0
        encoded(make<smpp::unbind_resp>(seq)),        // not waiting for unbind_resp
    }));
    h.sync();
    CHECK(h.handler->responses.empty());
    CHECK(h.session->outstanding() == 1);
    CHECK(h.handler->closed.empty());
    CHECK(h.session->state() == smpp::bind_state::bound_trx);

    h.send(submit_resp(seq, "mine"));
    REQUIRE(h.run_until([&] { return !h.handler->responses.empty(); }));
    REQUIRE(h.handler->responses.size() == 1);
    CHECK(h.handler->responses[0].cookie == 7);
    REQUIRE(h.handler->responses[0].response);
    CHECK(
        std::get<smpp::submit_sm_resp>(h.handler->responses[0].response->body).message_id.view() ==
        "mine");

    // A duplicate of the same response finds nothing waiting.
    h.send(submit_resp(seq, "again"));
    h.sync();
    CHECK(h.handler->responses.size() == 1);
}

TEST_CASE("a response that does not decode fails its request", "[session][window]") {
    harness h;
    h.session->set_state(smpp::bind_state::bound_trx);
    auto request = submit(0);
    REQUIRE_FALSE(h.session->send_request(request, 11));
    REQUIRE(h.read_pdu());

    // submit_sm_resp ESME_ROK whose message_id has no NUL within 65 octets.
    h.write(raw_pdu(0x80000004, request.sequence_number, bytes(80, 'x')));
    REQUIRE(h.run_until([&] { return !h.handler->responses.empty(); }));
    CHECK(h.handler->responses[0].cookie == 11);
    CHECK_FALSE(h.handler->responses[0].response);
    CHECK(h.handler->responses[0].ec == session_errc::malformed_response);
    CHECK(h.session->outstanding() == 0);
    h.sync();
    CHECK(h.handler->closed.empty());
}

TEST_CASE("send_request beyond the window fails with window_full", "[session][window]") {
    harness_options options;
    options.config.window = 3;
    harness h(options);
    h.session->set_state(smpp::bind_state::bound_trx);

    std::vector<std::uint32_t> seqs;
    for (std::uint64_t cookie = 1; cookie <= 3; ++cookie) {
        auto request = submit(0);
        REQUIRE_FALSE(h.session->send_request(request, cookie));
        seqs.push_back(request.sequence_number);
    }
    CHECK(h.session->window_full());
    auto refused = submit(0);
    CHECK(h.session->send_request(refused, 4) == session_errc::window_full);
    CHECK(h.session->outstanding() == 3);

    // Only the three admitted requests reached the wire.
    for (int i = 0; i < 3; ++i) {
        auto sent = h.read_pdu();
        REQUIRE(sent);
        CHECK(sent->command_id() == smpp::command_id::submit_sm);
    }
    h.sync();
    CHECK(h.nothing_unread());

    // A full outbound window does not stop the reader: the peer's requests still arrive.
    h.handler->auto_answer = true;
    h.send(make<smpp::deliver_sm>(50));
    auto dr = h.read_pdu();
    REQUIRE(dr);
    CHECK(dr->command_id() == smpp::command_id::deliver_sm_resp);

    // One answer frees one slot.
    h.send(submit_resp(seqs[1], "x"));
    REQUIRE(h.run_until([&] { return h.handler->responses.size() == 1; }));
    CHECK_FALSE(h.session->window_full());
    auto again = submit(0);
    CHECK_FALSE(h.session->send_request(again, 5));
    CHECK(h.session->send_request(refused, 6) == session_errc::window_full);
}

TEST_CASE("an unanswered request times out and frees its slot", "[session][window][timer]") {
    harness_options options;
    options.config.response_timeout = 100ms;
    options.config.window = 1;
    harness h(options);
    h.session->set_state(smpp::bind_state::bound_trx);

    auto request = submit(0);
    REQUIRE_FALSE(h.session->send_request(request, 42));
    REQUIRE(h.read_pdu());
    REQUIRE(h.run_until([&] { return !h.handler->responses.empty(); }));
    REQUIRE(h.handler->responses.size() == 1);
    CHECK(h.handler->responses[0].cookie == 42);
    CHECK_FALSE(h.handler->responses[0].response);
    CHECK(h.handler->responses[0].ec == session_errc::response_timeout);
    CHECK(h.session->outstanding() == 0);
    CHECK_FALSE(h.session->window_full());

    // The late response finds nothing waiting.
    h.send(submit_resp(request.sequence_number, "late"));
    h.sync();
    CHECK(h.handler->responses.size() == 1);
    CHECK(h.handler->closed.empty());

    // The freed slot takes a new request, which completes normally.
    auto next = submit(0);
    REQUIRE_FALSE(h.session->send_request(next, 43));
    CHECK(next.sequence_number != request.sequence_number);
    REQUIRE(h.read_pdu());
    h.send(submit_resp(next.sequence_number, "on time"));
    REQUIRE(h.run_until([&] { return h.handler->responses.size() == 2; }));
    CHECK(h.handler->responses[1].cookie == 43);
    CHECK_FALSE(h.handler->responses[1].ec);
}

TEST_CASE("closing fails every outstanding request once, then reports the close once",
          "[session][window]") {
    harness h;
    h.session->set_state(smpp::bind_state::bound_trx);
    for (std::uint64_t cookie = 1; cookie <= 3; ++cookie) {
        auto request = submit(0);
        REQUIRE_FALSE(h.session->send_request(request, cookie));
    }
    const bool by_peer = GENERATE(false, true);
    CAPTURE(by_peer);
    if (by_peer) {
        // Wait until the requests are on the wire, then hang up.
        for (int i = 0; i < 3; ++i) {
            REQUIRE(h.read_pdu());
        }
        h.peer.shutdown(tcp::socket::shutdown_send);
        REQUIRE(h.wait_closed());
    } else {
        h.session->close();
        h.session->close();  // idempotent
    }
    h.run_for(100ms);

    REQUIRE(h.handler->responses.size() == 3);
    std::vector<std::uint64_t> cookies;
    for (const auto& e : h.handler->responses) {
        CHECK_FALSE(e.response);
        CHECK(e.ec == session_errc::closed);
        cookies.push_back(e.cookie);
    }
    std::ranges::sort(cookies);
    CHECK(cookies == std::vector<std::uint64_t>{1, 2, 3});
    REQUIRE(h.handler->closed.size() == 1);
    if (by_peer) {
        CHECK(h.handler->closed[0] == session_errc::peer_closed);
    } else {
        CHECK_FALSE(h.handler->closed[0]);
        CHECK(h.wait_peer_eof());
    }
    CHECK(h.handler->log == std::vector<std::string>{"response", "response", "response", "closed"});
    CHECK(h.session->outstanding() == 0);
    CHECK(h.session->is_closed());

    auto late = submit(0);
    CHECK(h.session->send_request(late, 4) == session_errc::closed);
    CHECK(h.session->send_response(submit_resp(1, "x")) == session_errc::closed);
    h.session->unbind();
    h.run_for(50ms);
    CHECK(h.handler->responses.size() == 3);
    CHECK(h.handler->closed.size() == 1);
}

TEST_CASE("sequence numbers skip a ring slot still held by a long-outstanding request",
          "[session][window]") {
    // window 4 gives a ring of 16 slots: sequence 17 maps onto the slot of sequence 1.
    harness_options options;
    options.config.window = 4;
    harness h(options);
    h.session->set_state(smpp::bind_state::bound_trx);

    auto slow = submit(0, "slow");
    REQUIRE_FALSE(h.session->send_request(slow, 1000));
    REQUIRE(slow.sequence_number == 1);
    REQUIRE(h.read_pdu());

    std::vector<std::uint32_t> used{slow.sequence_number};
    for (std::uint64_t cookie = 1; cookie <= 40; ++cookie) {
        auto request = submit(0);
        REQUIRE_FALSE(h.session->send_request(request, cookie));
        used.push_back(request.sequence_number);
        auto sent = h.read_pdu();
        REQUIRE(sent);
        REQUIRE(sent->sequence_number == request.sequence_number);
        h.send(submit_resp(request.sequence_number, "fast"));
        REQUIRE(h.run_until([&] { return h.handler->responses.size() == cookie; }));
        CHECK(h.handler->responses.back().cookie == cookie);
    }
    // Numbers kept increasing, and none was handed out twice while sequence 1 was pending.
    CHECK(std::ranges::is_sorted(used));
    CHECK(std::ranges::adjacent_find(used) == used.end());
    CHECK(std::ranges::find(used, 17U) == used.end());

    h.send(submit_resp(slow.sequence_number, "finally"));
    REQUIRE(h.run_until([&] { return h.handler->responses.size() == 41; }));
    CHECK(h.handler->responses.back().cookie == 1000);
    CHECK(h.session->outstanding() == 0);
}

TEST_CASE("the owner may send, close and let go of the session from inside its callbacks",
          "[session][window]") {
    SECTION("a timed-out request is retried from on_response") {
        harness_options options;
        options.config.response_timeout = 100ms;
        options.config.window = 1;
        harness h(options);
        h.session->set_state(smpp::bind_state::bound_trx);
        h.handler->on_response_hook = [](smpp::session& s, const response_event& e) {
            if (e.ec == session_errc::response_timeout) {
                auto retry = submit(0, "retry");
                CHECK_FALSE(s.send_request(retry, e.cookie + 1));
            }
        };
        auto request = submit(0, "first");
        REQUIRE_FALSE(h.session->send_request(request, 1));
        REQUIRE(h.read_pdu());
        auto retried = h.read_pdu();
        REQUIRE(retried);
        CHECK(std::get<smpp::submit_sm>(retried->body).short_message.chars() == "retry");
        h.send(submit_resp(retried->sequence_number, "ok"));
        REQUIRE(h.run_until([&] { return h.handler->responses.size() == 2; }));
        CHECK(h.handler->responses[1].cookie == 2);
        CHECK_FALSE(h.handler->responses[1].ec);
    }

    SECTION("close from on_request and drop the last reference in on_closed") {
        harness h;
        h.session->set_state(smpp::bind_state::bound_trx);
        auto request = submit(0);
        REQUIRE_FALSE(h.session->send_request(request, 5));
        h.handler->on_request_hook = [](smpp::session& s, smpp::pdu&) { s.close(); };
        // Sending from on_response(closed) must fail quietly, not recurse into the close.
        h.handler->on_response_hook = [](smpp::session& s, const response_event&) {
            auto again = submit(0);
            CHECK(s.send_request(again, 6) == session_errc::closed);
        };
        h.handler->on_closed_hook = [&h](smpp::session&) { h.session.reset(); };
        // The second request after the closing one must not be dispatched.
        h.write(concat({encoded(submit(1)), encoded(submit(2))}));
        REQUIRE(h.wait_closed());
        h.run_for(50ms);
        CHECK(h.session == nullptr);
        CHECK(h.handler->requests.size() == 1);
        CHECK(h.handler->responses.size() == 1);
        CHECK(h.handler->closed.size() == 1);
        CHECK(h.wait_peer_eof());
    }
}

TEST_CASE("enquire_link probes go out even when the window is full", "[session][timer]") {
    harness_options options;
    options.config.window = 1;
    options.config.enquire_link_interval = 100ms;
    harness h(options);
    h.session->set_state(smpp::bind_state::bound_trx);
    auto request = submit(0);
    REQUIRE_FALSE(h.session->send_request(request, 1));
    REQUIRE(h.session->window_full());
    auto sent = h.read_pdu();
    REQUIRE(sent);
    CHECK(sent->command_id() == smpp::command_id::submit_sm);
    auto probe = h.read_pdu();
    REQUIRE(probe);
    CHECK(probe->command_id() == smpp::command_id::enquire_link);
    CHECK(probe->sequence_number != sent->sequence_number);
    h.send(make<smpp::enquire_link_resp>(probe->sequence_number));
    h.send(submit_resp(sent->sequence_number, "x"));
    REQUIRE(h.run_until([&] { return h.handler->responses.size() == 1; }));
    CHECK(h.handler->responses[0].cookie == 1);
    CHECK(h.handler->closed.empty());
}

// ---- Unbind --------------------------------------------------------------------------------

TEST_CASE("the peer's unbind is answered, reported, and the connection closed after the flush",
          "[session][unbind]") {
    harness h;
    h.session->set_state(smpp::bind_state::bound_trx);
    auto request = submit(0);
    REQUIRE_FALSE(h.session->send_request(request, 3));
    REQUIRE(h.read_pdu());

    h.send(make<smpp::unbind>(9));
    auto resp = h.read_pdu();
    REQUIRE(resp);
    CHECK(resp->command_id() == smpp::command_id::unbind_resp);
    CHECK(resp->sequence_number == 9);
    CHECK(resp->command_status == smpp::status::ESME_ROK);
    CHECK(h.wait_peer_eof());
    CHECK(h.nothing_unread());

    REQUIRE(h.wait_closed());
    h.run_for(50ms);
    CHECK(h.handler->unbinds == 1);
    REQUIRE(h.handler->closed.size() == 1);
    CHECK_FALSE(h.handler->closed[0]);
    REQUIRE(h.handler->responses.size() == 1);
    CHECK(h.handler->responses[0].ec == session_errc::closed);
    CHECK(h.handler->log == std::vector<std::string>{"unbind", "response", "closed"});
}

TEST_CASE("unbind while not bound is refused and the session stays", "[session][unbind]") {
    harness h;
    h.send(make<smpp::unbind>(4));
    auto resp = h.read_pdu();
    REQUIRE(resp);
    CHECK(resp->command_id() == smpp::command_id::unbind_resp);
    CHECK(resp->sequence_number == 4);
    CHECK(resp->command_status == smpp::status::ESME_RINVBNDSTS);
    h.sync();
    CHECK(h.handler->unbinds == 0);
    CHECK(h.handler->closed.empty());
    CHECK(h.session->state() == smpp::bind_state::open);
}

TEST_CASE("our unbind is answered by unbind_resp and the session closes cleanly",
          "[session][unbind]") {
    harness h;
    h.session->set_state(smpp::bind_state::bound_tx);
    h.session->unbind();
    CHECK(h.session->state() == smpp::bind_state::unbound);
    h.session->unbind();  // a second call while waiting changes nothing

    auto sent = h.read_pdu();
    REQUIRE(sent);
    CHECK(sent->command_id() == smpp::command_id::unbind);
    CHECK(sent->command_status == smpp::status::ESME_ROK);
    CHECK(sent->sequence_number >= 1);
    h.sync();
    CHECK(h.nothing_unread());  // exactly one unbind went out

    h.send(make<smpp::unbind_resp>(sent->sequence_number));
    CHECK(h.wait_peer_eof());
    REQUIRE(h.wait_closed());
    h.run_for(50ms);
    REQUIRE(h.handler->closed.size() == 1);
    CHECK_FALSE(h.handler->closed[0]);
    CHECK(h.handler->unbinds == 0);  // on_unbind is for the peer's unbind
}

TEST_CASE("an unanswered unbind closes the session after unbind_timeout", "[session][unbind]") {
    harness_options options;
    options.config.unbind_timeout = 100ms;
    harness h(options);
    h.session->set_state(smpp::bind_state::bound_rx);
    h.session->unbind();

    auto sent = h.read_pdu();
    REQUIRE(sent);
    CHECK(sent->command_id() == smpp::command_id::unbind);
    CHECK(h.wait_peer_eof());
    REQUIRE(h.wait_closed());
    REQUIRE(h.handler->closed.size() == 1);
    CHECK_FALSE(h.handler->closed[0]);
}

TEST_CASE("unbind before any bind just closes", "[session][unbind]") {
    harness h;
    h.session->unbind();
    REQUIRE(h.wait_closed());
    CHECK(h.wait_peer_eof());
    CHECK(h.received_bytes() == 0);
    CHECK_FALSE(h.handler->closed[0]);
}

TEST_CASE("requests arriving after we unbound are refused with ESME_RINVBNDSTS",
          "[session][unbind]") {
    harness h;
    h.session->set_state(smpp::bind_state::bound_trx);

    // A request received while bound that the owner answers late, and a request of ours.
    h.send(submit(10, "owed"));
    REQUIRE(h.run_until([&] { return h.handler->requests.size() == 1; }));
    const smpp::pdu owed = h.handler->requests[0];
    auto ours = submit(0);
    REQUIRE_FALSE(h.session->send_request(ours, 77));
    REQUIRE(h.read_pdu());

    h.session->unbind();
    auto unbind = h.read_pdu();
    REQUIRE(unbind);
    REQUIRE(unbind->command_id() == smpp::command_id::unbind);

    // New requests are refused with their own response, or generic_nack when they have none.
    smpp::alert_notification alert;
    alert.source_addr = "123";
    h.write(concat({encoded(submit(20)), encoded(make<smpp::deliver_sm>(21)),
                    encoded(make(22, alert)), encoded(make<smpp::enquire_link>(23))}));
    const std::vector<std::pair<smpp::command_id, smpp::command_status>> expected = {
        {smpp::command_id::submit_sm_resp, smpp::status::ESME_RINVBNDSTS},
        {smpp::command_id::deliver_sm_resp, smpp::status::ESME_RINVBNDSTS},
        {smpp::command_id::generic_nack, smpp::status::ESME_RINVBNDSTS},
        {smpp::command_id::enquire_link_resp, smpp::status::ESME_ROK},
    };
    std::uint32_t seq = 20;
    for (const auto& [id, status] : expected) {
        auto resp = h.read_pdu();
        REQUIRE(resp);
        CHECK(resp->command_id() == id);
        CHECK(resp->command_status == status);
        CHECK(resp->sequence_number == seq++);
    }
    CHECK(h.handler->requests.size() == 1);

    // Responses still owed go out, and responses to our requests still come in.
    REQUIRE_FALSE(h.session->send_response(smpp::make_response(owed, smpp::status::ESME_ROK)));
    auto late = h.read_pdu();
    REQUIRE(late);
    CHECK(late->command_id() == smpp::command_id::submit_sm_resp);
    CHECK(late->sequence_number == 10);
    h.send(submit_resp(ours.sequence_number, "done"));
    REQUIRE(h.run_until([&] { return h.handler->responses.size() == 1; }));
    CHECK(h.handler->responses[0].cookie == 77);
    CHECK_FALSE(h.handler->responses[0].ec);

    // A request in the same write as the unbind_resp is still refused before the close.
    h.write(
        concat({encoded(submit(30)), encoded(make<smpp::unbind_resp>(unbind->sequence_number))}));
    auto refused = h.read_pdu();
    REQUIRE(refused);
    CHECK(refused->command_id() == smpp::command_id::submit_sm_resp);
    CHECK(refused->sequence_number == 30);
    CHECK(refused->command_status == smpp::status::ESME_RINVBNDSTS);
    CHECK(h.wait_peer_eof());
    REQUIRE(h.wait_closed());
    CHECK_FALSE(h.handler->closed[0]);
    CHECK(h.handler->requests.size() == 1);
}

// ---- Timers --------------------------------------------------------------------------------

TEST_CASE("session_init_timeout closes a session that never binds", "[session][timer]") {
    harness_options options;
    options.config.session_init_timeout = 100ms;
    harness h(options);
    REQUIRE(h.wait_closed());
    CHECK(h.handler->closed == std::vector<std::error_code>{session_errc::session_init});
    CHECK(h.wait_peer_eof());
}

TEST_CASE("session_init_timeout does not touch a bound session", "[session][timer]") {
    harness_options options;
    options.config.session_init_timeout = 50ms;
    harness h(options);
    h.session->set_state(smpp::bind_state::bound_trx);
    h.run_for(300ms);
    h.sync();
    CHECK(h.handler->closed.empty());
}

TEST_CASE("inactivity_timeout closes a silent session", "[session][timer]") {
    harness_options options;
    options.config.inactivity_timeout = 100ms;
    harness h(options);
    h.session->set_state(smpp::bind_state::bound_trx);
    REQUIRE(h.wait_closed());
    CHECK(h.handler->closed == std::vector<std::error_code>{session_errc::inactivity});
    CHECK(h.wait_peer_eof());
}

TEST_CASE("traffic from the peer keeps inactivity_timeout away", "[session][timer]") {
    // Generous margins: the peer speaks every ~100 ms against a 1 s timeout.
    harness_options options;
    options.config.inactivity_timeout = 1000ms;
    harness h(options);
    h.session->set_state(smpp::bind_state::bound_trx);
    for (int i = 0; i < 20; ++i) {
        h.run_for(100ms);
        h.sync();
    }
    CHECK(h.handler->closed.empty());
}

TEST_CASE("partial_pdu_timeout closes a session whose PDU stays half-received",
          "[session][timer]") {
    const bytes whole = encoded(submit(1, "never finished"));
    const std::size_t prefix = GENERATE_COPY(2U, 10U, 16U, whole.size() - 1);
    CAPTURE(prefix);
    harness_options options;
    options.config.partial_pdu_timeout = 100ms;
    harness h(options);
    h.session->set_state(smpp::bind_state::bound_trx);
    h.write(bytes(whole.begin(), whole.begin() + static_cast<long>(prefix)));
    REQUIRE(h.wait_closed());
    CHECK(h.handler->closed == std::vector<std::error_code>{session_errc::partial_pdu});
    CHECK(h.handler->requests.empty());
}

TEST_CASE("partial_pdu_timeout spares a session whose PDUs complete", "[session][timer]") {
    harness_options options;
    options.config.partial_pdu_timeout = 500ms;
    harness h(options);
    h.session->set_state(smpp::bind_state::bound_trx);
    // Each PDU completes well within the timeout, while the stream as a whole spends longer
    // than the timeout half-received: the timer must measure each PDU, not the sum.
    for (std::uint32_t seq = 1; seq <= 10; ++seq) {
        const bytes one = encoded(submit(seq));
        h.write(bytes(one.begin(), one.begin() + 20));
        h.run_for(60ms);
        h.write(bytes(one.begin() + 20, one.end()));
        REQUIRE(h.run_until([&] { return h.handler->requests.size() == seq; }));
    }
    CHECK(h.handler->closed.empty());
}

TEST_CASE("enquire_link_interval probes an idle bound session", "[session][timer]") {
    harness_options options;
    options.config.enquire_link_interval = 100ms;
    options.config.response_timeout = 5s;
    harness h(options);
    h.session->set_state(smpp::bind_state::bound_trx);

    std::uint32_t previous = 0;
    for (int round = 0; round < 3; ++round) {
        auto probe = h.read_pdu();
        REQUIRE(probe);
        CHECK(probe->command_id() == smpp::command_id::enquire_link);
        CHECK(probe->command_status == smpp::status::ESME_ROK);
        CHECK(probe->sequence_number > previous);
        previous = probe->sequence_number;
        h.send(make<smpp::enquire_link_resp>(probe->sequence_number));
    }
    h.run_for(50ms);
    // Probes belong to the session: the owner never hears about them.
    CHECK(h.handler->responses.empty());
    CHECK(h.handler->closed.empty());
    CHECK(h.session->outstanding() <= 1);
}

TEST_CASE("an unanswered enquire_link closes the session", "[session][timer]") {
    harness_options options;
    options.config.enquire_link_interval = 100ms;
    options.config.response_timeout = 150ms;
    harness h(options);
    h.session->set_state(smpp::bind_state::bound_rx);
    auto probe = h.read_pdu();
    REQUIRE(probe);
    CHECK(probe->command_id() == smpp::command_id::enquire_link);
    REQUIRE(h.wait_closed());
    CHECK(h.handler->closed == std::vector<std::error_code>{session_errc::enquire_link_timeout});
    CHECK(h.wait_peer_eof());
}

TEST_CASE("no enquire_link is sent before the bind", "[session][timer]") {
    harness_options options;
    options.config.enquire_link_interval = 30ms;
    harness h(options);
    h.run_for(300ms);
    CHECK(h.received_bytes() == 0);
    CHECK(h.handler->closed.empty());
}

// ---- Slow readers --------------------------------------------------------------------------

TEST_CASE("requests to a peer that never reads stop at the write queue limit",
          "[session][backpressure]") {
    constexpr std::size_t limit = 64 * 1024;
    harness_options options;
    options.peer_reads = false;
    options.peer_receive_buffer = 4096;
    options.session_send_buffer = 4096;
    options.config.max_write_queue_bytes = limit;
    options.config.window = 4096;
    harness h(options);
    h.session->set_state(smpp::bind_state::bound_trx);

    smpp::data_sm d;
    d.source_addr = "12345";
    d.destination_addr = "67890";
    auto request = make(0, d);
    request.tlvs.set<smpp::tlv::message_payload>(pattern(8 * 1024));
    const std::size_t pdu_size = encoded(make(1, d)).size() + 4 + 8 * 1024;

    std::size_t admitted = 0;
    std::size_t most_queued = 0;
    std::error_code last;
    // 4000 x 8 KiB is far beyond any loopback buffering; the loop ends much earlier.
    for (int i = 0; i < 4000; ++i) {
        last = h.session->send_request(request, static_cast<std::uint64_t>(i));
        most_queued = std::max(most_queued, h.session->queued_bytes());
        if (last) {
            break;
        }
        ++admitted;
        h.poll();  // let the writer hand what it can to the kernel
    }
    CHECK(last == session_errc::write_queue_full);
    CHECK(admitted > 0);
    CHECK(most_queued <= limit + pdu_size);
    REQUIRE(h.handler->closed.size() == 1);
    CHECK(h.handler->closed[0] == session_errc::write_queue_full);
    // Every admitted request is accounted for exactly once.
    CHECK(h.handler->responses.size() == admitted);
    CHECK(std::ranges::all_of(h.handler->responses,
                              [](const auto& e) { return e.ec == session_errc::closed; }));
    CHECK(h.session->send_request(request, 9999) == session_errc::closed);
}

TEST_CASE("answers to a peer that floods requests but never reads stop at the write queue limit",
          "[session][backpressure]") {
    constexpr std::size_t limit = 64 * 1024;
    harness_options options;
    options.peer_reads = false;
    options.peer_receive_buffer = 4096;
    options.session_send_buffer = 4096;
    options.config.max_write_queue_bytes = limit;
    harness h(options);
    h.session->set_state(smpp::bind_state::bound_trx);

    bytes burst;
    for (std::uint32_t seq = 1; seq <= 1024; ++seq) {
        const bytes one = encoded(make<smpp::enquire_link>(seq));
        burst.insert(burst.end(), one.begin(), one.end());
    }
    std::size_t most_queued = 0;
    // The session keeps reading (a slow peer must not stall its reader) and answering, until
    // its unsent answers pass the limit. 2000 bursts are 32 MiB: far more than it takes.
    for (int i = 0; i < 2000 && h.handler->closed.empty(); ++i) {
        auto op = h.start_write(burst);
        (void)h.run_until([&] {
            most_queued = std::max(most_queued, h.session->queued_bytes());
            return op->done || !h.handler->closed.empty();
        });
    }
    REQUIRE(h.handler->closed.size() == 1);
    CHECK(h.handler->closed[0] == session_errc::write_queue_full);
    CHECK(most_queued <= limit + 16);
}

// ---- SMPP 3.3 peers ------------------------------------------------------------------------

TEST_CASE("TLVs are stripped from what we send to a peer bound as SMPP 3.3", "[session][tlv]") {
    const int version = GENERATE(0x33, 0x34);
    CAPTURE(version);
    harness h;
    h.session->set_state(smpp::bind_state::bound_trx);
    h.session->set_peer_interface_version(static_cast<std::uint8_t>(version));
    const bool tlvs_expected = version >= 0x34;

    // A request of ours.
    auto request = submit(0, "hello");
    request.tlvs.set<smpp::tlv::user_message_reference>(77);
    request.tlvs.set<smpp::tlv::source_port>(9200);
    REQUIRE_FALSE(h.session->send_request(request, 1));
    auto sent = h.read_pdu();
    REQUIRE(sent);
    CHECK(sent->command_id() == smpp::command_id::submit_sm);
    CHECK(std::get<smpp::submit_sm>(sent->body) == std::get<smpp::submit_sm>(request.body));
    CHECK(sent->tlvs.empty() != tlvs_expected);
    if (tlvs_expected) {
        CHECK(sent->tlvs == request.tlvs);
    }

    // And a response to one of the peer's requests.
    h.handler->on_request_hook = [](smpp::session& s, smpp::pdu& r) {
        auto resp = smpp::make_response(r, smpp::status::ESME_ROK);
        resp.tlvs.set<smpp::tlv::additional_status_info_text>("accepted");
        REQUIRE_FALSE(s.send_response(resp));
    };
    h.send(make<smpp::deliver_sm>(5));
    auto resp = h.read_pdu();
    REQUIRE(resp);
    CHECK(resp->command_id() == smpp::command_id::deliver_sm_resp);
    CHECK(resp->sequence_number == 5);
    CHECK(resp->tlvs.empty() != tlvs_expected);
}

// ---- pause_reading / resume_reading --------------------------------------------------------

TEST_CASE("PDUs after pause_reading wait for resume_reading, then arrive in order",
          "[session][backpressure]") {
    harness h;
    h.session->set_state(smpp::bind_state::bound_trx);
    std::vector<std::uint32_t> seqs;
    const auto dispatched = [&] {
        seqs.clear();
        std::ranges::transform(h.handler->requests, std::back_inserter(seqs), seq_of);
        return seqs;
    };

    SECTION("paused by the handler in the middle of a batch") {
        h.handler->on_request_hook = [](smpp::session& s, smpp::pdu& r) {
            if (r.sequence_number == 1) {
                s.pause_reading();
            }
        };
        h.write(concat({encoded(submit(1)), encoded(submit(2)),
                        encoded(make<smpp::enquire_link>(3)), encoded(submit(4))}));
        REQUIRE(h.run_until([&] { return h.handler->requests.size() == 1; }));
        h.write(encoded(submit(5)));  // more bytes while paused
        h.run_for(200ms);
        CHECK(dispatched() == std::vector<std::uint32_t>{1});
        CHECK(h.received_bytes() == 0);  // not even enquire_link is answered while paused

        h.session->resume_reading();
        REQUIRE(h.run_until([&] { return h.handler->requests.size() == 4; }));
        CHECK(dispatched() == std::vector<std::uint32_t>{1, 2, 4, 5});
        auto resp = h.read_pdu();
        REQUIRE(resp);
        CHECK(resp->sequence_number == 3);
    }

    SECTION("paused by the owner before anything arrives") {
        h.session->pause_reading();
        h.write(encoded(submit(1)));
        h.write(encoded(submit(2)));
        h.run_for(200ms);
        CHECK(h.handler->requests.empty());
        h.write(encoded(submit(3)));
        h.session->resume_reading();
        REQUIRE(h.run_until([&] { return h.handler->requests.size() == 3; }));
        CHECK(dispatched() == std::vector<std::uint32_t>{1, 2, 3});
    }

    SECTION("one PDU per resume") {
        h.handler->on_request_hook = [](smpp::session& s, smpp::pdu&) { s.pause_reading(); };
        bytes batch;
        for (std::uint32_t seq = 1; seq <= 5; ++seq) {
            const bytes one = encoded(submit(seq));
            batch.insert(batch.end(), one.begin(), one.end());
        }
        h.write(batch);
        for (std::size_t n = 1; n <= 5; ++n) {
            REQUIRE(h.run_until([&] { return h.handler->requests.size() == n; }));
            h.run_for(30ms);
            CHECK(h.handler->requests.size() == n);
            h.session->resume_reading();
        }
        CHECK(dispatched() == std::vector<std::uint32_t>{1, 2, 3, 4, 5});
    }

    SECTION("resume without pause and pause-resume before any data are harmless") {
        h.session->resume_reading();
        h.session->pause_reading();
        h.session->resume_reading();
        h.write(encoded(submit(1)));
        REQUIRE(h.run_until([&] { return h.handler->requests.size() == 1; }));
    }
    CHECK(h.handler->closed.empty());
}

// ---- Closing while the peer does not read --------------------------------------------------

namespace {

// Fills the kernel buffers towards a peer that does not read, until the session's writer is
// stuck with `at_least` bytes queued behind it.
void jam_writer(harness& h, std::size_t at_least) {
    smpp::data_sm d;
    d.source_addr = "12345";
    d.destination_addr = "67890";
    auto request = make(0, d);
    request.tlvs.set<smpp::tlv::message_payload>(pattern(8 * 1024));
    for (int i = 0; i < 4000 && h.session->queued_bytes() < at_least; ++i) {
        REQUIRE_FALSE(h.session->send_request(request, static_cast<std::uint64_t>(i)));
        h.poll();
    }
    REQUIRE(h.session->queued_bytes() >= at_least);
}

harness_options jammed_options() {
    harness_options options;
    options.peer_reads = false;
    options.peer_receive_buffer = 4096;
    options.session_send_buffer = 4096;
    options.config.window = 4096;
    options.config.unbind_timeout = 200ms;
    return options;
}

// Resident set size of this process, from /proc (Linux).
std::size_t resident_bytes() {
    std::ifstream statm("/proc/self/statm");
    std::size_t total = 0;
    std::size_t resident = 0;
    statm >> total >> resident;
    return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace

TEST_CASE("a close after flush gives up on a peer that stopped reading", "[session][unbind]") {
    harness h(jammed_options());
    h.session->set_state(smpp::bind_state::bound_trx);
    jam_writer(h, 64 * 1024);

    const int how = GENERATE(0, 1, 2);
    std::error_code expected;
    if (how == 0) {
        h.send(make<smpp::unbind>(5));  // answered after the backlog, which never drains
    } else if (how == 1) {
        h.write(raw_header(8, 0x00000004, 6));  // framing error: nack after the backlog
        expected = session_errc::framing_error;
    } else {
        h.session->unbind();  // our unbind is stuck behind the backlog too
    }
    CAPTURE(how);
    REQUIRE(h.wait_closed());
    CHECK(h.handler->closed == std::vector<std::error_code>{expected});
    CHECK(std::ranges::all_of(h.handler->responses,
                              [](const auto& e) { return e.ec == session_errc::closed; }));
}

TEST_CASE("a closing session does not buffer what the peer keeps sending",
          "[session][unbind][backpressure]") {
    auto options = jammed_options();
    options.config.unbind_timeout = 60s;  // the close stays pending for the whole flood
    harness h(options);
    h.session->set_state(smpp::bind_state::bound_trx);
    jam_writer(h, 64 * 1024);
    h.send(make<smpp::unbind>(5));
    REQUIRE(h.run_until([&] { return h.handler->unbinds == 1; }));

    // 64 MiB of traffic the session will never dispatch, sent from one buffer so that the
    // peer side allocates nothing meanwhile (ASan's quarantine would keep freed copies resident).
    const bytes chunk = pattern(1024 * 1024);
    const std::size_t before = resident_bytes();
    for (int i = 0; i < 64 && h.handler->closed.empty(); ++i) {
        auto op = h.start_write_view(chunk);
        REQUIRE(h.run_until([&] { return op->done; }));
        REQUIRE_FALSE(op->ec);
    }
    const std::size_t after = resident_bytes();
    CHECK(after < before + 32 * 1024 * 1024);
    CHECK(h.handler->closed.empty());
}
