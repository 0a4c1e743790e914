#pragma once
// The real smppgw daemon for the security tests and drills, where gateway_process (gateway.hpp)
// is too fixed: the test writes the whole config (TLS listeners, client-certificate accounts,
// hostile-peer limits), may set environment variables (SMPPGW_FAULT_INJECTION_FILE), reads the
// process's RSS from /proc, sends SIGHUP, and restarts after kill -9 on the same ports and store.

#include <signal.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "gateway.hpp"
#include "process.hpp"

namespace smppgw::integration {

struct daemon_ports {
    std::uint16_t smpp = 0;
    std::uint16_t admin = 0;
};

// A config section for `[[accounts]]` with the demo password; `extra` lines go inside the table.
inline std::string account_toml(const std::string& system_id, const std::string& extra = {},
                                const std::string& hash = demo_password_hash) {
    return fmt::format(
        "[[accounts]]\nsystem_id = \"{}\"\npassword_hash = \"{}\"\nbrand = \"acme\"\n"
        "default_class = \"transactional\"\nallowed_networks = [\"127.0.0.0/8\"]\n{}\n",
        system_id, hash, extra);
}

// `[[carriers]]` named `name` at 127.0.0.1:port, one TRX session; `extra` goes inside the table.
struct carrier_timing {
    unsigned sessions = 1;
    unsigned window = 16;
    std::string response_timeout = "5s";
    std::string reconnect_min = "100ms";  // quick by default: tests wait for rebinds
    std::string reconnect_max = "400ms";
};
inline std::string carrier_toml(const std::string& name, std::uint16_t port,
                                const std::string& extra = {}, const carrier_timing& t = {}) {
    return fmt::format(
        "[[carriers]]\nname = \"{}\"\naddress = \"127.0.0.1:{}\"\nsystem_id = \"smppgw\"\n"
        "password = \"cPw7Qx9z\"\nbind_mode = \"trx\"\nsessions = {}\nwindow = {}\n"
        "enquire_link_interval = \"30s\"\nresponse_timeout = \"{}\"\n"
        "reconnect_min = \"{}\"\nreconnect_max = \"{}\"\n{}\n",
        name, port, t.sessions, t.window, t.response_timeout, t.reconnect_min, t.reconnect_max,
        extra);
}

// Everything but listeners, accounts and carriers: one default route over `carriers`, the store
// in `dir`, the admin API, logging at `log_level`.
inline std::string common_toml(const daemon_ports& ports, const std::filesystem::path& dir,
                               const std::vector<std::string>& carriers,
                               const std::string& log_level = "info",
                               const std::string& server_extra = {}) {
    std::string t;
    t += fmt::format(
        "[server]\nthreads = 2\nnode_id = 9\nshutdown_grace = \"2s\"\n"
        "receipt_park_timeout = \"2s\"\n{}\n",
        server_extra);
    t += fmt::format("[[routes]]\nprefix = \"\"\ncarriers = {}\n\n", toml_list(carriers));
    t += fmt::format("[store]\npath = \"{}\"\nsync = \"batch\"\n\n", (dir / "store").string());
    t += fmt::format("[policy.data]\ndir = \"{}/etc/data\"\n\n", SMPPGW_SOURCE_DIR);
    t += "[policy.consent]\ntransactional_requires_consent = false\n\n";
    t += fmt::format("[admin]\naddress = \"127.0.0.1:{}\"\ntoken = \"{}\"\n\n", ports.admin,
                     admin_token);
    t += fmt::format("[log]\nlevel = \"{}\"\nformat = \"text\"\n\n", log_level);
    return t;
}

class daemon_process {
public:
    // Renders the whole config for the given ports; `dir` holds store, config and log.
    using render_fn = std::function<std::string(const daemon_ports&, const std::filesystem::path&)>;

    explicit daemon_process(render_fn render, std::map<std::string, std::string> env = {})
        : render_(std::move(render)), env_(std::move(env)) {}
    ~daemon_process() { kill_hard(); }
    daemon_process(const daemon_process&) = delete;
    daemon_process& operator=(const daemon_process&) = delete;

    [[nodiscard]] const std::filesystem::path& dir() const noexcept { return dir_.path(); }
    [[nodiscard]] std::filesystem::path config_path() const { return dir_ / "smppgw.toml"; }

    // First start: picks free ports (retrying on collisions), writes the config, waits for
    // /healthz. Throws with the daemon's log when it does not come up.
    void start() {
        for (int attempt = 0; attempt < 5; ++attempt) {
            ports_.smpp = free_port();
            ports_.admin = free_port();
            if (ports_.smpp == ports_.admin) {
                continue;
            }
            if (launch()) {
                return;
            }
            if (log_text().find("in use") == std::string::npos) {
                throw std::runtime_error("smppgw did not start:\n" + log_text());
            }
        }
        throw std::runtime_error("smppgw did not start (ports kept colliding):\n" + log_text());
    }

    // After kill_hard(): the same ports, config and store.
    void restart() {
        kill_hard();
        if (!launch()) {
            throw std::runtime_error("smppgw did not restart:\n" + log_text());
        }
    }

    // Rewrites the config (same ports) without telling the daemon.
    void rewrite_config() { write_file(config_path(), render_(ports_, dir())); }

    // Rewrites the config and sends SIGHUP; true once the daemon counts a successful reload,
    // false when it refuses the new config (or never gets to it).
    bool reload() {
        const auto m = metrics();
        const double ok = metric_value(m, "smppgw_config_reloads_total", {{"result", "ok"}});
        const double failed =
            metric_value(m, "smppgw_config_reloads_total", {{"result", "failed"}});
        rewrite_config();
        ::kill(proc_->pid(), SIGHUP);
        bool done = false;
        eventually(
            [&] {
                const auto now = metrics();
                if (metric_value(now, "smppgw_config_reloads_total", {{"result", "ok"}}) > ok) {
                    done = true;
                    return true;
                }
                return metric_value(now, "smppgw_config_reloads_total", {{"result", "failed"}}) >
                       failed;
            },
            default_wait, 50ms);
        return done;
    }

    [[nodiscard]] bool wait_ready(std::chrono::milliseconds timeout = default_wait) {
        return eventually([&] { return http_get(ports_.admin, "/readyz").status == 200; }, timeout,
                          25ms);
    }

    void kill_hard() {
        if (proc_) {
            proc_->kill_hard();
        }
    }
    bool terminate() { return proc_ ? proc_->terminate() : true; }
    [[nodiscard]] bool running() { return proc_ && proc_->running(); }
    [[nodiscard]] pid_t pid() const { return proc_ ? proc_->pid() : -1; }

    [[nodiscard]] std::uint16_t smpp_port() const noexcept { return ports_.smpp; }
    [[nodiscard]] std::uint16_t admin_port() const noexcept { return ports_.admin; }
    [[nodiscard]] const daemon_ports& ports() const noexcept { return ports_; }

    // Resident set size in KiB from /proc/<pid>/status (0 if unreadable).
    [[nodiscard]] std::size_t rss_kib() const {
        if (!proc_) {
            return 0;
        }
        std::ifstream in("/proc/" + std::to_string(proc_->pid()) + "/status");
        std::string line;
        while (std::getline(in, line)) {
            if (line.rfind("VmRSS:", 0) == 0) {
                return std::stoul(line.substr(6));
            }
        }
        return 0;
    }
    // Open file descriptors of the daemon (sockets included).
    [[nodiscard]] std::size_t open_fds() const {
        if (!proc_) {
            return 0;
        }
        std::size_t n = 0;
        std::error_code ec;
        for (auto it = std::filesystem::directory_iterator(
                 "/proc/" + std::to_string(proc_->pid()) + "/fd", ec);
             !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
            ++n;
        }
        return n;
    }

    [[nodiscard]] std::string metrics() const { return http_get(ports_.admin, "/metrics").body; }
    [[nodiscard]] double metric(const std::string& name,
                                const std::map<std::string, std::string>& labels = {}) const {
        return metric_value(metrics(), name, labels);
    }
    bool wait_metric_at_least(const std::string& name,
                              const std::map<std::string, std::string>& labels, double value,
                              std::chrono::milliseconds timeout = default_wait) const {
        return eventually([&] { return metric(name, labels) >= value; }, timeout, 50ms);
    }
    [[nodiscard]] std::string log_text() const { return read_file(dir_ / "smppgw.log"); }

private:
    bool launch() {
        rewrite_config();
        std::vector<std::string> argv;
        if (!env_.empty()) {
            // env(1) sets the variables for the daemon only and execs it: same pid, and the
            // parent-death signal set before exec still applies.
            argv.push_back("/usr/bin/env");
            for (const auto& [k, v] : env_) {
                argv.push_back(k + "=" + v);
            }
        }
        argv.insert(argv.end(), {SMPPGW_BINARY, "run", "--config", config_path().string()});
        proc_ = std::make_unique<child_process>(argv, dir_ / "smppgw.log");
        const bool up = eventually(
            [&] {
                return !proc_->running() ||
                       http_get(ports_.admin, "/healthz", {}, 1s).status == 200;
            },
            default_wait, 25ms);
        if (up && proc_->running()) {
            return true;
        }
        proc_->kill_hard();
        return false;
    }

    render_fn render_;
    std::map<std::string, std::string> env_;
    temp_dir dir_{"smppgw-sec"};
    daemon_ports ports_;
    std::unique_ptr<child_process> proc_;
};

}  // namespace smppgw::integration
