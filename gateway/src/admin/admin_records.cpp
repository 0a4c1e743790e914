// Read-only views for operators: one message with its state history and policy decisions, and
// the audit log by number and time range.

#include <charconv>

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

constexpr std::size_t default_audit_limit = 1000;
constexpr std::size_t max_audit_limit = 10'000;
// Decisions about one message are looked up by its number from its receive time on; a number
// that got more than this many decisions since then is not scanned further.
constexpr std::size_t message_audit_scan = 2000;

store::message_id parse_id(const std::string& text) {
    store::message_id id = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || id == 0) {
        throw api_error(400, fmt::format("id: expected the decimal message id returned in "
                                         "submit_sm_resp, got \"{}\"",
                                         text));
    }
    return id;
}

http_response get_message(core& c, const route_match& m) {
    check_query(m, {});
    const auto id = parse_id(m.params.at("id"));
    // The audit trail is written off the acknowledgement path: let it catch up with what the
    // gateway has done so far, so the answer shows it.
    (void)c.db().await_materialized(std::chrono::seconds(1));
    auto r = c.db().get_message(id);
    if (!r) {
        throw api_error(503, "store read failed: " + r.error().message());
    }
    if (!*r) {
        throw api_error(
            404, fmt::format("no message {} (unknown, or past its retention)", m.params.at("id")));
    }
    const auto& rec = **r;
    auto out = to_json(rec);
    json::array decisions;
    if (!rec.msisdn.empty()) {
        // The admission decision and any re-evaluation at release (deferred messages).
        auto audit =
            c.db().audit_by_msisdn(rec.msisdn, rec.received - std::chrono::seconds(1),
                                   c.db().now() + std::chrono::seconds(1), message_audit_scan);
        if (audit) {
            for (const auto& a : *audit) {
                if (a.id == id) {
                    decisions.push_back(to_json(a));
                }
            }
        }
    }
    out["decisions"] = std::move(decisions);
    return json_response(200, out);
}

http_response get_audit(core& c, const route_match& m) {
    check_query(m, {"msisdn", "from", "to", "limit"});
    const auto now = c.db().now();
    const auto to = query_time(m, "to").value_or(now + std::chrono::seconds(1));
    const auto from = query_time(m, "from").value_or(to - std::chrono::hours(24));
    if (!(from < to)) {
        throw api_error(400, "from must be earlier than to");
    }
    const auto limit = query_size(m, "limit", default_audit_limit, max_audit_limit);
    std::string msisdn;
    if (const auto it = m.query.find("msisdn"); it != m.query.end()) {
        msisdn = it->second;
        check_msisdn("msisdn", msisdn);
    }
    (void)c.db().await_materialized(std::chrono::seconds(1));
    auto records = msisdn.empty() ? c.db().audit_by_time(from, to, limit)
                                  : c.db().audit_by_msisdn(msisdn, from, to, limit);
    if (!records) {
        throw api_error(503, "store read failed: " + records.error().message());
    }
    json::array list;
    for (const auto& a : *records) {
        list.push_back(to_json(a));
    }
    json::object out{{"from", format_time(from)},
                     {"to", format_time(to)},
                     {"msisdn", msisdn.empty() ? json::value(nullptr) : json::value(msisdn)},
                     {"count", list.size()},
                     // A full page: there may be more; ask again from the last record's time.
                     {"truncated", list.size() == limit},
                     {"records", std::move(list)}};
    return json_response(200, out);
}

}  // namespace

void register_record_routes(admin_router& router, core& c) {
    router.add("GET", "/v1/messages/{id}", true,
               [&c](const admin_request&, const route_match& m) { return get_message(c, m); });
    router.add("GET", "/v1/audit", true,
               [&c](const admin_request&, const route_match& m) { return get_audit(c, m); });
}

}  // namespace smppgw::gateway
