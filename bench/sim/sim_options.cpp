#include "sim/sim_options.hpp"

#include <iostream>

#include <fmt/format.h>
#include <boost/program_options.hpp>

#include "common/cli.hpp"

namespace smppgw::bench::sim {

namespace po = boost::program_options;

namespace {

constexpr unsigned help_columns = 100;

constexpr const char* intro =
    "smsc-sim: a carrier SMSC simulator (SMPP 3.4 server) for load tests and drills.\n"
    "\n"
    "Accepts any number of binds, answers submit_sm/data_sm/submit_multi after a configurable\n"
    "latency, sends delivery receipts to RX/TRX binds of the submitting system_id (queued while\n"
    "none is bound), injects MO traffic and faults, and prints a stats line on exit and on\n"
    "SIGUSR1. Stop it with SIGINT or SIGTERM.\n"
    "\n"
    "Durations take a unit: 0, 250us, 20ms, 1.5s, 2m. Latency specs: DURATION,\n"
    "uniform:LOW:HIGH, or lognormal:MEDIAN:P99. Shares are 0..1 or percentages (5%).\n"
    "Number lists: comma-separated numbers or BASE:COUNT ranges (12125550000:1000).\n";

smpp::message_state parse_state(const std::string& name) {
    const auto s = smpp::message_state_from_stat(name);
    if (!s || smpp::stat_text(*s) != name) {
        throw usage_error(fmt::format(
            "--outcomes: '{}' is not a stat word (DELIVRD, UNDELIV, EXPIRED, REJECTD, DELETED, "
            "UNKNOWN, ACCEPTD, ENROUTE)",
            name));
    }
    return *s;
}

receipt_variant parse_variant(const std::string& name) {
    if (name == "canonical") {
        return receipt_variant::canonical;
    }
    if (name == "upper-text") {
        return receipt_variant::upper_text;
    }
    if (name == "no-sub-dlvrd") {
        return receipt_variant::no_sub_dlvrd;
    }
    if (name == "payload") {
        return receipt_variant::payload;
    }
    throw usage_error(fmt::format(
        "--receipt-variants: '{}' is not canonical, upper-text, no-sub-dlvrd or payload", name));
}

}  // namespace

std::optional<sim_config> parse_sim_options(int argc, char** argv) {
    sim_config c;
    std::string ack_latency = "0";
    std::string receipt_delay = "100ms";
    std::string id_style_name = "decimal";
    std::string outcomes = "DELIVRD=1";
    std::string variants = "canonical=1";
    std::string throttle_share = "0";
    std::string throttle_window;
    std::string disconnect_every = "0";
    std::string slow_share = "0";
    std::string slow_latency = "2s";
    std::string garbage_share = "0";
    std::string garbage_kind_name = "frame";
    std::string mo_rate = "0";
    std::string mo_mix = "STOP=0.05,START=0.02,HELP=0.03,text=0.9";
    std::string mo_from = "12125550000:10000";
    std::string mo_to = "18005550100";
    std::string stats_interval = "0";
    std::string enquire_link = "30s";
    std::string system_id;
    std::string password;
    std::string mo_system_id;

    po::options_description general("General", help_columns, help_columns / 2);
    general.add_options()("help,h", "show this help and exit")(
        "host", po::value(&c.listen_host)->default_value(c.listen_host), "address to listen on")(
        "port", po::value(&c.listen_port)->default_value(c.listen_port),
        "TCP port to listen on (0 = any free port; see --port-file)")(
        "port-file", po::value(&c.port_file),
        "write the port actually listened on to FILE once listening")(
        "threads", po::value(&c.threads)->default_value(c.threads),
        "I/O threads (one io_context each; connections spread round-robin)")(
        "system-id", po::value(&system_id), "accept binds only with this system_id (default: any)")(
        "password", po::value(&password), "accept binds only with this password (default: any)")(
        "own-system-id", po::value(&c.own_system_id)->default_value(c.own_system_id),
        "system_id returned in bind responses")(
        "enquire-link", po::value(&enquire_link)->default_value(enquire_link),
        "send enquire_link after this much silence (0 = never)")(
        "stats-interval", po::value(&stats_interval)->default_value(stats_interval),
        "also print the stats line this often (0 = only on exit and SIGUSR1)")(
        "seed", po::value(&c.seed)->default_value(0), "random seed (0 = from the clock)");

    po::options_description submit("Submits and receipts", help_columns, help_columns / 2);
    submit.add_options()("ack-latency", po::value(&ack_latency)->default_value(ack_latency),
                         "delay before each submit_sm_resp (latency spec)")(
        "id-style", po::value(&id_style_name)->default_value(id_style_name),
        "message ids: decimal, hex or uuid")("no-receipts", po::bool_switch(),
                                             "never send delivery receipts")(
        "receipt-delay", po::value(&receipt_delay)->default_value(receipt_delay),
        "delay from submit_sm_resp to the receipt (latency spec)")(
        "outcomes", po::value(&outcomes)->default_value(outcomes),
        "final states and weights, e.g. DELIVRD=0.95,UNDELIV=0.03,EXPIRED=0.01,REJECTD=0.01")(
        "receipt-variants", po::value(&variants)->default_value(variants),
        "receipt text variants and weights: canonical, upper-text (\"Text:\"), no-sub-dlvrd, "
        "payload (text in message_payload)")(
        "no-receipt-tlvs", po::bool_switch(),
        "omit receipted_message_id/message_state/network_error_code: the text is all there is")(
        "dlr-window", po::value(&c.dlr_window)->default_value(c.dlr_window),
        "outstanding deliver_sm per receiver bind")(
        "record", po::value(&c.record_path),
        "append one line per accepted message to FILE (system_id, id, source, destination, "
        "segment, content hash)")("record-text", po::bool_switch(&c.record_text),
                                  "with --record: write the decoded text instead of its hash");

    po::options_description faults("Fault injection", help_columns, help_columns / 2);
    faults.add_options()("throttle-share",
                         po::value(&throttle_share)->default_value(throttle_share),
                         "share of submits answered ESME_RTHROTTLED")(
        "throttle-window", po::value(&throttle_window),
        "EVERY:LENGTH, e.g. 30s:5s: the last LENGTH of every EVERY throttles every submit")(
        "disconnect-every", po::value(&disconnect_every)->default_value(disconnect_every),
        "drop every connection (TCP close, no unbind) this often (0 = never)")(
        "slow-share", po::value(&slow_share)->default_value(slow_share),
        "share of submits answered after --slow-latency instead of --ack-latency")(
        "slow-latency", po::value(&slow_latency)->default_value(slow_latency),
        "latency spec for slow responses")("garbage-share",
                                           po::value(&garbage_share)->default_value(garbage_share),
                                           "share of responses preceded by injected garbage")(
        "garbage-kind", po::value(&garbage_kind_name)->default_value(garbage_kind_name),
        "frame: a well-framed PDU with a reserved command_id (peer should generic_nack and go "
        "on); bytes: 16 random octets (breaks framing; peer should close)");

    po::options_description mo("Mobile-originated messages", help_columns, help_columns / 2);
    mo.add_options()("mo-rate", po::value(&mo_rate)->default_value(mo_rate),
                     "MO deliver_sm per second, over all receivers")(
        "mo-mix", po::value(&mo_mix)->default_value(mo_mix),
        "MO texts and weights; each name is sent verbatim, except 'text' = free-text samples")(
        "mo-from", po::value(&mo_from)->default_value(mo_from), "MO source numbers")(
        "mo-to", po::value(&mo_to)->default_value(mo_to),
        "MO destination numbers (the short codes / long codes the gateway's accounts own)")(
        "mo-system-id", po::value(&mo_system_id),
        "queue MOs for this system_id even while it has no receiver (default: spread over "
        "bound receivers, skip when none)");

    po::options_description all;
    all.add(general).add(submit).add(faults).add(mo);
    po::variables_map vm;
    po::store(po::command_line_parser(argc, argv).options(all).run(), vm);
    if (vm.count("help") != 0) {
        std::cout << intro << '\n' << all << '\n';
        return std::nullopt;
    }
    po::notify(vm);

    if (c.threads == 0 || c.threads > 64) {
        throw usage_error("--threads must be between 1 and 64");
    }
    if (c.dlr_window == 0 || c.dlr_window > 65536) {
        throw usage_error("--dlr-window must be between 1 and 65536");
    }
    if (vm.count("system-id") != 0) {
        c.system_id = system_id;
    }
    if (vm.count("password") != 0) {
        c.password = password;
    }
    if (vm.count("mo-system-id") != 0) {
        c.mo_system_id = mo_system_id;
    }
    c.ack_latency = latency_spec::parse(ack_latency, "--ack-latency");
    c.receipt_delay = latency_spec::parse(receipt_delay, "--receipt-delay");
    c.receipts = !vm["no-receipts"].as<bool>();
    c.receipt_tlvs = !vm["no-receipt-tlvs"].as<bool>();
    if (id_style_name == "decimal") {
        c.ids = id_style::decimal;
    } else if (id_style_name == "hex") {
        c.ids = id_style::hex;
    } else if (id_style_name == "uuid") {
        c.ids = id_style::uuid;
    } else {
        throw usage_error(
            fmt::format("--id-style: '{}' is not decimal, hex or uuid", id_style_name));
    }
    c.outcomes.clear();
    for (const auto& w : parse_weights(outcomes, "--outcomes")) {
        c.outcomes.push_back({parse_state(w.name), w.weight});
    }
    c.receipt_variants.clear();
    for (const auto& w : parse_weights(variants, "--receipt-variants")) {
        c.receipt_variants.emplace_back(parse_variant(w.name), w.weight);
    }
    c.throttle_share = parse_share(throttle_share, "--throttle-share");
    if (!throttle_window.empty()) {
        const auto colon = throttle_window.find(':');
        if (colon == std::string::npos) {
            throw usage_error(
                fmt::format("--throttle-window: '{}' is not EVERY:LENGTH", throttle_window));
        }
        c.throttle_every = parse_duration(throttle_window.substr(0, colon), "--throttle-window");
        c.throttle_length = parse_duration(throttle_window.substr(colon + 1), "--throttle-window");
        if (c.throttle_every.count() <= 0 || c.throttle_length > c.throttle_every) {
            throw usage_error("--throttle-window: need EVERY > 0 and LENGTH <= EVERY");
        }
    }
    c.disconnect_every = parse_duration(disconnect_every, "--disconnect-every");
    c.slow_share = parse_share(slow_share, "--slow-share");
    c.slow_latency = latency_spec::parse(slow_latency, "--slow-latency");
    c.garbage_share = parse_share(garbage_share, "--garbage-share");
    if (garbage_kind_name == "frame") {
        c.garbage = garbage_kind::frame;
    } else if (garbage_kind_name == "bytes") {
        c.garbage = garbage_kind::bytes;
    } else {
        throw usage_error(
            fmt::format("--garbage-kind: '{}' is not frame or bytes", garbage_kind_name));
    }
    c.mo_rate = parse_non_negative(mo_rate, "--mo-rate");
    for (const auto& w : parse_weights(mo_mix, "--mo-mix")) {
        if (w.name.size() > 70) {
            throw usage_error(fmt::format("--mo-mix: '{}' is longer than 70 characters", w.name));
        }
        c.mo_mix.push_back({w.name, w.name == "text", w.weight});
    }
    c.mo_from = number_set::parse(mo_from, "--mo-from");
    c.mo_to = number_set::parse(mo_to, "--mo-to");
    c.stats_interval = parse_duration(stats_interval, "--stats-interval");
    c.enquire_link = std::chrono::duration_cast<std::chrono::milliseconds>(
        parse_duration(enquire_link, "--enquire-link"));
    if (c.seed == 0) {
        c.seed =
            static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    }
    return c;
}

}  // namespace smppgw::bench::sim
