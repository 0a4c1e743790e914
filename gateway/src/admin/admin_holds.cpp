// Review holds through the admin API: list them, look at one, release one.
//
// An ambiguous STOP ("Don't stop the deals!") holds the brand's promotional traffic to the
// number until someone decides (COMPLIANCE.md). The MO relay places holds; an operator who has
// read the MO releases one here. A release is committed synchronously together with an audit
// record saying who released it, so when the API answers 200 the hold is gone for good (a
// restart does not bring it back) and the audit trail shows both ends of it. Releasing makes
// the policy more permissive, so, unlike a new opt-out, it needs no recheck of queued messages.

#include <fmt/format.h>
#include <boost/json.hpp>

#include "admin/admin_handlers.hpp"
#include "admin/admin_routes.hpp"
#include "admin/admin_support.hpp"
#include "daemon/core.hpp"
#include "infra/log.hpp"

namespace smppgw::gateway {
namespace {

namespace json = boost::json;
using namespace admin;

constexpr std::size_t default_hold_limit = 1000;
constexpr std::size_t max_hold_limit = 10'000;

json::object to_json(const policy::hold_record& h) {
    return json::object{{"brand", h.brand},
                        {"msisdn", h.msisdn},
                        {"since", format_time(h.since)},
                        {"reference", h.reference},
                        {"text", h.text}};
}

struct target {
    std::string brand;
    std::string msisdn;
};

target target_of(const route_match& m) {
    target t{m.params.at("brand"), m.params.at("msisdn")};
    check_brand(t.brand, false);
    check_msisdn("msisdn", t.msisdn);
    return t;
}

policy::hold_record existing_hold(core& c, const target& t) {
    auto h = c.db().get_hold(t.brand, t.msisdn);
    if (!h) {
        throw api_error(404, fmt::format("no review hold for brand \"{}\" and number {}", t.brand,
                                         t.msisdn));
    }
    return std::move(*h);
}

http_response list_holds(core& c, const route_match& m) {
    check_query(m, {"limit"});
    const auto limit = query_size(m, "limit", default_hold_limit, max_hold_limit);
    // One more than asked tells whether the page is complete.
    auto holds = c.db().list_holds(limit + 1);
    const bool truncated = holds.size() > limit;
    if (truncated) {
        holds.resize(limit);
    }
    json::array list;
    for (const auto& h : holds) {
        list.push_back(to_json(h));
    }
    return json_response(200, json::object{{"count", list.size()},
                                           {"truncated", truncated},
                                           {"holds", std::move(list)}});
}

http_response get_hold(core& c, const route_match& m) {
    check_query(m, {});
    const auto t = target_of(m);
    return json_response(200, json::object{{"hold", to_json(existing_hold(c, t))}});
}

http_response release_hold(core& c, const admin_request& r, const route_match& m) {
    check_query(m, {});
    const auto t = target_of(m);
    const auto body = read_json_object(r, {"released_by"}, true);
    const auto by = string_member(body, "released_by").value_or("admin-api");
    if (by.empty() || by.size() > store::batch::max_key_part ||
        by.find('\0') != std::string::npos) {
        throw api_error(400, "released_by: must be 1-512 bytes without NUL");
    }
    const auto previous = existing_hold(c, t);
    store::audit_record audit;
    audit.when = c.db().now();
    audit.msisdn = t.msisdn;
    audit.account = by;  // who decided: the audit's actor for an operator's release
    audit.brand = t.brand;
    audit.check = "review_hold";
    audit.verdict = store::audit_verdict::accept;
    audit.reason = "hold_released";
    store::batch b;
    b.release_hold(t.brand, t.msisdn);
    b.put_audit(audit);
    if (const auto ec = c.db().commit_sync(std::move(b))) {
        throw api_error(ec == store::store_errc::invalid_argument ? 400 : 503,
                        "store write failed: " + ec.message());
    }
    log::info("admin API: review hold of brand {} on {} released by {}", t.brand, t.msisdn, by);
    return json_response(
        200, json::object{{"released", true}, {"released_by", by}, {"hold", to_json(previous)}});
}

}  // namespace

void register_hold_routes(admin_router& router, core& c) {
    router.add("GET", "/v1/holds", true,
               [&c](const admin_request&, const route_match& m) { return list_holds(c, m); });
    router.add("GET", "/v1/holds/{brand}/{msisdn}", true,
               [&c](const admin_request&, const route_match& m) { return get_hold(c, m); });
    router.add(
        "DELETE", "/v1/holds/{brand}/{msisdn}", true,
        [&c](const admin_request& r, const route_match& m) { return release_hold(c, r, m); });
}

}  // namespace smppgw::gateway
