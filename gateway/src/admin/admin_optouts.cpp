// Opt-outs through the admin API: look up, put, lift one (brand, number), and bulk import.
//
// A PUT or DELETE commits synchronously (store::commit_sync) before answering: when the API says
// 200 the change is durable and the next submit's policy check sees it. A new opt-out (PUT,
// import) also tells the core that the policy changed, so messages accepted before it are looked
// at again before their ESME_ROK and before a carrier gets them (acceptance.hpp). The admin
// server runs handlers on its own worker threads, so the blocking commit holds up no SMPP
// session. On a cluster the write is also published and the answer waits for the quorum (at
// most cluster.write_timeout; core::commit_shared), so a 200 means every node will refuse.

#include <fmt/format.h>
#include <boost/json.hpp>

#include "admin/admin_handlers.hpp"
#include "admin/admin_routes.hpp"
#include "admin/admin_support.hpp"
#include "daemon/core.hpp"

namespace smppgw::gateway {
namespace {

namespace json = boost::json;
using namespace admin;

struct target {
    std::string brand;
    std::string msisdn;
};

target target_of(const route_match& m) {
    target t{m.params.at("brand"), m.params.at("msisdn")};
    check_brand(t.brand, true);
    check_msisdn("msisdn", t.msisdn);
    return t;
}

std::optional<policy::optout_record> read_optout(core& c, const target& t, std::string_view brand) {
    auto r = c.db().get_optout(brand, t.msisdn);
    if (!r) {
        throw api_error(503, "store read failed: " + r.error().message());
    }
    return std::move(*r);
}

json::value or_null(const std::optional<policy::optout_record>& r) {
    return r ? json::value(to_json(*r)) : json::value(nullptr);
}

http_response get_optout(core& c, const route_match& m) {
    check_query(m, {"history"});
    const auto t = target_of(m);
    const auto own = read_optout(c, t, t.brand);
    std::optional<policy::optout_record> all;
    if (t.brand != policy::all_brands) {
        all = read_optout(c, t, policy::all_brands);
    }
    json::object out{{"brand", t.brand},
                     {"msisdn", t.msisdn},
                     {"opted_out", own.has_value() || all.has_value()},
                     {"optout", or_null(own)},
                     {"all_brands", or_null(all)}};
    if (query_bool(m, "history", true)) {
        auto h = c.db().optout_history(t.brand, t.msisdn);
        if (!h) {
            throw api_error(503, "store read failed: " + h.error().message());
        }
        json::array events;
        for (const auto& e : *h) {
            events.push_back(to_json(e));
        }
        out["history"] = std::move(events);
    }
    return json_response(200, out);
}

http_response put_optout(core& c, const admin_request& r, const route_match& m) {
    check_query(m, {});
    const auto t = target_of(m);
    const auto body = read_json_object(r, {"keyword", "reference", "when"}, true);
    policy::optout_record rec;
    rec.brand = t.brand;
    rec.msisdn = t.msisdn;
    rec.source = policy::record_source::api;
    rec.keyword = string_member(body, "keyword").value_or("");
    rec.reference = string_member(body, "reference").value_or("admin-api");
    if (const auto when = string_member(body, "when")) {
        const auto parsed = parse_time(*when);
        if (!parsed) {
            throw api_error(400, fmt::format("when: not an ISO 8601 time such as "
                                             "2024-05-01T12:00:00Z, got \"{}\"",
                                             *when));
        }
        rec.when = *parsed;
    } else {
        rec.when = c.db().now();
    }
    if (rec.keyword.size() > store::batch::max_key_part ||
        rec.reference.size() > store::batch::max_key_part) {
        throw api_error(400, "keyword and reference are at most 512 bytes");
    }
    const bool existed = read_optout(c, t, t.brand).has_value();
    store::batch b;
    b.put_optout(rec);
    if (const auto ec = c.commit_shared(std::move(b), {cluster::change::optout_put(rec)})) {
        throw api_error(ec == store::store_errc::invalid_argument ? 400 : 503,
                        "store write failed: " + ec.message());
    }
    // The lookups see the opt-out now (the commit updated the index); the epoch moves after
    // that, so a recheck that sees the new epoch also sees the opt-out.
    c.policy_changed();
    return json_response(existed ? 200 : 201,
                         json::object{{"opted_out", true}, {"optout", to_json(rec)}});
}

http_response delete_optout(core& c, const admin_request& r, const route_match& m) {
    check_query(m, {});
    const auto t = target_of(m);
    const auto body = read_json_object(r, {"reference"}, true);
    const auto reference = string_member(body, "reference").value_or("admin-api");
    const auto current = read_optout(c, t, t.brand);
    if (!current) {
        std::string message =
            fmt::format("no opt-out for brand \"{}\" and number {}", t.brand, t.msisdn);
        if (t.brand != policy::all_brands && read_optout(c, t, policy::all_brands)) {
            message += fmt::format(
                "; an all-brands opt-out (STOPALL) exists: DELETE "
                "/v1/optouts/*/{}",
                t.msisdn);
        }
        throw api_error(404, message);
    }
    store::batch b;
    const auto now = c.db().now();
    b.lift_optout(t.brand, t.msisdn, now, policy::record_source::api, reference);
    if (const auto ec = c.commit_shared(
            std::move(b), {cluster::change::optout_lift(t.brand, t.msisdn, now,
                                                        policy::record_source::api, reference)})) {
        throw api_error(ec == store::store_errc::invalid_argument ? 400 : 503,
                        "store write failed: " + ec.message());
    }
    return json_response(200, json::object{{"lifted", true}, {"previous", to_json(*current)}});
}

http_response import_optouts(core& c, const admin_request& r, const route_match& m) {
    auto o = import_options_for(r, m);
    c.share_imports(o);
    body_streambuf buf(r);
    std::istream in(&buf);
    const auto rep = store::import_optouts(c.db(), in, o);
    if (!o.dry_run && rep.imported > 0) {
        c.policy_changed();  // as for a PUT, once the rows are in the lookups
    }
    return import_response(rep, o, buf);
}

}  // namespace

void register_optout_routes(admin_router& router, core& c) {
    router.add("GET", "/v1/optouts/{brand}/{msisdn}", true,
               [&c](const admin_request&, const route_match& m) { return get_optout(c, m); });
    router.add("PUT", "/v1/optouts/{brand}/{msisdn}", true,
               [&c](const admin_request& r, const route_match& m) { return put_optout(c, r, m); });
    router.add(
        "DELETE", "/v1/optouts/{brand}/{msisdn}", true,
        [&c](const admin_request& r, const route_match& m) { return delete_optout(c, r, m); });
    router.add(
        "POST", "/v1/optouts/import", true,
        [&c](const admin_request& r, const route_match& m) { return import_optouts(c, r, m); });
}

}  // namespace smppgw::gateway
