// Every record kind through a real store: write with a batch, read it back, reopen.

#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <set>

#include "smppgw/store/batch.hpp"
#include "smppgw/store/store.hpp"
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

TEST_CASE("messages: put, merge-folded transitions, carrier ids, pending index", "[store]") {
    temp_dir dir;
    auto st = store::open(test_options(dir.path()));
    CHECK(st->recovery().created);

    const auto id = st->next_id();
    auto rec = sample_message(id);
    {
        batch b;
        b.put_message(rec);
        REQUIRE_FALSE(st->commit_sync(std::move(b)));
    }
    auto got = st->get_message(id);
    REQUIRE(got);
    REQUIRE(got->has_value());
    CHECK(**got == rec);
    CHECK(*st->list_pending(0, 10) == std::vector<message_id>{id});

    {
        batch b;  // carrier accepted part 0 then part 1: one step each
        b.part_submitted(id, 0, "carrier-a", "c0ffee", test_start + 1s, false);
        REQUIRE_FALSE(st->commit_sync(std::move(b)));
    }
    CHECK(*st->list_pending(0, 10) == std::vector<message_id>{id});  // not all parts out yet
    {
        batch b;
        b.part_submitted(id, 1, "carrier-a", "c0ffef", test_start + 2s, true);
        REQUIRE_FALSE(st->commit_sync(std::move(b)));
    }
    CHECK(st->list_pending(0, 10)->empty());
    CHECK(st->find_carrier_id("carrier-a", "c0ffee")->value() == carrier_mapping{id, 0});
    CHECK(st->find_carrier_id("carrier-a", "c0ffef")->value() == carrier_mapping{id, 1});
    CHECK_FALSE(st->find_carrier_id("carrier-b", "c0ffee")->has_value());

    {
        batch b;
        b.set_part(id, 0, message_state::delivered, test_start + 5s);
        b.set_part(id, 1, message_state::undeliverable, test_start + 6s, {}, 34);
        b.set_state(id, message_state::delivered, test_start + 6s);
        REQUIRE_FALSE(st->commit_sync(std::move(b)));
    }
    got = st->get_message(id);
    REQUIRE(got->has_value());
    const auto& m = **got;
    CHECK(m.state == message_state::delivered);
    CHECK(m.carrier == "carrier-a");
    CHECK(m.parts[0].carrier_message_id == "c0ffee");
    CHECK(m.parts[0].state == message_state::delivered);
    CHECK(m.parts[1].state == message_state::undeliverable);
    CHECK(m.parts[1].error == 34);
    REQUIRE(m.history.size() == 3);
    CHECK(m.history[1] == state_event{message_state::submitted, test_start + 2s});
    CHECK(m.payload == rec.payload);

    SECTION("the folded record survives flush, compaction and reopen") {
        REQUIRE_FALSE(st->compact());
        st.reset();
        st = store::open(test_options(dir.path()));
        auto again = st->get_message(id);
        REQUIRE(again->has_value());
        CHECK(**again == m);
        CHECK_FALSE(st->recovery().created);
        CHECK(st->recovery().pending.empty());
        CHECK(st->next_id() > id);
    }
    SECTION("updates for an unknown id read as absent") {
        batch b;
        b.set_state(id + 1024, message_state::delivered, test_start);
        REQUIRE_FALSE(st->commit_sync(std::move(b)));
        CHECK_FALSE(st->get_message(id + 1024)->has_value());
    }
}

TEST_CASE("adjacent updates of one message fold into one merge", "[store][batch]") {
    batch b;
    b.set_part(7, 0, message_state::delivered, test_start);
    b.set_state(7, message_state::delivered, test_start);  // folded, plus the pending delete
    CHECK(b.operations() == 2);
    b.set_state(8, message_state::delivered, test_start);  // another message: a new merge
    CHECK(b.operations() == 4);
    b.set_carrier(8, "c");  // the previous op is the pending delete: not adjacent
    CHECK(b.operations() == 5);
    b.set_part(8, 1, message_state::delivered, test_start);
    CHECK(b.operations() == 5);

    temp_dir dir;
    auto st = store::open(test_options(dir.path()));
    batch put;
    put.put_message(sample_message(8));
    REQUIRE_FALSE(st->commit_sync(std::move(put)));
    REQUIRE_FALSE(st->commit_sync(std::move(b)));
    const auto m = st->get_message(8);
    REQUIRE(m->has_value());
    CHECK((*m)->state == message_state::delivered);
    CHECK((*m)->carrier == "c");
    CHECK((*m)->parts[1].state == message_state::delivered);
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
    f.append_outbox("", outbox_kind::dlr, "x", test_start);
    CHECK(f.error());
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

TEST_CASE("deferred: put, remove, due scan with limit", "[store][deferred]") {
    temp_dir dir;
    auto st = store::open(test_options(dir.path()));
    {
        batch b;
        b.put_deferred(test_start + 3h, 30);
        b.put_deferred(test_start + 1h, 10);
        b.put_deferred(test_start + 1h, 11);
        b.put_deferred(test_start + 2h, 20);
        b.put_deferred(test_start - 1h, 5);
        REQUIRE_FALSE(st->commit_sync(std::move(b)));
    }
    auto due = st->due_deferred(test_start + 1h, 100);
    REQUIRE(due);
    CHECK(*due == std::vector<deferred_entry>{
                      {test_start - 1h, 5}, {test_start + 1h, 10}, {test_start + 1h, 11}});
    CHECK(st->due_deferred(test_start + 5h, 2)->size() == 2);
    CHECK(st->due_deferred(test_start - 2h, 10)->empty());
    {
        batch b;
        b.remove_deferred(test_start + 1h, 10);
        b.remove_deferred(test_start - 1h, 5);
        REQUIRE_FALSE(st->commit_sync(std::move(b)));
    }
    due = st->due_deferred(test_start + 2h, 100);
    CHECK(*due == std::vector<deferred_entry>{{test_start + 1h, 11}, {test_start + 2h, 20}});
}

TEST_CASE("outbox: sequences, ack, cursor, depth, persistence across reopen", "[store][outbox]") {
    temp_dir dir;
    std::vector<std::pair<std::string, std::uint64_t>> announced;
    auto o = test_options(dir.path());
    o.on_outbox_append = [&](std::string_view account, std::uint64_t seq, outbox_kind) {
        announced.emplace_back(std::string{account}, seq);
    };
    auto st = store::open(o);
    {
        batch b;
        b.append_outbox("acct-a", outbox_kind::dlr, "dlr-1", test_start);
        b.append_outbox("acct-a", outbox_kind::mo, "mo-1", test_start);
        b.append_outbox("acct-b", outbox_kind::dlr, "dlr-b1", test_start);
        REQUIRE_FALSE(st->commit_sync(std::move(b)));
    }
    {
        batch b;
        b.append_outbox("acct-a", outbox_kind::dlr, "dlr-2", test_start);
        REQUIRE_FALSE(st->commit_sync(std::move(b)));
    }
    CHECK(announced == std::vector<std::pair<std::string, std::uint64_t>>{
                           {"acct-a", 1}, {"acct-a", 2}, {"acct-b", 1}, {"acct-a", 3}});
    auto entries = st->read_outbox("acct-a", 0, 10);
    REQUIRE(entries->size() == 3);
    CHECK((*entries)[0].seq == 1);
    CHECK((*entries)[1].kind == outbox_kind::mo);
    CHECK((*entries)[2].bytes == "dlr-2");
    CHECK(st->read_outbox("acct-a", 2, 1)->at(0).seq == 2);
    CHECK(st->outbox("acct-a") == outbox_status{"acct-a", 3, 1, 4});
    CHECK(st->outbox("nobody") == outbox_status{"nobody", 0, 0, 1});

    {
        batch b;
        b.ack_outbox("acct-a", 1);
        b.ack_outbox("acct-a", 2);
        b.ack_outbox("acct-a", 3);
        b.ack_outbox("acct-a", 99);  // unknown: ignored
        REQUIRE_FALSE(st->commit_sync(std::move(b)));
    }
    CHECK(st->read_outbox("acct-a", 0, 10)->empty());
    CHECK(st->outbox("acct-a") == outbox_status{"acct-a", 0, 0, 4});

    st.reset();
    announced.clear();
    st = store::open(o);
    // The empty outbox still remembers its sequence: no reuse after a restart.
    CHECK(st->outbox("acct-a").next_seq == 4);
    CHECK(st->outbox("acct-b") == outbox_status{"acct-b", 1, 1, 2});
    const auto& rep = st->recovery().outbox;
    REQUIRE(rep.size() == 2);
    CHECK(rep[1] == outbox_status{"acct-b", 1, 1, 2});
    {
        batch b;
        b.append_outbox("acct-a", outbox_kind::dlr, "dlr-4", test_start);
        REQUIRE_FALSE(st->commit_sync(std::move(b)));
    }
    CHECK(announced == std::vector<std::pair<std::string, std::uint64_t>>{{"acct-a", 4}});
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

TEST_CASE("checkpoint is a consistent store of its own", "[store][ops]") {
    temp_dir dir;
    auto st = store::open(test_options(dir / "live"));
    const auto id = st->next_id();
    {
        batch b;
        b.put_message(sample_message(id));
        b.put_optout({"acme", "15559990000", test_start, "STOP", pol::record_source::mo, ""});
        REQUIRE_FALSE(st->commit_sync(std::move(b)));
    }
    REQUIRE_FALSE(st->checkpoint(dir / "copy"));
    CHECK(st->checkpoint(dir / "copy"));  // refuses an existing directory
    {
        batch b;
        b.put_optout({"acme", "15559990001", test_start, "STOP", pol::record_source::mo, ""});
        REQUIRE_FALSE(st->commit_sync(std::move(b)));
    }
    auto copy = store::open(test_options(dir / "copy"));
    CHECK(copy->get_message(id)->has_value());
    CHECK(copy->find_optout("acme", "15559990000"));
    CHECK_FALSE(copy->find_optout("acme", "15559990001"));
    CHECK(st->disk_usage() > 0);
}
