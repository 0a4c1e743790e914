#include "metrics.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <unordered_map>

namespace smppgw::gateway {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

// Latency buckets from 100 µs to 60 s: submit_sm_resp is sub-millisecond to milliseconds;
// receipts take seconds to minutes.
const prometheus::Histogram::BucketBoundaries latency_buckets{
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
    0.1,    0.25,    0.5,    1,     2.5,    5,     10,   30,    60};
const prometheus::Histogram::BucketBoundaries size_buckets{1,  2,   4,   8,    16,  32,
                                                           64, 128, 256, 512, 1024};

// A per-thread cache from a label key to the metric the family holds for it. Families never
// remove metrics, so the pointers stay valid for the life of the registry.
template <typename M>
M& cached(prometheus::Family<M>& family, std::string key, const prometheus::Labels& labels) {
    thread_local std::unordered_map<std::string, void*> cache;
    key.append(reinterpret_cast<const char*>(&family), sizeof(void*));
    auto it = cache.find(key);
    if (it != cache.end()) {
        return *static_cast<M*>(it->second);
    }
    M& m = family.Add(labels);
    cache.emplace(std::move(key), &m);
    return m;
}

std::string fmt_status(smpp::command_status s) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out = "0x00000000";
    for (int i = 0; i < 8; ++i) {
        out[static_cast<std::size_t>(9 - i)] = digits[(s >> (4 * i)) & 0xF];
    }
    return out;
}

std::string join(std::initializer_list<std::string_view> parts) {
    std::string key;
    for (auto p : parts) {
        key.append(p);
        key.push_back('\x1f');
    }
    return key;
}

prometheus::Counter& labeled(prometheus::Family<prometheus::Counter>& family,
                             std::string_view name, std::string_view value) {
    return cached(family, join({value}), {{std::string(name), std::string(value)}});
}

}  // namespace

metrics::metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      pdus_(BuildCounter()
                .Name("smppgw_pdus_total")
                .Help("PDUs by face (upstream/carrier), direction, command and command_status")
                .Register(*registry_)),
      binds_(BuildGauge()
                 .Name("smppgw_binds")
                 .Help("Bound upstream sessions by account and bind type")
                 .Register(*registry_)),
      bind_failures_(BuildCounter()
                         .Name("smppgw_bind_failures_total")
                         .Help("Refused upstream binds by reason")
                         .Register(*registry_)),
      messages_(BuildCounter()
                    .Name("smppgw_messages_total")
                    .Help("Upstream messages by account and outcome "
                          "(accepted, deferred, rejected, throttled, failed)")
                    .Register(*registry_)),
      policy_(BuildCounter()
                  .Name("smppgw_policy_decisions_total")
                  .Help("Policy decisions by check and verdict; shadow=true for checks in shadow "
                        "mode that would have blocked")
                  .Register(*registry_)),
      keywords_(BuildCounter()
                    .Name("smppgw_keyword_events_total")
                    .Help("MO keyword classifications and actions")
                    .Register(*registry_)),
      receipt_failures_(BuildCounter()
                            .Name("smppgw_receipt_match_failures_total")
                            .Help("Carrier receipts that could not be matched, by reason")
                            .Register(*registry_)),
      receipts_(BuildCounter()
                    .Name("smppgw_receipts_total")
                    .Help("Carrier receipts by carrier and outcome")
                    .Register(*registry_)),
      mo_(BuildCounter()
              .Name("smppgw_mo_messages_total")
              .Help("Mobile-originated messages by outcome")
              .Register(*registry_)),
      reconnects_(BuildCounter()
                      .Name("smppgw_carrier_reconnects_total")
                      .Help("Carrier session (re)connect attempts")
                      .Register(*registry_)),
      throttled_(BuildCounter()
                     .Name("smppgw_carrier_throttled_total")
                     .Help("ESME_RTHROTTLED / ESME_RMSGQFUL answers from carriers")
                     .Register(*registry_)),
      carrier_submits_(BuildCounter()
                           .Name("smppgw_carrier_submits_total")
                           .Help("submit_sm to carriers by outcome")
                           .Register(*registry_)),
      carrier_binds_(BuildGauge()
                         .Name("smppgw_carrier_binds")
                         .Help("Bound sessions per carrier")
                         .Register(*registry_)),
      window_(BuildGauge()
                  .Name("smppgw_carrier_window_occupancy")
                  .Help("Outstanding submit_sm per carrier bind")
                  .Register(*registry_)),
      carrier_queue_(BuildGauge()
                         .Name("smppgw_carrier_queue_depth")
                         .Help("Messages waiting for a carrier window")
                         .Register(*registry_)),
      outbox_(BuildGauge()
                  .Name("smppgw_outbox_depth")
                  .Help("Receipts and MOs not yet acknowledged by the account")
                  .Register(*registry_)),
      outbox_delivered_(BuildCounter()
                            .Name("smppgw_outbox_delivered_total")
                            .Help("deliver_sm acknowledged by upstream accounts")
                            .Register(*registry_)),
      store_errors_(BuildCounter()
                        .Name("smppgw_store_errors_total")
                        .Help("Store operations that failed")
                        .Register(*registry_)),
      lockouts_(BuildCounter()
                    .Name("smppgw_auth_lockouts_total")
                    .Help("Bind lockouts after repeated failures, per IP or system_id")
                    .Register(*registry_)),
      latency_(BuildHistogram()
                   .Name("smppgw_latency_seconds")
                   .Help("Latencies of the message path by stage")
                   .Register(*registry_)),
      sizes_(BuildHistogram()
                 .Name("smppgw_store_batch_size")
                 .Help("Batches merged into one store write (group commit)")
                 .Register(*registry_)),
      queues_(BuildGauge()
                  .Name("smppgw_queue_depth")
                  .Help("Messages held by the gateway by queue")
                  .Register(*registry_)),
      state_(BuildGauge().Name("smppgw_state").Help("Process state").Register(*registry_)),
      reloads_(BuildCounter()
                   .Name("smppgw_config_reloads_total")
                   .Help("Configuration reloads by result")
                   .Register(*registry_)),
      cpu_seconds_(BuildGauge()
                       .Name("smppgw_process_cpu_seconds")
                       .Help("User plus system CPU time of the process")
                       .Register(*registry_)
                       .Add({})),
      resident_bytes_(BuildGauge()
                          .Name("smppgw_process_resident_memory_bytes")
                          .Help("Resident set size of the process")
                          .Register(*registry_)
                          .Add({})),
      open_fds_(BuildGauge()
                    .Name("smppgw_process_open_fds")
                    .Help("Open file descriptors")
                    .Register(*registry_)
                    .Add({})),
      submit_response(latency_.Add({{"stage", "submit_response"}}, latency_buckets)),
      carrier_ack(latency_.Add({{"stage", "carrier_ack"}}, latency_buckets)),
      submit_to_receipt(latency_.Add({{"stage", "receipt"}}, latency_buckets)),
      store_commit(latency_.Add({{"stage", "store_commit"}}, latency_buckets)),
      store_batch_size(sizes_.Add({}, size_buckets)),
      policy_evaluation(latency_.Add({{"stage", "policy"}}, latency_buckets)),
      deferred_messages(queues_.Add({{"queue", "deferred"}})),
      pending_messages(queues_.Add({{"queue", "awaiting_carrier"}})),
      ready(state_.Add({{"state", "ready"}})),
      config_generation(state_.Add({{"state", "config_generation"}})),
      config_reloads_ok(reloads_.Add({{"result", "ok"}})),
      config_reloads_failed(reloads_.Add({{"result", "failed"}})) {}

void metrics::pdu(face f, direction d, smpp::command_id id, smpp::command_status status) {
    const auto name = smpp::command_name(id);
    const auto status_text = smpp::status_name(status);
    const std::string status_label =
        status_text.empty() ? fmt_status(status) : std::string(status_text);
    std::string key;
    key.push_back(static_cast<char>(f));
    key.push_back(static_cast<char>(d));
    key.append(reinterpret_cast<const char*>(&id), sizeof id);
    key.append(reinterpret_cast<const char*>(&status), sizeof status);
    cached(pdus_, std::move(key),
           {{"face", f == face::upstream ? "upstream" : "carrier"},
            {"direction", d == direction::in ? "in" : "out"},
            {"command", std::string(name)},
            {"status", status_label}})
        .Increment();
}

prometheus::Gauge& metrics::binds(std::string_view account, std::string_view bind_type) {
    return cached(binds_, join({account, bind_type}),
                  {{"account", std::string(account)}, {"bind_type", std::string(bind_type)}});
}
prometheus::Counter& metrics::bind_failures(std::string_view reason) {
    return labeled(bind_failures_, "reason", reason);
}
prometheus::Counter& metrics::messages(std::string_view account, std::string_view outcome) {
    return cached(messages_, join({account, outcome}),
                  {{"account", std::string(account)}, {"outcome", std::string(outcome)}});
}
prometheus::Counter& metrics::policy_decision(std::string_view check, std::string_view verdict,
                                              bool shadow) {
    return cached(policy_, join({check, verdict, shadow ? "1" : "0"}),
                  {{"check", std::string(check)},
                   {"verdict", std::string(verdict)},
                   {"shadow", shadow ? "true" : "false"}});
}
prometheus::Counter& metrics::keyword_event(std::string_view kind) {
    return labeled(keywords_, "kind", kind);
}
prometheus::Counter& metrics::receipt_match_failure(std::string_view reason) {
    return labeled(receipt_failures_, "reason", reason);
}
prometheus::Counter& metrics::receipts(std::string_view carrier, std::string_view outcome) {
    return cached(receipts_, join({carrier, outcome}),
                  {{"carrier", std::string(carrier)}, {"outcome", std::string(outcome)}});
}
prometheus::Counter& metrics::mo_messages(std::string_view outcome) {
    return labeled(mo_, "outcome", outcome);
}
prometheus::Counter& metrics::carrier_reconnects(std::string_view carrier) {
    return labeled(reconnects_, "carrier", carrier);
}
prometheus::Counter& metrics::carrier_throttled(std::string_view carrier) {
    return labeled(throttled_, "carrier", carrier);
}
prometheus::Counter& metrics::carrier_submits(std::string_view carrier, std::string_view outcome) {
    return cached(carrier_submits_, join({carrier, outcome}),
                  {{"carrier", std::string(carrier)}, {"outcome", std::string(outcome)}});
}
prometheus::Gauge& metrics::carrier_binds(std::string_view carrier) {
    return cached(carrier_binds_, join({carrier}), {{"carrier", std::string(carrier)}});
}
prometheus::Gauge& metrics::carrier_window(std::string_view carrier, std::string_view bind) {
    return cached(window_, join({carrier, bind}),
                  {{"carrier", std::string(carrier)}, {"bind", std::string(bind)}});
}
prometheus::Gauge& metrics::carrier_queue(std::string_view carrier) {
    return cached(carrier_queue_, join({carrier}), {{"carrier", std::string(carrier)}});
}
prometheus::Gauge& metrics::outbox_depth(std::string_view account) {
    return cached(outbox_, join({account}), {{"account", std::string(account)}});
}
prometheus::Counter& metrics::outbox_delivered(std::string_view account, std::string_view kind) {
    return cached(outbox_delivered_, join({account, kind}),
                  {{"account", std::string(account)}, {"kind", std::string(kind)}});
}
prometheus::Counter& metrics::store_errors(std::string_view operation) {
    return labeled(store_errors_, "operation", operation);
}
prometheus::Counter& metrics::lockouts(std::string_view scope) {
    return labeled(lockouts_, "scope", scope);
}

void metrics::refresh_process_metrics() {
    rusage usage{};
    if (getrusage(RUSAGE_SELF, &usage) == 0) {
        const auto seconds = [](const timeval& tv) {
            return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
        };
        cpu_seconds_.Set(seconds(usage.ru_utime) + seconds(usage.ru_stime));
    }
    std::ifstream statm("/proc/self/statm");
    long pages = 0;
    long resident = 0;
    if (statm >> pages >> resident) {
        resident_bytes_.Set(static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)));
    }
    std::error_code ec;
    std::size_t fds = 0;
    for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
        ++fds;
    }
    open_fds_.Set(static_cast<double>(fds));
}

}  // namespace smppgw::gateway
