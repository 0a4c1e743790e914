// The outbox hand-off over the live state and a fake cluster: an account's entries go to the
// cluster only while no receiver of it is bound here, and leave the outbox only once the cluster
// stored them; the node serves an account exactly while a receiver of it is bound; an entry
// from the cluster is journaled into the outbox and settled once durable, or refused when its
// receiver has left.

#include <catch2/catch.hpp>

#include "inbound/outbox_handoff.hpp"
#include "support.hpp"

namespace component_test {
namespace {

class fake_link final : public gateway::outbox_link {
public:
    struct handed {
        std::string account;
        store::outbox_kind kind;
        std::string bytes;
    };
    // One hand_off() call: a batch, settled as one.
    struct batch {
        std::uint64_t first_id;
        std::vector<handed> entries;
        std::function<void(bool)> done;
    };

    void on_arrival(cluster::node::outbox_arrival fn) override { arrive = std::move(fn); }
    bool hand_off(std::string_view account, std::span<const cluster::outbox_entry> entries,
                  std::uint64_t first_id, std::function<void(bool)> done) override {
        if (!taking) {
            return false;
        }
        batch b{first_id, {}, std::move(done)};
        for (const auto& e : entries) {
            b.entries.push_back({std::string(account), e.kind, std::string(e.bytes)});
        }
        batches.push_back(std::move(b));
        return true;
    }
    void serve(std::string_view account, bool on) override {
        serves.emplace_back(std::string(account), on);
    }
    [[nodiscard]] bool connected() const override { return up; }

    // Every entry handed off, in order, over all batches.
    [[nodiscard]] std::vector<handed> handed_off() const {
        std::vector<handed> all;
        for (const auto& b : batches) {
            all.insert(all.end(), b.entries.begin(), b.entries.end());
        }
        return all;
    }

    bool up = true;
    bool taking = true;
    cluster::node::outbox_arrival arrive;
    std::vector<batch> batches;
    std::vector<std::pair<std::string, bool>> serves;
};

class idle_receiver final : public gateway::receiver {
public:
    bool deliver(std::string_view, std::uint64_t) override { return false; }
    void kick() override {}
};

struct handoff_fixture : live_fixture {
    handoff_fixture() : live_fixture(eastern(10, 15)), handoff(live, relay, link) {
        relay.on_receivers_changed(
            [this](std::string_view account) { handoff.receivers_changed(account); });
        handoff.attach();
    }

    // `n` durable MOs for `account`, of `size` bytes each (at least their name's).
    void add_entries(const std::string& account, int n, std::size_t size = 0) {
        for (int i = 0; i < n; ++i) {
            store::mo_record r;
            r.account = account;
            r.kind = store::outbox_kind::mo;
            r.when = clock->now();
            r.bytes = account + "-mo-" + std::to_string(next_++);
            r.bytes.resize(std::max(size, r.bytes.size()), '.');
            live.mo(std::move(r), {}, nullptr, nullptr, {});
        }
        journal.complete();
    }

    fake_link link;
    gateway::outbox_relay relay;
    gateway::outbox_handoff handoff;

private:
    int next_ = 1;
};

}  // namespace

TEST_CASE("an account bound nowhere here: its entries go to the cluster in one batch and leave "
          "the outbox only once it stored them",
          "[outbox_handoff]") {
    handoff_fixture f;
    f.add_entries("acct1", 3);

    f.handoff.sweep();
    REQUIRE(f.link.batches.size() == 1);
    const auto first = f.link.handed_off();
    REQUIRE(first.size() == 3);
    CHECK(first[0].bytes == "acct1-mo-1");
    CHECK(first[2].bytes == "acct1-mo-3");
    CHECK(first[0].kind == store::outbox_kind::mo);
    CHECK(f.outbox("acct1").in_flight == 3);
    f.handoff.sweep();
    CHECK(f.link.batches.size() == 1);  // in flight: not handed twice

    f.link.batches[0].done(true);
    CHECK(f.outbox("acct1").in_flight == 0);
    CHECK(f.outbox("acct1").ready == 0);
    CHECK(f.count(record_kind::delivered_upstream) == 3);

    // Not stored: deliverable here again, and handed again at the next sweep as the same
    // batch (the same first id, so the stream can tell a retry from a new batch).
    f.add_entries("acct1", 2);
    f.handoff.sweep();
    REQUIRE(f.link.batches.size() == 2);
    f.link.batches[1].done(false);
    CHECK(f.outbox("acct1").ready == 2);
    CHECK(f.outbox("acct1").in_flight == 0);
    f.handoff.sweep();
    REQUIRE(f.link.batches.size() == 3);
    CHECK(f.link.batches[2].first_id == f.link.batches[1].first_id);
    REQUIRE(f.link.batches[2].entries.size() == 2);
    CHECK(f.link.batches[2].entries[0].bytes == "acct1-mo-4");
    f.link.batches[2].done(true);
    CHECK(f.outbox("acct1").ready + f.outbox("acct1").in_flight == 0);
    CHECK(f.count(record_kind::delivered_upstream) == 5);
}

TEST_CASE("a batch holds at most max_entries entries and max_bytes, and a larger entry goes "
          "alone",
          "[outbox_handoff]") {
    using limits = cluster::outbox_batch_limits;
    handoff_fixture f;
    f.add_entries("acct1", static_cast<int>(limits::max_entries) + 1);
    f.handoff.sweep();
    REQUIRE(f.link.batches.size() == 2);
    CHECK(f.link.batches[0].entries.size() == limits::max_entries);
    CHECK(f.link.batches[1].entries.size() == 1);
    CHECK(f.link.batches[1].first_id > f.link.batches[0].first_id);
    for (auto& b : f.link.batches) {
        b.done(true);
    }

    // Entries of a third of max_bytes: two fit in a batch, a third does not.
    f.link.batches.clear();
    f.add_entries("acct2", 5, limits::max_bytes / 3);
    f.add_entries("acct2", 1, limits::max_bytes + 1);
    f.handoff.sweep();
    std::vector<std::size_t> sizes;
    for (const auto& b : f.link.batches) {
        sizes.push_back(b.entries.size());
    }
    CHECK(sizes == std::vector<std::size_t>{2, 2, 1, 1});
    CHECK(f.link.batches.back().entries[0].bytes.size() == limits::max_bytes + 1);
    CHECK(f.outbox("acct2").in_flight == 6);
}

TEST_CASE("nothing is handed off while a receiver of the account is bound here, or while the "
          "cluster is away",
          "[outbox_handoff]") {
    handoff_fixture f;
    auto receiver = std::make_shared<idle_receiver>();
    f.relay.add("acct1", receiver);
    f.add_entries("acct1", 2);
    f.add_entries("acct2", 1);

    f.link.up = false;
    f.handoff.sweep();
    CHECK(f.link.batches.empty());

    f.link.up = true;
    f.handoff.sweep();
    REQUIRE(f.link.handed_off().size() == 1);  // acct2's only: acct1 has its receiver here
    CHECK(f.link.handed_off()[0].account == "acct2");

    // NATS cannot take it at all: it stays deliverable here.
    f.link.taking = false;
    f.relay.remove("acct1", receiver.get());
    f.handoff.sweep();
    CHECK(f.link.handed_off().size() == 1);
    CHECK(f.outbox("acct1").ready == 2);
    CHECK(f.outbox("acct1").in_flight == 0);
}

TEST_CASE("new entries of an account with no receiver here go to the cluster as soon as they "
          "are durable, not at the next sweep",
          "[outbox_handoff]") {
    handoff_fixture f;
    auto t = std::chrono::steady_clock::now();
    f.add_entries("acct1", 2);
    f.handoff.ready("acct1", f.relay.ready("acct1"), t);
    CHECK(f.link.handed_off().size() == 2);

    // Within burst_interval of the last burst they wait for the next one.
    f.add_entries("acct1", 1);
    f.handoff.ready("acct1", f.relay.ready("acct1"), t + std::chrono::milliseconds(5));
    CHECK(f.link.handed_off().size() == 2);
    t += gateway::outbox_handoff::burst_interval;
    f.handoff.ready("acct1", f.relay.ready("acct1"), t);
    CHECK(f.link.handed_off().size() == 3);

    // With a receiver here, the relay delivers them; the hand-off leaves them alone.
    auto receiver = std::make_shared<idle_receiver>();
    f.relay.add("acct1", receiver);
    f.add_entries("acct1", 1);
    t += gateway::outbox_handoff::burst_interval;
    f.handoff.ready("acct1", f.relay.ready("acct1"), t);
    CHECK(f.link.handed_off().size() == 3);
    // NATS away: nothing is tried.
    f.relay.remove("acct1", receiver.get());
    f.link.up = false;
    t += gateway::outbox_handoff::burst_interval;
    f.handoff.ready("acct1", f.relay.ready("acct1"), t);
    CHECK(f.link.handed_off().size() == 3);
    CHECK(f.outbox("acct1").ready == 1);
}

TEST_CASE("at most max_in_flight entries per account wait for the cluster at a time",
          "[outbox_handoff]") {
    handoff_fixture f;
    const int n = static_cast<int>(gateway::outbox_handoff::max_in_flight) + 10;
    f.add_entries("acct1", n);

    f.handoff.sweep();
    CHECK(f.link.handed_off().size() == gateway::outbox_handoff::max_in_flight);
    for (auto& b : f.link.batches) {
        b.done(true);
    }
    f.handoff.sweep();
    CHECK(f.link.handed_off().size() == static_cast<std::size_t>(n));
}

TEST_CASE("the node serves an account's stream exactly while a receiver of it is bound here",
          "[outbox_handoff]") {
    handoff_fixture f;
    auto first = std::make_shared<idle_receiver>();
    auto second = std::make_shared<idle_receiver>();

    f.relay.add("acct1", first);
    f.relay.add("acct1", second);
    f.relay.remove("acct1", first.get());
    CHECK(f.link.serves == std::vector<std::pair<std::string, bool>>{{"acct1", true}});
    f.relay.remove("acct1", second.get());
    CHECK(f.link.serves ==
          std::vector<std::pair<std::string, bool>>{{"acct1", true}, {"acct1", false}});
}

TEST_CASE("a batch from the cluster is journaled into the outbox in one group and settled once "
          "durable; without a receiver here, or when the journal fails, it is refused whole",
          "[outbox_handoff]") {
    handoff_fixture f;
    REQUIRE(f.link.arrive);
    std::vector<bool> settled;
    const auto settle = [&](bool taken) { settled.push_back(taken); };
    const std::vector<cluster::outbox_entry> two{{store::outbox_kind::dlr, "dlr-1"},
                                                 {store::outbox_kind::mo, "mo-1"}};

    // Nobody of acct1 bound here (its receiver just left): refused at once, nothing written.
    f.link.arrive("acct1", two, settle);
    CHECK(settled == std::vector<bool>{false});
    CHECK(f.journal.records().empty());

    auto receiver = std::make_shared<idle_receiver>();
    f.relay.add("acct1", receiver);
    f.link.arrive("acct1", two, settle);
    CHECK(settled.size() == 1);  // not before it is durable
    CHECK(f.outbox("acct1").pending == 2);
    CHECK(f.journal.pending() == 1);  // one group for the whole batch
    f.journal.complete();
    CHECK(settled == std::vector<bool>{false, true});
    CHECK(f.outbox("acct1").ready == 2);
    CHECK(f.count(record_kind::mo) == 2);

    // The journal refuses it: the cluster offers the batch again, and none of it stays here.
    const std::vector<cluster::outbox_entry> one{{store::outbox_kind::mo, "mo-2"}};
    f.link.arrive("acct1", one, settle);
    f.journal.complete(std::make_error_code(std::errc::no_space_on_device));
    CHECK(settled == std::vector<bool>{false, true, false});
    CHECK(f.outbox("acct1").ready == 2);
}

}  // namespace component_test
