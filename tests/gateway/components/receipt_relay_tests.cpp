// The receipt relay over the live state: a carrier's receipt is matched, journaled, answered
// once durable, and its DLR reaches the account's outbox; receipts nobody can match yet are
// parked, then kept durably as unmatched, and applied when their mapping appears. On a cluster
// node, an unknown receipt goes to the node that submitted it (a kept one too, asked about
// again in turn), and one forwarded here is applied like a local one.

#include <catch2/catch.hpp>

#include "inbound/receipt_relay.hpp"
#include "smppgw/smpp/codec.hpp"
#include "smppgw/smpp/message_id.hpp"
#include "support.hpp"

namespace component_test {
namespace {

using smpp::status::ESME_ROK;
using smpp::status::ESME_RX_T_APPN;
using steady = std::chrono::steady_clock;

constexpr auto park_timeout = std::chrono::seconds(30);

struct relay_fixture : live_fixture {
    relay_fixture()
        : live_fixture(eastern(10, 15)),
          relay(live, stats,
                {park_timeout, 1000,
                 [this](std::string_view a) { return per_segment_account == a; },
                 [](std::string_view, std::string_view) { return false; }}) {}

    // Carrier "carrierA" writes opaque ids; they are matched case-insensitively.
    [[nodiscard]] std::string normalized(std::string_view raw) const {
        return std::string(
            smpp::message_id_normalizer(ids).normalize(raw, smpp::id_source::response).view());
    }

    void handle(const carrier_receipt& r) {
        relay.handle("carrierA", ids, carrier_receipt_pdu(r), responder());
    }

    // How the carrier's deliver_sm is answered, observed without a session.
    [[nodiscard]] gateway::deferred_response responder() {
        gateway::deferred_response r;
        r.observer = [seen = answers](smpp::command_status s) { seen->push_back(s); };
        return r;
    }

    // A message whose carrier acknowledged it as `carrier_id` (raw), durable.
    store::message_ptr sent_as(store::message_id id, std::string_view carrier_id,
                               std::uint8_t registered_delivery = 0x01) {
        return submitted_durable(plain_record(id, florida, registered_delivery), "carrierA",
                                 {normalized(carrier_id)});
    }

    double failures(std::string reason) {
        return value_of(stats, "smppgw_receipt_match_failures_total",
                        {{"reason", std::move(reason)}});
    }

    smpp::id_format ids{};
    std::string per_segment_account;
    gateway::metrics stats;
    gateway::receipt_relay relay;
    std::shared_ptr<std::vector<smpp::command_status>> answers =
        std::make_shared<std::vector<smpp::command_status>>();
};

}  // namespace

TEST_CASE("a matched receipt is answered ESME_ROK only once it is durable, then goes upstream",
          "[receipt_relay]") {
    relay_fixture f;
    const auto m = f.sent_as(5, "AB12");
    const auto before = f.journal.records().size();

    f.handle({.id = "AB12"});

    CHECK(f.answers->empty());
    REQUIRE(f.journal.records().size() == before + 1);
    const auto receipts = f.records<store::receipt_record>(record_kind::receipt);
    REQUIRE(receipts.size() == 1);
    CHECK(receipts[0].id == 5);
    CHECK(receipts[0].account == "acct1");
    CHECK(receipts[0].state == store::message_state::delivered);
    const auto dlr = read_upstream_receipt(receipts[0].dlr);
    REQUIRE(dlr);
    CHECK(dlr->receipted_message_id == "5");  // our id, never the carrier's
    CHECK(m->phase == store::message_phase::finished);
    CHECK(f.outbox("acct1").pending == 1);
    CHECK(f.outbox("acct1").ready == 0);
    CHECK(f.outbox_ready.empty());

    f.journal.complete();

    CHECK(*f.answers == std::vector<smpp::command_status>{ESME_ROK});
    CHECK(f.outbox("acct1").ready == 1);
    CHECK(f.outbox_ready == std::vector<std::string>{"acct1"});
    CHECK(value_of(f.stats, "smppgw_receipts_total", {{"carrier", "carrierA"}}) == 1);
    CHECK(value_of(f.stats, "smppgw_latency_seconds", {{"stage", "receipt"}}) == 1);
}

TEST_CASE("the receipt text's id is enough when the carrier sends no TLVs", "[receipt_relay]") {
    relay_fixture f;
    const auto m = f.sent_as(5, "ab12");
    f.handle({.id = "AB12", .with_tlvs = false});
    f.journal.complete();
    CHECK(*f.answers == std::vector<smpp::command_status>{ESME_ROK});
    CHECK(m->phase == store::message_phase::finished);
}

TEST_CASE("a receipt the journal refused is answered ESME_RX_T_APPN and is new when resent",
          "[receipt_relay]") {
    relay_fixture f;
    const auto m = f.sent_as(5, "AB12");

    f.handle({.id = "AB12"});
    f.journal.complete(write_failure());

    CHECK(*f.answers == std::vector<smpp::command_status>{ESME_RX_T_APPN});
    CHECK(m->phase == store::message_phase::awaiting_receipt);
    CHECK(m->rec.parts[0].state == store::message_state::submitted);
    CHECK(f.outbox("acct1").pending + f.outbox("acct1").ready == 0);

    // The carrier sends it again: applied, not taken for a repeat.
    f.handle({.id = "AB12"});
    f.journal.complete();
    CHECK(f.answers->back() == ESME_ROK);
    CHECK(f.count(record_kind::receipt) == 2);
    CHECK(m->phase == store::message_phase::finished);
    CHECK(f.outbox("acct1").ready == 1);
}

TEST_CASE("a repeat of a part's final receipt is answered at once and writes nothing",
          "[receipt_relay]") {
    relay_fixture f;
    const auto m = f.submitted_durable(plain_record(5, florida), "carrierA",
                                       {f.normalized("P1"), f.normalized("P2")});
    f.handle({.id = "P1"});
    f.journal.complete();
    const auto before = f.journal.records().size();

    // The carrier lost our answer and sends part 1's final receipt again.
    f.handle({.id = "P1"});

    CHECK(*f.answers == std::vector<smpp::command_status>{ESME_ROK, ESME_ROK});
    CHECK(f.journal.records().size() == before);
    CHECK(f.journal.pending() == 0);
    CHECK(f.relay.parked() == 0);
    CHECK(m->phase == store::message_phase::awaiting_receipt);
}

// A finished message keeps its carrier-id mappings until it leaves memory, so a repeat of its
// final receipt (the carrier's link dropped before our answer) is recognised as one: answered
// at once, nothing journaled, nothing parked or kept as unmatched.
TEST_CASE("a repeat of the final receipt of a finished message is answered at once",
          "[receipt_relay]") {
    relay_fixture f;
    f.sent_as(5, "AB12");
    f.handle({.id = "AB12"});
    f.journal.complete();
    const auto before = f.journal.records().size();

    f.handle({.id = "AB12"});

    CHECK(f.relay.parked() == 0);
    CHECK(*f.answers == std::vector<smpp::command_status>{ESME_ROK, ESME_ROK});
    f.relay.sweep(steady::now() + park_timeout + std::chrono::seconds(1));
    CHECK(f.journal.records().size() == before);
    CHECK(f.live.list_unmatched(10).empty());
}

TEST_CASE("the account's per-segment setting decides when a part's receipt goes up",
          "[receipt_relay]") {
    relay_fixture f;
    auto rec = plain_record(5, florida);
    const auto m = f.submitted_durable(rec, "carrierA", {f.normalized("P1"), f.normalized("P2")});

    SECTION("one receipt per submit: nothing after the first part") {
        f.handle({.id = "P1"});
        f.journal.complete();
        CHECK(f.outbox("acct1").ready == 0);
        CHECK(m->phase == store::message_phase::awaiting_receipt);
        f.handle({.id = "P2"});
        f.journal.complete();
        CHECK(f.outbox("acct1").ready == 1);
        CHECK(m->phase == store::message_phase::finished);
    }
    SECTION("per segment: a receipt for each part") {
        f.per_segment_account = "acct1";
        f.handle({.id = "P1"});
        f.journal.complete();
        CHECK(f.outbox("acct1").ready == 1);
        f.handle({.id = "P2"});
        f.journal.complete();
        CHECK(f.outbox("acct1").ready == 2);
    }
}

TEST_CASE("a receipt for an unknown id is parked, then applied when its mapping appears",
          "[receipt_relay]") {
    relay_fixture f;
    const auto m = f.accept_durable(plain_record(6, florida));
    REQUIRE(f.live.begin_submit(m));
    const auto before = f.journal.records().size();

    // The carrier's receipt overtook its own submit_sm_resp.
    f.handle({.id = "CD34"});

    CHECK(f.relay.parked() == 1);
    CHECK(f.answers->empty());
    CHECK(f.journal.records().size() == before);

    store::submitted_record s;
    s.id = 6;
    s.carrier = "carrierA";
    s.carrier_message_id = f.normalized("CD34");
    s.when = f.clock->now();
    auto kept = f.live.submitted(m, std::move(s), {});
    CHECK(kept.empty());
    f.relay.mapped("carrierA", f.normalized("CD34"), std::move(kept));

    CHECK(f.relay.parked() == 0);
    CHECK(f.kinds().back() == record_kind::receipt);
    CHECK(f.answers->empty());
    f.journal.complete();
    CHECK(*f.answers == std::vector<smpp::command_status>{ESME_ROK});
    CHECK(m->phase == store::message_phase::finished);
    CHECK(f.outbox("acct1").ready == 1);
}

TEST_CASE("a sweep applies a parked receipt whose mapping appeared without a call to mapped",
          "[receipt_relay]") {
    relay_fixture f;
    f.handle({.id = "CD34"});
    REQUIRE(f.relay.parked() == 1);
    const auto m = f.sent_as(6, "CD34");

    f.relay.sweep(steady::now());

    CHECK(f.relay.parked() == 0);
    f.journal.complete();
    CHECK(*f.answers == std::vector<smpp::command_status>{ESME_ROK});
    CHECK(m->phase == store::message_phase::finished);
}

TEST_CASE(
    "a receipt nobody claims within the park timeout is kept durably as unmatched, "
    "and applied once its mapping appears",
    "[receipt_relay]") {
    relay_fixture f;
    f.handle({.id = "EF56", .stat = "UNDELIV", .err = 11});
    const auto parked_at = steady::now();

    // Within the timeout a sweep looks again and keeps it parked.
    f.relay.sweep(parked_at);
    CHECK(f.relay.parked() == 1);
    CHECK(f.journal.records().empty());

    f.relay.sweep(parked_at + park_timeout + std::chrono::seconds(1));

    CHECK(f.relay.parked() == 0);
    const auto kept = f.records<store::unmatched_record>(record_kind::unmatched_receipt);
    REQUIRE(kept.size() == 1);
    CHECK(kept[0].carrier == "carrierA");
    CHECK(kept[0].carrier_message_id == f.normalized("EF56"));
    CHECK_FALSE(kept[0].pdu.empty());
    CHECK(f.answers->empty());
    f.journal.complete();
    CHECK(*f.answers == std::vector<smpp::command_status>{ESME_ROK});
    CHECK(f.live.list_unmatched(10).size() == 1);
    CHECK(f.live.counts().unmatched_receipts == 1);
    CHECK(f.failures("unknown_id") == 1);

    // Much later the message that receipt was for is acknowledged by the carrier: the store
    // hands the kept receipt back, and applying it settles the unmatched entry in one group.
    const auto m = f.accept_durable(plain_record(8, florida));
    REQUIRE(f.live.begin_submit(m));
    store::submitted_record s;
    s.id = 8;
    s.carrier = "carrierA";
    s.carrier_message_id = f.normalized("EF56");
    s.when = f.clock->now();
    auto waiting = f.live.submitted(m, std::move(s), {});
    REQUIRE(waiting.size() == 1);
    const auto before = f.journal.records().size();

    f.relay.mapped("carrierA", f.normalized("EF56"), std::move(waiting));

    const auto kinds = f.kinds();
    REQUIRE(kinds.size() == before + 2);
    CHECK(kinds[before] == record_kind::unmatched_resolved);
    CHECK(kinds[before + 1] == record_kind::receipt);
    const auto receipts = f.records<store::receipt_record>(record_kind::receipt);
    REQUIRE(receipts.size() == 1);
    CHECK(receipts[0].id == 8);
    CHECK(receipts[0].state == store::message_state::undeliverable);
    CHECK(receipts[0].error == 11);
    f.journal.complete();
    CHECK(f.live.list_unmatched(10).empty());
    CHECK(m->phase == store::message_phase::finished);
    CHECK(f.outbox("acct1").ready == 1);
    CHECK(f.failures("matched_late") == 1);
    CHECK(f.answers->size() == 1);  // the carrier was answered when the receipt was kept
}

TEST_CASE("a receipt without an id is answered at once: nothing can be matched",
          "[receipt_relay]") {
    relay_fixture f;
    smpp::deliver_sm d;
    d.esm_class = smpp::esm::smsc_delivery_receipt;
    REQUIRE(d.short_message.assign("stat:DELIVRD err:000"));
    smpp::pdu p;
    p.body = d;

    f.relay.handle("carrierA", f.ids, p, f.responder());

    CHECK(*f.answers == std::vector<smpp::command_status>{ESME_ROK});
    CHECK(f.relay.parked() == 0);
    CHECK(f.journal.records().empty());
    CHECK(f.failures("no_id") == 1);
}

}  // namespace component_test

// ---- a cluster node: receipts that arrive on another node's bind ------------------------------

namespace component_test {
namespace {

// The cluster as the relay sees it: which node submitted an id (answered when the test says),
// and the receipts forwarded, each stored or not when the test says.
struct fake_cluster {
    struct question {
        std::string carrier;
        std::string id;
        std::function<void(std::string)> found;
    };
    struct forwarded_receipt {
        std::string node;
        std::string carrier;
        std::vector<std::string> ids;
        std::string pdu;
        std::function<void(bool)> done;
    };
    std::vector<question> questions;
    std::vector<forwarded_receipt> forwarded;

    gateway::receipt_relay::elsewhere seam() {
        return {.self = "gw-a",
                .locate = [this](std::string_view carrier, std::string_view id,
                                 std::function<void(std::string)> found) {
                    questions.push_back({std::string(carrier), std::string(id), std::move(found)});
                },
                .forward = [this](const std::string& node, std::string_view carrier,
                                  const std::vector<std::string>& ids, std::string_view pdu,
                                  std::function<void(bool)> done) {
                    forwarded.push_back({node, std::string(carrier), ids, std::string(pdu),
                                         std::move(done)});
                    return true;
                },
                .reachable = [this] { return reachable; }};
    }
    bool reachable = true;
};

std::string bytes_of(const smpp::pdu& p) {
    std::vector<std::uint8_t> b;
    REQUIRE_FALSE(smpp::encode(p, b));
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}

}  // namespace

TEST_CASE("on a cluster, a receipt nobody here knows goes to the node that submitted it; the "
          "carrier hears ESME_ROK once the cluster stored it",
          "[receipt_relay][cluster]") {
    relay_fixture f;
    fake_cluster c;
    f.relay.set_elsewhere(c.seam());

    f.handle({.id = "AB12"});
    CHECK(f.relay.parked() == 1);
    REQUIRE(c.questions.size() == 1);
    CHECK(c.questions[0].carrier == "carrierA");
    CHECK(c.questions[0].id == f.normalized("AB12"));

    c.questions[0].found("gw-b");
    CHECK(f.relay.parked() == 0);
    REQUIRE(c.forwarded.size() == 1);
    CHECK(c.forwarded[0].node == "gw-b");
    CHECK(c.forwarded[0].ids == std::vector<std::string>{f.normalized("AB12")});
    CHECK_FALSE(c.forwarded[0].pdu.empty());
    CHECK(f.answers->empty());  // not before the cluster holds it

    c.forwarded[0].done(true);
    CHECK(*f.answers == std::vector<smpp::command_status>{ESME_ROK});
    CHECK(f.journal.records().empty());  // nothing of it is this node's to write
}

TEST_CASE("on a cluster, a receipt the cluster did not store, or that no node claims yet, waits "
          "here and is asked about again",
          "[receipt_relay][cluster]") {
    relay_fixture f;
    fake_cluster c;
    f.relay.set_elsewhere(c.seam());
    const auto start = steady::now();

    f.handle({.id = "AB12"});
    REQUIRE(c.questions.size() == 1);
    // Nobody recorded it yet (the submitting node's route is on its way).
    c.questions[0].found("");
    CHECK(f.relay.parked() == 1);
    f.relay.sweep(start);
    CHECK(c.questions.size() == 1);  // not at once
    f.relay.sweep(start + std::chrono::seconds(2));
    REQUIRE(c.questions.size() == 2);

    // Our own name: our own mapping is on its way; it waits for it.
    c.questions[1].found("gw-a");
    CHECK(f.relay.parked() == 1);
    CHECK(c.forwarded.empty());
    f.relay.sweep(start + std::chrono::seconds(4));
    REQUIRE(c.questions.size() == 3);

    // gw-b, but the cluster does not store it: it waits here again, unanswered.
    c.questions[2].found("gw-b");
    REQUIRE(c.forwarded.size() == 1);
    c.forwarded[0].done(false);
    CHECK(f.relay.parked() == 1);
    CHECK(f.answers->empty());
    f.relay.sweep(start + std::chrono::seconds(6));
    REQUIRE(c.questions.size() == 4);
    c.questions[3].found("gw-b");
    REQUIRE(c.forwarded.size() == 2);
    c.forwarded[1].done(true);
    CHECK(f.relay.parked() == 0);
    CHECK(*f.answers == std::vector<smpp::command_status>{ESME_ROK});
}

TEST_CASE("on a cluster, a receipt kept as unmatched is asked about again in turn, and goes to "
          "the node that submitted it once the cluster knows that node",
          "[receipt_relay][cluster]") {
    relay_fixture f;
    fake_cluster c;
    f.relay.set_elsewhere(c.seam());
    const auto interval = gateway::receipt_relay::kept_ask_interval;

    f.handle({.id = "AB12"});
    REQUIRE(c.questions.size() == 1);
    c.questions[0].found("");  // no route yet: a slow cluster
    auto t = steady::now() + park_timeout + std::chrono::seconds(1);
    f.relay.sweep(t);
    f.journal.complete();
    REQUIRE(f.live.list_unmatched(10).size() == 1);
    CHECK(*f.answers == std::vector<smpp::command_status>{ESME_ROK});  // kept durably

    const auto asked = c.questions.size();
    t += interval;
    f.relay.sweep(t);
    REQUIRE(c.questions.size() == asked + 1);
    CHECK(c.questions.back().carrier == "carrierA");
    CHECK(c.questions.back().id == f.normalized("AB12"));
    c.questions.back().found("");  // still nobody's
    f.relay.sweep(t + std::chrono::seconds(1));
    CHECK(c.questions.size() == asked + 1);  // not again within the interval

    t += interval;
    f.relay.sweep(t);
    REQUIRE(c.questions.size() == asked + 2);
    c.questions.back().found("gw-a");  // ours after all: its mapping will hand it back here
    CHECK(c.forwarded.empty());

    t += interval;
    f.relay.sweep(t);
    REQUIRE(c.questions.size() == asked + 3);
    c.questions.back().found("gw-b");
    REQUIRE(c.forwarded.size() == 1);
    CHECK(c.forwarded[0].node == "gw-b");
    CHECK(c.forwarded[0].ids == std::vector<std::string>{f.normalized("AB12")});
    CHECK_FALSE(c.forwarded[0].pdu.empty());
    c.forwarded[0].done(false);  // the cluster did not store it: it stays kept here
    CHECK(f.live.list_unmatched(10).size() == 1);

    t += interval;
    f.relay.sweep(t);
    REQUIRE(c.questions.size() == asked + 4);
    c.questions.back().found("gw-b");
    REQUIRE(c.forwarded.size() == 2);
    c.forwarded[1].done(true);
    CHECK(f.kinds().back() == record_kind::unmatched_resolved);
    f.journal.complete();
    CHECK(f.live.list_unmatched(10).empty());
    CHECK(f.answers->size() == 1);  // the carrier was answered once, when it was kept
}

TEST_CASE("on a cluster, kept receipts are not asked about while the cluster is away, and are "
          "asked about as soon as it is back",
          "[receipt_relay][cluster]") {
    relay_fixture f;
    fake_cluster c;
    f.relay.set_elsewhere(c.seam());
    const auto interval = gateway::receipt_relay::kept_ask_interval;
    const auto t0 = steady::now();
    f.relay.sweep(t0);  // a round with nothing kept: the next is due at t0 + interval

    // The cluster is away (this node degraded) when the receipt comes: kept after the park.
    c.reachable = false;
    f.handle({.id = "AB12"});
    for (auto& q : c.questions) {
        q.found("");  // what the node answers while away
    }
    const auto asked = c.questions.size();
    auto t = t0 + park_timeout + std::chrono::seconds(1);
    f.relay.sweep(t);
    f.journal.complete();
    REQUIRE(f.live.list_unmatched(10).size() == 1);
    CHECK(c.questions.size() == asked);

    // Back long before the round is due: asked at the next sweep all the same.
    c.reachable = true;
    t += std::chrono::seconds(1);
    REQUIRE(t < t0 + interval);
    f.relay.sweep(t);
    REQUIRE(c.questions.size() == asked + 1);
    CHECK(c.questions.back().id == f.normalized("AB12"));
    c.questions.back().found("");  // the route has not reached the cluster yet
    f.relay.sweep(t + std::chrono::seconds(1));
    CHECK(c.questions.size() == asked + 1);  // then the interval again

    // Away when the next round is due: none, however long it stays away...
    c.reachable = false;
    t += interval + interval;
    f.relay.sweep(t);
    CHECK(c.questions.size() == asked + 1);
    // ...and one as soon as it is back, which finds the submitting node.
    c.reachable = true;
    t += std::chrono::seconds(1);
    f.relay.sweep(t);
    REQUIRE(c.questions.size() == asked + 2);
    c.questions.back().found("gw-b");
    REQUIRE(c.forwarded.size() == 1);
    CHECK(c.forwarded[0].node == "gw-b");
    c.forwarded[0].done(true);
    f.journal.complete();
    CHECK(f.live.list_unmatched(10).empty());
}

TEST_CASE("a receipt another node forwarded here is applied like one from a local bind and "
          "settled once durable; one nobody here knows waits and is never forwarded again",
          "[receipt_relay][cluster]") {
    relay_fixture f;
    fake_cluster c;
    f.relay.set_elsewhere(c.seam());
    const auto m = f.sent_as(6, "CD34");

    std::vector<bool> settled;
    f.relay.forwarded("carrierA", {f.normalized("CD34")},
                      bytes_of(carrier_receipt_pdu({.id = "CD34"})),
                      [&](bool taken) { settled.push_back(taken); });
    CHECK(f.kinds().back() == record_kind::receipt);
    CHECK(settled.empty());  // not before it is durable
    f.journal.complete();
    CHECK(settled == std::vector<bool>{true});
    CHECK(m->phase == store::message_phase::finished);
    CHECK(f.outbox("acct1").ready == 1);

    f.relay.forwarded("carrierA", {f.normalized("EF56")},
                      bytes_of(carrier_receipt_pdu({.id = "EF56"})),
                      [&](bool taken) { settled.push_back(taken); });
    CHECK(f.relay.parked() == 1);
    f.relay.sweep(steady::now() + std::chrono::seconds(10));
    CHECK(c.questions.empty());
    CHECK(settled.size() == 1);

    // A forwarded PDU that is not a receipt cannot ever be applied: taken, not retried forever.
    f.relay.forwarded("carrierA", {"x"}, "garbage", [&](bool taken) { settled.push_back(taken); });
    CHECK(settled == std::vector<bool>{true, true});
}

}  // namespace component_test
