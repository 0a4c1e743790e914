// The log-bucket histogram: bucket arithmetic, the relative-error bound, percentiles, merging.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "common/histogram.hpp"

using smppgw::bench::histogram;

TEST_CASE("histogram: buckets tile the value range without gaps or overlaps") {
    for (unsigned bits : {1U, 3U, 5U, 7U}) {
        const histogram h(bits);
        REQUIRE(h.bucket_lowest(0) == 0);
        for (std::size_t i = 0; i + 1 < h.bucket_count(); ++i) {
            REQUIRE(h.bucket_highest(i) + 1 == h.bucket_lowest(i + 1));
        }
        REQUIRE(h.bucket_highest(h.bucket_count() - 1) == UINT64_MAX);
    }
}

TEST_CASE("histogram: every value lands in the bucket that contains it") {
    const histogram h;
    std::mt19937_64 gen(42);
    for (int i = 0; i < 100000; ++i) {
        // Spread over all magnitudes, not just large values.
        const std::uint64_t v = gen() >> (gen() % 64);
        const auto b = h.bucket_index(v);
        REQUIRE(h.bucket_lowest(b) <= v);
        REQUIRE(v <= h.bucket_highest(b));
    }
    for (std::uint64_t v :
         {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{255}, std::uint64_t{256}, UINT64_MAX}) {
        const auto b = h.bucket_index(v);
        REQUIRE(h.bucket_lowest(b) <= v);
        REQUIRE(v <= h.bucket_highest(b));
    }
}

TEST_CASE("histogram: small values are exact, large ones within 1/2^bits") {
    const histogram h(7);
    for (std::uint64_t v = 0; v < 256; ++v) {
        const auto b = h.bucket_index(v);
        REQUIRE(h.bucket_lowest(b) == v);
        REQUIRE(h.bucket_highest(b) == v);
    }
    std::mt19937_64 gen(7);
    for (int i = 0; i < 100000; ++i) {
        const std::uint64_t v = 256 + (gen() >> (gen() % 56));
        const auto b = h.bucket_index(v);
        const double width = static_cast<double>(h.bucket_highest(b) - h.bucket_lowest(b) + 1);
        REQUIRE(width / static_cast<double>(h.bucket_lowest(b)) <= 1.0 / 128.0);
    }
}

TEST_CASE("histogram: percentiles of a known distribution") {
    histogram h;
    for (std::uint64_t v = 1; v <= 100; ++v) {
        h.record(v);
    }
    REQUIRE(h.count() == 100);
    REQUIRE(h.min() == 1);
    REQUIRE(h.max() == 100);
    REQUIRE(h.mean() == Approx(50.5));
    REQUIRE(h.value_at_quantile(0.0) == 1);
    REQUIRE(h.value_at_quantile(0.5) == 50);
    REQUIRE(h.value_at_quantile(0.99) == 99);
    REQUIRE(h.value_at_quantile(1.0) == 100);
}

TEST_CASE("histogram: percentiles of latencies stay within the error bound") {
    histogram h;
    std::vector<std::uint64_t> values;
    std::mt19937_64 gen(3);
    std::lognormal_distribution<double> dist(std::log(2e6), 0.8);  // ~2 ms median, in ns
    for (int i = 0; i < 200000; ++i) {
        const auto v = static_cast<std::uint64_t>(dist(gen));
        values.push_back(v);
        h.record(v);
    }
    std::sort(values.begin(), values.end());
    for (double q : {0.5, 0.9, 0.99, 0.999}) {
        const auto rank =
            static_cast<std::size_t>(std::ceil(q * static_cast<double>(values.size())));
        const auto exact = values[rank - 1];
        const auto reported = h.value_at_quantile(q);
        // Reported as the top of the bucket: never below the truth, at most 1/128 above it.
        REQUIRE(reported >= exact);
        REQUIRE(static_cast<double>(reported - exact) <= static_cast<double>(exact) / 128.0 + 1);
    }
    REQUIRE(h.value_at_quantile(1.0) == values.back());
}

TEST_CASE("histogram: record_n, merge and reset") {
    histogram a;
    histogram b;
    histogram both;
    a.record_n(1000, 3);
    b.record(5);
    b.record(1'000'000);
    both.record_n(1000, 3);
    both.record(5);
    both.record(1'000'000);
    REQUIRE(a.merge(b));
    REQUIRE(a.count() == both.count());
    REQUIRE(a.min() == 5);
    REQUIRE(a.max() == 1'000'000);
    REQUIRE(a.mean() == Approx(both.mean()));
    for (double q : {0.1, 0.5, 0.8, 1.0}) {
        REQUIRE(a.value_at_quantile(q) == both.value_at_quantile(q));
    }
    histogram coarse(5);
    REQUIRE_FALSE(a.merge(coarse));  // different layouts do not mix
    a.reset();
    REQUIRE(a.empty());
    REQUIRE(a.min() == 0);
    REQUIRE(a.max() == 0);
    REQUIRE(a.value_at_quantile(0.99) == 0);
    a.record(7);
    REQUIRE(a.value_at_quantile(0.5) == 7);
}
