#pragma once
// Every metric smppgw exports, in one place. prometheus-cpp holds the values; /metrics serializes
// the registry (admin_http.cpp). Labels stay bounded: accounts, carriers, commands, statuses,
// checks, never numbers or message ids.
//
// Hot-path lookups (a counter per PDU) go through small thread-local caches so a PDU costs one
// hash lookup and one atomic add, not the family's mutex.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "smppgw/smpp/command.hpp"

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
    prometheus::Family<prometheus::Counter>& keywords_;
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
    prometheus::Family<prometheus::Counter>& store_errors_;
    prometheus::Family<prometheus::Counter>& lockouts_;
    prometheus::Family<prometheus::Histogram>& latency_;
    prometheus::Family<prometheus::Histogram>& sizes_;
    prometheus::Family<prometheus::Gauge>& queues_;
    prometheus::Family<prometheus::Gauge>& state_;
    prometheus::Family<prometheus::Counter>& reloads_;
    prometheus::Gauge& cpu_seconds_;
    prometheus::Gauge& resident_bytes_;
    prometheus::Gauge& open_fds_;

public:
    metrics();

    [[nodiscard]] prometheus::Registry& registry() noexcept { return *registry_; }
    [[nodiscard]] std::shared_ptr<prometheus::Registry> registry_ptr() noexcept { return registry_; }

    void pdu(face f, direction d, smpp::command_id id, smpp::command_status status);
    prometheus::Gauge& binds(std::string_view account, std::string_view bind_type);
    prometheus::Counter& bind_failures(std::string_view reason);
    prometheus::Counter& messages(std::string_view account, std::string_view outcome);
    prometheus::Counter& policy_decision(std::string_view check, std::string_view verdict,
                                         bool shadow);
    prometheus::Counter& keyword_event(std::string_view kind);
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
    prometheus::Counter& store_errors(std::string_view operation);
    prometheus::Counter& lockouts(std::string_view scope);

    // Stage latencies and queue gauges, resolved once.
    prometheus::Histogram& submit_response;   // upstream submit -> submit_sm_resp
    prometheus::Histogram& carrier_ack;       // accepted -> carrier submit_sm_resp
    prometheus::Histogram& submit_to_receipt; // accepted -> receipt from the carrier
    prometheus::Histogram& store_commit;      // commit queued -> durable
    prometheus::Histogram& store_batch_size;  // batches merged per group commit
    prometheus::Histogram& policy_evaluation; // one chain evaluation
    prometheus::Gauge& deferred_messages;
    prometheus::Gauge& pending_messages;      // accepted, not yet acknowledged by a carrier
    prometheus::Gauge& ready;                 // 1 when /readyz would say ready
    prometheus::Gauge& config_generation;
    prometheus::Counter& config_reloads_ok;
    prometheus::Counter& config_reloads_failed;


    // Process CPU and memory, refreshed on every scrape.
    void refresh_process_metrics();

};

// Seconds since `start` as a double, for Observe().
[[nodiscard]] inline double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace smppgw::gateway
