#pragma once
// Reading PDUs for the raw test clients (raw_client, raw_peer, tls_client): the bytes arrive in
// whatever pieces the kernel or TLS makes of them; a PDU comes out once all of it is there.

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "process.hpp"
#include "smppgw/smpp/codec.hpp"

namespace smppgw::integration {

// `Stream` has
//     bool read_some(std::vector<std::uint8_t>& into, steady::time_point deadline);
// which appends what arrives before the deadline and returns false when nothing did (EOF, error
// or timeout).
template <typename Stream>
class pdu_reader {
public:
    explicit pdu_reader(Stream& stream) noexcept : stream_(stream) {}

    // The next PDU; nullopt on EOF, error or timeout. A frame that does not decode is dropped.
    std::optional<smpp::pdu> read(std::chrono::milliseconds timeout) {
        const auto deadline = steady::now() + timeout;
        for (;;) {
            if (auto p = take()) {
                return p;
            }
            if (!stream_.read_some(buffer_, deadline)) {
                return std::nullopt;
            }
        }
    }

    // One more read_some() into the buffer, so that what it brings is still there for read().
    bool read_more(steady::time_point deadline) { return stream_.read_some(buffer_, deadline); }

    // True once the stream has seen EOF (Stream::eof()), reading up to `timeout` for it; what
    // arrives meanwhile stays for read().
    bool wait_eof(std::chrono::milliseconds timeout) {
        const auto deadline = steady::now() + timeout;
        while (!stream_.eof() && read_more(deadline)) {
        }
        return stream_.eof();
    }

    // Bytes read some other way (e.g. without waiting), for read() to see.
    void append(std::span<const std::uint8_t> bytes) {
        buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
    }

private:
    std::optional<smpp::pdu> take() {
        while (buffer_.size() >= 4) {
            const std::size_t len = smpp::peek_command_length(buffer_);
            if (len < 16 || buffer_.size() < len) {
                return std::nullopt;
            }
            smpp::pdu p;
            const auto r = smpp::decode(std::span(buffer_.data(), len), p);
            buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(len));
            if (r.ok()) {
                return p;
            }
        }
        return std::nullopt;
    }

    Stream& stream_;
    std::vector<std::uint8_t> buffer_;
};

// A blocking TCP socket as a pdu_reader stream, with poll() bounding every wait. Owns the
// descriptor.
class socket_stream {
public:
    explicit socket_stream(int fd) noexcept : fd_(fd) {}
    ~socket_stream() { close(); }
    socket_stream(const socket_stream&) = delete;
    socket_stream& operator=(const socket_stream&) = delete;

    [[nodiscard]] int fd() const noexcept { return fd_; }
    // The peer has closed the connection (FIN or RST), as far as reading has seen.
    [[nodiscard]] bool eof() const noexcept { return eof_; }

    void close() noexcept {
        if (fd_ >= 0) {
            ::close(fd_);
            fd_ = -1;
        }
    }

    bool send_bytes(const std::vector<std::uint8_t>& bytes) {
        return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
               static_cast<ssize_t>(bytes.size());
    }

    bool read_some(std::vector<std::uint8_t>& into, steady::time_point deadline) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now());
        if (left.count() <= 0 || eof_ || fd_ < 0) {
            return false;
        }
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
            return false;
        }
        std::uint8_t chunk[8192];
        const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
        if (n <= 0) {
            eof_ = true;
            return false;
        }
        into.insert(into.end(), chunk, chunk + n);
        return true;
    }

    // Appends what is there without waiting; true once the peer has closed the connection.
    bool read_ready(std::vector<std::uint8_t>& into) {
        while (!eof_ && fd_ >= 0) {
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 0) <= 0) {
                break;
            }
            std::uint8_t chunk[8192];
            const ssize_t n = ::recv(fd_, chunk, sizeof chunk, MSG_DONTWAIT);
            if (n <= 0) {
                eof_ = n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
                break;
            }
            into.insert(into.end(), chunk, chunk + n);
        }
        return eof_;
    }

private:
    int fd_ = -1;
    bool eof_ = false;
};

}  // namespace smppgw::integration
