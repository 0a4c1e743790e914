// /metrics scraped from the running daemon: before any traffic every series the config
// determines is there at zero (and every family the Grafana dashboard and the example alerts
// query); after known traffic the counters say exactly what happened, the histograms counted
// every observation, the store and process families are there.

#include <catch2/catch.hpp>

#include <algorithm>
#include <regex>
#include <set>

#include <fmt/format.h>

#include "support/gateway_env.hpp"

namespace {

using namespace smppgw::test;

constexpr std::size_t submits = 25;

std::string number(std::size_t i) {
    return fmt::format("1212555{:04}", i);
}

// How many series of `name` carry every label of `match` (0 when the family is absent: the
// counts below tell "there at zero" from "not there").
std::size_t series_count(const std::vector<metric_sample>& samples, const std::string& name,
                         const std::map<std::string, std::string>& match) {
    return static_cast<std::size_t>(
        std::count_if(samples.begin(), samples.end(), [&](const metric_sample& s) {
            return s.name == name && std::all_of(match.begin(), match.end(), [&](const auto& kv) {
                       const auto it = s.labels.find(kv.first);
                       return it != s.labels.end() && it->second == kv.second;
                   });
        }));
}

// Every smppgw_* and process_* name a file mentions (a dashboard's queries, alert rules).
std::set<std::string> metric_names_in(const std::filesystem::path& file) {
    const auto text = read_file(file);
    REQUIRE_FALSE(text.empty());
    std::set<std::string> names;
    const std::regex name(R"((smppgw|process)_[a-z0-9_]+)");
    for (auto it = std::sregex_iterator(text.begin(), text.end(), name);
         it != std::sregex_iterator(); ++it) {
        names.insert(it->str());
    }
    return names;
}

}  // namespace

TEST_CASE("before any traffic, the series the config determines are there at zero",
          "[daemon][metrics]") {
    gateway_env env;
    auto m = env.scrape();
    // What the quickstart greps for before it sends anything.
    CHECK(series_count(m, "smppgw_messages_total", {{"account", "test"}, {"outcome", "accepted"}}) ==
          1);
    CHECK(metric_sum(m, "smppgw_messages_total") == 0);
    CHECK(series_count(m, "smppgw_message_decisions_total", {{"account", "test"}}) == 2 * 3 * 3);
    CHECK(series_count(m, "smppgw_message_final_states_total",
                       {{"account", "test"}, {"brand", "acme"}, {"campaign", "none"}}) == 6);
    CHECK(series_count(m, "smppgw_keyword_matches_total", {{"brand", "acme"}}) == 6);
    CHECK(series_count(m, "smppgw_carrier_submits_total", {{"carrier", "sim"}}) == 5);
    CHECK(series_count(m, "smppgw_carrier_window_occupancy", {{"carrier", "sim"}}) == 1);
    CHECK(series_count(m, "smppgw_policy_decisions_total",
                       {{"check", "optout"}, {"verdict", "reject"}, {"shadow", "false"}}) == 1);
    CHECK(metric_sum(m, "smppgw_ready") == 1);
    CHECK(metric_sum(m, "smppgw_config_generation") == 1);

    // Every family the dashboard and the example alert rules query exists already, so no panel
    // or alert reads "no data" on a healthy, idle gateway (and a renamed family fails here).
    // smppgw_cluster_* exist on cluster nodes only: tests/cluster/cluster_tests.cpp checks the
    // dashboard's against a real cluster node.
    for (const auto* file : {"etc/grafana/smppgw.json", "etc/grafana/smppgw-alerts.yml"}) {
        const auto names = metric_names_in(std::filesystem::path(SMPPGW_SOURCE_DIR) / file);
        CHECK(names.size() >= 2);
        for (const auto& n : names) {
            if (n.starts_with("smppgw_cluster_")) {
                CHECK_FALSE(has_metric(m, n));  // that dashboard row stays empty on one node
                continue;
            }
            INFO(file << ": " << n);
            CHECK(has_metric(m, n));
        }
    }

    SECTION("a reload adds the series of a new account, at zero") {
        env.options.extra += R"(
[[accounts]]
system_id = "late"
password_hash = "$6$salt$hash"
brand = "initech"
campaigns = ["launch"]
)";
        env.rewrite_routes(env.options.routes);
        REQUIRE(env.admin().request("POST", "/v1/reload").status == 200);
        m = env.scrape();
        CHECK(series_count(m, "smppgw_messages_total", {{"account", "late"}}) == 10);
        CHECK(series_count(m, "smppgw_message_final_states_total",
                           {{"account", "late"}, {"campaign", "launch"}}) == 6);
        CHECK(series_count(m, "smppgw_keyword_actions_total", {{"brand", "initech"}}) == 10);
        CHECK(metric_sum(m, "smppgw_messages_total") == 0);
        CHECK(metric_sum(m, "smppgw_config_generation") == 2);
    }
}

TEST_CASE("metrics count known traffic exactly", "[daemon][metrics]") {
    gateway_env env;
    auto e = env.connect();
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < submits; ++i) {
        const auto r = e->submit(number(i), fmt::format("metrics test {}", i), 1);
        REQUIRE(r.status == 0);
        REQUIRE_FALSE(r.message_id.empty());
        ids.push_back(r.message_id);
    }
    // Every receipt came back upstream: the carrier side is done with these messages.
    e->wait_deliveries(submits);
    const double n = static_cast<double>(submits);

    std::vector<metric_sample> m;
    // Upstream deliver_sm_resp and the outbox sweep land just after the deliveries; wait for
    // them rather than for a fixed time. (The store's group and commit counters agree in every
    // scrape, a group in flight counted in neither: commit_queue.cpp, complete().)
    wait_until(
        [&] {
            m = env.scrape();
            return metric_sum(m, "smppgw_pdus_total",
                              {{"face", "upstream"},
                               {"direction", "in"},
                               {"command", "deliver_sm_resp"}}) == n &&
                   metric_sum(m, "smppgw_outbox_depth", {{"account", "test"}}) == 0 &&
                   metric_sum(m, "smppgw_queue_depth", {{"queue", "awaiting_carrier"}}) == 0;
        },
        10s, "receipt acknowledgements in /metrics");

    SECTION("messages and PDUs by command and status") {
        CHECK(metric_sum(m, "smppgw_messages_total",
                         {{"account", "test"}, {"outcome", "accepted"}}) == n);
        CHECK(metric_sum(m, "smppgw_pdus_total",
                         {{"face", "upstream"}, {"direction", "in"}, {"command", "submit_sm"}}) ==
              n);
        CHECK(metric_sum(m, "smppgw_pdus_total",
                         {{"face", "upstream"},
                          {"direction", "out"},
                          {"command", "submit_sm_resp"},
                          {"status", "ESME_ROK"}}) == n);
        CHECK(metric_sum(
                  m, "smppgw_pdus_total",
                  {{"face", "upstream"}, {"direction", "in"}, {"command", "bind_transceiver"}}) ==
              1);
        CHECK(metric_sum(m, "smppgw_pdus_total",
                         {{"face", "upstream"}, {"direction", "out"}, {"command", "deliver_sm"}}) ==
              n);
        CHECK(metric_sum(m, "smppgw_pdus_total",
                         {{"face", "carrier"}, {"direction", "out"}, {"command", "submit_sm"}}) ==
              n);
        CHECK(metric_sum(m, "smppgw_pdus_total",
                         {{"face", "carrier"},
                          {"direction", "in"},
                          {"command", "submit_sm_resp"},
                          {"status", "ESME_ROK"}}) == n);
        CHECK(metric_sum(m, "smppgw_pdus_total",
                         {{"face", "carrier"}, {"direction", "in"}, {"command", "deliver_sm"}}) ==
              n);
    }
    SECTION("binds, carriers, receipts, policy") {
        CHECK(metric_sum(m, "smppgw_binds", {{"account", "test"}, {"bind_type", "transceiver"}}) ==
              1);
        CHECK(metric_sum(m, "smppgw_carrier_binds", {{"carrier", "sim"}}) == 1);
        CHECK(metric_sum(m, "smppgw_carrier_submits_total",
                         {{"carrier", "sim"}, {"outcome", "ok"}}) == n);
        CHECK(metric_sum(m, "smppgw_receipts_total",
                         {{"carrier", "sim"}, {"outcome", "DELIVRD"}}) == n);
        CHECK(metric_sum(m, "smppgw_policy_decisions_total", {{"verdict", "accept"}}) == n);
        CHECK(metric_sum(m, "smppgw_receipt_match_failures_total") == 0);
        CHECK(metric_sum(m, "smppgw_carrier_window_occupancy", {{"carrier", "sim"}}) == 0);
        CHECK(has_metric(m, "smppgw_carrier_window_occupancy"));
        CHECK(metric_sum(m, "smppgw_carrier_queue_depth", {{"carrier", "sim"}}) == 0);
    }
    SECTION("latency histograms counted every message") {
        for (const auto* stage : {"submit_response", "carrier_ack", "receipt", "policy"}) {
            INFO(stage);
            CHECK(metric_sum(m, "smppgw_latency_seconds_count", {{"stage", stage}}) == n);
        }
        CHECK(metric_sum(m, "smppgw_latency_seconds_bucket",
                         {{"stage", "submit_response"}, {"le", "+Inf"}}) == n);
    }
    SECTION("store commit latency and batch size") {
        // At least one commit per accepted message and one per receipt.
        const auto commits = metric_sum(m, "smppgw_store_commit_latency_seconds_count");
        CHECK(commits >= 2 * n);
        CHECK(metric_sum(m, "smppgw_store_commit_latency_seconds_bucket", {{"le", "+Inf"}}) ==
              commits);
        CHECK(metric_sum(m, "smppgw_store_commits_total", {{"result", "ok"}}) == commits);
        const auto groups = metric_sum(m, "smppgw_store_batch_size_count");
        CHECK(groups >= 1);
        CHECK(groups <= commits);
        // Batch size sum is the batches written: every commit went through a group.
        CHECK(metric_sum(m, "smppgw_store_batch_size_sum") == commits);
        CHECK(metric_sum(m, "smppgw_store_group_writes_total") == groups);
        CHECK(metric_sum(m, "smppgw_store_disk_bytes") > 0);
    }
    SECTION("queues and process") {
        CHECK(metric_sum(m, "smppgw_queue_depth", {{"queue", "deferred"}}) == 0);
        CHECK(metric_sum(m, "process_resident_memory_bytes") > 0);
        CHECK(metric_sum(m, "process_cpu_seconds_total") > 0);
        CHECK(metric_sum(m, "process_open_fds") > 0);
        CHECK(metric_sum(m, "smppgw_ready") == 1);
    }
    SECTION("a rejected submit and an unbind") {
        REQUIRE(env.admin().request("PUT", "/v1/optouts/acme/12125559999").status == 201);
        const auto r = e->submit("12125559999", "to an opted-out number");
        CHECK(r.status == 0x410);
        e->unbind();
        wait_until(
            [&] {
                m = env.scrape();
                return metric_sum(m, "smppgw_binds", {{"account", "test"}}) == 0;
            },
            10s, "the bind gauge to drop after unbind");
        CHECK(metric_sum(m, "smppgw_messages_total",
                         {{"account", "test"}, {"outcome", "rejected"}}) == 1);
        CHECK(metric_sum(m, "smppgw_policy_decisions_total",
                         {{"check", "optout"}, {"verdict", "reject"}}) == 1);
        CHECK(metric_sum(m, "smppgw_pdus_total",
                         {{"face", "upstream"},
                          {"direction", "out"},
                          {"command", "submit_sm_resp"},
                          {"status", "0x00000410"}}) +
                  metric_sum(m, "smppgw_pdus_total",
                             {{"face", "upstream"},
                              {"direction", "out"},
                              {"command", "submit_sm_resp"},
                              {"status", "opted_out"}}) ==
              1);
    }
}

TEST_CASE("deferred messages show in the deferred queue depth and in message lookup",
          "[daemon][metrics]") {
    gateway_options o;
    // A frequency cap of one promotional message per day for every region, deferring: the
    // second message to a number is held. Consent and quiet hours are off so nothing else
    // decides.
    o.extra = R"(
[policy.quiet_hours]
enabled = false

[policy.frequency]
action = "defer"
[[policy.frequency.caps]]
region = "*"
max_messages = 1
window = "24h"
)";
    o.consent = "enabled = false";
    gateway_env env(o);
    auto e = env.connect();
    const auto first = e->submit("12125550100", "promo one", 1, "MKT");
    REQUIRE(first.status == 0);
    e->wait_deliveries(1);  // sent to the carrier: it counts toward the cap now
    const auto second = e->submit("12125550100", "promo two", 1, "MKT");
    REQUIRE(second.status == 0);  // deferred messages are accepted (ESME_ROK)

    std::vector<metric_sample> m;
    wait_until(
        [&] {
            m = env.scrape();
            return metric_sum(m, "smppgw_queue_depth", {{"queue", "deferred"}}) == 1;
        },
        15s, "smppgw_queue_depth{queue=\"deferred\"} == 1");
    CHECK(metric_sum(m, "smppgw_messages_total", {{"account", "test"}, {"outcome", "deferred"}}) ==
          1);
    CHECK(metric_sum(m, "smppgw_policy_decisions_total", {{"verdict", "defer"}}) == 1);

    const auto held = env.admin().get("/v1/messages/" + second.message_id);
    REQUIRE(held.status == 200);
    const auto doc = held.json().as_object();
    CHECK(doc.at("state").as_string() == "deferred");
    CHECK(doc.at("final").as_bool() == false);
    REQUIRE(doc.at("decisions").as_array().size() == 1);
    CHECK(doc.at("decisions").as_array()[0].at("verdict").as_string() == "defer");

    const auto sent = env.admin().get("/v1/messages/" + first.message_id);
    REQUIRE(sent.status == 200);
    const auto sent_doc = sent.json().as_object();
    CHECK(sent_doc.at("state").as_string() == "delivered");
    CHECK(sent_doc.at("carrier").as_string() == "sim");
    std::vector<std::string> states;
    for (const auto& h : sent_doc.at("history").as_array()) {
        states.emplace_back(h.at("state").as_string());
    }
    CHECK(states.front() == "accepted");
    CHECK(states.back() == "delivered");
    CHECK(std::find(states.begin(), states.end(), "submitted") != states.end());
}
