#pragma once
// A small valid config for the config tests of the gateway and of the cluster section: tests
// append or replace lines, and read what parse_config reports.

#include <string>
#include <vector>

#include "smppgw/gateway/config.hpp"

namespace smppgw::gateway::test {

// Listeners, one account, one carrier, a route and the admin token; no [server] table, so that
// a test may add its own.
inline const std::string config_without_server = R"([[listeners]]
address = "127.0.0.1:2775"

[[accounts]]
system_id = "demo"
password_hash = "$6$salt$hash"
brand = "acme"

[[carriers]]
name = "sim"
address = "127.0.0.1:2776"
system_id = "gw"

[[routes]]
prefix = ""
carriers = ["sim"]

[admin]
token = "0123456789abcdef0123"
)";

// The problems parse_config reports for `text` (none: it parsed).
inline std::vector<config_error::problem> problems_of(const std::string& text) {
    try {
        (void)parse_config(text, "/etc/smppgw/test.toml");
    } catch (const config_error& e) {
        return e.problems();
    }
    return {};
}

}  // namespace smppgw::gateway::test
