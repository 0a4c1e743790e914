// Hostile and broken upstream peers against the real daemon: per-address connection and accept
// limits, bind lockout per address and per system_id, slow readers and slow writers (bounded
// memory, then disconnect; RSS read from /proc), oversized and malformed PDUs (SMPP.md §1.3,
// §6.1), a flood of garbage / silent / half-open connections beside a bound ESME that keeps
// working, and passwords that never reach the log.

#include <fcntl.h>

#include <algorithm>
#include <array>
#include <future>
#include <numeric>

#include "daemon.hpp"
#include "fake_smsc.hpp"
#include "hostile_peers.hpp"
#include "scenario.hpp"
#include "tls_pki.hpp"

using namespace smppgw::integration;
namespace smpp = smppgw::smpp;

namespace {

std::string plain_listener(std::uint16_t port, const std::string& extra = {}) {
    return fmt::format("[[listeners]]\nname = \"smpp\"\naddress = \"127.0.0.1:{}\"\n{}\n\n", port,
                       extra);
}

std::string gateway_toml(const daemon_ports& p, const std::filesystem::path& dir,
                         std::uint16_t carrier_port, const std::string& listener_extra,
                         const std::string& accounts) {
    return plain_listener(p.smpp, listener_extra) + accounts + carrier_toml("sim", carrier_port) +
           common_toml(p, dir, {"sim"});
}

std::optional<std::uint32_t> bind_from(std::uint16_t port, const std::string& source,
                                       const std::string& system_id, const std::string& password) {
    raw_peer p(port, source);
    if (!p.connected()) {
        return std::nullopt;
    }
    const auto r = p.call(make_bind(smpp::bind_type::transceiver, system_id, password), 10s);
    return r ? std::optional(r->command_status) : std::nullopt;
}

std::vector<std::uint8_t> bytes_of(smpp::pdu p, std::uint32_t sequence) {
    p.sequence_number = sequence;
    std::vector<std::uint8_t> out;
    REQUIRE_FALSE(smpp::encode(p, out));
    return out;
}

void store_length(std::vector<std::uint8_t>& b) {
    const auto n = static_cast<std::uint32_t>(b.size());
    b[0] = static_cast<std::uint8_t>(n >> 24);
    b[1] = static_cast<std::uint8_t>(n >> 16);
    b[2] = static_cast<std::uint8_t>(n >> 8);
    b[3] = static_cast<std::uint8_t>(n);
}

struct latency_stats {
    double p50 = 0;
    double p99 = 0;
    double max = 0;
};
latency_stats stats_of(std::vector<double> ms) {
    latency_stats s;
    if (ms.empty()) {
        return s;
    }
    std::sort(ms.begin(), ms.end());
    s.p50 = ms[ms.size() / 2];
    s.p99 = ms[std::min(ms.size() - 1, ms.size() * 99 / 100)];
    s.max = ms.back();
    return s;
}

}  // namespace

TEST_CASE("hostile: connections per address are capped at accept - closing frees the slot",
          "[hostile][integration]") {
    fake_smsc carrier;
    daemon_process gw([&](const daemon_ports& p, const std::filesystem::path& dir) {
        return gateway_toml(p, dir, carrier.port(),
                            "max_connections_per_ip = 4\naccept_rate_per_ip = 1000\n"
                            "session_init_timeout = \"30s\"",
                            account_toml("demo"));
    });
    gw.start();
    REQUIRE(gw.wait_ready());
    const auto port = gw.smpp_port();

    std::vector<std::unique_ptr<raw_peer>> held;
    for (int i = 0; i < 4; ++i) {
        held.push_back(std::make_unique<raw_peer>(port, "127.0.0.21"));
        REQUIRE(held.back()->connected());
    }
    std::this_thread::sleep_for(300ms);
    for (auto& h : held) {
        CHECK_FALSE(h->closed_now());
    }
    // The fifth from the same address: the kernel completes the handshake, the daemon closes it.
    raw_peer fifth(port, "127.0.0.21");
    REQUIRE(fifth.connected());
    CHECK(fifth.wait_eof(5s));
    CHECK(
        gw.wait_metric_at_least("smppgw_bind_failures_total", {{"reason", "connection_limit"}}, 1));
    // Another address is not affected.
    raw_peer neighbour(port, "127.0.0.22");
    REQUIRE(neighbour.connected());
    CHECK_FALSE(neighbour.wait_eof(300ms));
    // The held connections work: one binds and submits.
    const auto bound =
        held[0]->call(make_bind(smpp::bind_type::transceiver, "demo", demo_password));
    REQUIRE(bound);
    CHECK(bound->command_status == smpp::status::ESME_ROK);
    const auto sub =
        held[0]->call(make_submit(account_number, handset(1), "held " + token("lim", 1)));
    REQUIRE(sub);
    CHECK(sub->command_status == smpp::status::ESME_ROK);

    // Closing one frees its slot (once the daemon has seen the close).
    held.back()->close();
    held.pop_back();
    CHECK(eventually(
        [&] {
            raw_peer again(port, "127.0.0.21");
            return again.connected() && !again.wait_eof(300ms);
        },
        10s, 100ms));
}

TEST_CASE("hostile: new connections per address are rate limited", "[hostile][integration]") {
    fake_smsc carrier;
    daemon_process gw([&](const daemon_ports& p, const std::filesystem::path& dir) {
        return gateway_toml(p, dir, carrier.port(),
                            "max_connections_per_ip = 1000\naccept_rate_per_ip = 5\n"
                            "session_init_timeout = \"30s\"",
                            account_toml("demo"));
    });
    gw.start();
    REQUIRE(gw.wait_ready());
    const auto port = gw.smpp_port();

    constexpr int attempts = 20;
    std::vector<std::unique_ptr<raw_peer>> burst;
    const auto t0 = steady::now();
    for (int i = 0; i < attempts; ++i) {
        burst.push_back(std::make_unique<raw_peer>(port, "127.0.0.23"));
    }
    const auto spent = std::chrono::duration<double>(steady::now() - t0).count();
    std::this_thread::sleep_for(500ms);
    int refused = 0;
    for (auto& b : burst) {
        refused += b->closed_now() ? 1 : 0;
    }
    const int admitted = attempts - refused;
    std::printf(
        "accept rate limit 5/s (burst 5): %d of %d connections admitted in %.3f s, %d "
        "refused\n",
        admitted, attempts, spent, refused);
    // A bucket of 5 plus what refills while the burst is made.
    CHECK(admitted >= 1);
    CHECK(admitted <= 5 + static_cast<int>(spent * 5) + 1);
    CHECK(gw.wait_metric_at_least("smppgw_bind_failures_total", {{"reason", "connection_limit"}},
                                  refused));
    // Other addresses have their own bucket; this one refills.
    raw_peer other(port, "127.0.0.24");
    CHECK_FALSE(other.wait_eof(300ms));
    std::this_thread::sleep_for(1200ms);
    raw_peer later(port, "127.0.0.23");
    CHECK_FALSE(later.wait_eof(300ms));
}

TEST_CASE("hostile: repeated bad binds lock out the system_id and the address",
          "[hostile][integration][bind]") {
    fake_smsc carrier;
    daemon_process gw([&](const daemon_ports& p, const std::filesystem::path& dir) {
        return gateway_toml(p, dir, carrier.port(), "",
                            account_toml("demo") + account_toml("other"));
    });
    gw.start();
    REQUIRE(gw.wait_ready());
    const auto port = gw.smpp_port();

    SECTION("per system_id: five bad passwords from five addresses lock the account") {
        for (int i = 0; i < 5; ++i) {
            CHECK(bind_from(port, fmt::format("127.0.0.{}", 31 + i), "demo",
                            "guess" + std::to_string(i)) == smpp::status::ESME_RINVPASWD);
        }
        CHECK(gw.wait_metric_at_least("smppgw_auth_lockouts_total", {{"scope", "system_id"}}, 1));
        // From a fresh address, the right password is refused too: nothing tells it was right.
        CHECK(bind_from(port, "127.0.0.36", "demo", demo_password) == smpp::status::ESME_RBINDFAIL);
        CHECK(bind_from(port, "127.0.0.37", "demo", "guess9") == smpp::status::ESME_RBINDFAIL);
        // Other accounts, from the same addresses, are not locked.
        CHECK(bind_from(port, "127.0.0.31", "other", demo_password) == smpp::status::ESME_ROK);
        CHECK(gw.metric("smppgw_auth_lockouts_total", {{"scope", "ip"}}) == 0);
        CHECK(gw.metric("smppgw_bind_failures_total", {{"reason", "locked_out"}}) == 2);
    }
    SECTION("per address: five failed binds for different system_ids lock the address") {
        for (int i = 0; i < 5; ++i) {
            CHECK(bind_from(port, "127.0.0.40", fmt::format("nobody{}", i), demo_password) ==
                  smpp::status::ESME_RINVSYSID);
        }
        CHECK(gw.wait_metric_at_least("smppgw_auth_lockouts_total", {{"scope", "ip"}}, 1));
        CHECK(bind_from(port, "127.0.0.40", "other", demo_password) ==
              smpp::status::ESME_RBINDFAIL);
        CHECK(bind_from(port, "127.0.0.41", "other", demo_password) == smpp::status::ESME_ROK);
        CHECK(gw.metric("smppgw_auth_lockouts_total", {{"scope", "system_id"}}) == 0);
    }
    const auto log = gw.log_text();
    CHECK(log.find("bind lockout") != std::string::npos);
}

TEST_CASE(
    "hostile: slow readers hit the write-queue bound and are disconnected - RSS stays bounded",
    "[hostile][integration][memory]") {
    fake_smsc carrier;
    daemon_process gw([&](const daemon_ports& p, const std::filesystem::path& dir) {
        return gateway_toml(p, dir, carrier.port(),
                            "max_connections_per_ip = 500\naccept_rate_per_ip = 1000\n"
                            "max_write_queue_bytes = 65536",
                            account_toml("demo", "max_binds = 100"));
    });
    gw.start();
    REQUIRE(gw.wait_ready());
    const auto port = gw.smpp_port();

    // Each reader binds, then pipelines enquire_link (16 octets, answered with 16) and never
    // reads: the answers pile up in its 4 KiB receive buffer, the daemon's socket buffer, then
    // the session's write queue, which is capped at 64 KiB.
    constexpr unsigned readers = 16;
    struct outcome {
        bool bound = false;
        bool closed = false;
        std::uint64_t sent = 0;
    };
    std::atomic<unsigned> ready{0};
    auto reader = [&](unsigned) {
        outcome o;
        raw_peer p(port, "127.0.0.1", 4096);
        const auto r = p.call(make_bind(smpp::bind_type::transceiver, "demo", demo_password), 20s);
        o.bound = r && r->command_status == smpp::status::ESME_ROK;
        ++ready;
        if (!o.bound) {
            return o;
        }
        std::vector<std::uint8_t> chunk;
        for (std::uint32_t seq = 1; seq <= 4096; ++seq) {
            // enquire_link: command_length 16, command_id 0x15, status 0, then the sequence.
            std::array<std::uint8_t, 16> pdu{0, 0, 0, 16, 0, 0, 0, 0x15};
            for (unsigned i = 0; i < 4; ++i) {
                pdu[12 + i] = static_cast<std::uint8_t>(seq >> (24U - 8U * i));
            }
            chunk.insert(chunk.end(), pdu.begin(), pdu.end());
        }
        std::size_t offset = 0;
        const auto deadline = steady::now() + 60s;
        while (steady::now() < deadline) {
            const ssize_t n = ::send(p.fd(), chunk.data() + offset, chunk.size() - offset,
                                     MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n > 0) {
                o.sent += static_cast<std::uint64_t>(n);
                offset = (offset + static_cast<std::size_t>(n)) % chunk.size();
                continue;
            }
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                pollfd pf{p.fd(), POLLOUT, 0};
                ::poll(&pf, 1, 100);
                if ((pf.revents & (POLLERR | POLLHUP)) != 0) {
                    o.closed = true;
                    break;
                }
                continue;
            }
            o.closed = true;  // EPIPE / ECONNRESET: the daemon closed it
            break;
        }
        return o;
    };

    const auto rss_before = gw.rss_kib();
    std::vector<std::future<outcome>> futures;
    for (unsigned i = 0; i < readers; ++i) {
        futures.push_back(std::async(std::launch::async, reader, i));
    }
    std::size_t rss_peak = rss_before;
    for (auto& f : futures) {
        while (f.wait_for(100ms) != std::future_status::ready) {
            rss_peak = std::max(rss_peak, gw.rss_kib());
        }
    }
    std::uint64_t sent = 0;
    unsigned closed = 0;
    unsigned bound = 0;
    for (auto& f : futures) {
        const auto o = f.get();
        sent += o.sent;
        closed += o.closed ? 1 : 0;
        bound += o.bound ? 1 : 0;
    }
    const auto growth_kib = rss_peak > rss_before ? rss_peak - rss_before : 0;
    std::printf(
        "slow readers: %u bound, %u disconnected by the daemon after %.1f MiB of requests "
        "(%.1f MiB of answers owed); daemon RSS %zu KiB -> peak %zu KiB (+%zu KiB)\n",
        bound, closed, static_cast<double>(sent) / 1048576.0, static_cast<double>(sent) / 1048576.0,
        rss_before, rss_peak, growth_kib);
    CHECK(bound == readers);
    CHECK(closed == readers);
    // Memory must not follow what the readers refuse to take: 16 sessions x 64 KiB queues plus
    // buffers are a few MiB; allow generously for allocator and ASan overhead.
#if defined(__SANITIZE_THREAD__)
    // TSan keeps a shadow of all memory touched and up to 32 MiB of access history per thread
    // (history_size=7 in the tsan preset): measured +67 MiB here, which says nothing about the
    // write queues. The functional checks stay.
    WARN("RSS bound not checked under ThreadSanitizer; growth " << growth_kib << " KiB");
#else
    CHECK(growth_kib < 64 * 1024);
    CHECK(static_cast<double>(growth_kib) * 1024.0 < static_cast<double>(sent) / 2.0);
#endif
    CHECK(eventually([&] { return gw.log_text().find("write queue full") != std::string::npos; }));
    // The daemon serves others afterwards.
    test_esme esme(gw.smpp_port());
    bind_ok(esme, smpp::bind_type::transceiver);
    CHECK(esme.call(make_submit(account_number, handset(2), "after slow readers")).status() ==
          smpp::status::ESME_ROK);
}

TEST_CASE("hostile: slow writers are dropped: half-sent PDUs time out, bound or not",
          "[hostile][integration][memory]") {
    fake_smsc carrier;
    daemon_process gw([&](const daemon_ports& p, const std::filesystem::path& dir) {
        return gateway_toml(p, dir, carrier.port(),
                            "max_connections_per_ip = 500\naccept_rate_per_ip = 1000\n"
                            "session_init_timeout = \"3s\"",
                            account_toml("demo", "max_binds = 100"));
    });
    gw.start();
    REQUIRE(gw.wait_ready());
    const auto port = gw.smpp_port();

    // Each announces a 60,000-octet submit_sm (under the 66,048 ceiling, so the daemon sizes a
    // buffer for it) and then trickles one octet every 500 ms.
    constexpr unsigned per_kind = 24;
    std::vector<std::unique_ptr<raw_peer>> bound_writers;
    std::vector<std::unique_ptr<raw_peer>> unbound_writers;
    for (unsigned i = 0; i < per_kind; ++i) {
        auto b = std::make_unique<raw_peer>(port);
        const auto r = b->call(make_bind(smpp::bind_type::transceiver, "demo", demo_password), 20s);
        REQUIRE(r);
        REQUIRE(r->command_status == smpp::status::ESME_ROK);
        bound_writers.push_back(std::move(b));
        unbound_writers.push_back(std::make_unique<raw_peer>(port));
    }
    const auto rss_before = gw.rss_kib();
    std::vector<std::uint8_t> head{0x00, 0x00, 0xEA, 0x60, 0x00, 0x00, 0x00, 0x04,
                                   0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07};
    head.resize(16 + 1000, 'y');
    const auto t0 = steady::now();
    for (unsigned i = 0; i < per_kind; ++i) {
        CHECK(bound_writers[i]->send_bytes(head));
        CHECK(unbound_writers[i]->send_bytes(head));
    }
    std::vector<double> bound_closed_after(per_kind, -1);
    std::vector<double> unbound_closed_after(per_kind, -1);
    std::size_t rss_peak = rss_before;
    const std::vector<std::uint8_t> one{'z'};
    const auto deadline = t0 + 25s;
    auto all_closed = [](const std::vector<double>& v) {
        return std::none_of(v.begin(), v.end(), [](double d) { return d < 0; });
    };
    while (steady::now() < deadline &&
           !(all_closed(bound_closed_after) && all_closed(unbound_closed_after))) {
        std::this_thread::sleep_for(500ms);
        rss_peak = std::max(rss_peak, gw.rss_kib());
        const double since = std::chrono::duration<double>(steady::now() - t0).count();
        for (unsigned i = 0; i < per_kind; ++i) {
            for (auto [peers, closed_after] :
                 {std::pair{&bound_writers, &bound_closed_after},
                  std::pair{&unbound_writers, &unbound_closed_after}}) {
                if ((*closed_after)[i] >= 0) {
                    continue;
                }
                if ((*peers)[i]->closed_now()) {
                    (*closed_after)[i] = since;
                } else {
                    (void)(*peers)[i]->send_bytes(one);
                }
            }
        }
    }
    const auto worst = [](const std::vector<double>& v) {
        return *std::max_element(v.begin(), v.end());
    };
    std::printf(
        "slow writers: unbound closed after at most %.1f s (session_init 3 s), bound after "
        "at most %.1f s (partial-PDU timeout 10 s); RSS %zu -> peak %zu KiB\n",
        worst(unbound_closed_after), worst(bound_closed_after), rss_before, rss_peak);
    CHECK(all_closed(unbound_closed_after));
    CHECK(all_closed(bound_closed_after));
    CHECK(worst(unbound_closed_after) < 10.0);
    CHECK(rss_peak - std::min(rss_peak, rss_before) < 64 * 1024);
    const auto log = gw.log_text();
    CHECK(log.find("partial PDU not completed in time") != std::string::npos);
}

TEST_CASE("hostile: oversized and malformed PDUs are answered as SMPP.md says",
          "[hostile][integration][malformed]") {
    fake_smsc carrier;
    daemon_process gw([&](const daemon_ports& p, const std::filesystem::path& dir) {
        return gateway_toml(p, dir, carrier.port(), "max_command_length = 66048",
                            account_toml("demo"));
    });
    gw.start();
    REQUIRE(gw.wait_ready());
    const auto port = gw.smpp_port();

    auto bound_peer = [&] {
        auto p = std::make_unique<raw_peer>(port);
        const auto r = p->call(make_bind(smpp::bind_type::transceiver, "demo", demo_password));
        REQUIRE(r);
        REQUIRE(r->command_status == smpp::status::ESME_ROK);
        return p;
    };
    // Sends raw bytes, returns the daemon's next response or generic_nack. Receipts for the
    // submits before (deliver_sm requests on this transceiver) may come first: skipped.
    auto exchange = [](raw_peer& p, const std::vector<std::uint8_t>& bytes) {
        REQUIRE(p.send_bytes(bytes));
        for (;;) {
            auto r = p.read_pdu(10s);
            if (!r || r->command_id() != smpp::command_id::deliver_sm) {
                return r;
            }
        }
    };
    unsigned n = 0;
    auto still_works = [&](raw_peer& p) {
        ++n;
        const auto r = p.call(make_submit(account_number, handset(n), "ok " + token("mal", n)));
        REQUIRE(r);
        CHECK(r->command_id() == smpp::command_id::submit_sm_resp);
        CHECK(r->command_status == smpp::status::ESME_ROK);
    };

    SECTION("recoverable: the request's own response with the matching status, session goes on") {
        auto p = bound_peer();
        const std::string text = "hello";
        {
            // sm_length says 200 octets; 5 follow (NEGATIVE_deliver_sm_sm_length_overrun shape).
            auto b = bytes_of(make_submit(account_number, handset(1), text), 11);
            b[b.size() - text.size() - 1] = 200;
            const auto r = exchange(*p, b);
            REQUIRE(r);
            CHECK(r->command_id() == smpp::command_id::submit_sm_resp);
            CHECK(r->sequence_number == 11);
            CHECK(r->command_status == smpp::status::ESME_RINVMSGLEN);
            still_works(*p);
        }
        {
            // A TLV announcing 0x41 octets with 5 present (NEGATIVE_deliver_sm_tlv_overrun shape).
            auto b = bytes_of(make_submit(account_number, handset(1), text), 12);
            b.insert(b.end(), {0x02, 0x04, 0x00, 0x41, 1, 2, 3, 4, 5});
            store_length(b);
            const auto r = exchange(*p, b);
            REQUIRE(r);
            CHECK(r->command_id() == smpp::command_id::submit_sm_resp);
            CHECK(r->sequence_number == 12);
            CHECK(r->command_status == smpp::status::ESME_RINVOPTPARSTREAM);
            still_works(*p);
        }
        {
            // A source_addr with no terminator before the PDU ends.
            std::vector<std::uint8_t> b{
                0, 0, 0,   0,   0,   0,   0,  4, 0, 0, 0, 0, 0, 0, 0, 13, 0 /* service_type */,
                1, 1, '1', '5', '5', '5', '0'};
            store_length(b);
            const auto r = exchange(*p, b);
            REQUIRE(r);
            CHECK(r->command_id() == smpp::command_id::submit_sm_resp);
            CHECK(r->sequence_number == 13);
            CHECK(r->command_status == smpp::status::ESME_RINVCMDLEN);
            still_works(*p);
        }
        {
            // A source_addr longer than its 21-octet maximum.
            std::vector<std::uint8_t> b{0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 14, 0, 1, 1};
            b.insert(b.end(), 30, '7');
            b.insert(b.end(), {0, 1, 1, '1', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
            store_length(b);
            const auto r = exchange(*p, b);
            REQUIRE(r);
            CHECK(r->sequence_number == 14);
            CHECK(r->command_status == smpp::status::ESME_RINVSRCADR);
            still_works(*p);
        }
        {
            // An unknown command_id: generic_nack ESME_RINVCMDID with its sequence number.
            const auto r = exchange(*p, {0, 0, 0, 16, 0, 0, 0x7F, 0x01, 0, 0, 0, 0, 0, 0, 0, 15});
            REQUIRE(r);
            CHECK(r->command_id() == smpp::command_id::generic_nack);
            CHECK(r->sequence_number == 15);
            CHECK(r->command_status == smpp::status::ESME_RINVCMDID);
            still_works(*p);
        }
        {
            // A response nobody asked for is dropped without an answer.
            auto resp = smpp::make_response(make_submit(account_number, handset(1), text),
                                            smpp::status::ESME_ROK);
            REQUIRE(p->send_bytes(bytes_of(resp, 999)));
            still_works(*p);
        }
        CHECK_FALSE(p->closed_now());
    }
    SECTION("command_length below 16: generic_nack ESME_RINVCMDLEN (sequence 0), then close") {
        auto p = bound_peer();
        const auto r = exchange(*p, {0, 0, 0, 8, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 21});
        REQUIRE(r);
        CHECK(r->command_id() == smpp::command_id::generic_nack);
        CHECK(r->command_status == smpp::status::ESME_RINVCMDLEN);
        CHECK(r->sequence_number == 0);
        CHECK(p->wait_eof(5s));
    }
    SECTION("command_length over the ceiling: refused from the header alone, then close") {
        auto p = bound_peer();
        // 70,000 announced, only the header sent: the daemon must not wait for the body.
        const auto r = exchange(*p, {0, 1, 0x11, 0x70, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 22});
        REQUIRE(r);
        CHECK(r->command_id() == smpp::command_id::generic_nack);
        CHECK(r->command_status == smpp::status::ESME_RINVCMDLEN);
        CHECK(p->wait_eof(5s));
    }
    SECTION("the same before any bind") {
        raw_peer p(port);
        const auto r = exchange(p, {0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 1});
        REQUIRE(r);
        CHECK(r->command_id() == smpp::command_id::generic_nack);
        CHECK(r->command_status == smpp::status::ESME_RINVCMDLEN);
        CHECK(p.wait_eof(5s));
    }
    // Nothing malformed reached the carrier; what was accepted did.
    CHECK(carrier.wait([&](const fake_smsc::state_view& v) { return v.answered_ok() >= n; }));
    for (const auto& s : carrier.submits()) {
        CHECK(token_in(s.text).rfind("#mal-", 0) == 0);
    }
}

TEST_CASE("hostile: a flood of garbage connections leaves a bound session unaffected",
          "[hostile][integration][flood]") {
    fake_smsc carrier;
    daemon_process gw([&](const daemon_ports& p, const std::filesystem::path& dir) {
        // The default per-address limits (64 connections, 50/s); unbound sockets live 2 s.
        return gateway_toml(p, dir, carrier.port(), "session_init_timeout = \"2s\"",
                            account_toml("demo"));
    });
    gw.start();
    REQUIRE(gw.wait_ready());

    test_esme esme(gw.smpp_port());
    bind_ok(esme, smpp::bind_type::transceiver);
    unsigned i = 0;
    std::vector<std::string> accepted;
    auto submit_for = [&](std::chrono::milliseconds how_long, std::vector<double>& latencies_ms,
                          unsigned& failures) {
        const auto end = steady::now() + how_long;
        while (steady::now() < end) {
            const auto tok = token("fl", ++i);
            const auto t = steady::now();
            const auto r =
                esme.call(make_submit(account_number, handset(i % 5000), "flood " + tok + " x", 0));
            latencies_ms.push_back(
                std::chrono::duration<double, std::milli>(steady::now() - t).count());
            if (r.status() == smpp::status::ESME_ROK) {
                accepted.push_back(tok);
            } else {
                ++failures;
            }
            std::this_thread::sleep_for(5ms);
        }
    };

    std::vector<double> calm;
    unsigned calm_failures = 0;
    submit_for(2s, calm, calm_failures);
    const auto fds_before = gw.open_fds();
    const auto rss_before = gw.rss_kib();

    // 8 addresses x 4 kinds x 12 = 384 hostile connections at any time, reopened as they close.
    std::vector<std::string> sources;
    for (int a = 1; a <= 8; ++a) {
        sources.push_back(fmt::format("127.0.1.{}", a));
    }
    connection_flood flood(gw.smpp_port(), sources, 12);
    flood.start();
    std::this_thread::sleep_for(1s);
    std::vector<double> stormy;
    unsigned stormy_failures = 0;
    std::size_t fds_peak = 0;
    std::size_t rss_peak = 0;
    {
        auto sampler = std::async(std::launch::async, [&] {
            const auto end = steady::now() + 9s;
            while (steady::now() < end) {
                fds_peak = std::max(fds_peak, gw.open_fds());
                rss_peak = std::max(rss_peak, gw.rss_kib());
                std::this_thread::sleep_for(200ms);
            }
        });
        submit_for(8s, stormy, stormy_failures);
    }
    flood.stop();

    const auto c = stats_of(calm);
    const auto s = stats_of(stormy);
    const auto m = gw.metrics();
    std::printf(
        "flood: %llu hostile connections opened (peak %zu open at once, %llu closed by the daemon, "
        "%.1f KiB of garbage); daemon fds %zu -> peak %zu, RSS %zu -> peak %zu KiB; refused at "
        "accept %.0f\n"
        "bound ESME: calm %zu submits p50 %.2f ms p99 %.2f ms max %.2f ms; during the flood %zu "
        "submits p50 %.2f ms p99 %.2f ms max %.2f ms; failures %u/%u\n",
        static_cast<unsigned long long>(flood.opened()), flood.peak_open(),
        static_cast<unsigned long long>(flood.closed_by_peer()),
        static_cast<double>(flood.garbage_bytes()) / 1024.0, fds_before, fds_peak, rss_before,
        rss_peak, metric_value(m, "smppgw_bind_failures_total", {{"reason", "connection_limit"}}),
        calm.size(), c.p50, c.p99, c.max, stormy.size(), s.p50, s.p99, s.max, calm_failures,
        stormy_failures);
    CHECK(calm_failures == 0);
    CHECK(stormy_failures == 0);
    CHECK_FALSE(esme.closed());
    CHECK(flood.peak_open() >= 200);
    CHECK(flood.closed_by_peer() >= 100);
    // Generous: only a starved or blocked I/O thread misses it.
    CHECK(s.p99 < 1000.0);
    // Everything accepted reached the carrier.
    CHECK(carrier.wait(
        [&](const fake_smsc::state_view& v) { return v.answered_ok() >= accepted.size(); }));
    // The flood's sockets are all gone again once the session-init time has passed.
    CHECK(eventually([&] { return gw.open_fds() <= fds_before + 4; }, 15s, 200ms));
}

TEST_CASE("hostile: passwords never reach the log, even at trace level",
          "[hostile][integration][security]") {
    temp_dir work("smppgw-pw");
    // SMPP passwords are at most 8 characters; these do not occur anywhere else.
    const std::string good = "Gd5kQ8zm";
    const std::string wrong[] = {"Wr7kL3pq", "Wr8nB4qx", "Wr9vT6yz"};
    const std::string unknown_account_pw = "Uk3vT6yh";
    run_command({SMPPGW_BINARY, "hash-password", good}, work / "hash.out");
    std::string hash = read_file(work / "hash.out");
    hash.erase(hash.find_last_not_of("\r\n") + 1);
    REQUIRE(hash.rfind("$y$", 0) == 0);

    fake_smsc carrier;
    daemon_process gw([&](const daemon_ports& p, const std::filesystem::path& dir) {
        return plain_listener(p.smpp) + account_toml("secret", "", hash) +
               carrier_toml("sim", carrier.port()) + common_toml(p, dir, {"sim"}, "trace");
    });
    gw.start();
    REQUIRE(gw.wait_ready());

    for (const auto& w : wrong) {
        test_esme esme(gw.smpp_port());
        const auto r = esme.bind(smpp::bind_type::transceiver, "secret", w);
        CHECK(r.status() == smpp::status::ESME_RINVPASWD);
    }
    {
        test_esme esme(gw.smpp_port());
        CHECK(esme.bind(smpp::bind_type::transceiver, "ghost", unknown_account_pw).status() ==
              smpp::status::ESME_RINVSYSID);
    }
    {
        test_esme esme(gw.smpp_port());
        const auto r = esme.bind(smpp::bind_type::transceiver, "secret", good);
        REQUIRE(r.status() == smpp::status::ESME_ROK);
        CHECK(esme.call(make_submit(account_number, handset(1), "hello " + token("pw", 1)))
                  .status() == smpp::status::ESME_ROK);
        const auto binds = http_get(gw.admin_port(), "/v1/binds", admin_token);
        CHECK(binds.status == 200);
        CHECK(binds.body.find(good) == std::string::npos);
        CHECK(esme.unbind());
    }
    // A reload (which re-reads the file holding the carrier password) and an orderly stop add
    // their own log lines.
    REQUIRE(gw.reload());
    const auto metrics = gw.metrics();
    CHECK(gw.terminate());
    const auto log = gw.log_text();
    INFO(log);
    CHECK(log.find("bind refused: system_id=secret") != std::string::npos);  // it did log
    CHECK(log.find("bound: system_id=secret") != std::string::npos);
    for (const auto& secret :
         {good, wrong[0], wrong[1], wrong[2], unknown_account_pw, std::string("cPw7Qx9z"), hash}) {
        INFO("secret " << secret);
        CHECK(log.find(secret) == std::string::npos);
        CHECK(metrics.find(secret) == std::string::npos);
    }
}
