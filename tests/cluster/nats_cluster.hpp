#pragma once
// Three real nats-servers clustered on loopback ports with JetStream in temporary directories:
// what the cluster tests run smppgw nodes against. kill -9 and restart one (same ports and
// store) for the fault tests.

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "process.hpp"

namespace smppgw::integration {

// nats-server (child_process execs a path, it does not search).
inline std::string nats_server_binary() {
    if (auto path = installed_binary("nats-server")) {
        return *path;
    }
    throw std::runtime_error("nats-server is not installed");
}

class nats_cluster {
public:
    static constexpr std::size_t size = 3;

    nats_cluster() : dir_("smppgw-nats") {
        for (int attempt = 1;; ++attempt) {
            const auto ports = free_ports(3 * size);  // distinct among themselves
            for (std::size_t i = 0; i < size; ++i) {
                servers_[i].client = ports[3 * i];
                servers_[i].route = ports[3 * i + 1];
                servers_[i].monitor = ports[3 * i + 2];
            }
            for (std::size_t i = 0; i < size; ++i) {
                write_file(conf(i), render(i));
                start(i);
            }
            std::optional<std::size_t> down;
            for (std::size_t i = 0; i < size && !down; ++i) {
                if (!wait_healthy(i)) {
                    down = i;
                }
            }
            if (!down) {
                return;
            }
            // Another process took one of the ports between the pick and the listen: start the
            // cluster afresh on new ones.
            const auto log = log_text(*down);
            if (attempt < 3 && log.find("address already in use") != std::string::npos) {
                for (std::size_t i = 0; i < size; ++i) {
                    kill_hard(i);
                    std::filesystem::remove_all(dir_ / fmt::format("js{}", i + 1));
                }
                continue;
            }
            throw std::runtime_error("nats-server n" + std::to_string(*down + 1) +
                                     " did not come up:\n" + log);
        }
    }

    // nats://127.0.0.1:port of every server, as [cluster] servers = [...].
    [[nodiscard]] std::string urls_toml() const {
        std::string out = "[";
        for (std::size_t i = 0; i < size; ++i) {
            out += fmt::format("{}\"nats://127.0.0.1:{}\"", i == 0 ? "" : ", ", servers_[i].client);
        }
        return out + "]";
    }

    void kill_hard(std::size_t i) { servers_[i].proc.reset(); }
    void start(std::size_t i) {
        servers_[i].proc = std::make_unique<child_process>(
            std::vector<std::string>{nats_server_binary(), "-c", conf(i).string()}, dir_ / log_name(i));
    }
    [[nodiscard]] bool wait_healthy(std::size_t i, std::chrono::milliseconds timeout = 20s) {
        return eventually(
            [&] { return http_get(servers_[i].monitor, "/healthz", {}, 1s).status == 200; },
            timeout, 50ms);
    }
    // The server is up with JetStream, as a member of the cluster; its replicas of the streams
    // and consumers are not looked at. nats-server 2.9.10 (Debian 12) can leave the replica of an
    // idle durable consumer on a restarted server "not current" for good, and /healthz reports
    // it (fixed upstream in 2.9.17, nats-server pull request 4172); the consumer itself keeps
    // working through its other replicas.
    [[nodiscard]] bool wait_serving(std::size_t i, std::chrono::milliseconds timeout = 20s) {
        return eventually(
            [&] {
                return http_get(servers_[i].monitor, "/healthz?js-server-only=true", {}, 1s)
                           .status == 200;
            },
            timeout, 50ms);
    }
    [[nodiscard]] std::string log_text(std::size_t i) const {
        return read_file(dir_ / log_name(i));
    }

private:
    struct server {
        std::uint16_t client = 0;
        std::uint16_t route = 0;
        std::uint16_t monitor = 0;
        std::unique_ptr<child_process> proc;
    };

    [[nodiscard]] std::filesystem::path conf(std::size_t i) const {
        return dir_ / fmt::format("n{}.conf", i + 1);
    }
    [[nodiscard]] static std::string log_name(std::size_t i) {
        return fmt::format("n{}.log", i + 1);
    }
    [[nodiscard]] std::string render(std::size_t i) const {
        std::string routes;
        for (std::size_t j = 0; j < size; ++j) {
            routes += fmt::format("{}\"nats-route://127.0.0.1:{}\"", j == 0 ? "" : ", ",
                                  servers_[j].route);
        }
        return fmt::format(
            "server_name: \"n{0}\"\nlisten: \"127.0.0.1:{1}\"\nhttp: \"127.0.0.1:{2}\"\n"
            "jetstream {{\n  store_dir: \"{3}\"\n  max_memory_store: 64MB\n"
            "  max_file_store: 256MB\n}}\n"
            "cluster {{\n  name: \"smppgw_test\"\n  listen: \"127.0.0.1:{4}\"\n"
            "  routes: [{5}]\n}}\n",
            i + 1, servers_[i].client, servers_[i].monitor,
            (dir_ / fmt::format("js{}", i + 1)).string(), servers_[i].route, routes);
    }

    temp_dir dir_;
    std::array<server, size> servers_;
};

}  // namespace smppgw::integration
