// Reload under traffic: a route moves from carrier A to carrier B while an ESME keeps submitting.
// Every accepted message reaches A or B (checked on the simulators' own records), messages sent
// after the new config is in force go to B only, and no bind is dropped: not the ESME's, not the
// carriers'. An invalid config is refused and the old routes keep working.

#include <catch2/catch.hpp>

#include <atomic>
#include <csignal>
#include <cstdint>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "support/gateway_env.hpp"

namespace {

using namespace smppgw::test;

const std::string route_to_a = "[[routes]]\nprefix = \"1\"\ncarriers = [\"a\"]\n";
const std::string route_to_b = "[[routes]]\nprefix = \"1\"\ncarriers = [\"b\"]\n";

struct traffic_result {
    std::size_t accepted = 0;
    std::vector<std::string> failures;
};

// Submits `total` messages with a window of 8 and unique texts; marks the index from which every
// message was sent after `switch_seen` became true.
void run_traffic(gateway_env& env, std::size_t total, std::atomic<std::size_t>& sent,
                 std::atomic<bool>& switch_seen, std::atomic<std::size_t>& first_after_switch,
                 traffic_result& out) {
    try {
        auto e = env.connect();
        std::size_t outstanding = 0;
        for (std::size_t i = 0; i < total; ++i) {
            if (i == total / 2) {
                // The reload happens while the first half is in flight; the second half waits
                // for it so some traffic surely runs under the new config on any machine.
                wait_until([&] { return switch_seen.load(); }, 30s, "the reload");
            }
            if (switch_seen.load() && first_after_switch.load() == SIZE_MAX) {
                first_after_switch = i;
            }
            (void)e->send_submit(fmt::format("1212556{:04}", i % 10000),
                                 fmt::format("reload-token-{:06}", i));
            sent = i + 1;
            if (++outstanding >= 8) {
                const auto [seq, r] = e->next_response();
                --outstanding;
                if (r.status == 0) {
                    ++out.accepted;
                } else {
                    out.failures.push_back(fmt::format("seq {} status {:#x}", seq, r.status));
                }
            }
        }
        while (outstanding > 0) {
            const auto [seq, r] = e->next_response();
            --outstanding;
            if (r.status == 0) {
                ++out.accepted;
            } else {
                out.failures.push_back(fmt::format("seq {} status {:#x}", seq, r.status));
            }
        }
        // The bind survived the reload: a clean unbind on the same connection.
        e->unbind();
    } catch (const std::exception& ex) {
        out.failures.push_back(std::string("traffic: ") + ex.what());
    }
}

std::size_t index_of(const std::string& text) {
    return std::stoul(text.substr(std::string("reload-token-").size()));
}

}  // namespace

TEST_CASE("reload moves a route under traffic without losing a message", "[daemon][reload]") {
    gateway_options o;
    o.carriers = {"a", "b"};
    o.routes = route_to_a;
    gateway_env env(o);
    const auto reconnects_before = metric_sum(env.scrape(), "smppgw_carrier_reconnects_total");

    constexpr std::size_t total = 1500;
    std::atomic<std::size_t> sent{0};
    std::atomic<bool> switch_seen{false};
    std::atomic<std::size_t> first_after_switch{SIZE_MAX};
    traffic_result result;
    std::thread traffic(
        [&] { run_traffic(env, total, sent, switch_seen, first_after_switch, result); });
    // Joined on every exit path, also when a REQUIRE below throws.
    struct joiner {
        std::thread& t;
        ~joiner() {
            if (t.joinable()) {
                t.join();
            }
        }
    } join_traffic{traffic};

    wait_until([&] { return sent.load() >= total / 4; }, 60s, "a quarter of the traffic");
    env.rewrite_routes(route_to_b);
    env.gateway->signal(SIGHUP);
    wait_until(
        [&] {
            return env.open_client().get("/readyz").json().at("config_generation").as_int64() == 2;
        },
        20s, "config generation 2 after SIGHUP");
    switch_seen = true;
    traffic.join();

    INFO("failures: " << (result.failures.empty() ? std::string("none") : result.failures[0]));
    REQUIRE(result.failures.empty());
    REQUIRE(result.accepted == total);
    REQUIRE(first_after_switch.load() < total);  // some traffic ran after the switch

    // Every accepted message reached A or B (the simulators flush their records each second).
    std::set<std::size_t> at_a;
    std::set<std::size_t> at_b;
    wait_until(
        [&] {
            at_a.clear();
            at_b.clear();
            for (const auto& t : recorded_texts(env.sims.at("a").record)) {
                at_a.insert(index_of(t));
            }
            for (const auto& t : recorded_texts(env.sims.at("b").record)) {
                at_b.insert(index_of(t));
            }
            std::set<std::size_t> both = at_a;
            both.insert(at_b.begin(), at_b.end());
            return both.size() == total;
        },
        30s, "every accepted message in carrier A's or B's record");
    CHECK_FALSE(at_a.empty());
    CHECK_FALSE(at_b.empty());
    // Sent after the new config was in force: routed by it, so B only.
    std::size_t late_at_a = 0;
    for (const auto i : at_a) {
        late_at_a += i >= first_after_switch.load() ? 1 : 0;
    }
    CHECK(late_at_a == 0);

    const auto m = env.scrape();
    CHECK(metric_sum(m, "smppgw_config_reloads_total", {{"result", "ok"}}) == 1);
    CHECK(metric_sum(m, "smppgw_carrier_reconnects_total") == reconnects_before);
    CHECK(metric_sum(m, "smppgw_carrier_binds", {{"carrier", "a"}}) == 1);
    CHECK(metric_sum(m, "smppgw_carrier_binds", {{"carrier", "b"}}) == 1);
    CHECK(metric_sum(m, "smppgw_messages_total", {{"outcome", "accepted"}}) ==
          static_cast<double>(total));
}

TEST_CASE("SIGHUP with an invalid config keeps the running one", "[daemon][reload]") {
    gateway_options o;
    o.carriers = {"a", "b"};
    o.routes = route_to_a;
    gateway_env env(o);
    auto e = env.connect();
    REQUIRE(e->submit("12125557000", "reload-token-000000").status == 0);

    // Routes to a carrier that does not exist: refused as a whole.
    write_file(env.config_path,
               env.config_text("[[routes]]\nprefix = \"1\"\ncarriers = [\"c\"]\n"));
    env.gateway->signal(SIGHUP);
    wait_until(
        [&] {
            return metric_sum(env.scrape(), "smppgw_config_reloads_total",
                              {{"result", "failed"}}) == 1;
        },
        20s, "the failed reload to be counted");
    CHECK(env.open_client().get("/readyz").json().at("config_generation").as_int64() == 1);
    CHECK(env.gateway->running());

    // The same bind goes on; the old route still sends to A.
    REQUIRE(e->submit("12125557001", "reload-token-000001").status == 0);
    wait_until([&] { return recorded_texts(env.sims.at("a").record).size() == 2; }, 20s,
               "both messages at carrier A");
    CHECK(recorded_texts(env.sims.at("b").record).empty());
}
