#include <iostream>
#include <string>

#include "smppgw/gateway/auth.hpp"
#include "smppgw/gateway/commands.hpp"
#include "smppgw/gateway/config.hpp"
#include "smppgw/gateway/config_keys.hpp"
#include "smppgw/policy/engine.hpp"

namespace smppgw::gateway {

int config_command(std::span<const std::string_view> args, std::ostream& out, std::ostream& err) {
    if (args.size() == 1 && args[0] == "reference") {
        out << config_reference_markdown();
        return 0;
    }
    if (args.size() != 2 || args[0] != "check") {
        err << "usage: smppgw config check FILE | smppgw config reference\n";
        return 2;
    }
    try {
        const auto cfg = load_config(std::string(args[1]));
        // The policy engine loads its data files and validates its rules: a config is only good
        // if the daemon could start with it.
        (void)policy::build_engine(cfg->policy);
        out << "OK: " << cfg->listeners.size() << " listener(s), " << cfg->accounts.size()
            << " account(s), " << cfg->carriers.size() << " carrier(s), " << cfg->routes.size()
            << " route(s)\n";
        return 0;
    } catch (const std::exception& e) {
        err << args[1] << ": " << e.what() << '\n';
        return 1;
    }
}

int hash_password_command(std::span<const std::string_view> args, std::istream& in,
                          std::ostream& out, std::ostream& err) {
    std::string password;
    if (!args.empty()) {
        password = std::string(args[0]);
    } else if (!std::getline(in, password)) {
        err << "usage: smppgw hash-password [PASSWORD]  (reads a line from stdin when absent)\n";
        return 2;
    }
    if (password.empty() || password.size() > 8) {
        err << "SMPP passwords are 1..8 characters (C-Octet String of 9)\n";
        return 2;
    }
    out << hash_password(password) << '\n';
    return 0;
}

}  // namespace smppgw::gateway
