#pragma once
// Test helpers for running the real daemon and the carrier simulator: child processes that die
// with the test (PR_SET_PDEATHSIG, and SIGTERM then SIGKILL from the destructor on every exit
// path), temporary directories, and waits that always have a deadline.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <regex>
#include <string>
#include <vector>

namespace smppgw::test {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

// Polls `done` every few milliseconds until it returns true; throws std::runtime_error naming
// `what` when `timeout` passes first.
void wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout,
                const std::string& what);

class temp_dir {
public:
    explicit temp_dir(const std::string& prefix = "smppgw-test");
    ~temp_dir();
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

private:
    std::filesystem::path path_;
};

class child_process {
public:
    // Starts argv[0] with stdout and stderr appended to `log_file`.
    child_process(std::vector<std::string> argv, std::filesystem::path log_file);
    ~child_process();
    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;

    [[nodiscard]] pid_t pid() const noexcept { return pid_; }
    [[nodiscard]] bool running();
    void signal(int signo) const;
    // SIGTERM, wait up to `grace`, then SIGKILL. Returns the exit code (128 + signal when
    // killed); idempotent.
    int stop(std::chrono::milliseconds grace = 15s);

    [[nodiscard]] std::string log() const;
    // Waits for a log line matching `pattern` and returns the first capture group (or the whole
    // match); throws when the process exits or `timeout` passes first.
    std::string wait_for_log(const std::regex& pattern, std::chrono::milliseconds timeout);

private:
    std::vector<std::string> argv_;
    std::filesystem::path log_file_;
    pid_t pid_ = -1;
    std::optional<int> exit_code_;
};

// From /proc/<pid>/status: VmRSS and VmHWM (peak) in bytes.
[[nodiscard]] std::uint64_t rss_bytes(pid_t pid);
[[nodiscard]] std::uint64_t peak_rss_bytes(pid_t pid);

[[nodiscard]] std::string read_file(const std::filesystem::path& p);
void write_file(const std::filesystem::path& p, const std::string& text);

}  // namespace smppgw::test
