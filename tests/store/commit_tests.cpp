// The committer and the journal, with real RocksDB: LSNs and completion order under concurrent
// appends, one journal value per group, plain batches in the same order as records, sync
// modes, a failed write failing its whole group (and the live state rolling back what it
// must), recovery once the disk has room again, refusals. No timing assertions: every wait is
// on a completion, with a deadline that fails the test instead of hanging it.

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "checkpoint.hpp"
#include "commit_queue.hpp"
#include "database.hpp"
#include "keys.hpp"
#include "live_util.hpp"
#include "smppgw/store/batch.hpp"
#include "smppgw/store/store.hpp"
#include "smppgw/store/testing.hpp"
#include "test_util.hpp"

using namespace smppgw::store;
using namespace smppgw::store::test;
namespace pol = smppgw::policy;

namespace {

// What the committer tells the store, recorded.
class recording_hooks final : public detail::commit_hooks {
public:
    void applied(const detail::group_effects&, bool) override {}
    void records_completed(lsn_t first, std::size_t count, std::error_code ec) override {
        std::lock_guard lk(mu);
        groups.push_back({first, count, ec});
    }
    void written(std::size_t, std::error_code) override {}

    struct group {
        lsn_t first;
        std::size_t count;
        std::error_code ec;
    };
    std::mutex mu;
    std::vector<group> groups;
};

// Stops a store's commit pipeline until released, so that what is submitted meanwhile queues
// up and becomes one group: parks the completion thread inside a callback, then lets the
// writer take (empty) groups until every in-flight slot is taken.
struct gate {
    std::promise<void> entered;
    std::promise<void> release;
    template <typename Submit, typename Depth>
    void park(Submit submit, Depth queue_depth, std::size_t pipeline_depth) {
        auto released = release.get_future().share();
        submit([this, released](std::error_code) {
            entered.set_value();
            released.wait();
        });
        entered.get_future().wait();
        for (std::size_t i = 1; i < pipeline_depth; ++i) {
            submit([](std::error_code) {});
            while (queue_depth() != 0) {
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
            }
        }
    }
    void park(store& st) {
        park([&](commit_callback cb) { st.commit(batch{}, std::move(cb)); },
             [&] { return st.stats().queue_depth; }, st.options().commit_pipeline_depth);
    }
};

std::string_view sv(const rocksdb::Slice& s) {
    return {s.data(), s.size()};
}

std::string payload_of(std::size_t thread, std::size_t i, std::size_t r) {
    return fmt::format("t{}-i{}-r{}", thread, i, r);
}

}  // namespace

TEST_CASE("concurrent appends: consecutive LSNs, one value per group, completions in LSN order",
          "[commit][journal]") {
    temp_dir dir;
    auto o = test_options(dir.path());
    detail::database db(o, o.clk);
    recording_hooks hooks;
    detail::committer c(db, o, hooks, 1);

    constexpr std::size_t threads = 4;
    constexpr std::size_t per_thread = 1500;
    std::vector<std::vector<lsn_t>> firsts(threads, std::vector<lsn_t>(per_thread));
    std::vector<std::vector<std::size_t>> counts(threads, std::vector<std::size_t>(per_thread));
    std::vector<std::atomic<int>> calls(threads * per_thread);
    std::mutex order_mu;
    std::vector<std::size_t> order;  // completions as they ran: thread * per_thread + i
    completions done;
    std::vector<std::thread> ts;
    for (std::size_t t = 0; t < threads; ++t) {
        ts.emplace_back([&, t] {
            std::mt19937 rng{static_cast<unsigned>(t)};
            std::vector<std::string> payloads;
            std::vector<record_ref> records;
            for (std::size_t i = 0; i < per_thread; ++i) {
                const auto n = 1 + rng() % 3;
                payloads.clear();
                records.clear();
                for (std::size_t r = 0; r < n; ++r) {
                    payloads.push_back(payload_of(t, i, r));
                }
                for (const auto& p : payloads) {
                    records.push_back({record_kind::audit, p});
                }
                counts[t][i] = n;
                const auto slot = t * per_thread + i;
                firsts[t][i] = c.append(records, nullptr, [&, slot](std::error_code ec) {
                    calls[slot].fetch_add(1);
                    {
                        std::lock_guard lk(order_mu);
                        order.push_back(slot);
                    }
                    done.add(ec);
                });
            }
        });
    }
    for (auto& t : ts) {
        t.join();
    }
    REQUIRE(done.wait_for(threads * per_thread));
    CHECK(done.failed() == 0);
    for (const auto& n : calls) {
        REQUIRE(n.load() == 1);
    }

    // The appends' ranges tile 1..N without gaps or overlaps; each thread's grow.
    std::map<lsn_t, std::size_t> ranges;  // first -> count
    std::size_t total = 0;
    for (std::size_t t = 0; t < threads; ++t) {
        CHECK(std::is_sorted(firsts[t].begin(), firsts[t].end()));
        for (std::size_t i = 0; i < per_thread; ++i) {
            REQUIRE(ranges.emplace(firsts[t][i], counts[t][i]).second);
            total += counts[t][i];
        }
    }
    lsn_t expected = 1;
    for (const auto& [first, n] : ranges) {
        REQUIRE(first == expected);
        expected += n;
    }
    CHECK(c.next_lsn() == total + 1);

    // Completions ran in LSN order.
    std::vector<lsn_t> completed;
    for (const auto slot : order) {
        completed.push_back(firsts[slot / per_thread][slot % per_thread]);
    }
    CHECK(std::is_sorted(completed.begin(), completed.end()));

    // The listener heard of contiguous groups, in order, covering every record; the journal
    // holds exactly one value per group, under the group's first LSN.
    c.stop();
    std::vector<std::pair<lsn_t, std::size_t>> reported;
    for (const auto& g : hooks.groups) {
        CHECK_FALSE(g.ec);
        if (g.count > 0) {
            reported.emplace_back(g.first, g.count);
        }
    }
    expected = 1;
    for (const auto& [first, n] : reported) {
        REQUIRE(first == expected);
        expected += n;
    }
    CHECK(expected == total + 1);
    CHECK(reported.size() < threads * per_thread);  // some appends shared a group
    std::vector<std::pair<lsn_t, std::size_t>> stored;
    std::unique_ptr<rocksdb::Iterator> it{
        db.db().NewIterator(rocksdb::ReadOptions{}, db.cf(column_family::journal))};
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
        const auto first = detail::journal_group_first(sv(it->key()));
        const auto n = detail::journal_group_count(sv(it->value()));
        REQUIRE(first);
        REQUIRE(n);
        stored.emplace_back(*first, *n);
    }
    CHECK(stored == reported);

    // Every record reads back with its payload at its LSN.
    std::map<lsn_t, std::string> want;
    for (std::size_t t = 0; t < threads; ++t) {
        for (std::size_t i = 0; i < per_thread; ++i) {
            for (std::size_t r = 0; r < counts[t][i]; ++r) {
                want[firsts[t][i] + r] = payload_of(t, i, r);
            }
        }
    }
    std::size_t read = 0;
    REQUIRE_FALSE(detail::read_journal(db, 1, [&](lsn_t lsn, record_kind kind, std::string_view p) {
        REQUIRE(kind == record_kind::audit);
        REQUIRE(want.at(lsn) == p);
        ++read;
    }));
    CHECK(read == total);
    commit_stats s;
    c.fill(s);
    CHECK(s.journal_records == total);
    CHECK(s.commits == threads * per_thread);
    CHECK(s.committed == threads * per_thread);
    CHECK(s.failed == 0);
}

TEST_CASE("what queues while a group is written becomes one group, records and batches in order",
          "[commit][journal]") {
    temp_dir dir;
    auto o = test_options(dir.path());
    detail::database db(o, o.clk);
    recording_hooks hooks;
    detail::committer c(db, o, hooks, 1);
    gate g;
    g.park([&](commit_callback cb) { c.submit(batch{}, std::move(cb)); },
           [&] {
               commit_stats s;
               c.fill(s);
               return s.queue_depth;
           },
           o.commit_pipeline_depth);

    std::vector<std::string> order;
    completions done;
    auto note = [&](std::string what) {
        return [&, what](std::error_code ec) {
            order.push_back(what);  // the completion thread only
            done.add(ec);
        };
    };
    const std::vector<std::string> payloads{"a", "b", "c", "d", "e"};
    std::vector<record_ref> five;
    for (const auto& p : payloads) {
        five.push_back({record_kind::mo, p});
    }
    const auto first = c.append(five, nullptr, note("five records"));
    batch b;
    b.put_optout({"acme", "15550000001", test_start, "STOP", pol::record_source::mo, ""});
    c.submit(std::move(b), note("batch"));
    batch extra;
    extra.put_optout({"acme", "15550000002", test_start, "STOP", pol::record_source::mo, ""});
    const record_ref one{record_kind::audit, "f"};
    const auto sixth = c.append({&one, 1}, &extra, note("record with a batch"));
    CHECK(sixth == first + 5);
    c.submit(batch{}, note("empty batch"));
    const auto groups_before = [&] {
        std::lock_guard lk(hooks.mu);
        return hooks.groups.size();
    }();

    g.release.set_value();
    REQUIRE(done.wait_for(4));
    CHECK(done.failed() == 0);
    CHECK(order ==
          std::vector<std::string>{"five records", "batch", "record with a batch", "empty batch"});
    c.stop();
    // One group for all four: one report to the listener, one journal value with six records.
    std::vector<recording_hooks::group> after(hooks.groups.begin() + groups_before,
                                              hooks.groups.end());
    std::size_t with_records = 0;
    for (const auto& grp : after) {
        if (grp.count > 0) {
            ++with_records;
            CHECK(grp.first == first);
            CHECK(grp.count == 6);
        }
    }
    CHECK(with_records == 1);
    std::string key;
    detail::journal_key(key, first);
    std::string value;
    REQUIRE(db.db().Get(rocksdb::ReadOptions{}, db.cf(column_family::journal), key, &value).ok());
    CHECK(detail::journal_group_count(value) == 6);
    std::string optout;
    detail::optout_key(key, "acme", "15550000002");
    CHECK(db.db().Get(rocksdb::ReadOptions{}, db.cf(column_family::optouts), key, &optout).ok());
}

TEST_CASE("sync modes: always syncs every commit, batch at most once per group, none never",
          "[commit]") {
    temp_dir dir;
    const auto mode = GENERATE(sync_mode::always, sync_mode::batch, sync_mode::none);
    CAPTURE(to_string(mode));
    auto o = test_options(dir.path());
    o.sync = mode;
    constexpr std::size_t n = 150;
    std::vector<message_id> ids;
    {
        auto st = store::open(o);
        completions done;
        for (std::size_t i = 0; i < n; ++i) {
            ids.push_back(st->next_id());
            (void)st->live().accept(make_accepted(ids.back()), nullptr, done.make());
            batch b;
            b.record_send("acme", "15550000001", test_start);
            st->commit(std::move(b), [&](std::error_code ec) { done.add(ec); });
        }
        REQUIRE(done.wait_for(2 * n));
        CHECK(done.failed() == 0);
        const auto s = st->stats();
        CHECK(s.committed == 2 * n);
        CHECK(s.journal_records == n);
        switch (mode) {
            case sync_mode::always:
                CHECK(s.groups == 2 * n);  // each commit its own write
                CHECK(s.syncs == s.groups);
                break;
            case sync_mode::batch:
                CHECK(s.syncs >= 1);
                CHECK(s.syncs == s.groups);  // the sync is part of the group's write
                CHECK(s.groups <= 2 * n);
                break;
            case sync_mode::none:
                CHECK(s.syncs == 0);
                CHECK(s.groups >= 1);
                break;
        }
        CHECK(s.group_size.count == s.groups);
    }
    auto st = store::open(o);
    for (const auto id : ids) {
        REQUIRE(st->live().get(id));
    }
    CHECK(st->recovery().replayed_records == n);
}

TEST_CASE("a stats snapshot counts a group and its commits together, also while groups complete",
          "[commit][stats]") {
    temp_dir dir;
    auto o = test_options(dir.path());
    o.sync = sync_mode::none;  // many small groups: the most completions to land between reads
    auto st = store::open(o);
    constexpr std::size_t n = 20'000;
    completions done;
    std::atomic<bool> writing{true};
    std::thread writer([&] {
        for (std::size_t i = 0; i < n; ++i) {
            batch b;
            b.record_send("acme", "15550000001", test_start);
            st->commit(std::move(b), [&](std::error_code ec) { done.add(ec); });
        }
        writing = false;
    });
    std::size_t snapshots = 0;
    std::size_t torn = 0;
    while (writing.load() || done.done() < n) {
        const auto s = st->stats();
        ++snapshots;
        // Every commit goes through one group: the groups' sizes add up to the commits
        // counted, and the commit-latency histogram counts the same commits.
        const auto in_groups = s.committed + s.failed - s.rejected;
        if (static_cast<std::uint64_t>(s.group_size.sum) != in_groups ||
            s.commit_latency_us.count != in_groups) {
            ++torn;
        }
    }
    writer.join();
    REQUIRE(done.wait_for(n));
    CHECK(snapshots > 10);
    CHECK(torn == 0);
}

TEST_CASE("a failed write fails its whole group, the live state rolls back, the store recovers",
          "[commit][fault]") {
    temp_dir dir;
    auto fault = std::make_shared<write_fault>();
    auto o = test_options(dir.path());
    o.fault = fault;
    o.checkpoint_interval = std::chrono::hours(1);  // only the resync checkpoint, below
    auto st = store::open(o);
    auto& live = st->live();
    completions done;
    const auto kept_id = st->next_id();
    (void)live.accept(make_accepted(kept_id), nullptr, done.make());
    REQUIRE(done.wait_for(1));
    REQUIRE(done.failed() == 0);

    gate g;
    g.park(*st);
    fault->arm();  // the disk is full from now on
    // ... but the file system does not say so yet: the low-space guard lets the group through
    // and RocksDB's own write fails.
    fault->report_full(false);
    std::vector<message_id> refused;
    for (int i = 0; i < 3; ++i) {
        refused.push_back(st->next_id());
        (void)live.accept(make_accepted(refused.back()), nullptr, done.make());
    }
    live.mo(mo_record{"acct-1", outbox_kind::mo, test_start, "mo"}, {}, nullptr, nullptr,
            done.make());
    batch b;
    b.put_optout({"acme", "15550000009", test_start, "STOP", pol::record_source::mo, ""});
    std::optional<std::error_code> batch_result;
    st->commit(std::move(b), [&](std::error_code ec) {
        batch_result = ec;
        done.add(ec);
    });
    CHECK(live.counts().queued == 4);  // applied in memory at once, as the gateway relies on
    g.release.set_value();
    REQUIRE(done.wait_for(1 + 3 + 1 + 1));
    CHECK(done.failed() == 5);
    CHECK(done.last_error() == store_errc::no_space);
    CHECK(batch_result == make_error_code(store_errc::no_space));
    CHECK(fault->injected() > 0);
    fault->report_full(true);  // and now it says so: no Resume() while nothing has room
    for (const auto id : refused) {
        CHECK_FALSE(live.get(id));  // the account was refused: as if it never came
    }
    CHECK(live.get(kept_id));
    CHECK(live.counts().outbox_entries == 0);
    CHECK_FALSE(st->find_optout("acme", "15550000009"));
    CHECK_FALSE(st->writable());

    // Still full: the next accept fails too (and does not hang); reads keep working.
    const auto again = st->next_id();
    (void)live.accept(make_accepted(again), nullptr, done.make());
    REQUIRE(done.wait_for(7));
    CHECK(done.failed() == 6);
    CHECK_FALSE(live.get(again));
    CHECK(st->get_message(kept_id)->has_value());

    fault->disarm();  // space is back
    const auto after = st->next_id();
    (void)live.accept(make_accepted(after), nullptr, done.make());
    REQUIRE(done.wait_for(8));
    CHECK(done.failed() == 6);
    CHECK(live.get(after));
    CHECK(st->writable());
    const auto s = st->stats();
    CHECK(s.write_errors >= 1);
    CHECK(s.resumes >= 1);
    // Memory kept effects the journal did not get: once writes work, a checkpoint follows.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (st->last_checkpoint().completed == 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    REQUIRE(st->last_checkpoint().completed >= 1);

    // What the disk holds now, as a crash would leave it (the store is idle: a copy of the
    // directory is that image). The checkpoint trimmed the journal, so its chunks must be on
    // disk, not in a memtable a crash loses (RocksDB once left them there after a resume).
    temp_dir crash_image;
    std::filesystem::copy(dir.path(), crash_image.path(),
                          std::filesystem::copy_options::recursive |
                              std::filesystem::copy_options::overwrite_existing);
    {
        auto image = store::open(test_options(crash_image.path()));
        CHECK(image->live().get(kept_id));
        CHECK(image->live().get(after));
    }

    st.reset();
    st = store::open(test_options(dir.path()));
    CHECK(st->live().get(kept_id));
    CHECK(st->live().get(after));
}

TEST_CASE("writes failing: told once per episode with the free space, and an empty commit resumes",
          "[commit][fault]") {
    temp_dir dir;
    auto fault = std::make_shared<write_fault>();
    auto o = test_options(dir.path());
    o.fault = fault;
    struct change {
        std::error_code ec;
        std::optional<std::uint64_t> free;
    };
    std::mutex mu;
    std::vector<change> changes;
    o.on_writes_changed = [&](std::error_code ec, std::optional<std::uint64_t> free) {
        std::lock_guard lk(mu);
        changes.push_back({ec, free});
    };
    auto recorded = [&] {
        std::lock_guard lk(mu);
        return changes;
    };
    auto st = store::open(o);
    auto& live = st->live();
    completions done;
    (void)live.accept(make_accepted(st->next_id()), nullptr, done.make());
    REQUIRE(done.wait_for(1));
    CHECK(recorded().empty());  // writes worked all along: nothing to tell

    fault->arm();
    for (int i = 0; i < 3; ++i) {
        (void)live.accept(make_accepted(st->next_id()), nullptr, done.make());
        REQUIRE(done.wait_for(2 + static_cast<std::size_t>(i)));
    }
    CHECK(done.failed() == 3);
    CHECK_FALSE(st->writable());
    // The file system said it was full: the low-space guard refused, RocksDB wrote nothing
    // (a WAL append that met ENOSPC could abort the process later, commit_queue.hpp).
    CHECK(fault->injected() == 0);
    // Three failures, one episode: told once, with why and the (injected) free space.
    REQUIRE(recorded().size() == 1);
    CHECK(recorded()[0].ec == store_errc::no_space);
    CHECK(recorded()[0].free == std::optional<std::uint64_t>(0));

    // Room again, and nothing to write: an empty commit is enough to resume (the daemon sends
    // one while it is not ready and gets no traffic).
    fault->disarm();
    std::promise<std::error_code> probed;
    st->commit(batch{}, [&](std::error_code ec) { probed.set_value(ec); });
    auto f = probed.get_future();
    REQUIRE(f.wait_for(std::chrono::seconds(20)) == std::future_status::ready);
    CHECK_FALSE(f.get());
    CHECK(st->writable());
    CHECK(st->stats().resumes >= 1);
    REQUIRE(recorded().size() == 2);
    CHECK_FALSE(recorded()[1].ec);
    CHECK(recorded()[1].free.value_or(0) > 0);

    // Writes that work after that tell nothing new.
    (void)live.accept(make_accepted(st->next_id()), nullptr, done.make());
    REQUIRE(done.wait_for(5));
    CHECK(done.failed() == 3);
    CHECK(recorded().size() == 2);
}

TEST_CASE("a fatal RocksDB error on a full disk: said why, at most every ten seconds, and a reopen clears it",
          "[commit][fault]") {
    temp_dir dir;
    auto fault = std::make_shared<write_fault>();
    auto o = test_options(dir.path());
    o.fault = fault;
    o.checkpoint_interval = std::chrono::hours(1);
    std::mutex mu;
    std::vector<std::pair<engine_log_level, std::string>> lines;
    o.engine_log_min = engine_log_level::warn;
    o.on_engine_log = [&](engine_log_level level, std::string_view line) {
        std::lock_guard lk(mu);
        lines.emplace_back(level, std::string(line));
    };
    auto resume_reports = [&] {
        std::lock_guard lk(mu);
        std::vector<std::string> out;
        for (const auto& [level, line] : lines) {
            if (line.find("DB::Resume() failed") != std::string::npos) {
                CHECK(level == engine_log_level::error);
                out.push_back(line);
            }
        }
        return out;
    };
    auto st = store::open(o);
    auto& live = st->live();
    completions done;
    const auto kept = st->next_id();
    (void)live.accept(make_accepted(kept), nullptr, done.make());
    REQUIRE(done.wait_for(1));  // the journal's memtable holds something a resume must flush
    CHECK_FALSE(st->needs_reopen());

    // Writes fail, yet the file system reports room (as when something else on the disk took
    // the room back between the check and the write): the committer resumes before each
    // group, and the flush inside DB::Resume() switches memtables, whose WAL flush fails.
    // RocksDB calls that fatal: it may have lost the WAL's buffer, and only a reopen clears it.
    fault->arm();
    fault->report_full(false);
    for (int i = 0; i < 4; ++i) {
        (void)live.accept(make_accepted(st->next_id()), nullptr, done.make());
        REQUIRE(done.wait_for(2 + static_cast<std::size_t>(i)));
    }
    CHECK(done.failed() == 4);
    CHECK_FALSE(st->writable());
    CHECK(st->needs_reopen());
    const auto reports = resume_reports();
    REQUIRE(reports.size() == 1);  // several failed resumes within seconds: said once
    CHECK(reports[0].find("bytes free") != std::string::npos);
    CHECK(reports[0].find("No space") != std::string::npos);  // RocksDB's own status text
    CHECK(reports[0].find("until the store is reopened") != std::string::npos);

    // Room again: the error stays, as RocksDB keeps it, and says nothing more for a while.
    fault->disarm();
    (void)live.accept(make_accepted(st->next_id()), nullptr, done.make());
    REQUIRE(done.wait_for(6));
    CHECK(done.failed() == 5);
    CHECK_FALSE(st->writable());
    CHECK(st->needs_reopen());
    CHECK(resume_reports().size() == 1);

    // A reopen clears it: what was acknowledged is there and writes work again.
    st.reset();
    o.fault = nullptr;
    st = store::open(o);
    CHECK_FALSE(st->needs_reopen());
    CHECK(st->live().get(kept));
    completions after;
    const auto next = st->next_id();
    (void)st->live().accept(make_accepted(next), nullptr, after.make());
    REQUIRE(after.wait_for(1));
    CHECK(after.failed() == 0);
    CHECK(st->writable());
    CHECK(st->live().get(next));
}

TEST_CASE("batches commit concurrently with exactly one callback each, in per-writer order",
          "[commit]") {
    temp_dir dir;
    auto st = store::open(test_options(dir.path()));
    constexpr std::size_t writers = 4;
    constexpr std::size_t per_writer = 1000;
    std::vector<std::atomic<int>> calls(writers * per_writer);
    std::vector<std::vector<std::size_t>> order(writers);  // the completion thread writes
    completions done;
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < writers; ++t) {
        threads.emplace_back([&, t] {
            for (std::size_t i = 0; i < per_writer; ++i) {
                batch b;
                b.put_optout({"acme", fmt::format("1555{:03}{:04}", t, i), test_start, "STOP",
                              pol::record_source::mo, ""});
                if (i % 3 == 0) {
                    // The opt-out rides along with a journal record; an empty batch behind it
                    // still gets its callback in order.
                    (void)st->live().accept(make_accepted(st->next_id()), &b, {});
                    b = batch{};
                }
                st->commit(std::move(b), [&, t, i](std::error_code ec) {
                    calls[t * per_writer + i].fetch_add(1);
                    order[t].push_back(i);
                    done.add(ec);
                });
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    REQUIRE(done.wait_for(writers * per_writer));
    CHECK(done.failed() == 0);
    for (const auto& c : calls) {
        REQUIRE(c.load() == 1);
    }
    for (std::size_t t = 0; t < writers; ++t) {
        REQUIRE(order[t].size() == per_writer);
        CHECK(std::is_sorted(order[t].begin(), order[t].end()));
        for (std::size_t i = 0; i < per_writer; ++i) {
            REQUIRE(st->find_optout("acme", fmt::format("1555{:03}{:04}", t, i)));
        }
    }
    const auto s = st->stats();
    CHECK(s.committed >= writers * per_writer);
    CHECK(s.groups <= s.committed);
    CHECK(s.queue_depth == 0);
}

TEST_CASE("refusals call back inline exactly once", "[commit]") {
    temp_dir dir;
    auto o = test_options(dir.path());
    o.max_queued_commits = 1;
    auto st = store::open(o);

    SECTION("queue full: plain batches are refused, journal records never are") {
        gate g;
        g.park(*st);
        std::promise<void> first;
        std::optional<std::error_code> second;
        st->commit(batch{}, [&](std::error_code) { first.set_value(); });  // fills the queue
        st->commit(batch{}, [&](std::error_code ec) { second = ec; });
        CHECK(second == make_error_code(store_errc::queue_full));
        completions done;
        (void)st->live().accept(make_accepted(st->next_id()), nullptr, done.make());
        CHECK(done.done() == 0);  // queued behind the gate, not refused
        g.release.set_value();
        first.get_future().wait();
        REQUIRE(done.wait_for(1));
        CHECK(done.failed() == 0);
        CHECK(st->stats().rejected == 1);
    }
    SECTION("closed") {
        st->close();
        int calls = 0;
        std::error_code got;
        st->commit(batch{}, [&](std::error_code ec) {
            ++calls;
            got = ec;
        });
        CHECK(calls == 1);
        CHECK(got == store_errc::closed);
        CHECK(st->commit_sync(batch{}) == store_errc::closed);
        completions done;
        (void)st->live().accept(make_accepted(st->next_id()), nullptr, done.make());
        CHECK(done.done() == 1);  // inline
        CHECK(done.last_error() == store_errc::closed);
        st->close();  // idempotent
    }
    SECTION("blocking calls from a callback") {
        std::promise<std::error_code> inner;
        std::promise<std::error_code> checkpoint;
        st->commit(batch{}, [&](std::error_code) {
            inner.set_value(st->commit_sync(batch{}));
            checkpoint.set_value(st->checkpoint_now());
        });
        CHECK(inner.get_future().get() == store_errc::would_deadlock);
        CHECK(checkpoint.get_future().get() == store_errc::would_deadlock);
    }
    SECTION("a throwing callback does not stop the committer") {
        std::promise<void> thrown;
        st->commit(batch{}, [&](std::error_code) {
            thrown.set_value();
            throw std::runtime_error("oops");
        });
        thrown.get_future().wait();
        CHECK_FALSE(st->commit_sync(batch{}));
    }
}
