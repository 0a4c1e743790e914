// Recovery through the real store: traffic on the live state, close, reopen, same live state;
// with a checkpoint in the middle (and the journal before it trimmed); the materializer's rows,
// audit trail and watermark; checkpoints a crash left half-written; the trim never touching
// what replay needs.

#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <thread>

#include <rocksdb/options.h>

#include "checkpoint.hpp"
#include "codec.hpp"
#include "commit_queue.hpp"
#include "database.hpp"
#include "keys.hpp"
#include "live_util.hpp"
#include "smppgw/store/store.hpp"
#include "smppgw/store/testing.hpp"
#include "test_util.hpp"

using namespace smppgw::store;
using namespace smppgw::store::test;

namespace {

// Checkpoints only when the test asks for one.
store_options quiet_options(const std::filesystem::path& p) {
    auto o = test_options(p);
    o.checkpoint_interval = std::chrono::hours(24);
    o.checkpoint_journal_bytes = 0;
    return o;
}

// A deterministic mix of every kind of transition, through the store's live state, leaving
// nothing only memory knows (no message held by a bind, no outbox entry in flight).
class traffic {
public:
    explicit traffic(store& st) : st_(&st) {}
    void reattach(store& st) { st_ = &st; }

    void round() {
        auto& live = st_->live();
        std::vector<message_ptr> batch;
        for (int i = 0; i < 12; ++i) {
            const auto parts = static_cast<std::uint16_t>(1 + i % 2);
            std::optional<time_point> release;
            if (i % 4 == 3) {
                release = test_start + std::chrono::hours(1 + i);
            }
            auto a =
                make_accepted(st_->next_id(), parts, release, i % 3 == 0 ? "acct-2" : "acct-1");
            a.counts_toward_frequency = i % 2 == 0;
            probe_.ids.push_back(a.message.id);
            batch.push_back(live.accept(std::move(a), nullptr, expect()));
        }
        wait();
        // Carriers take the queued ones; receipts come back for most.
        int n = 0;
        for (const auto& m : batch) {
            if (m->phase != message_phase::queued || n++ % 5 == 4) {
                continue;
            }
            REQUIRE(live.begin_submit(m));
            const auto parts = static_cast<std::uint16_t>(m->rec.parts.size());
            for (std::uint16_t p = 0; p < parts; ++p) {
                auto sub = make_submitted(m->rec.id, p, parts, "carrier-a");
                probe_.carrier_ids.emplace_back("carrier-a", sub.carrier_message_id);
                (void)live.submitted(m, std::move(sub), expect());
            }
        }
        wait();
        n = 0;
        for (const auto& m : batch) {
            if (m->phase != message_phase::awaiting_receipt) {
                continue;
            }
            const auto state = n % 4 == 3 ? message_state::undeliverable : message_state::delivered;
            const auto parts = static_cast<std::uint16_t>(m->rec.parts.size());
            // Every third one gets an intermediate receipt only, and stays.
            const auto last = n % 3 == 2 ? 1 : parts;
            for (std::uint16_t p = 0; p < last; ++p) {
                const auto s = n % 3 == 2 ? message_state::enroute : state;
                REQUIRE(live.receipt("carrier-a", cmid_of(m->rec.id, p),
                                     fold_to(s, "dlr-" + std::to_string(m->rec.id), 0, test_start),
                                     expect()) == live_state::receipt_result::applied);
            }
            ++n;
        }
        // One queued message fails at dispatch, one is cancelled, one replaced.
        for (const auto& m : batch) {
            if (m->phase == message_phase::queued) {
                REQUIRE(live.end(m, {0, {}, message_state::failed, 0x45, test_start, "dlr-f"},
                                 expect()));
                break;
            }
        }
        for (const auto& m : batch) {
            if (m->phase == message_phase::deferred) {
                REQUIRE(live.replace(m->rec.id, m->rec.account, {0, 0, "new text", test_start},
                                     expect()) == live_state::change_result::done);
                break;
            }
        }
        for (const auto& m : live.take_due(test_start + std::chrono::hours(6), 2)) {
            REQUIRE(live.release(m, test_start, false, nullptr, expect()));
        }
        // MOs, one with the gateway's own reply; an unmatched receipt; audits.
        for (int i = 0; i < 3; ++i) {
            std::vector<accepted_record> replies;
            if (i == 0) {
                auto r = make_accepted(st_->next_id(), 1, std::nullopt, "acct-2");
                r.keyword_reply = true;
                probe_.ids.push_back(r.message.id);
                replies.push_back(std::move(r));
            }
            live.mo({"acct-2", outbox_kind::mo, test_start, "mo-" + std::to_string(++mo_)},
                    std::move(replies), nullptr, nullptr, expect());
        }
        (void)live.keep_unmatched({"carrier-a", "nobody-" + std::to_string(mo_), test_start, "pdu"},
                                  100, expect());
        audit_record a;
        a.when = test_start;
        a.id = probe_.ids.back();
        a.msisdn = "15551234567";
        a.check = "quiet_hours";
        a.verdict = audit_verdict::defer;
        live.audit(a);
        wait();
        // The accounts take their outboxes and acknowledge about half.
        for (const auto* account : {"acct-1", "acct-2"}) {
            std::vector<lsn_t> taken;
            live.take_outbox(account, 100, [&](lsn_t entry, outbox_kind, std::string_view) {
                taken.push_back(entry);
                return true;
            });
            for (std::size_t i = 0; i < taken.size(); ++i) {
                if (i % 2 == 0) {
                    live.delivered(account, taken[i], expect());
                } else {
                    live.returned(account, taken[i]);
                }
            }
        }
        wait();
        REQUIRE(st_->await_materialized(std::chrono::seconds(20)));
    }

    [[nodiscard]] const probe& what() {
        probe_.accounts = {"acct-1", "acct-2"};
        return probe_;
    }

private:
    completion expect() {
        ++expected_;
        return done_.make();
    }
    void wait() {
        REQUIRE(done_.wait_for(expected_));
        REQUIRE(done_.failed() == 0);
    }

    store* st_;
    completions done_;
    std::size_t expected_ = 0;
    probe probe_;
    int mo_ = 0;
};

struct journal_group {
    lsn_t first;
    std::size_t count;
};

std::vector<journal_group> journal_groups(const std::filesystem::path& p) {
    std::vector<journal_group> out;
    raw_db raw(p, true);
    for (const auto& [key, value] : raw.rows("journal")) {
        const auto first = detail::journal_group_first(key);
        const auto n = detail::journal_group_count(value);
        REQUIRE(first);
        REQUIRE(n);
        out.push_back({*first, *n});
    }
    return out;
}

}  // namespace

TEST_CASE("the live state survives a restart, with and without a checkpoint", "[restart]") {
    temp_dir dir;
    auto st = store::open(quiet_options(dir.path()));
    traffic t(*st);
    t.round();
    t.round();
    const auto before = dump(st->live(), t.what());
    const auto next = st->live().next_lsn();
    CHECK(st->live().counts().awaiting_receipt > 0);
    CHECK(st->live().counts().deferred > 0);
    CHECK(st->live().counts().queued > 0);
    CHECK(st->live().counts().outbox_entries > 0);
    CHECK(st->live().counts().unmatched_receipts > 0);

    st.reset();
    st = store::open(quiet_options(dir.path()));
    CHECK(st->recovery().checkpoint_lsn == 0);
    CHECK(st->recovery().replayed_records == next - 1);
    CHECK(st->recovery().next_lsn == next);
    CHECK(st->live().next_lsn() == next);
    require_same(before, dump(st->live(), t.what()));

    t.reattach(*st);
    REQUIRE_FALSE(st->checkpoint_now());
    const auto cp = st->last_checkpoint();
    CHECK(cp.generation == 1);
    CHECK(cp.lsn == next);
    CHECK(cp.chunks >= 1);
    CHECK(cp.completed == 1);
    t.round();
    const auto after = dump(st->live(), t.what());
    const auto next2 = st->live().next_lsn();
    st.reset();

    // The journal keeps only what replay needs: no group ends before the checkpoint's LSN.
    const auto groups = journal_groups(dir.path());
    REQUIRE_FALSE(groups.empty());
    for (const auto& g : groups) {
        CAPTURE(g.first, g.count, cp.lsn);
        CHECK(g.first + g.count > cp.lsn);
    }
    CHECK(groups.back().first + groups.back().count == next2);

    st = store::open(quiet_options(dir.path()));
    CHECK(st->recovery().checkpoint_lsn == cp.lsn);
    CHECK(st->recovery().checkpoint_chunks == cp.chunks);
    CHECK(st->recovery().replayed_records == next2 - cp.lsn);
    require_same(after, dump(st->live(), t.what()));

    SECTION("a second checkpoint replaces the first, and a restart needs no journal") {
        REQUIRE_FALSE(st->checkpoint_now());
        CHECK(st->last_checkpoint().generation == 2);
        st.reset();
        raw_db raw(dir.path(), true);
        for (const auto& [key, value] : raw.rows("checkpoint")) {
            REQUIRE(key.size() == 12);
            CHECK(detail::get_be64(key.data()) == 2);  // older generations are gone
        }
        CHECK(raw.rows("journal").empty());
        st = store::open(quiet_options(dir.path()));
        CHECK(st->recovery().replayed_records == 0);
        CHECK(st->live().next_lsn() == next2);  // LSNs go on where they were
        require_same(after, dump(st->live(), t.what()));
    }
}

TEST_CASE("the materializer writes finished messages and the audit trail once, by watermark",
          "[restart][materializer]") {
    temp_dir dir;
    auto st = store::open(quiet_options(dir.path()));
    auto& live = st->live();
    completions done;
    std::vector<message_id> ids;
    const std::string msisdn = "15557654321";
    for (int i = 0; i < 3; ++i) {
        auto a = make_accepted(st->next_id());
        a.message.msisdn = msisdn;
        ids.push_back(a.message.id);
        auto m = live.accept(std::move(a), nullptr, done.make());
        REQUIRE(live.begin_submit(m));
        (void)live.submitted(m, make_submitted(ids.back(), 0, 1), done.make());
    }
    REQUIRE(live.receipt("carrier-a", cmid_of(ids[0], 0), fold_to(message_state::delivered),
                         done.make()) == live_state::receipt_result::applied);
    REQUIRE(live.receipt("carrier-a", cmid_of(ids[1], 0),
                         fold_to(message_state::undeliverable, {}, 34),
                         done.make()) == live_state::receipt_result::applied);
    audit_record refusal;
    refusal.when = test_start + 1s;
    refusal.id = 4242;
    refusal.msisdn = msisdn;
    refusal.check = "optout";
    refusal.verdict = audit_verdict::reject;
    refusal.command_status = 0x401;
    live.audit(refusal);
    REQUIRE(done.wait_for(8));
    REQUIRE(st->await_materialized(std::chrono::seconds(20)));

    // Finished messages left memory for their rows; the one still waiting did not.
    CHECK_FALSE(live.get(ids[0]));
    CHECK_FALSE(live.get(ids[1]));
    CHECK(live.get(ids[2]));
    auto row = st->get_message(ids[1]);
    REQUIRE(row);
    REQUIRE(row->has_value());
    CHECK((*row)->state == message_state::undeliverable);
    CHECK((*row)->parts[0].error == 34);
    CHECK((*row)->parts[0].carrier_message_id == cmid_of(ids[1], 0));
    CHECK((*st->get_message(ids[0]))->state == message_state::delivered);
    CHECK(st->materialized_through() > 0);
    CHECK(live.counts().materializer_queue == 0);

    const auto trail = [&] {
        auto r = st->audit_by_msisdn(msisdn, test_start - 1h, test_start + 1h, 100);
        REQUIRE(r);
        return *r;
    };
    auto audits = trail();
    REQUIRE(audits.size() == 3);  // two final states, one refusal
    std::size_t finals = 0;
    for (const auto& a : audits) {
        if (a.verdict == audit_verdict::final_state) {
            ++finals;
            CHECK(a.check == "final");
            if (a.id == ids[1]) {
                CHECK(a.reason == "undeliverable");
                CHECK(a.command_status == 34);
            }
        } else {
            CHECK(a == refusal);
        }
    }
    CHECK(finals == 2);

    SECTION("a reopen does not write them again") {
        const auto watermark = st->materialized_through();
        st.reset();
        st = store::open(quiet_options(dir.path()));
        CHECK(st->recovery().materialized_through == watermark);
        CHECK(st->live().counts().finished == 0);
        CHECK(st->live().counts().materializer_queue == 0);
        CHECK(st->live().get(ids[2]));
        REQUIRE(st->await_materialized(std::chrono::seconds(20)));
        CHECK(trail().size() == 3);
    }
    SECTION("what was not written before a close is written after the reopen, once") {
        std::vector<message_id> more;
        for (int i = 0; i < 40; ++i) {
            auto a = make_accepted(st->next_id());
            a.message.msisdn = msisdn;
            more.push_back(a.message.id);
            auto m = live.accept(std::move(a), nullptr, {});
            REQUIRE(live.end(m, {0, {}, message_state::failed, 0, test_start, {}}, done.make()));
        }
        REQUIRE(done.wait_for(48));
        st.reset();  // the materializer may not have run: the journal still has them
        st = store::open(quiet_options(dir.path()));
        REQUIRE(st->await_materialized(std::chrono::seconds(20)));
        for (const auto id : more) {
            CAPTURE(id);
            CHECK_FALSE(st->live().get(id));
            const auto r = st->get_message(id);
            REQUIRE(r->has_value());
            CHECK((*r)->state == message_state::failed);
        }
        audits = trail();
        CHECK(audits.size() == 3 + more.size());  // exactly one final record each
        std::set<message_id> seen;
        for (const auto& a : audits) {
            if (a.verdict == audit_verdict::final_state) {
                CHECK(seen.insert(a.id).second);
            }
        }
    }
}

TEST_CASE("chunks a crashed checkpoint left behind are never read back", "[restart][checkpoint]") {
    temp_dir dir;
    message_id kept = 0;
    {
        auto st = store::open(quiet_options(dir.path()));
        kept = st->next_id();
        completions done;
        (void)st->live().accept(make_accepted(kept), nullptr, done.make());
        REQUIRE(done.wait_for(1));
        REQUIRE_FALSE(st->checkpoint_now());
        REQUIRE(st->last_checkpoint().generation == 1);
    }
    // A crash in the middle of checkpoint 2: its chunks are in the table files, its pointer
    // never made it. They describe a message that has since ended (and been materialized).
    const message_id ghost = kept + 1'000'000;
    {
        auto clk = std::make_shared<manual_clock>(test_start);
        memory_journal j;
        live_state old(j, clk);
        for (int i = 0; i < 20; ++i) {
            (void)old.accept(make_accepted(ghost + static_cast<message_id>(i)), nullptr, {});
        }
        raw_db raw(dir.path(), false);
        std::uint32_t n = 0;
        std::string key;
        (void)old.snapshot(
            [&](std::string_view chunk) {
                detail::checkpoint_chunk_key(key, 2, n++);
                raw.put("checkpoint", key, chunk);
            },
            1);
        REQUIRE(n == 20);
    }
    {
        auto st = store::open(quiet_options(dir.path()));
        CHECK_FALSE(st->live().get(ghost + 19));
        // The next checkpoint is generation 2 again, with fewer chunks than the crashed one.
        REQUIRE_FALSE(st->checkpoint_now());
        REQUIRE(st->last_checkpoint().generation == 2);
        REQUIRE(st->last_checkpoint().chunks < 20);
    }
    auto st = store::open(quiet_options(dir.path()));
    CHECK(st->live().get(kept));
    for (int i = 0; i < 20; ++i) {
        CAPTURE(i);
        CHECK_FALSE(st->live().get(ghost + static_cast<message_id>(i)));
    }
    CHECK(st->live().counts().queued == 1);
}

TEST_CASE("the journal trim keeps the table file that holds the checkpoint's LSN",
          "[restart][checkpoint]") {
    // The store's own wiring, by hand, so that the table files can be arranged between the
    // snapshot and the trim: the group at P is the last key of a bottom-level file.
    temp_dir dir;
    auto o = quiet_options(dir.path());
    detail::database db(o, o.clk);
    struct hooks final : detail::commit_hooks {
        live_state* live = nullptr;
        void applied(const detail::group_effects&, bool) override {}
        void records_completed(lsn_t first, std::size_t count, std::error_code ec) override {
            live->group_completed(first, count, ec);
        }
        void written(std::size_t, std::error_code) override {}
    } h;
    detail::committer c(db, o, h, 1);
    live_state live(c, o.clk);
    h.live = &live;
    struct stop_first {  // the committer's threads call into `live`: stop them before it goes
        detail::committer& c;
        ~stop_first() { c.stop(); }
    } stopper{c};
    completions done;
    for (message_id id = 1; id <= 3; ++id) {
        (void)live.accept(make_accepted(id), nullptr, done.make());
    }
    REQUIRE(done.wait_for(3));

    detail::checkpoint_writer writer(db, 1);
    const auto at = live.snapshot([&](std::string_view chunk) { writer.add(chunk); });
    CHECK(at == 4);
    (void)live.accept(make_accepted(4), nullptr, done.make());  // record 4: after the snapshot
    REQUIRE(done.wait_for(4));
    rocksdb::FlushOptions fo;
    REQUIRE(db.db().Flush(fo, db.cf(column_family::journal)).ok());
    rocksdb::CompactRangeOptions co;
    co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
    REQUIRE(db.db().CompactRange(co, db.cf(column_family::journal), nullptr, nullptr).ok());

    REQUIRE_FALSE(writer.finish(at, batch{}, &c));
    std::vector<lsn_t> replayable;
    REQUIRE_FALSE(detail::read_journal(db, at, [&](lsn_t lsn, record_kind kind, std::string_view) {
        CHECK(kind == record_kind::accepted);
        replayable.push_back(lsn);
    }));
    CHECK(replayable == std::vector<lsn_t>{4});
}

TEST_CASE("an empty live state checkpoints and reopens", "[restart][checkpoint]") {
    temp_dir dir;
    lsn_t next = 0;
    {
        auto st = store::open(quiet_options(dir.path()));
        completions done;
        auto m = st->live().accept(make_accepted(st->next_id()), nullptr, done.make());
        REQUIRE(st->live().end(m, {0, {}, message_state::failed, 0, test_start, {}}, done.make()));
        REQUIRE(done.wait_for(2));
        REQUIRE(st->await_materialized(std::chrono::seconds(20)));
        REQUIRE_FALSE(st->checkpoint_now());
        CHECK(st->last_checkpoint().chunks == 0);
        next = st->live().next_lsn();
    }
    auto st = store::open(quiet_options(dir.path()));
    CHECK(st->recovery().checkpoint_lsn == next);
    CHECK(st->recovery().checkpoint_chunks == 0);
    CHECK(st->recovery().replayed_records == 0);
    CHECK(st->live().next_lsn() == next);
    const auto c = st->live().counts();
    CHECK(c.queued + c.finished + c.outbox_entries + c.materializer_queue == 0);
}

TEST_CASE("the journal-size trigger never fires below the last checkpoint's own size",
          "[restart][checkpoint]") {
    // A small trigger with a large live state would rewrite the whole checkpoint every few
    // kilobytes of journal; the trigger is max(checkpoint_journal_bytes, last checkpoint size).
    temp_dir dir;
    std::uint64_t checkpoint_bytes = 0;
    {
        auto st = store::open(quiet_options(dir.path()));
        completions done;
        for (int i = 0; i < 300; ++i) {
            (void)st->live().accept(make_accepted(st->next_id()), nullptr, done.make());
        }
        REQUIRE(done.wait_for(300));
        REQUIRE_FALSE(st->checkpoint_now());
        checkpoint_bytes = st->last_checkpoint().bytes;
    }
    constexpr std::uint64_t trigger = 4096;
    REQUIRE(checkpoint_bytes > 8 * trigger);

    auto o = quiet_options(dir.path());
    o.checkpoint_journal_bytes = trigger;
    auto st = store::open(o);
    const auto journal_at_open = st->stats().journal_bytes;
    auto journal_since = [&] { return st->stats().journal_bytes - journal_at_open; };
    completions done;
    std::size_t accepted = 0;
    auto accept_one = [&] {
        (void)st->live().accept(make_accepted(st->next_id()), nullptr, done.make());
        REQUIRE(done.wait_for(++accepted));
    };
    // Past the configured trigger, well short of the checkpoint's size: no checkpoint.
    while (journal_since() < std::max(2 * trigger, checkpoint_bytes / 3)) {
        accept_one();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    CHECK(st->last_checkpoint().completed == 0);
    // Past the checkpoint's size: one follows.
    while (journal_since() < checkpoint_bytes + trigger) {
        accept_one();
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (st->last_checkpoint().completed == 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    CHECK(st->last_checkpoint().completed == 1);
}

TEST_CASE("an idle store does not rewrite its checkpoint every interval", "[restart][checkpoint]") {
    // A checkpoint is as large as the live state; with nothing journaled since the last one the
    // next would be the same bytes again. What a restart replayed still gets its checkpoint.
    temp_dir dir;
    {
        auto st = store::open(quiet_options(dir.path()));
        completions done;
        for (int i = 0; i < 20; ++i) {
            (void)st->live().accept(make_accepted(st->next_id()), nullptr, done.make());
        }
        REQUIRE(done.wait_for(20));
    }
    auto o = quiet_options(dir.path());
    o.checkpoint_interval = std::chrono::milliseconds(20);
    auto st = store::open(o);
    REQUIRE(st->recovery().replayed_records > 0);
    auto wait_until = [&](auto predicate) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (!predicate() && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        return predicate();
    };
    // The replayed journal is folded into a checkpoint at the first interval...
    REQUIRE(wait_until([&] { return st->last_checkpoint().completed >= 1; }));
    // ...then, idle, the interval passes again and again without another one (the first may
    // have begun while the journal still counted bytes written before its snapshot: at most
    // one more).
    REQUIRE(wait_until([&] { return st->last_checkpoint().skipped_idle >= 10; }));
    CHECK(st->last_checkpoint().completed <= 2);
    const auto before = st->last_checkpoint().completed;
    // New work: the next interval writes one.
    completions done;
    (void)st->live().accept(make_accepted(st->next_id()), nullptr, done.make());
    REQUIRE(done.wait_for(1));
    CHECK(wait_until([&] { return st->last_checkpoint().completed > before; }));
}
