#pragma once
// A real HAProxy in TCP mode in front of the upstream SMPP ports of several smppgw nodes, as an
// operator runs it (etc/haproxy-smppgw.cfg): health checks on each node's admin /readyz,
// sessions of a node marked down shut, a refused connect retried on another node. The config
// goes into a temporary directory, `haproxy -db` runs as a child process (killed with the
// test), and the stats socket tells the test how HAProxy sees each node.

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "process.hpp"

namespace smppgw::integration {

// One smppgw node behind HAProxy: traffic goes to its SMPP port, the health check asks its
// admin port for /readyz.
struct haproxy_backend {
    std::string name;
    std::uint16_t smpp_port = 0;
    std::uint16_t admin_port = 0;
};

class haproxy_front {
public:
    static constexpr const char* backend_name = "smppgw_nodes";

    haproxy_front(std::string binary, std::vector<haproxy_backend> nodes)
        : binary_(std::move(binary)), nodes_(std::move(nodes)), dir_("smppgw-haproxy") {
        for (int attempt = 0; attempt < 5; ++attempt) {
            port_ = free_port();
            write_file(dir_ / "haproxy.cfg", render());
            proc_ = std::make_unique<child_process>(
                std::vector<std::string>{binary_, "-db", "-f", (dir_ / "haproxy.cfg").string()},
                dir_ / "haproxy.log");
            if (eventually([&] { return !proc_->running() || !stats("show info\n").empty(); },
                           default_wait, 20ms) &&
                proc_->running()) {
                return;
            }
            proc_->kill_hard();
            if (log_text().find("cannot bind") == std::string::npos &&
                log_text().find("in use") == std::string::npos) {
                break;
            }
        }
        throw std::runtime_error("haproxy did not start:\n" + log_text());
    }
    ~haproxy_front() { proc_->kill_hard(); }
    haproxy_front(const haproxy_front&) = delete;
    haproxy_front& operator=(const haproxy_front&) = delete;

    // Where upstream clients connect.
    [[nodiscard]] std::uint16_t port() const noexcept { return port_; }

    // How HAProxy's health checks see a node right now: "UP", "DOWN", "UP 1/2" (going down),
    // "DOWN 1/2" (coming up), "MAINT"; empty when the stats socket does not answer.
    [[nodiscard]] std::string server_status(const std::string& node) const {
        // `show stat` is CSV: proxy name, server name, ..., the 18th field is the status.
        const auto csv = stats("show stat\n");
        const auto prefix = std::string(backend_name) + "," + node + ",";
        std::size_t at = 0;
        while (at < csv.size()) {
            const auto end = std::min(csv.find('\n', at), csv.size());
            if (csv.compare(at, prefix.size(), prefix) == 0) {
                std::size_t field = at;
                for (int i = 0; i < 17 && field < end; ++i) {
                    field = csv.find(',', field) + 1;
                }
                return csv.substr(field, csv.find(',', field) - field);
            }
            at = end + 1;
        }
        return {};
    }

    [[nodiscard]] std::string log_text() const { return read_file(dir_ / "haproxy.log"); }
    [[nodiscard]] std::string config_text() const { return read_file(dir_ / "haproxy.cfg"); }

private:
    // The production example's shape with test-sized timings: a check every 100 ms and two
    // failures to mark a node down, so a killed node leaves the rotation within a fraction of a
    // second rather than the example's seconds.
    [[nodiscard]] std::string render() const {
        std::string servers;
        for (const auto& n : nodes_) {
            // From 127.0.0.2, with the client's address in a PROXY v2 header (the nodes
            // read it: listeners[].proxy_protocol), as etc/haproxy-smppgw.cfg does.
            servers += fmt::format(
                "    server {} 127.0.0.1:{} check port {} send-proxy-v2 source 127.0.0.2\n", n.name,
                n.smpp_port, n.admin_port);
        }
        return fmt::format(
            "global\n"
            "    log stdout format raw local0 info\n"
            "    stats socket {0} mode 600 level admin\n"
            "defaults\n"
            "    mode tcp\n"
            "    log global\n"
            "    option tcplog\n"
            "    timeout connect 1s\n"
            "    timeout client 10m\n"
            "    timeout server 10m\n"
            "    timeout check 1s\n"
            "    retries 2\n"
            "    option redispatch 1\n"
            "frontend smpp\n"
            "    bind 127.0.0.1:{1}\n"
            "    default_backend {2}\n"
            "backend {2}\n"
            "    balance leastconn\n"
            "    option httpchk\n"
            "    http-check send meth GET uri /readyz ver HTTP/1.1 hdr Host smppgw\n"
            "    http-check expect status 200\n"
            "    default-server inter 100ms fall 2 rise 1 on-marked-down shutdown-sessions\n"
            "{3}",
            socket_path().string(), port_, backend_name, servers);
    }

    [[nodiscard]] std::filesystem::path socket_path() const { return dir_ / "stats.sock"; }

    // One command on the stats socket; its whole answer (empty when it does not answer).
    [[nodiscard]] std::string stats(const std::string& command) const {
        const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            return {};
        }
        timeval tv{.tv_sec = 2, .tv_usec = 0};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        sockaddr_un a{};
        a.sun_family = AF_UNIX;
        const auto path = socket_path().string();
        std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
        std::string out;
        if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
            ::send(fd, command.data(), command.size(), MSG_NOSIGNAL) ==
                static_cast<ssize_t>(command.size())) {
            char buf[8192];
            ssize_t n = 0;
            while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) {
                out.append(buf, static_cast<std::size_t>(n));
            }
        }
        ::close(fd);
        return out;
    }

    std::string binary_;
    std::vector<haproxy_backend> nodes_;
    temp_dir dir_;
    std::uint16_t port_ = 0;
    std::unique_ptr<child_process> proc_;
};

}  // namespace smppgw::integration
