#include "loadgen/gen_options.hpp"

#include <fstream>
#include <iostream>

#include <fmt/format.h>
#include <boost/program_options.hpp>

namespace smppgw::bench::loadgen {

namespace po = boost::program_options;

namespace {

constexpr unsigned help_columns = 100;

constexpr const char* intro =
    "smppgw-bench: SMPP load generator (ESME). Binds N sessions, submits at a target rate or as\n"
    "fast as the windows allow, waits for delivery receipts, and reports throughput, latency\n"
    "percentiles (submit -> submit_sm_resp, submit -> receipt) and errors by command_status.\n"
    "\n"
    "Counts and rates are in submit_sm PDUs: a 3-part long message is 3 submits. Durations take\n"
    "a unit (500ms, 20s, 2m). Shares are 0..1 or percentages (5%).\n";

// A few populous US area codes across all four mainland time zones.
const std::vector<std::uint16_t> default_area_codes = {
    212, 718, 917, 201, 617, 215, 202, 305, 404, 312, 773, 214,
    713, 512, 303, 602, 801, 415, 213, 310, 206, 503, 702, 808,
};

std::vector<std::uint16_t> parse_area_codes(const std::string& text) {
    std::vector<std::uint16_t> out;
    for (const auto& item : split_list(text)) {
        const auto v = parse_unsigned(item, "--area-codes");
        if (v < 200 || v > 999) {
            throw usage_error(fmt::format("--area-codes: '{}' is not a NANP area code", item));
        }
        out.push_back(static_cast<std::uint16_t>(v));
    }
    return out;
}

// One NPA per line, or a CSV whose first column is the NPA (etc/data/nanp/area_codes.csv);
// lines that do not start with three digits (comments, headers) are skipped. `region_prefix`
// keeps only rows whose second column starts with it ("US-").
std::vector<std::uint16_t> load_area_codes(const std::string& path,
                                           const std::string& region_prefix) {
    std::ifstream in(path);
    if (!in) {
        throw usage_error(fmt::format("--area-codes-file: cannot read '{}'", path));
    }
    std::vector<std::uint16_t> out;
    std::string line;
    while (std::getline(in, line)) {
        if (line.size() < 3 || line.find_first_not_of("0123456789") < 3) {
            continue;
        }
        if (!region_prefix.empty()) {
            const auto comma = line.find(',');
            if (comma == std::string::npos ||
                line.compare(comma + 1, region_prefix.size(), region_prefix) != 0) {
                continue;
            }
        }
        out.push_back(static_cast<std::uint16_t>(std::stoi(line.substr(0, 3))));
    }
    if (out.empty()) {
        throw usage_error(fmt::format("--area-codes-file: no area codes in '{}'", path));
    }
    return out;
}

std::vector<std::string> load_destinations(const std::string& path) {
    std::ifstream in(path);
    if (!in) {
        throw usage_error(fmt::format("--dest-file: cannot read '{}'", path));
    }
    std::vector<std::string> out;
    std::string line;
    while (std::getline(in, line)) {
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) {
            line.pop_back();
        }
        if (!line.empty() && line.front() == '+') {
            line.erase(0, 1);
        }
        if (line.empty() || line.front() == '#') {
            continue;
        }
        if (line.size() > 20 || line.find_first_not_of("0123456789") != std::string::npos) {
            throw usage_error(fmt::format("--dest-file: '{}' is not a phone number", line));
        }
        out.push_back(line);
    }
    if (out.empty()) {
        throw usage_error(fmt::format("--dest-file: no numbers in '{}'", path));
    }
    return out;
}

}  // namespace

std::optional<gen_config> parse_gen_options(int argc, char** argv) {
    gen_config c;
    std::string bind_type = "trx";
    std::string rate = "0";
    std::string duration;
    std::string receipts = "on";
    std::string drain_timeout = "30s";
    std::string response_timeout = "30s";
    std::string connect_timeout = "10s";
    std::string enquire_link = "30s";
    std::string area_codes;
    std::string area_codes_file;
    std::string area_region = "US-";
    std::string dest_file;
    std::string promo = "0";
    std::string optout_share = "0";
    std::string optout_range = "12025550000:1000";
    std::string long_share = "0";
    std::string ucs2_share = "0";

    po::options_description conn("Connection", help_columns, help_columns / 2);
    conn.add_options()("help,h", "show this help and exit")(
        "host", po::value(&c.host)->default_value(c.host), "SMSC or gateway address")(
        "port", po::value(&c.port)->default_value(c.port), "SMPP port")(
        "system-id", po::value(&c.system_id)->default_value(c.system_id), "bind system_id")(
        "password", po::value(&c.password)->default_value(c.password), "bind password")(
        "system-type", po::value(&c.system_type)->default_value(c.system_type), "bind system_type")(
        "binds", po::value(&c.binds)->default_value(c.binds), "number of binds")(
        "bind-type", po::value(&bind_type)->default_value(bind_type),
        "tx, trx, or txrx (each bind is a TX + RX pair; receipts arrive on the RX)")(
        "window", po::value(&c.window)->default_value(c.window), "outstanding submit_sm per bind")(
        "threads", po::value(&c.threads)->default_value(c.threads),
        "I/O threads (one io_context each; binds spread round-robin)")(
        "connect-timeout", po::value(&connect_timeout)->default_value(connect_timeout),
        "keep retrying to connect and bind for this long at start")(
        "response-timeout", po::value(&response_timeout)->default_value(response_timeout),
        "a submit_sm without a response after this long counts as an error")(
        "enquire-link", po::value(&enquire_link)->default_value(enquire_link),
        "send enquire_link after this much silence (0 = never)");

    po::options_description load("Load", help_columns, help_columns / 2);
    load.add_options()(
        "rate", po::value(&rate)->default_value(rate),
        "target submit_sm per second over all binds (token bucket); 0 = as fast as possible")(
        "duration", po::value(&duration),
        "how long to submit (default 10s, or unlimited when --count is given)")(
        "count", po::value(&c.count)->default_value(0),
        "submit_sm to send (the last long message may overshoot by its remaining parts); "
        "0 = no limit")(
        "receipts", po::value(&receipts)->default_value(receipts),
        "on: registered_delivery 1 and wait for receipts; off: registered_delivery 0")(
        "drain-timeout", po::value(&drain_timeout)->default_value(drain_timeout),
        "after the last response, wait this long at most for outstanding receipts");

    po::options_description mix("Message mix", help_columns, help_columns / 2);
    mix.add_options()("source", po::value(&c.source)->default_value(c.source),
                      "source_addr (TON 1, NPI 1)")(
        "area-codes", po::value(&area_codes),
        "comma-separated NANP area codes destinations are drawn from (default: 24 large US "
        "ones over all time zones)")(
        "area-codes-file", po::value(&area_codes_file),
        "area codes from a file: one per line or CSV with the code first "
        "(etc/data/nanp/area_codes.csv)")(
        "area-region", po::value(&area_region)->default_value(area_region),
        "with --area-codes-file CSV: keep rows whose region starts with this ('' = all)")(
        "dest-file", po::value(&dest_file),
        "destinations from a file, one number per line (replaces generated numbers)")(
        "promo-share", po::value(&promo)->default_value(promo),
        "share of promotional messages (service_type MKT; the rest are TXN)")(
        "optout-share", po::value(&optout_share)->default_value(optout_share),
        "share of messages sent to numbers from --optout-range")(
        "optout-range", po::value(&optout_range)->default_value(optout_range),
        "the opted-out numbers: comma-separated numbers or BASE:COUNT ranges")(
        "export-optouts", po::value(&c.export_optouts),
        "write the --optout-range numbers to FILE, one per line, and exit (to seed a "
        "gateway's opt-out store)")(
        "long-share", po::value(&long_share)->default_value(long_share),
        "share of long messages, split with a UDH by the segmentation library")(
        "long-parts", po::value(&c.long_parts)->default_value(c.long_parts),
        "parts per long message (2-10)")("ucs2-share",
                                         po::value(&ucs2_share)->default_value(ucs2_share),
                                         "share of messages in UCS-2 (non-GSM text)");

    po::options_description out("Output", help_columns, help_columns / 2);
    out.add_options()("json", po::value(&c.json_path), "write the report as JSON to FILE")(
        "svg", po::value(&c.svg_path),
        "write a chart of throughput and p99 latency per second to FILE")(
        "record", po::value(&c.record_path),
        "write one line per submit_sm_resp to FILE: status, message_id, destination, token "
        "(the #NNNNNNNNNN each message text carries)")("label", po::value(&c.label),
                                                       "free text carried into the reports")(
        "quiet", po::bool_switch(), "no progress line on stderr")(
        "seed", po::value(&c.seed)->default_value(0), "random seed (0 = from the clock)");

    po::options_description all;
    all.add(conn).add(load).add(mix).add(out);
    po::variables_map vm;
    po::store(po::command_line_parser(argc, argv).options(all).run(), vm);
    if (vm.count("help") != 0) {
        std::cout << intro << '\n' << all << '\n';
        return std::nullopt;
    }
    po::notify(vm);

    if (bind_type == "tx") {
        c.mode = bind_mode::tx;
    } else if (bind_type == "trx") {
        c.mode = bind_mode::trx;
    } else if (bind_type == "txrx") {
        c.mode = bind_mode::txrx;
    } else {
        throw usage_error(fmt::format("--bind-type: '{}' is not tx, trx or txrx", bind_type));
    }
    if (c.binds == 0 || c.binds > 10000) {
        throw usage_error("--binds must be between 1 and 10000");
    }
    if (c.window == 0 || c.window > 65536) {
        throw usage_error("--window must be between 1 and 65536");
    }
    if (c.threads == 0 || c.threads > 64) {
        throw usage_error("--threads must be between 1 and 64");
    }
    if (c.system_id.size() > 15 || c.password.size() > 8 || c.system_type.size() > 12) {
        throw usage_error("--system-id/--password/--system-type exceed 15/8/12 characters");
    }
    c.rate = parse_non_negative(rate, "--rate");
    if (vm.count("duration") != 0) {
        c.duration = parse_duration(duration, "--duration");
    } else if (c.count > 0) {
        c.duration = std::chrono::nanoseconds(0);
    }
    if (c.duration.count() == 0 && c.count == 0) {
        throw usage_error("give --duration, --count or both");
    }
    if (receipts == "on") {
        c.receipts = true;
    } else if (receipts == "off") {
        c.receipts = false;
    } else {
        throw usage_error(fmt::format("--receipts: '{}' is not on or off", receipts));
    }
    c.drain_timeout = parse_duration(drain_timeout, "--drain-timeout");
    c.response_timeout = parse_duration(response_timeout, "--response-timeout");
    c.connect_timeout = parse_duration(connect_timeout, "--connect-timeout");
    c.enquire_link = std::chrono::duration_cast<std::chrono::milliseconds>(
        parse_duration(enquire_link, "--enquire-link"));
    if (c.response_timeout < std::chrono::milliseconds(100)) {
        throw usage_error("--response-timeout must be at least 100ms");
    }
    if (c.source.empty() || c.source.size() > 20) {
        throw usage_error("--source must be 1 to 20 characters");
    }
    if (!area_codes.empty()) {
        c.area_codes = parse_area_codes(area_codes);
    } else if (!area_codes_file.empty()) {
        c.area_codes = load_area_codes(area_codes_file, area_region);
    } else {
        c.area_codes = default_area_codes;
    }
    if (!dest_file.empty()) {
        c.destinations = load_destinations(dest_file);
    }
    c.promo_share = parse_share(promo, "--promo-share");
    c.optout_share = parse_share(optout_share, "--optout-share");
    c.optouts = number_set::parse(optout_range, "--optout-range");
    c.long_share = parse_share(long_share, "--long-share");
    c.ucs2_share = parse_share(ucs2_share, "--ucs2-share");
    if (c.long_parts < 2 || c.long_parts > 10) {
        throw usage_error("--long-parts must be between 2 and 10");
    }
    if (c.long_parts > c.window) {
        // Not an error in principle, but a message's parts would wait on each other's responses.
        std::cerr << "smppgw-bench: note: --long-parts exceeds --window\n";
    }
    c.progress = !vm["quiet"].as<bool>();
    if (c.seed == 0) {
        c.seed =
            static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    }
    return c;
}

}  // namespace smppgw::bench::loadgen
