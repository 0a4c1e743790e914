// TLS on both faces of the real daemon, with certificates made by the openssl CLI at test time:
// upstream binds over the TLS listener (TLS 1.2+, plain TCP and TLS 1.1 refused, client
// certificates per account), the daemon as TLS client of a carrier (CA bundle, hostname
// verification, client certificate), and listener certificates reloaded with the config.

#include "daemon.hpp"
#include "fake_smsc.hpp"
#include "scenario.hpp"
#include "tls_client.hpp"
#include "tls_pki.hpp"

using namespace smppgw::integration;
namespace smpp = smppgw::smpp;

namespace {

std::string listener_toml(std::uint16_t port, const key_pair& server, const std::string& tls_extra,
                          const std::string& name = "smpp",
                          const std::string& session_init = "10s") {
    return fmt::format(
        "[[listeners]]\nname = \"{}\"\naddress = \"127.0.0.1:{}\"\nsession_init_timeout = "
        "\"{}\"\n[listeners.tls]\ncertificate = \"{}\"\nprivate_key = \"{}\"\n{}\n\n",
        name, port, session_init, server.certificate.string(), server.private_key.string(),
        tls_extra);
}

// Binds over an open TLS connection; the bind response's status, or nullopt without one.
std::optional<std::uint32_t> tls_bind(tls_client& c, const std::string& system_id,
                                      smpp::bind_type type = smpp::bind_type::transmitter) {
    const auto r = c.call(make_bind(type, system_id, demo_password), 10s);
    if (!r) {
        return std::nullopt;
    }
    return r->command_status;
}

std::uint32_t tls_submit(tls_client& c, const std::string& text, unsigned i) {
    const auto r = c.call(make_submit(account_number, handset(i), text, 0), 10s);
    return r ? r->command_status : 0xFFFFFFFFU;
}

bool carrier_got(fake_smsc& carrier, const std::string& token) {
    return carrier.wait([&](const fake_smsc::state_view& v) {
        return std::any_of(v.submits().begin(), v.submits().end(),
                           [&](const carrier_submit& s) { return token_in(s.text) == token; });
    });
}

}  // namespace

TEST_CASE("TLS listener: binds over TLS 1.2 and 1.3, messages flow", "[tls][integration]") {
    temp_dir certs("smppgw-certs");
    test_pki pki(certs.path(), "server");
    const auto server = pki.issue("gw", "smppgw.test", {"localhost"}, {"127.0.0.1"});
    fake_smsc carrier;
    daemon_process gw([&](const daemon_ports& p, const std::filesystem::path& dir) {
        return listener_toml(p.smpp, server, "min_version = \"1.2\"") + account_toml("demo") +
               carrier_toml("sim", carrier.port()) + common_toml(p, dir, {"sim"});
    });
    gw.start();
    REQUIRE(gw.wait_ready());

    for (const int max_version : {TLS1_2_VERSION, 0}) {
        tls_client_options o;
        o.ca = pki.ca().certificate;
        o.max_version = max_version;
        tls_client c(make_client_context(o), gw.smpp_port());
        const auto ec = c.open("localhost");
        INFO("handshake: " << ec.message());
        REQUIRE_FALSE(ec);
        const auto version = c.negotiated_version();
        CHECK(version == (max_version == 0 ? "TLSv1.3" : "TLSv1.2"));
        CHECK(c.server_common_name() == "smppgw.test");
        CHECK(tls_bind(c, "demo") == smpp::status::ESME_ROK);
        const auto tok = token(max_version == 0 ? "tls13" : "tls12", 1);
        CHECK(tls_submit(c, "over TLS " + tok + " ok", 1) == smpp::status::ESME_ROK);
        CHECK(carrier_got(carrier, tok));
    }
    CHECK(gw.metric("smppgw_bind_failures_total", {{"reason", "tls_handshake"}}) == 0);
}

TEST_CASE("TLS listener: plain TCP fails cleanly and is closed", "[tls][integration]") {
    temp_dir certs("smppgw-certs");
    test_pki pki(certs.path(), "server");
    const auto server = pki.issue("gw", "smppgw.test", {"localhost"});
    fake_smsc carrier;
    daemon_process gw([&](const daemon_ports& p, const std::filesystem::path& dir) {
        // A short session-init time: it bounds the TLS handshake too.
        return listener_toml(p.smpp, server, "", "smpp", "1s") + account_toml("demo") +
               carrier_toml("sim", carrier.port()) + common_toml(p, dir, {"sim"});
    });
    gw.start();
    REQUIRE(gw.wait_ready());

    SECTION("an SMPP bind in clear text gets no SMPP answer, only a closed connection") {
        raw_client raw(gw.smpp_port());
        REQUIRE(raw.connected());
        auto bind = make_bind(smpp::bind_type::transceiver, "demo", demo_password);
        bind.sequence_number = 1;
        REQUIRE(raw.send_pdu(bind));
        // Whatever comes back (a TLS alert at most) is not an SMPP PDU, and the socket closes.
        CHECK_FALSE(raw.read_pdu(5s));
        CHECK(raw.wait_eof(5s));
        CHECK(gw.wait_metric_at_least("smppgw_bind_failures_total", {{"reason", "tls_handshake"}},
                                      1));
    }
    SECTION("a connection that never starts the handshake is closed after session_init_timeout") {
        raw_client idle(gw.smpp_port());
        REQUIRE(idle.connected());
        const auto t0 = steady::now();
        CHECK(idle.wait_eof(10s));
        const auto waited =
            std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - t0);
        std::printf("silent TCP connection on the TLS listener closed after %lld ms (limit 1 s)\n",
                    static_cast<long long>(waited.count()));
        CHECK(gw.wait_metric_at_least("smppgw_bind_failures_total", {{"reason", "tls_handshake"}},
                                      1));
    }
    SECTION("a TLS session that never binds is closed after session_init_timeout") {
        tls_client_options o;
        o.ca = pki.ca().certificate;
        tls_client c(make_client_context(o), gw.smpp_port());
        REQUIRE_FALSE(c.open("localhost"));
        CHECK(c.wait_eof(10s));
    }
    // The listener keeps serving TLS after all of the above.
    tls_client_options o;
    o.ca = pki.ca().certificate;
    tls_client c(make_client_context(o), gw.smpp_port());
    REQUIRE_FALSE(c.open("localhost"));
    CHECK(tls_bind(c, "demo") == smpp::status::ESME_ROK);
}

TEST_CASE("TLS listener: TLS 1.1 is refused - min_version 1.3 refuses TLS 1.2",
          "[tls][integration]") {
    temp_dir certs("smppgw-certs");
    test_pki pki(certs.path(), "server");
    const auto server = pki.issue("gw", "smppgw.test", {"localhost"});
    fake_smsc carrier;
    const std::uint16_t strict_port = free_port();
    daemon_process gw([&](const daemon_ports& p, const std::filesystem::path& dir) {
        return listener_toml(p.smpp, server, "") +
               listener_toml(strict_port, server, "min_version = \"1.3\"", "strict") +
               account_toml("demo") + carrier_toml("sim", carrier.port()) +
               common_toml(p, dir, {"sim"});
    });
    gw.start();
    REQUIRE(gw.wait_ready());

    {
        // Security level 0 lets this client offer TLS 1.1 at all: the refusal must come from
        // the daemon (a protocol_version alert), not from our own library.
        tls_client_options o;
        o.ca = pki.ca().certificate;
        o.min_version = TLS1_1_VERSION;
        o.max_version = TLS1_1_VERSION;
        o.security_level = 0;
        tls_client c(make_client_context(o), gw.smpp_port());
        REQUIRE_FALSE(c.connect());
        const auto ec = c.handshake("localhost");
        INFO("handshake error: " << ec.message());
        REQUIRE(ec);
        CHECK(ec.message().find("protocol version") != std::string::npos);
        CHECK(gw.wait_metric_at_least("smppgw_bind_failures_total", {{"reason", "tls_handshake"}},
                                      1));
    }
    {
        tls_client_options o;
        o.ca = pki.ca().certificate;
        o.max_version = TLS1_2_VERSION;
        tls_client c(make_client_context(o), strict_port);
        REQUIRE_FALSE(c.connect());
        const auto ec = c.handshake("localhost");
        INFO("handshake error: " << ec.message());
        REQUIRE(ec);
        CHECK(ec.message().find("protocol version") != std::string::npos);
    }
    {
        // The same 1.3 listener with a 1.3 client: it is the version, not the listener.
        tls_client_options o;
        o.ca = pki.ca().certificate;
        tls_client c(make_client_context(o), strict_port);
        REQUIRE_FALSE(c.open("localhost"));
        CHECK(c.negotiated_version() == "TLSv1.3");
        CHECK(tls_bind(c, "demo") == smpp::status::ESME_ROK);
    }
    CHECK(gw.metric("smppgw_bind_failures_total", {{"reason", "tls_handshake"}}) == 2);
}

TEST_CASE("TLS listener: accounts that require a client certificate check it and its CN",
          "[tls][integration]") {
    temp_dir certs("smppgw-certs");
    test_pki server_pki(certs.path(), "server");
    test_pki clients(certs.path(), "clients");
    test_pki rogue(certs.path(), "rogue");
    const auto server = server_pki.issue("gw", "smppgw.test", {"localhost"});
    const auto good = clients.issue("esme-good", "esme-good");
    const auto wrong_cn = clients.issue("esme-other", "esme-other");
    const auto untrusted = rogue.issue("esme-rogue", "esme-good");  // right CN, wrong issuer
    fake_smsc carrier;
    daemon_process gw([&](const daemon_ports& p, const std::filesystem::path& dir) {
        return listener_toml(p.smpp, server,
                             fmt::format("client_ca = \"{}\"", clients.ca().certificate.string())) +
               account_toml("demo") +
               account_toml("secure",
                            "require_client_certificate = true\n"
                            "client_certificate_cn = \"esme-good\"") +
               account_toml("anycert", "require_client_certificate = true") +
               carrier_toml("sim", carrier.port()) + common_toml(p, dir, {"sim"});
    });
    gw.start();
    REQUIRE(gw.wait_ready());

    // Each attempt from its own loopback address: the refusals below count towards the bind
    // lockout per address, which is not what this test is about.
    unsigned host = 10;
    auto client = [&](const key_pair* cert) {
        tls_client_options o;
        o.ca = server_pki.ca().certificate;
        if (cert != nullptr) {
            o.certificate = cert->certificate;
            o.private_key = cert->private_key;
        }
        return std::make_unique<tls_client>(make_client_context(o), gw.smpp_port(),
                                            fmt::format("127.0.0.{}", ++host));
    };

    {
        auto c = client(nullptr);
        REQUIRE_FALSE(c->open("localhost"));
        CHECK(tls_bind(*c, "secure") == smpp::status::ESME_RBINDFAIL);
        CHECK(c->wait_eof(5s));
    }
    {
        auto c = client(nullptr);
        REQUIRE_FALSE(c->open("localhost"));
        CHECK(tls_bind(*c, "demo") == smpp::status::ESME_ROK);  // no certificate needed
    }
    {
        auto c = client(&wrong_cn);
        REQUIRE_FALSE(c->open("localhost"));
        CHECK(tls_bind(*c, "secure") == smpp::status::ESME_RBINDFAIL);
        CHECK(c->wait_eof(5s));
    }
    {
        auto c = client(&wrong_cn);
        REQUIRE_FALSE(c->open("localhost"));
        CHECK(tls_bind(*c, "anycert") == smpp::status::ESME_ROK);  // any verified certificate
    }
    {
        // A certificate that does not verify against client_ca ends at the handshake.
        auto c = client(&untrusted);
        const auto ec = c->open("localhost");
        std::optional<std::uint32_t> bound;
        if (!ec) {
            bound = tls_bind(*c, "secure");  // TLS 1.3 reports the alert at the first read
        }
        CHECK(bound != std::optional<std::uint32_t>(smpp::status::ESME_ROK));
        CHECK(gw.wait_metric_at_least("smppgw_bind_failures_total", {{"reason", "tls_handshake"}},
                                      1));
    }
    {
        auto c = client(&good);
        REQUIRE_FALSE(c->open("localhost"));
        CHECK(tls_bind(*c, "secure") == smpp::status::ESME_ROK);
        const auto tok = token("cert", 1);
        CHECK(tls_submit(*c, "with a certificate " + tok + " ok", 1) == smpp::status::ESME_ROK);
        CHECK(carrier_got(carrier, tok));
    }
    CHECK(gw.metric("smppgw_bind_failures_total", {{"reason", "client_certificate"}}) == 2);
}

TEST_CASE("carrier TLS: CA bundle, hostname verification and a client certificate",
          "[tls][integration]") {
    temp_dir certs("smppgw-certs");
    test_pki carrier_pki(certs.path(), "carrier");
    test_pki node_pki(certs.path(), "nodes");
    const auto smsc_cert = carrier_pki.issue("smsc", "smsc.test", {"smsc.test"});
    const auto node_cert = node_pki.issue("node", "smppgw-node-1");

    // The carrier insists on a client certificate from the gateway nodes' CA.
    auto ctx = std::make_shared<boost::asio::ssl::context>(boost::asio::ssl::context::tls_server);
    ctx->use_certificate_chain_file(smsc_cert.certificate.string());
    ctx->use_private_key_file(smsc_cert.private_key.string(), boost::asio::ssl::context::pem);
    ctx->load_verify_file(node_pki.ca().certificate.string());
    ctx->set_verify_mode(boost::asio::ssl::verify_peer |
                         boost::asio::ssl::verify_fail_if_no_peer_cert);
    fake_smsc::options so;
    so.tls = ctx;
    fake_smsc carrier(so);

    auto tls_block = [&](const std::string& server_name, bool with_ca, bool with_cert) {
        std::string t = "[carriers.tls]\n";
        if (with_ca) {
            t += fmt::format("ca_file = \"{}\"\n", carrier_pki.ca().certificate.string());
        }
        t += fmt::format("server_name = \"{}\"\n", server_name);
        if (with_cert) {
            t += fmt::format("certificate = \"{}\"\nprivate_key = \"{}\"\n",
                             node_cert.certificate.string(), node_cert.private_key.string());
        }
        return t;
    };
    auto plain_listener = [](const daemon_ports& p) {
        return fmt::format("[[listeners]]\nname = \"smpp\"\naddress = \"127.0.0.1:{}\"\n\n",
                           p.smpp);
    };

    SECTION("the right name, our CA bundle and a client certificate: bound, messages flow") {
        daemon_process gw([&](const daemon_ports& p, const std::filesystem::path& dir) {
            return plain_listener(p) + account_toml("demo") +
                   carrier_toml("sim", carrier.port(), tls_block("smsc.test", true, true)) +
                   common_toml(p, dir, {"sim"});
        });
        gw.start();
        REQUIRE(gw.wait_ready());
        CHECK(carrier.last_client_cn() == "smppgw-node-1");
        test_esme esme(gw.smpp_port());
        bind_ok(esme, smpp::bind_type::transceiver);
        const auto tok = token("ctls", 1);
        const auto r =
            esme.call(make_submit(account_number, handset(1), "to a TLS carrier " + tok + " ok"));
        CHECK(r.status() == smpp::status::ESME_ROK);
        CHECK(carrier_got(carrier, tok));
        // The receipt comes back over the same TLS session, under our id.
        CHECK(esme.wait_delivery([&](const smpp::pdu& d) {
            return smpp::is_receipt(d) && receipted_id_of(d) == r.message_id();
        }));
        CHECK(carrier.tls_failures() == 0);
    }
    SECTION("a wrong server name: no bind, the failure is logged and the daemon is not ready") {
        daemon_process gw([&](const daemon_ports& p, const std::filesystem::path& dir) {
            return plain_listener(p) + account_toml("demo") +
                   carrier_toml("sim", carrier.port(), tls_block("wrong.test", true, true)) +
                   common_toml(p, dir, {"sim"});
        });
        gw.start();
        // Several connection attempts, each one ended by the daemon during the handshake.
        CHECK(carrier.wait([](const fake_smsc::state_view& v) { return v.tls_failures() >= 2; }));
        CHECK(gw.wait_metric_at_least("smppgw_carrier_reconnects_total", {{"carrier", "sim"}}, 2));
        CHECK(carrier.binds_total() == 0);
        CHECK(http_get(gw.admin_port(), "/readyz").status != 200);
        const auto log = gw.log_text();
        INFO(log);
        CHECK(log.find("carrier sim trx0: TLS handshake failed") != std::string::npos);
    }
    SECTION("the system trust store instead of the carrier's CA: no bind") {
        daemon_process gw([&](const daemon_ports& p, const std::filesystem::path& dir) {
            return plain_listener(p) + account_toml("demo") +
                   carrier_toml("sim", carrier.port(), tls_block("smsc.test", false, true)) +
                   common_toml(p, dir, {"sim"});
        });
        gw.start();
        CHECK(carrier.wait([](const fake_smsc::state_view& v) { return v.tls_failures() >= 2; }));
        CHECK(carrier.binds_total() == 0);
        CHECK(gw.log_text().find("TLS handshake failed") != std::string::npos);
    }
    SECTION("no client certificate for a carrier that requires one: no bind") {
        daemon_process gw([&](const daemon_ports& p, const std::filesystem::path& dir) {
            return plain_listener(p) + account_toml("demo") +
                   carrier_toml("sim", carrier.port(), tls_block("smsc.test", true, false)) +
                   common_toml(p, dir, {"sim"});
        });
        gw.start();
        CHECK(carrier.wait([](const fake_smsc::state_view& v) { return v.tls_failures() >= 2; }));
        CHECK(carrier.binds_total() == 0);
        CHECK(http_get(gw.admin_port(), "/readyz").status != 200);
    }
}

TEST_CASE("TLS listener: a reloaded certificate is served to the next connection",
          "[tls][integration][reload]") {
    temp_dir certs("smppgw-certs");
    test_pki pki(certs.path(), "server");
    const auto first = pki.issue("gw-one", "gw-one", {"localhost"});
    const auto second = pki.issue("gw-two", "gw-two", {"localhost"});
    key_pair broken{certs / "missing.pem", certs / "missing.key"};
    fake_smsc carrier;
    const key_pair* current = &first;
    daemon_process gw([&](const daemon_ports& p, const std::filesystem::path& dir) {
        return listener_toml(p.smpp, *current, "") + account_toml("demo") +
               carrier_toml("sim", carrier.port()) + common_toml(p, dir, {"sim"});
    });
    gw.start();
    REQUIRE(gw.wait_ready());
    tls_client_options o;
    o.ca = pki.ca().certificate;
    const auto ctx = make_client_context(o);

    tls_client before(ctx, gw.smpp_port());
    REQUIRE_FALSE(before.open("localhost"));
    CHECK(before.server_common_name() == "gw-one");
    REQUIRE(tls_bind(before, "demo") == smpp::status::ESME_ROK);

    current = &second;
    REQUIRE(gw.reload());
    {
        tls_client after(ctx, gw.smpp_port());
        REQUIRE_FALSE(after.open("localhost"));
        CHECK(after.server_common_name() == "gw-two");
        CHECK(tls_bind(after, "demo") == smpp::status::ESME_ROK);
    }
    // The session opened before the reload goes on with the certificate it negotiated.
    CHECK(before.server_common_name() == "gw-one");
    CHECK(tls_submit(before, "still here " + token("reload", 1) + " ok", 1) ==
          smpp::status::ESME_ROK);

    // A reload naming a certificate that cannot be read is refused as a whole.
    current = &broken;
    CHECK_FALSE(gw.reload());
    CHECK(gw.metric("smppgw_config_reloads_total", {{"result", "failed"}}) == 1);
    tls_client later(ctx, gw.smpp_port());
    REQUIRE_FALSE(later.open("localhost"));
    CHECK(later.server_common_name() == "gw-two");
}
