// The router: the longest matching prefix, then the first carrier of the route that is up;
// queues move when carriers go down or come up; a message without a route ends failed.

#include <catch2/catch.hpp>

#include <deque>
#include <map>

#include "mt/router.hpp"
#include "smppgw/smpp/receipt.hpp"
#include "support.hpp"

namespace component_test {
namespace {

// A carrier as the router sees it: a queue and an up/down switch.
class fake_target final : public gateway::route_target {
public:
    explicit fake_target(std::string name, bool is_up) : name_(std::move(name)), up_(is_up) {}

    [[nodiscard]] const std::string& name() const noexcept override { return name_; }
    [[nodiscard]] bool up() const noexcept override { return up_; }
    void enqueue(gateway::dispatch d, bool front) override {
        if (front) {
            queue_.push_front(std::move(d));
        } else {
            queue_.push_back(std::move(d));
        }
    }
    [[nodiscard]] std::vector<gateway::dispatch> drain() override {
        std::vector<gateway::dispatch> out(std::make_move_iterator(queue_.begin()),
                                           std::make_move_iterator(queue_.end()));
        queue_.clear();
        return out;
    }
    [[nodiscard]] std::size_t queued() const override { return queue_.size(); }

    void set_up(bool is_up) { up_ = is_up; }
    // Message ids in queue order.
    [[nodiscard]] std::vector<store::message_id> ids() const {
        std::vector<store::message_id> out;
        for (const auto& d : queue_) {
            out.push_back(d.message->rec.id);
        }
        return out;
    }

private:
    std::string name_;
    bool up_;
    std::deque<gateway::dispatch> queue_;
};

class fake_directory final : public gateway::route_directory {
public:
    std::shared_ptr<fake_target> add(const std::string& name, bool is_up) {
        auto t = std::make_shared<fake_target>(name, is_up);
        targets_[name] = t;
        return t;
    }
    [[nodiscard]] std::shared_ptr<gateway::route_target> find_target(
        std::string_view name) const override {
        const auto it = targets_.find(std::string(name));
        return it == targets_.end() ? nullptr : it->second;
    }
    [[nodiscard]] std::vector<std::shared_ptr<gateway::route_target>> all_targets() const override {
        std::vector<std::shared_ptr<gateway::route_target>> out;
        for (const auto& [name, t] : targets_) {
            out.push_back(t);
        }
        return out;
    }

private:
    std::map<std::string, std::shared_ptr<fake_target>> targets_;
};

// Routes: "1" (NANP) to A then B, "1305" (Miami) to M then B, "44" to a carrier nobody
// configured, then U. Nothing for other numbers.
struct router_fixture : live_fixture {
    router_fixture() : live_fixture(eastern(10, 14)), routes(carriers, live, stats) {
        a = carriers.add("A", true);
        b = carriers.add("B", true);
        m = carriers.add("M", true);
        u = carriers.add("U", true);
        routes.configure({{"1", {"A", "B"}}, {"1305", {"M", "B"}}, {"44", {"ghost", "U"}}});
    }

    store::message_ptr message(store::message_id id, std::string_view msisdn,
                               std::uint8_t registered_delivery = 0x01) {
        return accept_durable(plain_record(id, msisdn, registered_delivery));
    }

    fake_directory carriers;
    gateway::metrics stats;
    gateway::router routes;
    std::shared_ptr<fake_target> a, b, m, u;
};

}  // namespace

TEST_CASE("the longest matching prefix decides the route", "[router]") {
    router_fixture f;
    f.routes.route(f.message(1, new_york));
    f.routes.route(f.message(2, florida));    // 1305...
    f.routes.route(f.message(3, florida_2));  // 1786...: only "1" matches

    CHECK(f.a->ids() == std::vector<store::message_id>{1, 3});
    CHECK(f.m->ids() == std::vector<store::message_id>{2});
    CHECK(f.b->queued() == 0);
}

TEST_CASE("the first carrier of the route that is up gets the message", "[router]") {
    router_fixture f;
    f.a->set_up(false);
    f.routes.route(f.message(1, new_york));
    CHECK(f.b->ids() == std::vector<store::message_id>{1});
    CHECK(f.a->queued() == 0);
    // A carrier the directory does not know is skipped.
    f.routes.route(f.message(2, "447700900123"));
    CHECK(f.u->ids() == std::vector<store::message_id>{2});
}

TEST_CASE("while every carrier of the route is down, messages wait at the primary", "[router]") {
    router_fixture f;
    f.a->set_up(false);
    f.b->set_up(false);
    f.routes.route(f.message(1, new_york));
    CHECK(f.a->ids() == std::vector<store::message_id>{1});
    CHECK(f.b->queued() == 0);
    CHECK(f.routes.pick(new_york) == f.a);
}

TEST_CASE("a carrier that goes down hands its queue to the next one that is up", "[router]") {
    router_fixture f;
    f.routes.route(f.message(1, new_york));
    f.routes.route(f.message(2, florida_2));
    f.routes.route(f.message(3, florida));
    REQUIRE(f.a->queued() == 2);

    f.a->set_up(false);
    f.routes.carrier_state_changed(*f.a, false);

    CHECK(f.a->queued() == 0);
    CHECK(f.b->ids() == std::vector<store::message_id>{1, 2});
    CHECK(f.m->ids() == std::vector<store::message_id>{3});  // not A's: untouched
}

TEST_CASE("a carrier going down with nowhere to go keeps its queue", "[router]") {
    router_fixture f;
    f.b->set_up(false);
    f.routes.route(f.message(1, new_york));
    f.a->set_up(false);
    f.routes.carrier_state_changed(*f.a, false);
    CHECK(f.a->ids() == std::vector<store::message_id>{1});
    CHECK(f.b->queued() == 0);
}

TEST_CASE("a carrier coming up takes what waited for carriers that are down", "[router]") {
    router_fixture f;
    f.a->set_up(false);
    f.b->set_up(false);
    f.m->set_up(false);
    f.routes.route(f.message(1, new_york));
    f.routes.route(f.message(2, florida));
    REQUIRE(f.a->queued() == 1);
    REQUIRE(f.m->queued() == 1);

    // B (second choice of both routes) binds.
    f.b->set_up(true);
    f.routes.carrier_state_changed(*f.b, true);

    CHECK(f.b->ids().size() == 2);
    CHECK(f.a->queued() == 0);
    CHECK(f.m->queued() == 0);

    // Then the primary of "1" comes back: B is up, so what B holds stays there.
    f.a->set_up(true);
    f.routes.carrier_state_changed(*f.a, true);
    CHECK(f.b->queued() == 2);
    CHECK(f.a->queued() == 0);
}

TEST_CASE("a message without a route ends failed, with the receipt it asked for", "[router]") {
    SECTION("registered_delivery 1") {
        router_fixture f;
        const auto msg = f.message(9, "33612345678");

        f.routes.route(msg);

        for (const auto& t : {f.a, f.b, f.m, f.u}) {
            CHECK(t->queued() == 0);
        }
        const auto ended = f.records<store::ended_record>(record_kind::failed);
        REQUIRE(ended.size() == 1);
        CHECK(ended[0].id == 9);
        CHECK(ended[0].state == store::message_state::failed);
        CHECK(ended[0].account == "acct1");
        CHECK(msg->phase == store::message_phase::finished);
        CHECK(f.outbox("acct1").pending == 1);
        f.journal.complete();
        CHECK(f.outbox("acct1").ready == 1);
        const auto dlr = read_upstream_receipt(ended[0].dlr);
        REQUIRE(dlr);
        CHECK(dlr->receipted_message_id == "9");
        CHECK(dlr->message_state == static_cast<std::uint8_t>(smpp::message_state::undeliverable));
        CHECK(value_of(f.stats, "smppgw_messages_total",
                       {{"account", "acct1"}, {"outcome", "unroutable"}}) == 1);
    }
    SECTION("registered_delivery 0: ended, no receipt") {
        router_fixture f;
        const auto msg = f.message(9, "33612345678", 0x00);
        f.routes.route(msg);
        CHECK(msg->phase == store::message_phase::finished);
        f.journal.complete();
        CHECK(f.outbox("acct1").ready + f.outbox("acct1").pending == 0);
    }
}

TEST_CASE("a new route table applies to the next message", "[router]") {
    router_fixture f;
    f.routes.configure({{"", {"U"}}});
    f.routes.route(f.message(1, new_york));
    f.routes.route(f.message(2, "33612345678"));
    CHECK(f.u->ids() == std::vector<store::message_id>{1, 2});
}

}  // namespace component_test
