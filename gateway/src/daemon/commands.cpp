#include <termios.h>
#include <unistd.h>

#include <iostream>
#include <optional>
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

namespace {

// Turns terminal echo off for its lifetime (and back on, whatever path leaves the scope).
class echo_off {
public:
    explicit echo_off(int fd) : fd_(fd) {
        if (::tcgetattr(fd_, &saved_) == 0) {
            termios quiet = saved_;
            quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
            quiet.c_lflag |= ECHONL;  // the Enter key still moves to the next line
            active_ = ::tcsetattr(fd_, TCSAFLUSH, &quiet) == 0;
        }
    }
    ~echo_off() {
        if (active_) {
            (void)::tcsetattr(fd_, TCSANOW, &saved_);
        }
    }
    echo_off(const echo_off&) = delete;
    echo_off& operator=(const echo_off&) = delete;

private:
    int fd_;
    termios saved_{};
    bool active_ = false;
};

std::optional<std::string> read_hidden(std::istream& in, std::ostream& err,
                                       std::string_view prompt) {
    // Echo goes off before the prompt shows: whatever is typed once the prompt is visible is
    // never echoed (and input typed ahead of it is flushed, as getpass(3) does).
    const echo_off quiet(STDIN_FILENO);
    err << prompt << std::flush;
    std::string line;
    if (!std::getline(in, line)) {
        return std::nullopt;
    }
    return line;
}

}  // namespace

int hash_password_command(std::span<const std::string_view> args, std::istream& in,
                          std::ostream& out, std::ostream& err, bool terminal) {
    std::string password;
    if (!args.empty()) {
        password = std::string(args[0]);
    } else if (terminal) {
        // Typed by a person: no echo (the password must not stay on the screen or in a
        // terminal recording), and typed twice so a typo does not lock the account out.
        const auto first = read_hidden(in, err, "Password: ");
        const auto second = first ? read_hidden(in, err, "Repeat password: ") : std::nullopt;
        if (!first || !second) {
            err << "no password read\n";
            return 2;
        }
        if (*first != *second) {
            err << "the passwords differ\n";
            return 2;
        }
        password = *first;
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
