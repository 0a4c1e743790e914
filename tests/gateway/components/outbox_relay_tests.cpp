// The outbox relay: entries of an account's outbox go to its receiver binds within their
// deliver window; acknowledged entries leave (journaled), refused ones come back and pause
// the bind, a closed bind hands back what it had; outbox_relay wakes an account's receivers.

#include <catch2/catch.hpp>

#include "inbound/outbox_relay.hpp"
#include "support.hpp"

namespace component_test {
namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

// A receiver bind: records what it was handed and how often it was woken.
class fake_receiver final : public gateway::receiver {
public:
    struct sent {
        std::string bytes;
        std::uint64_t cookie = 0;
    };

    bool deliver(std::string_view bytes, std::uint64_t cookie) override {
        if (!accepting) {
            return false;
        }
        handed.push_back({std::string(bytes), cookie});
        return true;
    }
    void kick() override { ++kicks; }

    [[nodiscard]] std::vector<std::string> bytes() const {
        std::vector<std::string> out;
        for (const auto& s : handed) {
            out.push_back(s.bytes);
        }
        return out;
    }

    bool accepting = true;
    std::vector<sent> handed;
    int kicks = 0;
};

smpp::pdu response(smpp::command_status status) {
    smpp::pdu p;
    p.command_status = status;
    p.body = smpp::deliver_sm_resp{};
    return p;
}

struct outbox_fixture : live_fixture {
    outbox_fixture() : live_fixture(eastern(10, 15)), delivery(live, "acct1", receiver, &stats) {}

    // `n` MOs for acct1, "mo-1" ... "mo-n", made durable (deliverable) unless told otherwise.
    std::vector<store::lsn_t> add_entries(int n, bool durable = true) {
        std::vector<store::lsn_t> entries;
        for (int i = 1; i <= n; ++i) {
            entries.push_back(live.next_lsn());
            store::mo_record r;
            r.account = "acct1";
            r.kind = store::outbox_kind::mo;
            r.when = clock->now();
            r.bytes = "mo-" + std::to_string(next_++);
            live.mo(std::move(r), {}, nullptr, nullptr, {});
        }
        if (durable) {
            journal.complete();
        }
        return entries;
    }

    void answer(std::size_t handed_index, smpp::command_status status, steady::time_point at) {
        const auto r = response(status);
        delivery.answered(receiver.handed.at(handed_index).cookie, &r, at);
    }

    double delivered(std::string kind) {
        return value_of(stats, "smppgw_outbox_delivered_total",
                        {{"account", "acct1"}, {"kind", std::move(kind)}});
    }

    gateway::metrics stats;
    fake_receiver receiver;
    gateway::outbox_delivery delivery;
    steady::time_point t0 = steady::now();

private:
    int next_ = 1;
};

}  // namespace

TEST_CASE("an outbox entry is deliverable only once its record is durable", "[outbox]") {
    outbox_fixture f;
    f.add_entries(1, false);
    CHECK(f.delivery.pump(8, f.t0) == steady::time_point{});
    CHECK(f.receiver.handed.empty());
    CHECK(f.outbox("acct1").pending == 1);

    f.journal.complete();
    f.delivery.pump(8, f.t0);
    CHECK(f.receiver.bytes() == std::vector<std::string>{"mo-1"});
}

TEST_CASE("pump hands entries to the receiver oldest first, never more than the window",
          "[outbox]") {
    outbox_fixture f;
    f.add_entries(5);

    CHECK(f.delivery.pump(2, f.t0) == steady::time_point{});
    CHECK(f.receiver.bytes() == std::vector<std::string>{"mo-1", "mo-2"});
    CHECK(f.delivery.in_flight() == 2);
    CHECK(f.outbox("acct1").in_flight == 2);
    CHECK(f.outbox("acct1").ready == 3);

    f.delivery.pump(2, f.t0);
    CHECK(f.receiver.handed.size() == 2);  // the window is full

    f.delivery.pump(10, f.t0);
    CHECK(f.receiver.handed.size() == 5);
    CHECK(f.outbox("acct1").ready == 0);
}

TEST_CASE("a receiver that cannot take more keeps the rest in the outbox", "[outbox]") {
    outbox_fixture f;
    f.add_entries(3);
    f.receiver.accepting = false;
    f.delivery.pump(8, f.t0);
    CHECK(f.delivery.in_flight() == 0);
    CHECK(f.outbox("acct1").ready == 3);

    f.receiver.accepting = true;
    f.delivery.pump(8, f.t0);
    CHECK(f.receiver.bytes() == std::vector<std::string>{"mo-1", "mo-2", "mo-3"});
}

TEST_CASE("an acknowledged entry leaves the outbox, journaled, and makes room in the window",
          "[outbox]") {
    outbox_fixture f;
    const auto entries = f.add_entries(3);
    f.delivery.pump(2, f.t0);

    f.answer(0, smpp::status::ESME_ROK, f.t0);

    const auto done = f.records<store::outbox_done_record>(record_kind::delivered_upstream);
    REQUIRE(done.size() == 1);
    CHECK(done[0].account == "acct1");
    CHECK(done[0].entry == entries[0]);
    CHECK(f.delivery.in_flight() == 1);
    CHECK(f.outbox("acct1").in_flight == 1);
    CHECK(f.outbox("acct1").ready == 1);
    CHECK(f.delivered("mo") == 1);

    f.delivery.pump(2, f.t0);
    CHECK(f.receiver.bytes() == std::vector<std::string>{"mo-1", "mo-2", "mo-3"});
    // A late or unknown answer changes nothing.
    f.answer(0, smpp::status::ESME_ROK, f.t0);
    CHECK(f.count(record_kind::delivered_upstream) == 1);
}

TEST_CASE(
    "a temporary refusal or a timeout puts the entry back and pauses the bind, longer "
    "each time",
    "[outbox]") {
    outbox_fixture f;
    f.add_entries(2);
    f.delivery.pump(1, f.t0);

    f.answer(0, smpp::status::ESME_RX_T_APPN, f.t0);

    CHECK(f.count(record_kind::delivered_upstream) == 0);
    CHECK(f.delivery.in_flight() == 0);
    CHECK(f.outbox("acct1").ready == 2);
    CHECK(f.delivery.pump(1, f.t0) == f.t0 + 250ms);
    CHECK(f.delivery.pump(1, f.t0 + 249ms) == f.t0 + 250ms);
    CHECK(f.receiver.handed.size() == 1);

    // After the pause the same entry goes first again.
    const auto t1 = f.t0 + 250ms;
    CHECK(f.delivery.pump(1, t1) == steady::time_point{});
    REQUIRE(f.receiver.handed.size() == 2);
    CHECK(f.receiver.handed[1].bytes == "mo-1");

    // No answer in time (the session reports a timeout): back, and twice the pause.
    f.delivery.answered(f.receiver.handed[1].cookie, nullptr, t1);
    CHECK(f.delivery.pump(1, t1) == t1 + 500ms);

    const auto t2 = t1 + 500ms;
    f.delivery.pump(1, t2);
    f.answer(2, smpp::status::ESME_RTHROTTLED, t2);
    CHECK(f.delivery.pump(1, t2) == t2 + 1000ms);

    // An acknowledgement resets the backoff.
    const auto t3 = t2 + 1000ms;
    f.delivery.pump(1, t3);
    f.answer(3, smpp::status::ESME_ROK, t3);
    f.delivery.pump(1, t3);
    f.answer(4, smpp::status::ESME_RX_T_APPN, t3);
    CHECK(f.delivery.pump(1, t3) == t3 + 250ms);
    CHECK(f.outbox("acct1").ready == 1);
}

TEST_CASE("the pause stops growing at 30 seconds", "[outbox]") {
    outbox_fixture f;
    f.add_entries(1);
    auto now = f.t0;
    std::vector<std::chrono::milliseconds> pauses;
    for (std::size_t i = 0; i < 10; ++i) {
        REQUIRE(f.delivery.pump(1, now) == steady::time_point{});
        f.answer(i, smpp::status::ESME_RX_T_APPN, now);
        const auto until = f.delivery.pump(1, now);
        pauses.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(until - now));
        now = until;
    }
    CHECK(pauses[6] == 16s);
    CHECK(pauses[7] == 30s);
    CHECK(pauses[9] == 30s);
}

TEST_CASE("a permanent refusal counts as done: retrying cannot change it", "[outbox]") {
    outbox_fixture f;
    const auto entries = f.add_entries(3);
    f.delivery.pump(2, f.t0);

    f.answer(0, smpp::status::ESME_RX_P_APPN, f.t0);
    f.answer(1, smpp::status::ESME_RX_R_APPN, f.t0);

    const auto done = f.records<store::outbox_done_record>(record_kind::delivered_upstream);
    REQUIRE(done.size() == 2);
    CHECK(done[0].entry == entries[0]);
    CHECK(done[1].entry == entries[1]);
    CHECK(f.delivered("refused") == 2);
    CHECK(f.delivered("mo") == 0);
    // Not a reason to pause.
    CHECK(f.delivery.pump(2, f.t0) == steady::time_point{});
    CHECK(f.receiver.bytes().back() == "mo-3");
}

TEST_CASE("a closed bind hands back what it had in flight, and another bind takes it", "[outbox]") {
    outbox_fixture f;
    f.add_entries(4);
    f.delivery.pump(3, f.t0);
    REQUIRE(f.delivery.in_flight() == 3);

    f.delivery.closed();

    CHECK(f.delivery.in_flight() == 0);
    CHECK(f.outbox("acct1").in_flight == 0);
    CHECK(f.outbox("acct1").ready == 4);
    CHECK(f.count(record_kind::delivered_upstream) == 0);

    // The account binds again (a rebind, or its other receiver).
    fake_receiver other;
    gateway::outbox_delivery again(f.live, "acct1", other, &f.stats);
    again.pump(8, f.t0);
    CHECK(other.bytes() == std::vector<std::string>{"mo-1", "mo-2", "mo-3", "mo-4"});
    // The old session's answers no longer mean anything.
    f.answer(0, smpp::status::ESME_ROK, f.t0);
    CHECK(f.count(record_kind::delivered_upstream) == 0);
}

TEST_CASE("outbox_relay wakes every live receiver of the account, and only those",
          "[outbox][outbox_relay]") {
    gateway::outbox_relay relay;
    auto a1 = std::make_shared<fake_receiver>();
    auto a2 = std::make_shared<fake_receiver>();
    auto b1 = std::make_shared<fake_receiver>();

    relay.add("acct1", a1);
    relay.add("acct1", a2);
    relay.add("acct2", b1);
    // Binding is a reason to look: whatever waited while nobody was bound.
    CHECK(a1->kicks == 1);
    CHECK(a2->kicks == 1);
    CHECK(b1->kicks == 1);
    CHECK(relay.receivers("acct1") == 2);

    CHECK(relay.ready("acct1") == 2);
    CHECK(a1->kicks == 2);
    CHECK(a2->kicks == 2);
    CHECK(b1->kicks == 1);

    CHECK(relay.ready("nobody") == 0);
    CHECK(a1->kicks + a2->kicks + b1->kicks == 5);

    // a1 unbinds: what it had in flight went back, so the account's other receiver looks.
    relay.remove("acct1", a1.get());
    CHECK(relay.receivers("acct1") == 1);
    CHECK(a2->kicks == 3);
    CHECK(a1->kicks == 2);
    CHECK(relay.ready("acct1") == 1);
    CHECK(a1->kicks == 2);
    CHECK(a2->kicks == 4);

    // A receiver that went away without remove() is skipped, not woken.
    std::weak_ptr<fake_receiver> gone = a2;
    a2.reset();
    REQUIRE(gone.expired());
    CHECK(relay.ready("acct1") == 0);
    CHECK(a1->kicks == 2);
    CHECK(b1->kicks == 1);
}

TEST_CASE("an entry made durable wakes the account's receivers, which deliver it",
          "[outbox][outbox_relay]") {
    outbox_fixture f;
    gateway::outbox_relay relay;
    f.live.on_outbox_ready([&](std::string_view account) { relay.ready(account); });
    auto bind = std::make_shared<fake_receiver>();
    relay.add("acct1", bind);
    gateway::outbox_delivery delivery(f.live, "acct1", *bind, &f.stats);
    const int kicks_at_bind = bind->kicks;

    f.add_entries(1, false);
    CHECK(bind->kicks == kicks_at_bind);
    f.journal.complete();
    CHECK(bind->kicks == kicks_at_bind + 1);

    delivery.pump(8, f.t0);  // what the receiver's kick leads to, on its own thread
    CHECK(bind->bytes() == std::vector<std::string>{"mo-1"});
}

}  // namespace component_test
