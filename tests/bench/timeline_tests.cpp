// Per-second samples merged over workers.

#include <catch2/catch.hpp>

#include "loadgen/timeline.hpp"

using namespace smppgw::bench::loadgen;

namespace {
second_bucket bucket(std::int64_t s, std::uint64_t submits, std::uint64_t latency_ns) {
    second_bucket b;
    b.clear(s);
    b.submits = submits;
    b.responses = submits;
    for (std::uint64_t i = 0; i < submits; ++i) {
        b.response_latency.record(latency_ns);
    }
    return b;
}
}  // namespace

TEST_CASE("timeline finalises a second once every worker has moved past it") {
    timeline t(2);
    t.contribute(0, bucket(0, 10, 1'000'000));
    REQUIRE(t.samples().empty());  // worker 1 has not reported second 0 yet
    t.contribute(1, bucket(0, 5, 3'000'000));
    auto s = t.samples();
    REQUIRE(s.size() == 1);
    REQUIRE(s[0].second == 0);
    REQUIRE(s[0].submits == 15);
    REQUIRE(s[0].response_p99_ms == Approx(3.0).epsilon(0.04));
    REQUIRE(s[0].response_p50_ms == Approx(1.0).epsilon(0.04));
}

TEST_CASE("timeline fills silent seconds and flushes the tail") {
    timeline t(2);
    t.contribute(0, bucket(0, 1, 1000));
    t.advance(1, 3);  // worker 1 was idle for seconds 0-2
    t.contribute(0, bucket(2, 4, 1000));
    t.advance(0, 5);
    auto s = t.samples();
    REQUIRE(s.size() == 3);
    REQUIRE(s[1].second == 1);
    REQUIRE(s[1].submits == 0);  // nobody sent in second 1
    REQUIRE(s[2].submits == 4);
    t.contribute(1, bucket(6, 2, 1000));
    t.flush();
    s = t.samples();
    REQUIRE(s.back().second == 6);
    REQUIRE(s.back().submits == 2);
    for (std::size_t i = 0; i < s.size(); ++i) {
        REQUIRE(s[i].second == static_cast<std::int64_t>(i));
    }
}
