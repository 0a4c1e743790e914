#pragma once
// The real smppgw daemon as a child process: a config written into a temporary directory (store,
// log and config live there), free loopback ports, readiness from the admin API, metrics, and
// kill -9 / restart on the same store. daemon_process takes any config; gateway_process renders
// one from a gateway_spec.

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <functional>
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
    std::string brand = "acme";
    std::vector<std::string> bind_types = {"transmitter", "receiver", "transceiver"};
    unsigned max_outstanding = 256;
    std::vector<std::string> mo_numbers;
    bool per_segment_receipts = false;
    unsigned deliver_window = 64;
    std::vector<std::string> campaigns;
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
    std::string receipt_timeout;      // server.receipt_timeout; empty: the default
    std::string checkpoint_interval;  // store.checkpoint_interval; empty: the default
    std::string extra_toml;  // appended verbatim
    bool proxy_protocol = false;  // listeners[].proxy_protocol
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
    t += fmt::format("receipt_park_timeout = \"{}\"\nmax_pending_messages = {}\n",
                     spec.receipt_park_timeout, spec.max_pending_messages);
    if (!spec.receipt_timeout.empty()) {
        t += fmt::format("receipt_timeout = \"{}\"\n", spec.receipt_timeout);
    }
    t += "\n";
    t += fmt::format(
        "[[listeners]]\nname = \"smpp\"\naddress = \"127.0.0.1:{}\"\n"
        "session_init_timeout = \"{}\"\ninactivity_timeout = \"5m\"\nproxy_protocol = {}\n\n",
        smpp_port, spec.session_init_timeout, spec.proxy_protocol ? "true" : "false");
    for (const auto& a : spec.accounts) {
        t += fmt::format(
            "[[accounts]]\nsystem_id = \"{}\"\npassword_hash = \"{}\"\nbrand = \"{}\"\n"
            "default_class = \"transactional\"\nbind_types = {}\nmax_binds = 8\n"
            "max_outstanding = {}\nallowed_networks = [\"127.0.0.0/8\"]\nmo_numbers = {}\n"
            "per_segment_receipts = {}\ndeliver_window = {}\ncampaigns = {}\n\n",
            a.system_id, demo_password_hash, a.brand, toml_list(a.bind_types), a.max_outstanding,
            toml_list(a.mo_numbers), a.per_segment_receipts ? "true" : "false", a.deliver_window,
            toml_list(a.campaigns));
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
    t += fmt::format("[store]\npath = \"{}\"\nsync = \"batch\"\n", store.string());
    if (!spec.checkpoint_interval.empty()) {
        t += fmt::format("checkpoint_interval = \"{}\"\n", spec.checkpoint_interval);
    }
    t += "\n";
    t += fmt::format("[policy.data]\ndir = \"{}/etc/data\"\n\n", SMPPGW_SOURCE_DIR);
    t += "[policy.consent]\ntransactional_requires_consent = false\n\n";
    t += fmt::format("[admin]\naddress = \"127.0.0.1:{}\"\ntoken = \"{}\"\n\n", admin_port,
                     admin_token);
    t += "[log]\nlevel = \"info\"\nformat = \"text\"\n\n";
    t += spec.extra_toml;
    return t;
}

struct daemon_ports {
    std::uint16_t smpp = 0;
    std::uint16_t admin = 0;
};

// The real daemon as a child process with a config the test renders for its ports: picks free
// ports, writes the config, waits for /healthz; restarts after kill -9 on the same ports and
// store; SIGHUP reloads; metrics, log, RSS and open descriptors for the assertions.
class daemon_process {
public:
    // Renders the whole config for the given ports; `dir` holds store, config and log.
    using render_fn = std::function<std::string(const daemon_ports&, const std::filesystem::path&)>;

    explicit daemon_process(render_fn render, std::map<std::string, std::string> env = {},
                            const char* dir_prefix = "smppgw-daemon")
        : render_(std::move(render)), env_(std::move(env)), dir_(dir_prefix) {}
    ~daemon_process() { kill_hard(); }
    daemon_process(const daemon_process&) = delete;
    daemon_process& operator=(const daemon_process&) = delete;

    [[nodiscard]] const std::filesystem::path& dir() const noexcept { return dir_.path(); }
    [[nodiscard]] std::filesystem::path config_path() const { return dir_ / "smppgw.toml"; }

    // First start: picks free ports (retrying on collisions), writes the config, waits for
    // /healthz. Throws with the daemon's log when it does not come up.
    void start() {
        for (int attempt = 0; attempt < 5; ++attempt) {
            const auto ports = free_ports(2);
            ports_.smpp = ports[0];
            ports_.admin = ports[1];
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

    // Runs the daemon through `wrapper` (a command that ends by exec'ing its arguments, e.g.
    // unshare(1)), from the next start on; the daemon keeps the child's pid.
    void wrap_with(std::vector<std::string> wrapper) { wrapper_ = std::move(wrapper); }

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
    // The wait status once the process ended (see running()).
    [[nodiscard]] std::optional<int> exit_status() const {
        return proc_ ? proc_->exit_status() : std::nullopt;
    }

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
        std::vector<std::string> argv = wrapper_;
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
    std::vector<std::string> wrapper_;
    temp_dir dir_;
    daemon_ports ports_;
    std::unique_ptr<child_process> proc_;
};

// The daemon running render_config(spec): what the flow, fault and load tests need.
class gateway_process {
public:
    // `env`: variables for the daemon only (e.g. SMPPGW_FAULT_INJECTION_FILE).
    explicit gateway_process(gateway_spec spec, std::map<std::string, std::string> env = {})
        : spec_(std::move(spec)),
          daemon_(
              [this](const daemon_ports& p, const std::filesystem::path& dir) {
                  return render_config(spec_, p.smpp, p.admin, dir / "store");
              },
              std::move(env), "smppgw-integ") {}
    gateway_process(const gateway_process&) = delete;
    gateway_process& operator=(const gateway_process&) = delete;

    [[nodiscard]] gateway_spec& spec() noexcept { return spec_; }
    [[nodiscard]] const std::filesystem::path& dir() const noexcept { return daemon_.dir(); }

    // Writes the config (from spec() as it is now) and starts the daemon on fresh ports.
    void start() { daemon_.start(); }
    [[nodiscard]] bool wait_ready(std::chrono::milliseconds timeout = default_wait) {
        return daemon_.wait_ready(timeout);
    }
    void kill_hard() { daemon_.kill_hard(); }
    // kill -9, then the daemon again on the same ports, config and store.
    void restart() { daemon_.restart(); }
    // SIGTERM; true if it exited within the grace period.
    bool terminate() { return daemon_.terminate(); }
    [[nodiscard]] bool running() { return daemon_.running(); }

    [[nodiscard]] std::uint16_t smpp_port() const noexcept { return daemon_.smpp_port(); }
    [[nodiscard]] std::uint16_t admin_port() const noexcept { return daemon_.admin_port(); }

    [[nodiscard]] std::string metrics() const { return daemon_.metrics(); }
    [[nodiscard]] double metric(const std::string& name,
                                const std::map<std::string, std::string>& labels = {}) const {
        return daemon_.metric(name, labels);
    }
    bool wait_metric_at_least(const std::string& name,
                              const std::map<std::string, std::string>& labels, double value,
                              std::chrono::milliseconds timeout = default_wait) const {
        return daemon_.wait_metric_at_least(name, labels, value, timeout);
    }
    [[nodiscard]] std::string log_text() const { return daemon_.log_text(); }
    [[nodiscard]] const daemon_process& daemon() const noexcept { return daemon_; }

private:
    gateway_spec spec_;  // before daemon_: its render function reads it
    daemon_process daemon_;
};

}  // namespace smppgw::integration
