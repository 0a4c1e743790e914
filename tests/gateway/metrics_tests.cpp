// The metrics converters without a daemon: store histograms become cumulative Prometheus
// histograms in seconds, labels from peers stay bounded, the scrape families are complete.

#include <catch2/catch.hpp>

#include <limits>
#include <set>

#include <prometheus/text_serializer.h>

#include "infra/metrics.hpp"
#include "support/net.hpp"

using smppgw::gateway::metrics;

TEST_CASE("store histograms become cumulative Prometheus histograms", "[metrics]") {
    smppgw::store::histogram_snapshot h;
    for (std::size_t i = 0; i < h.buckets; ++i) {
        h.bounds[i] = i + 1 < h.buckets ? static_cast<double>(1ULL << i)
                                        : std::numeric_limits<double>::infinity();
    }
    h.counts[0] = 2;   // <= 1 µs
    h.counts[10] = 3;  // <= 1024 µs
    h.counts[h.buckets - 1] = 1;
    h.count = 6;
    h.sum = 5000;
    const auto p = metrics::to_histogram(h, 1e-6);
    REQUIRE(p.bucket.size() == h.buckets);
    CHECK(p.bucket[0].cumulative_count == 2);
    CHECK(p.bucket[0].upper_bound == Approx(1e-6));
    CHECK(p.bucket[9].cumulative_count == 2);
    CHECK(p.bucket[10].cumulative_count == 5);
    CHECK(p.bucket[10].upper_bound == Approx(1024e-6));
    CHECK(p.bucket.back().cumulative_count == 6);
    CHECK(p.bucket.back().upper_bound == std::numeric_limits<double>::infinity());
    CHECK(p.sample_count == 6);
    CHECK(p.sample_sum == Approx(0.005));
}

TEST_CASE("store families are named by Prometheus conventions", "[metrics]") {
    smppgw::store::commit_stats s;
    s.commits = 10;
    s.committed = 7;
    s.failed = 3;
    s.rejected = 1;
    s.queue_depth = 4;
    std::set<std::string> names;
    for (const auto& f : metrics::store_families(s)) {
        names.insert(f.name);
        if (f.type == prometheus::MetricType::Counter) {
            CHECK_THAT(f.name, Catch::EndsWith("_total"));
        }
        CHECK_FALSE(f.help.empty());
    }
    CHECK(names.contains("smppgw_store_commit_latency_seconds"));
    CHECK(names.contains("smppgw_store_batch_size"));
    CHECK(names.contains("smppgw_store_commits_total"));
    CHECK(names.contains("smppgw_store_commit_queue_depth"));
    prometheus::TextSerializer serializer;
    const auto samples =
        smppgw::test::parse_metrics(serializer.Serialize(metrics::store_families(s)));
    CHECK(smppgw::test::metric_sum(samples, "smppgw_store_commits_total", {{"result", "ok"}}) == 7);
    CHECK(smppgw::test::metric_sum(samples, "smppgw_store_commits_total", {{"result", "failed"}}) ==
          2);
    CHECK(smppgw::test::metric_sum(samples, "smppgw_store_commits_total",
                                   {{"result", "rejected"}}) == 1);
    CHECK(smppgw::test::metric_sum(samples, "smppgw_store_commit_queue_depth") == 4);
}

TEST_CASE("labels from peers stay bounded", "[metrics]") {
    CHECK(metrics::status_label(0) == "ESME_ROK");
    std::set<std::string> labels;
    for (std::uint32_t i = 0; i < 100; ++i) {
        labels.insert(metrics::status_label(0x7F000000U + i));
    }
    CHECK(labels.size() <= 33);  // at most 32 hex values plus "other"
    CHECK(labels.contains("other"));
    // A status seen early keeps its label.
    CHECK(metrics::status_label(0x7F000000U) == "0x7f000000");

    CHECK(metrics::receipt_outcome("DELIVRD") == "DELIVRD");
    CHECK(metrics::receipt_outcome("delivrd") == "DELIVRD");
    CHECK(metrics::receipt_outcome("") == "none");
    CHECK(metrics::receipt_outcome("SOMETHING-ELSE-1234") == "other");
}

TEST_CASE("a scrape without a store has the registry and the process", "[metrics]") {
    metrics m;
    m.messages("acct", "accepted").Increment();
    m.receipts("sim", "garbage-stat").Increment();
    m.receipts("sim", "other-garbage").Increment();
    prometheus::TextSerializer serializer;
    const auto samples = smppgw::test::parse_metrics(serializer.Serialize(m.collect(nullptr)));
    CHECK(smppgw::test::metric_sum(samples, "smppgw_messages_total", {{"outcome", "accepted"}}) ==
          1);
    CHECK(smppgw::test::metric_sum(samples, "smppgw_receipts_total", {{"outcome", "other"}}) == 2);
    CHECK(smppgw::test::metric_sum(samples, "process_resident_memory_bytes") > 0);
    CHECK(smppgw::test::metric_sum(samples, "process_start_time_seconds") > 1.6e9);
    CHECK(smppgw::test::has_metric(samples, "process_cpu_seconds_total"));
    CHECK_FALSE(smppgw::test::has_metric(samples, "smppgw_store_commit_latency_seconds_count"));
}

TEST_CASE("equal label values in different families are different series", "[metrics]") {
    // Regression: the per-thread cache once keyed entries by label values only (plus bytes that
    // were the same for every family), so carrier_binds("a") could return carrier_queue("a").
    metrics m;
    m.carrier_queue("a").Set(5);
    m.carrier_binds("a").Set(1);
    m.carrier_reconnects("a").Increment();
    m.carrier_throttled("a").Increment(3);
    m.store_errors("x").Increment();
    m.lockouts("x").Increment(2);
    CHECK(m.carrier_queue("a").Value() == 5);
    CHECK(m.carrier_binds("a").Value() == 1);
    CHECK(m.carrier_reconnects("a").Value() == 1);
    CHECK(m.carrier_throttled("a").Value() == 3);
    CHECK(m.store_errors("x").Value() == 1);
    CHECK(m.lockouts("x").Value() == 2);
}
