#include "support/gateway_env.hpp"

#include <fmt/format.h>

#include <sstream>
#include <stdexcept>

#include "smppgw/gateway/auth.hpp"

namespace smppgw::test {

gateway_env::gateway_env(gateway_options o)
    : options(std::move(o)), password_hash_(smppgw::gateway::hash_password(account_password)) {
    if (options.carriers.empty()) {
        throw std::invalid_argument("at least one carrier");
    }
    for (const auto& name : options.carriers) {
        auto& sim = sims[name];
        const auto port_file = dir.path() / (name + ".port");
        sim.record = dir.path() / (name + ".record");
        std::vector<std::string> argv{SMSC_SIM_BINARY,
                                      "--port",
                                      "0",
                                      "--port-file",
                                      port_file.string(),
                                      "--record",
                                      sim.record.string(),
                                      "--record-text",
                                      "--receipt-delay",
                                      "20ms"};
        argv.insert(argv.end(), options.sim_args.begin(), options.sim_args.end());
        sim.process = std::make_unique<child_process>(argv, dir.path() / (name + ".log"));
        wait_until(
            [&] {
                if (!sim.process->running()) {
                    throw std::runtime_error("smsc-sim exited: " + sim.process->log());
                }
                const auto text = read_file(port_file);
                if (text.empty() || text.back() != '\n') {
                    return false;
                }
                sim.port = static_cast<std::uint16_t>(std::stoul(text));
                return true;
            },
            10s, "smsc-sim " + name + " to listen");
    }
    if (options.routes.empty()) {
        options.routes = fmt::format("[[routes]]\nprefix = \"\"\ncarriers = [\"{}\"]\n",
                                     options.carriers.front());
    }
    config_path = dir.path() / "smppgw.toml";
    write_file(config_path, config_text(options.routes));
    gateway = std::make_unique<child_process>(
        std::vector<std::string>{SMPPGW_BINARY, "run", "--config", config_path.string()},
        dir.path() / "smppgw.log");
    smpp_port = static_cast<std::uint16_t>(std::stoul(
        gateway->wait_for_log(std::regex(R"(listening for SMPP on 127\.0\.0\.1:(\d+))"), 30s)));
    admin_port = static_cast<std::uint16_t>(std::stoul(gateway->wait_for_log(
        std::regex(R"(admin API and /metrics on http://127\.0\.0\.1:(\d+))"), 30s)));
    // Ready: every carrier bound (readyz says ready once one is; check each).
    wait_until(
        [&] {
            const auto reply = open_client().get("/readyz");
            if (reply.status != 200) {
                return false;
            }
            const auto doc = reply.json();
            for (const auto& c : doc.at("carriers").as_array()) {
                if (!c.at("up").as_bool()) {
                    return false;
                }
            }
            return true;
        },
        30s, "smppgw /readyz with every carrier up");
}

gateway_env::~gateway_env() {
    if (gateway) {
        (void)gateway->stop(15s);
    }
    for (auto& [name, sim] : sims) {
        (void)sim.process->stop(5s);
    }
}

std::string gateway_env::config_text(const std::string& routes) const {
    std::ostringstream c;
    c << "[server]\nthreads = 2\nnode_id = 7\nshutdown_grace = \"2s\"\n\n";
    c << "[[listeners]]\nname = \"smpp\"\naddress = \"127.0.0.1:0\"\n\n";
    c << fmt::format(
        "[[accounts]]\nsystem_id = \"{}\"\npassword_hash = \"{}\"\nbrand = \"{}\"\n"
        "allowed_networks = [\"127.0.0.0/8\"]\nmo_numbers = [\"15550001000\"]\n"
        "max_outstanding = 512\n\n",
        account_id, password_hash_, options.brand);
    for (const auto& [name, sim] : sims) {
        c << fmt::format(
            "[[carriers]]\nname = \"{}\"\naddress = \"127.0.0.1:{}\"\nsystem_id = \"smppgw\"\n"
            "password = \"secret\"\nsessions = 1\nwindow = 32\nreconnect_min = \"100ms\"\n"
            "reconnect_max = \"1s\"\n\n",
            name, sim.port);
    }
    c << routes << "\n";
    c << fmt::format(
        "[store]\npath = \"{}\"\nsync = \"batch\"\n"
        "write_buffer_total_bytes = 8388608\nblock_cache_bytes = 8388608\n\n",
        (dir.path() / "store").string());
    c << fmt::format("[policy.data]\ndir = \"{}/etc/data\"\n\n", SMPPGW_SOURCE_DIR);
    c << "[policy.consent]\n" << options.consent << "\n\n";
    c << fmt::format("[admin]\naddress = \"127.0.0.1:0\"\ntoken = \"{}\"\n\n", admin_token);
    c << "[log]\n" << options.log << "\n\n";
    c << options.extra << "\n";
    return c.str();
}

void gateway_env::rewrite_routes(const std::string& routes) {
    write_file(config_path, config_text(routes));
}

std::vector<metric_sample> gateway_env::scrape() const {
    const auto reply = open_client().get("/metrics");
    if (reply.status != 200) {
        throw std::runtime_error("/metrics answered " + std::to_string(reply.status));
    }
    return parse_metrics(reply.body);
}

std::unique_ptr<esme> gateway_env::connect() const {
    auto e = std::make_unique<esme>(smpp_port);
    const auto status = e->bind(account_id, account_password);
    if (status != 0) {
        throw std::runtime_error("bind refused: " + std::to_string(status));
    }
    return e;
}

std::vector<std::string> recorded_texts(const std::filesystem::path& record) {
    std::vector<std::string> out;
    std::istringstream in(read_file(record));
    std::string line;
    while (std::getline(in, line)) {
        // system_id, message_id, source, destination, segment, content ("t:<text>")
        const auto tab = line.rfind('\t');
        if (tab != std::string::npos && line.compare(tab + 1, 2, "t:") == 0) {
            out.push_back(line.substr(tab + 3));
        }
    }
    return out;
}

}  // namespace smppgw::test
