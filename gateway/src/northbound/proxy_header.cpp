#include "northbound/proxy_header.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <string_view>

#include <boost/asio/ip/address.hpp>

namespace smppgw::gateway {
namespace {

constexpr std::array<std::uint8_t, 12> v2_signature{0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                                    0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
constexpr std::size_t v1_max = 107;  // "PROXY" line with CRLF, by the specification

std::string_view as_text(std::span<const std::uint8_t> bytes) {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

proxy_parse parse_v1(std::span<const std::uint8_t> bytes) {
    const auto text = as_text(bytes);
    const auto end = text.find("\r\n");
    if (end == std::string_view::npos) {
        if (text.size() >= v1_max) {
            return proxy_error{"PROXY v1 line longer than 107 bytes"};
        }
        return proxy_need{1};  // a line: one byte at a time, never past its end
    }
    if (end + 2 != text.size()) {
        return proxy_error{"bytes after the PROXY v1 line"};  // cannot happen reading by one
    }
    // PROXY <TCP4|TCP6|UNKNOWN> <src> <dst> <sport> <dport>
    std::array<std::string_view, 6> field{};
    std::size_t n = 0;
    std::string_view rest = text.substr(0, end);
    while (!rest.empty() && n < field.size()) {
        const auto space = rest.find(' ');
        field[n++] = rest.substr(0, space);
        rest = space == std::string_view::npos ? std::string_view{} : rest.substr(space + 1);
    }
    if (n >= 2 && field[1] == "UNKNOWN") {
        return proxy_source{};
    }
    if (n != 6 || !rest.empty() || (field[1] != "TCP4" && field[1] != "TCP6")) {
        return proxy_error{"malformed PROXY v1 line"};
    }
    boost::system::error_code ec;
    const auto address = boost::asio::ip::make_address(std::string(field[2]), ec);
    if (ec || address.is_v4() != (field[1] == "TCP4")) {
        return proxy_error{"PROXY v1 source address is not a " + std::string(field[1]) + " address"};
    }
    unsigned port = 0;
    const auto p = field[4];
    const auto [ptr, pec] = std::from_chars(p.data(), p.data() + p.size(), port);
    if (pec != std::errc{} || ptr != p.data() + p.size() || port > 65535) {
        return proxy_error{"PROXY v1 source port is not a port"};
    }
    return proxy_source{address.to_string(), static_cast<std::uint16_t>(port)};
}

proxy_parse parse_v2(std::span<const std::uint8_t> bytes) {
    if (bytes.size() < 16) {
        return proxy_need{16 - bytes.size()};
    }
    const auto version = bytes[12] >> 4;
    const auto command = bytes[12] & 0x0F;
    const auto family = bytes[13];
    const std::size_t length = (std::size_t{bytes[14]} << 8) | bytes[15];
    if (version != 2 || command > 1) {
        return proxy_error{"PROXY v2 header with an unknown version or command"};
    }
    if (length > proxy_v2_max_payload) {
        return proxy_error{"PROXY v2 header longer than 512 bytes"};
    }
    if (bytes.size() < 16 + length) {
        return proxy_need{16 + length - bytes.size()};
    }
    if (bytes.size() > 16 + length) {
        return proxy_error{"bytes after the PROXY v2 header"};
    }
    const auto payload = bytes.subspan(16);
    if (command == 0) {  // LOCAL: the balancer's own connection (its health checks)
        return proxy_source{};
    }
    const auto port_at = [&](std::size_t at) {
        return static_cast<std::uint16_t>((payload[at] << 8) | payload[at + 1]);
    };
    switch (family) {
        case 0x11:    // TCP over IPv4: src 4, dst 4, sport 2, dport 2
        case 0x12: {  // UDP over IPv4: the same layout
            if (payload.size() < 12) {
                return proxy_error{"PROXY v2 IPv4 addresses truncated"};
            }
            boost::asio::ip::address_v4::bytes_type a{};
            std::copy_n(payload.begin(), 4, a.begin());
            return proxy_source{boost::asio::ip::address_v4(a).to_string(), port_at(8)};
        }
        case 0x21:
        case 0x22: {
            if (payload.size() < 36) {
                return proxy_error{"PROXY v2 IPv6 addresses truncated"};
            }
            boost::asio::ip::address_v6::bytes_type a{};
            std::copy_n(payload.begin(), 16, a.begin());
            return proxy_source{boost::asio::ip::address_v6(a).to_string(), port_at(32)};
        }
        default:  // UNSPEC, unix sockets: nothing to say about an IP client
            return proxy_source{};
    }
}

}  // namespace

proxy_parse parse_proxy_header(std::span<const std::uint8_t> bytes) {
    if (bytes.size() < proxy_first_read) {
        return proxy_need{proxy_first_read - bytes.size()};
    }
    if (std::equal(v2_signature.begin(), v2_signature.end(), bytes.begin())) {
        return parse_v2(bytes);
    }
    if (as_text(bytes.first(6)) == "PROXY ") {
        return parse_v1(bytes);
    }
    return proxy_error{"no PROXY protocol header (listeners[].proxy_protocol is on)"};
}

}  // namespace smppgw::gateway
