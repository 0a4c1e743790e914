// acceptance: the policy chain, then the journal — for submit_sm, data_sm and each destination
// of a submit_multi; the frequency reservation; the STOP promise (recheck after policy_changed).

#include <catch2/catch.hpp>

#include <future>

#include "support.hpp"
#include "wire/wire.hpp"

namespace component_test {
namespace {

using verdict = gateway::accept_outcome::verdict;

constexpr std::uint32_t opted_out_status = 0x410;
constexpr std::uint32_t invalid_destination_status = 0x400;
constexpr std::uint32_t frequency_cap_status = 0x430;

// Records the outcome a completion was given, and whether it ran at all.
struct completion_probe {
    std::shared_ptr<std::vector<std::error_code>> seen =
        std::make_shared<std::vector<std::error_code>>();
    store::completion callback() {
        return [seen = seen](std::error_code ec) { seen->push_back(ec); };
    }
};

double decisions(gateway::metrics& m, std::string check, std::string kind) {
    return value_of(
        m, "smppgw_policy_decisions_total",
        {{"check", std::move(check)}, {"verdict", std::move(kind)}, {"shadow", "false"}});
}

}  // namespace

TEST_CASE("an accepted submit_sm is journaled, live at once, and answered only when durable",
          "[acceptance]") {
    acceptance_fixture f(eastern(10, 14));
    completion_probe durable;

    const auto out = f.submit(submit_sm_pdu(new_york), durable.callback());

    REQUIRE(out.kind == verdict::accepted);
    REQUIRE(out.message);
    CHECK(out.status == 0);
    CHECK(out.message->rec.id == 1);
    CHECK(out.message->rec.msisdn == new_york);
    CHECK(out.message->phase == store::message_phase::queued);
    CHECK(out.message->checked_epoch.load() == f.acceptor.epoch());
    CHECK_FALSE(out.message->counts_toward_frequency);  // transactional: no cap applies

    // The record is written and the message is in the live state before anything is durable,
    // but nobody has been told.
    const auto accepted = f.records<store::accepted_record>(record_kind::accepted);
    REQUIRE(accepted.size() == 1);
    CHECK(accepted[0].message.id == 1);
    CHECK(accepted[0].message.account == "acct1");
    CHECK(accepted[0].message.payload == "Acme: your code is 1234");
    CHECK(accepted[0].message.msisdn == new_york);
    CHECK(f.kinds() == std::vector{record_kind::accepted});
    CHECK(f.live.find(1).has_value());
    CHECK(f.live.counts().queued == 1);
    CHECK(durable.seen->empty());

    CHECK(f.journal.complete() == 1);
    REQUIRE(durable.seen->size() == 1);
    CHECK_FALSE(durable.seen->front());
    CHECK(f.live.counts().queued == 1);
    CHECK(decisions(f.stats, "none", "accept") == 1);
    CHECK(f.db.reservations().empty());
}

TEST_CASE("a data_sm goes through the same decision, its text taken from message_payload",
          "[acceptance]") {
    acceptance_fixture f(eastern(10, 14));
    completion_probe durable;

    const auto out = f.submit(data_sm_pdu(new_york, {.service_type = "TXN",
                                                     .registered_delivery = 0x01,
                                                     .text = "Acme: data_sm body"}),
                              durable.callback());

    REQUIRE(out.kind == verdict::accepted);
    const auto accepted = f.records<store::accepted_record>(record_kind::accepted);
    REQUIRE(accepted.size() == 1);
    CHECK(accepted[0].message.payload == "Acme: data_sm body");
    CHECK(accepted[0].message.klass == policy::message_class::transactional);
    CHECK(f.journal.complete() == 1);
    CHECK(durable.seen->size() == 1);
    CHECK(f.live.counts().queued == 1);
}

TEST_CASE("a refused submit is answered now with the policy status, audited, and never live",
          "[acceptance]") {
    acceptance_fixture f(eastern(10, 14));
    f.db.opt_out(new_york);
    completion_probe durable;

    const auto out = f.submit(submit_sm_pdu(new_york), durable.callback());

    CHECK(out.kind == verdict::rejected);
    CHECK(out.status == opted_out_status);
    CHECK_FALSE(out.message);
    CHECK(f.kinds() == std::vector{record_kind::audit});
    const auto audits = f.records<store::audit_entry_record>(record_kind::audit);
    REQUIRE(audits.size() == 1);
    CHECK(audits[0].audit.verdict == store::audit_verdict::reject);
    CHECK(audits[0].audit.check == "optout");
    CHECK(audits[0].audit.reason == "opted_out");
    CHECK(audits[0].audit.command_status == opted_out_status);
    CHECK(audits[0].audit.msisdn == new_york);
    CHECK(audits[0].audit.account == "acct1");

    const auto counts = f.live.counts();
    CHECK(counts.queued + counts.deferred == 0);
    // The refusal was answered already: the completion is dropped, never run.
    f.journal.complete();
    CHECK(durable.seen->empty());
    CHECK(decisions(f.stats, "optout", "reject") == 1);
}

TEST_CASE("each destination of a submit_multi is decided and journaled on its own",
          "[acceptance]") {
    acceptance_fixture f(eastern(10, 14));
    f.db.opt_out(florida);
    const auto p = submit_multi_pdu({new_york, florida, "123", florida_2});

    std::vector<gateway::accept_outcome> outs;
    completion_probe durable;
    for (auto& rec : records_of_multi(p, f.clock->now())) {
        outs.push_back(f.acceptor.accept(std::move(rec), {}, durable.callback()));
    }

    REQUIRE(outs.size() == 4);
    CHECK(outs[0].kind == verdict::accepted);
    CHECK(outs[1].kind == verdict::rejected);
    CHECK(outs[1].status == opted_out_status);
    CHECK(outs[2].kind == verdict::rejected);
    CHECK(outs[2].status == invalid_destination_status);
    CHECK(outs[3].kind == verdict::accepted);
    // Distinct messages with their own ids, in the order of the destinations.
    CHECK(outs[0].message->rec.id == 1);
    CHECK(outs[3].message->rec.id == 2);
    CHECK(outs[3].message->rec.msisdn == florida_2);
    CHECK(f.count(record_kind::accepted) == 2);
    CHECK(f.count(record_kind::audit) == 2);
    CHECK(f.live.counts().queued == 2);

    f.journal.complete();
    CHECK(durable.seen->size() == 2);  // one per accepted destination
}

TEST_CASE("a promotional message at night in Florida is deferred until 08:00 local",
          "[acceptance]") {
    acceptance_fixture f(eastern(10, 23));
    completion_probe durable;

    const auto out = f.submit(submit_sm_pdu(florida, {.service_type = "MKT"}), durable.callback());

    REQUIRE(out.kind == verdict::deferred);
    REQUIRE(out.message);
    CHECK(out.message->phase == store::message_phase::deferred);
    CHECK(out.message->release == eastern(11, 8));
    // Not sent yet: it does not count toward the cap until it is released.
    CHECK_FALSE(out.message->counts_toward_frequency);
    CHECK(f.db.reservations().empty());

    CHECK(f.kinds() == std::vector{record_kind::audit, record_kind::accepted});
    const auto audits = f.records<store::audit_entry_record>(record_kind::audit);
    REQUIRE(audits.size() == 1);
    CHECK(audits[0].audit.verdict == store::audit_verdict::defer);
    CHECK(audits[0].audit.check == "quiet_hours");
    CHECK(audits[0].audit.defer_until == eastern(11, 8));
    const auto accepted = f.records<store::accepted_record>(record_kind::accepted);
    REQUIRE(accepted.size() == 1);
    CHECK(accepted[0].message.state == store::message_state::deferred);
    CHECK(accepted[0].release == eastern(11, 8));

    CHECK(f.live.counts().deferred == 1);
    CHECK(f.live.take_due(eastern(11, 7, 59), 10).empty());
    CHECK(durable.seen->empty());
    f.journal.complete();
    CHECK(durable.seen->size() == 1);
    CHECK(decisions(f.stats, "quiet_hours", "defer") == 1);
}

TEST_CASE("a failed journal write rolls the message back: it never existed", "[acceptance]") {
    SECTION("accepted") {
        acceptance_fixture f(eastern(10, 14));
        completion_probe durable;
        const auto out = f.submit(submit_sm_pdu(new_york), durable.callback());
        REQUIRE(out.kind == verdict::accepted);

        f.journal.complete(write_failure());

        REQUIRE(durable.seen->size() == 1);
        CHECK(durable.seen->front() == write_failure());
        CHECK_FALSE(f.live.find(out.message->rec.id));
        CHECK(f.live.counts().queued == 0);
        CHECK(f.live.queued().empty());
        CHECK_FALSE(out.message->in_book);
    }
    SECTION("deferred: it leaves the deferred index too") {
        acceptance_fixture f(eastern(10, 23));
        const auto out = f.submit(submit_sm_pdu(florida, {.service_type = "MKT"}));
        REQUIRE(out.kind == verdict::deferred);

        f.journal.complete(write_failure());

        CHECK_FALSE(f.live.find(out.message->rec.id));
        CHECK(f.live.counts().deferred == 0);
        CHECK(f.live.take_due(eastern(12, 12), 10).empty());
    }
}

TEST_CASE("a frequency cap holds for back-to-back submits before anything is durable",
          "[acceptance][frequency]") {
    const auto now = eastern(10, 14);

    SECTION("defer (the default): the surplus waits until the oldest send ages out") {
        acceptance_fixture f(now);
        std::vector<gateway::accept_outcome> outs;
        for (int i = 0; i < 5; ++i) {
            outs.push_back(f.submit(submit_sm_pdu(florida, {.service_type = "MKT"})));
        }
        // Nothing written yet: five messages and two deferral audits wait for the journal.
        CHECK(f.journal.pending() == 7);

        for (int i = 0; i < 3; ++i) {
            CHECK(outs[i].kind == verdict::accepted);
            CHECK(outs[i].message->counts_toward_frequency);
        }
        for (int i = 3; i < 5; ++i) {
            CHECK(outs[i].kind == verdict::deferred);
            CHECK(outs[i].message->release == now + std::chrono::hours(24));
        }
        // Exactly one reservation per accepted message, made at acceptance.
        const auto reserved = f.db.reservations();
        REQUIRE(reserved.size() == 3);
        for (const auto& r : reserved) {
            CHECK(r.brand == "acme");
            CHECK(r.msisdn == florida);
            CHECK(r.when == now);
        }
        CHECK(f.journal.appends_with_writes() == 3);  // the reservation rides with the record
        CHECK(decisions(f.stats, "frequency", "defer") == 2);
        CHECK(decisions(f.stats, "none", "accept") == 3);

        // Another number, same brand: its own cap.
        CHECK(f.submit(submit_sm_pdu(florida_2, {.service_type = "MKT"})).kind ==
              verdict::accepted);
    }
    SECTION("reject: the surplus is refused with 0x430") {
        acceptance_fixture f(now, engine_with([](policy::policy_config& c) {
                                 c.frequency.action = policy::block_action::reject;
                             }));
        std::vector<gateway::accept_outcome> outs;
        for (int i = 0; i < 5; ++i) {
            outs.push_back(f.submit(submit_sm_pdu(florida, {.service_type = "MKT"})));
        }
        CHECK(std::count_if(outs.begin(), outs.end(),
                            [](const auto& o) { return o.kind == verdict::accepted; }) == 3);
        CHECK(outs[3].kind == verdict::rejected);
        CHECK(outs[3].status == frequency_cap_status);
        CHECK(outs[4].status == frequency_cap_status);
        CHECK(f.db.reservations().size() == 3);
        CHECK(f.count(record_kind::accepted) == 3);
    }
    SECTION("transactional messages are not capped and reserve nothing") {
        acceptance_fixture f(now);
        for (int i = 0; i < 5; ++i) {
            CHECK(f.submit(submit_sm_pdu(florida, {.service_type = "TXN"})).kind ==
                  verdict::accepted);
        }
        CHECK(f.db.reservations().empty());
    }
}

TEST_CASE("a submit racing a capped one for the same number waits for its reservation",
          "[acceptance][frequency]") {
    // Two sends counted; two more submits for the last place under the cap. The second one
    // runs on another thread while the first is inside its look at the sends, holding what it
    // read (two): it must not pass on the same reading.
    acceptance_fixture f(eastern(10, 14));
    for (int i = 0; i < 2; ++i) {
        REQUIRE(f.submit(submit_sm_pdu(florida, {.service_type = "MKT"})).kind ==
                verdict::accepted);
    }
    auto first = record_of(submit_sm_pdu(florida, {.service_type = "MKT"}), f.clock->now());
    auto second = record_of(submit_sm_pdu(florida, {.service_type = "MKT"}), f.clock->now());

    std::future<gateway::accept_outcome> racing;
    std::atomic<int> looks{0};
    bool racing_done_inside = false;
    f.db.after_frequency_lookup = [&] {
        // The first submit looks twice: once freely, once to decide. Start the racer during
        // the second look; a correct acceptance makes it wait for the first's reservation, so
        // it cannot finish in the meantime.
        if (looks.fetch_add(1) != 1) {
            return;
        }
        racing = std::async(std::launch::async,
                            [&] { return f.acceptor.accept(std::move(second), {}, {}); });
        racing_done_inside =
            racing.wait_for(std::chrono::milliseconds(100)) == std::future_status::ready;
    };

    const auto out = f.acceptor.accept(std::move(first), {}, {});
    const auto raced = racing.get();
    f.db.after_frequency_lookup = nullptr;

    CHECK_FALSE(racing_done_inside);
    CHECK(out.kind == verdict::accepted);
    CHECK(raced.kind == verdict::deferred);
    CHECK(f.db.reservations().size() == 3);
}

TEST_CASE("recheck looks again only after policy_changed, and then honours a new STOP",
          "[acceptance][recheck]") {
    acceptance_fixture f(eastern(10, 14));
    const auto out = f.submit(submit_sm_pdu(new_york));
    REQUIRE(out.kind == verdict::accepted);
    f.journal.complete();
    auto& m = *out.message;

    // An opt-out the acceptance was not told about: recheck stays cheap and asks nobody.
    f.db.opt_out(new_york);
    const auto before = f.db.optout_lookups();
    CHECK_FALSE(f.acceptor.recheck(m));
    CHECK(f.db.optout_lookups() == before);

    // The MO relay announces it: the message is looked at again and refused.
    f.acceptor.policy_changed();
    const auto refused = f.acceptor.recheck(m);
    REQUIRE(refused);
    CHECK(*refused == opted_out_status);
    CHECK(f.db.optout_lookups() == before + 1);
    // Refused stays refused: the epoch is not marked as checked.
    CHECK(f.acceptor.recheck(m) == refused);
}

TEST_CASE("a recheck that passes remembers the epoch and costs nothing the next time",
          "[acceptance][recheck]") {
    acceptance_fixture f(eastern(10, 14));
    const auto out = f.submit(submit_sm_pdu(new_york));
    REQUIRE(out.kind == verdict::accepted);
    f.db.opt_out(florida);  // somebody else's STOP
    f.acceptor.policy_changed();

    const auto before = f.db.optout_lookups();
    CHECK_FALSE(f.acceptor.recheck(*out.message));
    CHECK(f.db.optout_lookups() == before + 1);
    CHECK(out.message->checked_epoch.load() == f.acceptor.epoch());
    CHECK_FALSE(f.acceptor.recheck(*out.message));
    CHECK(f.db.optout_lookups() == before + 1);
}

TEST_CASE("a keyword reply is never refused, not even to a number that just opted out",
          "[acceptance][recheck]") {
    acceptance_fixture f(eastern(10, 14));
    // The STOP's confirmation, accepted with its MO the way the MO relay does it.
    store::accepted_record reply;
    reply.message =
        gateway::make_reply_record("acct1", "acme", "15550001111", std::string(new_york),
                                   "You are unsubscribed from Acme.", f.clock->now());
    reply.message.id = 99;
    reply.keyword_reply = true;
    store::mo_record mo;
    mo.account = "acct1";
    mo.when = f.clock->now();
    mo.bytes = "mo";
    std::vector<store::message_ptr> replies;
    f.live.mo(std::move(mo), {std::move(reply)}, nullptr, &replies, {});
    f.journal.complete();
    REQUIRE(replies.size() == 1);

    f.db.opt_out(new_york);
    f.acceptor.policy_changed();
    const auto before = f.db.optout_lookups();
    CHECK_FALSE(f.acceptor.recheck(*replies[0]));
    CHECK(f.db.optout_lookups() == before);
}

}  // namespace component_test
