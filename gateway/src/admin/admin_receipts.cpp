// Unmatched receipts through the admin API: list them, drop one.
//
// A carrier receipt whose carrier message id no message of ours carries (yet) is never dropped
// in silence: after server.receipt_park_timeout in memory the receipt relay keeps it durably
// (bounded by server.max_unmatched_receipts) and applies it as soon as a mapping for its id
// appears (receipt_relay.hpp). What stays is an operator's decision: this lists what is kept,
// with the receipt's stat and err, and drops one for good (durable when the API answers).

#include <charconv>
#include <future>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "admin/admin_handlers.hpp"
#include "admin/admin_routes.hpp"
#include "admin/admin_support.hpp"
#include "daemon/core.hpp"
#include "infra/log.hpp"
#include "smppgw/smpp/codec.hpp"
#include "smppgw/smpp/message_view.hpp"

namespace smppgw::gateway {
namespace {

namespace json = boost::json;
using namespace admin;

constexpr std::size_t default_unmatched_limit = 1000;
constexpr std::size_t max_unmatched_limit = 10'000;

json::object to_json(const store::unmatched_receipt& u) {
    // The kept PDU as the carrier sent it; its id, stat and err are read from it for the
    // operator. The key it waits under is the normalized id (what matching compares), shown as
    // well since that is what a message's carrier id must come to.
    smpp::pdu p;
    const auto bytes =
        std::span(reinterpret_cast<const std::uint8_t*>(u.pdu.data()), u.pdu.size());
    const auto r = smpp::decode(bytes, p).ok() ? smpp::receipt_of(p) : std::nullopt;
    json::object o;
    o["entry"] = u.lsn;
    o["carrier"] = u.carrier;
    o["carrier_message_id"] = r ? json::value(r->id) : json::value(nullptr);
    o["match_key"] = u.carrier_message_id;
    o["when"] = format_time(u.when);
    o["stat"] = r ? json::value(r->stat) : json::value(nullptr);
    o["err"] = r ? json::value(r->err) : json::value(nullptr);
    return o;
}

store::lsn_t parse_entry(const std::string& text) {
    store::lsn_t entry = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), entry);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || entry == 0) {
        throw api_error(400, fmt::format("entry: expected the decimal entry of a listed unmatched "
                                         "receipt, got \"{}\"",
                                         text));
    }
    return entry;
}

http_response list_unmatched(core& c, const route_match& m) {
    check_query(m, {"limit"});
    const auto limit = query_size(m, "limit", default_unmatched_limit, max_unmatched_limit);
    auto kept = c.db().live().list_unmatched(limit + 1);
    const bool truncated = kept.size() > limit;
    if (truncated) {
        kept.resize(limit);
    }
    json::array list;
    for (const auto& u : kept) {
        list.push_back(to_json(u));
    }
    return json_response(200, json::object{{"count", list.size()},
                                           {"truncated", truncated},
                                           {"total", c.db().live().counts().unmatched_receipts},
                                           {"receipts", std::move(list)}});
}

http_response drop_unmatched(core& c, const route_match& m) {
    check_query(m, {});
    const auto entry = parse_entry(m.params.at("entry"));
    auto done = std::make_shared<std::promise<std::error_code>>();
    auto result = done->get_future();
    if (!c.db().live().drop_unmatched(entry,
                                      [done](std::error_code ec) { done->set_value(ec); })) {
        throw api_error(404, fmt::format("no unmatched receipt with entry {} (applied, dropped, "
                                         "or never kept)",
                                         entry));
    }
    // The admin API runs on its own workers: waiting for the journal holds up no session.
    if (const auto ec = result.get()) {
        throw api_error(503, "store write failed: " + ec.message());
    }
    log::info("admin API: unmatched receipt entry {} dropped by an operator", entry);
    return json_response(200, json::object{{"dropped", true}, {"entry", entry}});
}

}  // namespace

void register_receipt_routes(admin_router& router, core& c) {
    router.add("GET", "/v1/receipts/unmatched", true,
               [&c](const admin_request&, const route_match& m) { return list_unmatched(c, m); });
    router.add(
        "DELETE", "/v1/receipts/unmatched/{entry}", true,
        [&c](const admin_request&, const route_match& m) { return drop_unmatched(c, m); });
}

}  // namespace smppgw::gateway
