#pragma once
// Process plumbing for the integration tests: temporary directories, free loopback ports, child
// processes that cannot outlive the test, a bounded HTTP GET for the admin API, and a Prometheus
// text reader.
//
// Every wait here has a deadline; nothing blocks forever if the daemon hangs or dies.

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace smppgw::integration {

// `name` in PATH or the sbin directories (Debian puts haproxy and nats-server in /usr/sbin,
// which a non-root user's PATH may lack); nullopt when it is not installed.
inline std::optional<std::string> installed_binary(const std::string& name) {
    const char* path = std::getenv("PATH");
    std::string dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin";
    dirs += ":/usr/sbin:/sbin";
    std::size_t start = 0;
    while (start <= dirs.size()) {
        const auto end = std::min(dirs.find(':', start), dirs.size());
        const auto candidate = std::filesystem::path(dirs.substr(start, end - start)) / name;
        if (end > start && ::access(candidate.c_str(), X_OK) == 0) {
            return candidate.string();
        }
        start = end + 1;
    }
    return std::nullopt;
}


using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

// Long enough for a loaded 2-core CI machine; only ever reached when something is broken.
inline constexpr auto default_wait = 20s;

class temp_dir {
public:
    explicit temp_dir(const std::string& prefix = "smppgw-integ") {
        auto tmpl = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
        if (::mkdtemp(tmpl.data()) == nullptr) {
            throw std::runtime_error("mkdtemp failed");
        }
        path_ = tmpl;
    }
    ~temp_dir() {
        // SMPPGW_KEEP_TEST_DIRS=1 keeps configs, stores and daemon logs for a post-mortem.
        if (const char* keep = std::getenv("SMPPGW_KEEP_TEST_DIRS");
            keep != nullptr && *keep == '1') {
            return;
        }
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;

    [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
    [[nodiscard]] std::filesystem::path operator/(const std::string& s) const { return path_ / s; }

private:
    std::filesystem::path path_;
};

inline std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

inline void write_file(const std::filesystem::path& p, const std::string& text) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) {
        throw std::runtime_error("cannot write " + p.string());
    }
}

// A socket bound to a loopback port the kernel picked (bind to port 0), and that port.
inline std::pair<int, std::uint16_t> bind_any_loopback_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        throw std::runtime_error("socket() failed");
    }
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t len = sizeof a;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
        ::close(fd);
        throw std::runtime_error("bind(0) failed");
    }
    return {fd, ntohs(a.sin_port)};
}

// A loopback port that was free a moment ago. The kernel hands out bind(0) ports from a
// randomised range, so two parallel tests rarely collide; callers still retry a start that
// fails with "address in use".
inline std::uint16_t free_port() {
    const auto [fd, port] = bind_any_loopback_port();
    ::close(fd);
    return port;
}

// `n` distinct loopback ports that were free a moment ago. Every socket stays bound until all
// are picked: free_port() called n times may return one port twice (it is free again as soon
// as its socket closes), and a server configured to listen twice on it fails.
inline std::vector<std::uint16_t> free_ports(std::size_t n) {
    std::vector<int> fds;
    std::vector<std::uint16_t> ports;
    try {
        for (std::size_t i = 0; i < n; ++i) {
            const auto [fd, port] = bind_any_loopback_port();
            fds.push_back(fd);
            ports.push_back(port);
        }
    } catch (...) {
        for (const int fd : fds) {
            ::close(fd);
        }
        throw;
    }
    for (const int fd : fds) {
        ::close(fd);
    }
    return ports;
}

// A child process with stdout and stderr in a log file. It dies with the test: SIGKILL from the
// destructor on every exit path, and PR_SET_PDEATHSIG should the test process itself crash.
class child_process {
public:
    child_process(const std::vector<std::string>& argv, const std::filesystem::path& log)
        : log_(log) {
        std::vector<char*> args;
        args.reserve(argv.size() + 1);
        for (const auto& a : argv) {
            args.push_back(const_cast<char*>(a.c_str()));
        }
        args.push_back(nullptr);
        const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (out < 0) {
            throw std::runtime_error("cannot open " + log.string());
        }
        const pid_t parent = ::getpid();
        pid_ = ::fork();
        if (pid_ < 0) {
            ::close(out);
            throw std::runtime_error("fork failed");
        }
        if (pid_ == 0) {
            // Only async-signal-safe calls from here to exec.
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (::getppid() != parent) {
                ::_exit(127);
            }
            ::dup2(out, STDOUT_FILENO);
            ::dup2(out, STDERR_FILENO);
            // Listening sockets of the in-test fake SMSC must not leak into the daemon, or
            // "carrier down" would never refuse a connection.
            if (::close_range(3, ~0U, 0) != 0) {
                for (int fd = 3; fd < 4096; ++fd) {
                    ::close(fd);
                }
            }
            ::execv(args[0], args.data());
            ::_exit(127);
        }
        ::close(out);
    }
    ~child_process() { kill_hard(); }
    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;

    [[nodiscard]] pid_t pid() const noexcept { return pid_; }

    // True while the process has not exited (reaps it when it has).
    [[nodiscard]] bool running() {
        if (pid_ <= 0) {
            return false;
        }
        int st = 0;
        const pid_t r = ::waitpid(pid_, &st, WNOHANG);
        if (r == pid_) {
            status_ = st;
            pid_ = -1;
            return false;
        }
        return r == 0;
    }

    // kill -9 and reap.
    void kill_hard() {
        if (pid_ <= 0) {
            return;
        }
        ::kill(pid_, SIGKILL);
        int st = 0;
        ::waitpid(pid_, &st, 0);
        status_ = st;
        pid_ = -1;
    }

    // SIGTERM, then SIGKILL if it has not exited within `grace`. True if it exited on its own.
    bool terminate(std::chrono::milliseconds grace = 10s) {
        if (pid_ <= 0) {
            return true;
        }
        ::kill(pid_, SIGTERM);
        const auto deadline = steady::now() + grace;
        while (steady::now() < deadline) {
            if (!running()) {
                return true;
            }
            std::this_thread::sleep_for(20ms);
        }
        kill_hard();
        return false;
    }

    [[nodiscard]] std::optional<int> exit_status() const { return status_; }
    [[nodiscard]] std::string log_text() const { return read_file(log_); }

private:
    std::filesystem::path log_;
    pid_t pid_ = -1;
    std::optional<int> status_;
};

struct http_result {
    int status = 0;  // 0: no answer
    std::string body;
};

// One request over loopback with a bounded wait; no keep-alive, no chunked bodies (the admin
// server sends Content-Length and closes on "Connection: close").
inline http_result http_request(std::uint16_t port, const std::string& method,
                                const std::string& path, const std::string& token = {},
                                const std::string& body = {},
                                std::chrono::milliseconds timeout = 3s) {
    http_result r;
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return r;
    }
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        return r;
    }
    std::string req = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
    if (!token.empty()) {
        req += "Authorization: Bearer " + token + "\r\n";
    }
    if (method != "GET") {
        req += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
               "\r\n";
    }
    req += "\r\n" + body;
    if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
        ::close(fd);
        return r;
    }
    std::string raw;
    char buf[16384];
    const auto deadline = steady::now() + timeout;
    while (steady::now() < deadline) {
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) {
            break;
        }
        raw.append(buf, static_cast<std::size_t>(n));
        const auto head_end = raw.find("\r\n\r\n");
        if (head_end != std::string::npos) {
            const auto cl = raw.find("Content-Length: ");
            if (cl != std::string::npos && cl < head_end) {
                const auto length = std::stoul(raw.substr(cl + 16));
                if (raw.size() >= head_end + 4 + length) {
                    break;
                }
            }
        }
    }
    ::close(fd);
    if (raw.rfind("HTTP/1.1 ", 0) != 0 || raw.size() < 12) {
        return r;
    }
    r.status = std::stoi(raw.substr(9, 3));
    const auto head_end = raw.find("\r\n\r\n");
    if (head_end != std::string::npos) {
        r.body = raw.substr(head_end + 4);
    }
    return r;
}

inline http_result http_get(std::uint16_t port, const std::string& path,
                            const std::string& token = {}, std::chrono::milliseconds timeout = 3s) {
    return http_request(port, "GET", path, token, {}, timeout);
}

// Sum of every sample of `name` whose labels include all of `labels` (Prometheus text format).
// Zero when none matches: counters with labels only appear once incremented.
inline double metric_value(const std::string& text, const std::string& name,
                           const std::map<std::string, std::string>& labels = {}) {
    double sum = 0;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#' || line.rfind(name, 0) != 0) {
            continue;
        }
        const auto rest = line.substr(name.size());
        if (rest.empty() || (rest[0] != '{' && rest[0] != ' ')) {
            continue;  // a longer metric name sharing the prefix
        }
        bool match = true;
        for (const auto& [k, v] : labels) {
            if (rest.find(k + "=\"" + v + "\"") == std::string::npos) {
                match = false;
                break;
            }
        }
        if (!match) {
            continue;
        }
        const auto space = line.rfind(' ');
        if (space != std::string::npos) {
            sum += std::stod(line.substr(space + 1));
        }
    }
    return sum;
}

// Polls `pred` until it holds or the deadline passes.
template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = default_wait,
                std::chrono::milliseconds step = 20ms) {
    const auto deadline = steady::now() + timeout;
    for (;;) {
        if (pred()) {
            return true;
        }
        if (steady::now() >= deadline) {
            return false;
        }
        std::this_thread::sleep_for(step);
    }
}

}  // namespace smppgw::integration
