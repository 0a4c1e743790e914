// The property the fuzzy checkpoint relies on (live_state.hpp): loading the chunks of a
// snapshot taken at P, while transitions kept happening between its chunks, and then replaying
// every journal record from P on gives the same state as the original. A seeded random driver
// makes the transitions; the chunk sink runs some of them itself, so they land between chunks.

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <future>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "live_util.hpp"
#include "smppgw/store/live_state.hpp"
#include "smppgw/store/testing.hpp"

using namespace smppgw::store;
using namespace smppgw::store::test;

namespace {

// Moves a fresh journal to `next` (the committer after a recovery goes on where the journal
// ended): appends placeholder records nobody applies.
void advance_to(memory_journal& j, lsn_t next) {
    const std::vector<record_ref> filler(next - j.next_lsn(), record_ref{record_kind::audit, {}});
    if (!filler.empty()) {
        (void)j.append(filler, nullptr, {});
    }
}

// Random transitions of every kind on one live state, the way the gateway's components would
// make them, tracking what it needs to find things again.
class driver {
public:
    driver(live_state& ls, memory_journal& j, manual_clock& clk, std::uint64_t seed)
        : ls_(ls), j_(j), clk_(clk), rng_(seed) {}

    // Failures are allowed only between snapshots: an effect a failed group keeps in memory
    // is made durable by the next checkpoint (the store takes one), not by the journal.
    void allow_failures(bool on) { failures_ = on; }

    void step() {
        switch (pick(18)) {
            case 0:
            case 1:
            case 2:
                accept();
                break;
            case 3:
                due();
                break;
            case 4:
                release_any();
                break;
            case 5:
            case 6:
                submit();
                break;
            case 7:
                continue_submit();
                break;
            case 8:
            case 9:
                receipt();
                break;
            case 10:
                end_or_cancel();
                break;
            case 11:
                replace();
                break;
            case 12:
                mo();
                break;
            case 13:
                outbox();
                break;
            case 14:
                unmatched();
                break;
            case 15:
                complete();
                break;
            case 16:
                materialize();
                break;
            case 17:
                clk_.advance(std::chrono::minutes(pick(30)));
                audit();
                break;
        }
    }

    // Makes every group durable, returns every entry in flight and requeues every message a
    // bind holds: what a restart does to the things only memory knows.
    void settle() {
        complete_ok();
        for (const auto& [account, entry] : in_flight_) {
            ls_.returned(account, entry);
        }
        in_flight_.clear();
        for (const auto& m : submitting_) {
            ls_.requeue(m);
        }
        submitting_.clear();
    }

    void complete_ok() {
        j_.complete();
        completed_ = j_.next_lsn();
    }

    [[nodiscard]] probe what() const {
        probe p;
        p.ids = ids_;
        p.accounts = {"acct-1", "acct-2", "acct-3"};
        p.carrier_ids.assign(carrier_ids_.begin(), carrier_ids_.end());
        return p;
    }
    [[nodiscard]] bool failed(lsn_t lsn) const {
        return std::any_of(failed_.begin(), failed_.end(),
                           [&](const auto& r) { return lsn >= r.first && lsn < r.second; });
    }
    [[nodiscard]] std::size_t transitions() const { return transitions_; }

private:
    std::size_t pick(std::size_t n) { return static_cast<std::size_t>(rng_() % n); }
    bool chance(int percent) { return static_cast<int>(rng_() % 100) < percent; }
    std::string account() { return "acct-" + std::to_string(1 + pick(3)); }
    time_point now() const { return clk_.now(); }

    message_ptr any_message() {
        if (ids_.empty()) {
            return nullptr;
        }
        return ls_.get(ids_[pick(ids_.size())]);
    }

    std::string dlr(message_id id) {
        return chance(60) ? "dlr-" + std::to_string(id) + "-" + std::to_string(++counter_)
                          : std::string{};
    }

    void accept() {
        const auto id = next_id_++;
        const auto parts = static_cast<std::uint16_t>(1 + pick(3));
        std::optional<time_point> release;
        if (chance(30)) {
            release = now() + std::chrono::minutes(pick(120));
        }
        auto r = make_accepted(id, parts, release, account());
        r.message.received = now();
        r.counts_toward_frequency = chance(50);
        r.keyword_reply = chance(10);
        ids_.push_back(id);
        (void)ls_.accept(std::move(r), nullptr, {});
        ++transitions_;
        settle_acceptance();
    }

    // A failed acceptance takes the message away together with whatever later records did to
    // it, except that a finished one leaves an empty item for the materializer (harmless, and
    // memory only). Acceptances therefore never fail here; live_state_tests covers their
    // rollback.
    void settle_acceptance() {
        if (failures_) {
            complete_ok();
        }
    }

    // The scheduler: every message taken is answered at once.
    void due() {
        for (const auto& m : ls_.take_due(now() + std::chrono::minutes(pick(60)), 3)) {
            switch (pick(3)) {
                case 0:
                    (void)ls_.release(m, now(), false, nullptr, {});
                    break;
                case 1:
                    (void)ls_.defer_again(m, now() + std::chrono::minutes(1 + pick(60)), now(), {});
                    break;
                default:
                    (void)ls_.end(
                        m, ended_record{0, {}, message_state::expired, 0, now(), dlr(m->rec.id)},
                        {});
                    break;
            }
            ++transitions_;
        }
    }

    void release_any() {
        if (auto m = any_message(); m && m->phase == message_phase::deferred) {
            (void)ls_.release(m, now(), false, nullptr, {});
            ++transitions_;
        }
    }

    void submit() {
        const auto queued = ls_.queued();
        if (queued.empty()) {
            return;
        }
        const auto m = queued[pick(queued.size())];
        if (!ls_.begin_submit(m)) {
            return;
        }
        submitting_.insert(m);
        submit_parts(m);
    }

    // A bind that has a message: acknowledges some parts (maybe from a carrier that splits it
    // otherwise), then may give it back.
    void submit_parts(const message_ptr& m) {
        const std::string carrier = chance(80) ? "carrier-a" : "carrier-b";
        auto parts = static_cast<std::uint16_t>(m->rec.parts.size());
        if (chance(5)) {
            parts = static_cast<std::uint16_t>(1 + pick(3));
        }
        for (std::uint16_t p = 0; p < parts; ++p) {
            if (chance(20)) {
                continue;
            }
            auto sub = make_submitted(m->rec.id, p, parts, carrier, now());
            carrier_ids_.insert({carrier, sub.carrier_message_id});
            const auto kept = ls_.submitted(m, sub, {});
            ++transitions_;
            for (const auto& u : kept) {
                // The receipt relay applies the receipts kept for this id, settling them.
                const std::vector<lsn_t> resolves{u.lsn};
                (void)ls_.receipt(u.carrier, u.carrier_message_id, fold(), {}, resolves);
            }
        }
        if (m->phase == message_phase::awaiting_receipt || m->phase == message_phase::finished) {
            submitting_.erase(m);
        } else if (chance(40)) {
            ls_.requeue(m);
            submitting_.erase(m);
        }
    }

    void continue_submit() {
        if (submitting_.empty()) {
            return;
        }
        auto it = submitting_.begin();
        std::advance(it, static_cast<std::ptrdiff_t>(pick(submitting_.size())));
        const auto m = *it;
        if (!m->in_book || m->phase != message_phase::submitting) {
            submitting_.erase(it);
            return;
        }
        submit_parts(m);
    }

    live_state::receipt_fold fold() {
        static constexpr std::array states{message_state::delivered,     message_state::delivered,
                                           message_state::undeliverable, message_state::enroute,
                                           message_state::expired,       message_state::rejected};
        const auto state = states[pick(states.size())];
        const auto error =
            state == message_state::delivered ? 0U : static_cast<std::uint32_t>(pick(90));
        const auto bytes = chance(60) ? "dlr-r" + std::to_string(++counter_) : std::string{};
        return fold_to(state, bytes, error, now());
    }

    void receipt() {
        if (carrier_ids_.empty()) {
            return;
        }
        auto it = carrier_ids_.begin();
        std::advance(it, static_cast<std::ptrdiff_t>(pick(carrier_ids_.size())));
        (void)ls_.receipt(it->first, it->second, fold(), {});
        ++transitions_;
    }

    void end_or_cancel() {
        const auto m = any_message();
        if (!m) {
            return;
        }
        ended_record r{0,
                       {},
                       message_state::failed,
                       static_cast<std::uint32_t>(pick(100)),
                       now(),
                       dlr(m->rec.id)};
        if (chance(50)) {
            (void)ls_.cancel(m->rec.id, chance(90) ? m->rec.account : "someone-else", std::move(r),
                             {});
        } else {
            if (chance(30)) {
                r.state = message_state::expired;
            }
            (void)ls_.end(m, std::move(r), {});
        }
        ++transitions_;
    }

    void replace() {
        if (const auto m = any_message()) {
            replaced_record r{0, static_cast<std::uint8_t>(pick(3)),
                              "replaced " + std::to_string(++counter_), now()};
            (void)ls_.replace(m->rec.id, m->rec.account, std::move(r), {});
            ++transitions_;
        }
    }

    void mo() {
        std::vector<accepted_record> replies;
        if (chance(30)) {
            const auto id = next_id_++;
            ids_.push_back(id);
            auto r = make_accepted(id, 1, std::nullopt, account());
            r.keyword_reply = true;
            replies.push_back(std::move(r));
        }
        mo_record r{account(), chance(80) ? outbox_kind::mo : outbox_kind::dlr, now(),
                    "mo-" + std::to_string(++counter_)};
        const bool with_replies = !replies.empty();
        ls_.mo(std::move(r), std::move(replies), nullptr, nullptr, {});
        ++transitions_;
        if (with_replies) {
            settle_acceptance();
        }
    }

    // An outbox relay with a window: hands out a few, acknowledges some at once, and settles
    // an earlier one (acknowledged or timed out).
    void outbox() {
        const auto a = account();
        std::vector<lsn_t> taken;
        ls_.take_outbox(a, 1 + pick(3), [&](lsn_t entry, outbox_kind, std::string_view) {
            taken.push_back(entry);
            return true;
        });
        for (const auto entry : taken) {
            if (chance(60)) {
                ls_.delivered(a, entry);
                ++transitions_;
            } else {
                in_flight_.emplace_back(a, entry);
            }
        }
        if (!in_flight_.empty() && chance(50)) {
            const auto i = pick(in_flight_.size());
            const auto [acct, entry] = in_flight_[i];
            in_flight_.erase(in_flight_.begin() + static_cast<std::ptrdiff_t>(i));
            if (chance(50)) {
                ls_.delivered(acct, entry);
                ++transitions_;
            } else {
                ls_.returned(acct, entry);
            }
        }
    }

    void unmatched() {
        if (chance(70)) {
            // Often for a message that does not exist yet but will: its id is handed back when
            // the mapping appears.
            const auto cmid =
                chance(70) ? cmid_of(next_id_ + pick(5), 0) : "junk-" + std::to_string(++counter_);
            (void)ls_.keep_unmatched(
                unmatched_record{"carrier-a", cmid, now(), "pdu-" + std::to_string(counter_)}, 6,
                {});
        } else {
            const auto kept = ls_.list_unmatched(SIZE_MAX);
            if (!kept.empty()) {
                (void)ls_.drop_unmatched(kept[pick(kept.size())].lsn, {});
            }
        }
        ++transitions_;
    }

    void audit() {
        audit_record a;
        a.when = now();
        a.id = next_id_ - 1;
        a.msisdn = "1555000" + std::to_string(pick(100));
        a.check = "quiet_hours";
        a.verdict = audit_verdict::defer;
        a.defer_until = now() + 1h;
        ls_.audit(std::move(a));
        ++transitions_;
    }

    void complete() {
        if (failures_ && chance(25)) {
            failed_.emplace_back(completed_, j_.next_lsn());
            j_.complete(make_error_code(store_errc::no_space));
            completed_ = j_.next_lsn();
        } else {
            complete_ok();
        }
    }

    // The materializer: a few durable items at a time.
    void materialize() {
        const auto items = ls_.materializable(1 + pick(4));
        if (!items.empty()) {
            ls_.materialized(items.back().lsn);
        }
    }

    live_state& ls_;
    memory_journal& j_;
    manual_clock& clk_;
    std::mt19937_64 rng_;
    bool failures_ = false;
    message_id next_id_ = 1'000;
    std::vector<message_id> ids_;
    std::set<std::pair<std::string, std::string>> carrier_ids_;
    std::set<message_ptr> submitting_;
    std::vector<std::pair<std::string, lsn_t>> in_flight_;
    std::vector<std::pair<lsn_t, lsn_t>> failed_;  // [from, to) of groups that failed
    lsn_t completed_ = 1;
    std::uint64_t counter_ = 0;
    std::size_t transitions_ = 0;
};

struct round_stats {
    std::size_t snapshots = 0;
    std::size_t chunks = 0;
    std::size_t between_chunks = 0;  // transitions made by the chunk sink
    std::size_t replayed = 0;
};

// One seed: many rounds of (transitions, a fuzzy snapshot with transitions between its
// chunks, transitions, rebuild and compare).
void run_seed(std::uint64_t seed, int rounds, round_stats& stats) {
    CAPTURE(seed);
    auto clk = std::make_shared<manual_clock>(test_start);
    memory_journal journal;
    live_state live(journal, clk);
    journal.set_listener([&](lsn_t first, std::size_t count, std::error_code ec) {
        live.group_completed(first, count, ec);
    });
    driver d(live, journal, *clk, seed);
    std::mt19937_64 rng(seed * 7919);
    for (int round = 0; round < rounds; ++round) {
        CAPTURE(round);
        const bool failures = rng() % 3 == 0;
        d.allow_failures(failures);
        for (auto n = rng() % 40; n > 0; --n) {
            d.step();
        }
        if (failures) {
            d.complete_ok();  // no failed group may straddle the snapshot
            d.allow_failures(false);
        }

        std::vector<std::string> chunks;
        const auto chunk_entries = 1 + static_cast<std::size_t>(rng() % 16);
        const auto before = d.transitions();
        const lsn_t at = live.snapshot(
            [&](std::string_view chunk) {
                chunks.emplace_back(chunk);
                if (rng() % 4 == 0) {
                    for (auto n = 1 + rng() % 3; n > 0; --n) {
                        d.step();
                    }
                }
            },
            chunk_entries);
        stats.between_chunks += d.transitions() - before;
        ++stats.snapshots;
        stats.chunks += chunks.size();
        for (auto n = rng() % 30; n > 0; --n) {
            d.step();
        }
        d.settle();

        memory_journal fresh;
        live_state rebuilt(fresh, clk);
        for (const auto& chunk : chunks) {
            if (!rebuilt.load_chunk(chunk)) {
                FAIL("a chunk does not load");
            }
        }
        for (const auto& r : journal.records()) {
            if (r.lsn >= at && !d.failed(r.lsn)) {
                if (!rebuilt.replay(r.lsn, r.kind, r.payload)) {
                    FAIL("record " << r.lsn << " (" << to_string(r.kind) << ") does not replay");
                }
                ++stats.replayed;
            }
        }
        advance_to(fresh, journal.next_lsn());
        rebuilt.finish_recovery(live.materialized_through());

        const auto p = d.what();
        const auto expected = dump(live, p);
        const auto actual = dump(rebuilt, p);
        require_same(expected, actual);
        CHECK(rebuilt.max_id() <= live.max_id());
    }
}

}  // namespace

TEST_CASE("a fuzzy snapshot plus the journal after it equals the live state",
          "[snapshot][replay]") {
    round_stats stats;
    for (std::uint64_t seed = 1; seed <= 8; ++seed) {
        run_seed(seed, 80, stats);
    }
    // The property is only tested if transitions really happened between chunks.
    CHECK(stats.snapshots == 640);
    CHECK(stats.chunks > 10 * stats.snapshots);
    CHECK(stats.between_chunks > 1'000);
    CHECK(stats.replayed > 10'000);
    WARN("snapshots " << stats.snapshots << ", chunks " << stats.chunks
                      << ", transitions between chunks " << stats.between_chunks
                      << ", records replayed " << stats.replayed);
}

TEST_CASE("a snapshot's chunks are handed out without the live state's lock", "[snapshot]") {
    // Many outbox entries, audits and unmatched receipts (the part of a snapshot copied at P)
    // with one entry per chunk: a sink that needs the lock must still be able to take it.
    // Owned by the snapshot's thread from here on: should the sink deadlock, that thread is
    // left behind, and what it uses must outlive the test.
    struct state {
        std::shared_ptr<manual_clock> clk = std::make_shared<manual_clock>(test_start);
        memory_journal journal;
        live_state live{journal, clk};
        std::size_t chunks = 0;
    };
    auto s = std::make_shared<state>();
    for (int i = 0; i < 5; ++i) {
        s->live.mo(mo_record{"acct-1", outbox_kind::mo, test_start, "mo"}, {}, nullptr, nullptr,
                   {});
        s->live.audit(audit_record{});
        (void)s->live.keep_unmatched({"carrier-a", "u" + std::to_string(i), test_start, "p"}, 0,
                                     {});
    }
    auto done = std::async(std::launch::async, [s] {
        (void)s->live.snapshot(
            [&](std::string_view) {
                ++s->chunks;
                (void)s->live.counts();  // takes the lock
            },
            1);
    });
    if (done.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
        // std::async's future would block in its destructor: leave the thread and its state.
        new std::future<void>(std::move(done));
        FAIL("the snapshot called its sink with the live state locked: deadlock");
    }
    CHECK(s->chunks == 15);
}
