// Defects found by testing smppgw from outside (issue 14), each reproduced through the real
// daemon with an in-test carrier and test applications.

#include "scenario.hpp"

#include <boost/json.hpp>

#include "smppgw/smpp/segmentation.hpp"
#include "smppgw/smpp/text.hpp"

using namespace smppgw::integration;
namespace smpp = smppgw::smpp;

namespace {

// A second account, of another brand, owning its own MO number.
constexpr const char* globex_number = "15550002000";

gateway_spec two_brand_spec(const fake_smsc& carrier) {
    auto spec = one_carrier_spec(carrier);
    account_spec globex;
    globex.system_id = "globex";
    globex.brand = "globex";
    globex.mo_numbers = {globex_number};
    spec.accounts.push_back(globex);
    return spec;
}

// A promotional submit (service_type MKT) from the account's number.
smpp::pdu promo(const std::string& from, const std::string& to, const std::string& text) {
    auto p = make_submit(from, to, text, 0);
    (void)std::get<smpp::submit_sm>(p.body).service_type.assign("MKT");
    return p;
}

std::uint32_t status_of(test_esme& e, smpp::pdu p) {
    const auto r = e.call(std::move(p));
    REQUIRE(r.pdu);
    return r.pdu->command_status;
}

http_result admin(const gateway_process& gw, const std::string& method, const std::string& path,
                  const std::string& body = {}) {
    return http_request(gw.admin_port(), method, path, admin_token, body);
}

// Prior express written consent with proof, as a web form would capture it.
void grant_written(const gateway_process& gw, const std::string& brand, const std::string& msisdn) {
    const auto r = admin(gw, "PUT", "/v1/consents/" + brand + "/" + msisdn + "/promotional",
                         R"({"type": "express_written", "proof": "web form v3",
                             "granted": "2024-05-01T12:00:00Z"})");
    REQUIRE(r.status == 200);
}

// An MO deliver_sm from the handset, its content in message_payload.
smpp::pdu payload_mo(const std::string& from, const std::string& to,
                     const std::vector<std::uint8_t>& content, std::uint8_t data_coding) {
    smpp::deliver_sm d;
    d.source_addr_ton = 1;
    d.source_addr_npi = 1;
    (void)d.source_addr.assign(from);
    d.dest_addr_ton = 1;
    d.dest_addr_npi = 1;
    (void)d.destination_addr.assign(to);
    d.data_coding = data_coding;
    smpp::pdu p;
    p.body = d;
    p.tlvs.set<smpp::tlv::message_payload>(content);
    return p;
}

std::vector<std::uint8_t> bytes_of(const std::string& s) {
    return {s.begin(), s.end()};
}

// The two parts of a concatenated MO (8-bit reference `ref`), second part first.
void send_concatenated(fake_smsc& carrier, const std::string& from, const std::string& text,
                       std::uint8_t ref) {
    const std::vector<std::string> chunks{text.substr(0, 153), text.substr(153)};
    for (const std::uint8_t seq : {std::uint8_t{2}, std::uint8_t{1}}) {
        smpp::deliver_sm d;
        d.source_addr_ton = 1;
        d.source_addr_npi = 1;
        (void)d.source_addr.assign(from);
        d.dest_addr_ton = 1;
        d.dest_addr_npi = 1;
        (void)d.destination_addr.assign(account_number);
        d.esm_class = smpp::esm::udhi;
        std::vector<std::uint8_t> sm{0x05, 0x00, 0x03, ref, 0x02, seq};
        const auto& chunk = chunks[seq - 1U];
        sm.insert(sm.end(), chunk.begin(), chunk.end());
        REQUIRE(d.short_message.assign(std::span<const std::uint8_t>(sm)));
        smpp::pdu p;
        p.body = d;
        carrier.send_deliver(p, "part " + std::to_string(seq) + " of " + std::to_string(ref));
    }
}

std::string gsm_text(std::size_t n, const std::string& seed) {
    std::string text;
    for (int i = 0; text.size() < n; ++i) {
        text += seed + " " + std::to_string(i) + ". ";
    }
    text.resize(n);
    return text;
}

const smpp::deliver_sm& deliver_of(const smpp::pdu& p) {
    return std::get<smpp::deliver_sm>(p.body);
}

}  // namespace

// ---- item 3: START and all-brands opt-outs ---------------------------------------------------

TEST_CASE("START to one brand does not lift an all-brands opt-out the admin API entered",
          "[integration][mo][optout]") {
    fake_smsc carrier;
    gateway_process gw(two_brand_spec(carrier));
    gw.start();
    REQUIRE(gw.wait_ready());
    test_esme acme(gw.smpp_port());
    bind_ok(acme, smpp::bind_type::transceiver);
    test_esme globex(gw.smpp_port());
    bind_ok(globex, smpp::bind_type::transceiver, "globex");

    const auto number = handset(300);
    grant_written(gw, "acme", number);
    grant_written(gw, "globex", number);
    REQUIRE(status_of(globex, promo(globex_number, number, "Globex deals")) ==
            smpp::status::ESME_ROK);

    REQUIRE(admin(gw, "PUT", "/v1/optouts/*/" + number).status == 201);
    CHECK(status_of(globex, promo(globex_number, number, "Globex deals")) == 0x411);

    carrier.send_mo(number, account_number, "START");
    REQUIRE(carrier.wait([](auto v) { return v.acked("START"); }));
    // Other brands' promotional traffic stays blocked, and so does the brand the START went to.
    CHECK(status_of(globex, promo(globex_number, number, "Globex deals again")) == 0x411);
    CHECK(status_of(acme, promo(account_number, number, "Acme deals")) == 0x411);
    const auto got = admin(gw, "GET", "/v1/optouts/*/" + number + "?history=false");
    REQUIRE(got.status == 200);
    CHECK(boost::json::parse(got.body).at("opted_out").as_bool());
    // No confirmation claims a subscription the all-brands opt-out still blocks.
    // The series exist at zero from startup: absent would read as zero too, so check they are
    // there (a renamed family would otherwise pass unnoticed).
    const auto text = gw.metrics();
    CHECK_THAT(text, Catch::Contains(R"(smppgw_keyword_actions_total{action="send_reply")"));
    CHECK(metric_value(text, "smppgw_keyword_actions_total", {{"action", "send_reply"}}) == 0);
    CHECK(metric_value(text, "smppgw_keyword_actions_total", {{"action", "lift_optout"}}) == 0);
    CHECK(metric_value(text, "smppgw_keyword_matches_total",
                       {{"brand", "acme"}, {"kind", "opt_in"}}) == 1);
}

// ---- item 4: START restores the consent STOP revoked -----------------------------------------

TEST_CASE("START lifts the number's own STOPALL and restores only that brand's consent",
          "[integration][mo][optout][consent]") {
    fake_smsc carrier;
    gateway_process gw(two_brand_spec(carrier));
    gw.start();
    REQUIRE(gw.wait_ready());
    test_esme acme(gw.smpp_port());
    bind_ok(acme, smpp::bind_type::transceiver);
    test_esme globex(gw.smpp_port());
    bind_ok(globex, smpp::bind_type::transceiver, "globex");

    const auto number = handset(301);
    grant_written(gw, "acme", number);
    grant_written(gw, "globex", number);

    carrier.send_mo(number, globex_number, "STOPALL");
    REQUIRE(carrier.wait([](auto v) { return v.acked("STOPALL"); }));
    CHECK(status_of(acme, promo(account_number, number, "Acme deals")) == 0x411);

    carrier.send_mo(number, account_number, "START");
    REQUIRE(carrier.wait([](auto v) { return v.acked("START"); }));
    CHECK(status_of(acme, promo(account_number, number, "Acme deals")) == smpp::status::ESME_ROK);
    // Globex's consent stays revoked by the STOPALL: only the brand START went to is back.
    CHECK(status_of(globex, promo(globex_number, number, "Globex deals")) == 0x422);
}

TEST_CASE("START after STOP restores the promotional consent the STOP revoked",
          "[integration][mo][consent]") {
    fake_smsc carrier;
    gateway_process gw(one_carrier_spec(carrier));
    gw.start();
    REQUIRE(gw.wait_ready());
    test_esme esme(gw.smpp_port());
    bind_ok(esme, smpp::bind_type::transceiver);

    const auto number = handset(310);
    grant_written(gw, "acme", number);
    REQUIRE(status_of(esme, promo(account_number, number, "Deals 1")) == smpp::status::ESME_ROK);

    carrier.send_mo(number, account_number, "STOP");
    REQUIRE(carrier.wait([](auto v) { return v.acked("STOP"); }));
    CHECK(status_of(esme, promo(account_number, number, "Deals 2")) == 0x410);

    carrier.send_mo(number, account_number, "START");
    REQUIRE(carrier.wait([](auto v) { return v.acked("START"); }));
    CHECK(status_of(esme, promo(account_number, number, "Deals 3")) == smpp::status::ESME_ROK);

    // A new event of the same type, whose proof is the START MO.
    const auto reply =
        admin(gw, "GET", "/v1/consents/acme/" + number + "/promotional?history=true");
    REQUIRE(reply.status == 200);
    INFO(reply.body);
    const auto doc = boost::json::parse(reply.body);
    const auto& current = doc.at("consent");
    CHECK(current.at("status").as_string() == "granted");
    CHECK(current.at("type").as_string() == "express_written");
    CHECK(current.at("source").as_string() == "keyword");
    const std::string proof(current.at("proof").as_string());
    CHECK_THAT(proof, Catch::StartsWith("START MO ") && Catch::Contains("\"START\"") &&
                          Catch::Contains(account_number));
    CHECK(doc.at("history").as_array().size() == 3);  // granted, revoked by STOP, restored
    CHECK(gw.metric("smppgw_keyword_actions_total",
                    {{"brand", "acme"}, {"action", "restore_consent"}}) == 1);
}

TEST_CASE("START restores no consent when the operator turned it off",
          "[integration][mo][consent]") {
    fake_smsc carrier;
    auto spec = one_carrier_spec(carrier);
    spec.extra_toml = "[policy.mo]\nstart_restores_consents = false\n";
    gateway_process gw(spec);
    gw.start();
    REQUIRE(gw.wait_ready());
    test_esme esme(gw.smpp_port());
    bind_ok(esme, smpp::bind_type::transceiver);

    const auto number = handset(311);
    grant_written(gw, "acme", number);
    carrier.send_mo(number, account_number, "STOP");
    REQUIRE(carrier.wait([](auto v) { return v.acked("STOP"); }));
    carrier.send_mo(number, account_number, "START");
    REQUIRE(carrier.wait([](auto v) { return v.acked("START"); }));
    CHECK(status_of(esme, promo(account_number, number, "Deals")) == 0x422);
    CHECK(status_of(esme, make_submit(account_number, number, "Your code 1", 0)) ==
          smpp::status::ESME_ROK);
}

// ---- item 6: MO text for applications bound as SMPP 3.3 --------------------------------------

TEST_CASE("an application bound as SMPP 3.3 gets MO text in short_message",
          "[integration][mo][smpp33]") {
    fake_smsc carrier;
    gateway_process gw(one_carrier_spec(carrier));
    gw.start();
    REQUIRE(gw.wait_ready());
    test_esme esme(gw.smpp_port());
    const auto bound =
        esme.bind(smpp::bind_type::receiver, "demo", demo_password, default_wait, 0x33);
    REQUIRE(bound.pdu);
    REQUIRE(bound.pdu->command_status == smpp::status::ESME_ROK);

    // 1. A concatenated MO of 200 characters: one deliver_sm, the text in short_message.
    const auto joined = gsm_text(200, "Reassembled");
    send_concatenated(carrier, handset(320), joined, 0x42);
    REQUIRE(esme.wait_deliveries(1));
    // 2. A carrier MO in message_payload that fits short_message.
    carrier.send_deliver(payload_mo(handset(321), account_number, bytes_of("Short in payload"), 0),
                         "payload short");
    REQUIRE(esme.wait_deliveries(2));
    // 3. A carrier MO of 400 characters in message_payload: re-split into concatenated parts.
    const auto long_text = gsm_text(400, "Long payload");
    carrier.send_deliver(payload_mo(handset(322), account_number, bytes_of(long_text), 0),
                         "payload long");
    // 4. UCS-2 in message_payload, 150 characters (300 octets): three parts of 67, 67, 16.
    std::string cyrillic;
    while (cyrillic.size() < 150 * 2) {
        cyrillic += "Привет, мир! ";
    }
    std::vector<std::uint8_t> ucs2;
    REQUIRE_FALSE(smpp::encode_ucs2(cyrillic, ucs2));
    ucs2.resize(300);
    carrier.send_deliver(payload_mo(handset(323), account_number, ucs2, 0x08), "payload ucs2");
    REQUIRE(esme.wait_deliveries(2 + 3 + 3));

    const auto got = esme.deliveries();
    for (const auto& d : got) {
        CHECK(d.tlvs.empty());  // 3.3 has no TLVs
        CHECK(d.command_id() == smpp::command_id::deliver_sm);
        CHECK_FALSE(deliver_of(d).short_message.empty());
    }
    CHECK(deliver_of(got[0]).short_message.size() == 200);
    CHECK(text_of(got[0]) == joined);
    CHECK(text_of(got[1]) == "Short in payload");

    // The long ones: parts in order on one bind, each with a concatenation UDH.
    const auto rejoin = [&](std::size_t first, std::size_t count, std::uint8_t coding) {
        std::vector<std::uint8_t> content;
        std::optional<std::uint16_t> reference;
        for (std::size_t i = 0; i < count; ++i) {
            const auto& d = deliver_of(got[first + i]);
            REQUIRE((d.esm_class & smpp::esm::udhi) != 0);
            CHECK(d.data_coding == coding);
            CHECK(d.short_message.size() <= smpp::sms_user_data_octets + 20);
            const auto udh = smpp::parse_udh(d.short_message.bytes());
            REQUIRE_FALSE(udh.ec);
            REQUIRE(udh.concat);
            CHECK(udh.concat->total == count);
            CHECK(udh.concat->seqnum == i + 1);
            if (reference) {
                CHECK(udh.concat->reference == *reference);
            }
            reference = udh.concat->reference;
            content.insert(content.end(), udh.payload.begin(), udh.payload.end());
        }
        return content;
    };
    CHECK(rejoin(2, 3, 0) == bytes_of(long_text));
    CHECK(rejoin(5, 3, 0x08) == ucs2);
    CHECK(smpp::parse_udh(deliver_of(got[2]).short_message.bytes()).payload.size() == 153);
    CHECK(smpp::parse_udh(deliver_of(got[5]).short_message.bytes()).payload.size() == 134);

    // Every part acknowledged: the outbox is empty, each MO counted delivered once.
    CHECK(eventually([&] { return gw.metric("smppgw_outbox_depth", {{"account", "demo"}}) == 0; }));
    CHECK(gw.wait_metric_at_least("smppgw_outbox_delivered_total",
                                  {{"account", "demo"}, {"kind", "mo"}}, 4));
    CHECK(gw.metric("smppgw_outbox_delivered_total", {{"account", "demo"}, {"kind", "mo"}}) == 4);
}

TEST_CASE("a 3.3 application that refuses one part gets the whole MO again",
          "[integration][mo][smpp33]") {
    fake_smsc carrier;
    gateway_process gw(one_carrier_spec(carrier));
    gw.start();
    REQUIRE(gw.wait_ready());
    test_esme esme(gw.smpp_port());
    esme.answer_deliveries_with(smpp::status::ESME_RX_T_APPN);
    const auto bound =
        esme.bind(smpp::bind_type::receiver, "demo", demo_password, default_wait, 0x33);
    REQUIRE(bound.pdu);
    REQUIRE(bound.pdu->command_status == smpp::status::ESME_ROK);

    const auto long_text = gsm_text(300, "Again");
    carrier.send_deliver(payload_mo(handset(324), account_number, bytes_of(long_text), 0),
                         "payload long");
    REQUIRE(esme.wait_deliveries(2));
    esme.answer_deliveries_with(smpp::status::ESME_ROK);
    // Refused for now: both parts come again after the pause, and then the entry is done.
    REQUIRE(esme.wait_deliveries(4, 40s));
    CHECK(eventually([&] { return gw.metric("smppgw_outbox_depth", {{"account", "demo"}}) == 0; }));
    const auto got = esme.deliveries();
    CHECK(text_of(got[2]) + text_of(got[3]) == long_text);
}

TEST_CASE("a reassembled MO that fits travels in short_message to a 3.4 application too",
          "[integration][mo]") {
    fake_smsc carrier;
    gateway_process gw(one_carrier_spec(carrier));
    gw.start();
    REQUIRE(gw.wait_ready());
    test_esme esme(gw.smpp_port());
    bind_ok(esme, smpp::bind_type::receiver);

    const auto joined = gsm_text(200, "Reassembled");
    send_concatenated(carrier, handset(330), joined, 0x43);
    REQUIRE(esme.wait_deliveries(1));
    const auto d = esme.deliveries().front();
    CHECK(deliver_of(d).short_message.size() == 200);
    CHECK_FALSE(d.tlvs.contains(smpp::tlv::message_payload::tag));
    CHECK(text_of(d) == joined);
}

// ---- item 7: error responses carry their body ------------------------------------------------

TEST_CASE("error responses carry their body, and header-only ones are still understood",
          "[integration][session]") {
    fake_smsc carrier;
    carrier.set_policy([](const carrier_submit& s) {
        submit_action a;
        if (s.text.find("refuse") != std::string::npos) {
            a.status = smpp::status::ESME_RINVDSTADR;
            a.header_only = true;
        }
        return a;
    });
    gateway_process gw(one_carrier_spec(carrier));
    gw.start();
    REQUIRE(gw.wait_ready());

    SECTION("bind_transceiver_resp to a wrong password") {
        raw_client raw(gw.smpp_port());
        REQUIRE(raw.connected());
        auto bind = make_bind(smpp::bind_type::transceiver, "demo", "wrong-pw");
        bind.sequence_number = 1;
        REQUIRE(raw.send_pdu(bind));
        const auto resp = raw.read_pdu();
        REQUIRE(resp);
        CHECK(resp->command_id() == smpp::command_id::bind_transceiver_resp);
        CHECK(resp->command_status == smpp::status::ESME_RINVPASWD);
        CHECK_FALSE(resp->omit_body);  // system_id "" follows the header
        CHECK(std::get<smpp::bind_transceiver_resp>(resp->body).system_id.empty());
    }
    SECTION("submit_sm_resp before a bind and for a refused submit") {
        raw_client raw(gw.smpp_port());
        REQUIRE(raw.connected());
        auto early = make_submit(account_number, handset(340), "too early");
        early.sequence_number = 2;
        REQUIRE(raw.send_pdu(early));
        const auto resp = raw.read_pdu();
        REQUIRE(resp);
        CHECK(resp->command_status == smpp::status::ESME_RINVBNDSTS);
        CHECK_FALSE(resp->omit_body);

        test_esme esme(gw.smpp_port());
        bind_ok(esme, smpp::bind_type::transceiver);
        REQUIRE(admin(gw, "PUT", "/v1/optouts/acme/" + handset(341)).status == 201);
        const auto refused = esme.call(make_submit(account_number, handset(341), "hello"));
        REQUIRE(refused.pdu);
        CHECK(refused.pdu->command_status == 0x410);
        CHECK_FALSE(refused.pdu->omit_body);
        CHECK(refused.message_id().empty());
    }
    SECTION("a carrier's header-only error answer") {
        test_esme esme(gw.smpp_port());
        bind_ok(esme, smpp::bind_type::transceiver);
        const auto r = esme.call(make_submit(account_number, handset(342), "please refuse me"));
        REQUIRE(r.status() == smpp::status::ESME_ROK);
        const auto id = r.message_id();
        REQUIRE(esme.wait_delivery([&](const smpp::pdu& d) { return receipted_id_of(d) == id; }));
        for (const auto& d : esme.deliveries()) {
            if (receipted_id_of(d) == id) {
                CHECK(text_of(d).find("stat:UNDELIV") != std::string::npos);
                CHECK(text_of(d).find("err:011") != std::string::npos);
            }
        }
        CHECK(carrier.submits().size() == 1);  // understood as a permanent refusal
    }
}

// ---- item 8: the receipt's text field --------------------------------------------------------

TEST_CASE("receipts carry the first 20 characters of the message in text:",
          "[integration][receipt]") {
    fake_smsc carrier;
    carrier.set_policy([](const carrier_submit& s) {
        submit_action a;
        if (s.text.find("refuse") != std::string::npos) {
            a.status = smpp::status::ESME_RINVDSTADR;
        }
        return a;
    });
    gateway_process gw(one_carrier_spec(carrier));
    gw.start();
    REQUIRE(gw.wait_ready());
    test_esme esme(gw.smpp_port());
    bind_ok(esme, smpp::bind_type::transceiver);

    const auto receipt_text = [&](const smpp::pdu& submit) {
        const auto r = esme.call(submit);
        REQUIRE(r.status() == smpp::status::ESME_ROK);
        const auto id = r.message_id();
        REQUIRE(esme.wait_delivery([&](const smpp::pdu& d) { return receipted_id_of(d) == id; }));
        for (const auto& d : esme.deliveries()) {
            if (receipted_id_of(d) == id) {
                CHECK(deliver_of(d).data_coding == 0);
                return text_of(d);
            }
        }
        return std::string();
    };
    // Delivered (the carrier's receipt relayed).
    auto text = receipt_text(
        make_submit(account_number, handset(350), "Your code 123456 expires in 10 minutes"));
    CHECK_THAT(text, Catch::EndsWith(" text:Your code 123456 exp"));
    // Refused by the carrier (the gateway's own failure receipt).
    text = receipt_text(make_submit(account_number, handset(351), "Please refuse me, carrier"));
    CHECK_THAT(text, Catch::EndsWith(" text:Please refuse me, ca"));
    CHECK(text.find("stat:UNDELIV") != std::string::npos);
    // UCS-2: decoded, and what data_coding 0 cannot carry alike for every reader becomes '?'.
    std::vector<std::uint8_t> ucs2;
    REQUIRE_FALSE(smpp::encode_ucs2("Код 42: привет @ вам", ucs2));
    auto u = make_submit(account_number, handset(352), "");
    auto& body = std::get<smpp::submit_sm>(u.body);
    body.data_coding = 0x08;
    REQUIRE(body.short_message.assign(std::span<const std::uint8_t>(ucs2)));
    text = receipt_text(u);
    CHECK_THAT(text, Catch::EndsWith(" text:??? 42: ?????? ? ???"));
}
