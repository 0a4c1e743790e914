#pragma once
// Every metric smppgw exports, in one place. prometheus-cpp holds the values; /metrics serializes
// the registry (admin_http.cpp). Labels stay bounded: accounts, brands, carriers, campaigns of the
// configured lists, commands, statuses, checks, never numbers or message ids (docs/metrics.md).
//
// Series whose label values the config determines (every account's outcomes, every carrier's
// submit outcomes, every enabled check's verdict, ...) exist at zero from startup and from each
// reload on (declare()), so a query or an alert sees 0 rather than nothing before the first event.
//
// Hot-path lookups (a counter per PDU) go through small thread-local caches so a PDU costs one
// hash lookup and one atomic add, not the family's mutex.
//
// Values owned by someone else (the store's commit statistics, the deferred index, the process's
// CPU and memory) are not mirrored on every change: collect() reads them at scrape time and
// appends them as families of their own, so the hot path pays nothing for them.

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>

#include "smppgw/smpp/command.hpp"
#include "smppgw/store/stats.hpp"

namespace smppgw::store {
class store;
}

namespace smppgw::gateway {
struct config;
}

namespace smppgw::gateway {

enum class face : std::uint8_t { upstream, carrier };
enum class direction : std::uint8_t { in, out };

class metrics {
    // Declared first: the public references below are initialised from these families.
    std::shared_ptr<prometheus::Registry> registry_;
    prometheus::Family<prometheus::Counter>& pdus_;
    prometheus::Family<prometheus::Gauge>& binds_;
    prometheus::Family<prometheus::Counter>& bind_failures_;
    prometheus::Family<prometheus::Counter>& messages_;
    prometheus::Family<prometheus::Counter>& policy_;
    prometheus::Family<prometheus::Counter>& keyword_matches_;
    prometheus::Family<prometheus::Counter>& keyword_actions_;
    prometheus::Family<prometheus::Counter>& decisions_;
    prometheus::Family<prometheus::Counter>& final_states_;
    prometheus::Family<prometheus::Counter>& receipt_failures_;
    prometheus::Family<prometheus::Counter>& receipts_;
    prometheus::Family<prometheus::Counter>& mo_;
    prometheus::Family<prometheus::Counter>& reconnects_;
    prometheus::Family<prometheus::Counter>& throttled_;
    prometheus::Family<prometheus::Counter>& carrier_submits_;
    prometheus::Family<prometheus::Gauge>& carrier_binds_;
    prometheus::Family<prometheus::Gauge>& window_;
    prometheus::Family<prometheus::Gauge>& carrier_queue_;
    prometheus::Family<prometheus::Gauge>& outbox_;
    prometheus::Family<prometheus::Counter>& outbox_delivered_;
    prometheus::Family<prometheus::Counter>& outbox_expired_;
    prometheus::Family<prometheus::Counter>& store_errors_;
    prometheus::Family<prometheus::Counter>& lockouts_;
    prometheus::Family<prometheus::Histogram>& latency_;
    prometheus::Family<prometheus::Gauge>& queues_;
    prometheus::Family<prometheus::Gauge>& ready_;
    prometheus::Family<prometheus::Gauge>& generation_;
    prometheus::Family<prometheus::Counter>& reloads_;

public:
    metrics();

    [[nodiscard]] prometheus::Registry& registry() noexcept { return *registry_; }
    [[nodiscard]] std::shared_ptr<prometheus::Registry> registry_ptr() noexcept {
        return registry_;
    }

    // Creates, at zero, every series whose labels `c` determines (see the header comment). Called
    // at startup and after each reload; series of accounts or carriers a reload removed stay.
    void declare(const config& c);

    void pdu(face f, direction d, smpp::command_id id, smpp::command_status status);
    prometheus::Gauge& binds(std::string_view account, std::string_view bind_type);
    prometheus::Counter& bind_failures(std::string_view reason);
    prometheus::Counter& messages(std::string_view account, std::string_view outcome);
    prometheus::Counter& policy_decision(std::string_view check, std::string_view verdict,
                                         bool shadow);
    // An MO to a number of `brand` classified as `kind` (policy::keyword_kind), and each action
    // its plan took (policy::mo_action_kind): two families, so neither sum double-counts.
    prometheus::Counter& keyword_match(std::string_view brand, std::string_view kind);
    prometheus::Counter& keyword_action(std::string_view brand, std::string_view action);
    // The sender's view of acceptance: the answer an upstream message got (accepted, deferred,
    // rejected), by account, brand, class and campaign label (campaign_label()).
    prometheus::Counter& decision(std::string_view account, std::string_view brand,
                                  std::string_view klass, std::string_view campaign,
                                  std::string_view outcome);
    // How messages ended (delivered, undeliverable, rejected, expired, failed, cancelled), counted
    // as the store writes their rows (store::store::on_traffic).
    prometheus::Counter& final_state(std::string_view account, std::string_view brand,
                                     std::string_view campaign, std::string_view state);
    prometheus::Counter& receipt_match_failure(std::string_view reason);
    prometheus::Counter& receipts(std::string_view carrier, std::string_view outcome);
    prometheus::Counter& mo_messages(std::string_view outcome);
    prometheus::Counter& carrier_reconnects(std::string_view carrier);
    prometheus::Counter& carrier_throttled(std::string_view carrier);
    prometheus::Counter& carrier_submits(std::string_view carrier, std::string_view outcome);
    prometheus::Gauge& carrier_binds(std::string_view carrier);
    prometheus::Gauge& carrier_window(std::string_view carrier, std::string_view bind);
    prometheus::Gauge& carrier_queue(std::string_view carrier);
    prometheus::Gauge& outbox_depth(std::string_view account);
    prometheus::Counter& outbox_delivered(std::string_view account, std::string_view kind);
    prometheus::Counter& outbox_expired(std::string_view account);
    prometheus::Counter& store_errors(std::string_view operation);
    prometheus::Counter& lockouts(std::string_view scope);

    // Stage latencies and queue gauges, resolved once.
    prometheus::Histogram& submit_response;    // upstream submit -> submit_sm_resp
    prometheus::Histogram& carrier_ack;        // accepted -> carrier submit_sm_resp
    prometheus::Histogram& submit_to_receipt;  // accepted -> receipt from the carrier
    prometheus::Histogram& policy_evaluation;  // one chain evaluation
    // Kept by the core: seeded from the store's recovery report, moved as messages are deferred
    // and released.
    prometheus::Gauge& deferred_messages;
    prometheus::Gauge& pending_messages;  // accepted, not yet acknowledged by a carrier
    prometheus::Gauge& ready;              // smppgw_ready: 1 when /readyz would say ready
    prometheus::Gauge& config_generation;  // smppgw_config_generation: 1, then +1 per reload
    prometheus::Counter& config_reloads_ok;
    prometheus::Counter& config_reloads_failed;

    // Everything /metrics serves: the registry plus the families read at scrape time from the
    // store (commit latency and group size histograms, commit counters) when
    // `db` is given, and the process (CPU, memory, descriptors). Called on the admin thread.
    [[nodiscard]] std::vector<prometheus::MetricFamily> collect(const store::store* db);

    // Converters, public so the tests can check them without a daemon.
    // A store histogram (power-of-two bounds, per-bucket counts) as a Prometheus histogram
    // (cumulative buckets), each bound and the sum multiplied by `scale` (µs -> s: 1e-6).
    [[nodiscard]] static prometheus::ClientMetric::Histogram to_histogram(
        const store::histogram_snapshot& h, double scale);
    [[nodiscard]] static std::vector<prometheus::MetricFamily> store_families(
        const store::commit_stats& s);
    // The store's health (writable, free space, the resume threshold) and the unmatched
    // receipts it keeps, read at scrape time.
    [[nodiscard]] static std::vector<prometheus::MetricFamily> store_state_families(
        const store::store& db);
    [[nodiscard]] static std::vector<prometheus::MetricFamily> process_families();
    // The command_status label: the status name, its hex value for the first few unnamed
    // statuses seen, "other" after that (carriers may answer any 32-bit value).
    [[nodiscard]] static std::string status_label(smpp::command_status s);
    // Receipt outcomes from carrier text are bounded to the SMPP stat words.
    [[nodiscard]] static std::string receipt_outcome(std::string_view stat);
    // The campaign label of a message's campaign (store::message_record::campaign, already
    // bounded by the account's list): "none" when it carries none.
    [[nodiscard]] static std::string_view campaign_label(std::string_view campaign) noexcept {
        return campaign.empty() ? std::string_view("none") : campaign;
    }
};

// Seconds since `start` as a double, for Observe().
[[nodiscard]] inline double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace smppgw::gateway
