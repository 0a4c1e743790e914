// The admin API endpoints (etc/openapi.yaml). Health and metrics are open (load balancers and
// Prometheus scrape them); everything else needs the bearer token. The route groups live in
// admin_optouts.cpp, admin_consents.cpp, admin_records.cpp, admin_ops.cpp, admin_stats.cpp,
// admin_holds.cpp and admin_receipts.cpp.

#include <prometheus/text_serializer.h>
#include <boost/json.hpp>
#include <fmt/format.h>

#include "admin/admin_handlers.hpp"
#include "admin/admin_routes.hpp"
#include "daemon/core.hpp"
#include "northbound/upstream_connection.hpp"

namespace smppgw::gateway {
namespace {

namespace http = boost::beast::http;
namespace json = boost::json;

// One Prometheus histogram in text form from the cluster's fixed-bound histogram.
void histogram_text(std::string& out, std::string_view name, std::string_view help,
                    const cluster::latency_histogram::snapshot& h) {
    out += fmt::format("# HELP {} {}\n# TYPE {} histogram\n", name, help, name);
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < cluster::latency_histogram::bounds.size(); ++i) {
        cumulative += h.counts[i];
        out += fmt::format("{}_bucket{{le=\"{}\"}} {}\n", name,
                           cluster::latency_histogram::bounds[i], cumulative);
    }
    cumulative += h.counts.back();
    out += fmt::format("{}_bucket{{le=\"+Inf\"}} {}\n{}_sum {}\n{}_count {}\n", name,
                       cumulative, name, h.sum, name, h.count);
}

// smppgw_cluster_* (cluster nodes only): the node's state, NATS connection, the mirror's lag
// and the propagation figures. Written from the node's snapshot at scrape time, next to the
// registry's families (the node's counters live in the cluster library, which has no
// Prometheus dependency).
std::string cluster_metrics(const cluster::node& n) {
    const auto s = n.snapshot();
    const auto& st = n.statistics();
    std::string out;
    auto gauge = [&](std::string_view name, std::string_view help, double v) {
        out += fmt::format("# HELP {} {}\n# TYPE {} gauge\n{} {}\n", name, help, name, name, v);
    };
    auto counter = [&](std::string_view name, std::string_view help, std::uint64_t v) {
        out += fmt::format("# HELP {} {}\n# TYPE {} counter\n{} {}\n", name, help, name, name, v);
    };
    // A family with one label: its header, then one sample per (label value, value).
    auto labeled = [&](std::string_view type, std::string_view name, std::string_view help,
                       std::string_view label, const auto& samples) {
        out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
        for (const auto& [value_of_label, v] : samples) {
            out += fmt::format("{}{{{}=\"{}\"}} {}\n", name, label, value_of_label, v);
        }
    };
    std::vector<std::pair<std::string_view, int>> states;
    for (auto st_ : {cluster::node_state::starting, cluster::node_state::ready,
                     cluster::node_state::degraded, cluster::node_state::stopped}) {
        states.emplace_back(cluster::to_string(st_), s.state == st_ ? 1 : 0);
    }
    labeled("gauge", "smppgw_cluster_state", "1 for the state this node is in.", "state", states);
    gauge("smppgw_cluster_degraded",
          "1 while the node serves from its local copy (NATS away, mirror or own changes behind).",
          s.state == cluster::node_state::degraded ? 1 : 0);
    gauge("smppgw_cluster_nats_connected", "1 while connected to a NATS server.",
          s.connected ? 1 : 0);
    counter("smppgw_cluster_nats_reconnects_total", "Reconnections to NATS.", s.reconnects);
    gauge("smppgw_cluster_nodes_seen", "Nodes with a live heartbeat, this one included.",
          static_cast<double>(s.nodes.size()));
    gauge("smppgw_cluster_pending_changes",
          "Compliance changes made here and durable locally, not yet acknowledged by the cluster.",
          static_cast<double>(s.pending_changes));
    std::vector<std::pair<std::string_view, double>> lags;
    for (const auto& m : s.mirrors) {
        lags.emplace_back(m.bucket, m.lag_seconds);
    }
    labeled("gauge", "smppgw_cluster_mirror_lag_seconds",
            "Age of the oldest change in a bucket not yet applied here (0: caught up).", "bucket",
            lags);
    std::vector<std::pair<std::string_view, std::uint32_t>> carrier_total;
    std::vector<std::pair<std::string_view, std::uint32_t>> carrier_limit;
    for (const auto& c : s.carriers) {
        carrier_total.emplace_back(c.carrier, c.total);
        carrier_limit.emplace_back(c.carrier, c.limit);
    }
    labeled("gauge", "smppgw_cluster_carrier_sessions",
            "A carrier's sessions (carriers[].sessions) added up over the live nodes.", "carrier",
            carrier_total);
    labeled("gauge", "smppgw_cluster_carrier_sessions_limit",
            "The sessions a carrier allows all nodes together (carriers[].cluster_sessions; 0: "
            "not set).",
            "carrier", carrier_limit);
    counter("smppgw_cluster_changes_published_total",
            "Compliance changes made here and acknowledged by a quorum.",
            st.count.changes_published.load());
    counter("smppgw_cluster_publish_failures_total",
            "Publishes not acknowledged within cluster.write_timeout (kept, retried).",
            st.count.publish_failures.load());
    counter("smppgw_cluster_changes_superseded_total",
            "Pending changes dropped because a newer change to the same key reached the bucket.",
            st.count.changes_superseded.load());
    counter("smppgw_cluster_changes_applied_total",
            "Changes from the buckets written into the local store.",
            st.count.changes_applied.load());
    counter("smppgw_cluster_changes_unreadable_total",
            "Bucket values this node could not read (skipped).",
            st.count.changes_unreadable.load());
    gauge("smppgw_cluster_sends_queued",
          "Frequency-cap counts made here not yet acknowledged by the send-count stream.",
          static_cast<double>(s.sends_queued));
    gauge("smppgw_cluster_remote_sends",
          "Sends counted by other nodes, held here for frequency caps (within the window).",
          static_cast<double>(s.remote_sends));
    counter("smppgw_cluster_sends_published_total",
            "Frequency-cap counts (+1 and -1) published by this node and acknowledged.",
            st.count.sends_published.load());
    counter("smppgw_cluster_sends_publish_failures_total",
            "Batches of frequency-cap counts not acknowledged in time (kept, retried).",
            st.count.sends_publish_failures.load());
    counter("smppgw_cluster_sends_received_total",
            "Frequency-cap counts of other nodes applied here.", st.count.sends_received.load());
    const std::pair<std::string_view, std::uint64_t> dropped[] = {
        {"queue", st.count.sends_dropped_queue.load()},
        {"remote", st.count.sends_dropped_remote.load()}};
    labeled("counter", "smppgw_cluster_sends_dropped_total",
            "Frequency-cap counts lost: not published (queue full while NATS was away) or not "
            "held (table full). Other nodes count fewer sends, never more.",
            "where", dropped);
    const std::pair<std::string_view, std::uint64_t> crossed[] = {
        {"handed_off", st.count.outbox_handed_off.load()},
        {"received", st.count.outbox_received.load()},
        {"refused", st.count.outbox_refused.load()},
        {"handoff_failed", st.count.outbox_handoff_failures.load()}};
    labeled("counter", "smppgw_cluster_outbox_entries_total",
            "Receipts and MOs crossing nodes through the outbox stream: handed off by this node "
            "(no receiver of the account bound here), received from it for a receiver bound "
            "here, refused (the receiver had just left), hand-offs not stored in time (retried).",
            "event", crossed);
    counter("smppgw_cluster_outbox_unreadable_total",
            "Outbox batches this node could not read (dropped, logged as errors).",
            st.count.outbox_unreadable.load());
    const std::pair<std::string_view, std::uint64_t> routes[] = {
        {"written", st.count.routes_written.load()}, {"failed", st.count.routes_failed.load()}};
    labeled("counter", "smppgw_cluster_receipt_routes_total",
            "Carrier message ids recorded as submitted by this node (cluster.receipt_routes), "
            "and those not recorded (a receipt for one arriving on another node then waits "
            "there as unmatched).",
            "result", routes);
    const std::pair<std::string_view, std::uint64_t> forwarded[] = {
        {"out", st.count.receipts_forwarded.load()}, {"in", st.count.receipts_received.load()}};
    labeled("counter", "smppgw_cluster_receipts_forwarded_total",
            "Carrier receipts that arrived on the wrong node's bind: forwarded by this node to "
            "the one that submitted the message (out), forwarded here by another node (in).",
            "direction", forwarded);
    counter("smppgw_cluster_sends_unreadable_total",
            "Batches of frequency-cap counts this node could not read (skipped).",
            st.count.sends_unreadable.load());
    histogram_text(out, "smppgw_cluster_send_propagation_seconds",
                   "A batch of frequency-cap counts published on another node until held here.",
                   st.send_propagation.read());
    histogram_text(out, "smppgw_cluster_propagation_seconds",
                   "A change published on another node until applied here (wall clocks).",
                   st.propagation.read());
    histogram_text(out, "smppgw_cluster_publish_seconds",
                   "A change published here until a quorum acknowledged it.", st.publish.read());
    return out;
}

http_response metrics_response(core& c) {
    // The core's sweep refreshes this every tick; a scrape must not report a stale state.
    c.stats().ready.Set(c.ready() ? 1 : 0);
    prometheus::TextSerializer serializer;
    http_response res{http::status::ok, 11};
    res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
    res.body() = serializer.Serialize(c.stats().collect(&c.db()));
    if (const auto* n = c.cluster_node()) {
        res.body() += cluster_metrics(*n);
    }
    return res;
}

json::object cluster_json(const core& c) {
    const auto* n = c.cluster_node();
    if (n == nullptr) {
        return json::object{{"enabled", false}, {"state", "disabled"}};
    }
    const auto s = n->snapshot();
    const auto& st = n->statistics();
    json::array mirrors;
    for (const auto& m : s.mirrors) {
        mirrors.push_back(json::object{{"bucket", m.bucket},
                                       {"applied_sequence", m.applied},
                                       {"last_sequence", m.last},
                                       {"lag_seconds", m.lag_seconds}});
    }
    json::array nodes;
    for (const auto& p : s.nodes) {
        nodes.push_back(json::object{{"name", p.name},
                                     {"node_id", p.node_id},
                                     {"state", p.state},
                                     {"version", p.version},
                                     {"heartbeat_ms", p.heartbeat_ms},
                                     {"started_ms", p.started_ms}});
    }
    json::array carriers;
    for (const auto& shares : s.carriers) {
        json::object by_node;
        for (const auto& [name, sessions] : shares.by_node) {
            by_node[name] = sessions;
        }
        carriers.push_back(json::object{{"name", shares.carrier},
                                        {"sessions", shares.total},
                                        {"limit", shares.limit},
                                        {"over_limit", shares.over},
                                        {"by_node", std::move(by_node)}});
    }
    json::array conflicts;
    for (const auto& x : s.conflicts) {
        conflicts.push_back(json::string(x));
    }
    json::array served;
    for (const auto& a : s.outbox_served) {
        served.push_back(json::string(a));
    }
    return json::object{{"enabled", true},
                        {"node", s.node},
                        {"state", cluster::to_string(s.state)},
                        {"nats",
                         json::object{{"connected", s.connected},
                                      {"server", s.server},
                                      {"reconnects", s.reconnects},
                                      {"last_error", s.last_error}}},
                        {"pending_changes", s.pending_changes},
                        {"mirrors", std::move(mirrors)},
                        {"frequency",
                         json::object{{"sends_queued", s.sends_queued},
                                      {"remote_sends", s.remote_sends},
                                      {"applied_sequence", s.sends_applied_sequence},
                                      {"last_sequence", s.sends_last_sequence},
                                      {"published", st.count.sends_published.load()},
                                      {"received", st.count.sends_received.load()},
                                      {"dropped", st.count.sends_dropped_queue.load() +
                                                      st.count.sends_dropped_remote.load()}}},
                        {"outbox",
                         json::object{{"served_accounts", std::move(served)},
                                      {"handed_off", st.count.outbox_handed_off.load()},
                                      {"received", st.count.outbox_received.load()},
                                      {"refused", st.count.outbox_refused.load()},
                                      {"unreadable", st.count.outbox_unreadable.load()},
                                      {"handoff_failures",
                                       st.count.outbox_handoff_failures.load()}}},
                        {"receipts",
                         json::object{{"routes_written", st.count.routes_written.load()},
                                      {"routes_failed", st.count.routes_failed.load()},
                                      {"forwarded", st.count.receipts_forwarded.load()},
                                      {"received", st.count.receipts_received.load()}}},
                        {"nodes", std::move(nodes)},
                        {"carriers", std::move(carriers)},
                        {"conflicts", std::move(conflicts)}};
}

}  // namespace

void register_admin_routes(admin_router& router, core& c) {
    router.add("GET", "/healthz", false, [](const admin_request&, const route_match&) {
        return json_response(200, json::object{{"status", "ok"}});
    });
    router.add("GET", "/readyz", false, [&c](const admin_request&, const route_match&) {
        json::object o;
        json::array carriers;
        for (const auto& car : c.carriers()) {
            carriers.push_back(json::object{{"name", car->name()},
                                            {"bound_sessions", car->bound_sessions()},
                                            {"up", car->up()}});
        }
        const bool ready = c.ready();
        o["ready"] = ready;
        // Not ready while the store refuses writes: say so, the carriers may all be up.
        o["store"] = c.db().writable() ? "open" : "refusing_writes";
        o["config_generation"] = c.generation();
        o["carriers"] = std::move(carriers);
        // A degraded cluster node still serves (from its local copy), so it stays ready for a
        // load balancer; the state tells the operator.
        if (const auto* n = c.cluster_node()) {
            o["cluster"] = std::string(cluster::to_string(n->state()));
        }
        return json_response(ready ? 200 : 503, o);
    });
    router.add("GET", "/v1/cluster", true, [&c](const admin_request&, const route_match&) {
        return json_response(200, cluster_json(c));
    });
    router.add("GET", "/metrics", false,
               [&c](const admin_request&, const route_match&) { return metrics_response(c); });
    router.add("GET", "/v1/binds", true, [&c](const admin_request&, const route_match&) {
        json::array binds;
        for (const auto& conn : c.connections()) {
            const auto i = conn->describe();
            binds.push_back(json::object{{"session", i.session_id},
                                         {"account", i.account},
                                         {"bind_type", i.bind_type},
                                         {"ip", i.ip},
                                         {"listener", i.listener},
                                         {"tls", i.tls},
                                         {"outstanding_submits", i.outstanding_submits},
                                         {"deliveries_in_flight", i.deliveries_in_flight},
                                         {"submits", i.submits}});
        }
        return json_response(200, json::object{{"binds", std::move(binds)}});
    });
    register_optout_routes(router, c);
    register_consent_routes(router, c);
    register_record_routes(router, c);
    register_ops_routes(router, c);
    register_stats_routes(router, c);
    register_hold_routes(router, c);
    register_receipt_routes(router, c);
}

}  // namespace smppgw::gateway
