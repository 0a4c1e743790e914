// Compliance promises through the real daemon (issue 14 items 1, 2, 5, 10, 11): an opt-out the
// admin API enters stops what is already queued; frequency caps count at acceptance (back to
// back, with the carrier paused, and a failed or cancelled message gives its place back);
// review holds survive a restart and are released through the admin API, audited; a full disk
// makes the daemon not ready, says why once, and it recovers by itself; a receipt nobody can
// match yet is kept, listed, and applied once its mapping appears.

#include "scenario.hpp"

#include <boost/json.hpp>

using namespace smppgw::integration;
namespace smpp = smppgw::smpp;
namespace json = boost::json;

namespace {

// Florida (area code 305): at most 3 promotional messages per brand and number per 24 h by
// default, deferred beyond that.
std::string florida(unsigned i) {
    return fmt::format("1305555{:04}", 1000 + i);
}

http_result admin(const gateway_process& gw, const std::string& method, const std::string& path,
                  const std::string& body = {}) {
    return http_request(gw.admin_port(), method, path, admin_token, body);
}

json::value admin_json(const gateway_process& gw, const std::string& path) {
    const auto r = admin(gw, "GET", path);
    INFO(path << " -> " << r.status << " " << r.body);
    REQUIRE(r.status == 200);
    return json::parse(r.body);
}

// A promotional submit (service_type MKT).
smpp::pdu promo(const std::string& to, const std::string& text, std::uint8_t registered = 0) {
    auto p = make_submit(account_number, to, text, registered);
    (void)std::get<smpp::submit_sm>(p.body).service_type.assign("MKT");
    return p;
}

std::uint32_t status_of(test_esme& e, smpp::pdu p) {
    const auto r = e.call(std::move(p));
    REQUIRE(r.pdu);
    return r.pdu->command_status;
}

// Prior express written consent with proof: promotional traffic needs it.
void grant_written(const gateway_process& gw, const std::string& msisdn) {
    const auto r = admin(gw, "PUT", "/v1/consents/acme/" + msisdn + "/promotional",
                         R"({"type": "express_written", "proof": "web form v3",
                             "granted": "2024-05-01T12:00:00Z"})");
    REQUIRE(r.status == 200);
}

// Quiet hours off: promotional messages go whatever the time of day the test runs at, so a
// deferral can only come from the check under test.
gateway_spec promo_spec(const fake_smsc& carrier) {
    auto spec = one_carrier_spec(carrier);
    spec.extra_toml = "[policy.quiet_hours]\nenabled = false\n\n";
    return spec;
}

std::string message_state(const gateway_process& gw, const std::string& id) {
    return std::string(admin_json(gw, "/v1/messages/" + id).at("state").as_string());
}

std::size_t carrier_got(const fake_smsc& carrier, const std::string& destination) {
    const auto all = carrier.submits();
    return static_cast<std::size_t>(std::count_if(all.begin(), all.end(), [&](const auto& s) {
        return s.destination == destination && !token_in(s.text).empty();
    }));
}

// Waits until the carrier has answered ESME_ROK to `n` of our messages to `destination`.
bool carrier_accepted(fake_smsc& carrier, const std::string& destination, std::size_t n) {
    return carrier.wait([&](auto v) {
        return static_cast<std::size_t>(
                   std::count_if(v.submits().begin(), v.submits().end(), [&](const auto& s) {
                       return s.destination == destination && s.answered && *s.answered == 0 &&
                              !token_in(s.text).empty();
                   })) >= n;
    });
}

struct promo_result {
    std::string id;
    std::uint32_t status = 0;
};

// States of messages by id, counted.
std::map<std::string, unsigned> states_of(const gateway_process& gw,
                                          const std::vector<promo_result>& sent) {
    std::map<std::string, unsigned> out;
    for (const auto& s : sent) {
        ++out[message_state(gw, s.id)];
    }
    return out;
}

smpp::pdu make_cancel(const std::string& message_id) {
    smpp::cancel_sm c;
    (void)c.message_id.assign(message_id);
    c.source_addr_ton = 1;
    c.source_addr_npi = 1;
    (void)c.source_addr.assign(account_number);
    smpp::pdu p;
    p.body = c;
    return p;
}

std::size_t count_of(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
        ++n;
    }
    return n;
}

}  // namespace

// ---- item 1: an opt-out entered by an operator --------------------------------------------

TEST_CASE("an opt-out put through the admin API stops a message already queued for the carrier",
          "[integration][optout][admin]") {
    fake_smsc carrier;
    gateway_process gw(one_carrier_spec(carrier));
    gw.start();
    REQUIRE(gw.wait_ready());
    test_esme esme(gw.smpp_port());
    bind_ok(esme, smpp::bind_type::transceiver);

    REQUIRE(admin(gw, "POST", "/v1/carriers/sim/pause").status == 200);
    const auto number = handset(700);
    const auto queued = esme.call(make_submit(account_number, number, "Your code #q-0001 is 12"));
    REQUIRE(queued.status() == smpp::status::ESME_ROK);  // accepted, waiting for the carrier
    REQUIRE(admin(gw, "PUT", "/v1/optouts/acme/" + number,
                  R"({"keyword": "STOP", "reference": "call centre"})")
                .status == 201);
    REQUIRE(admin(gw, "POST", "/v1/carriers/sim/resume").status == 200);

    // A message queued behind it: once the carrier has it, the first one was decided.
    const auto behind = esme.call(make_submit(account_number, handset(701), "Code #q-0002 is 3"));
    REQUIRE(behind.status() == smpp::status::ESME_ROK);
    REQUIRE(carrier_accepted(carrier, handset(701), 1));
    CHECK(carrier_got(carrier, number) == 0);
    // Ended instead, with a receipt to the application saying why.
    const auto id = queued.message_id();
    REQUIRE(esme.wait_delivery(
        [&](const smpp::pdu& d) { return smpp::is_receipt(d) && receipted_id_of(d) == id; }));
    CHECK(message_state(gw, id) == "failed");
    CHECK(carrier_got(carrier, number) == 0);
}

// ---- item 2: frequency caps count at acceptance ---------------------------------------------

TEST_CASE("four promotional messages to a Florida number back to back: three go, one waits",
          "[integration][frequency]") {
    fake_smsc carrier;
    gateway_process gw(promo_spec(carrier));
    gw.start();
    REQUIRE(gw.wait_ready());
    test_esme esme(gw.smpp_port());
    bind_ok(esme, smpp::bind_type::transceiver);
    const auto number = florida(1);
    grant_written(gw, number);

    // One write: the daemon reads the four together and decides them concurrently.
    std::vector<smpp::pdu> burst;
    for (unsigned i = 0; i < 4; ++i) {
        burst.push_back(promo(number, "Acme deals " + token("fl", i)));
    }
    std::vector<promo_result> sent;
    for (const auto cookie : esme.send_burst(std::move(burst))) {
        const auto r = esme.wait_reply(cookie);
        REQUIRE(r.pdu);
        sent.push_back({r.message_id(), r.pdu->command_status});
    }
    for (const auto& s : sent) {
        CHECK(s.status == smpp::status::ESME_ROK);  // a deferral is an acceptance too
    }
    REQUIRE(carrier_accepted(carrier, number, 3));
    REQUIRE(eventually([&] {
        return gw.metric("smppgw_queue_depth", {{"queue", "deferred"}}) == 1;
    }));
    const auto states = states_of(gw, sent);
    CHECK(states.at("deferred") == 1);
    CHECK(carrier_got(carrier, number) == 3);
    CHECK(gw.metric("smppgw_policy_decisions_total", {{"check", "frequency"}, {"verdict", "defer"}}) ==
          1);
}

TEST_CASE("four promotional messages to a Florida number while the carrier is paused: one waits",
          "[integration][frequency]") {
    fake_smsc carrier;
    gateway_process gw(promo_spec(carrier));
    gw.start();
    REQUIRE(gw.wait_ready());
    test_esme esme(gw.smpp_port());
    bind_ok(esme, smpp::bind_type::transceiver);
    const auto number = florida(2);
    grant_written(gw, number);

    REQUIRE(admin(gw, "POST", "/v1/carriers/sim/pause").status == 200);
    std::vector<promo_result> sent;
    for (unsigned i = 0; i < 4; ++i) {
        const auto r = esme.call(promo(number, "Acme deals " + token("fp", i)));
        REQUIRE(r.pdu);
        sent.push_back({r.message_id(), r.pdu->command_status});
        CHECK(r.pdu->command_status == smpp::status::ESME_ROK);
    }
    // Nothing was sent yet, and still only three may go ("accepted": waiting for the carrier,
    // not deferred).
    auto states = states_of(gw, sent);
    CHECK(states["deferred"] == 1);
    CHECK(states["accepted"] == 3);
    REQUIRE(admin(gw, "POST", "/v1/carriers/sim/resume").status == 200);
    REQUIRE(carrier_accepted(carrier, number, 3));
    // A fifth, after the three went: deferred as well.
    const auto fifth = esme.call(promo(number, "Acme deals " + token("fp", 4)));
    REQUIRE(fifth.status() == smpp::status::ESME_ROK);
    CHECK(message_state(gw, fifth.message_id()) == "deferred");
    CHECK(carrier_got(carrier, number) == 3);
}

TEST_CASE("a promotional message that fails or is cancelled gives its place under the cap back",
          "[integration][frequency]") {
    fake_smsc carrier;
    // The carrier refuses the first message for good (invalid destination).
    carrier.set_policy([](const carrier_submit& s) {
        return submit_action{.status = s.text.find("#fc-0000") != std::string::npos
                                           ? smpp::status::ESME_RINVDSTADR
                                           : smpp::status::ESME_ROK};
    });
    gateway_process gw(promo_spec(carrier));
    gw.start();
    REQUIRE(gw.wait_ready());
    test_esme esme(gw.smpp_port());
    bind_ok(esme, smpp::bind_type::transceiver);
    const auto number = florida(3);
    grant_written(gw, number);

    const auto failed = esme.call(promo(number, "Acme deals " + token("fc", 0)));
    REQUIRE(failed.status() == smpp::status::ESME_ROK);
    REQUIRE(eventually([&] { return message_state(gw, failed.message_id()) == "failed"; }));

    // Its place is free again: three more are accepted, with the carrier paused.
    REQUIRE(admin(gw, "POST", "/v1/carriers/sim/pause").status == 200);
    std::vector<promo_result> sent;
    for (unsigned i = 1; i <= 3; ++i) {
        const auto r = esme.call(promo(number, "Acme deals " + token("fc", i)));
        REQUIRE(r.pdu);
        sent.push_back({r.message_id(), r.pdu->command_status});
    }
    CHECK(states_of(gw, sent)["accepted"] == 3);
    // Cancelling one (before the carrier got it) frees its place for a fourth.
    REQUIRE(status_of(esme, make_cancel(sent[0].id)) == smpp::status::ESME_ROK);
    const auto fourth = esme.call(promo(number, "Acme deals " + token("fc", 4)));
    REQUIRE(fourth.status() == smpp::status::ESME_ROK);
    CHECK(message_state(gw, fourth.message_id()) == "accepted");
    // The cap holds: the next one waits.
    const auto fifth = esme.call(promo(number, "Acme deals " + token("fc", 5)));
    REQUIRE(fifth.status() == smpp::status::ESME_ROK);
    CHECK(message_state(gw, fifth.message_id()) == "deferred");

    REQUIRE(admin(gw, "POST", "/v1/carriers/sim/resume").status == 200);
    REQUIRE(carrier_accepted(carrier, number, 3));
    CHECK(message_state(gw, sent[0].id) == "cancelled");
    CHECK(carrier_got(carrier, number) == 4);  // the refused one, then three
}

// ---- item 5: review holds ---------------------------------------------------------------------

TEST_CASE("a review hold survives a restart and is released through the admin API, audited",
          "[integration][mo][hold][admin][restart]") {
    fake_smsc carrier;
    gateway_process gw(promo_spec(carrier));
    gw.start();
    REQUIRE(gw.wait_ready());
    const auto number = handset(800);
    grant_written(gw, number);

    carrier.send_mo(number, account_number, "Don't stop the deals!");
    REQUIRE(carrier.wait([](auto v) { return v.acked("Don't stop the deals!"); }));
    {
        test_esme esme(gw.smpp_port());
        bind_ok(esme, smpp::bind_type::transmitter);
        CHECK(status_of(esme, promo(number, "Deals #h-0001")) == 0x412);  // review_hold
        // Transactional traffic is not held.
        CHECK(status_of(esme, make_submit(account_number, number, "Your code #h-0002 is 7", 0)) ==
              smpp::status::ESME_ROK);
    }
    const auto listed = admin_json(gw, "/v1/holds");
    REQUIRE(listed.at("count").as_int64() == 1);
    const auto& hold = listed.at("holds").as_array()[0];
    CHECK(hold.at("brand").as_string() == "acme");
    CHECK(hold.at("msisdn").as_string() == number);
    CHECK(hold.at("text").as_string() == "Don't stop the deals!");

    gw.restart();
    REQUIRE(gw.wait_ready());
    test_esme esme(gw.smpp_port());
    bind_ok(esme, smpp::bind_type::transmitter);
    CHECK(status_of(esme, promo(number, "Deals #h-0003")) == 0x412);
    CHECK(admin_json(gw, "/v1/holds/acme/" + number).at("hold").at("msisdn").as_string() ==
          number);

    const auto released = admin(gw, "DELETE", "/v1/holds/acme/" + number,
                                R"({"released_by": "reviewer@acme"})");
    INFO(released.body);
    REQUIRE(released.status == 200);
    CHECK(admin(gw, "GET", "/v1/holds/acme/" + number).status == 404);
    CHECK(admin(gw, "DELETE", "/v1/holds/acme/" + number).status == 404);
    CHECK(admin_json(gw, "/v1/holds").at("count").as_int64() == 0);
    CHECK(status_of(esme, promo(number, "Deals #h-0004")) == smpp::status::ESME_ROK);
    REQUIRE(carrier.wait([&](auto v) {
        return std::any_of(v.submits().begin(), v.submits().end(), [](const auto& s) {
            return token_in(s.text) == "#h-0004";
        });
    }));

    // The audit trail shows where the hold came from and who lifted it.
    const auto audit = admin_json(gw, "/v1/audit?msisdn=" + number);
    bool placed = false;
    bool lifted = false;
    std::size_t refused = 0;
    for (const auto& r : audit.at("records").as_array()) {
        if (r.at("check").as_string() == "review_hold") {
            placed |= r.at("reason").as_string() == "hold_placed";
            lifted |= r.at("reason").as_string() == "hold_released" &&
                      r.at("account").as_string() == "reviewer@acme";
        }
        refused += r.at("reason").as_string() == "review_hold" ? 1 : 0;
    }
    CHECK(placed);
    CHECK(lifted);
    CHECK(refused == 2);

    // The release is durable too.
    gw.restart();
    REQUIRE(gw.wait_ready());
    test_esme again(gw.smpp_port());
    bind_ok(again, smpp::bind_type::transmitter);
    CHECK(status_of(again, promo(number, "Deals #h-0005")) == smpp::status::ESME_ROK);
}

// ---- item 10: a full disk -----------------------------------------------------------------

TEST_CASE("store writes failing: not ready, said once with the free space, ready again alone",
          "[integration][store][disk]") {
    temp_dir fault_dir("smppgw-fault");
    const auto fault_file = fault_dir / "store-writes-fail";
    fake_smsc carrier;
    gateway_process gw(one_carrier_spec(carrier),
                       {{"SMPPGW_FAULT_INJECTION_FILE", fault_file.string()}});
    gw.start();
    REQUIRE(gw.wait_ready());
    CHECK(gw.metric("smppgw_store_writable") == 1);
    CHECK(gw.metric("smppgw_store_resume_min_free_bytes") == 16777216);
    CHECK(gw.metric("smppgw_store_free_bytes") > 0);
    test_esme esme(gw.smpp_port());
    bind_ok(esme, smpp::bind_type::transmitter);
    REQUIRE(status_of(esme, make_submit(account_number, handset(900), "Code #d-0001 is 1", 0)) ==
            smpp::status::ESME_ROK);

    write_file(fault_file, "full\n");
    REQUIRE(eventually(
        [&] { return gw.log_text().find("fault injection armed") != std::string::npos; }));
    // Several submits fail while the disk is full.
    for (unsigned i = 2; i < 7; ++i) {
        CHECK(status_of(esme, make_submit(account_number, handset(900 + i),
                                          "Code " + token("d", i) + " is 1", 0)) ==
              smpp::status::ESME_RSYSERR);
    }
    const auto not_ready = http_get(gw.admin_port(), "/readyz");
    CHECK(not_ready.status == 503);
    CHECK(json::parse(not_ready.body).at("store").as_string() == "refusing_writes");
    CHECK(gw.metric("smppgw_store_writable") == 0);
    CHECK(gw.metric("smppgw_store_free_bytes") == 0);  // the fault reports a full file system
    const auto failing_log = gw.log_text();
    // Once for the episode, with the free space and the threshold.
    CHECK(count_of(failing_log, "store writes fail (") == 1);
    CHECK(failing_log.find("0 bytes free on its file system, writes resume once 16777216 bytes "
                           "are free (store.resume_min_free_bytes)") != std::string::npos);

    // Room again, and no traffic at all: the daemon notices by itself.
    std::filesystem::remove(fault_file);
    REQUIRE(eventually([&] { return http_get(gw.admin_port(), "/readyz").status == 200; }));
    CHECK(gw.metric("smppgw_store_writable") == 1);
    const auto log = gw.log_text();
    CHECK(count_of(log, "store writes work again") == 1);
    CHECK(count_of(log, "store writes fail (") == 1);
    CHECK(status_of(esme, make_submit(account_number, handset(910), "Code #d-0010 is 1", 0)) ==
          smpp::status::ESME_ROK);
    REQUIRE(eventually([&] { return carrier_got(carrier, handset(910)) == 1; }));
    CHECK(carrier_got(carrier, handset(900)) == 1);
}

// ---- item 11: receipts whose mapping is missing -----------------------------------------------

TEST_CASE("a receipt for an id nobody knows yet is kept, listed, and applied when the id appears",
          "[integration][receipt][admin]") {
    fake_smsc::options so;
    so.auto_receipts = false;
    fake_smsc carrier(so);
    // The carrier sends the receipt at once and its submit_sm_resp (with the id) 3 s later.
    carrier.set_policy([](const carrier_submit& s) {
        if (s.text.find("#late") != std::string::npos) {
            return submit_action{.delay = std::chrono::milliseconds(3000), .receipt_first = true};
        }
        return submit_action{};
    });
    auto spec = one_carrier_spec(carrier);
    spec.receipt_park_timeout = "300ms";
    gateway_process gw(spec);
    gw.start();
    REQUIRE(gw.wait_ready());
    test_esme esme(gw.smpp_port());
    bind_ok(esme, smpp::bind_type::transceiver);
    CHECK(gw.metric("smppgw_receipts_unmatched") == 0);

    const auto sent = esme.call(make_submit(account_number, handset(950), "Code #late-1 is 4", 1));
    REQUIRE(sent.status() == smpp::status::ESME_ROK);
    const auto ours = sent.message_id();
    // The carrier hears ESME_ROK for the receipt once it is kept, long before the mapping.
    REQUIRE(carrier.wait([](auto v) {
        return std::any_of(v.deliveries().begin(), v.deliveries().end(),
                           [](const auto& d) { return d.receipt && d.acked; });
    }));
    std::string carrier_id;
    for (const auto& d : carrier.deliveries()) {
        if (d.receipt) {
            carrier_id = d.carrier_id;
        }
    }
    const auto kept = admin_json(gw, "/v1/receipts/unmatched");
    REQUIRE(kept.at("count").as_int64() == 1);
    const auto& entry = kept.at("receipts").as_array()[0];
    CHECK(entry.at("carrier").as_string() == "sim");
    CHECK(entry.at("carrier_message_id").as_string() == carrier_id);
    CHECK_FALSE(entry.at("match_key").as_string().empty());
    CHECK(entry.at("stat").as_string() == "DELIVRD");
    CHECK(entry.at("err").as_string() == "000");
    CHECK(gw.metric("smppgw_receipts_unmatched") == 1);
    CHECK(carrier.held_count() == 0);
    CHECK(carrier_got(carrier, handset(950)) == 1);
    {
        const auto s = carrier.submits();
        REQUIRE(s.size() == 1);
        CHECK_FALSE(s[0].answered.has_value());  // the mapping has not appeared yet
    }
    CHECK(receipts_by_id(esme.deliveries()).empty());

    // The submit_sm_resp brings the id: the kept receipt reaches the application under our id.
    REQUIRE(esme.wait_delivery(
        [&](const smpp::pdu& d) { return smpp::is_receipt(d) && receipted_id_of(d) == ours; }));
    CHECK(text_of(esme.deliveries().back()).find("stat:DELIVRD") != std::string::npos);
    REQUIRE(eventually([&] {
        return admin_json(gw, "/v1/receipts/unmatched").at("count").as_int64() == 0;
    }));
    CHECK(gw.metric("smppgw_receipts_unmatched") == 0);
    CHECK(message_state(gw, ours) == "delivered");
}

TEST_CASE("an unmatched receipt survives a restart until an operator drops it",
          "[integration][receipt][admin][restart]") {
    fake_smsc carrier;
    auto spec = one_carrier_spec(carrier);
    spec.receipt_park_timeout = "300ms";
    gateway_process gw(spec);
    gw.start();
    REQUIRE(gw.wait_ready());

    carrier.send_receipt("NOBODY-0001", "UNDELIV");
    REQUIRE(carrier.wait([](auto v) {
        return std::any_of(v.deliveries().begin(), v.deliveries().end(),
                           [](const auto& d) { return d.receipt && d.acked; });
    }));
    gw.restart();
    REQUIRE(gw.wait_ready());
    const auto kept = admin_json(gw, "/v1/receipts/unmatched");
    REQUIRE(kept.at("count").as_int64() == 1);
    const auto& entry = kept.at("receipts").as_array()[0];
    CHECK(entry.at("carrier_message_id").as_string() == "NOBODY-0001");
    CHECK(entry.at("stat").as_string() == "UNDELIV");
    CHECK(gw.metric("smppgw_receipts_unmatched") == 1);

    const auto path = "/v1/receipts/unmatched/" + std::to_string(entry.at("entry").as_int64());
    CHECK(admin(gw, "DELETE", "/v1/receipts/unmatched/0").status == 400);
    CHECK(admin(gw, "DELETE", "/v1/receipts/unmatched/x1").status == 400);
    const auto dropped = admin(gw, "DELETE", path);
    INFO(dropped.body);
    REQUIRE(dropped.status == 200);
    CHECK(admin(gw, "DELETE", path).status == 404);
    CHECK(admin_json(gw, "/v1/receipts/unmatched").at("count").as_int64() == 0);
    CHECK(gw.metric("smppgw_receipts_unmatched") == 0);
    gw.restart();
    REQUIRE(gw.wait_ready());
    CHECK(admin_json(gw, "/v1/receipts/unmatched").at("count").as_int64() == 0);
}
