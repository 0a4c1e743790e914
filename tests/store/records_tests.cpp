// Every record kind through a real store: write with a batch, read it back, reopen.

#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <set>

#include "live_util.hpp"
#include "smppgw/store/batch.hpp"
#include "smppgw/store/store.hpp"
#include "smppgw/store/testing.hpp"
#include "test_util.hpp"

using namespace smppgw::store;
using namespace smppgw::store::test;
namespace pol = smppgw::policy;

namespace {

pol::consent_record consent(std::string brand, std::string msisdn, pol::message_class k,
                            pol::consent_status status, time_point granted) {
    pol::consent_record c;
    c.brand = std::move(brand);
    c.msisdn = std::move(msisdn);
    c.klass = k;
    c.status = status;
    c.type = pol::consent_type::express_written;
    c.granted = granted;
    c.source = pol::record_source::web;
    c.proof = "checkbox v3";
    return c;
}

}  // namespace

TEST_CASE("messages: a finished message's row and carrier ids read back and survive reopen",
          "[store]") {
    temp_dir dir;
    auto st = store::open(test_options(dir.path()));
    CHECK(st->recovery().created);

    const auto id = st->next_id();
    auto rec = sample_message(id);
    rec.state = message_state::delivered;
    rec.carrier = "carrier-a";
    rec.parts[0] = {test_start + 5s, "c0ffee", 0, message_state::delivered};
    rec.parts[1] = {test_start + 6s, "c0ffef", 34, message_state::undeliverable};
    {
        batch b;  // what the materializer (or an import) writes
        b.put_message(rec);
        b.map_carrier_id("carrier-a", "c0ffee", id, 0);
        b.map_carrier_id("carrier-a", "c0ffef", id, 1);
        REQUIRE_FALSE(st->commit_sync(std::move(b)));
    }
    auto got = st->get_message(id);
    REQUIRE(got);
    REQUIRE(got->has_value());
    CHECK(**got == rec);
    CHECK_FALSE(st->live().get(id));  // a row, not a message in flight
    CHECK(st->find_carrier_id("carrier-a", "c0ffee")->value() == carrier_mapping{id, 0});
    CHECK(st->find_carrier_id("carrier-a", "c0ffef")->value() == carrier_mapping{id, 1});
    CHECK_FALSE(st->find_carrier_id("carrier-b", "c0ffee")->has_value());
    CHECK_FALSE(st->get_message(id + 1024)->has_value());

    SECTION("a message in flight answers from memory, before any row") {
        auto live = rec;
        live.state = message_state::queued;
        live.parts.assign(2, message_part{});
        accepted_record a;
        a.message = live;
        completions done;
        (void)st->live().accept(std::move(a), nullptr, done.make());
        REQUIRE(done.wait_for(1));
        CHECK((*st->get_message(id))->state == message_state::queued);
    }
    SECTION("the row survives flush, compaction and reopen") {
        REQUIRE_FALSE(st->compact());
        st.reset();
        st = store::open(test_options(dir.path()));
        auto again = st->get_message(id);
        REQUIRE(again->has_value());
        CHECK(**again == rec);
        CHECK_FALSE(st->recovery().created);
        CHECK(st->next_id() > id);  // ids never repeat one that is stored
    }
}

TEST_CASE("batch rejects keys it cannot store", "[store][batch]") {
    temp_dir dir;
    auto st = store::open(test_options(dir.path()));
    batch b;
    b.put_optout({"acme", "15551234567", test_start, "STOP", pol::record_source::mo, ""});
    b.put_optout(
        {std::string("ac\0me", 5), "1555", test_start, "STOP", pol::record_source::mo, ""});
    CHECK(b.error() == make_error_code(store_errc::invalid_argument));
    int calls = 0;
    std::error_code got;
    st->commit(std::move(b), [&](std::error_code ec) {
        ++calls;
        got = ec;
    });
    CHECK(calls == 1);  // refused inline
    CHECK(got == store_errc::invalid_argument);
    CHECK_FALSE(st->find_optout("acme", "15551234567"));  // nothing of the batch was written

    batch e;
    e.map_carrier_id("", "x", 1, 0);
    CHECK(e.error());
    batch f;
    f.put_hold({"acme", std::string("15\0", 3), test_start, "", ""});
    CHECK(f.error());
    batch g;
    g.release_send("", "1555", test_start);
    CHECK(g.error());
    batch h;
    h.record_send("acme", std::string(batch::max_key_part + 1, '1'), test_start);
    CHECK(h.error());
    auto too_many = sample_message(1);
    too_many.parts.resize(256);
    batch i;
    i.put_message(too_many);
    CHECK(i.error());
}

TEST_CASE("opt-outs: put, lift, STOPALL, per-brand iteration, lookups", "[store][optout]") {
    temp_dir dir;
    auto st = store::open(test_options(dir.path()));
    {
        batch b;
        b.put_optout({"acme", "15550000001", test_start, "STOP", pol::record_source::mo, "mo-1"});
        b.put_optout({"acme", "15550000002", test_start + 1s, "", pol::record_source::api, "crm"});
        b.put_optout({"globex", "15550000001", test_start, "QUIT", pol::record_source::mo, "mo-2"});
        b.put_optout({std::string{pol::all_brands}, "15550000009", test_start + 2s, "STOPALL",
                      pol::record_source::mo, "mo-3"});
        REQUIRE_FALSE(st->commit_sync(std::move(b)));
    }
    auto s = st->find_optout("acme", "15550000001");
    REQUIRE(s);
    CHECK(s->when == test_start);
    CHECK_FALSE(s->all_brands);
    CHECK_FALSE(st->find_optout("acme", "15550000003"));
    CHECK_FALSE(st->find_optout("initech", "15550000001"));
    s = st->find_optout("initech", "15550000009");
    REQUIRE(s);
    CHECK(s->all_brands);
    CHECK(s->when == test_start + 2s);

    auto rec = st->get_optout("acme", "15550000002");
    REQUIRE(rec->has_value());
    CHECK((*rec)->source == pol::record_source::api);
    CHECK((*rec)->reference == "crm");

    std::vector<std::string> acme;
    REQUIRE_FALSE(st->for_each_optout("acme", [&](const pol::optout_record& r) {
        acme.push_back(r.msisdn);
        CHECK(r.brand == "acme");
        return true;
    }));
    CHECK(acme == std::vector<std::string>{"15550000001", "15550000002"});
    std::size_t all = 0;
    REQUIRE_FALSE(st->for_each_optout([&](const pol::optout_record&) {
        ++all;
        return true;
    }));
    CHECK(all == 4);

    {
        batch b;
        b.lift_optout("acme", "15550000001", test_start + 1h, pol::record_source::mo, "mo-9");
        REQUIRE_FALSE(st->commit_sync(std::move(b)));
    }
    CHECK_FALSE(st->find_optout("acme", "15550000001"));  // lifted: inactive in memory at once
    CHECK(st->find_optout("globex", "15550000001"));

    st.reset();
    st = store::open(test_options(dir.path()));
    CHECK(st->recovery().optouts == 3);
    CHECK_FALSE(st->find_optout("acme", "15550000001"));
    CHECK(st->find_optout("acme", "15550000002"));
    CHECK(st->find_optout("anything", "15550000009"));
}

TEST_CASE("opt-out index matches a model exactly (no false negatives)", "[store][optout]") {
    temp_dir dir;
    auto o = test_options(dir.path());
    o.expected_optouts = 10;  // force several table growths while serving
    auto st = store::open(o);
    std::mt19937_64 rng{42};
    std::set<std::pair<std::string, std::string>> model;
    const std::array<std::string, 3> brands{"acme", "globex", std::string{pol::all_brands}};
    for (int round = 0; round < 40; ++round) {
        batch b;
        for (int i = 0; i < 250; ++i) {
            const auto& brand = brands[rng() % brands.size()];
            const auto msisdn = std::to_string(15550000000ULL + rng() % 3000);
            if (rng() % 5 == 0) {
                b.lift_optout(brand, msisdn, test_start, pol::record_source::api, "");
                model.erase({brand, msisdn});
            } else {
                b.put_optout({brand, msisdn, test_start, "STOP", pol::record_source::mo, ""});
                model.insert({brand, msisdn});
            }
        }
        REQUIRE_FALSE(st->commit_sync(std::move(b)));
    }
    auto verify = [&](const store& s) {
        for (int i = 0; i < 3000; ++i) {
            const auto msisdn = std::to_string(15550000000ULL + static_cast<unsigned>(i));
            for (const auto& brand : {std::string{"acme"}, std::string{"globex"}}) {
                const bool expected = model.count({brand, msisdn}) != 0 ||
                                      model.count({std::string{pol::all_brands}, msisdn}) != 0;
                const auto got = s.find_optout(brand, msisdn);
                REQUIRE(got.has_value() == expected);
                if (got && model.count({brand, msisdn}) == 0) {
                    CHECK(got->all_brands);
                }
            }
        }
    };
    verify(*st);
    st.reset();
    st = store::open(test_options(dir.path()));
    verify(*st);
}

TEST_CASE("consents: current state folds by effective time, evidence kept", "[store][consent]") {
    temp_dir dir;
    auto mode = GENERATE(consent_index_mode::memory, consent_index_mode::rocksdb);
    auto o = test_options(dir.path());
    o.consent_index = mode;
    auto st = store::open(o);
    const auto promo = pol::message_class::promotional;
    const auto trans = pol::message_class::transactional;
    {
        batch b;
        auto pending =
            consent("acme", "15551230000", promo, pol::consent_status::pending, test_start);
        b.put_consent(pending);
        REQUIRE_FALSE(st->commit_sync(std::move(b)));
    }
    auto s = st->find_consent("acme", "15551230000", promo);
    REQUIRE(s);
    CHECK(s->status == pol::consent_status::pending);
    CHECK(s->has_proof);
    CHECK_FALSE(st->find_consent("acme", "15551230000", trans));
    CHECK_FALSE(st->find_consent("globex", "15551230000", promo));

    {
        batch b;  // double opt-in YES
        auto yes = consent("acme", "15551230000", promo, pol::consent_status::granted, test_start);
        yes.double_opt_in = test_start + 2min;
        yes.expires = test_start + 24h * 365;
        b.put_consent(yes);
        REQUIRE_FALSE(st->commit_sync(std::move(b)));
    }
    s = st->find_consent("acme", "15551230000", promo);
    REQUIRE(s);
    CHECK(s->status == pol::consent_status::granted);
    CHECK(s->granted == test_start);
    CHECK(s->expires == test_start + 24h * 365);
    CHECK(s->type == pol::consent_type::express_written);

    {
        batch b;  // STOP revokes
        auto rev = consent("acme", "15551230000", promo, pol::consent_status::revoked, test_start);
        rev.revoked = test_start + 1h;
        rev.revocation_channel = "MO";
        b.put_consent(rev);
        REQUIRE_FALSE(st->commit_sync(std::move(b)));
    }
    {
        batch b;  // an import of older evidence arrives later: must not resurrect the consent
        auto old = consent("acme", "15551230000", promo, pol::consent_status::granted,
                           test_start - 24h * 30);
        old.source = pol::record_source::import;
        b.put_consent(old);
        REQUIRE_FALSE(st->commit_sync(std::move(b)));
    }
    s = st->find_consent("acme", "15551230000", promo);
    REQUIRE(s);
    CHECK(s->status == pol::consent_status::revoked);
    auto cur = st->get_consent("acme", "15551230000", promo);
    REQUIRE(cur->has_value());
    CHECK((*cur)->revocation_channel == "MO");

    auto hist = st->consent_history("acme", "15551230000", promo);
    REQUIRE(hist);
    REQUIRE(hist->size() == 4);
    CHECK((*hist)[0].source == pol::record_source::import);  // ordered by effective time
    CHECK((*hist)[3].status == pol::consent_status::revoked);

    st.reset();
    st = store::open(o);
    CHECK(st->recovery().consents == (mode == consent_index_mode::memory ? 1U : 0U));
    s = st->find_consent("acme", "15551230000", promo);
    REQUIRE(s);
    CHECK(s->status == pol::consent_status::revoked);
}

TEST_CASE("consent index answers many keys exactly", "[store][consent]") {
    temp_dir dir;
    auto o = test_options(dir.path());
    o.expected_consents = 16;  // growth while serving
    auto st = store::open(o);
    std::map<std::tuple<std::string, std::string, int>, pol::consent_status> model;
    std::mt19937_64 rng{7};
    for (int round = 0; round < 20; ++round) {
        batch b;
        for (int i = 0; i < 200; ++i) {
            const std::string brand = rng() % 2 ? "acme" : "globex";
            const auto msisdn = std::to_string(16660000000ULL + rng() % 1000);
            const auto k = static_cast<pol::message_class>(rng() % 3);
            const auto status = static_cast<pol::consent_status>(rng() % 3);
            // Strictly later effective times so the last write is the current one.
            const auto when = test_start + std::chrono::seconds{round * 1000 + i};
            b.put_consent(consent(brand, msisdn, k, status, when));
            model[{brand, msisdn, static_cast<int>(k)}] = status;
        }
        REQUIRE_FALSE(st->commit_sync(std::move(b)));
    }
    for (int i = 0; i < 1000; ++i) {
        const auto msisdn = std::to_string(16660000000ULL + static_cast<unsigned>(i));
        for (const auto* brand : {"acme", "globex"}) {
            for (int k = 0; k < 3; ++k) {
                const auto it = model.find({brand, msisdn, k});
                const auto s = st->find_consent(brand, msisdn, static_cast<pol::message_class>(k));
                REQUIRE(s.has_value() == (it != model.end()));
                if (s) {
                    REQUIRE(s->status == it->second);
                }
            }
        }
    }
}

TEST_CASE("frequency: rolling window over merged send times", "[store][freq]") {
    temp_dir dir;
    auto clk = std::make_shared<manual_clock>(test_start);
    auto o = test_options(dir.path(), clk);
    o.retention.freq_window = 24h;
    auto st = store::open(o);
    for (int i = 0; i < 5; ++i) {
        batch b;
        b.record_send("acme", "15551112222", test_start + std::chrono::hours{i});
        REQUIRE_FALSE(st->commit_sync(std::move(b)));
    }
    auto h = st->recent_sends("acme", "15551112222", test_start + 2h);
    REQUIRE(h.count == 3);
    CHECK(h.view()[0] == test_start + 2h);
    CHECK(h.view()[2] == test_start + 4h);
    CHECK(st->recent_sends("acme", "15551112222", test_start - 1h).count == 5);
    CHECK(st->recent_sends("globex", "15551112222", test_start).count == 0);

    SECTION("more sends than the history capacity keep the newest") {
        batch b;
        for (int i = 0; i < 40; ++i) {
            b.record_send("acme", "15551113333", test_start + std::chrono::minutes{i});
        }
        REQUIRE_FALSE(st->commit_sync(std::move(b)));
        auto all = st->recent_sends("acme", "15551113333", test_start);
        CHECK(all.count == pol::send_history::capacity);
        CHECK(all.view().back() == test_start + 39min);
        CHECK(all.view().front() == test_start + 24min);
    }
    SECTION("a day later, merges drop what left the window") {
        clk->set(test_start + 27h + 30min);  // sends at +0h..+3h are older than 24 h
        batch b;
        b.record_send("acme", "15551112222", test_start + 26h);
        REQUIRE_FALSE(st->commit_sync(std::move(b)));
        REQUIRE_FALSE(st->compact());
        auto later = st->recent_sends("acme", "15551112222", test_start - 48h);
        REQUIRE(later.count == 2);
        CHECK(later.view()[0] == test_start + 4h);
        CHECK(later.view()[1] == test_start + 26h);
    }
}

TEST_CASE("frequency: a reserved send counts at once and once, a given-back one stops counting",
          "[store][freq]") {
    temp_dir dir;
    auto fault = std::make_shared<write_fault>();
    auto o = test_options(dir.path());
    o.fault = fault;
    auto st = store::open(o);
    const auto count = [&] {
        return st->recent_sends("acme", "15551112222", test_start - 1h).count;
    };
    batch first;
    st->reserve_send("acme", "15551112222", test_start, first);
    auto h = st->recent_sends("acme", "15551112222", test_start - 1h);
    REQUIRE(h.count == 1);  // before anything is written: a concurrent submit sees it
    CHECK(h.view()[0] == test_start);
    CHECK(st->recent_sends("globex", "15551112222", test_start - 1h).count == 0);
    CHECK(st->recent_sends("acme", "15551112222", test_start + 1ms).count == 0);
    REQUIRE_FALSE(st->commit_sync(std::move(first)));
    CHECK(count() == 1);  // written, and no longer counted from memory as well

    batch second;
    st->reserve_send("acme", "15551112222", test_start + 1s, second);
    CHECK(count() == 2);  // one stored, one reserved
    REQUIRE_FALSE(st->commit_sync(std::move(second)));
    CHECK(count() == 2);

    // The acceptance path: the reservation rides in the batch of the message's record, and a
    // message that finally fails gives it back in the group of the record that ends it.
    completions done;
    batch with_record;
    st->reserve_send("acme", "15551112222", test_start + 2s, with_record);
    auto a = make_accepted(st->next_id());
    a.message.brand = "acme";
    a.message.msisdn = "15551112222";
    a.message.received = test_start + 2s;
    a.counts_toward_frequency = true;
    auto m = st->live().accept(std::move(a), &with_record, done.make());
    CHECK(count() == 3);
    REQUIRE(done.wait_for(1));
    CHECK(count() == 3);
    REQUIRE(st->live().end(m, ended_record{0, {}, message_state::failed, 0x45, test_start, {}},
                           done.make()));
    REQUIRE(done.wait_for(2));
    CHECK(done.failed() == 0);
    h = st->recent_sends("acme", "15551112222", test_start - 1h);
    REQUIRE(h.count == 2);
    CHECK(h.view()[1] == test_start + 1s);

    {
        batch b;  // a send that is not there: nothing to give back
        b.release_send("acme", "15551112222", test_start + 5s);
        REQUIRE_FALSE(st->commit_sync(std::move(b)));
        CHECK(count() == 2);
    }
    {
        batch b;
        b.release_send("acme", "15551112222", test_start);
        REQUIRE_FALSE(st->commit_sync(std::move(b)));
        h = st->recent_sends("acme", "15551112222", test_start - 1h);
        REQUIRE(h.count == 1);
        CHECK(h.view()[0] == test_start + 1s);
    }
    SECTION("a reservation whose batch failed no longer counts") {
        fault->arm();
        batch b;
        st->reserve_send("acme", "15551112222", test_start + 3s, b);
        CHECK(count() == 2);
        CHECK(st->commit_sync(std::move(b)) == store_errc::no_space);
        CHECK(count() == 1);
        fault->disarm();
    }
    SECTION("what was written survives reopen") {
        st.reset();
        st = store::open(test_options(dir.path()));
        CHECK(count() == 1);
    }
}

TEST_CASE("audit: by time range and by recipient", "[store][audit]") {
    temp_dir dir;
    auto st = store::open(test_options(dir.path()));
    {
        batch b;
        for (int i = 0; i < 10; ++i) {
            audit_record a;
            a.when = test_start + std::chrono::minutes{i};
            a.id = static_cast<message_id>(100 + i);
            a.msisdn = i % 2 == 0 ? "15550000001" : "15550000002";
            a.account = "acct";
            a.brand = "acme";
            a.check = i % 3 == 0 ? "optout" : "consent";
            a.verdict = i % 3 == 0 ? audit_verdict::reject : audit_verdict::accept;
            a.command_status = i % 3 == 0 ? 0x401U : 0U;
            a.reason = "reason " + std::to_string(i);
            b.put_audit(a);
        }
        // Two decisions for one message in the same millisecond are both kept.
        audit_record dup;
        dup.when = test_start + 3min;
        dup.id = 103;
        dup.msisdn = "15550000002";
        dup.check = "quiet_hours";
        dup.verdict = audit_verdict::defer;
        dup.defer_until = test_start + 10h;
        b.put_audit(dup);
        REQUIRE_FALSE(st->commit_sync(std::move(b)));
    }
    auto all = st->audit_by_time(test_start, test_start + 1h, 100);
    REQUIRE(all);
    CHECK(all->size() == 11);
    auto window = st->audit_by_time(test_start + 2min, test_start + 4min, 100);
    REQUIRE(window->size() == 3);  // minutes 2, 3, 3
    CHECK((*window)[0].reason == "reason 2");
    CHECK(st->audit_by_time(test_start, test_start + 1h, 4)->size() == 4);

    auto one = st->audit_by_msisdn("15550000002", test_start, test_start + 1h, 100);
    REQUIRE(one);
    REQUIRE(one->size() == 6);
    for (const auto& a : *one) {
        CHECK(a.msisdn == "15550000002");
    }
    CHECK((*one)[0].id == 101);
    auto ranged = st->audit_by_msisdn("15550000001", test_start + 4min, test_start + 7min, 100);
    REQUIRE(ranged->size() == 2);  // minutes 4 and 6
    CHECK((*ranged)[0].id == 104);
    CHECK((*ranged)[1].verdict == audit_verdict::reject);
    CHECK(st->audit_by_msisdn("1555", test_start, test_start + 1h, 100)->empty());
}

TEST_CASE("backup is a consistent store of its own, live state included", "[store][ops]") {
    temp_dir dir;
    auto st = store::open(test_options(dir / "live"));
    const auto id = st->next_id();
    const auto in_flight = st->next_id();
    completions done;
    {
        batch b;
        b.put_message(sample_message(id));
        b.put_optout({"acme", "15559990000", test_start, "STOP", pol::record_source::mo, ""});
        REQUIRE_FALSE(st->commit_sync(std::move(b)));
        (void)st->live().accept(make_accepted(in_flight), nullptr, done.make());
        st->live().mo({"acct-1", outbox_kind::mo, test_start, "mo-1"}, {}, nullptr, nullptr,
                      done.make());
        REQUIRE(done.wait_for(2));
    }
    REQUIRE_FALSE(st->backup(dir / "copy"));
    CHECK(st->backup(dir / "copy"));  // refuses an existing directory
    {
        batch b;
        b.put_optout({"acme", "15559990001", test_start, "STOP", pol::record_source::mo, ""});
        REQUIRE_FALSE(st->commit_sync(std::move(b)));
        (void)st->live().accept(make_accepted(st->next_id()), nullptr, done.make());
        REQUIRE(done.wait_for(3));
    }
    auto copy = store::open(test_options(dir / "copy"));
    CHECK(copy->get_message(id)->has_value());
    CHECK(copy->find_optout("acme", "15559990000"));
    CHECK_FALSE(copy->find_optout("acme", "15559990001"));
    CHECK(copy->live().get(in_flight));
    CHECK(copy->live().counts().queued == 1);
    CHECK(copy->live().has_deliverable("acct-1"));
    CHECK(st->disk_usage() > 0);
}

TEST_CASE("review holds: announced at once, put and released through batches, kept on reopen",
          "[store][holds]") {
    temp_dir dir;
    auto st = store::open(test_options(dir.path()));
    CHECK_FALSE(st->find_hold("acme", "15550000001"));
    const pol::hold_record announced{"acme", "15550000001", test_start, "mo-1",
                                     "don't stop the deals"};
    st->announce_hold(announced);  // the MO is being handled: in force before it is durable
    auto s = st->find_hold("acme", "15550000001");
    REQUIRE(s);
    CHECK(s->since == test_start);
    CHECK_FALSE(st->find_hold("globex", "15550000001"));
    CHECK_FALSE(st->find_hold("acme", "15550000002"));
    {
        batch b;
        b.put_hold(announced);
        b.put_hold({"acme", "15550000002", test_start + 1s, "mo-2", "stop?"});
        b.put_hold({"globex", "15550000001", test_start + 2s, "mo-3", "end"});
        REQUIRE_FALSE(st->commit_sync(std::move(b)));
    }
    // Visible once committed, without an announcement.
    REQUIRE(st->find_hold("acme", "15550000002"));
    CHECK(st->find_hold("acme", "15550000002")->since == test_start + 1s);
    const auto got = st->get_hold("globex", "15550000001");
    REQUIRE(got);
    CHECK(got->reference == "mo-3");
    CHECK(got->text == "end");
    auto all = st->list_holds(10);
    REQUIRE(all.size() == 3);
    CHECK(all[0].msisdn == "15550000001");  // brand, then number
    CHECK(all[1].msisdn == "15550000002");
    CHECK(all[2].brand == "globex");
    CHECK(st->list_holds(2).size() == 2);
    {
        batch b;
        b.release_hold("acme", "15550000001");
        REQUIRE_FALSE(st->commit_sync(std::move(b)));
    }
    CHECK_FALSE(st->find_hold("acme", "15550000001"));
    CHECK_FALSE(st->get_hold("acme", "15550000001"));

    st.reset();
    st = store::open(test_options(dir.path()));
    CHECK(st->recovery().holds == 2);
    CHECK_FALSE(st->find_hold("acme", "15550000001"));
    CHECK(st->find_hold("acme", "15550000002"));
    const auto kept = st->get_hold("globex", "15550000001");
    REQUIRE(kept);
    CHECK(kept->text == "end");
    CHECK(kept->since == test_start + 2s);
}

TEST_CASE("an announced opt-out is in force before its batch is durable", "[store][optout]") {
    temp_dir dir;
    auto st = store::open(test_options(dir.path()));
    st->announce_optout("acme", "15550000001", test_start);
    const auto s = st->find_optout("acme", "15550000001");
    REQUIRE(s);
    CHECK(s->when == test_start);
    CHECK_FALSE(st->get_optout("acme", "15550000001")->has_value());  // not written yet
    batch b;
    b.put_optout({"acme", "15550000001", test_start, "STOP", pol::record_source::mo, "mo-1"});
    REQUIRE_FALSE(st->commit_sync(std::move(b)));
    CHECK(st->get_optout("acme", "15550000001")->has_value());
    st.reset();
    st = store::open(test_options(dir.path()));
    CHECK(st->find_optout("acme", "15550000001"));
}
