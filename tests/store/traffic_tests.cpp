// The traffic statistics through the real store: finished messages counted by the materializer
// per hour received, account, brand, campaign and final state; keyword counts written with an
// MO; queries by window and key; each message counted exactly once across restarts, a
// re-materialization below the stats watermark and one above it; a store from before the stats
// family; retention.

#include <catch2/catch.hpp>

#include <map>
#include <mutex>

#include "keys.hpp"
#include "live_util.hpp"
#include "smppgw/store/store.hpp"
#include "smppgw/store/traffic.hpp"
#include "test_util.hpp"

using namespace smppgw::store;
using namespace smppgw::store::test;

namespace {

// Checkpoints only when a test asks: the journal keeps everything, so a reopen can
// re-materialize whatever the watermarks say is missing.
store_options quiet_options(const std::filesystem::path& p,
                            std::shared_ptr<const smppgw::store::clock> clk = nullptr) {
    auto o = test_options(p, std::move(clk));
    o.checkpoint_interval = std::chrono::hours(24);
    o.checkpoint_journal_bytes = 0;
    return o;
}

struct finished_message {
    std::string account;
    std::string brand;
    std::string campaign;
    time_point received;
    message_state state;
    bool keyword_reply = false;
};

// Accepts each message and takes it to its final state the way the gateway would: a carrier
// receipt for delivered, undeliverable and rejected, an end record for the others.
void finish_all(store& st, const std::vector<finished_message>& messages) {
    auto& live = st.live();
    completions done;
    std::size_t expected = 0;
    for (const auto& f : messages) {
        auto a = make_accepted(st.next_id(), 1, std::nullopt, f.account);
        const auto id = a.message.id;
        a.message.brand = f.brand;
        a.message.campaign = f.campaign;
        a.message.received = f.received;
        a.message.history = {{message_state::queued, f.received}};
        a.keyword_reply = f.keyword_reply;
        auto m = live.accept(std::move(a), nullptr, done.make());
        ++expected;
        if (f.state == message_state::delivered || f.state == message_state::undeliverable ||
            f.state == message_state::rejected) {
            REQUIRE(live.begin_submit(m));
            (void)live.submitted(m, make_submitted(id, 0, 1), done.make());
            REQUIRE(live.receipt("carrier-a", cmid_of(id, 0), fold_to(f.state), done.make()) ==
                    live_state::receipt_result::applied);
            expected += 2;
        } else {
            REQUIRE(live.end(m, {id, f.account, f.state, 0, f.received, {}}, done.make()));
            ++expected;
        }
    }
    REQUIRE(done.wait_for(expected));
    REQUIRE(done.failed() == 0);
    REQUIRE(st.await_materialized(std::chrono::seconds(20)));
}

std::map<traffic_key, traffic_counts> query(const store& st, traffic_query q) {
    auto rows = st.traffic(q);
    REQUIRE(rows);
    std::map<traffic_key, traffic_counts> out;
    for (const auto& r : *rows) {
        CHECK(out.emplace(r.key, r.counts).second);  // one row per key
    }
    return out;
}

traffic_query all_time() {
    return {test_start - std::chrono::hours(24 * 30), test_start + std::chrono::hours(24 * 30),
            std::nullopt, std::nullopt, std::nullopt};
}

traffic_counts counts(std::uint64_t delivered, std::uint64_t undeliverable,
                      std::uint64_t rejected, std::uint64_t expired, std::uint64_t failed,
                      std::uint64_t cancelled) {
    traffic_counts c;
    c.delivered = delivered;
    c.undeliverable = undeliverable;
    c.rejected = rejected;
    c.expired = expired;
    c.failed = failed;
    c.cancelled = cancelled;
    return c;
}

const auto hour0 = test_start;                              // 12:00
const auto hour1 = test_start + std::chrono::minutes(75);  // 13:15

// Twelve messages over two hours, two accounts, two brands, three campaigns; one reply of the
// gateway's own that must not count.
std::vector<finished_message> sample_traffic() {
    using s = message_state;
    return {
        {"acct-1", "acme", "spring", hour0, s::delivered},
        {"acct-1", "acme", "spring", hour0 + std::chrono::minutes(59), s::delivered},
        {"acct-1", "acme", "spring", hour0, s::undeliverable},
        {"acct-1", "acme", "", hour0, s::delivered},
        {"acct-1", "acme", "", hour0, s::expired},
        {"acct-1", "acme", "other", hour0, s::rejected},
        {"acct-1", "acme", "spring", hour1, s::delivered},
        {"acct-1", "acme", "spring", hour1, s::failed},
        {"acct-2", "globex", "", hour0, s::delivered},
        {"acct-2", "globex", "", hour1, s::cancelled},
        {"acct-2", "globex", "", hour1, s::delivered},
        {"acct-2", "globex", "", hour1, s::delivered, true},  // a HELP reply: not counted
    };
}

const traffic_key acme_spring{"acct-1", "acme", "spring"};
const traffic_key acme_none{"acct-1", "acme", ""};
const traffic_key acme_other{"acct-1", "acme", "other"};
const traffic_key globex_none{"acct-2", "globex", ""};

// What sample_traffic() must add up to over all time.
std::map<traffic_key, traffic_counts> expected_totals() {
    return {{acme_spring, counts(3, 1, 0, 0, 1, 0)},
            {acme_none, counts(1, 0, 0, 1, 0, 0)},
            {acme_other, counts(0, 0, 1, 0, 0, 0)},
            {globex_none, counts(2, 0, 0, 0, 0, 1)}};
}

}  // namespace

TEST_CASE("stats keys encode and parse back, and reject what is not one", "[traffic]") {
    std::string k;
    detail::stats_key(k, test_start, "acct-1", "acme", "spring", 16);
    const auto p = detail::parse_stats_key(k);
    REQUIRE(p);
    CHECK(p->hour == test_start);
    CHECK(p->account == "acct-1");
    CHECK(p->brand == "acme");
    CHECK(p->campaign == "spring");
    CHECK(p->measure == 16);
    CHECK(detail::stats_key_time(k) == test_start);
    detail::stats_key(k, test_start, "acct-1", "acme", "", 1);
    REQUIRE(detail::parse_stats_key(k));
    CHECK(detail::parse_stats_key(k)->campaign.empty());
    CHECK_FALSE(detail::parse_stats_key(detail::materialized_watermark_key));
    CHECK_FALSE(detail::parse_stats_key(k.substr(0, k.size() - 1)));  // no measure
    CHECK_FALSE(detail::parse_stats_key(k + "x"));                      // trailing bytes
    CHECK(floor_hour(hour1) == test_start + std::chrono::hours(1));
    CHECK(ceil_hour(hour1) == test_start + std::chrono::hours(2));
    CHECK(ceil_hour(test_start) == test_start);
}

TEST_CASE("finished messages are counted by hour received, account, brand, campaign and state",
          "[traffic]") {
    temp_dir dir;
    auto st = store::open(quiet_options(dir.path()));
    std::mutex events_mu;
    std::map<std::pair<traffic_key, message_state>, std::uint64_t> events;
    st->on_traffic([&](const std::vector<traffic_event>& batch) {
        std::lock_guard lock(events_mu);
        for (const auto& e : batch) {
            events[{e.key, e.state}] += e.count;
        }
    });
    finish_all(*st, sample_traffic());

    CHECK(query(*st, all_time()) == expected_totals());

    // The metrics hook saw the same final states, per state.
    {
        std::lock_guard lock(events_mu);
        CHECK(events.size() == 8);
        CHECK(events[{acme_spring, message_state::delivered}] == 3);
        CHECK(events[{acme_spring, message_state::undeliverable}] == 1);
        CHECK(events[{acme_spring, message_state::failed}] == 1);
        CHECK(events[{globex_none, message_state::delivered}] == 2);
        CHECK(events[{globex_none, message_state::cancelled}] == 1);
    }

    SECTION("a window counts the hours whose start lies in it") {
        auto q = all_time();
        q.from = hour0;
        q.to = hour0 + std::chrono::hours(1);
        const auto first = query(*st, q);
        CHECK(first == std::map<traffic_key, traffic_counts>{
                           {acme_spring, counts(2, 1, 0, 0, 0, 0)},
                           {acme_none, counts(1, 0, 0, 1, 0, 0)},
                           {acme_other, counts(0, 0, 1, 0, 0, 0)},
                           {globex_none, counts(1, 0, 0, 0, 0, 0)}});
        // `from` inside an hour still counts that whole hour; `to` at 13:01 takes 13:00-14:00.
        q.from = hour0 + std::chrono::minutes(30);
        q.to = hour1 - std::chrono::minutes(14);
        CHECK(query(*st, q) == expected_totals());
        q.from = hour1;
        q.to = hour1 + std::chrono::hours(1);
        CHECK(query(*st, q) == std::map<traffic_key, traffic_counts>{
                                   {acme_spring, counts(1, 0, 0, 0, 1, 0)},
                                   {globex_none, counts(1, 0, 0, 0, 0, 1)}});
        q.from = hour0 - std::chrono::hours(5);
        q.to = hour0;
        CHECK(query(*st, q).empty());
    }
    SECTION("filters select one account, brand or campaign") {
        auto q = all_time();
        q.brand = "globex";
        CHECK(query(*st, q) ==
              std::map<traffic_key, traffic_counts>{{globex_none, counts(2, 0, 0, 0, 0, 1)}});
        q = all_time();
        q.account = "acct-1";
        q.campaign = "";
        CHECK(query(*st, q) ==
              std::map<traffic_key, traffic_counts>{{acme_none, counts(1, 0, 0, 1, 0, 0)}});
        q = all_time();
        q.campaign = "spring";
        CHECK(query(*st, q) ==
              std::map<traffic_key, traffic_counts>{{acme_spring, counts(3, 1, 0, 0, 1, 0)}});
        q.account = "acct-2";
        CHECK(query(*st, q).empty());
    }
}

TEST_CASE("keyword counts are written with the MO, in its batch", "[traffic]") {
    temp_dir dir;
    auto st = store::open(quiet_options(dir.path()));
    completions done;
    const traffic_key key{"acct-1", "acme", ""};
    for (int i = 0; i < 3; ++i) {
        batch b;
        b.count_traffic(key, traffic_measure::opt_out, hour0 + std::chrono::minutes(i));
        if (i == 0) {
            b.count_traffic(key, traffic_measure::help, hour1);
            b.count_traffic(key, traffic_measure::opt_in, hour1, 2);
        }
        st->live().mo({"acct-1", outbox_kind::mo, hour0, "mo"}, {}, &b, nullptr, done.make());
    }
    REQUIRE(done.wait_for(3));
    REQUIRE(done.failed() == 0);
    traffic_counts expected;
    expected.opt_outs = 3;
    expected.help = 1;
    expected.opt_ins = 2;
    CHECK(query(*st, all_time()) == std::map<traffic_key, traffic_counts>{{key, expected}});
    auto q = all_time();
    q.from = hour0;
    q.to = hour0 + std::chrono::hours(1);
    traffic_counts first_hour;
    first_hour.opt_outs = 3;
    CHECK(query(*st, q) == std::map<traffic_key, traffic_counts>{{key, first_hour}});

    // A key part the store cannot hold fails the batch, as every other batch operation does.
    batch bad;
    bad.count_traffic({"acct-1", std::string("ac\0me", 5), ""}, traffic_measure::help, hour0);
    CHECK(bad.error() == store_errc::invalid_argument);

    // Durable with the MO: a reopen reads the same.
    st.reset();
    st = store::open(quiet_options(dir.path()));
    CHECK(query(*st, all_time()) == std::map<traffic_key, traffic_counts>{{key, expected}});
}

TEST_CASE("each finished message is counted once, whatever the materializer writes again",
          "[traffic][restart]") {
    temp_dir dir;
    auto st = store::open(quiet_options(dir.path()));
    finish_all(*st, sample_traffic());
    REQUIRE(query(*st, all_time()) == expected_totals());
    const auto watermark = st->materialized_through();
    REQUIRE(watermark > 0);

    SECTION("a reopen counts nothing again, and goes on counting") {
        st.reset();
        st = store::open(quiet_options(dir.path()));
        CHECK(st->recovery().materialized_through == watermark);
        REQUIRE(st->await_materialized(std::chrono::seconds(20)));
        CHECK(query(*st, all_time()) == expected_totals());
        finish_all(*st, {{"acct-2", "globex", "", hour1, message_state::delivered}});
        auto more = expected_totals();
        more[globex_none].delivered += 1;
        CHECK(query(*st, all_time()) == more);
    }
    SECTION("items written again because another family lags are not counted again") {
        // As after a crash that lost the messages family's last memtable but not the stats
        // family's: recovery materializes everything again from the lowest watermark.
        st.reset();
        {
            raw_db raw(dir.path(), false);
            std::string low;
            detail::put_be64(low, 1);
            raw.put("messages", detail::materialized_watermark_key, low);
        }
        st = store::open(quiet_options(dir.path()));
        CHECK(st->recovery().materialized_through == 1);
        REQUIRE(st->await_materialized(std::chrono::seconds(20)));
        CHECK(st->materialized_through() == watermark);  // everything written once more
        CHECK(query(*st, all_time()) == expected_totals());
    }
    SECTION("counts lost with their watermark are counted again, once") {
        // As after a crash that lost the stats family's memtable: its counters and watermark
        // are back where an earlier flush left them (here: nothing counted yet).
        st.reset();
        {
            raw_db raw(dir.path(), false);
            auto* cf = raw.cf("stats");
            REQUIRE(raw.db().DeleteRange(rocksdb::WriteOptions{}, cf, "", "\xff").ok());
            std::string zero;
            detail::put_be64(zero, 0);
            raw.put("stats", detail::materialized_watermark_key, zero);
        }
        st = store::open(quiet_options(dir.path()));
        CHECK(st->recovery().materialized_through == 0);
        REQUIRE(st->await_materialized(std::chrono::seconds(20)));
        CHECK(query(*st, all_time()) == expected_totals());
    }
    SECTION("a store from before the stats family counts from where its rows stand") {
        st.reset();
        {
            raw_db raw(dir.path(), false);
            REQUIRE(raw.db().DeleteRange(rocksdb::WriteOptions{}, raw.cf("stats"), "", "\xff").ok());
        }
        st = store::open(quiet_options(dir.path()));
        CHECK(st->recovery().materialized_through == watermark);  // nothing written again
        REQUIRE(st->await_materialized(std::chrono::seconds(20)));
        CHECK(query(*st, all_time()).empty());
        finish_all(*st, {{"acct-2", "globex", "", hour1, message_state::delivered}});
        CHECK(query(*st, all_time()) ==
              std::map<traffic_key, traffic_counts>{{globex_none, counts(1, 0, 0, 0, 0, 0)}});
    }
}

TEST_CASE("hourly counters older than the retention go at compaction", "[traffic][retention]") {
    temp_dir dir;
    auto clk = std::make_shared<manual_clock>(test_start);
    auto o = quiet_options(dir.path(), clk);
    o.retention.stats = std::chrono::hours(48);
    auto st = store::open(o);
    finish_all(*st, {{"acct-1", "acme", "", hour0, message_state::delivered},
                     {"acct-1", "acme", "", hour0 + std::chrono::hours(30),
                      message_state::delivered}});
    REQUIRE(query(*st, all_time())[acme_none].delivered == 2);
    clk->advance(std::chrono::hours(60));  // hour0 is 60 h old, the other 30 h
    REQUIRE_FALSE(st->compact());
    CHECK(query(*st, all_time()) ==
          std::map<traffic_key, traffic_counts>{{acme_none, counts(1, 0, 0, 0, 0, 0)}});
}
