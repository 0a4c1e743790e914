#pragma once
// Hostile and broken upstream peers for the security tests: raw sockets from a chosen loopback
// address (Linux routes all of 127.0.0.0/8 to lo, so per-address limits can be exercised from
// one host), slow readers, and a flood of garbage / silent / half-open connections driven from
// one background thread.

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <atomic>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "pdu_reader.hpp"
#include "process.hpp"
#include "smppgw/smpp/codec.hpp"

namespace smppgw::integration {

// A blocking TCP client from `local` (any 127.x.y.z) with bounded reads.
class raw_peer {
public:
    raw_peer(std::uint16_t port, const std::string& local = "127.0.0.1", int receive_buffer = 0)
        : socket_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
        const int fd = socket_.fd();
        if (fd < 0) {
            return;
        }
        if (receive_buffer > 0) {
            // Before connect: the window the daemon sees is negotiated from it.
            ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
        }
        sockaddr_in from{};
        from.sin_family = AF_INET;
        ::inet_pton(AF_INET, local.c_str(), &from.sin_addr);
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        to.sin_port = htons(port);
        connected_ = ::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) == 0 &&
                     ::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0;
    }
    raw_peer(const raw_peer&) = delete;
    raw_peer& operator=(const raw_peer&) = delete;

    [[nodiscard]] bool connected() const noexcept { return connected_; }
    [[nodiscard]] int fd() const noexcept { return socket_.fd(); }

    void close() { socket_.close(); }

    bool send_bytes(const std::vector<std::uint8_t>& bytes) { return socket_.send_bytes(bytes); }
    bool send_pdu(smpp::pdu p, std::uint32_t sequence = 0) {
        if (sequence != 0) {
            p.sequence_number = sequence;
        } else if (p.sequence_number == 0) {
            p.sequence_number = ++next_sequence_;
        }
        std::vector<std::uint8_t> bytes;
        if (smpp::encode(p, bytes)) {
            return false;
        }
        return send_bytes(bytes);
    }

    // The next PDU; nullopt on EOF, error or timeout.
    std::optional<smpp::pdu> read_pdu(std::chrono::milliseconds timeout = default_wait) {
        return reader_.read(timeout);
    }

    // Sends `request` and returns the first response with its sequence number.
    std::optional<smpp::pdu> call(smpp::pdu request,
                                  std::chrono::milliseconds timeout = default_wait) {
        request.sequence_number = ++next_sequence_;
        const auto seq = request.sequence_number;
        if (!send_pdu(std::move(request))) {
            return std::nullopt;
        }
        const auto deadline = steady::now() + timeout;
        while (steady::now() < deadline) {
            auto p = read_pdu(
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now()));
            if (!p) {
                return std::nullopt;
            }
            if (p->sequence_number == seq) {
                return p;
            }
        }
        return std::nullopt;
    }

    // Reads whatever is there without waiting; true if the daemon has closed the connection.
    bool closed_now() {
        std::vector<std::uint8_t> ready;
        const bool closed = socket_.read_ready(ready);
        reader_.append(ready);
        return closed;
    }

    // True once the daemon has closed the connection (FIN or RST), waiting up to `timeout`.
    bool wait_eof(std::chrono::milliseconds timeout = default_wait) {
        return reader_.wait_eof(timeout);
    }

private:
    socket_stream socket_;
    pdu_reader<socket_stream> reader_{socket_};
    bool connected_ = false;
    std::uint32_t next_sequence_ = 0;
};

// Background connections of four kinds from a set of loopback addresses, reopened as the daemon
// closes them, until stop():
//   garbage  - random bytes (breaks framing: the daemon answers generic_nack and closes)
//   silent   - connect and never send (the session-init timeout closes it)
//   partial  - a header announcing a large PDU and a fraction of its body, then nothing
//   half     - a partial PDU, then shutdown(SHUT_WR): half-open from our side
class connection_flood {
public:
    enum class kind : std::uint8_t { garbage, silent, partial, half };

    connection_flood(std::uint16_t port, std::vector<std::string> sources, unsigned per_kind)
        : port_(port), sources_(std::move(sources)), per_kind_(per_kind) {}
    ~connection_flood() { stop(); }
    connection_flood(const connection_flood&) = delete;
    connection_flood& operator=(const connection_flood&) = delete;

    void start() {
        thread_ = std::thread([this] { run(); });
    }
    void stop() {
        stop_ = true;
        if (thread_.joinable()) {
            thread_.join();
        }
    }

    [[nodiscard]] std::uint64_t opened() const noexcept { return opened_; }
    [[nodiscard]] std::uint64_t closed_by_peer() const noexcept { return closed_by_peer_; }
    [[nodiscard]] std::uint64_t garbage_bytes() const noexcept { return garbage_bytes_; }
    [[nodiscard]] std::size_t peak_open() const noexcept { return peak_open_; }

private:
    struct conn {
        int fd = -1;
        kind what = kind::garbage;
        std::string source;
        bool started = false;            // first bytes sent
        steady::time_point next_open{};  // a closed slot waits a little before reconnecting
    };

    int open_one(const std::string& source) {
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0) {
            return -1;
        }
        sockaddr_in from{};
        from.sin_family = AF_INET;
        ::inet_pton(AF_INET, source.c_str(), &from.sin_addr);
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        to.sin_port = htons(port_);
        if (::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0) {
            ::close(fd);
            return -1;
        }
        const int r = ::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to);
        if (r != 0 && errno != EINPROGRESS) {
            ::close(fd);
            return -1;
        }
        ++opened_;
        return fd;
    }

    void first_bytes(conn& c) {
        if (c.what == kind::partial || c.what == kind::half) {
            // command_length 60000 (under the ceiling), submit_sm, then 100 of its octets.
            std::vector<std::uint8_t> b{0x00, 0x00, 0xEA, 0x60, 0x00, 0x00, 0x00, 0x04,
                                        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01};
            b.resize(116, 'x');
            (void)::send(c.fd, b.data(), b.size(), MSG_NOSIGNAL);
            if (c.what == kind::half) {
                ::shutdown(c.fd, SHUT_WR);
            }
        }
    }

    void run() {
        std::vector<conn> conns;
        for (const auto& s : sources_) {
            for (auto k : {kind::garbage, kind::silent, kind::partial, kind::half}) {
                for (unsigned i = 0; i < per_kind_; ++i) {
                    conns.push_back({-1, k, s});
                }
            }
        }
        std::mt19937 rng(12345);
        std::vector<std::uint8_t> garbage(64);
        while (!stop_) {
            std::size_t open_now = 0;
            const auto now = steady::now();
            for (auto& c : conns) {
                if (c.fd < 0) {
                    if (now < c.next_open) {
                        continue;
                    }
                    c.fd = open_one(c.source);
                    c.started = false;
                    if (c.fd < 0) {
                        c.next_open = now + 100ms;
                        continue;
                    }
                }
                ++open_now;
                // Has the daemon closed it? (EOF or reset; data it sends is drained and ignored.)
                std::uint8_t sink[4096];
                const ssize_t n = ::recv(c.fd, sink, sizeof sink, MSG_DONTWAIT);
                if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
                               errno != ENOTCONN && errno != EINPROGRESS)) {
                    ::close(c.fd);
                    c.fd = -1;
                    c.next_open = now + 100ms;
                    ++closed_by_peer_;
                    continue;
                }
                pollfd p{c.fd, POLLOUT, 0};
                if (::poll(&p, 1, 0) <= 0 || (p.revents & POLLOUT) == 0) {
                    continue;  // still connecting
                }
                if (!c.started) {
                    c.started = true;
                    first_bytes(c);
                }
                if (c.what == kind::garbage) {
                    for (auto& byte : garbage) {
                        byte = static_cast<std::uint8_t>(rng());
                    }
                    const ssize_t sent =
                        ::send(c.fd, garbage.data(), garbage.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
                    if (sent > 0) {
                        garbage_bytes_ += static_cast<std::uint64_t>(sent);
                    }
                }
            }
            peak_open_ = std::max(peak_open_.load(), open_now);
            std::this_thread::sleep_for(20ms);
        }
        for (auto& c : conns) {
            if (c.fd >= 0) {
                ::close(c.fd);
            }
        }
    }

    std::uint16_t port_;
    std::vector<std::string> sources_;
    unsigned per_kind_;
    std::atomic<bool> stop_{false};
    std::atomic<std::uint64_t> opened_{0};
    std::atomic<std::uint64_t> closed_by_peer_{0};
    std::atomic<std::uint64_t> garbage_bytes_{0};
    std::atomic<std::size_t> peak_open_{0};
    std::thread thread_;
};

}  // namespace smppgw::integration
