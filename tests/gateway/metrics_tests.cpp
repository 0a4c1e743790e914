// The metrics converters without a daemon: store histograms become cumulative Prometheus
// histograms in seconds, labels from peers stay bounded, the scrape families are complete, the
// series the config determines exist at zero.

#include <catch2/catch.hpp>

#include <limits>
#include <set>

#include <prometheus/text_serializer.h>

#include "infra/account_counters.hpp"
#include "infra/metrics.hpp"
#include "smppgw/gateway/config.hpp"
#include "support/net.hpp"

using smppgw::gateway::metrics;
using smppgw::test::metric_sample;

namespace {

std::vector<metric_sample> scrape(metrics& m) {
    prometheus::TextSerializer serializer;
    return smppgw::test::parse_metrics(serializer.Serialize(m.collect(nullptr)));
}

// The series of `name` whose labels include `match`.
std::vector<metric_sample> series(const std::vector<metric_sample>& samples,
                                  const std::string& name,
                                  const std::map<std::string, std::string>& match = {}) {
    std::vector<metric_sample> out;
    for (const auto& s : samples) {
        if (s.name != name) {
            continue;
        }
        bool all = true;
        for (const auto& [k, v] : match) {
            const auto it = s.labels.find(k);
            all = all && it != s.labels.end() && it->second == v;
        }
        if (all) {
            out.push_back(s);
        }
    }
    return out;
}

std::shared_ptr<const smppgw::gateway::config> config_with(const std::string& accounts) {
    return smppgw::gateway::parse_config(R"([[listeners]]
address = "127.0.0.1:2775"

[[carriers]]
name = "sim"
address = "127.0.0.1:2776"
system_id = "gw"

[[routes]]
prefix = ""
carriers = ["sim"]

[admin]
token = "0123456789abcdef0123"

[policy.quiet_hours]
shadow = true

[policy.frequency]
action = "reject"

)" + accounts,
                                         "/etc/smppgw/test.toml");
}

const std::string two_accounts = R"(
[[accounts]]
system_id = "a1"
password_hash = "$6$salt$hash"
brand = "acme"
bind_types = ["transceiver"]
campaigns = ["spring", "fall"]

[[accounts]]
system_id = "a2"
password_hash = "$6$salt$hash"
brand = "globex"
)";

}  // namespace

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

TEST_CASE("series the config determines exist at zero, and a reload adds its new ones",
          "[metrics][declare]") {
    metrics m;
    m.declare(*config_with(two_accounts));
    auto samples = scrape(m);
    // Nothing happened yet: every declared series reads 0.
    for (const auto& s : samples) {
        if (s.name.rfind("smppgw_", 0) == 0 && s.name.find("latency") == std::string::npos &&
            s.name != "smppgw_config_generation") {
            INFO(s.name);
            CHECK(s.value == 0);
        }
    }
    // Per account: every outcome; the bind types it may use; its outbox.
    CHECK(series(samples, "smppgw_messages_total", {{"account", "a1"}}).size() == 10);
    CHECK(series(samples, "smppgw_binds", {{"account", "a1"}}).size() == 1);
    CHECK(series(samples, "smppgw_binds", {{"account", "a2"}}).size() == 3);
    CHECK(series(samples, "smppgw_outbox_depth").size() == 2);
    CHECK(series(samples, "smppgw_outbox_delivered_total", {{"account", "a2"}}).size() == 3);
    // Campaign labels: none, other and the account's list; three classes, three answers.
    CHECK(series(samples, "smppgw_message_decisions_total", {{"account", "a1"}}).size() ==
          4 * 3 * 3);
    CHECK(series(samples, "smppgw_message_decisions_total", {{"account", "a2"}}).size() ==
          2 * 3 * 3);
    CHECK(series(samples, "smppgw_message_final_states_total", {{"account", "a1"}}).size() ==
          4 * 6);
    CHECK(series(samples, "smppgw_message_final_states_total",
                 {{"account", "a1"}, {"brand", "acme"}, {"campaign", "fall"},
                  {"state", "expired"}})
              .size() == 1);
    CHECK(series(samples, "smppgw_message_final_states_total",
                 {{"account", "a2"}, {"campaign", "spring"}})
              .empty());
    // Per brand: every keyword class and action.
    CHECK(series(samples, "smppgw_keyword_matches_total", {{"brand", "globex"}}).size() == 6);
    CHECK(series(samples, "smppgw_keyword_actions_total", {{"brand", "acme"}}).size() == 10);
    // Per carrier.
    CHECK(series(samples, "smppgw_carrier_submits_total", {{"carrier", "sim"}}).size() == 5);
    CHECK(series(samples, "smppgw_receipts_total", {{"carrier", "sim"}}).size() == 10);
    CHECK(series(samples, "smppgw_carrier_reconnects_total", {{"carrier", "sim"}}).size() == 1);
    CHECK(series(samples, "smppgw_carrier_binds", {{"carrier", "sim"}}).size() == 1);
    // Policy: accepts, each enabled check's verdict as configured, shadow where it is shadow.
    CHECK(series(samples, "smppgw_policy_decisions_total",
                 {{"check", "none"}, {"verdict", "accept"}, {"shadow", "false"}})
              .size() == 1);
    CHECK(series(samples, "smppgw_policy_decisions_total",
                 {{"check", "frequency"}, {"verdict", "reject"}, {"shadow", "false"}})
              .size() == 1);
    CHECK(series(samples, "smppgw_policy_decisions_total", {{"check", "frequency"}}).size() == 1);
    CHECK(series(samples, "smppgw_policy_decisions_total",
                 {{"check", "quiet_hours"}, {"verdict", "defer"}, {"shadow", "true"}})
              .size() == 1);
    CHECK(series(samples, "smppgw_policy_decisions_total", {{"check", "quiet_hours"}}).size() ==
          1);
    // Fixed label sets and the message path's PDUs.
    CHECK(series(samples, "smppgw_mo_messages_total").size() == 4);
    CHECK(series(samples, "smppgw_bind_failures_total").size() == 10);  // every refusal reason
    CHECK(series(samples, "smppgw_pdus_total",
                 {{"face", "upstream"}, {"direction", "in"}, {"command", "submit_sm"},
                  {"status", "ESME_ROK"}})
              .size() == 1);

    // A reload keeps what was counted and adds what the new config names.
    m.messages("a1", "accepted").Increment(3);
    m.declare(*config_with(two_accounts + R"(
[[accounts]]
system_id = "a3"
password_hash = "$6$salt$hash"
brand = "initech"
)"));
    samples = scrape(m);
    CHECK(smppgw::test::metric_sum(samples, "smppgw_messages_total",
                                   {{"account", "a1"}, {"outcome", "accepted"}}) == 3);
    CHECK(series(samples, "smppgw_messages_total", {{"account", "a3"}}).size() == 10);
    CHECK(series(samples, "smppgw_keyword_matches_total", {{"brand", "initech"}}).size() == 6);
    CHECK(series(samples, "smppgw_messages_total").size() == 30);
}

TEST_CASE("the policy stage's latency buckets resolve microseconds", "[metrics]") {
    metrics m;
    m.policy_evaluation.Observe(0.000004);  // a typical chain evaluation: 4 µs
    const auto samples = scrape(m);
    const auto buckets = series(samples, "smppgw_latency_seconds_bucket", {{"stage", "policy"}});
    REQUIRE_FALSE(buckets.empty());
    const auto bucket = [&](double le) {
        for (const auto& b : buckets) {
            if (b.labels.at("le") != "+Inf" && std::stod(b.labels.at("le")) == Approx(le)) {
                return b.value;
            }
        }
        FAIL("no bucket le=" << le);
        return -1.0;
    };
    CHECK(std::stod(buckets.front().labels.at("le")) == Approx(5e-7));
    CHECK(bucket(1e-6) == 0);
    CHECK(bucket(2.5e-6) == 0);
    CHECK(bucket(5e-6) == 1);
    // The other stages keep their millisecond-to-minute buckets.
    const auto submit = series(samples, "smppgw_latency_seconds_bucket",
                               {{"stage", "submit_response"}});
    REQUIRE_FALSE(submit.empty());
    CHECK(std::stod(submit.front().labels.at("le")) == Approx(1e-4));
}

TEST_CASE("readiness, the config generation and keyword events are separate families",
          "[metrics]") {
    metrics m;
    m.ready.Set(1);
    m.config_generation.Set(3);
    m.keyword_match("acme", "opt_out").Increment();
    m.keyword_action("acme", "record_optout").Increment();
    m.keyword_action("acme", "send_reply").Increment();
    const auto samples = scrape(m);
    CHECK(smppgw::test::metric_sum(samples, "smppgw_ready") == 1);
    CHECK(smppgw::test::metric_sum(samples, "smppgw_config_generation") == 3);
    CHECK_FALSE(smppgw::test::has_metric(samples, "smppgw_state"));
    // One MO: one classification, two actions; neither family double-counts the other.
    CHECK(smppgw::test::metric_sum(samples, "smppgw_keyword_matches_total") == 1);
    CHECK(smppgw::test::metric_sum(samples, "smppgw_keyword_actions_total") == 2);
    CHECK_FALSE(smppgw::test::has_metric(samples, "smppgw_keyword_events_total"));
}

TEST_CASE("an account's answer counters, resolved at bind, count by brand, class and campaign",
          "[metrics][campaign]") {
    using smppgw::gateway::account_counters;
    using smppgw::policy::message_class;
    metrics m;
    const auto cfg = config_with(two_accounts);
    const auto a1 = account_counters::make(m, cfg->accounts[0]);
    a1->count(message_class::promotional, "spring", account_counters::answer::accepted);
    a1->count(message_class::promotional, "spring", account_counters::answer::accepted);
    a1->count(message_class::transactional, "", account_counters::answer::deferred);
    a1->count(message_class::conversational, "other", account_counters::answer::rejected);
    // Not on the list it was made with (a reload took it off): bounded to "other".
    a1->count(message_class::conversational, "winter", account_counters::answer::rejected);
    const auto samples = scrape(m);
    const auto value = [&](const std::map<std::string, std::string>& labels) {
        return smppgw::test::metric_sum(samples, "smppgw_message_decisions_total", labels);
    };
    CHECK(value({{"account", "a1"},
                 {"brand", "acme"},
                 {"class", "promotional"},
                 {"campaign", "spring"},
                 {"decision", "accepted"}}) == 2);
    CHECK(value({{"class", "transactional"}, {"campaign", "none"}, {"decision", "deferred"}}) ==
          1);
    CHECK(value({{"class", "conversational"}, {"campaign", "other"}, {"decision", "rejected"}}) ==
          2);
    CHECK(value({}) == 5);
    CHECK(smppgw::test::metric_sum(samples, "smppgw_messages_total",
                                   {{"account", "a1"}, {"outcome", "accepted"}}) == 2);
    CHECK(smppgw::test::metric_sum(samples, "smppgw_messages_total",
                                   {{"account", "a1"}, {"outcome", "rejected"}}) == 2);
    CHECK(smppgw::test::metric_sum(samples, "smppgw_messages_total") == 5);
    // Every label set of the account exists, at zero where nothing was counted; none of a2's.
    CHECK(series(samples, "smppgw_message_decisions_total", {{"account", "a1"}}).size() ==
          4 * 3 * 3);
    CHECK(series(samples, "smppgw_message_decisions_total", {{"account", "a2"}}).empty());
}
