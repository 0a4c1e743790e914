// Group commit: concurrency, callback accounting and order, sync modes, write errors and
// recovery from them, refusal paths. No timing assertions: waits are on callbacks.

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "smppgw/store/batch.hpp"
#include "smppgw/store/store.hpp"
#include "smppgw/store/testing.hpp"
#include "test_util.hpp"

using namespace smppgw::store;
using namespace smppgw::store::test;
namespace pol = smppgw::policy;

namespace {

// Counts callbacks and lets the test wait for a number of them.
class waiter {
public:
    void done() {
        std::lock_guard lk(mu_);
        ++count_;
        cv_.notify_all();
    }
    void wait_for(std::size_t n) {
        std::unique_lock lk(mu_);
        cv_.wait(lk, [&] { return count_ >= n; });
    }

private:
    std::mutex mu_;
    std::condition_variable cv_;
    std::size_t count_ = 0;
};

// Stops the committer's pipeline until released, so later commits queue up deterministically:
// parks the completion thread inside a callback, then lets the writer take (empty) groups
// until every in-flight slot is taken; from then on nothing leaves the queue.
struct gate {
    std::promise<void> entered;
    std::promise<void> release;
    void park(store& st) {
        auto released = release.get_future().share();
        st.commit(batch{}, [this, released](std::error_code) {
            entered.set_value();
            released.wait();
        });
        entered.get_future().wait();
        for (std::size_t i = 1; i < st.options().commit_pipeline_depth; ++i) {
            st.commit(batch{}, [](std::error_code) {});
            while (st.stats().queue_depth != 0) {
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
            }
        }
    }
};

}  // namespace

TEST_CASE("concurrent writers: every callback exactly once, in per-writer order", "[commit]") {
    temp_dir dir;
    auto st = store::open(test_options(dir.path()));
    constexpr std::size_t writers = 4;
    constexpr std::size_t per_writer = 1500;
    std::vector<std::atomic<int>> calls(writers * per_writer);
    std::vector<std::vector<std::size_t>> order(writers);  // written by the committer only
    std::atomic<int> errors{0};
    waiter w;
    std::vector<std::vector<message_id>> ids(writers);
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < writers; ++t) {
        threads.emplace_back([&, t] {
            for (std::size_t i = 0; i < per_writer; ++i) {
                const auto id = st->next_id();
                ids[t].push_back(id);
                batch b;
                b.put_message(sample_message(id));
                b.append_outbox("acct-" + std::to_string(t), outbox_kind::dlr, "x", test_start);
                st->commit(std::move(b), [&, t, i](std::error_code ec) {
                    calls[t * per_writer + i].fetch_add(1);
                    order[t].push_back(i);
                    if (ec) {
                        errors.fetch_add(1);
                    }
                    w.done();
                });
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    w.wait_for(writers * per_writer);
    CHECK(errors.load() == 0);
    for (const auto& c : calls) {
        REQUIRE(c.load() == 1);
    }
    for (std::size_t t = 0; t < writers; ++t) {
        REQUIRE(order[t].size() == per_writer);
        CHECK(std::is_sorted(order[t].begin(), order[t].end()));
        // Outbox sequences follow the writer's commit order too.
        auto entries = st->read_outbox("acct-" + std::to_string(t), 0, per_writer + 1);
        REQUIRE(entries->size() == per_writer);
        CHECK(entries->back().seq == per_writer);
    }
    for (const auto& v : ids) {
        for (const auto id : v) {
            REQUIRE(st->get_message(id)->has_value());
        }
    }
    const auto s = st->stats();
    CHECK(s.commits == writers * per_writer);
    CHECK(s.committed == writers * per_writer);
    CHECK(s.failed == 0);
    CHECK(s.groups >= 1);
    CHECK(s.groups <= writers * per_writer);
    CHECK(s.group_size.count == s.groups);
    CHECK(s.commit_latency_us.count == writers * per_writer);
    CHECK(s.queue_depth == 0);
}

TEST_CASE("queued batches merge into one group and complete in submission order", "[commit]") {
    temp_dir dir;
    auto st = store::open(test_options(dir.path()));
    gate g;
    g.park(*st);
    std::vector<int> order;
    waiter w;
    for (int i = 0; i < 50; ++i) {
        batch b;
        b.put_deferred(test_start, static_cast<message_id>(i));
        st->commit(std::move(b), [&, i](std::error_code ec) {
            CHECK_FALSE(ec);
            order.push_back(i);
            w.done();
        });
    }
    CHECK(st->stats().queue_depth == 50);
    const auto groups_before = st->stats().groups;
    g.release.set_value();
    w.wait_for(50);
    CHECK(order.size() == 50);
    CHECK(std::is_sorted(order.begin(), order.end()));
    CHECK(st->stats().groups == groups_before + 1);  // one write for all fifty
    CHECK(st->due_deferred(test_start, 100)->size() == 50);
}

TEST_CASE("sync modes: always syncs every batch, batch one per group, none never", "[commit]") {
    temp_dir dir;
    const auto mode = GENERATE(sync_mode::always, sync_mode::batch, sync_mode::none);
    CAPTURE(to_string(mode));
    auto o = test_options(dir.path());
    o.sync = mode;
    constexpr std::size_t n = 200;
    std::vector<message_id> ids;
    {
        auto st = store::open(o);
        waiter w;
        for (std::size_t i = 0; i < n; ++i) {
            ids.push_back(st->next_id());
            batch b;
            b.put_message(sample_message(ids.back()));
            st->commit(std::move(b), [&](std::error_code ec) {
                CHECK_FALSE(ec);
                w.done();
            });
        }
        w.wait_for(n);
        const auto s = st->stats();
        CHECK(s.committed == n);
        switch (mode) {
            case sync_mode::always:
                CHECK(s.groups == n);
                CHECK(s.syncs == n);
                break;
            case sync_mode::batch:
                // One sync per group at most; one sync may cover several pipelined groups.
                CHECK(s.syncs >= 1);
                CHECK(s.syncs <= s.groups);
                CHECK(s.groups >= 1);
                CHECK(s.groups <= n);
                break;
            case sync_mode::none:
                CHECK(s.syncs == 0);
                break;
        }
    }
    auto st = store::open(o);
    for (const auto id : ids) {
        REQUIRE(st->get_message(id)->has_value());
    }
}

TEST_CASE("a failed write fails its whole group and the store recovers when the cause clears",
          "[commit][fault]") {
    temp_dir dir;
    auto fault = std::make_shared<write_fault>();
    auto o = test_options(dir.path());
    o.fault = fault;
    auto st = store::open(o);
    {
        batch b;
        b.put_optout({"acme", "15550000001", test_start, "STOP", pol::record_source::mo, ""});
        REQUIRE_FALSE(st->commit_sync(std::move(b)));
    }

    gate g;
    g.park(*st);
    fault->arm();  // the disk is full from now on
    std::vector<std::error_code> results(3);
    waiter w;
    for (std::size_t i = 0; i < results.size(); ++i) {
        batch b;
        b.put_optout({"acme", "1555000001" + std::to_string(i + 2), test_start, "STOP",
                      pol::record_source::mo, ""});
        b.append_outbox("acct", outbox_kind::mo, "mo", test_start);
        st->commit(std::move(b), [&, i](std::error_code ec) {
            results[i] = ec;
            w.done();
        });
    }
    g.release.set_value();
    w.wait_for(results.size());
    for (const auto& ec : results) {
        CHECK(ec == store_errc::no_space);
        CHECK(ec == std::errc::no_space_on_device);
    }
    CHECK(fault->injected() > 0);
    CHECK(st->outbox("acct").depth == 0);  // nothing counted for a failed write

    batch again;  // still full: fails, does not hang
    again.put_deferred(test_start, 1);
    CHECK(st->commit_sync(std::move(again)));
    // Reads keep working while writes fail.
    CHECK(st->find_optout("acme", "15550000001"));

    fault->disarm();  // space is back
    {
        batch b;
        b.put_optout({"acme", "15550000099", test_start, "STOP", pol::record_source::mo, ""});
        b.append_outbox("acct", outbox_kind::mo, "mo", test_start);
        REQUIRE_FALSE(st->commit_sync(std::move(b)));
    }
    CHECK(st->find_optout("acme", "15550000099"));
    CHECK(st->outbox("acct").depth == 1);
    const auto s = st->stats();
    CHECK(s.write_errors >= 1);
    CHECK(s.resumes >= 1);
    CHECK(s.failed >= 4);

    st.reset();
    st = store::open(test_options(dir.path()));
    CHECK(st->find_optout("acme", "15550000001"));
    CHECK(st->find_optout("acme", "15550000099"));
    const auto entries = st->read_outbox("acct", 0, 10);
    REQUIRE(entries);
    REQUIRE_FALSE(entries->empty());
    // Sequences stay increasing even though failed appends consumed some.
    CHECK(st->outbox("acct").next_seq > entries->back().seq);
}

TEST_CASE("refusals call back inline exactly once", "[commit]") {
    temp_dir dir;
    auto o = test_options(dir.path());
    o.max_queued_commits = 1;
    auto st = store::open(o);

    SECTION("queue full") {
        gate g;
        g.park(*st);
        std::promise<void> first;
        std::error_code second;
        st->commit(batch{}, [&](std::error_code) { first.set_value(); });  // fills the queue
        st->commit(batch{}, [&](std::error_code ec) { second = ec; });
        CHECK(second == store_errc::queue_full);
        g.release.set_value();
        first.get_future().wait();
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
        st->close();  // idempotent
    }
    SECTION("blocking commit from a callback") {
        std::promise<std::error_code> inner;
        st->commit(batch{}, [&](std::error_code) { inner.set_value(st->commit_sync(batch{})); });
        CHECK(inner.get_future().get() == store_errc::would_deadlock);
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
