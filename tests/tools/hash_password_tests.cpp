// `smppgw hash-password`: typed on a terminal it prompts, does not echo, and asks twice; piped
// (scripts) it reads one line. The terminal case runs the real binary on a pseudo-terminal, as
// a person at a shell would.

#include <catch2/catch.hpp>

#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <sstream>
#include <string>

#include "smppgw/gateway/auth.hpp"
#include "smppgw/gateway/commands.hpp"

namespace {

// `smppgw hash-password` on a pseudo-terminal: answers each prompt in turn, returns what the
// terminal showed and the exit code.
struct terminal_run {
    std::string screen;
    int exit_code = -1;
};

terminal_run run_on_terminal(const std::vector<std::pair<std::string, std::string>>& dialogue) {
    int master = -1;
    const pid_t pid = ::forkpty(&master, nullptr, nullptr, nullptr);
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::execl(SMPPGW_BINARY, SMPPGW_BINARY, "hash-password", static_cast<char*>(nullptr));
        ::_exit(127);
    }
    terminal_run run;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    std::size_t step = 0;
    bool open = true;
    while (open && std::chrono::steady_clock::now() < deadline) {
        if (step < dialogue.size() && run.screen.find(dialogue[step].first) != std::string::npos) {
            const auto& answer = dialogue[step].second;
            REQUIRE(::write(master, answer.data(), answer.size()) ==
                    static_cast<ssize_t>(answer.size()));
            run.screen += "<typed>";  // later prompts must appear after this point
            ++step;
        }
        pollfd p{master, POLLIN, 0};
        if (::poll(&p, 1, 100) > 0) {
            char buf[256];
            const auto n = ::read(master, buf, sizeof buf);
            if (n > 0) {
                run.screen.append(buf, static_cast<std::size_t>(n));
            } else {
                open = false;  // EIO: the child closed the terminal
            }
        }
    }
    ::close(master);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return run;
}

std::string last_line(const std::string& text) {
    std::string s = text;
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) {
        s.pop_back();
    }
    const auto nl = s.find_last_of('\n');
    return nl == std::string::npos ? s : s.substr(nl + 1);
}

}  // namespace

TEST_CASE("hash-password on a terminal prompts twice and never shows the password",
          "[tools][hash-password]") {
    const auto run =
        run_on_terminal({{"Password: ", "Tr0ub4d\n"}, {"Repeat password: ", "Tr0ub4d\n"}});
    INFO(run.screen);
    CHECK(run.exit_code == 0);
    CHECK(run.screen.find("Tr0ub4d") == std::string::npos);
    const auto hash = last_line(run.screen);
    REQUIRE(hash.starts_with("$y$"));
    CHECK(smppgw::gateway::verify_password("Tr0ub4d", hash));
}

TEST_CASE("hash-password on a terminal refuses two different passwords", "[tools][hash-password]") {
    const auto run =
        run_on_terminal({{"Password: ", "first1\n"}, {"Repeat password: ", "second2\n"}});
    INFO(run.screen);
    CHECK(run.exit_code == 2);
    CHECK(run.screen.find("the passwords differ") != std::string::npos);
    CHECK(run.screen.find("$y$") == std::string::npos);
    CHECK(run.screen.find("first1") == std::string::npos);
}

TEST_CASE("hash-password from a pipe reads one line without prompting", "[tools][hash-password]") {
    std::istringstream in("s3cret\n");
    std::ostringstream out;
    std::ostringstream err;
    CHECK(smppgw::gateway::hash_password_command({}, in, out, err, false) == 0);
    CHECK(err.str().empty());
    const auto hash = last_line(out.str());
    CHECK(smppgw::gateway::verify_password("s3cret", hash));
}
