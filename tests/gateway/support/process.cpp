#include "support/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace smppgw::test {

void wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout,
                const std::string& what) {
    const auto deadline = steady::now() + timeout;
    for (;;) {
        if (done()) {
            return;
        }
        if (steady::now() >= deadline) {
            throw std::runtime_error("timed out after " + std::to_string(timeout.count()) +
                                     " ms waiting for " + what);
        }
        std::this_thread::sleep_for(20ms);
    }
}

temp_dir::temp_dir(const std::string& prefix) {
    std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
    if (mkdtemp(pattern.data()) == nullptr) {
        throw std::runtime_error("mkdtemp failed");
    }
    path_ = pattern;
}

temp_dir::~temp_dir() {
    std::error_code ec;
    if (std::getenv("SMPPGW_KEEP_TEST_DIRS") == nullptr) {
        std::filesystem::remove_all(path_, ec);
    }
}

child_process::child_process(std::vector<std::string> argv, std::filesystem::path log_file)
    : argv_(std::move(argv)), log_file_(std::move(log_file)) {
    std::vector<char*> args;
    for (auto& a : argv_) {
        args.push_back(a.data());
    }
    args.push_back(nullptr);
    const int fd = ::open(log_file_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        throw std::runtime_error("cannot open " + log_file_.string());
    }
    const pid_t parent = getpid();
    pid_ = fork();
    if (pid_ < 0) {
        ::close(fd);
        throw std::runtime_error("fork failed");
    }
    if (pid_ == 0) {
        // The child dies with the test process, whatever way that ends.
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) {
            _exit(127);
        }
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        execv(args[0], args.data());
        _exit(127);
    }
    ::close(fd);
}

child_process::~child_process() {
    try {
        (void)stop(5s);
    } catch (...) {
        // A destructor never throws; stop() already killed what it could.
    }
}

bool child_process::running() {
    if (exit_code_) {
        return false;
    }
    int status = 0;
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return false;
    }
    return r == 0;
}

void child_process::signal(int signo) const {
    if (pid_ > 0 && !exit_code_) {
        ::kill(pid_, signo);
    }
}

int child_process::stop(std::chrono::milliseconds grace) {
    if (exit_code_ || pid_ <= 0) {
        return exit_code_.value_or(-1);
    }
    ::kill(pid_, SIGTERM);
    const auto deadline = steady::now() + grace;
    while (running() && steady::now() < deadline) {
        std::this_thread::sleep_for(10ms);
    }
    if (running()) {
        ::kill(pid_, SIGKILL);
        int status = 0;
        waitpid(pid_, &status, 0);
        exit_code_ = 128 + SIGKILL;
    }
    return *exit_code_;
}

std::string child_process::log() const {
    return read_file(log_file_);
}

std::string child_process::wait_for_log(const std::regex& pattern,
                                        std::chrono::milliseconds timeout) {
    std::string found;
    wait_until(
        [&] {
            const auto text = log();
            std::smatch m;
            if (std::regex_search(text, m, pattern)) {
                found = m.size() > 1 ? m[1].str() : m[0].str();
                return true;
            }
            if (!running()) {
                throw std::runtime_error(argv_[0] + " exited (" +
                                         std::to_string(exit_code_.value_or(-1)) + "); its log:\n" +
                                         text);
            }
            return false;
        },
        timeout, "a log line from " + argv_[0]);
    return found;
}

namespace {

std::uint64_t status_field(pid_t pid, const std::string& key) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(key + ":", 0) == 0) {
            std::istringstream fields(line.substr(key.size() + 1));
            std::uint64_t kib = 0;
            fields >> kib;
            return kib * 1024;
        }
    }
    throw std::runtime_error("no " + key + " for pid " + std::to_string(pid));
}

}  // namespace

std::uint64_t rss_bytes(pid_t pid) {
    return status_field(pid, "VmRSS");
}
std::uint64_t peak_rss_bytes(pid_t pid) {
    return status_field(pid, "VmHWM");
}

std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

void write_file(const std::filesystem::path& p, const std::string& text) {
    const auto tmp = p.string() + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out << text;
        if (!out) {
            throw std::runtime_error("cannot write " + tmp);
        }
    }
    std::filesystem::rename(tmp, p);
}

}  // namespace smppgw::test
