// live_state with a memory_journal and a manual clock (no RocksDB): each transition's record,
// its effect on phases, counts and correlation, what durability unlocks (outbox entries, the
// materializer), what a failed group rolls back, the phase rules of cancel/replace/release,
// unmatched receipts, and replay through the same apply functions.

#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "live_util.hpp"
#include "smppgw/store/live_state.hpp"
#include "smppgw/store/testing.hpp"

using namespace smppgw::store;
using namespace smppgw::store::test;

namespace {

// A live state over a memory journal that reports its groups back to it, as the committer does.
struct fixture {
    std::shared_ptr<manual_clock> clk = std::make_shared<manual_clock>(test_start);
    memory_journal journal;
    live_state live{journal, clk};
    completions done;
    std::vector<std::string> ready_accounts;

    fixture() {
        journal.set_listener([this](lsn_t first, std::size_t count, std::error_code ec) {
            live.group_completed(first, count, ec);
        });
        live.on_outbox_ready([this](std::string_view a) { ready_accounts.emplace_back(a); });
    }

    std::vector<record_kind> kinds() const {
        std::vector<record_kind> out;
        for (const auto& r : journal.records()) {
            out.push_back(r.kind);
        }
        return out;
    }

    // accept + begin_submit + every part submitted, made durable.
    message_ptr awaiting(message_id id, std::uint16_t parts = 1, std::string account = "acct-1") {
        auto m =
            live.accept(make_accepted(id, parts, std::nullopt, std::move(account)), nullptr, {});
        REQUIRE(live.begin_submit(m));
        for (std::uint16_t p = 0; p < parts; ++p) {
            REQUIRE(live.submitted(m, make_submitted(id, p, parts), {}).empty());
        }
        journal.complete();
        REQUIRE(m->phase == message_phase::awaiting_receipt);
        return m;
    }

    std::vector<std::pair<lsn_t, std::string>> take_all(std::string_view account,
                                                        std::size_t max = SIZE_MAX) {
        std::vector<std::pair<lsn_t, std::string>> out;
        live.take_outbox(account, max, [&](lsn_t entry, outbox_kind, std::string_view bytes) {
            out.emplace_back(entry, std::string(bytes));
            return true;
        });
        return out;
    }
};

ended_record ended(message_state state, std::string dlr = {}, std::uint32_t status = 0) {
    ended_record r;
    r.state = state;
    r.status = status;
    r.when = test_start + 1min;
    r.dlr = std::move(dlr);
    return r;
}

mo_record make_mo(std::string account, std::string bytes) {
    return mo_record{std::move(account), outbox_kind::mo, test_start, std::move(bytes)};
}

}  // namespace

TEST_CASE("an MT message from acceptance to the receipt delivered upstream", "[live]") {
    fixture f;
    auto m = f.live.accept(make_accepted(100, 2), nullptr, f.done.make());
    REQUIRE(m);
    CHECK(m->phase == message_phase::queued);
    CHECK(m->lsn == 1);
    CHECK(f.live.counts().queued == 1);
    CHECK(f.live.waiting_for_carrier() == 1);
    CHECK(f.live.max_id() == 100);
    CHECK(f.done.done() == 0);  // nothing is durable until the journal says so
    CHECK(f.journal.complete() == 1);
    CHECK(f.done.done() == 1);
    CHECK(f.done.failed() == 0);

    REQUIRE(f.live.begin_submit(m));
    CHECK_FALSE(f.live.begin_submit(m));  // one carrier bind at a time
    CHECK(f.live.counts().submitting == 1);
    CHECK(f.live.waiting_for_carrier() == 1);  // submitting still waits for the carrier

    CHECK(f.live.submitted(m, make_submitted(100, 0, 2), f.done.make()).empty());
    CHECK(m->phase == message_phase::submitting);  // part 1 is not acknowledged yet
    CHECK(f.live.submitted(m, make_submitted(100, 1, 2), f.done.make()).empty());
    CHECK(m->phase == message_phase::awaiting_receipt);
    CHECK(f.live.waiting_for_carrier() == 0);
    auto rec = f.live.find(100);
    REQUIRE(rec);
    CHECK(rec->state == message_state::submitted);
    CHECK(rec->carrier == "carrier-a");
    CHECK(rec->parts[1].carrier_message_id == cmid_of(100, 1));
    CHECK(rec->history.back().state == message_state::submitted);

    // Receipts find the message by (carrier, carrier id).
    CHECK(f.live.receipt("carrier-a", cmid_of(100, 0), fold_to(message_state::delivered),
                         f.done.make()) == live_state::receipt_result::applied);
    CHECK(f.live.receipt("carrier-a", cmid_of(100, 0), fold_to(message_state::delivered),
                         f.done.make()) == live_state::receipt_result::repeat);
    CHECK(f.live.receipt("carrier-b", cmid_of(100, 1), fold_to(message_state::delivered),
                         f.done.make()) == live_state::receipt_result::unknown);
    CHECK(m->phase == message_phase::awaiting_receipt);
    CHECK(f.live.receipt("carrier-a", cmid_of(100, 1), fold_to(message_state::delivered, "dlr"),
                         f.done.make()) == live_state::receipt_result::applied);
    CHECK(m->phase == message_phase::finished);
    CHECK(f.live.find(100)->state == message_state::delivered);
    CHECK(f.live.counts().finished == 1);
    // A finished message still answers to its carrier ids until it leaves memory: a carrier
    // repeating a receipt is told it is a repeat (nothing written, nothing owed).
    CHECK(f.live.receipt("carrier-a", cmid_of(100, 1), fold_to(message_state::delivered),
                         f.done.make()) == live_state::receipt_result::repeat);

    // The DLR and the finished row wait for durability.
    CHECK(f.live.counts().outbox_entries == 1);
    CHECK_FALSE(f.live.has_deliverable("acct-1"));
    CHECK(f.take_all("acct-1").empty());
    CHECK(f.live.materializable(10).empty());
    f.journal.complete();
    CHECK(f.ready_accounts == std::vector<std::string>{"acct-1"});
    CHECK(f.live.has_deliverable("acct-1"));
    const auto items = f.live.materializable(10);
    REQUIRE(items.size() == 1);
    REQUIRE(items[0].message != 0);
    CHECK(message_of(items[0]).state == message_state::delivered);
    CHECK(items[0].lsn == 5);  // the receipt that finished it

    const auto entries = f.take_all("acct-1");
    REQUIRE(entries.size() == 1);
    CHECK(entries[0] == std::pair<lsn_t, std::string>{5, "dlr"});
    f.live.delivered("acct-1", entries[0].first, f.done.make());
    CHECK(f.live.counts().outbox_entries == 0);

    f.live.materialized(items[0].lsn);
    CHECK_FALSE(f.live.get(100));
    CHECK_FALSE(m->in_book);
    CHECK(f.live.materialized_through() == 5);
    f.journal.complete();
    CHECK(f.done.done() == 6);
    CHECK(f.done.failed() == 0);
    CHECK(f.kinds() == std::vector<record_kind>{record_kind::accepted, record_kind::submitted,
                                                record_kind::submitted, record_kind::receipt,
                                                record_kind::receipt,
                                                record_kind::delivered_upstream});
    const auto c = f.live.counts();
    CHECK(c.queued + c.deferred + c.submitting + c.awaiting_receipt + c.finished == 0);
    CHECK(c.materializer_queue == 0);
}

TEST_CASE("parts aggregate: the message ends in its worst part's state", "[live]") {
    fixture f;
    auto m = f.awaiting(200, 3);
    using rr = live_state::receipt_result;
    CHECK(f.live.receipt("carrier-a", cmid_of(200, 1), fold_to(message_state::enroute), {}) ==
          rr::applied);
    CHECK(f.live.find(200)->state == message_state::enroute);  // on its way
    CHECK(f.live.receipt("carrier-a", cmid_of(200, 0), fold_to(message_state::delivered), {}) ==
          rr::applied);
    CHECK(f.live.receipt("carrier-a", cmid_of(200, 1),
                         fold_to(message_state::undeliverable, {}, 34), {}) == rr::applied);
    CHECK(m->phase == message_phase::awaiting_receipt);

    SECTION("a late intermediate receipt does not undo a final part") {
        // A fold that always writes (the gateway's would not): apply keeps the final state.
        const live_state::receipt_fold always = [](const live_message&, std::uint16_t) {
            return std::optional<receipt_record>{
                receipt_record{0, {}, 0, message_state::enroute, 0, test_start, {}}};
        };
        CHECK(f.live.receipt("carrier-a", cmid_of(200, 0), always, {}) == rr::applied);
        CHECK(f.live.find(200)->parts[0].state == message_state::delivered);
    }
    CHECK(f.live.receipt("carrier-a", cmid_of(200, 2), fold_to(message_state::delivered), {}) ==
          rr::applied);
    CHECK(m->phase == message_phase::finished);
    const auto rec = f.live.find(200);
    CHECK(rec->state == message_state::undeliverable);
    CHECK(rec->parts[1].error == 34);
    CHECK(rec->history.back().state == message_state::undeliverable);
}

TEST_CASE("outbox entries are deliverable once durable, in order, a window at a time",
          "[live][outbox]") {
    fixture f;
    for (int i = 0; i < 4; ++i) {
        f.live.mo(make_mo("acct-1", "mo-" + std::to_string(i)), {}, nullptr, nullptr,
                  f.done.make());
    }
    auto depth = f.live.outboxes();
    REQUIRE(depth.size() == 1);
    CHECK(depth[0].pending == 4);
    CHECK(depth[0].ready == 0);
    CHECK_FALSE(f.live.has_deliverable("acct-1"));
    CHECK(f.take_all("acct-1").empty());
    CHECK(f.ready_accounts.empty());

    f.journal.complete();
    // Once per group that made entries deliverable (each append is its own group here).
    CHECK(f.ready_accounts == std::vector<std::string>(4, "acct-1"));
    CHECK(f.live.outboxes()[0].ready == 4);

    auto first = f.take_all("acct-1", 2);  // the account's window is two
    REQUIRE(first.size() == 2);
    CHECK(first[0].second == "mo-0");
    CHECK(first[1].second == "mo-1");
    depth = f.live.outboxes();
    CHECK(depth[0].in_flight == 2);
    CHECK(depth[0].ready == 2);

    // A sender that refuses stops the hand-out; the entry stays deliverable.
    std::size_t offered = 0;
    CHECK(f.live.take_outbox("acct-1", 10, [&](lsn_t, outbox_kind, std::string_view) {
        ++offered;
        return false;
    }) == 0);
    CHECK(offered == 1);

    // A timeout gives mo-1 back: it goes out again before mo-2.
    f.live.returned("acct-1", first[1].first);
    f.live.delivered("acct-1", first[0].first, f.done.make());
    const auto next = f.take_all("acct-1");
    REQUIRE(next.size() == 3);
    CHECK(next[0].second == "mo-1");
    CHECK(next[1].second == "mo-2");
    CHECK(next[2].second == "mo-3");
    for (const auto& [entry, bytes] : next) {
        f.live.delivered("acct-1", entry);
    }
    CHECK(f.live.counts().outbox_entries == 0);
    CHECK_FALSE(f.live.has_deliverable("acct-1"));
    f.journal.complete();
    CHECK(f.done.done() == 5);
    const auto records = f.journal.records();
    REQUIRE(records.size() == 8);
    outbox_done_record d;
    REQUIRE(decode(records[4].payload, d));
    CHECK(records[4].kind == record_kind::delivered_upstream);
    CHECK(d.account == "acct-1");
    CHECK(d.entry == first[0].first);
}

TEST_CASE("outbox retention drops what waited too long, never what is in flight",
          "[live][outbox]") {
    fixture f;
    auto mo_at = [&](std::string account, std::string text, time_point when) {
        auto r = make_mo(std::move(account), std::move(text));
        r.when = when;
        f.live.mo(std::move(r), {}, nullptr, nullptr, {});
    };
    mo_at("acct-1", "old-in-flight", test_start);
    mo_at("acct-1", "old", test_start + 1h);
    mo_at("acct-1", "new", test_start + 2h);
    mo_at("acct-2", "old-2", test_start);
    mo_at("acct-2", "older-than-max", test_start + 10min);
    // Not durable yet: nothing to drop (pending entries are not the outbox's to expire).
    CHECK(f.live.expire_outbox(test_start + 90min, 10).empty());
    f.journal.complete();
    const auto in_flight = f.take_all("acct-1", 1);
    REQUIRE(in_flight.size() == 1);

    const auto first = f.live.expire_outbox(test_start + 90min, 2);
    const std::vector<std::pair<std::string, std::size_t>> expect_first{{"acct-1", 1},
                                                                        {"acct-2", 1}};
    CHECK(first == expect_first);
    const auto second = f.live.expire_outbox(test_start + 90min, 10);
    const std::vector<std::pair<std::string, std::size_t>> expect_second{{"acct-2", 1}};
    CHECK(second == expect_second);
    CHECK(f.live.expire_outbox(test_start + 90min, 10).empty());

    const auto left = f.take_all("acct-1");
    REQUIRE(left.size() == 1);
    CHECK(left[0].second == "new");
    CHECK(f.take_all("acct-2").empty());
    // The in-flight one is still the bind's to acknowledge.
    f.live.delivered("acct-1", in_flight[0].first);
    f.journal.complete();
    std::size_t dropped = 0;
    for (const auto& r : f.journal.records()) {
        dropped += r.kind == record_kind::delivered_upstream ? 1 : 0;
    }
    CHECK(dropped == 4);  // three expired, one delivered: each journaled, so a restart agrees
}

TEST_CASE("an MO accepts the gateway's own replies in the same group", "[live][outbox]") {
    fixture f;
    auto reply = make_accepted(300);
    reply.keyword_reply = true;
    reply.counts_toward_frequency = false;
    std::vector<message_ptr> accepted;
    f.live.mo(make_mo("acct-1", "STOP"), {reply}, nullptr, &accepted, f.done.make());
    REQUIRE(accepted.size() == 1);
    CHECK(accepted[0]->rec.id == 300);
    CHECK(accepted[0]->keyword_reply);
    CHECK_FALSE(accepted[0]->counts_toward_frequency);
    CHECK(f.journal.pending() == 1);  // one group
    CHECK(f.kinds() == std::vector<record_kind>{record_kind::mo, record_kind::accepted});
    f.journal.complete();
    CHECK(f.live.has_deliverable("acct-1"));
    CHECK(f.live.get(300)->phase == message_phase::queued);
}

TEST_CASE("a failed group rolls back what a peer will send again, and nothing else",
          "[live][rollback]") {
    fixture f;
    const auto fail = make_error_code(store_errc::no_space);

    SECTION("accepted: the message never was") {
        auto m = f.live.accept(make_accepted(400), nullptr, f.done.make());
        f.journal.complete(fail);
        CHECK(f.done.last_error() == fail);
        CHECK_FALSE(f.live.get(400));
        CHECK_FALSE(m->in_book);
        CHECK(f.live.counts().queued == 0);
        CHECK(f.live.waiting_for_carrier() == 0);
        CHECK_FALSE(f.live.begin_submit(m));  // a bind holding the pointer cannot take it
        std::size_t snapshot_messages = 0;
        (void)f.live.snapshot([&](std::string_view) { ++snapshot_messages; });
        CHECK(snapshot_messages == 0);
    }
    SECTION("released: deferred again, due again") {
        auto m = f.live.accept(make_accepted(401, 1, test_start + 1h), nullptr, {});
        f.journal.complete();
        const auto due = f.live.take_due(test_start + 1h, 10);
        REQUIRE(due.size() == 1);
        REQUIRE(f.live.release(m, test_start + 1h, false, nullptr, f.done.make()));
        CHECK(m->phase == message_phase::queued);
        f.journal.complete(fail);
        CHECK(m->phase == message_phase::deferred);
        CHECK(m->release == test_start + 1h);
        CHECK(f.live.find(401)->state == message_state::deferred);
        CHECK(f.live.counts().deferred == 1);
        CHECK(f.live.take_due(test_start + 1h, 10).size() == 1);  // the scheduler tries again
    }
    SECTION("receipt: the part and the message as before, no DLR, the carrier id answers") {
        auto m = f.awaiting(402);
        const auto before = *f.live.find(402);
        const auto lsn_before = m->lsn;
        REQUIRE(f.live.receipt("carrier-a", cmid_of(402, 0),
                               fold_to(message_state::delivered, "dlr", 0, test_start + 5s),
                               f.done.make()) == live_state::receipt_result::applied);
        CHECK(m->phase == message_phase::finished);
        CHECK(f.live.find(402)->state == message_state::delivered);
        f.journal.complete(fail);
        CHECK(m->phase == message_phase::awaiting_receipt);
        CHECK(f.live.find(402)->parts[0].state == message_state::submitted);
        // Its state, history and parts as they were: a snapshot now writes what was durable.
        CHECK(*f.live.find(402) == before);
        CHECK(m->lsn == lsn_before);
        CHECK(f.live.counts().outbox_entries == 0);
        CHECK(f.live.counts().finished == 0);
        CHECK(f.live.materializable(10).empty());
        // The carrier delivers the receipt again: it is new, not a repeat.
        CHECK(f.live.receipt("carrier-a", cmid_of(402, 0), fold_to(message_state::delivered, "dlr"),
                             f.done.make()) == live_state::receipt_result::applied);
        f.journal.complete();
        CHECK(m->phase == message_phase::finished);
        CHECK(f.live.has_deliverable("acct-1"));
    }
    SECTION("receipts of one message: an intermediate one and the last one both unwind") {
        auto m = f.awaiting(406, 2);
        const auto before = *f.live.find(406);
        REQUIRE(f.live.receipt("carrier-a", cmid_of(406, 0), fold_to(message_state::enroute),
                               f.done.make()) == live_state::receipt_result::applied);
        CHECK(f.live.find(406)->state == message_state::enroute);
        f.journal.complete(fail);
        CHECK(*f.live.find(406) == before);
        CHECK(m->phase == message_phase::awaiting_receipt);

        REQUIRE(f.live.receipt("carrier-a", cmid_of(406, 0), fold_to(message_state::delivered),
                               f.done.make()) == live_state::receipt_result::applied);
        f.journal.complete();
        const auto one_delivered = *f.live.find(406);
        REQUIRE(f.live.receipt("carrier-a", cmid_of(406, 1), fold_to(message_state::undeliverable),
                               f.done.make()) == live_state::receipt_result::applied);
        CHECK(m->phase == message_phase::finished);
        f.journal.complete(fail);
        CHECK(*f.live.find(406) == one_delivered);
        CHECK(m->phase == message_phase::awaiting_receipt);
        CHECK(f.live.counts().finished == 0);
    }
    SECTION("mo: no outbox entry, and its replies are gone too") {
        std::vector<message_ptr> replies;
        f.live.mo(make_mo("acct-1", "HELP"), {make_accepted(403)}, nullptr, &replies,
                  f.done.make());
        f.journal.complete(fail);
        CHECK(f.live.counts().outbox_entries == 0);
        CHECK_FALSE(f.live.has_deliverable("acct-1"));
        CHECK_FALSE(f.live.get(403));
        CHECK(f.ready_accounts.empty());
    }
    SECTION("submitted: kept, the carrier has the message") {
        auto m = f.live.accept(make_accepted(404), nullptr, {});
        f.journal.complete();
        REQUIRE(f.live.begin_submit(m));
        (void)f.live.submitted(m, make_submitted(404, 0, 1), f.done.make());
        f.journal.complete(fail);
        CHECK(m->phase == message_phase::awaiting_receipt);
        CHECK(f.live.receipt("carrier-a", cmid_of(404, 0), fold_to(message_state::delivered), {}) ==
              live_state::receipt_result::applied);
    }
    SECTION("ended: kept, and its DLR is deliverable") {
        auto m = f.live.accept(make_accepted(405), nullptr, {});
        f.journal.complete();
        REQUIRE(f.live.end(m, ended(message_state::failed, "dlr-failed", 0x45), f.done.make()));
        f.journal.complete(fail);
        CHECK(m->phase == message_phase::finished);
        CHECK(f.live.find(405)->state == message_state::failed);
        CHECK(f.live.has_deliverable("acct-1"));
        CHECK(f.ready_accounts == std::vector<std::string>{"acct-1"});
    }
    SECTION("delivered upstream: kept (a lost record only means a second delivery)") {
        f.live.mo(make_mo("acct-1", "x"), {}, nullptr, nullptr, {});
        f.journal.complete();
        const auto entries = f.take_all("acct-1");
        REQUIRE(entries.size() == 1);
        f.live.delivered("acct-1", entries[0].first, f.done.make());
        f.journal.complete(fail);
        CHECK(f.live.counts().outbox_entries == 0);
    }
}

TEST_CASE("cancel and replace apply only while no carrier has the message", "[live]") {
    fixture f;
    using cr = live_state::change_result;
    auto queued = f.live.accept(make_accepted(500), nullptr, {});
    auto deferred = f.live.accept(make_accepted(501, 1, test_start + 1h), nullptr, {});
    auto taken = f.live.accept(make_accepted(502), nullptr, {});
    auto awaiting = f.awaiting(503);
    REQUIRE(f.live.begin_submit(taken));

    replaced_record r;
    r.payload = "new text";
    r.registered_delivery = 0;  // keeps the message's own
    r.when = test_start + 1s;
    CHECK(f.live.replace(500, "acct-1", r, f.done.make()) == cr::done);
    CHECK(f.live.find(500)->payload == "new text");
    CHECK(f.live.find(500)->registered_delivery == 1);
    r.registered_delivery = 0x11;
    CHECK(f.live.replace(501, "acct-1", r, f.done.make()) == cr::done);
    CHECK(f.live.find(501)->registered_delivery == 0x11);
    CHECK(f.live.replace(502, "acct-1", r, {}) == cr::not_allowed);
    CHECK(f.live.replace(503, "acct-1", r, {}) == cr::not_allowed);
    CHECK(f.live.replace(500, "acct-2", r, {}) == cr::not_found);  // someone else's
    CHECK(f.live.replace(999, "acct-1", r, {}) == cr::not_found);

    CHECK(f.live.cancel(500, "acct-2", ended(message_state::cancelled), {}) == cr::not_found);
    CHECK(f.live.cancel(502, "acct-1", ended(message_state::cancelled), {}) == cr::not_allowed);
    CHECK(f.live.cancel(503, "acct-1", ended(message_state::cancelled), {}) == cr::not_allowed);
    CHECK(f.live.cancel(500, "acct-1", ended(message_state::failed, "dlr-cancel"), f.done.make()) ==
          cr::done);
    CHECK(queued->phase == message_phase::finished);
    CHECK(f.live.find(500)->state == message_state::cancelled);  // whatever the caller said
    CHECK(f.live.cancel(500, "acct-1", ended(message_state::cancelled), {}) == cr::not_allowed);
    CHECK(f.live.cancel(501, "acct-1", ended(message_state::cancelled), {}) == cr::done);
    CHECK(f.live.take_due(test_start + 2h, 10).empty());             // out of the deferred index
    CHECK(f.live.replace(501, "acct-1", r, {}) == cr::not_allowed);  // ended
    CHECK_FALSE(f.live.begin_submit(queued));
    CHECK_FALSE(f.live.release(deferred, test_start, false, nullptr, {}));

    f.journal.complete();
    CHECK(f.live.has_deliverable("acct-1"));
    const auto kinds = f.kinds();
    CHECK(std::count(kinds.begin(), kinds.end(), record_kind::cancelled) == 2);
    CHECK(std::count(kinds.begin(), kinds.end(), record_kind::replaced) == 2);
    (void)awaiting;
}

TEST_CASE("deferred messages: take_due, release, defer_again, expiry", "[live][deferred]") {
    fixture f;
    auto a = f.live.accept(make_accepted(601, 1, test_start + 1h), nullptr, {});
    auto b = f.live.accept(make_accepted(602, 1, test_start + 2h), nullptr, {});
    auto c = f.live.accept(make_accepted(603, 1, test_start + 3h), nullptr, {});
    CHECK(f.live.counts().deferred == 3);
    CHECK(f.live.waiting_for_carrier() == 0);  // deferred messages do not wait for a carrier
    CHECK(f.live.queued().empty());
    CHECK(f.live.take_due(test_start, 10).empty());

    auto due = f.live.take_due(test_start + 2h, 1);
    REQUIRE(due.size() == 1);
    CHECK(due[0] == a);
    due = f.live.take_due(test_start + 2h, 10);
    REQUIRE(due.size() == 1);
    CHECK(due[0] == b);

    REQUIRE(f.live.release(a, test_start + 2h, false, nullptr, f.done.make()));
    CHECK(a->phase == message_phase::queued);
    CHECK(f.live.find(601)->state == message_state::queued);
    CHECK(f.live.find(601)->history.back() == state_event{message_state::queued, test_start + 2h});
    CHECK_FALSE(f.live.release(a, test_start + 2h, false, nullptr, {}));  // not deferred any more
    CHECK_FALSE(f.live.defer_again(a, test_start + 9h, test_start + 2h, {}));
    CHECK(f.live.waiting_for_carrier() == 1);
    CHECK(f.live.queued() == std::vector<message_ptr>{a});

    REQUIRE(f.live.defer_again(b, test_start + 5h, test_start + 2h, f.done.make()));
    CHECK(b->phase == message_phase::deferred);
    CHECK(b->release == test_start + 5h);
    due = f.live.take_due(test_start + 4h, 10);
    REQUIRE(due.size() == 1);
    CHECK(due[0] == c);
    REQUIRE(f.live.end(c, ended(message_state::expired, "dlr-expired"), f.done.make()));
    CHECK(f.live.find(603)->state == message_state::expired);
    due = f.live.take_due(test_start + 5h, 10);
    REQUIRE(due.size() == 1);
    CHECK(due[0] == b);
    CHECK(f.kinds() == std::vector<record_kind>{record_kind::accepted, record_kind::accepted,
                                                record_kind::accepted, record_kind::released,
                                                record_kind::deferred, record_kind::expired});
    f.journal.complete();
    CHECK(f.done.done() == 3);
}

TEST_CASE("a message submitted elsewhere after a requeue takes that carrier's parts", "[live]") {
    fixture f;
    auto m = f.live.accept(make_accepted(700, 2), nullptr, {});
    REQUIRE(f.live.begin_submit(m));
    (void)f.live.submitted(m, make_submitted(700, 0, 2, "carrier-a"), {});
    f.live.requeue(m);  // the bind lost its session before part 1
    CHECK(m->phase == message_phase::queued);
    CHECK(f.live.waiting_for_carrier() == 1);
    REQUIRE(f.live.begin_submit(m));
    auto sub = make_submitted(700, 0, 3, "carrier-b");
    sub.carrier_message_id = "b0";
    (void)f.live.submitted(m, sub, {});
    CHECK(f.live.find(700)->parts.size() == 3);
    CHECK(f.live.find(700)->carrier == "carrier-b");
    // The first carrier's id no longer finds it; the new one does.
    CHECK(f.live.receipt("carrier-a", cmid_of(700, 0), fold_to(message_state::delivered), {}) ==
          live_state::receipt_result::unknown);
    CHECK(f.live.receipt("carrier-b", "b0", fold_to(message_state::delivered), {}) ==
          live_state::receipt_result::applied);
    CHECK(m->phase == message_phase::submitting);
}

TEST_CASE("unmatched receipts are kept, handed back, resolved and bounded", "[live][unmatched]") {
    fixture f;
    const auto keep = [&](std::string cmid, std::size_t limit = 8) {
        return f.live.keep_unmatched(
            unmatched_record{"carrier-a", std::move(cmid), test_start, "pdu-bytes"}, limit,
            f.done.make());
    };
    CHECK(keep(cmid_of(800, 0)));
    CHECK(keep("never-known"));
    auto kept = f.live.list_unmatched(10);
    REQUIRE(kept.size() == 2);
    CHECK(kept[0].carrier_message_id == cmid_of(800, 0));
    CHECK(kept[0].pdu == "pdu-bytes");
    CHECK(f.live.counts().unmatched_receipts == 2);
    // Listed in turn from a given entry on (the receipt relay asks the cluster about them so).
    const auto after_first = f.live.list_unmatched(10, kept[0].lsn);
    REQUIRE(after_first.size() == 1);
    CHECK(after_first[0].carrier_message_id == "never-known");
    CHECK(f.live.list_unmatched(1).size() == 1);
    CHECK(f.live.list_unmatched(10, kept[1].lsn).empty());

    SECTION("the mapping appears: submitted() hands the receipt back, receipt() resolves it") {
        auto m = f.live.accept(make_accepted(800), nullptr, {});
        REQUIRE(f.live.begin_submit(m));
        const auto waiting = f.live.submitted(m, make_submitted(800, 0, 1), {});
        REQUIRE(waiting.size() == 1);
        CHECK(waiting[0].lsn == kept[0].lsn);
        f.journal.complete();
        const std::vector<lsn_t> resolves{waiting[0].lsn};
        CHECK(f.live.receipt("carrier-a", cmid_of(800, 0), fold_to(message_state::delivered),
                             f.done.make(), resolves) == live_state::receipt_result::applied);
        CHECK(f.journal.pending() == 1);  // the resolution and the receipt: one group
        const auto records = f.journal.records();
        REQUIRE(records.size() >= 2);
        CHECK(records[records.size() - 2].kind == record_kind::unmatched_resolved);
        CHECK(records.back().kind == record_kind::receipt);
        kept = f.live.list_unmatched(10);
        REQUIRE(kept.size() == 1);
        CHECK(kept[0].carrier_message_id == "never-known");
        CHECK(m->phase == message_phase::finished);
    }
    SECTION("a repeat still settles the entries it resolves") {
        auto m = f.live.accept(make_accepted(800), nullptr, {});
        REQUIRE(f.live.begin_submit(m));
        CHECK(f.live.submitted(m, make_submitted(800, 0, 1), {}).size() == 1);
        REQUIRE(f.live.receipt("carrier-a", cmid_of(800, 0), fold_to(message_state::enroute), {}) ==
                live_state::receipt_result::applied);
        const std::vector<lsn_t> resolves{kept[0].lsn};
        const live_state::receipt_fold nothing = [](const live_message&, std::uint16_t) {
            return std::optional<receipt_record>{};
        };
        CHECK(f.live.receipt("carrier-a", cmid_of(800, 0), nothing, f.done.make(), resolves) ==
              live_state::receipt_result::applied);
        CHECK(f.live.list_unmatched(10).size() == 1);
        CHECK(f.live.find(800)->parts[0].state == message_state::enroute);
    }
    SECTION("an operator drops one") {
        CHECK(f.live.drop_unmatched(kept[1].lsn, f.done.make()));
        CHECK_FALSE(f.live.drop_unmatched(kept[1].lsn, {}));
        CHECK(f.live.list_unmatched(10).size() == 1);
        CHECK(f.kinds().back() == record_kind::unmatched_resolved);
    }
    SECTION("beyond the limit the oldest is dropped, one at a time") {
        CHECK(keep("third", 3));
        CHECK(f.live.counts().unmatched_receipts == 3);
        CHECK_FALSE(keep("fourth", 3));  // false: one was dropped to make room
        auto now = f.live.list_unmatched(10);
        REQUIRE(now.size() == 3);
        CHECK(now[0].carrier_message_id == "never-known");
        CHECK(now[1].carrier_message_id == "third");
        CHECK(now[2].carrier_message_id == "fourth");
        CHECK_FALSE(keep("fifth", 3));
        now = f.live.list_unmatched(10);
        REQUIRE(now.size() == 3);
        CHECK(now[0].carrier_message_id == "third");
        CHECK(keep("sixth", 0));  // no limit
        CHECK(f.live.list_unmatched(10).size() == 4);
    }
    f.journal.complete();
    CHECK(f.done.failed() == 0);
}

TEST_CASE("the materializer sees finished messages and audits once durable, in LSN order",
          "[live][materializer]") {
    fixture f;
    auto a = f.live.accept(make_accepted(900), nullptr, {});
    audit_record decision;
    decision.when = test_start;
    decision.id = 901;
    decision.msisdn = "15551234567";
    decision.check = "optout";
    decision.verdict = audit_verdict::reject;
    f.live.audit(decision);
    REQUIRE(f.live.end(a, ended(message_state::failed), {}));
    auto b = f.awaiting(902);
    CHECK(f.live.counts().materializer_queue == 2);
    CHECK_FALSE(f.live.materialized_up_to(f.live.next_lsn() - 1));
    REQUIRE(f.live.receipt("carrier-a", cmid_of(902, 0), fold_to(message_state::delivered), {}) ==
            live_state::receipt_result::applied);
    // The first three records are durable (awaiting() completed them), the receipt is not.
    auto items = f.live.materializable(10);
    REQUIRE(items.size() == 2);
    CHECK(items[0].lsn == 2);
    REQUIRE(items[0].audit);
    CHECK(*items[0].audit == decision);
    CHECK(items[1].lsn == 3);
    REQUIRE(items[1].message != 0);
    CHECK(items[1].message == 900);
    CHECK(f.live.materializable(1).size() == 1);

    f.live.materialized(items[0].lsn);  // the audit only
    CHECK(f.live.get(900));
    f.live.materialized(items[1].lsn);
    CHECK_FALSE(f.live.get(900));
    CHECK_FALSE(f.live.materialized_up_to(f.live.next_lsn() - 1));  // the receipt is not durable
    f.journal.complete();
    items = f.live.materializable(10);
    REQUIRE(items.size() == 1);
    CHECK(items[0].message == 902);
    f.live.materialized(items[0].lsn);
    CHECK(f.live.materialized_up_to(f.live.next_lsn() - 1));
    CHECK_FALSE(f.live.get(902));
    CHECK(f.live.counts().materializer_queue == 0);
    (void)b;
}

TEST_CASE("reservations are given back in the same group when a counted send ends",
          "[live][freq]") {
    fixture f;
    auto counted = make_accepted(1000);
    counted.counts_toward_frequency = true;
    auto m = f.live.accept(counted, nullptr, {});
    CHECK(m->counts_toward_frequency);
    CHECK_FALSE(m->keyword_reply);
    auto plain = f.live.accept(make_accepted(1001), nullptr, {});
    CHECK(f.journal.appends_with_writes() == 0);

    REQUIRE(f.live.end(plain, ended(message_state::failed), {}));
    CHECK(f.journal.appends_with_writes() == 0);  // it counted nothing
    REQUIRE(f.live.end(m, ended(message_state::failed), {}));
    CHECK(f.journal.appends_with_writes() == 1);

    SECTION("cancel") {
        auto d = make_accepted(1002);
        d.counts_toward_frequency = true;
        (void)f.live.accept(d, nullptr, {});
        CHECK(f.live.cancel(1002, "acct-1", ended(message_state::cancelled), {}) ==
              live_state::change_result::done);
        CHECK(f.journal.appends_with_writes() == 2);
    }
    SECTION("a receipt that ends it undelivered gives it back, a delivered one does not") {
        auto d = make_accepted(1003);
        d.counts_toward_frequency = true;
        auto e = make_accepted(1004);
        e.counts_toward_frequency = true;
        auto md = f.live.accept(d, nullptr, {});
        auto me = f.live.accept(e, nullptr, {});
        for (auto* x : {&md, &me}) {
            REQUIRE(f.live.begin_submit(*x));
            (void)f.live.submitted(*x, make_submitted((*x)->rec.id, 0, 1), {});
        }
        REQUIRE(f.live.receipt("carrier-a", cmid_of(1003, 0), fold_to(message_state::delivered),
                               {}) == live_state::receipt_result::applied);
        CHECK(f.journal.appends_with_writes() == 1);
        REQUIRE(f.live.receipt("carrier-a", cmid_of(1004, 0), fold_to(message_state::undeliverable),
                               {}) == live_state::receipt_result::applied);
        CHECK(f.journal.appends_with_writes() == 2);
    }
}

TEST_CASE("replaying the journal rebuilds the same state", "[live][replay]") {
    fixture f;
    // A bit of everything, left in every phase.
    (void)f.live.accept(make_accepted(1100, 2), nullptr, {});
    (void)f.live.accept(make_accepted(1101, 1, test_start + 1h), nullptr, {});
    auto a = f.awaiting(1102, 2);
    REQUIRE(f.live.receipt("carrier-a", cmid_of(1102, 0), fold_to(message_state::delivered, "d1"),
                           {}) == live_state::receipt_result::applied);
    auto b = f.awaiting(1103);
    REQUIRE(f.live.receipt("carrier-a", cmid_of(1103, 0), fold_to(message_state::expired, "d2"),
                           {}) == live_state::receipt_result::applied);
    f.live.mo(make_mo("acct-2", "mo"), {make_accepted(1104)}, nullptr, nullptr, {});
    (void)f.live.keep_unmatched({"carrier-a", "zz", test_start, "p"}, 10, {});
    audit_record decision;
    decision.id = 1105;
    decision.check = "consent";
    f.live.audit(decision);
    f.journal.complete();
    (void)a;
    (void)b;

    memory_journal other;
    live_state rebuilt(other, f.clk);
    for (const auto& r : f.journal.records()) {
        REQUIRE(rebuilt.replay(r.lsn, r.kind, r.payload));
    }
    rebuilt.finish_recovery(0);
    probe p;
    p.ids = {1100, 1101, 1102, 1103, 1104};
    p.accounts = {"acct-1", "acct-2"};
    p.carrier_ids = {{"carrier-a", cmid_of(1102, 0)},
                     {"carrier-a", cmid_of(1102, 1)},
                     {"carrier-a", cmid_of(1103, 0)}};
    require_same(dump(f.live, p), dump(rebuilt, p));
    CHECK(rebuilt.max_id() == 1104);

    SECTION("a record that does not decode is refused") {
        CHECK_FALSE(rebuilt.replay(100, record_kind::receipt, "\x01"));
        CHECK_FALSE(rebuilt.replay(100, record_kind::accepted, ""));
    }
    SECTION("a restored message answers to its carrier ids again") {
        auto row = *f.live.find(1102);
        std::string payload;
        encode(restored_record{row}, payload);
        memory_journal j;
        live_state late(j, f.clk);
        REQUIRE(late.replay(1, record_kind::restored, payload));
        late.finish_recovery(0);
        CHECK(late.get(1102)->phase == message_phase::awaiting_receipt);
        CHECK(late.receipt("carrier-a", cmid_of(1102, 1), fold_to(message_state::delivered), {}) ==
              live_state::receipt_result::applied);
    }
}

TEST_CASE("messages whose receipt never comes are found overdue by the checkpoint walk",
          "[live][receipts]") {
    fixture f;
    auto silent = f.awaiting(300);  // submitted at test_start, nothing since
    auto talking = f.awaiting(301);
    CHECK(f.live.receipt("carrier-a", cmid_of(301, 0),
                         fold_to(message_state::enroute, {}, 0, test_start + 90min),
                         f.done.make()) == live_state::receipt_result::applied);
    auto queued = f.live.accept(make_accepted(302), nullptr, {});
    f.journal.complete();
    f.clk->set(test_start + 2h);
    const auto walk = [&] { (void)f.live.snapshot([](std::string_view) {}); };

    SECTION("no timeout: nothing is ever overdue") {
        walk();
        CHECK(f.live.take_overdue(10).empty());
    }
    SECTION("past the timeout since its last news, only the silent one") {
        f.live.set_receipt_timeout(1h);
        CHECK(f.live.take_overdue(10).empty());  // nothing until a checkpoint walked them
        walk();
        const auto overdue = f.live.take_overdue(10);
        REQUIRE(overdue.size() == 1);
        CHECK(overdue[0] == silent);
        CHECK(f.live.take_overdue(10).empty());  // handed out once
        // Ending it is the ordinary end(): finished, with its EXPIRED receipt owed upstream.
        CHECK(f.live.end(silent, ended(message_state::expired, "dlr"), f.done.make()));
        f.journal.complete();
        CHECK(silent->phase == message_phase::finished);
        CHECK(f.live.find(300)->state == message_state::expired);
        CHECK(f.take_all("acct-1").size() == 1);
        CHECK(talking->phase == message_phase::awaiting_receipt);
        CHECK(queued->phase == message_phase::queued);
    }
    SECTION("the walk without a snapshot (an idle interval) finds the same, at most max") {
        f.live.set_receipt_timeout(1h);
        CHECK(f.live.find_overdue(10, 1) == 1);
        const auto overdue = f.live.take_overdue(10);
        REQUIRE(overdue.size() == 1);
        CHECK(overdue[0] == silent);
        f.clk->set(test_start + 3h);  // now the talking one too
        CHECK(f.live.find_overdue(1) == 1);
        CHECK(f.live.find_overdue(10) == 2);
        f.live.set_receipt_timeout(0ms);
        CHECK(f.live.find_overdue(10) == 0);
    }
    SECTION("a receipt between the walk and the take wins") {
        f.live.set_receipt_timeout(1h);
        walk();
        CHECK(f.live.receipt("carrier-a", cmid_of(300, 0), fold_to(message_state::delivered),
                             f.done.make()) == live_state::receipt_result::applied);
        CHECK(f.live.take_overdue(10).empty());
    }
}
