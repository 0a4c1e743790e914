// Report renderings: JSON that parses and says what the table says, a well-formed SVG.

#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include "common/status_label.hpp"
#include "loadgen/report.hpp"
#include "loadgen/svg_chart.hpp"

using namespace smppgw::bench;
using namespace smppgw::bench::loadgen;

namespace {
run_report sample_report() {
    run_report r;
    r.label = "test \"quoted\"";
    r.target = "127.0.0.1:2776";
    r.bind_mode = "trx";
    r.binds = 4;
    r.connections = 4;
    r.window = 64;
    r.threads = 1;
    r.receipts_requested = true;
    r.send_seconds = 2.0;
    r.total_seconds = 2.5;
    r.receipt_seconds = 2.2;
    r.messages = r.submits = r.responses = 1000;
    r.responses_ok = 990;
    r.errors = 10;
    r.errors_by_status["ESME_RTHROTTLED"] = 10;
    r.receipts_expected = r.receipts_received = r.receipts_matched = 990;
    r.receipts_by_state["DELIVRD"] = 990;
    histogram h;
    for (std::uint64_t v = 1; v <= 1000; ++v) {
        h.record(v * 1'000'000);  // 1..1000 ms
    }
    r.response_latency = summarize(h);
    for (int s = 0; s < 3; ++s) {
        second_sample x;
        x.second = s;
        x.submits = x.responses = 500;
        x.receipts = 400;
        x.response_p99_ms = 2.5;
        x.receipt_p99_ms = 110;
        r.timeline.push_back(x);
    }
    return r;
}
}  // namespace

TEST_CASE("summarize reports milliseconds") {
    const auto r = sample_report();
    REQUIRE(r.response_latency.count == 1000);
    REQUIRE(r.response_latency.p50_ms == Approx(500).epsilon(0.01));
    REQUIRE(r.response_latency.p99_ms == Approx(990).epsilon(0.01));
    REQUIRE(r.response_latency.max_ms == Approx(1000));
}

TEST_CASE("JSON report parses and carries the numbers") {
    const auto r = sample_report();
    const auto v = boost::json::parse(format_json(r));
    const auto& o = v.as_object();
    REQUIRE(o.at("label").as_string() == "test \"quoted\"");
    REQUIRE(o.at("counts").at("submits").as_int64() == 1000);
    REQUIRE(o.at("throughput").at("submits_per_s").as_double() == Approx(500));
    REQUIRE(o.at("throughput").at("receipts_per_s").as_double() ==
            Approx(990 / 2.2).epsilon(0.001));
    REQUIRE(o.at("errors_by_status").at("ESME_RTHROTTLED").as_int64() == 10);
    REQUIRE(o.at("latency_ms").at("submit_resp").at("p99").as_double() ==
            Approx(990).epsilon(0.01));
    REQUIRE(o.at("timeline").as_array().size() == 3);
    REQUIRE(o.at("config").at("receipts").as_bool());
}

TEST_CASE("table names the figures") {
    const auto t = format_table(sample_report());
    REQUIRE(t.find("submits") != std::string::npos);
    REQUIRE(t.find("ESME_RTHROTTLED=10") != std::string::npos);
    REQUIRE(t.find("submit -> receipt") != std::string::npos);
}

TEST_CASE("SVG chart is one well-formed document with a line per series") {
    const auto svg = render_svg(sample_report());
    REQUIRE(svg.rfind("<svg ", 0) == 0);
    REQUIRE(svg.find("</svg>") == svg.size() - 7);
    std::size_t lines = 0;
    for (auto at = svg.find("<polyline"); at != std::string::npos;
         at = svg.find("<polyline", at + 1)) {
        ++lines;
    }
    REQUIRE(lines == 5);  // submits, responses, receipts; p99 resp, p99 receipt
    REQUIRE(svg.find("&quot;quoted&quot;") != std::string::npos);  // label escaped
}

TEST_CASE("axis steps are 1, 2 or 5 times a power of ten") {
    REQUIRE(nice_step(100, 5) == Approx(20));
    REQUIRE(nice_step(9, 10) == Approx(1));
    REQUIRE(nice_step(316000, 5) == Approx(100000));
    REQUIRE(nice_step(0.3, 5) == Approx(0.1));
    REQUIRE(nice_step(0, 5) == Approx(1));
}

TEST_CASE("statuses read by name: spec names, the gateway's policy reason codes, else hex") {
    CHECK(status_label(0x58) == "ESME_RTHROTTLED");
    CHECK(status_label(0x420) == "no_consent");
    CHECK(status_label(0x410) == "opted_out");
    CHECK(status_label(0x451) == "content_optout_missing");
    // In the vendor range but not one of the gateway's statuses, and a reserved code.
    CHECK(status_label(0x4FE) == "0x000004FE");
    CHECK(status_label(0x1234) == "0x00001234");
}
