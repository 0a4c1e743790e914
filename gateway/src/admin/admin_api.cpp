// The admin API endpoints (etc/openapi.yaml). Health and metrics are open (load balancers and
// Prometheus scrape them); everything else needs the bearer token. The route groups live in
// admin_optouts.cpp, admin_consents.cpp, admin_records.cpp, admin_ops.cpp, admin_stats.cpp,
// admin_holds.cpp and admin_receipts.cpp.

#include <prometheus/text_serializer.h>
#include <boost/json.hpp>

#include "admin/admin_handlers.hpp"
#include "admin/admin_routes.hpp"
#include "daemon/core.hpp"
#include "northbound/upstream_connection.hpp"

namespace smppgw::gateway {
namespace {

namespace http = boost::beast::http;
namespace json = boost::json;

http_response metrics_response(core& c) {
    // The core's sweep refreshes this every tick; a scrape must not report a stale state.
    c.stats().ready.Set(c.ready() ? 1 : 0);
    prometheus::TextSerializer serializer;
    http_response res{http::status::ok, 11};
    res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
    res.body() = serializer.Serialize(c.stats().collect(&c.db()));
    return res;
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
        return json_response(ready ? 200 : 503, o);
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
