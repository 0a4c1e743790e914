// Under load, with the project's own tools on both faces: smppgw-bench as the upstream (several
// binds, full windows) and smsc-sim as the carrier, recording what it accepted. Proves by joining
// the two records on each message's token that every submit the daemon acknowledged reached the
// carrier, and from the bench report that every receipt came back matched to our ids.

#include <boost/json.hpp>

#include <fstream>
#include <sstream>

#include "scenario.hpp"

#ifndef SMSC_SIM_BINARY
#error "SMSC_SIM_BINARY must name the smsc-sim executable"
#endif
#ifndef SMPPGW_BENCH_BINARY
#error "SMPPGW_BENCH_BINARY must name the smppgw-bench executable"
#endif

using namespace smppgw::integration;

namespace {

// smsc-sim on a port of its choosing (--port 0 --port-file).
class smsc_sim {
public:
    smsc_sim(const temp_dir& dir, std::vector<std::string> extra) : dir_(dir) {
        std::vector<std::string> argv{
            SMSC_SIM_BINARY, "--port", "0", "--port-file", (dir / "sim.port").string(),
            "--threads",     "1"};
        argv.insert(argv.end(), extra.begin(), extra.end());
        proc_ = std::make_unique<child_process>(argv, dir / "sim.log");
        REQUIRE(eventually([&] {
            const auto text = read_file(dir / "sim.port");
            if (text.empty() || !proc_->running()) {
                return !proc_->running();
            }
            port_ = static_cast<std::uint16_t>(std::stoul(text));
            return true;
        }));
        INFO(proc_->log_text());
        REQUIRE(port_ != 0);
    }
    [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
    // SIGTERM: the simulator flushes its record file and prints its stats line.
    void stop() { proc_->terminate(); }
    [[nodiscard]] std::string log_text() const { return proc_->log_text(); }

private:
    const temp_dir& dir_;
    std::unique_ptr<child_process> proc_;
    std::uint16_t port_ = 0;
};

std::vector<std::vector<std::string>> tsv(const std::filesystem::path& p) {
    std::vector<std::vector<std::string>> rows;
    std::ifstream in(p);
    std::string line;
    while (std::getline(in, line)) {
        std::vector<std::string> cols;
        std::istringstream ls(line);
        std::string col;
        while (std::getline(ls, col, '\t')) {
            cols.push_back(col);
        }
        rows.push_back(std::move(cols));
    }
    return rows;
}

// The bench's "#NNNNNNNNNN" token inside a recorded text.
std::string bench_token(const std::string& text) {
    const auto hash = text.find('#');
    if (hash == std::string::npos || hash + 11 > text.size()) {
        return {};
    }
    return text.substr(hash, 11);
}

// Runs smppgw-bench against a daemon whose carrier is smsc-sim with `sim_faults`, then joins
// the two records and reads the bench's report.
void load_scenario(const std::vector<std::string>& sim_faults, unsigned count,
                   const std::vector<std::string>& bench_extra, bool expect_exact) {
    temp_dir work("smppgw-load");
    std::vector<std::string> sim_args{"--record",
                                      (work / "sim.tsv").string(),
                                      "--record-text",
                                      "--receipt-delay",
                                      "5ms",
                                      "--ack-latency",
                                      "uniform:0ms:3ms"};
    sim_args.insert(sim_args.end(), sim_faults.begin(), sim_faults.end());
    smsc_sim sim(work, sim_args);

    gateway_spec spec;
    carrier_spec c;
    c.port = sim.port();
    c.sessions = 2;
    c.window = 64;
    spec.carriers.push_back(c);
    gateway_process gw(spec);
    gw.start();
    REQUIRE(gw.wait_ready());

    std::vector<std::string> argv{SMPPGW_BENCH_BINARY,
                                  "--port",
                                  std::to_string(gw.smpp_port()),
                                  "--system-id",
                                  "demo",
                                  "--password",
                                  demo_password,
                                  "--binds",
                                  "2",
                                  "--window",
                                  "32",
                                  "--count",
                                  std::to_string(count),
                                  "--receipts",
                                  "on",
                                  "--area-codes",
                                  "212,312,415",
                                  "--long-share",
                                  "0.05",
                                  "--ucs2-share",
                                  "0.1",
                                  "--drain-timeout",
                                  "30s",
                                  "--connect-timeout",
                                  "20s",
                                  "--quiet",
                                  "--record",
                                  (work / "bench.tsv").string(),
                                  "--json",
                                  (work / "bench.json").string()};
    argv.insert(argv.end(), bench_extra.begin(), bench_extra.end());
    child_process bench(argv, work / "bench.log");
    REQUIRE(eventually([&] { return !bench.running(); }, 120s, 50ms));
    INFO("bench output:\n" << bench.log_text());
    REQUIRE(bench.exit_status());
    CHECK(WIFEXITED(*bench.exit_status()));
    CHECK(WEXITSTATUS(*bench.exit_status()) == 0);
    sim.stop();
    INFO("smsc-sim output:\n" << sim.log_text());

    // Every ESME_ROK'd submit_sm (a part of a long message is a submit of its own) carried a
    // token; the simulator recorded the text of everything it accepted.
    std::set<std::string> acknowledged;
    std::size_t acknowledged_submits = 0;
    std::size_t refused = 0;
    for (const auto& row : tsv(work / "bench.tsv")) {
        REQUIRE(row.size() >= 4);
        if (row[0] == "ESME_ROK") {
            acknowledged.insert(row[3]);
            ++acknowledged_submits;
        } else {
            ++refused;
        }
    }
    std::map<std::string, unsigned> at_carrier;
    for (const auto& row : tsv(work / "sim.tsv")) {
        REQUIRE(row.size() >= 6);
        ++at_carrier[bench_token(row[5])];
    }
    INFO("acknowledged " << acknowledged_submits << " submits (" << acknowledged.size()
                         << " tokens), refused " << refused << ", carrier records "
                         << at_carrier.size() << ", duplicates " << duplicates(at_carrier));
    CHECK(acknowledged_submits >= count);
    CHECK(refused == 0);  // carrier faults stay behind the daemon
    std::vector<std::string> lost;
    for (const auto& t : acknowledged) {
        if (at_carrier.count(t) == 0) {
            lost.push_back(t);
        }
    }
    INFO("first lost token: " << (lost.empty() ? std::string("-") : lost.front()));
    CHECK(lost.empty());

    // The bench matched a final receipt to every message by the id we gave it.
    INFO("gateway log:\n" << gw.log_text());
    const auto report = boost::json::parse(read_file(work / "bench.json")).as_object();
    const auto& counts = report.at("counts").as_object();
    CHECK(counts.at("errors").to_number<double>() == 0);
    CHECK(counts.at("receipts_matched").to_number<double>() ==
          counts.at("receipts_expected").to_number<double>());
    CHECK(report.at("drain_complete").as_bool());
    if (!expect_exact) {
        // A submit the carrier took just before dropping the link is sent again: its second
        // carrier id brings a second receipt (counted unmatched by the bench), and a receipt for
        // an id whose submit_sm_resp was lost cannot be matched. Both are at-least-once.
        return;
    }
    CHECK(counts.at("receipts_unmatched").to_number<double>() == 0);
    CHECK(gw.metric("smppgw_receipt_match_failures_total") == 0);
    CHECK(gw.metric("smppgw_store_errors_total") == 0);
}

}  // namespace

TEST_CASE(
    "load through smsc-sim: every acknowledged submit reaches the carrier and its receipt "
    "comes back",
    "[integration][load]") {
    load_scenario({}, 5000, {}, true);
}

TEST_CASE("load through a faulty smsc-sim: disconnects and throttling lose nothing",
          "[integration][load]") {
    // The simulator drops every connection (no unbind) every 300 ms and throttles 5 % of
    // submits; the rate spreads the run over several disconnects. Duplicates are allowed
    // (at-least-once), losses are not.
    load_scenario({"--disconnect-every", "300ms", "--throttle-share", "0.05"}, 3000,
                  {"--rate", "1500"}, false);
}
