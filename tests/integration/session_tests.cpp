// The daemon's SMPP server face on loopback: binds with good and bad credentials, and PDUs that
// arrive in the wrong session state (SMPP.md §6.1).

#include "scenario.hpp"

using namespace smppgw::integration;
namespace smpp = smppgw::smpp;

TEST_CASE("bind with good and bad credentials", "[integration][bind]") {
    fake_smsc carrier;
    auto spec = one_carrier_spec(carrier);
    account_spec tx_only;
    tx_only.system_id = "txonly";
    tx_only.bind_types = {"transmitter"};
    spec.accounts.push_back(tx_only);
    gateway_process gw(spec);
    gw.start();
    REQUIRE(gw.wait_ready());

    // Every bind type with the right password.
    for (const auto type :
         {smpp::bind_type::transmitter, smpp::bind_type::receiver, smpp::bind_type::transceiver}) {
        test_esme esme(gw.smpp_port());
        const auto r = esme.bind(type, "demo", demo_password);
        REQUIRE(r.pdu);
        CHECK(r.pdu->command_status == smpp::status::ESME_ROK);
        const auto* fields = std::visit(
            [](const auto& b) -> const smpp::bind_resp_fields* {
                if constexpr (std::is_base_of_v<smpp::bind_resp_fields,
                                                std::decay_t<decltype(b)>>) {
                    return &b;
                } else {
                    return nullptr;
                }
            },
            r.pdu->body);
        REQUIRE(fields != nullptr);
        CHECK(fields->system_id.view() == "smppgw");
        CHECK(esme.unbind());
    }

    // Wrong password: ESME_RINVPASWD, then the daemon closes the connection.
    {
        test_esme esme(gw.smpp_port());
        const auto r = esme.bind(smpp::bind_type::transceiver, "demo", "wrong123");
        REQUIRE(r.pdu);
        CHECK(r.pdu->command_status == smpp::status::ESME_RINVPASWD);
        CHECK(esme.wait_closed());
    }
    // Unknown system_id: ESME_RINVSYSID, then closed.
    {
        test_esme esme(gw.smpp_port());
        const auto r = esme.bind(smpp::bind_type::transceiver, "nobody", demo_password);
        REQUIRE(r.pdu);
        CHECK(r.pdu->command_status == smpp::status::ESME_RINVSYSID);
        CHECK(esme.wait_closed());
    }
    // A bind type the account may not use: ESME_RBINDFAIL, then closed.
    {
        test_esme esme(gw.smpp_port());
        const auto r = esme.bind(smpp::bind_type::receiver, "txonly", demo_password);
        REQUIRE(r.pdu);
        CHECK(r.pdu->command_status == smpp::status::ESME_RBINDFAIL);
        CHECK(esme.wait_closed());
    }
    // ... while the same account binds as transmitter, after the failures above (3 < lockout).
    {
        test_esme esme(gw.smpp_port());
        bind_ok(esme, smpp::bind_type::transmitter, "txonly");
        CHECK(esme.unbind());
    }

    CHECK(gw.wait_metric_at_least("smppgw_bind_failures_total", {{"reason", "bad_password"}}, 1));
    const auto m = gw.metrics();
    CHECK(metric_value(m, "smppgw_bind_failures_total", {{"reason", "bad_password"}}) == 1);
    CHECK(metric_value(m, "smppgw_bind_failures_total", {{"reason", "unknown_system_id"}}) == 1);
    CHECK(metric_value(m, "smppgw_bind_failures_total", {{"reason", "bind_type_not_allowed"}}) ==
          1);
}

TEST_CASE("PDUs in the wrong session state", "[integration][bind]") {
    fake_smsc carrier;
    gateway_process gw(one_carrier_spec(carrier));
    gw.start();
    REQUIRE(gw.wait_ready());

    SECTION("enquire_link is answered before bind, submit_sm is refused and the socket closes") {
        raw_client raw(gw.smpp_port());
        REQUIRE(raw.connected());
        smpp::pdu el;
        el.sequence_number = 3;
        el.body = smpp::enquire_link{};
        REQUIRE(raw.send_pdu(el));
        auto r = raw.read_pdu();
        REQUIRE(r);
        CHECK(r->command_id() == smpp::command_id::enquire_link_resp);
        CHECK(r->command_status == smpp::status::ESME_ROK);
        CHECK(r->sequence_number == 3);

        auto sm = make_submit(account_number, handset(1), "before bind");
        sm.sequence_number = 7;
        REQUIRE(raw.send_pdu(sm));
        r = raw.read_pdu();
        REQUIRE(r);
        CHECK(r->command_id() == smpp::command_id::submit_sm_resp);
        CHECK(r->command_status == smpp::status::ESME_RINVBNDSTS);
        CHECK(r->sequence_number == 7);
        CHECK(raw.wait_eof());
        CHECK(carrier.submits().empty());
    }

    SECTION("a second bind on a bound session is ESME_RALYBND and the session goes on") {
        test_esme esme(gw.smpp_port());
        bind_ok(esme, smpp::bind_type::transceiver);
        const auto again =
            esme.call(make_bind(smpp::bind_type::transmitter, "demo", demo_password));
        REQUIRE(again.pdu);
        CHECK(again.pdu->command_id() == smpp::command_id::bind_transmitter_resp);
        CHECK(again.pdu->command_status == smpp::status::ESME_RALYBND);
        const auto sub = esme.call(make_submit(account_number, handset(2), "after rebind"));
        REQUIRE(sub.pdu);
        CHECK(sub.pdu->command_status == smpp::status::ESME_ROK);
        CHECK_FALSE(esme.closed());
    }

    SECTION("submit_sm and query_sm on a receiver bind are ESME_RINVBNDSTS") {
        test_esme esme(gw.smpp_port());
        bind_ok(esme, smpp::bind_type::receiver);
        const auto sub = esme.call(make_submit(account_number, handset(3), "on rx"));
        REQUIRE(sub.pdu);
        CHECK(sub.pdu->command_id() == smpp::command_id::submit_sm_resp);
        CHECK(sub.pdu->command_status == smpp::status::ESME_RINVBNDSTS);
        const auto q = esme.call(make_query("1", account_number));
        REQUIRE(q.pdu);
        CHECK(q.pdu->command_status == smpp::status::ESME_RINVBNDSTS);
        CHECK_FALSE(esme.closed());
        CHECK(carrier.submits().empty());
    }

    SECTION("an unknown command_id gets generic_nack ESME_RINVCMDID and the session goes on") {
        raw_client raw(gw.smpp_port());
        REQUIRE(raw.connected());
        auto bind = make_bind(smpp::bind_type::transceiver, "demo", demo_password);
        bind.sequence_number = 1;
        REQUIRE(raw.send_pdu(bind));
        auto r = raw.read_pdu();
        REQUIRE(r);
        REQUIRE(r->command_status == smpp::status::ESME_ROK);

        // A well-framed PDU with a command_id SMPP 3.4 does not define.
        const std::vector<std::uint8_t> unknown{0, 0, 0, 16, 0, 0, 0, 0x99, 0, 0, 0, 0, 0, 0, 0, 9};
        REQUIRE(raw.send_bytes(unknown));
        r = raw.read_pdu();
        REQUIRE(r);
        CHECK(r->command_id() == smpp::command_id::generic_nack);
        CHECK(r->command_status == smpp::status::ESME_RINVCMDID);
        CHECK(r->sequence_number == 9);

        auto sm = make_submit(account_number, handset(4), "still bound");
        sm.sequence_number = 10;
        REQUIRE(raw.send_pdu(sm));
        r = raw.read_pdu();
        REQUIRE(r);
        CHECK(r->command_id() == smpp::command_id::submit_sm_resp);
        CHECK(r->command_status == smpp::status::ESME_ROK);
    }
}

TEST_CASE("repeated bad binds lock the address out", "[integration][bind]") {
    fake_smsc carrier;
    gateway_process gw(one_carrier_spec(carrier));
    gw.start();
    REQUIRE(gw.wait_ready());

    // Five failures within the window lock out the source address (northbound bind_guard).
    for (int i = 0; i < 5; ++i) {
        test_esme esme(gw.smpp_port());
        const auto r = esme.bind(smpp::bind_type::transceiver, "demo", "guess" + std::to_string(i));
        REQUIRE(r.pdu);
        CHECK(r.pdu->command_status == smpp::status::ESME_RINVPASWD);
    }
    // Now even the right password is refused, without revealing whether it was right.
    test_esme esme(gw.smpp_port());
    const auto r = esme.bind(smpp::bind_type::transceiver, "demo", demo_password);
    REQUIRE(r.pdu);
    CHECK(r.pdu->command_status == smpp::status::ESME_RBINDFAIL);
    CHECK(esme.wait_closed());
    CHECK(gw.wait_metric_at_least("smppgw_auth_lockouts_total", {}, 1));
    CHECK(gw.metric("smppgw_bind_failures_total", {{"reason", "locked_out"}}) == 1);
}

TEST_CASE("a connection that never binds is closed after session_init_timeout",
          "[integration][bind]") {
    fake_smsc carrier;
    auto spec = one_carrier_spec(carrier);
    spec.session_init_timeout = "300ms";
    gateway_process gw(spec);
    gw.start();
    REQUIRE(gw.wait_ready());

    raw_client idle(gw.smpp_port());
    REQUIRE(idle.connected());
    CHECK(idle.wait_eof());

    // A bound session is not subject to it.
    test_esme esme(gw.smpp_port());
    bind_ok(esme, smpp::bind_type::transceiver);
    std::this_thread::sleep_for(600ms);
    CHECK_FALSE(esme.closed());
    const auto r = esme.call(make_submit(account_number, handset(1), "still here"));
    CHECK(r.status() == smpp::status::ESME_ROK);
}

TEST_CASE("behind a balancer: the PROXY header's client address is the one checked and shown",
          "[integration][bind][proxy]") {
    fake_smsc carrier;
    auto spec = one_carrier_spec(carrier);
    spec.proxy_protocol = true;  // the account allows 127.0.0.0/8 only
    gateway_process gw(spec);
    gw.start();
    REQUIRE(gw.wait_ready());

    const auto header = [](const std::string& line) {
        return std::vector<std::uint8_t>(line.begin(), line.end());
    };
    auto bind_from = [&](const std::vector<std::uint8_t>& preamble) {
        raw_client raw(gw.smpp_port());
        REQUIRE(raw.connected());
        REQUIRE(raw.send_bytes(preamble));
        auto bind = make_bind(smpp::bind_type::transceiver, "demo", demo_password);
        bind.sequence_number = 1;
        REQUIRE(raw.send_pdu(bind));
        auto r = raw.read_pdu();
        REQUIRE(r);
        CHECK(r->command_id() == smpp::command_id::bind_transceiver_resp);
        return std::pair{r->command_status,
                         http_get(gw.admin_port(), "/v1/binds", admin_token).body};
    };

    // A client the balancer says is 127.0.0.9 (v1): bound, and listed under that address.
    const auto [allowed, binds] = bind_from(header("PROXY TCP4 127.0.0.9 127.0.0.1 40000 2775\r\n"));
    CHECK(allowed == smpp::status::ESME_ROK);
    CHECK(binds.find("\"ip\":\"127.0.0.9\"") != std::string::npos);

    // One outside the account's networks (v2, as HAProxy's send-proxy-v2): refused, though the
    // TCP connection itself comes from 127.0.0.1.
    std::vector<std::uint8_t> v2{0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49,
                                 0x54, 0x0A, 0x21, 0x11, 0x00, 0x0C, 203,  0,    113,  7,
                                 127,  0,    0,    1,    0x9C, 0x40, 0x0A, 0xD7};
    const auto [outside, unused] = bind_from(v2);
    (void)unused;
    CHECK(outside == smpp::status::ESME_RBINDFAIL);
    CHECK(gw.metric("smppgw_bind_failures_total", {{"reason", "address_not_allowed"}}) == 1);

    {
        // Until its header comes, a connection is waited for (up to session_init_timeout).
        raw_client slow(gw.smpp_port());
        REQUIRE(slow.connected());
        CHECK_FALSE(slow.wait_eof(std::chrono::milliseconds(1500)));
    }
    // A client that skips the balancer (no header): closed before any SMPP, and said why.
    raw_client direct(gw.smpp_port());
    REQUIRE(direct.connected());
    auto bind = make_bind(smpp::bind_type::transceiver, "demo", demo_password);
    bind.sequence_number = 2;
    REQUIRE(direct.send_pdu(bind));
    CHECK(direct.wait_eof());
    CHECK(gw.wait_metric_at_least("smppgw_bind_failures_total", {{"reason", "proxy_header"}}, 1));
    CHECK(gw.log_text().find("no PROXY protocol header") != std::string::npos);
}

TEST_CASE("a fatal signal leaves the stack of the thread that got it in the log",
          "[integration][crash]") {
    // What an operator has after a crash in a library (an assertion, a segfault): the stack in
    // the journal, then the default action, so the exit status (and a core dump, if enabled)
    // are what they would have been.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    WARN("skipped: a sanitizer build keeps the sanitizer's own fatal-signal report");
    return;
#endif
    fake_smsc carrier;
    gateway_process gw(one_carrier_spec(carrier));
    gw.start();
    REQUIRE(gw.wait_ready());
    REQUIRE(::kill(gw.daemon().pid(), SIGSEGV) == 0);
    REQUIRE(eventually([&] { return !gw.running(); }, 10s));
    const auto status = gw.daemon().exit_status();
    REQUIRE(status);
    CHECK(WIFSIGNALED(*status));
    CHECK(WTERMSIG(*status) == SIGSEGV);
    const auto log = gw.log_text();
    INFO(log);
    const auto at = log.find("smppgw: fatal signal SEGV, stack of the thread that received it:");
    REQUIRE(at != std::string::npos);
    CHECK(log.find("libc.so", at) != std::string::npos);  // frames follow
}
