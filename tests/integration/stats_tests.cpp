// The numbers a sender watches, through the real daemon: known traffic (campaigns in the vendor
// TLV 0x1402, known receipts from the carrier) and known keyword MOs give exact counts in
// /metrics and exact figures and rates in GET /v1/stats, and the figures survive kill -9.

#include <boost/json.hpp>

#include "scenario.hpp"

using namespace smppgw::integration;
namespace smpp = smppgw::smpp;
namespace json = boost::json;

namespace {

constexpr const char* globex_number = "15550002000";
constexpr std::uint16_t tlv_campaign = 0x1402;

gateway_spec stats_spec(const fake_smsc& carrier) {
    auto spec = one_carrier_spec(carrier);
    spec.accounts[0].campaigns = {"spring", "fall"};
    account_spec globex;
    globex.system_id = "globex";
    globex.brand = "globex";
    globex.mo_numbers = {globex_number};
    spec.accounts.push_back(globex);
    return spec;
}

// One submit: its campaign (empty: no TLV) and the receipt the carrier gives it.
struct planned {
    std::string campaign;
    std::string stat;
};

// Submits every planned message from `from` (each to its own handset, from `first_handset` on,
// with a token in the text) and returns the tokens with the stat each one's receipt will carry.
std::map<std::string, std::string> submit_plan(test_esme& e, const std::string& from,
                                               const std::vector<planned>& plan,
                                               unsigned first_handset, const std::string& tag) {
    std::map<std::string, std::string> stat_by_token;
    std::vector<std::uint64_t> cookies;
    for (std::size_t i = 0; i < plan.size(); ++i) {
        const auto t = token(tag, static_cast<unsigned>(i));
        auto p = make_submit(from, handset(first_handset + static_cast<unsigned>(i)),
                             "Offer " + t + " today", 1);
        if (!plan[i].campaign.empty()) {
            std::string value = plan[i].campaign;
            value.push_back('\0');  // a C-Octet String
            p.tlvs.set_raw(tlv_campaign,
                           {reinterpret_cast<const std::uint8_t*>(value.data()), value.size()});
        }
        cookies.push_back(e.send(std::move(p)));
        stat_by_token[t] = plan[i].stat;
    }
    for (const auto c : cookies) {
        const auto r = e.wait_reply(c);
        REQUIRE(r.status() == smpp::status::ESME_ROK);
    }
    return stat_by_token;
}

json::object stats(const gateway_process& gw, const std::string& query) {
    const auto r = http_get(gw.admin_port(), "/v1/stats" + query, admin_token);
    INFO(r.body);
    REQUIRE(r.status == 200);
    return json::parse(r.body).as_object();
}

// The group of `doc` whose keys have these values.
json::object group(const json::object& doc, const std::map<std::string, std::string>& keys) {
    for (const auto& g : doc.at("groups").as_array()) {
        const auto& o = g.as_object();
        bool match = true;
        for (const auto& [k, v] : keys) {
            match = match && o.contains(k) && o.at(k).as_string() == v;
        }
        if (match) {
            return o;
        }
    }
    FAIL("no group " << json::serialize(json::value_from(keys)) << " in "
                     << json::serialize(doc));
    return {};
}

std::int64_t count(const json::object& g, const char* key) {
    return g.at(key).as_int64();
}

double rate(const json::object& g, const char* key) {
    return g.at(key).as_double();
}

bool has_series(const std::string& text, const std::string& name, const std::string& labels) {
    return text.find(name + "{" + labels + "}") != std::string::npos;
}

}  // namespace

TEST_CASE("delivery and opt-out figures: exact in /metrics and /v1/stats, and after kill -9",
          "[integration][stats]") {
    fake_smsc carrier;
    carrier.set_auto_receipts(false);  // the test decides every receipt
    gateway_process gw(stats_spec(carrier));
    gw.start();
    REQUIRE(gw.wait_ready());

    // Before any traffic, every series the config determines is there at zero.
    {
        const auto text = gw.metrics();
        CHECK(has_series(text, "smppgw_message_final_states_total",
                         R"(account="demo",brand="acme",campaign="spring",state="delivered")"));
        CHECK(has_series(text, "smppgw_message_decisions_total",
                         R"(account="globex",brand="globex",campaign="none",class="promotional",decision="rejected")"));
        CHECK(has_series(text, "smppgw_keyword_actions_total",
                         R"(action="record_optout",brand="acme")"));
        CHECK(metric_value(text, "smppgw_message_final_states_total") == 0);
        CHECK(metric_value(text, "smppgw_message_decisions_total") == 0);
    }

    test_esme demo(gw.smpp_port());
    bind_ok(demo, smpp::bind_type::transceiver);
    test_esme globex(gw.smpp_port());
    bind_ok(globex, smpp::bind_type::transceiver, "globex");

    // demo (brand acme): 10 messages over four campaign labels; globex: 4, all delivered.
    auto stat_by_token = submit_plan(demo, account_number,
                                     {{"spring", "DELIVRD"},
                                      {"spring", "DELIVRD"},
                                      {"spring", "DELIVRD"},
                                      {"spring", "UNDELIV"},
                                      {"fall", "DELIVRD"},
                                      {"fall", "EXPIRED"},
                                      {"winter", "DELIVRD"},  // not on the list: "other"
                                      {"winter", "DELIVRD"},
                                      {"", "DELIVRD"},
                                      {"", "REJECTD"}},
                                     0, "demo");
    const auto globex_stats = submit_plan(globex, globex_number,
                                          {{"", "DELIVRD"},
                                           {"", "DELIVRD"},
                                           {"spring", "DELIVRD"},  // not globex's: "other"
                                           {"", "DELIVRD"}},
                                          100, "globex");
    stat_by_token.insert(globex_stats.begin(), globex_stats.end());
    // One refused by the policy (an opted-out number): a decision, never a final state.
    REQUIRE(http_request(gw.admin_port(), "PUT", "/v1/optouts/acme/" + handset(99), admin_token)
                .status == 201);
    {
        auto p = make_submit(account_number, handset(99), "Offer to an opted-out number", 1);
        const std::string value = "spring";
        p.tlvs.set_raw(tlv_campaign,
                       {reinterpret_cast<const std::uint8_t*>(value.data()), value.size()});
        CHECK(demo.call(std::move(p)).status() == 0x410);
    }

    REQUIRE(carrier.wait([](auto v) { return v.answered_ok() >= 14; }));
    for (const auto& s : carrier.submits()) {
        carrier.send_receipt(s.carrier_id, stat_by_token.at(token_in(s.text)));
    }

    // Keyword MOs: to acme's number two new STOPs, one repeated, one HELP; a START to globex's.
    std::vector<std::size_t> mos{
        carrier.send_mo(handset(200), account_number, "STOP"),
        carrier.send_mo(handset(201), account_number, "STOP"),
        carrier.send_mo(handset(200), account_number, "STOP"),  // already opted out
        carrier.send_mo(handset(202), account_number, "HELP"),
        carrier.send_mo(handset(203), globex_number, "START"),
    };
    // One at a time would not be needed, but the repeated STOP must come after the first.
    REQUIRE(carrier.wait([&](auto v) {
        return std::all_of(mos.begin(), mos.end(),
                           [&](std::size_t i) { return v.deliveries()[i].acked; });
    }));
    // The replies smppgw sends itself (STOP and HELP confirmations) reach the carrier too; they
    // get receipts like any message, and must not count.
    REQUIRE(carrier.wait([](auto v) { return v.answered_ok() >= 14 + 3; }));
    for (const auto& s : carrier.submits()) {
        if (token_in(s.text).empty()) {
            carrier.send_receipt(s.carrier_id, "DELIVRD");
        }
    }

    const auto final_states = [&](const std::map<std::string, std::string>& labels) {
        return gw.metric("smppgw_message_final_states_total", labels);
    };
    REQUIRE(eventually([&] { return final_states({}) == 14; }));
    // Every receipt is journaled (the carrier heard ESME_ROK), the replies' included; /v1/stats
    // waits for the materializer to write what is journaled, and with it the metrics.
    REQUIRE(carrier.wait([](auto v) { return v.deliveries_acked() >= 5 + 14 + 3; }));
    (void)stats(gw, "");

    SECTION("/metrics") {
        const auto m = gw.metrics();
        const auto v = [&](const std::string& name,
                           const std::map<std::string, std::string>& labels) {
            return metric_value(m, name, labels);
        };
        CHECK(v("smppgw_message_final_states_total", {}) == 14);
        CHECK(v("smppgw_message_final_states_total",
                {{"account", "demo"}, {"campaign", "spring"}, {"state", "delivered"}}) == 3);
        CHECK(v("smppgw_message_final_states_total",
                {{"account", "demo"}, {"campaign", "spring"}, {"state", "undeliverable"}}) == 1);
        CHECK(v("smppgw_message_final_states_total",
                {{"account", "demo"}, {"campaign", "fall"}, {"state", "expired"}}) == 1);
        CHECK(v("smppgw_message_final_states_total",
                {{"account", "demo"}, {"campaign", "other"}, {"state", "delivered"}}) == 2);
        CHECK(v("smppgw_message_final_states_total",
                {{"account", "demo"}, {"campaign", "none"}, {"state", "rejected"}}) == 1);
        CHECK(v("smppgw_message_final_states_total",
                {{"brand", "acme"}, {"state", "delivered"}}) == 7);
        CHECK(v("smppgw_message_final_states_total",
                {{"brand", "globex"}, {"state", "delivered"}}) == 4);
        CHECK(v("smppgw_message_final_states_total",
                {{"account", "globex"}, {"campaign", "other"}}) == 1);

        CHECK(v("smppgw_message_decisions_total", {{"decision", "accepted"}}) == 14);
        CHECK(v("smppgw_message_decisions_total",
                {{"account", "demo"}, {"class", "transactional"}, {"campaign", "spring"},
                 {"decision", "accepted"}}) == 4);
        CHECK(v("smppgw_message_decisions_total",
                {{"account", "demo"}, {"campaign", "spring"}, {"decision", "rejected"}}) == 1);
        CHECK(v("smppgw_message_decisions_total", {{"decision", "rejected"}}) == 1);
        CHECK(v("smppgw_message_decisions_total", {{"decision", "deferred"}}) == 0);

        CHECK(v("smppgw_keyword_matches_total", {{"brand", "acme"}, {"kind", "opt_out"}}) == 3);
        CHECK(v("smppgw_keyword_matches_total", {{"brand", "acme"}, {"kind", "help"}}) == 1);
        CHECK(v("smppgw_keyword_matches_total", {{"brand", "globex"}, {"kind", "opt_in"}}) == 1);
        CHECK(v("smppgw_keyword_actions_total",
                {{"brand", "acme"}, {"action", "record_optout"}}) == 2);
        CHECK(v("smppgw_keyword_actions_total", {{"brand", "globex"}, {"action", "record_optout"}}) ==
              0);
    }

    // What /v1/stats must say, before and after a kill -9.
    const auto check_stats = [&] {
        INFO("log:\n" << gw.log_text().substr(0, 4000));
        const auto by_account = stats(gw, "");
        const auto acme = group(by_account, {{"account", "demo"}, {"brand", "acme"}});
        CHECK(count(acme, "submitted") == 10);
        CHECK(count(acme, "delivered") == 7);
        CHECK(count(acme, "failed") == 2);  // UNDELIV and REJECTD
        CHECK(count(acme, "expired") == 1);
        CHECK(count(acme, "cancelled") == 0);
        CHECK(acme.at("final_states").at("undeliverable").as_int64() == 1);
        CHECK(acme.at("final_states").at("rejected").as_int64() == 1);
        CHECK(rate(acme, "delivery_rate") == Approx(0.7).epsilon(1e-12));
        CHECK(count(acme, "opt_outs") == 2);
        CHECK(count(acme, "help") == 1);
        CHECK(count(acme, "opt_ins") == 0);
        CHECK(rate(acme, "opt_out_rate_per_thousand") == Approx(2000.0 / 7).epsilon(1e-12));
        const auto glx = group(by_account, {{"account", "globex"}, {"brand", "globex"}});
        CHECK(count(glx, "submitted") == 4);
        CHECK(count(glx, "delivered") == 4);
        CHECK(rate(glx, "delivery_rate") == 1.0);
        CHECK(count(glx, "opt_ins") == 1);
        CHECK(count(glx, "opt_outs") == 0);
        CHECK(rate(glx, "opt_out_rate_per_thousand") == 0.0);
        CHECK(by_account.at("groups").as_array().size() == 2);
        const auto& total = by_account.at("total").as_object();
        CHECK(count(total, "submitted") == 14);
        CHECK(count(total, "delivered") == 11);
        CHECK(rate(total, "opt_out_rate_per_thousand") == Approx(2000.0 / 11).epsilon(1e-12));

        const auto by_campaign = stats(gw, "?account=demo&group_by=campaign");
        CHECK(by_campaign.at("groups").as_array().size() == 4);
        const auto spring = group(by_campaign, {{"campaign", "spring"}});
        CHECK(count(spring, "submitted") == 4);
        CHECK(count(spring, "delivered") == 3);
        CHECK(rate(spring, "delivery_rate") == Approx(0.75).epsilon(1e-12));
        CHECK(count(group(by_campaign, {{"campaign", "fall"}}), "expired") == 1);
        CHECK(count(group(by_campaign, {{"campaign", "other"}}), "delivered") == 2);
        // Opt-outs are the brand's, not a campaign's: they sit with "none".
        const auto none = group(by_campaign, {{"campaign", "none"}});
        CHECK(count(none, "submitted") == 2);
        CHECK(count(none, "opt_outs") == 2);

        const auto one = stats(gw, "?campaign=none&group_by=");
        CHECK(one.at("group_by").as_array().empty());
        REQUIRE(one.at("groups").as_array().size() == 1);
        CHECK(count(one.at("groups").as_array()[0].as_object(), "submitted") == 5);  // 2 + 3

        // Nothing in a window an hour before everything happened.
        const auto past = stats(gw, "?from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z");
        CHECK(past.at("groups").as_array().empty());
        CHECK(count(past.at("total").as_object(), "submitted") == 0);
        CHECK(past.at("total").at("delivery_rate").is_null());
    };
    check_stats();

    SECTION("the figures survive kill -9 and go on from there") {
        gw.restart();
        REQUIRE(gw.wait_ready());
        check_stats();
        test_esme again(gw.smpp_port());
        bind_ok(again, smpp::bind_type::transceiver);
        const auto one_more = submit_plan(again, account_number, {{"spring", "DELIVRD"}}, 50,
                                          "after");
        REQUIRE(carrier.wait([](auto v) {
            return std::any_of(v.submits().begin(), v.submits().end(), [](const auto& s) {
                return token_in(s.text) == token("after", 0) && s.answered && *s.answered == 0;
            });
        }));
        for (const auto& s : carrier.submits()) {
            if (token_in(s.text) == token("after", 0)) {
                carrier.send_receipt(s.carrier_id, "DELIVRD");
            }
        }
        json::object doc;
        REQUIRE(eventually([&] {
            doc = stats(gw, "?account=demo&group_by=campaign");
            return count(doc.at("total").as_object(), "submitted") >= 11;
        }));
        CHECK(count(group(doc, {{"campaign", "spring"}}), "delivered") == 4);
        CHECK(count(doc.at("total").as_object(), "submitted") == 11);
    }
}
