// Messages through the real daemon on loopback: MT to the carrier and the receipt back under our
// id, MO forwarded, STOP honoured before the next submit, receipts kept while no receiver is
// bound, and a long UCS-2 message split for the carrier with one aggregated receipt upstream.

#include "scenario.hpp"

#include "smppgw/smpp/text.hpp"

using namespace smppgw::integration;
namespace smpp = smppgw::smpp;

namespace {

bool all_digits(const std::string& s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// query_sm for one of our ids; the response, which the test requires.
smpp::query_sm_resp query(test_esme& esme, const std::string& id) {
    const auto r = esme.call(make_query(id, account_number));
    REQUIRE(r.pdu);
    REQUIRE(r.pdu->command_status == smpp::status::ESME_ROK);
    return std::get<smpp::query_sm_resp>(r.pdu->body);
}

}  // namespace

TEST_CASE("submit reaches the carrier and its receipt comes back under our id",
          "[integration][receipt]") {
    fake_smsc carrier;
    carrier.set_auto_receipts(false);  // receipts only when the test sends them
    gateway_process gw(one_carrier_spec(carrier));
    gw.start();
    REQUIRE(gw.wait_ready());
    test_esme esme(gw.smpp_port());
    bind_ok(esme, smpp::bind_type::transceiver);

    constexpr unsigned n = 12;
    const auto sent = submit_all(esme, tokened_texts("rcpt", n));
    std::map<std::string, std::string> id_by_destination;
    for (const auto& s : sent) {
        REQUIRE(s.reply.status() == smpp::status::ESME_ROK);
        const auto id = s.reply.message_id();
        CHECK(all_digits(id));
        CHECK(id.size() <= 20);
        id_by_destination[s.destination] = id;
    }
    REQUIRE(id_by_destination.size() == n);

    REQUIRE(carrier.wait([&](auto v) { return v.answered_ok() >= n; }));
    const auto at_carrier = carrier.submits();
    const auto accepted = carrier_accepted_tokens(at_carrier);
    for (const auto& s : sent) {
        CHECK(accepted.count(token_in(s.text)) == 1);
    }
    // The gateway asks the carrier for a receipt whatever the upstream asked.
    for (const auto& s : at_carrier) {
        CHECK((s.registered_delivery & 0x01) == 1);
        CHECK(s.destination.rfind("1212555", 0) == 0);
    }

    // Accepted by the carrier, not final yet: query_sm says so.
    const auto first_id = id_by_destination.begin()->second;
    const auto before = query(esme, first_id);
    CHECK(before.message_id.view() == first_id);
    CHECK((before.message_state == 6 || before.message_state == 1));  // ACCEPTED or ENROUTE
    CHECK(before.final_date.empty());

    // The carrier reports: the last message undeliverable, the others delivered.
    std::string failed_id;
    for (std::size_t i = 0; i < at_carrier.size(); ++i) {
        const bool fail = i + 1 == at_carrier.size();
        carrier.send_receipt(at_carrier[i].carrier_id, fail ? "UNDELIV" : "DELIVRD");
        if (fail) {
            failed_id = id_by_destination.at(at_carrier[i].destination);
        }
    }
    REQUIRE(esme.wait_deliveries(n));
    REQUIRE(carrier.wait([&](auto v) { return v.deliveries_acked() >= n; }));

    std::set<std::string> receipted;
    for (const auto& d : esme.deliveries()) {
        REQUIRE(smpp::is_receipt(d));
        const auto& dm = std::get<smpp::deliver_sm>(d.body);
        const auto id = receipted_id_of(d);
        receipted.insert(id);
        // The receipt travels back from the handset: the handset is its source, and our id is
        // the one we gave for the submit to that handset.
        const std::string handset_addr(dm.source_addr.view());
        REQUIRE(id_by_destination.count(handset_addr) == 1);
        CHECK(id_by_destination.at(handset_addr) == id);
        CHECK(dm.destination_addr.view() == account_number);
        CHECK((dm.esm_class & smpp::esm::smsc_delivery_receipt) != 0);
        const auto text = text_of(d);
        CHECK(text.find("id:" + id + " ") != std::string::npos);
        CHECK(text.find("CX") == std::string::npos);  // never the carrier's id
        const auto state = d.tlvs.get<smpp::tlv::message_state>();
        REQUIRE(state);
        if (id == failed_id) {
            CHECK(text.find("stat:UNDELIV") != std::string::npos);
            CHECK(*state == 5);
        } else {
            CHECK(text.find("stat:DELIVRD") != std::string::npos);
            CHECK(*state == 2);
        }
    }
    CHECK(receipted.size() == n);

    // Final states are visible to query_sm.
    const auto delivered =
        query(esme, first_id == failed_id ? id_by_destination.rbegin()->second : first_id);
    CHECK(delivered.message_state == 2);
    CHECK_FALSE(delivered.final_date.empty());
    CHECK(query(esme, failed_id).message_state == 5);

    CHECK(gw.wait_metric_at_least("smppgw_receipts_total", {{"carrier", "sim"}}, n));
    CHECK(gw.metric("smppgw_receipt_match_failures_total") == 0);
}

TEST_CASE("MO is forwarded to the account that owns the number", "[integration][mo]") {
    fake_smsc carrier;
    gateway_process gw(one_carrier_spec(carrier));
    gw.start();
    REQUIRE(gw.wait_ready());
    test_esme esme(gw.smpp_port());
    bind_ok(esme, smpp::bind_type::receiver);

    carrier.send_mo(handset(50), "19995550000", "Nobody owns this number");
    carrier.send_mo(handset(51), account_number, "Hello from the handset");
    REQUIRE(esme.wait_delivery([](const smpp::pdu& d) { return !smpp::is_receipt(d); }));
    REQUIRE(carrier.wait([](auto v) { return v.deliveries_acked() == 2; }));

    const auto got = esme.deliveries();
    REQUIRE(got.size() == 1);
    const auto& d = got.front();
    CHECK(d.command_id() == smpp::command_id::deliver_sm);
    const auto& dm = std::get<smpp::deliver_sm>(d.body);
    CHECK(dm.source_addr.view() == handset(51));
    CHECK(dm.destination_addr.view() == account_number);
    CHECK((dm.esm_class & smpp::esm::receipt_mask) == 0);
    CHECK(text_of(d) == "Hello from the handset");

    CHECK(gw.wait_metric_at_least("smppgw_mo_messages_total", {{"outcome", "unowned_number"}}, 1));
    CHECK(gw.metric("smppgw_mo_messages_total", {{"outcome", "received"}}) == 1);
}

TEST_CASE("MO STOP followed at once by a submit to that number is rejected", "[integration][mo]") {
    fake_smsc carrier;
    gateway_process gw(one_carrier_spec(carrier));
    gw.start();
    REQUIRE(gw.wait_ready());
    test_esme esme(gw.smpp_port());
    bind_ok(esme, smpp::bind_type::transceiver);

    const auto stopper = handset(60);
    carrier.send_mo(stopper, account_number, "STOP");
    // The daemon acknowledges the MO only once the opt-out is durable: from this moment on a
    // submit must be refused. (Other deliveries follow: receipts for the daemon's confirmation
    // and for the submits below, so the MO is waited for by its text.)
    REQUIRE(carrier.wait([](auto v) { return v.acked("STOP"); }));
    const auto refused = esme.call(make_submit(account_number, stopper, "Deals today!"));
    REQUIRE(refused.pdu);
    CHECK(refused.pdu->command_status == 0x410);  // opted_out, vendor range

    // Other numbers are unaffected.
    const auto other = esme.call(make_submit(account_number, handset(61), "Your code 1234"));
    REQUIRE(other.pdu);
    CHECK(other.pdu->command_status == smpp::status::ESME_ROK);

    // The STOP itself is forwarded upstream, and the handset gets one confirmation from the
    // gateway (the only MT to that number the carrier ever sees).
    CHECK(esme.wait_delivery([&](const smpp::pdu& d) {
        return !smpp::is_receipt(d) && text_of(d) == "STOP" &&
               std::get<smpp::deliver_sm>(d.body).source_addr.view() == stopper;
    }));
    REQUIRE(carrier.wait([&](auto v) {
        return std::any_of(v.submits().begin(), v.submits().end(),
                           [&](const auto& s) { return s.destination == stopper; });
    }));
    std::size_t to_stopper = 0;
    for (const auto& s : carrier.submits()) {
        if (s.destination == stopper) {
            ++to_stopper;
            CHECK(s.text.find("Deals") == std::string::npos);
        }
    }
    CHECK(to_stopper == 1);
    CHECK(gw.metric("smppgw_policy_decisions_total", {{"verdict", "reject"}}) >= 1);

    // START lifts the opt-out as soon as the daemon has acknowledged it.
    carrier.send_mo(stopper, account_number, "START");
    REQUIRE(carrier.wait([](auto v) { return v.acked("START"); }));
    const auto again = esme.call(make_submit(account_number, stopper, "Your code 5678"));
    REQUIRE(again.pdu);
    CHECK(again.pdu->command_status == smpp::status::ESME_ROK);
}

TEST_CASE("receipts wait in the outbox while unbound and are delivered on bind",
          "[integration][outbox]") {
    fake_smsc carrier;
    gateway_process gw(one_carrier_spec(carrier));
    gw.start();
    REQUIRE(gw.wait_ready());

    constexpr unsigned n = 8;
    std::set<std::string> ids;
    {
        test_esme tx(gw.smpp_port());
        bind_ok(tx, smpp::bind_type::transmitter);
        for (const auto& s : submit_all(tx, tokened_texts("obx", n))) {
            REQUIRE(s.reply.status() == smpp::status::ESME_ROK);
            ids.insert(s.reply.message_id());
        }
        REQUIRE(tx.unbind());
        CHECK(tx.deliveries().empty());  // a transmitter never gets deliver_sm
    }
    REQUIRE(ids.size() == n);

    // An MO for the account while nobody is bound waits with the receipts.
    carrier.send_mo(handset(40), account_number, "Are you there?");

    // Every carrier delivery acknowledged means every upstream delivery is journaled.
    REQUIRE(carrier.wait([](auto v) { return v.deliveries_acked() == n + 1; }));
    CHECK(eventually([&] {
        return gw.metric("smppgw_outbox_depth", {{"account", "demo"}}) == n + 1;
    }));

    test_esme rx(gw.smpp_port());
    bind_ok(rx, smpp::bind_type::receiver);
    REQUIRE(rx.wait_deliveries(n + 1));
    const auto all = rx.deliveries();
    CHECK(std::count_if(all.begin(), all.end(), [](const smpp::pdu& d) {
              return !smpp::is_receipt(d) && text_of(d) == "Are you there?";
          }) == 1);
    const auto got = receipts_by_id(all);
    std::set<std::string> receipted;
    for (const auto& [id, count] : got) {
        receipted.insert(id);
    }
    CHECK(receipted == ids);
    CHECK(eventually([&] { return gw.metric("smppgw_outbox_depth", {{"account", "demo"}}) == 0; }));
    CHECK(gw.wait_metric_at_least("smppgw_outbox_delivered_total",
                                  {{"account", "demo"}, {"kind", "dlr"}}, n));
    CHECK(gw.wait_metric_at_least("smppgw_outbox_delivered_total",
                                  {{"account", "demo"}, {"kind", "mo"}}, 1));
}

TEST_CASE("store.retention.outbox: what no bind took in time is dropped, counted and logged",
          "[integration][outbox]") {
    fake_smsc carrier;
    auto spec = one_carrier_spec(carrier);
    spec.extra_toml = "\n[store.retention]\noutbox = \"2s\"\n";
    gateway_process gw(spec);
    gw.start();
    REQUIRE(gw.wait_ready());

    // Nobody is bound for the account: the MO waits, then outlives the retention.
    carrier.send_mo(handset(42), account_number, "Too late for anyone");
    REQUIRE(carrier.wait([](auto v) { return v.deliveries_acked() == 1; }));
    REQUIRE(gw.wait_metric_at_least("smppgw_outbox_expired_total", {{"account", "demo"}}, 1,
                                    std::chrono::seconds(15)));
    CHECK(gw.metric("smppgw_outbox_expired_total", {{"account", "demo"}}) == 1);
    CHECK(eventually([&] { return gw.metric("smppgw_outbox_depth", {{"account", "demo"}}) == 0; }));
    CHECK(gw.log_text().find("dropped undelivered after store.retention.outbox") !=
          std::string::npos);

    // A receiver that binds now gets what came after, not the dropped one; and a restart does
    // not bring it back (the drop was journaled).
    gw.restart();
    REQUIRE(gw.wait_ready());
    test_esme rx(gw.smpp_port());
    bind_ok(rx, smpp::bind_type::receiver);
    carrier.send_mo(handset(43), account_number, "Just in time");
    REQUIRE(rx.wait_deliveries(1));
    const auto got = rx.deliveries();
    CHECK(text_of(got.front()) == "Just in time");
    CHECK(eventually([&] { return gw.metric("smppgw_outbox_depth", {{"account", "demo"}}) == 0; }));
    CHECK(rx.deliveries().size() == 1);
}

TEST_CASE("long UCS-2 message is split for the carrier and its receipts aggregated",
          "[integration][long]") {
    fake_smsc carrier;
    gateway_process gw(one_carrier_spec(carrier));
    gw.start();
    REQUIRE(gw.wait_ready());
    test_esme esme(gw.smpp_port());
    bind_ok(esme, smpp::bind_type::transceiver);

    // 150 characters outside GSM 03.38: UCS-2, three parts of at most 67 characters.
    std::string text;
    while (text.size() < 150 * 2) {
        text += "Привет, мир! ";
    }
    std::vector<std::uint8_t> ucs2;
    REQUIRE_FALSE(smpp::encode_ucs2(text, ucs2));
    ucs2.resize(150 * 2);
    text.clear();
    const auto decoded = smpp::decode_short_message(ucs2, 0x08, false);
    REQUIRE(decoded.kind == smpp::content_kind::text);
    text = decoded.text;

    smpp::submit_sm s;
    s.source_addr_ton = 1;
    s.source_addr_npi = 1;
    (void)s.source_addr.assign(account_number);
    s.dest_addr_ton = 1;
    s.dest_addr_npi = 1;
    (void)s.destination_addr.assign(handset(70));
    s.registered_delivery = 1;
    s.data_coding = 0x08;
    smpp::pdu p;
    p.body = s;
    p.tlvs.set<smpp::tlv::message_payload>(ucs2);
    const auto r = esme.call(p);
    REQUIRE(r.pdu);
    REQUIRE(r.pdu->command_status == smpp::status::ESME_ROK);
    const auto id = r.message_id();

    REQUIRE(carrier.wait([](auto v) { return v.answered_ok() >= 3; }));
    auto parts = carrier.submits();
    REQUIRE(parts.size() == 3);
    std::sort(parts.begin(), parts.end(),
              [](const auto& a, const auto& b) { return a.concat->seqnum < b.concat->seqnum; });
    std::string joined;
    std::set<std::size_t> connections;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        const auto& part = parts[i];
        REQUIRE(part.concat);
        CHECK(part.concat->total == 3);
        CHECK(part.concat->seqnum == i + 1);
        CHECK(part.concat->reference == parts[0].concat->reference);
        CHECK(part.data_coding == 0x08);
        CHECK((part.esm_class & smpp::esm::udhi) != 0);
        CHECK(part.destination == handset(70));
        connections.insert(part.connection);
        joined += part.text;
    }
    CHECK(joined == text);
    CHECK(connections.size() == 1);  // a concatenated message leaves through one session

    // Three carrier receipts (one per part), all acknowledged: the aggregate is journaled.
    REQUIRE(carrier.wait([](auto v) { return v.deliveries_acked() == 3; }));
    REQUIRE(esme.wait_delivery([&](const smpp::pdu& d) { return receipted_id_of(d) == id; }));

    // Barrier: a later message's receipt leaves the same outbox after any receipt for the long
    // one, so once it is here every receipt for `id` has been delivered too.
    const auto marker = esme.call(make_submit(account_number, handset(71), "marker"));
    REQUIRE(marker.pdu);
    REQUIRE(marker.pdu->command_status == smpp::status::ESME_ROK);
    REQUIRE(esme.wait_delivery(
        [&](const smpp::pdu& d) { return receipted_id_of(d) == marker.message_id(); }));

    const auto receipts = receipts_by_id(esme.deliveries());
    CHECK(receipts.at(id) == 1);
    for (const auto& d : esme.deliveries()) {
        if (receipted_id_of(d) == id) {
            const auto t = text_of(d);
            CHECK(t.find("sub:003") != std::string::npos);
            CHECK(t.find("dlvrd:003") != std::string::npos);
            CHECK(t.find("stat:DELIVRD") != std::string::npos);
        }
    }
    const auto q = esme.call(make_query(id, account_number));
    REQUIRE(q.pdu);
    REQUIRE(q.pdu->command_status == smpp::status::ESME_ROK);
    CHECK(std::get<smpp::query_sm_resp>(q.pdu->body).message_state == 2);
}

TEST_CASE("registered_delivery decides which receipts go upstream", "[integration][receipt]") {
    fake_smsc carrier;
    carrier.set_auto_receipts(false);
    gateway_process gw(one_carrier_spec(carrier));
    gw.start();
    REQUIRE(gw.wait_ready());
    test_esme esme(gw.smpp_port());
    bind_ok(esme, smpp::bind_type::transceiver);

    struct probe {
        std::uint8_t registered_delivery;
        const char* stat;
        bool expect_receipt;
    };
    const std::vector<probe> probes{{0, "DELIVRD", false}, {1, "DELIVRD", true},
                                    {2, "DELIVRD", false}, {2, "UNDELIV", true},
                                    {1, "EXPIRED", true},  {0, "UNDELIV", false}};
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < probes.size(); ++i) {
        const auto r = esme.call(make_submit(account_number, handset(80 + static_cast<unsigned>(i)),
                                             "probe", probes[i].registered_delivery));
        REQUIRE(r.status() == smpp::status::ESME_ROK);
        ids.push_back(r.message_id());
    }
    REQUIRE(carrier.wait([&](auto v) { return v.answered_ok() == probes.size(); }));
    for (const auto& s : carrier.submits()) {
        const auto i = std::stoul(s.destination.substr(7)) - 1080;
        carrier.send_receipt(s.carrier_id, probes.at(i).stat);
    }
    REQUIRE(carrier.wait([&](auto v) { return v.deliveries_acked() == probes.size(); }));

    // Barrier: the marker's receipt is journaled after all of the above.
    const auto marker = esme.call(make_submit(account_number, handset(99), "marker"));
    REQUIRE(marker.status() == smpp::status::ESME_ROK);
    REQUIRE(carrier.wait([](auto v) { return v.answered_ok() == 7; }));
    for (const auto& s : carrier.submits()) {
        if (s.destination == handset(99)) {
            carrier.send_receipt(s.carrier_id);
        }
    }
    REQUIRE(esme.wait_delivery(
        [&](const smpp::pdu& d) { return receipted_id_of(d) == marker.message_id(); }));

    const auto got = receipts_by_id(esme.deliveries());
    for (std::size_t i = 0; i < probes.size(); ++i) {
        INFO("registered_delivery " << int{probes[i].registered_delivery} << ", carrier stat "
                                    << probes[i].stat);
        CHECK(got.count(ids[i]) == (probes[i].expect_receipt ? 1U : 0U));
    }
    // The receipts that were wanted say what happened.
    for (const auto& d : esme.deliveries()) {
        if (receipted_id_of(d) == ids[4]) {
            CHECK(text_of(d).find("stat:EXPIRED") != std::string::npos);
        }
        if (receipted_id_of(d) == ids[3]) {
            CHECK(text_of(d).find("stat:UNDELIV") != std::string::npos);
        }
    }
}

TEST_CASE("a receipt that overtakes its submit_sm_resp is relayed under our id",
          "[integration][receipt]") {
    fake_smsc carrier;
    carrier.set_policy([](const carrier_submit&) {
        submit_action a;
        a.delay = 300ms;
        a.receipt_first = true;
        return a;
    });
    gateway_process gw(one_carrier_spec(carrier));
    gw.start();
    REQUIRE(gw.wait_ready());
    test_esme esme(gw.smpp_port());
    bind_ok(esme, smpp::bind_type::transceiver);

    constexpr unsigned n = 5;
    const auto sent = submit_all(esme, tokened_texts("early", n));
    std::map<std::string, std::string> id_by_destination;
    for (const auto& s : sent) {
        REQUIRE(s.reply.status() == smpp::status::ESME_ROK);
        id_by_destination[s.destination] = s.reply.message_id();
    }
    REQUIRE(esme.wait_deliveries(n));
    for (const auto& d : esme.deliveries()) {
        const auto& dm = std::get<smpp::deliver_sm>(d.body);
        CHECK(receipted_id_of(d) == id_by_destination.at(std::string(dm.source_addr.view())));
    }
    CHECK(carrier.wait([](auto v) { return v.deliveries_acked() == n; }));
    CHECK(gw.metric("smppgw_receipt_match_failures_total") == 0);
}

TEST_CASE("carrier bound as TX+RX: receipts and MOs arrive on the receiver bind",
          "[integration][receipt][mo]") {
    fake_smsc carrier;  // refuses submit_sm on a receiver bind, like a real SMSC
    auto spec = one_carrier_spec(carrier);
    spec.carriers[0].bind_mode = "tx+rx";
    spec.carriers[0].sessions = 2;
    gateway_process gw(spec);
    gw.start();
    REQUIRE(gw.wait_ready());
    REQUIRE(carrier.wait([](auto v) { return v.bound_now() == 4; }));
    test_esme esme(gw.smpp_port());
    bind_ok(esme, smpp::bind_type::transceiver);

    constexpr unsigned n = 10;
    const auto sent = submit_all(esme, tokened_texts("txrx", n));
    std::set<std::string> ids;
    for (const auto& s : sent) {
        REQUIRE(s.reply.status() == smpp::status::ESME_ROK);
        ids.insert(s.reply.message_id());
    }
    REQUIRE(esme.wait_deliveries(n));
    std::set<std::string> receipted;
    for (const auto& [id, count] : receipts_by_id(esme.deliveries())) {
        receipted.insert(id);
    }
    CHECK(receipted == ids);
    for (const auto& s : carrier.submits()) {
        CHECK(s.answered == std::optional<std::uint32_t>(smpp::status::ESME_ROK));
    }

    carrier.send_mo(handset(90), account_number, "Reply via RX");
    CHECK(esme.wait_delivery([](const smpp::pdu& d) { return text_of(d) == "Reply via RX"; }));
}

TEST_CASE("a concatenated MO is reassembled and forwarded once", "[integration][mo]") {
    fake_smsc carrier;
    gateway_process gw(one_carrier_spec(carrier));
    gw.start();
    REQUIRE(gw.wait_ready());
    test_esme esme(gw.smpp_port());
    bind_ok(esme, smpp::bind_type::receiver);

    // 200 GSM characters in two parts with an 8-bit concatenation UDH (reference 0x42), the
    // second part sent first.
    std::string text;
    for (int i = 0; text.size() < 200; ++i) {
        text += "Part of a long reply " + std::to_string(i) + ". ";
    }
    text.resize(200);
    const std::vector<std::string> chunks{text.substr(0, 153), text.substr(153)};
    for (const std::uint8_t seq : {std::uint8_t{2}, std::uint8_t{1}}) {
        smpp::deliver_sm d;
        d.source_addr_ton = 1;
        d.source_addr_npi = 1;
        (void)d.source_addr.assign(handset(95));
        d.dest_addr_ton = 1;
        d.dest_addr_npi = 1;
        (void)d.destination_addr.assign(account_number);
        d.esm_class = smpp::esm::udhi;
        d.data_coding = 0;
        std::vector<std::uint8_t> sm{0x05, 0x00, 0x03, 0x42, 0x02, seq};
        const auto& chunk = chunks[seq - 1U];
        sm.insert(sm.end(), chunk.begin(), chunk.end());
        REQUIRE(d.short_message.assign(std::span<const std::uint8_t>(sm)));
        smpp::pdu p;
        p.body = d;
        carrier.send_deliver(p, "mo part " + std::to_string(seq));
    }
    REQUIRE(carrier.wait([](auto v) { return v.deliveries_acked() == 2; }));
    REQUIRE(esme.wait_deliveries(1));

    // Barrier: a later MO leaves the outbox after the reassembled one.
    carrier.send_mo(handset(96), account_number, "after");
    REQUIRE(esme.wait_delivery([](const smpp::pdu& d) { return text_of(d) == "after"; }));
    const auto got = esme.deliveries();
    REQUIRE(got.size() == 2);
    CHECK(text_of(got[0]) == text);
    CHECK(std::get<smpp::deliver_sm>(got[0].body).source_addr.view() == handset(95));
    CHECK(gw.metric("smppgw_mo_messages_total", {{"outcome", "received"}}) == 2);
}

TEST_CASE("a carrier's permanent refusal becomes a failure receipt upstream",
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

    const auto refused = esme.call(make_submit(account_number, handset(97), "please refuse me"));
    REQUIRE(refused.status() == smpp::status::ESME_ROK);  // accepted: the carrier decides later
    const auto id = refused.message_id();
    REQUIRE(esme.wait_delivery([&](const smpp::pdu& d) { return receipted_id_of(d) == id; }));
    for (const auto& d : esme.deliveries()) {
        if (receipted_id_of(d) == id) {
            const auto t = text_of(d);
            CHECK(t.find("stat:UNDELIV") != std::string::npos);
            CHECK(t.find("err:011") != std::string::npos);  // ESME_RINVDSTADR
            CHECK(d.tlvs.get<smpp::tlv::message_state>() == std::optional<std::uint8_t>(5));
        }
    }
    const auto q = esme.call(make_query(id, account_number));
    REQUIRE(q.pdu);
    REQUIRE(q.pdu->command_status == smpp::status::ESME_ROK);
    CHECK(std::get<smpp::query_sm_resp>(q.pdu->body).message_state == 5);
    // A permanent error is not retried.
    CHECK(carrier.submits().size() == 1);
    CHECK(gw.metric("smppgw_carrier_submits_total",
                    {{"carrier", "sim"}, {"outcome", "rejected"}}) == 1);
}

TEST_CASE("a receipt that never comes: the message ends as expired after receipt_timeout",
          "[integration][receipt]") {
    fake_smsc carrier;
    carrier.set_auto_receipts(false);
    auto spec = one_carrier_spec(carrier);
    spec.receipt_timeout = "2s";
    spec.checkpoint_interval = "1s";  // overdue messages are found by the checkpoint's walk
    gateway_process gw(spec);
    gw.start();
    REQUIRE(gw.wait_ready());
    test_esme esme(gw.smpp_port());
    bind_ok(esme, smpp::bind_type::transceiver);

    const auto sent = submit_all(esme, tokened_texts("silent", 3));
    std::map<std::string, std::string> id_by_destination;
    for (const auto& s : sent) {
        REQUIRE(s.reply.status() == smpp::status::ESME_ROK);
        id_by_destination[s.destination] = s.reply.message_id();
    }
    REQUIRE(carrier.wait([&](auto v) { return v.answered_ok() >= 3; }));
    const auto at_carrier = carrier.submits();
    REQUIRE(at_carrier.size() == 3);
    // The carrier reports one of them; the other two it forgets.
    carrier.send_receipt(at_carrier[0].carrier_id, "DELIVRD");
    const auto delivered_id = id_by_destination.at(at_carrier[0].destination);

    REQUIRE(esme.wait_deliveries(3, std::chrono::seconds(20)));
    std::set<std::string> expired;
    for (const auto& d : esme.deliveries()) {
        REQUIRE(smpp::is_receipt(d));
        const auto id = receipted_id_of(d);
        const auto text = text_of(d);
        if (id == delivered_id) {
            CHECK(text.find("stat:DELIVRD") != std::string::npos);
        } else {
            CHECK(text.find("stat:EXPIRED") != std::string::npos);
            CHECK(d.tlvs.get<smpp::tlv::message_state>() == std::optional<std::uint8_t>{3});
            expired.insert(id);
        }
    }
    CHECK(expired.size() == 2);
    for (const auto& id : expired) {
        CHECK(query(esme, id).message_state == 3);  // EXPIRED, final
    }
    CHECK(gw.log_text().find("no receipt within server.receipt_timeout") != std::string::npos);

    // The carrier remembers after all: its late receipt is acknowledged and owes nothing more.
    const auto late = std::find_if(at_carrier.begin(), at_carrier.end(), [&](const auto& s) {
        return expired.count(id_by_destination.at(s.destination)) == 1;
    });
    REQUIRE(late != at_carrier.end());
    std::size_t acked = 0;
    REQUIRE(carrier.wait([&](auto v) {
        acked = v.deliveries_acked();
        return true;
    }));
    carrier.send_receipt(late->carrier_id, "DELIVRD");
    REQUIRE(carrier.wait([&](auto v) { return v.deliveries_acked() > acked; }));
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    CHECK(esme.deliveries().size() == 3);
}
