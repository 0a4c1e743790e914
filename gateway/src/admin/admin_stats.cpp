// GET /v1/stats: the numbers a sender judges a program by — submitted, delivered, failed, expired,
// the delivery rate, opt-outs and the opt-out rate per thousand delivered — per account, brand
// and campaign over a window of whole hours, from the store's hourly counters
// (store/traffic.hpp), so they survive restarts. Definitions: etc/openapi.yaml and
// docs/metrics.md.

#include <map>
#include <tuple>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "admin/admin_handlers.hpp"
#include "admin/admin_routes.hpp"
#include "admin/admin_support.hpp"
#include "daemon/core.hpp"
#include "infra/metrics.hpp"

namespace smppgw::gateway {
namespace {

namespace json = boost::json;
using namespace admin;

struct grouping {
    bool account = false;
    bool brand = false;
    bool campaign = false;
};

grouping parse_group_by(const route_match& m) {
    const auto it = m.query.find("group_by");
    if (it == m.query.end()) {
        return {true, true, false};
    }
    grouping g;
    std::string_view rest = it->second;
    while (!rest.empty()) {
        const auto comma = rest.find(',');
        const auto part = rest.substr(0, comma);
        if (part == "account") {
            g.account = true;
        } else if (part == "brand") {
            g.brand = true;
        } else if (part == "campaign") {
            g.campaign = true;
        } else {
            throw api_error(400, fmt::format("group_by: expected a comma-separated list of "
                                             "account, brand, campaign; got \"{}\"",
                                             it->second));
        }
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    }
    return g;
}

std::optional<std::string> query_name(const route_match& m, std::string_view key) {
    const auto it = m.query.find(key);
    if (it == m.query.end()) {
        return std::nullopt;
    }
    if (it->second.empty() || it->second.size() > store::batch::max_key_part ||
        it->second.find('\0') != std::string::npos) {
        throw api_error(400, fmt::format("{}: must be 1-512 bytes without NUL", key));
    }
    return it->second;
}

json::value ratio(std::uint64_t part, std::uint64_t whole, double scale) {
    if (whole == 0) {
        return nullptr;
    }
    return static_cast<double>(part) / static_cast<double>(whole) * scale;
}

json::object figures(const store::traffic_counts& c) {
    const auto submitted = c.finished();
    const auto failed = c.failed + c.undeliverable + c.rejected;
    return json::object{
        {"submitted", submitted},
        {"delivered", c.delivered},
        {"failed", failed},
        {"expired", c.expired},
        {"cancelled", c.cancelled},
        {"final_states", json::object{{"delivered", c.delivered},
                                      {"undeliverable", c.undeliverable},
                                      {"rejected", c.rejected},
                                      {"failed", c.failed},
                                      {"expired", c.expired},
                                      {"cancelled", c.cancelled}}},
        // Of the messages that had a delivery attempt: cancelled ones never did.
        {"delivery_rate", ratio(c.delivered, submitted - c.cancelled, 1.0)},
        {"opt_outs", c.opt_outs},
        {"opt_ins", c.opt_ins},
        {"help", c.help},
        {"opt_out_rate_per_thousand", ratio(c.opt_outs, c.delivered, 1000.0)},
    };
}

http_response get_stats(core& c, const route_match& m) {
    check_query(m, {"from", "to", "account", "brand", "campaign", "group_by"});
    const auto now = c.db().now();
    const auto to = store::ceil_hour(query_time(m, "to").value_or(now));
    const auto from =
        store::floor_hour(query_time(m, "from").value_or(to - std::chrono::hours(24)));
    if (!(from < to)) {
        throw api_error(400, "from must be earlier than to");
    }
    store::traffic_query q;
    q.from = from;
    q.to = to;
    q.account = query_name(m, "account");
    q.brand = query_name(m, "brand");
    q.campaign = query_name(m, "campaign");
    if (q.campaign == "none") {
        q.campaign = std::string();  // the label of messages without a campaign
    }
    const auto group = parse_group_by(m);
    // Messages that finished just now are counted as the materializer writes them: let it
    // catch up, so the answer includes what the gateway has done so far.
    (void)c.db().await_materialized(std::chrono::seconds(1));
    auto rows = c.db().traffic(q);
    if (!rows) {
        throw api_error(503, "store read failed: " + rows.error().message());
    }
    using group_key = std::tuple<std::string, std::string, std::string>;
    std::map<group_key, store::traffic_counts> groups;
    store::traffic_counts total;
    for (const auto& r : *rows) {
        groups[{group.account ? r.key.account : std::string(),
                group.brand ? r.key.brand : std::string(),
                group.campaign ? r.key.campaign : std::string()}]
            .add(r.counts);
        total.add(r.counts);
    }
    json::array list;
    for (const auto& [key, counts] : groups) {
        json::object o;
        if (group.account) {
            o["account"] = std::get<0>(key);
        }
        if (group.brand) {
            o["brand"] = std::get<1>(key);
        }
        if (group.campaign) {
            o["campaign"] = metrics::campaign_label(std::get<2>(key));
        }
        for (auto& [k, v] : figures(counts)) {
            o[k] = std::move(v);
        }
        list.push_back(std::move(o));
    }
    json::array by;
    for (const auto& [on, name] : {std::pair{group.account, "account"},
                                   std::pair{group.brand, "brand"},
                                   std::pair{group.campaign, "campaign"}}) {
        if (on) {
            by.emplace_back(name);
        }
    }
    return json_response(200, json::object{{"from", format_time(from)},
                                           {"to", format_time(to)},
                                           {"group_by", std::move(by)},
                                           {"groups", std::move(list)},
                                           {"total", figures(total)}});
}

}  // namespace

void register_stats_routes(admin_router& router, core& c) {
    router.add("GET", "/v1/stats", true,
               [&c](const admin_request&, const route_match& m) { return get_stats(c, m); });
}

}  // namespace smppgw::gateway
