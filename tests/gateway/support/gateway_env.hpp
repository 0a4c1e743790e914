#pragma once
// One running smppgw with its carriers (one smsc-sim each) in a temporary directory, configured
// for loopback with port 0 everywhere. The destructor stops the gateway, then the simulators.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "support/net.hpp"
#include "support/process.hpp"

namespace smppgw::test {

inline constexpr const char* admin_token = "test-admin-token-0123456789";
inline constexpr const char* account_id = "test";
inline constexpr const char* account_password = "secret1";
inline constexpr const char* account_brand = "acme";

struct gateway_options {
    std::vector<std::string> carriers{"sim"};  // one simulator per name
    std::string brand = account_brand;         // the test account's brand
    // [[routes]] tables; empty: prefix "" to the first carrier.
    std::string routes;
    // The body of [policy.consent].
    std::string consent = "transactional_requires_consent = false";
    // The body of [log].
    std::string log = "level = \"info\"";
    // Appended to the config (extra [policy.*] tables and the like).
    std::string extra;
    std::vector<std::string> sim_args;  // for every simulator
};

struct carrier_sim {
    std::unique_ptr<child_process> process;
    std::uint16_t port = 0;
    std::filesystem::path record;  // smsc-sim --record-text output
};

class gateway_env {
public:
    explicit gateway_env(gateway_options o = {});
    ~gateway_env();
    gateway_env(const gateway_env&) = delete;
    gateway_env& operator=(const gateway_env&) = delete;

    [[nodiscard]] std::string config_text(const std::string& routes) const;
    // Rewrites the config file with other routes (same carriers and accounts).
    void rewrite_routes(const std::string& routes);

    [[nodiscard]] http_client admin() const { return {admin_port, admin_token}; }
    [[nodiscard]] http_client open_client() const { return {admin_port, {}}; }
    [[nodiscard]] std::vector<metric_sample> scrape() const;
    // A bound ESME of the test account.
    [[nodiscard]] std::unique_ptr<esme> connect() const;
    [[nodiscard]] pid_t gateway_pid() const { return gateway->pid(); }

    temp_dir dir;
    gateway_options options;
    std::map<std::string, carrier_sim> sims;
    std::filesystem::path config_path;
    std::unique_ptr<child_process> gateway;
    std::uint16_t smpp_port = 0;
    std::uint16_t admin_port = 0;

private:
    std::string password_hash_;
};

// The accepted lines of a simulator's --record-text file (they reach it about once a second).
[[nodiscard]] std::vector<std::string> recorded_texts(const std::filesystem::path& record);

}  // namespace smppgw::test
