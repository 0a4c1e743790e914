#pragma once
// The real smppgw daemon as a child process: a config written into a temporary directory (store,
// log and config live there), free loopback ports, readiness from the admin API, metrics, and
// kill -9 / restart on the same store.

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "process.hpp"

#ifndef SMPPGW_BINARY
#error "SMPPGW_BINARY must name the smppgw executable"
#endif

namespace smppgw::integration {

// The example config's demo account: password "demo1234".
inline constexpr const char* demo_password = "demo1234";
inline constexpr const char* demo_password_hash =
    "$y$j9T$0.Ro2GXJ9s/wwRT4ddtfd1$jUyoPQO8FTFA7jOJr/fbH.z3zQS12RdFDnNhKWY1EO7";
inline constexpr const char* admin_token = "integration-admin-token-0123456789";

struct account_spec {
    std::string system_id = "demo";
    std::vector<std::string> bind_types = {"transmitter", "receiver", "transceiver"};
    unsigned max_outstanding = 256;
    std::vector<std::string> mo_numbers;
    bool per_segment_receipts = false;
    unsigned deliver_window = 64;
};

struct carrier_spec {
    std::string name = "sim";
    std::uint16_t port = 0;
    unsigned sessions = 1;
    unsigned window = 16;
    std::string bind_mode = "trx";
    std::string response_timeout = "5s";
    std::string reconnect_min = "100ms";
    std::string reconnect_max = "400ms";
    std::string segmentation = "udh";
};

struct route_spec {
    std::string prefix;
    std::vector<std::string> carriers;
};

struct gateway_spec {
    std::vector<account_spec> accounts{account_spec{}};
    std::vector<carrier_spec> carriers;
    std::vector<route_spec> routes;  // empty: the default route over every carrier, in order
    std::string receipt_park_timeout = "2s";
    unsigned max_pending_messages = 500000;
    std::string session_init_timeout = "10s";
    std::string extra_toml;  // appended verbatim
};

inline std::string toml_list(const std::vector<std::string>& v) {
    std::string out = "[";
    for (std::size_t i = 0; i < v.size(); ++i) {
        out += (i == 0 ? "\"" : ", \"") + v[i] + "\"";
    }
    return out + "]";
}

inline std::string render_config(const gateway_spec& spec, std::uint16_t smpp_port,
                                 std::uint16_t admin_port, const std::filesystem::path& store) {
    std::string t;
    t += "[server]\nthreads = 2\nnode_id = 7\nshutdown_grace = \"2s\"\n";
    t += fmt::format("receipt_park_timeout = \"{}\"\nmax_pending_messages = {}\n\n",
                     spec.receipt_park_timeout, spec.max_pending_messages);
    t += fmt::format(
        "[[listeners]]\nname = \"smpp\"\naddress = \"127.0.0.1:{}\"\n"
        "session_init_timeout = \"{}\"\ninactivity_timeout = \"5m\"\n\n",
        smpp_port, spec.session_init_timeout);
    for (const auto& a : spec.accounts) {
        t += fmt::format(
            "[[accounts]]\nsystem_id = \"{}\"\npassword_hash = \"{}\"\nbrand = \"acme\"\n"
            "default_class = \"transactional\"\nbind_types = {}\nmax_binds = 8\n"
            "max_outstanding = {}\nallowed_networks = [\"127.0.0.0/8\"]\nmo_numbers = {}\n"
            "per_segment_receipts = {}\ndeliver_window = {}\n\n",
            a.system_id, demo_password_hash, toml_list(a.bind_types), a.max_outstanding,
            toml_list(a.mo_numbers), a.per_segment_receipts ? "true" : "false", a.deliver_window);
    }
    std::vector<std::string> names;
    for (const auto& c : spec.carriers) {
        names.push_back(c.name);
        t += fmt::format(
            "[[carriers]]\nname = \"{}\"\naddress = \"127.0.0.1:{}\"\nsystem_id = \"smppgw\"\n"
            "password = \"secret\"\nbind_mode = \"{}\"\nsessions = {}\nwindow = {}\n"
            "enquire_link_interval = \"30s\"\nresponse_timeout = \"{}\"\n"
            "reconnect_min = \"{}\"\nreconnect_max = \"{}\"\nsegmentation = \"{}\"\n\n",
            c.name, c.port, c.bind_mode, c.sessions, c.window, c.response_timeout, c.reconnect_min,
            c.reconnect_max, c.segmentation);
    }
    auto routes = spec.routes;
    if (routes.empty()) {
        routes.push_back({"", names});
    }
    for (const auto& r : routes) {
        t += fmt::format("[[routes]]\nprefix = \"{}\"\ncarriers = {}\n\n", r.prefix,
                         toml_list(r.carriers));
    }
    t += fmt::format("[store]\npath = \"{}\"\nsync = \"batch\"\n\n", store.string());
    t += fmt::format("[policy.data]\ndir = \"{}/etc/data\"\n\n", SMPPGW_SOURCE_DIR);
    t += "[policy.consent]\ntransactional_requires_consent = false\n\n";
    t += fmt::format("[admin]\naddress = \"127.0.0.1:{}\"\ntoken = \"{}\"\n\n", admin_port,
                     admin_token);
    t += "[log]\nlevel = \"info\"\nformat = \"text\"\n\n";
    t += spec.extra_toml;
    return t;
}

class gateway_process {
public:
    explicit gateway_process(gateway_spec spec) : spec_(std::move(spec)) {}

    [[nodiscard]] gateway_spec& spec() noexcept { return spec_; }
    [[nodiscard]] const std::filesystem::path& dir() const noexcept { return dir_.path(); }

    // Writes the config and starts the daemon; returns once its admin API answers /healthz.
    // Retries with fresh ports when a port turned out to be taken (parallel tests).
    void start() {
        for (int attempt = 0; attempt < 5; ++attempt) {
            smpp_port_ = free_port();
            admin_port_ = free_port();
            if (admin_port_ == smpp_port_) {
                continue;
            }
            const auto config = dir_ / "smppgw.toml";
            write_file(config, render_config(spec_, smpp_port_, admin_port_, dir_ / "store"));
            ++starts_;
            proc_ = std::make_unique<child_process>(
                std::vector<std::string>{SMPPGW_BINARY, "run", "--config", config.string()},
                dir_ / "smppgw.log");
            const bool up = eventually(
                [&] {
                    return !proc_->running() ||
                           http_get(admin_port_, "/healthz", {}, 1s).status == 200;
                },
                default_wait, 25ms);
            if (up && proc_->running()) {
                return;
            }
            proc_->kill_hard();
            const auto log = log_text();
            if (log.find("in use") == std::string::npos) {
                throw std::runtime_error("smppgw did not start:\n" + log);
            }
        }
        throw std::runtime_error("smppgw did not start (ports kept colliding):\n" + log_text());
    }

    // /readyz answers 200: the store is open and a carrier is bound.
    [[nodiscard]] bool wait_ready(std::chrono::milliseconds timeout = default_wait) {
        return eventually([&] { return http_get(admin_port_, "/readyz").status == 200; }, timeout,
                          25ms);
    }

    void kill_hard() {
        if (proc_) {
            proc_->kill_hard();
        }
    }
    // SIGTERM; true if it exited within the grace period.
    bool terminate() { return proc_ ? proc_->terminate() : true; }
    [[nodiscard]] bool running() { return proc_ && proc_->running(); }

    [[nodiscard]] std::uint16_t smpp_port() const noexcept { return smpp_port_; }
    [[nodiscard]] std::uint16_t admin_port() const noexcept { return admin_port_; }

    [[nodiscard]] std::string metrics() const { return http_get(admin_port_, "/metrics").body; }
    [[nodiscard]] double metric(const std::string& name,
                                const std::map<std::string, std::string>& labels = {}) const {
        return metric_value(metrics(), name, labels);
    }
    // Waits for a metric to reach at least `value` (metrics lag the events they count).
    bool wait_metric_at_least(const std::string& name,
                              const std::map<std::string, std::string>& labels, double value,
                              std::chrono::milliseconds timeout = default_wait) const {
        return eventually([&] { return metric(name, labels) >= value; }, timeout, 50ms);
    }
    [[nodiscard]] std::string log_text() const { return read_file(dir_ / "smppgw.log"); }

private:
    gateway_spec spec_;
    temp_dir dir_{"smppgw-integ"};
    std::uint16_t smpp_port_ = 0;
    std::uint16_t admin_port_ = 0;
    int starts_ = 0;
    std::unique_ptr<child_process> proc_;
};

}  // namespace smppgw::integration
