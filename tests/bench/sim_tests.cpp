// Simulator building blocks: latency specs and the timing wheel.

#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "common/cli.hpp"
#include "sim/latency.hpp"
#include "sim/message_ids.hpp"
#include "sim/timer_wheel.hpp"

using namespace smppgw::bench;
using namespace smppgw::bench::sim;
using namespace std::chrono_literals;

TEST_CASE("latency specs parse and sample within their shape") {
    rng r(5);
    REQUIRE(latency_spec::parse("0", "x").is_zero());
    REQUIRE(latency_spec::parse("20ms", "x").sample(r) == 20ms);
    const auto u = latency_spec::parse("uniform:10ms:50ms", "x");
    const auto ln = latency_spec::parse("lognormal:20ms:200ms", "x");
    std::vector<std::int64_t> draws;
    for (int i = 0; i < 20000; ++i) {
        const auto d = u.sample(r);
        REQUIRE(d >= 10ms);
        REQUIRE(d <= 50ms);
        draws.push_back(ln.sample(r).count());
    }
    std::sort(draws.begin(), draws.end());
    REQUIRE(static_cast<double>(draws[10000]) == Approx(20e6).epsilon(0.05));
    REQUIRE(static_cast<double>(draws[19800]) == Approx(200e6).epsilon(0.15));
    REQUIRE(ln.describe() == "lognormal:20ms:200ms");
    REQUIRE_THROWS_AS(latency_spec::parse("uniform:50ms:10ms", "x"), usage_error);
    REQUIRE_THROWS_AS(latency_spec::parse("lognormal:20ms:10ms", "x"), usage_error);
    REQUIRE_THROWS_AS(latency_spec::parse("gamma:1ms:2ms", "x"), usage_error);
    REQUIRE_THROWS_AS(latency_spec::parse("uniform:1ms", "x"), usage_error);
}

TEST_CASE("timer wheel fires in due order, across revolutions, and lets callbacks schedule") {
    using clock = std::chrono::steady_clock;
    const auto t0 = clock::now();
    timer_wheel<int> w(t0, 1ms, 8);  // 8 slots: 8 ms per revolution
    w.schedule(t0 + 3ms, 3);
    w.schedule(t0 + 20ms, 20);  // two revolutions later, same slot as 4
    w.schedule(t0 + 4ms, 4);
    w.schedule(t0 + 1ms, 1);
    REQUIRE(w.size() == 4);
    std::vector<int> fired;
    w.expire(t0 + 4ms, [&](int v) {
        fired.push_back(v);
        if (v == 3) {
            w.schedule(t0 + 5ms, 5);  // scheduling from inside expire()
        }
    });
    REQUIRE(fired == std::vector<int>{1, 3, 4});
    w.expire(t0 + 19ms, [&](int v) { fired.push_back(v); });
    REQUIRE(fired == std::vector<int>{1, 3, 4, 5});
    w.expire(t0 + 20ms, [&](int v) { fired.push_back(v); });
    REQUIRE(fired == std::vector<int>{1, 3, 4, 5, 20});
    REQUIRE(w.empty());
    // Due in the past: fires on the next expiry.
    w.schedule(t0, 99);
    w.expire(t0 + 21ms, [&](int v) { fired.push_back(v); });
    REQUIRE(fired.back() == 99);
}

TEST_CASE("message ids never repeat across the simulator's threads") {
    for (auto style : {id_style::decimal, id_style::hex, id_style::uuid}) {
        message_id_source a(style, 1'700'000'000'000'000, 0, 3);
        message_id_source b(style, 1'700'000'000'000'000, 1, 3);
        message_id_source c(style, 1'700'000'000'000'000, 2, 3);
        std::set<std::string> seen;
        char buf[48];
        for (int i = 0; i < 10000; ++i) {
            for (auto* src : {&a, &b, &c}) {
                const auto n = src->next(buf);
                REQUIRE(n > 0);
                REQUIRE(n <= 36);
                REQUIRE(seen.emplace(buf, n).second);
            }
        }
    }
    char buf[48];
    message_id_source d(id_style::decimal, 42, 0, 1);
    REQUIRE(std::string(buf, d.next(buf)) == "42");
    message_id_source h(id_style::hex, 255, 0, 1);
    REQUIRE(std::string(buf, h.next(buf)) == "ff");
    message_id_source u(id_style::uuid, 1, 0, 1);
    const std::string uuid(buf, u.next(buf));
    REQUIRE(uuid.size() == 36);
    REQUIRE(uuid[14] == '4');  // version 4
    REQUIRE(uuid.substr(24) == "000000000001");
}
