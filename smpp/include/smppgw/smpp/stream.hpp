#pragma once
// The byte stream under a session: plain TCP or TLS over TCP, chosen at connect/accept time.
// SMPP over TLS is the same PDUs inside the TLS stream (SMPP.md §11), so the session does not
// care which one it has.

#include <variant>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>

namespace smppgw::smpp {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using tls_stream = asio::ssl::stream<tcp::socket>;

class stream {
public:
    using executor_type = tcp::socket::executor_type;

    explicit stream(tcp::socket socket) : s_(std::move(socket)) {}
    explicit stream(tls_stream tls) : s_(std::move(tls)) {}

    [[nodiscard]] bool is_tls() const noexcept { return std::holds_alternative<tls_stream>(s_); }

    [[nodiscard]] tcp::socket& socket() noexcept {
        return std::visit(
            [](auto& s) -> tcp::socket& {
                if constexpr (std::is_same_v<std::decay_t<decltype(s)>, tcp::socket>) {
                    return s;
                } else {
                    return s.next_layer();
                }
            },
            s_);
    }

    template <typename Buffers, typename Token>
    auto async_read_some(const Buffers& buffers, Token&& token) {
        return std::visit(
            [&](auto& s) { return s.async_read_some(buffers, std::forward<Token>(token)); }, s_);
    }

    template <typename Buffers, typename Token>
    auto async_write_some(const Buffers& buffers, Token&& token) {
        return std::visit(
            [&](auto& s) { return s.async_write_some(buffers, std::forward<Token>(token)); }, s_);
    }

    // Closes the TCP socket without a TLS close_notify: used when the peer is gone or hostile.
    void close() noexcept {
        boost::system::error_code ignored;
        socket().shutdown(tcp::socket::shutdown_both, ignored);
        socket().close(ignored);
    }

    [[nodiscard]] executor_type get_executor() { return socket().get_executor(); }

private:
    std::variant<tcp::socket, tls_stream> s_;
};

}  // namespace smppgw::smpp
