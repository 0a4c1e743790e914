#include "infra/metrics.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <unordered_map>

#include "smppgw/gateway/config.hpp"
#include "smppgw/policy/decision.hpp"
#include "smppgw/policy/keywords.hpp"
#include "smppgw/policy/mo_planner.hpp"
#include "smppgw/store/store.hpp"

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
// One policy chain evaluation takes a few microseconds (in-memory lookups): buckets from 0.5 µs,
// up to the milliseconds a lookup that reads RocksDB (consent_index = "rocksdb", a frequency
// history) may take.
const prometheus::Histogram::BucketBoundaries policy_buckets{
    0.0000005, 0.000001, 0.0000025, 0.000005, 0.00001, 0.000025, 0.00005,
    0.0001,    0.00025,  0.0005,    0.001,    0.0025,  0.005,    0.01};

// Label values known in advance, for declare(). Each list names what its call sites count.
constexpr std::string_view message_outcomes[] = {
    "accepted", "deferred",    "rejected", "throttled",           "invalid",
    "failed",   "unroutable",  "released", "rejected_at_release", "expired"};
constexpr std::string_view decision_outcomes[] = {"accepted", "deferred", "rejected"};
constexpr std::string_view message_classes[] = {"transactional", "promotional", "conversational"};
// The final message states (store::is_final), as store::to_string spells them.
constexpr std::string_view final_states[] = {"delivered", "undeliverable", "rejected",
                                             "expired",   "failed",        "cancelled"};
constexpr std::string_view carrier_submit_outcomes[] = {"ok", "throttled", "transient_error",
                                                        "rejected", "unknown_outcome"};
// As receipts() takes them: the stat word as received; "" (no stat word) becomes "none".
constexpr std::string_view receipt_outcomes[] = {"DELIVRD", "EXPIRED", "DELETED", "UNDELIV",
                                                 "ACCEPTD", "UNKNOWN", "REJECTD", "ENROUTE",
                                                 "",        "other"};
constexpr std::string_view bind_failure_reasons[] = {
    "locked_out",         "unknown_system_id", "bind_type_not_allowed",
    "address_not_allowed", "client_certificate", "bad_password",
    "max_binds",          "connection_limit",  "tls_handshake",
    "proxy_header"};
constexpr std::string_view lockout_scopes[] = {"ip", "system_id"};
constexpr std::string_view store_operations[] = {"accept", "mo"};
constexpr std::string_view mo_outcomes[] = {"received", "unowned_number",
                                            "incomplete_concatenation", "evicted_concatenation"};
constexpr std::string_view receipt_failure_reasons[] = {"no_id", "after_final", "matched_late",
                                                        "unknown_id", "unmatched_evicted"};
constexpr std::string_view outbox_kinds[] = {"dlr", "mo", "refused"};
constexpr policy::keyword_kind keyword_kinds[] = {
    policy::keyword_kind::none,   policy::keyword_kind::opt_out, policy::keyword_kind::opt_out_all,
    policy::keyword_kind::opt_in, policy::keyword_kind::help,    policy::keyword_kind::ambiguous};
constexpr policy::mo_action_kind keyword_actions[] = {
    policy::mo_action_kind::record_optout,   policy::mo_action_kind::revoke_consents,
    policy::mo_action_kind::lift_optout,     policy::mo_action_kind::record_consent,
    policy::mo_action_kind::restore_consent, policy::mo_action_kind::confirm_double_opt_in,
    policy::mo_action_kind::place_hold,      policy::mo_action_kind::clear_hold,
    policy::mo_action_kind::flag_for_review, policy::mo_action_kind::send_reply};
// The PDUs of the message path, answered ESME_ROK: the series a dashboard plots first.
struct pdu_series {
    face f;
    direction d;
    smpp::command_id command;
};
constexpr pdu_series message_path_pdus[] = {
    {face::upstream, direction::in, smpp::command_id::bind_transmitter},
    {face::upstream, direction::in, smpp::command_id::bind_receiver},
    {face::upstream, direction::in, smpp::command_id::bind_transceiver},
    {face::upstream, direction::in, smpp::command_id::submit_sm},
    {face::upstream, direction::in, smpp::command_id::submit_multi},
    {face::upstream, direction::in, smpp::command_id::data_sm},
    {face::upstream, direction::in, smpp::command_id::query_sm},
    {face::upstream, direction::in, smpp::command_id::cancel_sm},
    {face::upstream, direction::in, smpp::command_id::replace_sm},
    {face::upstream, direction::in, smpp::command_id::deliver_sm_resp},
    {face::upstream, direction::out, smpp::command_id::bind_transmitter_resp},
    {face::upstream, direction::out, smpp::command_id::bind_receiver_resp},
    {face::upstream, direction::out, smpp::command_id::bind_transceiver_resp},
    {face::upstream, direction::out, smpp::command_id::submit_sm_resp},
    {face::upstream, direction::out, smpp::command_id::submit_multi_resp},
    {face::upstream, direction::out, smpp::command_id::data_sm_resp},
    {face::upstream, direction::out, smpp::command_id::query_sm_resp},
    {face::upstream, direction::out, smpp::command_id::cancel_sm_resp},
    {face::upstream, direction::out, smpp::command_id::replace_sm_resp},
    {face::upstream, direction::out, smpp::command_id::deliver_sm},
    {face::carrier, direction::out, smpp::command_id::submit_sm},
    {face::carrier, direction::out, smpp::command_id::deliver_sm_resp},
    {face::carrier, direction::in, smpp::command_id::submit_sm_resp},
    {face::carrier, direction::in, smpp::command_id::deliver_sm},
};

// Distinct hex labels for command_status values without a name; the rest become "other".
constexpr std::size_t max_unnamed_statuses = 32;

// Appends the family's address (the pointer value) to a cache key, so equal label values of
// two families never share an entry.
void append_address(std::string& key, const void* family) {
    key.append(reinterpret_cast<const char*>(&family), sizeof family);
}

// Bumped by every new metrics object. Cache keys hold family addresses, and a family of a new
// registry may sit where one of a registry already gone was (tests build one per case): an entry
// made before the bump may point into freed memory, so a cache that sees a new generation
// starts over.
std::atomic<std::uint64_t> registry_generation{0};

template <typename Map>
void forget_older_registries(Map& cache, std::uint64_t& seen) {
    const auto now = registry_generation.load(std::memory_order_acquire);
    if (seen != now) {
        cache.clear();
        seen = now;
    }
}

// A per-thread cache from a label key to the metric the family holds for it. Families never
// remove metrics, so the pointers stay valid for the life of the registry.
template <typename M>
M& cached(prometheus::Family<M>& family, std::string key, const prometheus::Labels& labels) {
    thread_local std::unordered_map<std::string, void*> cache;
    thread_local std::uint64_t generation = 0;
    forget_older_registries(cache, generation);
    append_address(key, &family);
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

prometheus::Counter& labeled(prometheus::Family<prometheus::Counter>& family, std::string_view name,
                             std::string_view value) {
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
      keyword_matches_(BuildCounter()
                           .Name("smppgw_keyword_matches_total")
                           .Help("MOs by the brand owning the receiving number and keyword "
                                 "classification (opt_out, opt_out_all, opt_in, help, ambiguous, "
                                 "none); one per classified MO")
                           .Register(*registry_)),
      keyword_actions_(BuildCounter()
                           .Name("smppgw_keyword_actions_total")
                           .Help("Actions taken for keyword MOs, by brand and action "
                                 "(record_optout: a new opt-out in force, send_reply, ...)")
                           .Register(*registry_)),
      decisions_(BuildCounter()
                     .Name("smppgw_message_decisions_total")
                     .Help("Upstream messages by account, brand, class, campaign and the answer "
                           "they got (accepted, deferred, rejected)")
                     .Register(*registry_)),
      final_states_(BuildCounter()
                        .Name("smppgw_message_final_states_total")
                        .Help("Messages that reached a final state, by account, brand, campaign "
                              "and state; counted when the message's row is written")
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
      outbox_expired_(BuildCounter()
                          .Name("smppgw_outbox_expired_total")
                          .Help("Receipts and MOs dropped undelivered after "
                                "store.retention.outbox")
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
      queues_(BuildGauge()
                  .Name("smppgw_queue_depth")
                  .Help("Messages held by the gateway by queue")
                  .Register(*registry_)),
      ready_(BuildGauge()
                 .Name("smppgw_ready")
                 .Help("1 when /readyz says ready (store writable, a carrier bound), else 0")
                 .Register(*registry_)),
      generation_(BuildGauge()
                      .Name("smppgw_config_generation")
                      .Help("Configuration generation: 1 at startup, +1 per applied reload")
                      .Register(*registry_)),
      reloads_(BuildCounter()
                   .Name("smppgw_config_reloads_total")
                   .Help("Configuration reloads by result")
                   .Register(*registry_)),
      submit_response(latency_.Add({{"stage", "submit_response"}}, latency_buckets)),
      carrier_ack(latency_.Add({{"stage", "carrier_ack"}}, latency_buckets)),
      submit_to_receipt(latency_.Add({{"stage", "receipt"}}, latency_buckets)),
      policy_evaluation(latency_.Add({{"stage", "policy"}}, policy_buckets)),
      deferred_messages(queues_.Add({{"queue", "deferred"}})),
      pending_messages(queues_.Add({{"queue", "awaiting_carrier"}})),
      ready(ready_.Add({})),
      config_generation(generation_.Add({})),
      config_reloads_ok(reloads_.Add({{"result", "ok"}})),
      config_reloads_failed(reloads_.Add({{"result", "failed"}})) {
    registry_generation.fetch_add(1, std::memory_order_acq_rel);
}

void metrics::pdu(face f, direction d, smpp::command_id id, smpp::command_status status) {
    std::string key;
    key.push_back(static_cast<char>(f));
    key.push_back(static_cast<char>(d));
    key.append(reinterpret_cast<const char*>(&id), sizeof id);
    key.append(reinterpret_cast<const char*>(&status), sizeof status);
    append_address(key, &pdus_);
    thread_local std::unordered_map<std::string, prometheus::Counter*> cache;
    thread_local std::uint64_t generation = 0;
    forget_older_registries(cache, generation);
    auto it = cache.find(key);
    if (it == cache.end()) {
        // Labels are built only on a miss: the hot path is one lookup and one add.
        auto& counter = pdus_.Add({{"face", f == face::upstream ? "upstream" : "carrier"},
                                   {"direction", d == direction::in ? "in" : "out"},
                                   {"command", std::string(smpp::command_name(id))},
                                   {"status", status_label(status)}});
        it = cache.emplace(std::move(key), &counter).first;
    }
    it->second->Increment();
}

void metrics::declare(const config& c) {
    for (const auto& p : message_path_pdus) {
        pdus_.Add({{"face", p.f == face::upstream ? "upstream" : "carrier"},
                   {"direction", p.d == direction::in ? "in" : "out"},
                   {"command", std::string(smpp::command_name(p.command))},
                   {"status", status_label(smpp::status::ESME_ROK)}});
    }
    for (const auto reason : bind_failure_reasons) {
        (void)bind_failures(reason);
    }
    for (const auto scope : lockout_scopes) {
        (void)lockouts(scope);
    }
    for (const auto operation : store_operations) {
        (void)store_errors(operation);
    }
    for (const auto outcome : mo_outcomes) {
        (void)mo_messages(outcome);
    }
    for (const auto reason : receipt_failure_reasons) {
        (void)receipt_match_failure(reason);
    }

    std::set<std::string, std::less<>> brands;
    for (const auto& a : c.accounts) {
        brands.insert(a.brand);
        for (const auto outcome : message_outcomes) {
            (void)messages(a.system_id, outcome);
        }
        for (const auto type : a.bind_types) {
            (void)binds(a.system_id, smpp::to_string(type));
        }
        (void)outbox_depth(a.system_id);
        for (const auto kind : outbox_kinds) {
            (void)outbox_delivered(a.system_id, kind);
        }
        (void)outbox_expired(a.system_id);
        std::vector<std::string_view> campaigns{"", "other"};
        campaigns.insert(campaigns.end(), a.campaigns.begin(), a.campaigns.end());
        for (const auto campaign : campaigns) {
            for (const auto klass : message_classes) {
                for (const auto outcome : decision_outcomes) {
                    (void)decision(a.system_id, a.brand, klass, campaign, outcome);
                }
            }
            for (const auto state : final_states) {
                (void)final_state(a.system_id, a.brand, campaign, state);
            }
        }
    }
    for (const auto& brand : brands) {
        for (const auto kind : keyword_kinds) {
            (void)keyword_match(brand, policy::to_string(kind));
        }
        for (const auto action : keyword_actions) {
            (void)keyword_action(brand, policy::to_string(action));
        }
    }

    for (const auto& car : c.carriers) {
        (void)carrier_reconnects(car.name);
        (void)carrier_throttled(car.name);
        (void)carrier_binds(car.name);
        (void)carrier_queue(car.name);
        for (const auto outcome : carrier_submit_outcomes) {
            (void)carrier_submits(car.name, outcome);
        }
        for (const auto outcome : receipt_outcomes) {
            (void)receipts(car.name, outcome);
        }
    }

    // Accepts are counted under check "none"; each enabled check under the verdict it gives
    // (frequency and quiet hours defer or reject as configured), shadow="true" in shadow mode.
    (void)policy_decision(policy::to_string(policy::check_id::none),
                          policy::to_string(policy::verdict::accept), false);
    const auto& pc = c.policy;
    const auto check = [&](policy::check_id id, bool enabled, bool shadow, bool defers) {
        if (enabled) {
            (void)policy_decision(
                policy::to_string(id),
                policy::to_string(defers ? policy::verdict::defer : policy::verdict::reject),
                shadow);
        }
    };
    check(policy::check_id::destination, true, pc.destination.shadow, false);
    check(policy::check_id::optout, pc.optout.enabled, pc.optout.shadow, false);
    check(policy::check_id::consent, pc.consent.enabled, pc.consent.shadow, false);
    check(policy::check_id::frequency, pc.frequency.enabled, pc.frequency.shadow,
          pc.frequency.action == policy::block_action::defer);
    check(policy::check_id::quiet_hours, pc.quiet_hours.enabled, pc.quiet_hours.shadow,
          pc.quiet_hours.action == policy::block_action::defer);
    check(policy::check_id::content, pc.content.enabled, pc.content.shadow, false);
}

std::string metrics::status_label(smpp::command_status s) {
    const auto name = smpp::status_name(s);
    if (!name.empty()) {
        return std::string(name);
    }
    static std::mutex mutex;
    static std::set<smpp::command_status> seen;
    std::lock_guard lock(mutex);
    if (seen.contains(s) || seen.size() < max_unnamed_statuses) {
        seen.insert(s);
        return fmt_status(s);
    }
    return "other";
}

std::string metrics::receipt_outcome(std::string_view stat) {
    if (stat.empty()) {
        return "none";
    }
    std::string upper(stat);
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    static constexpr std::string_view words[] = {"DELIVRD", "EXPIRED", "DELETED", "UNDELIV",
                                                 "ACCEPTD", "UNKNOWN", "REJECTD", "ENROUTE"};
    for (const auto w : words) {
        if (upper == w) {
            return upper;
        }
    }
    return "other";
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
prometheus::Counter& metrics::keyword_match(std::string_view brand, std::string_view kind) {
    return cached(keyword_matches_, join({brand, kind}),
                  {{"brand", std::string(brand)}, {"kind", std::string(kind)}});
}
prometheus::Counter& metrics::keyword_action(std::string_view brand, std::string_view action) {
    return cached(keyword_actions_, join({brand, action}),
                  {{"brand", std::string(brand)}, {"action", std::string(action)}});
}
prometheus::Counter& metrics::decision(std::string_view account, std::string_view brand,
                                       std::string_view klass, std::string_view campaign,
                                       std::string_view outcome) {
    const auto label = campaign_label(campaign);
    return cached(decisions_, join({account, brand, klass, label, outcome}),
                  {{"account", std::string(account)},
                   {"brand", std::string(brand)},
                   {"class", std::string(klass)},
                   {"campaign", std::string(label)},
                   {"decision", std::string(outcome)}});
}
prometheus::Counter& metrics::final_state(std::string_view account, std::string_view brand,
                                          std::string_view campaign, std::string_view state) {
    const auto label = campaign_label(campaign);
    return cached(final_states_, join({account, brand, label, state}),
                  {{"account", std::string(account)},
                   {"brand", std::string(brand)},
                   {"campaign", std::string(label)},
                   {"state", std::string(state)}});
}
prometheus::Counter& metrics::receipt_match_failure(std::string_view reason) {
    return labeled(receipt_failures_, "reason", reason);
}
prometheus::Counter& metrics::receipts(std::string_view carrier, std::string_view outcome) {
    // The stat word comes from the carrier's text: the key is the raw word (cheap), the label
    // the bounded one, so a carrier sending garbage adds cache entries, never series.
    return cached(receipts_, join({carrier, outcome}),
                  {{"carrier", std::string(carrier)}, {"outcome", receipt_outcome(outcome)}});
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
prometheus::Counter& metrics::outbox_expired(std::string_view account) {
    return cached(outbox_expired_, join({account}), {{"account", std::string(account)}});
}
prometheus::Counter& metrics::store_errors(std::string_view operation) {
    return labeled(store_errors_, "operation", operation);
}
prometheus::Counter& metrics::lockouts(std::string_view scope) {
    return labeled(lockouts_, "scope", scope);
}

namespace {

prometheus::MetricFamily family(std::string name, std::string help, prometheus::MetricType type) {
    prometheus::MetricFamily f;
    f.name = std::move(name);
    f.help = std::move(help);
    f.type = type;
    return f;
}

prometheus::ClientMetric counter_value(double v, prometheus::ClientMetric::Label label = {}) {
    prometheus::ClientMetric m;
    if (!label.name.empty()) {
        m.label.push_back(std::move(label));
    }
    m.counter.value = v;
    return m;
}

prometheus::ClientMetric gauge_value(double v) {
    prometheus::ClientMetric m;
    m.gauge.value = v;
    return m;
}

void add_counter(std::vector<prometheus::MetricFamily>& out, std::string name, std::string help,
                 std::uint64_t v) {
    auto f = family(std::move(name), std::move(help), prometheus::MetricType::Counter);
    f.metric.push_back(counter_value(static_cast<double>(v)));
    out.push_back(std::move(f));
}

// /proc/self/stat field 22 (starttime, clock ticks after boot) plus the boot time from
// /proc/stat: the process start as a Unix time.
double process_start_time() {
    static const double value = [] {
        std::ifstream stat("/proc/self/stat");
        std::string line;
        std::getline(stat, line);
        const auto close = line.rfind(')');
        if (close == std::string::npos) {
            return 0.0;
        }
        std::istringstream fields(line.substr(close + 2));
        std::string field;
        // After "pid (comm) " the state is field 3; starttime is field 22.
        for (int i = 3; i < 22 && fields >> field; ++i) {
        }
        double ticks = 0;
        if (!(fields >> ticks)) {
            return 0.0;
        }
        std::ifstream proc_stat("/proc/stat");
        std::string key;
        double boot = 0;
        while (proc_stat >> key) {
            if (key == "btime") {
                proc_stat >> boot;
                break;
            }
        }
        return boot + ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
    }();
    return value;
}

}  // namespace

prometheus::ClientMetric::Histogram metrics::to_histogram(const store::histogram_snapshot& h,
                                                          double scale) {
    prometheus::ClientMetric::Histogram out;
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < store::histogram_snapshot::buckets; ++i) {
        cumulative += h.counts[i];
        const double bound = h.bounds[i];
        out.bucket.push_back(
            {cumulative, bound == std::numeric_limits<double>::infinity() ? bound : bound * scale});
    }
    out.sample_count = h.count;
    out.sample_sum = h.sum * scale;
    return out;
}

std::vector<prometheus::MetricFamily> metrics::store_families(const store::commit_stats& s) {
    using prometheus::MetricType;
    std::vector<prometheus::MetricFamily> out;

    auto latency = family("smppgw_store_commit_latency_seconds",
                          "store commit() to durable callback (queueing, group wait, write, fsync)",
                          MetricType::Histogram);
    latency.metric.emplace_back().histogram = to_histogram(s.commit_latency_us, 1e-6);
    out.push_back(std::move(latency));

    auto write = family("smppgw_store_write_latency_seconds",
                        "One RocksDB group write (WAL append and memtable inserts; with "
                        "sync = always also its fsync)",
                        MetricType::Histogram);
    write.metric.emplace_back().histogram = to_histogram(s.write_latency_us, 1e-6);
    out.push_back(std::move(write));

    auto sync = family("smppgw_store_sync_latency_seconds",
                       "One WAL fsync of sync = batch, overlapped with the next group's write",
                       MetricType::Histogram);
    sync.metric.emplace_back().histogram = to_histogram(s.sync_latency_us, 1e-6);
    out.push_back(std::move(sync));

    auto batch =
        family("smppgw_store_batch_size", "Batches merged into one RocksDB write by group commit",
               MetricType::Histogram);
    batch.metric.emplace_back().histogram = to_histogram(s.group_size, 1.0);
    out.push_back(std::move(batch));

    auto commits = family("smppgw_store_commits_total",
                          "Batches committed, by result (ok; failed: the write failed; rejected: "
                          "refused before a write, store closed or queue full)",
                          MetricType::Counter);
    const auto write_failed = s.failed >= s.rejected ? s.failed - s.rejected : 0;
    commits.metric.push_back(counter_value(static_cast<double>(s.committed), {"result", "ok"}));
    commits.metric.push_back(
        counter_value(static_cast<double>(write_failed), {"result", "failed"}));
    commits.metric.push_back(
        counter_value(static_cast<double>(s.rejected), {"result", "rejected"}));
    out.push_back(std::move(commits));

    add_counter(out, "smppgw_store_group_writes_total", "RocksDB writes issued by group commit",
                s.groups);
    add_counter(out, "smppgw_store_syncs_total", "WAL fsyncs", s.syncs);
    add_counter(out, "smppgw_store_write_errors_total", "RocksDB writes that failed",
                s.write_errors);
    add_counter(out, "smppgw_store_resumes_total", "Successful recoveries after a write error",
                s.resumes);
    add_counter(out, "smppgw_store_operations_total", "Key operations written", s.operations);
    add_counter(out, "smppgw_store_written_bytes_total", "Encoded operation bytes written",
                s.bytes);
    add_counter(out, "smppgw_store_lookup_errors_total",
                "Policy lookups that failed and answered fail-safe", s.lookup_errors);

    auto queue = family("smppgw_store_commit_queue_depth", "Batches waiting for the committer",
                        MetricType::Gauge);
    queue.metric.push_back(gauge_value(static_cast<double>(s.queue_depth)));
    out.push_back(std::move(queue));
    return out;
}

std::vector<prometheus::MetricFamily> metrics::store_state_families(const store::store& db) {
    using prometheus::MetricType;
    std::vector<prometheus::MetricFamily> out;
    auto writable = family("smppgw_store_writable",
                           "1 while the store accepts writes; 0 after a failed write until writes "
                           "work again (submits get ESME_RSYSERR, /readyz says not ready)",
                           MetricType::Gauge);
    writable.metric.push_back(gauge_value(db.writable() ? 1 : 0));
    out.push_back(std::move(writable));
    if (const auto free = db.free_space()) {
        auto bytes = family("smppgw_store_free_bytes", "Free bytes on the store's file system",
                            MetricType::Gauge);
        bytes.metric.push_back(gauge_value(static_cast<double>(*free)));
        out.push_back(std::move(bytes));
    }
    auto threshold = family("smppgw_store_resume_min_free_bytes",
                            "Free bytes the store waits for before it resumes writes after a "
                            "failed one (store.resume_min_free_bytes)",
                            MetricType::Gauge);
    threshold.metric.push_back(
        gauge_value(static_cast<double>(db.options().resume_min_free_bytes)));
    out.push_back(std::move(threshold));
    auto unmatched = family("smppgw_receipts_unmatched",
                            "Carrier receipts kept because no message of ours has their carrier "
                            "id yet (GET /v1/receipts/unmatched)",
                            MetricType::Gauge);
    unmatched.metric.push_back(
        gauge_value(static_cast<double>(db.live().counts().unmatched_receipts)));
    out.push_back(std::move(unmatched));
    return out;
}

std::vector<prometheus::MetricFamily> metrics::process_families() {
    using prometheus::MetricType;
    std::vector<prometheus::MetricFamily> out;
    // The standard process_* names, so stock dashboards and alerts work unchanged.
    rusage usage{};
    if (getrusage(RUSAGE_SELF, &usage) == 0) {
        const auto seconds = [](const timeval& tv) {
            return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
        };
        auto cpu =
            family("process_cpu_seconds_total", "User plus system CPU time", MetricType::Counter);
        cpu.metric.push_back(counter_value(seconds(usage.ru_utime) + seconds(usage.ru_stime)));
        out.push_back(std::move(cpu));
    }
    std::ifstream statm("/proc/self/statm");
    long pages = 0;
    long resident = 0;
    if (statm >> pages >> resident) {
        const auto page = static_cast<double>(sysconf(_SC_PAGESIZE));
        auto rss = family("process_resident_memory_bytes", "Resident set size", MetricType::Gauge);
        rss.metric.push_back(gauge_value(static_cast<double>(resident) * page));
        out.push_back(std::move(rss));
        auto vsz = family("process_virtual_memory_bytes", "Virtual memory size", MetricType::Gauge);
        vsz.metric.push_back(gauge_value(static_cast<double>(pages) * page));
        out.push_back(std::move(vsz));
    }
    std::error_code ec;
    std::size_t fds = 0;
    for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
        ++fds;
    }
    auto open = family("process_open_fds", "Open file descriptors", MetricType::Gauge);
    open.metric.push_back(gauge_value(static_cast<double>(fds)));
    out.push_back(std::move(open));
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
        auto max = family("process_max_fds", "File descriptor limit", MetricType::Gauge);
        max.metric.push_back(gauge_value(static_cast<double>(limit.rlim_cur)));
        out.push_back(std::move(max));
    }
    auto start =
        family("process_start_time_seconds", "Process start as a Unix time", MetricType::Gauge);
    start.metric.push_back(gauge_value(process_start_time()));
    out.push_back(std::move(start));
    return out;
}

std::vector<prometheus::MetricFamily> metrics::collect(const store::store* db) {
    std::vector<prometheus::MetricFamily> extra;
    if (db != nullptr) {
        extra = store_families(db->stats());
        auto disk = family("smppgw_store_disk_bytes", "Live SST plus WAL bytes",
                           prometheus::MetricType::Gauge);
        disk.metric.push_back(gauge_value(static_cast<double>(db->disk_usage())));
        extra.push_back(std::move(disk));
        auto state = store_state_families(*db);
        extra.insert(extra.end(), std::make_move_iterator(state.begin()),
                     std::make_move_iterator(state.end()));
    }
    auto proc = process_families();
    auto out = registry_->Collect();
    out.insert(out.end(), std::make_move_iterator(extra.begin()),
               std::make_move_iterator(extra.end()));
    out.insert(out.end(), std::make_move_iterator(proc.begin()),
               std::make_move_iterator(proc.end()));
    return out;
}

}  // namespace smppgw::gateway
