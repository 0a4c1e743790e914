// Defects found by testing smppgw from outside (issue 14), each reproduced through the real
// daemon with an in-test carrier and test applications.

#include "scenario.hpp"

#include "smppgw/smpp/text.hpp"

using namespace smppgw::integration;
namespace smpp = smppgw::smpp;

namespace {

http_result admin(const gateway_process& gw, const std::string& method, const std::string& path,
                  const std::string& body = {}) {
    return http_request(gw.admin_port(), method, path, admin_token, body);
}

const smpp::deliver_sm& deliver_of(const smpp::pdu& p) {
    return std::get<smpp::deliver_sm>(p.body);
}

}  // namespace

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
