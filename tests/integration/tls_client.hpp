#pragma once
// A TLS client for the daemon's TLS listener, step by step with a deadline on every step: TCP
// connect (optionally from a chosen loopback address), handshake, one PDU out, one PDU in.
// Tests see each step's error, so "the handshake failed" and "the bind was refused" stay apart.
//
// Each step runs the client's own io_context for at most its timeout; a step that does not
// finish closes the socket and reports timed_out.

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>

#include "pdu_reader.hpp"
#include "process.hpp"
#include "smppgw/smpp/codec.hpp"
#include "smppgw/smpp/stream.hpp"

namespace smppgw::integration {

namespace ssl = boost::asio::ssl;

// A client context trusting `ca` (empty: trust nothing), presenting `cert` when given.
struct tls_client_options {
    std::filesystem::path ca;
    std::filesystem::path certificate;
    std::filesystem::path private_key;
    int min_version = TLS1_2_VERSION;
    int max_version = 0;      // 0: the library's highest
    int security_level = -1;  // -1: the system default; 0 lets a client offer TLS 1.1
};

inline std::shared_ptr<ssl::context> make_client_context(const tls_client_options& o) {
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
    if (o.security_level >= 0) {
        SSL_CTX_set_security_level(ctx->native_handle(), o.security_level);
    }
    SSL_CTX_set_min_proto_version(ctx->native_handle(), o.min_version);
    if (o.max_version != 0) {
        SSL_CTX_set_max_proto_version(ctx->native_handle(), o.max_version);
    }
    if (!o.ca.empty()) {
        ctx->load_verify_file(o.ca.string());
        ctx->set_verify_mode(ssl::verify_peer);
    }
    if (!o.certificate.empty()) {
        ctx->use_certificate_chain_file(o.certificate.string());
        ctx->use_private_key_file(o.private_key.string(), ssl::context::pem);
    }
    return ctx;
}

class tls_client {
public:
    tls_client(std::shared_ptr<ssl::context> ctx, std::uint16_t port,
               std::string local_address = "127.0.0.1")
        : ctx_(std::move(ctx)), port_(port), local_(std::move(local_address)) {
        stream_ = std::make_unique<smpp::tls_stream>(io_, *ctx_);
    }
    ~tls_client() { close(); }
    tls_client(const tls_client&) = delete;
    tls_client& operator=(const tls_client&) = delete;

    boost::system::error_code connect(std::chrono::milliseconds timeout = 5s) {
        auto& sock = stream_->next_layer();
        boost::system::error_code ec;
        sock.open(boost::asio::ip::tcp::v4(), ec);
        if (!ec) {
            sock.bind({boost::asio::ip::make_address(local_), 0}, ec);
        }
        if (ec) {
            return ec;
        }
        const boost::asio::ip::tcp::endpoint to(boost::asio::ip::make_address("127.0.0.1"), port_);
        return step([&](auto done) { sock.async_connect(to, done); }, timeout);
    }

    // TLS handshake; `sni` sets the server name sent and (with a CA) checked.
    boost::system::error_code handshake(const std::string& sni = "localhost",
                                        std::chrono::milliseconds timeout = 5s) {
        if (!sni.empty()) {
            SSL_set_tlsext_host_name(stream_->native_handle(), sni.c_str());
            stream_->set_verify_callback(ssl::host_name_verification(sni));
        }
        return step([&](auto done) { stream_->async_handshake(ssl::stream_base::client, done); },
                    timeout);
    }

    // connect() and handshake(); the first error.
    boost::system::error_code open(const std::string& sni = "localhost",
                                   std::chrono::milliseconds timeout = 5s) {
        if (auto ec = connect(timeout)) {
            return ec;
        }
        return handshake(sni, timeout);
    }

    boost::system::error_code send_pdu(smpp::pdu p, std::chrono::milliseconds timeout = 5s) {
        if (p.sequence_number == 0) {
            p.sequence_number = ++next_sequence_;
        }
        std::vector<std::uint8_t> bytes;
        if (auto ec = smpp::encode(p, bytes)) {
            return boost::system::errc::make_error_code(boost::system::errc::invalid_argument);
        }
        return step(
            [&](auto done) {
                boost::asio::async_write(
                    *stream_, boost::asio::buffer(bytes),
                    [done](const boost::system::error_code& e, std::size_t) { done(e); });
            },
            timeout);
    }

    // The next PDU; nullopt on EOF, error or timeout (last_error() says which).
    std::optional<smpp::pdu> read_pdu(std::chrono::milliseconds timeout = default_wait) {
        return reader_.read(timeout);
    }

    // The response to a request we sent: skips requests from the daemon (none are expected on a
    // transmitter bind) and other PDUs.
    std::optional<smpp::pdu> call(smpp::pdu request,
                                  std::chrono::milliseconds timeout = default_wait) {
        request.sequence_number = ++next_sequence_;
        const auto seq = request.sequence_number;
        if (auto ec = send_pdu(std::move(request))) {
            last_error_ = ec;
            return std::nullopt;
        }
        const auto deadline = steady::now() + timeout;
        while (steady::now() < deadline) {
            auto p = read_pdu(
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now()));
            if (!p) {
                return std::nullopt;
            }
            if (p->sequence_number == seq && smpp::is_response(p->command_id())) {
                return p;
            }
        }
        return std::nullopt;
    }

    // True once the daemon has closed the connection (EOF, reset or TLS close).
    bool wait_eof(std::chrono::milliseconds timeout = default_wait) {
        const auto deadline = steady::now() + timeout;
        while (steady::now() < deadline) {
            (void)read_pdu(
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now()));
            if (last_error_ && last_error_ != boost::asio::error::timed_out) {
                return true;
            }
        }
        return false;
    }

    // The subject CN of the certificate the server presented; empty without one.
    [[nodiscard]] std::string server_common_name() {
        X509* cert = SSL_get1_peer_certificate(stream_->native_handle());
        if (cert == nullptr) {
            return {};
        }
        char buffer[256] = {};
        const int n = X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buffer,
                                                sizeof buffer);
        X509_free(cert);
        return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : std::string();
    }

    [[nodiscard]] std::string negotiated_version() {
        return SSL_get_version(stream_->native_handle());
    }

    [[nodiscard]] boost::system::error_code last_error() const noexcept { return last_error_; }

    void close() {
        boost::system::error_code ignored;
        stream_->next_layer().close(ignored);
    }

private:
    friend class pdu_reader<tls_client>;

    // One read for pdu_reader; an error that still brought bytes counts as a read (the next one
    // reports it).
    bool read_some(std::vector<std::uint8_t>& into, steady::time_point deadline) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now());
        if (left.count() <= 0) {
            last_error_ = boost::asio::error::timed_out;
            return false;
        }
        std::array<std::uint8_t, 4096> chunk{};
        std::size_t got = 0;
        last_error_ = step(
            [&](auto done) {
                stream_->async_read_some(
                    boost::asio::buffer(chunk),
                    [done, &got](const boost::system::error_code& e, std::size_t n) {
                        got = n;
                        done(e);
                    });
            },
            left);
        into.insert(into.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(got));
        return !last_error_ || got > 0;
    }

    // Runs one asynchronous operation to completion or to the deadline.
    template <typename Start>
    boost::system::error_code step(Start start, std::chrono::milliseconds timeout) {
        bool finished = false;
        boost::system::error_code result;
        start([&finished, &result](const boost::system::error_code& e) {
            finished = true;
            result = e;
        });
        io_.restart();
        io_.run_for(timeout);
        if (!finished) {
            close();  // the pending operation completes with operation_aborted
            io_.restart();
            io_.run_for(2s);
            return boost::asio::error::timed_out;
        }
        return result;
    }

    boost::asio::io_context io_;
    std::shared_ptr<ssl::context> ctx_;
    std::uint16_t port_;
    std::string local_;
    std::unique_ptr<smpp::tls_stream> stream_;
    pdu_reader<tls_client> reader_{*this};
    boost::system::error_code last_error_;
    std::uint32_t next_sequence_ = 0;
};

}  // namespace smppgw::integration
