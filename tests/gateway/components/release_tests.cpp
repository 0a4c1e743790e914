// The scheduler and acceptance::release: a deferred message whose time has come runs the whole
// policy chain again — released (routed once durable), deferred again, or ended with a receipt.

#include <catch2/catch.hpp>

#include "mt/scheduler.hpp"
#include "support.hpp"

namespace component_test {
namespace {

constexpr std::uint32_t opted_out_status = 0x410;
// SMPP 3.4 message_state UNDELIVERABLE.
constexpr std::uint8_t undeliverable = 5;

// A promotional message to Florida submitted at 23:00 and deferred to 08:00, made durable;
// the scheduler routes into `routed`.
struct release_fixture : acceptance_fixture {
    explicit release_fixture(std::shared_ptr<const policy::engine> e = default_engine(),
                             std::uint8_t registered_delivery = 0x01,
                             std::string_view text = "Acme: 20% off today. Reply STOP to end")
        : acceptance_fixture(eastern(10, 23), std::move(e)),
          scheduler(live, acceptor, [this](store::message_ptr m) { routed.push_back(m); }) {
        const auto p = submit_sm_pdu(
            florida,
            {.service_type = "MKT", .registered_delivery = registered_delivery, .text = text});
        const auto out = acceptor.accept(record_of(p, clock->now()), text, {});
        REQUIRE(out.kind == gateway::accept_outcome::verdict::deferred);
        REQUIRE(out.message->release == eastern(11, 8));
        message = out.message;
        journal.complete();
        journal_before = journal.records().size();
    }

    // The scheduler's tick at the current time of the clock.
    std::size_t tick_at(time_point t) {
        clock->set(t);
        return scheduler.release_due(clock->now());
    }

    // Kinds of the records written since the message was deferred.
    std::vector<record_kind> new_kinds() const {
        auto all = kinds();
        return {all.begin() + static_cast<std::ptrdiff_t>(journal_before), all.end()};
    }

    double messages(std::string outcome) {
        return value_of(stats, "smppgw_messages_total",
                        {{"account", "acct1"}, {"outcome", std::move(outcome)}});
    }

    gateway::scheduler scheduler;
    std::vector<store::message_ptr> routed;
    store::message_ptr message;
    std::size_t journal_before = 0;
};

}  // namespace

TEST_CASE("a message is not released before its time", "[release]") {
    release_fixture f;
    CHECK(f.tick_at(eastern(11, 7, 59)) == 0);
    CHECK(f.new_kinds().empty());
    CHECK(f.message->phase == store::message_phase::deferred);
}

TEST_CASE("a released message is queued at once but routed only once the release is durable",
          "[release]") {
    release_fixture f;

    CHECK(f.tick_at(eastern(11, 8)) == 1);

    CHECK(f.new_kinds() == std::vector{record_kind::released});
    const auto released = f.records<store::released_record>(record_kind::released);
    REQUIRE(released.size() == 1);
    CHECK(released[0].id == f.message->rec.id);
    CHECK(released[0].when == eastern(11, 8));
    CHECK(f.message->phase == store::message_phase::queued);
    CHECK(f.routed.empty());
    // Sent now: the send counts toward Florida's cap from the release on.
    const auto reserved = f.db.reservations();
    REQUIRE(reserved.size() == 1);
    CHECK(reserved[0].msisdn == florida);
    CHECK(reserved[0].when == eastern(11, 8));
    CHECK(f.journal.appends_with_writes() == 1);

    f.journal.complete();

    REQUIRE(f.routed.size() == 1);
    CHECK(f.routed[0] == f.message);
    CHECK(f.message->counts_toward_frequency);
    CHECK(f.messages("released") == 1);
    CHECK(f.live.counts().queued == 1);
    CHECK(f.live.counts().deferred == 0);
}

TEST_CASE("a release the journal refused is not routed, waits again, and reserves again",
          "[release]") {
    release_fixture f;
    REQUIRE(f.tick_at(eastern(11, 8)) == 1);

    f.journal.complete(write_failure());

    CHECK(f.routed.empty());
    CHECK(f.message->phase == store::message_phase::deferred);
    CHECK(f.message->release == eastern(11, 8));
    // The reservation rode with the failed group, so the store never kept it: the message
    // does not count, and its next release must reserve again.
    CHECK_FALSE(f.message->counts_toward_frequency);

    CHECK(f.tick_at(eastern(11, 8, 1)) == 1);
    f.journal.complete();
    REQUIRE(f.routed.size() == 1);
    CHECK(f.db.reservations().size() == 2);
    CHECK(f.message->counts_toward_frequency);
}

TEST_CASE("a message still outside the allowed hours at release is deferred again", "[release]") {
    release_fixture f;
    // Reload while it waited: Florida's window now opens at 09:00.
    f.engine.store(engine_with([](policy::policy_config& c) {
        for (auto& rs : c.quiet_hours.rule_sets) {
            if (rs.name == "us_fl") {
                rs.days.fill(policy::hours_window(9, 0, 20, 0));
            }
        }
    }));

    CHECK(f.tick_at(eastern(11, 8)) == 1);

    CHECK(f.new_kinds() == std::vector{record_kind::deferred});
    const auto deferred = f.records<store::deferred_record>(record_kind::deferred);
    REQUIRE(deferred.size() == 1);
    CHECK(deferred[0].id == f.message->rec.id);
    CHECK(deferred[0].until == eastern(11, 9));
    CHECK(deferred[0].when == eastern(11, 8));
    CHECK(f.message->phase == store::message_phase::deferred);
    CHECK(f.message->release == eastern(11, 9));
    CHECK(f.db.reservations().empty());
    f.journal.complete();
    CHECK(f.routed.empty());

    CHECK(f.tick_at(eastern(11, 8, 59)) == 0);
    CHECK(f.tick_at(eastern(11, 9)) == 1);
    f.journal.complete();
    CHECK(f.routed.size() == 1);
}

TEST_CASE("a message opted out while it waited ends failed, with the receipt it asked for",
          "[release]") {
    SECTION("registered_delivery 1: a receipt, deliverable once the end is durable") {
        release_fixture f;
        f.db.opt_out(florida);

        CHECK(f.tick_at(eastern(11, 8)) == 1);

        CHECK(f.new_kinds() == std::vector{record_kind::audit, record_kind::failed});
        const auto audits = f.records<store::audit_entry_record>(record_kind::audit);
        REQUIRE_FALSE(audits.empty());
        CHECK(audits.back().audit.reason == "refused_at_release");
        CHECK(audits.back().audit.command_status == opted_out_status);
        const auto ended = f.records<store::ended_record>(record_kind::failed);
        REQUIRE(ended.size() == 1);
        CHECK(ended[0].id == f.message->rec.id);
        CHECK(ended[0].state == store::message_state::failed);
        CHECK(ended[0].status == opted_out_status);
        CHECK(ended[0].account == "acct1");
        CHECK(f.message->phase == store::message_phase::finished);
        CHECK(f.routed.empty());
        CHECK(f.db.reservations().empty());
        CHECK(f.outbox("acct1").pending == 1);
        CHECK(f.outbox("acct1").ready == 0);
        CHECK(f.outbox_ready.empty());

        f.journal.complete();

        CHECK(f.outbox("acct1").ready == 1);
        CHECK(f.outbox_ready == std::vector<std::string>{"acct1"});
        const auto dlr = read_upstream_receipt(ended[0].dlr);
        REQUIRE(dlr);
        CHECK(dlr->receipted_message_id == std::to_string(f.message->rec.id));
        CHECK(dlr->message_state == undeliverable);
        CHECK(dlr->esm_class == smpp::esm::smsc_delivery_receipt);
        CHECK_THAT(dlr->text, Catch::Contains("stat:UNDELIV"));
        CHECK(f.routed.empty());
        CHECK(f.messages("rejected_at_release") == 1);
    }
    SECTION("registered_delivery 2 (failure only): a receipt too") {
        release_fixture f(default_engine(), 0x02);
        f.db.opt_out(florida);
        CHECK(f.tick_at(eastern(11, 8)) == 1);
        f.journal.complete();
        CHECK(f.outbox("acct1").ready == 1);
    }
    SECTION("registered_delivery 0: ended without a receipt") {
        release_fixture f(default_engine(), 0x00);
        f.db.opt_out(florida);
        CHECK(f.tick_at(eastern(11, 8)) == 1);
        const auto ended = f.records<store::ended_record>(record_kind::failed);
        REQUIRE(ended.size() == 1);
        CHECK(ended[0].dlr.empty());
        f.journal.complete();
        CHECK(f.outbox("acct1").ready + f.outbox("acct1").pending == 0);
        CHECK(f.message->phase == store::message_phase::finished);
    }
}

TEST_CASE("content rules see the message's text again at release", "[release]") {
    // Quiet hours come before content in the chain: at 23:00 the content check never ran.
    release_fixture f(engine_with([](policy::policy_config& c) {
        c.content.require_brand_prefix = true;
        c.content.brand_prefixes.push_back({"acme", "Acme: "});
    }));

    CHECK(f.tick_at(eastern(11, 8)) == 1);
    f.journal.complete();

    CHECK(f.routed.size() == 1);
    CHECK(f.count(record_kind::failed) == 0);
}

TEST_CASE("a tick releases at most `limit` messages, the earliest first", "[release]") {
    release_fixture f;
    // Two more, deferred at 23:00 too: the same release time, later ids.
    for (int i = 0; i < 2; ++i) {
        const auto p = submit_sm_pdu(florida_2, {.service_type = "MKT"});
        REQUIRE(f.acceptor.accept(record_of(p, f.clock->now()), {}, {}).kind ==
                gateway::accept_outcome::verdict::deferred);
    }
    f.journal.complete();
    f.clock->set(eastern(11, 8));

    CHECK(f.scheduler.release_due(f.clock->now(), 2) == 2);
    f.journal.complete();
    REQUIRE(f.routed.size() == 2);
    CHECK(f.routed[0] == f.message);
    CHECK(f.scheduler.release_due(f.clock->now(), 2) == 1);
    CHECK(f.scheduler.release_due(f.clock->now(), 2) == 0);
}

TEST_CASE("a message cancelled while it waited is not released", "[release]") {
    release_fixture f;
    store::ended_record r;
    r.when = f.clock->now();
    REQUIRE(f.live.cancel(f.message->rec.id, "acct1", std::move(r), {}) ==
            store::live_state::change_result::done);
    f.journal.complete();

    CHECK(f.tick_at(eastern(11, 8)) == 0);
    CHECK(f.count(record_kind::released) == 0);
    CHECK(f.routed.empty());
}

}  // namespace component_test
