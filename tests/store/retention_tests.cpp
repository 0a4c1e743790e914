// Retention with an injected clock and forced compaction: every family's TTL, and what never
// expires. The format-1 families (pending, deferred) are only read by the upgrade now; their
// rows still expire with the messages.

#include <catch2/catch.hpp>

#include "batch_ops.hpp"
#include "keys.hpp"
#include "smppgw/store/batch.hpp"
#include "smppgw/store/store.hpp"
#include "test_util.hpp"

using namespace smppgw::store;
using namespace smppgw::store::test;
namespace pol = smppgw::policy;

TEST_CASE("retention expires each kind after its TTL, never active opt-outs or consent state",
          "[retention]") {
    temp_dir dir;
    auto clk = std::make_shared<manual_clock>(test_start);
    auto o = test_options(dir.path(), clk);
    auto st = store::open(o);
    const auto rows = [&](column_family cf) {
        return raw_db(dir.path(), true).rows(name_of(cf)).size();
    };

    const auto old_id = st->next_id();  // issued at test_start
    {
        batch b;
        b.put_message(sample_message(old_id));
        b.map_carrier_id("carrier", "c-old", old_id, 0);
        // Rows a format-1 store left behind.
        std::string key;
        detail::message_key(key, old_id);
        detail::batch_access::raw(b, column_family::pending, detail::op_kind::put, key, "");
        detail::deferred_key(key, test_start + 1h, old_id);
        detail::batch_access::raw(b, column_family::deferred, detail::op_kind::put, key, "");
        b.put_optout({"acme", "15550000001", test_start, "STOP", pol::record_source::mo, "mo-1"});
        pol::consent_record c;
        c.brand = "acme";
        c.msisdn = "15550000002";
        c.klass = pol::message_class::promotional;
        c.granted = test_start;
        c.proof = "web form v1";
        b.put_consent(c);
        audit_record a;
        a.when = test_start;
        a.id = old_id;
        a.msisdn = "15550000002";
        a.check = "consent";
        b.put_audit(a);
        b.record_send("acme", "15550000002", test_start);
        REQUIRE_FALSE(st->commit_sync(std::move(b)));
    }
    {
        batch b;
        b.lift_optout("acme", "15550000001", test_start + 1h, pol::record_source::mo, "mo-2");
        b.put_optout({"acme", "15550000003", test_start, "STOP", pol::record_source::mo, "mo-3"});
        REQUIRE_FALSE(st->commit_sync(std::move(b)));
    }
    REQUIRE_FALSE(st->compact());
    CHECK(st->get_message(old_id)->has_value());  // nothing is old yet
    CHECK(rows(column_family::pending) == 1);
    CHECK(rows(column_family::deferred) == 1);

    // Eight days later: messages, carrier ids, pending/deferred rows (7 days) and the send
    // counters (24 h window) are gone; evidence and audit (5 years) stay.
    clk->set(test_start + 24h * 8);
    const auto new_id = st->next_id();
    {
        batch b;
        b.put_message(sample_message(new_id, clk->now()));
        b.map_carrier_id("carrier", "c-new", new_id, 0);
        REQUIRE_FALSE(st->commit_sync(std::move(b)));
    }
    REQUIRE_FALSE(st->compact());
    CHECK_FALSE(st->get_message(old_id)->has_value());
    CHECK_FALSE(st->find_carrier_id("carrier", "c-old")->has_value());
    CHECK(st->get_message(new_id)->has_value());
    CHECK(st->find_carrier_id("carrier", "c-new")->has_value());
    CHECK(rows(column_family::pending) == 0);
    CHECK(rows(column_family::deferred) == 0);
    CHECK(st->recent_sends("acme", "15550000002", test_start - 24h).count == 0);
    CHECK(st->audit_by_time(test_start, test_start + 1s, 10)->size() == 1);
    CHECK(st->consent_history("acme", "15550000002", pol::message_class::promotional)->size() == 1);
    CHECK(st->optout_history("acme", "15550000001")->size() == 2);

    // Six years: audit and evidence expire; active opt-outs and current consent state remain.
    clk->set(test_start + 24h * 365 * 6);
    REQUIRE_FALSE(st->compact());
    CHECK(st->audit_by_time(test_start, test_start + 1s, 10)->empty());
    CHECK(st->audit_by_msisdn("15550000002", test_start, test_start + 1s, 10)->empty());
    CHECK(st->consent_history("acme", "15550000002", pol::message_class::promotional)->empty());
    CHECK(st->optout_history("acme", "15550000001")->empty());
    CHECK(st->find_optout("acme", "15550000003"));
    CHECK(st->get_optout("acme", "15550000003")->has_value());
    auto cur = st->get_consent("acme", "15550000002", pol::message_class::promotional);
    REQUIRE(cur->has_value());
    CHECK((*cur)->proof == "web form v1");  // the proof of the consent in force is kept
    CHECK(st->find_consent("acme", "15550000002", pol::message_class::promotional));

    st.reset();
    st = store::open(o);
    CHECK(st->find_optout("acme", "15550000003"));
    CHECK_FALSE(st->find_optout("acme", "15550000001"));
    CHECK(st->recovery().consents == 1);
}

TEST_CASE("zero TTL keeps records forever", "[retention]") {
    temp_dir dir;
    auto clk = std::make_shared<manual_clock>(test_start);
    auto o = test_options(dir.path(), clk);
    o.retention.messages = 0ms;
    auto st = store::open(o);
    const auto id = st->next_id();
    batch b;
    b.put_message(sample_message(id));
    REQUIRE_FALSE(st->commit_sync(std::move(b)));
    clk->set(test_start + 24h * 365 * 10);
    REQUIRE_FALSE(st->compact());
    CHECK(st->get_message(id)->has_value());
}
