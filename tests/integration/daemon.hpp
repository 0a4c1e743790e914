#pragma once
// Config pieces for the security tests and drills, which run daemon_process (gateway.hpp) with
// a config they write whole: TLS listeners, client-certificate accounts, hostile-peer limits.

#include <string>
#include <vector>

#include <fmt/format.h>

#include "gateway.hpp"
#include "process.hpp"

namespace smppgw::integration {

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

}  // namespace smppgw::integration
