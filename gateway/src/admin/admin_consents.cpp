// Consents through the admin API: current state (and evidence history) per brand and number,
// put one event, and bulk import.
//
// A PUT is one row of the import format run through the store's own importer in strict mode, so
// the API and bulk imports accept exactly the same fields and validate them the same way. The
// store folds events by effective time (batch::put_consent): an old event never overrides a
// newer one, so the answer carries the current state after the write, which may differ from
// what was sent.

#include <array>
#include <sstream>

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

constexpr policy::message_class all_classes[] = {policy::message_class::transactional,
                                                 policy::message_class::promotional,
                                                 policy::message_class::conversational};

void check_target(const std::string& brand, const std::string& msisdn) {
    check_brand(brand, false);
    check_msisdn("msisdn", msisdn);
}

policy::message_class class_of(const route_match& m) {
    const auto& name = m.params.at("class");
    const auto k = policy::parse_message_class(name);
    if (!k) {
        throw api_error(400, fmt::format("class: expected transactional, promotional or "
                                         "conversational, got \"{}\"",
                                         name));
    }
    return *k;
}

std::optional<policy::consent_record> read_consent(core& c, const std::string& brand,
                                                   const std::string& msisdn,
                                                   policy::message_class k) {
    auto r = c.db().get_consent(brand, msisdn, k);
    if (!r) {
        throw api_error(503, "store read failed: " + r.error().message());
    }
    return std::move(*r);
}

json::array history_of(core& c, const std::string& brand, const std::string& msisdn,
                       policy::message_class k) {
    auto h = c.db().consent_history(brand, msisdn, k);
    if (!h) {
        throw api_error(503, "store read failed: " + h.error().message());
    }
    json::array out;
    for (const auto& e : *h) {
        out.push_back(to_json(e));
    }
    return out;
}

http_response get_consents(core& c, const route_match& m) {
    check_query(m, {"history"});
    const auto& brand = m.params.at("brand");
    const auto& msisdn = m.params.at("msisdn");
    check_target(brand, msisdn);
    const bool history = query_bool(m, "history", false);
    json::array consents;
    for (const auto k : all_classes) {
        const auto rec = read_consent(c, brand, msisdn, k);
        if (!rec && !history) {
            continue;
        }
        json::object entry{{"class", policy::to_string(k)},
                           {"current", rec ? json::value(to_json(*rec)) : json::value(nullptr)}};
        if (history) {
            entry["history"] = history_of(c, brand, msisdn, k);
        }
        consents.push_back(std::move(entry));
    }
    return json_response(
        200, json::object{{"brand", brand}, {"msisdn", msisdn}, {"consents", std::move(consents)}});
}

http_response get_consent(core& c, const route_match& m) {
    check_query(m, {"history"});
    const auto& brand = m.params.at("brand");
    const auto& msisdn = m.params.at("msisdn");
    check_target(brand, msisdn);
    const auto k = class_of(m);
    const auto rec = read_consent(c, brand, msisdn, k);
    if (!rec) {
        throw api_error(404, fmt::format("no {} consent for brand \"{}\" and number {}",
                                         policy::to_string(k), brand, msisdn));
    }
    json::object out{{"consent", to_json(*rec)}};
    if (query_bool(m, "history", false)) {
        out["history"] = history_of(c, brand, msisdn, k);
    }
    return json_response(200, out);
}

http_response put_consent(core& c, const admin_request& r, const route_match& m) {
    check_query(m, {});
    const auto& brand = m.params.at("brand");
    const auto& msisdn = m.params.at("msisdn");
    check_target(brand, msisdn);
    const auto k = class_of(m);
    auto body =
        read_json_object(r,
                         {"brand", "msisdn", "class", "status", "type", "program", "granted",
                          "source", "proof", "proof_url", "ip", "user_agent", "double_opt_in",
                          "jurisdiction", "expires", "revoked", "revocation_channel"},
                         false);
    // The path names the record; the body may repeat it but not contradict it.
    const std::array<std::pair<std::string_view, std::string>, 3> named{
        {{"brand", brand}, {"msisdn", msisdn}, {"class", std::string(policy::to_string(k))}}};
    for (const auto& [key, value] : named) {
        const auto given = string_member(body, key);
        if (given && *given != value) {
            throw api_error(400, fmt::format("{}: the body says \"{}\" but the path says \"{}\"",
                                             key, *given, value));
        }
        body[key] = value;
    }
    for (const auto& member : body) {
        (void)string_member(body, member.key());  // every field is a string, as in imports
    }
    if (!string_member(body, "source")) {
        body["source"] = "api";
    }
    if (!string_member(body, "granted")) {
        body["granted"] = format_time(c.db().now());
    }
    std::istringstream row(json::serialize(body) + "\n");
    store::import_options o;
    o.format = store::file_format::jsonl;
    o.mode = store::import_mode::strict;
    o.chunk_rows = 1;
    c.share_imports(o);
    const auto rep = store::import_consents(c.db(), row, o);
    if (!rep.errors.empty()) {
        throw api_error(400, rep.errors.front().reason);
    }
    if (rep.error) {
        throw api_error(503, "store write failed: " + rep.error.message());
    }
    if (rep.imported != 1) {
        throw api_error(500, "the consent was not written");
    }
    const auto current = read_consent(c, brand, msisdn, k);
    return json_response(200, json::object{{"written", true},
                                           {"current", current ? json::value(to_json(*current))
                                                               : json::value(nullptr)}});
}

http_response import_consents(core& c, const admin_request& r, const route_match& m) {
    auto o = import_options_for(r, m);
    c.share_imports(o);
    body_streambuf buf(r);
    std::istream in(&buf);
    const auto rep = store::import_consents(c.db(), in, o);
    return import_response(rep, o, buf);
}

}  // namespace

void register_consent_routes(admin_router& router, core& c) {
    router.add("GET", "/v1/consents/{brand}/{msisdn}", true,
               [&c](const admin_request&, const route_match& m) { return get_consents(c, m); });
    router.add("GET", "/v1/consents/{brand}/{msisdn}/{class}", true,
               [&c](const admin_request&, const route_match& m) { return get_consent(c, m); });
    router.add("PUT", "/v1/consents/{brand}/{msisdn}/{class}", true,
               [&c](const admin_request& r, const route_match& m) { return put_consent(c, r, m); });
    router.add(
        "POST", "/v1/consents/import", true,
        [&c](const admin_request& r, const route_match& m) { return import_consents(c, r, m); });
}

}  // namespace smppgw::gateway
