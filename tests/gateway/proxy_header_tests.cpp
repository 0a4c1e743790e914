// The PROXY protocol header (v1 text, v2 binary) a balancer sends before the client's bytes:
// read byte-exactly, so nothing of the SMPP stream after it is consumed; the client's address
// for IPv4 and IPv6; the balancer's own connections (LOCAL, UNKNOWN); and every malformed or
// missing header refused with a reason.

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "northbound/proxy_header.hpp"

using namespace smppgw::gateway;

namespace {

std::vector<std::uint8_t> bytes_of(const std::string& s) {
    return {s.begin(), s.end()};
}

// Feeds `header` the way the listener reads it: proxy_first_read bytes, then what the parser
// asks for, never more. Returns the result and how many bytes were read.
std::pair<proxy_parse, std::size_t> read_like_listener(const std::vector<std::uint8_t>& stream) {
    std::vector<std::uint8_t> got;
    std::size_t want = proxy_first_read;
    for (;;) {
        if (got.size() + want > stream.size()) {
            return {proxy_error{"stream ended"}, got.size()};
        }
        got.insert(got.end(), stream.begin() + static_cast<std::ptrdiff_t>(got.size()),
                   stream.begin() + static_cast<std::ptrdiff_t>(got.size() + want));
        auto r = parse_proxy_header(got);
        if (const auto* need = std::get_if<proxy_need>(&r)) {
            want = need->more;
            continue;
        }
        return {r, got.size()};
    }
}

std::vector<std::uint8_t> v2(std::uint8_t command, std::uint8_t family,
                             const std::vector<std::uint8_t>& payload) {
    std::vector<std::uint8_t> h{0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54,
                                0x0A};
    h.push_back(static_cast<std::uint8_t>(0x20 | command));
    h.push_back(family);
    h.push_back(static_cast<std::uint8_t>(payload.size() >> 8));
    h.push_back(static_cast<std::uint8_t>(payload.size() & 0xFF));
    h.insert(h.end(), payload.begin(), payload.end());
    return h;
}

const std::string smpp_bind(16, '\x00');  // stands for the first SMPP bytes after the header

}  // namespace

TEST_CASE("PROXY v1: the client's address, and not one byte of what follows", "[proxy]") {
    const std::string line = "PROXY TCP4 203.0.113.7 10.0.0.11 51000 2775\r\n";
    const auto [r, read] = read_like_listener(bytes_of(line + smpp_bind));
    REQUIRE(std::holds_alternative<proxy_source>(r));
    CHECK(std::get<proxy_source>(r).address == "203.0.113.7");
    CHECK(std::get<proxy_source>(r).port == 51000);
    CHECK(read == line.size());

    const std::string v6 = "PROXY TCP6 2001:db8::7 2001:db8::1 4000 2775\r\n";
    const auto [r6, read6] = read_like_listener(bytes_of(v6 + smpp_bind));
    REQUIRE(std::holds_alternative<proxy_source>(r6));
    CHECK(std::get<proxy_source>(r6).address == "2001:db8::7");
    CHECK(read6 == v6.size());

    // The balancer's own connection: no client address, the socket's peer is used.
    const std::string unknown = "PROXY UNKNOWN\r\n";
    const auto [ru, readu] = read_like_listener(bytes_of(unknown + smpp_bind));
    REQUIRE(std::holds_alternative<proxy_source>(ru));
    CHECK(std::get<proxy_source>(ru).address.empty());
    CHECK(readu == unknown.size());
}

TEST_CASE("PROXY v2: IPv4, IPv6, LOCAL, TLVs skipped, nothing after the header read",
          "[proxy]") {
    // 198.51.100.9:40000 -> 10.0.0.11:2775, then a TLV (type 0x04, NOOP, 3 bytes).
    std::vector<std::uint8_t> p4{198, 51, 100, 9, 10, 0, 0, 11, 0x9C, 0x40, 0x0A, 0xD7,
                                 0x04, 0x00, 0x03, 1, 2, 3};
    auto h = v2(1, 0x11, p4);
    const auto header_size = h.size();
    h.insert(h.end(), smpp_bind.begin(), smpp_bind.end());
    const auto [r, read] = read_like_listener(h);
    REQUIRE(std::holds_alternative<proxy_source>(r));
    CHECK(std::get<proxy_source>(r).address == "198.51.100.9");
    CHECK(std::get<proxy_source>(r).port == 40000);
    CHECK(read == header_size);

    std::vector<std::uint8_t> p6(36, 0);
    p6[0] = 0x20;
    p6[1] = 0x01;
    p6[2] = 0x0d;
    p6[3] = 0xb8;
    p6[15] = 0x09;
    p6[32] = 0x13;
    p6[33] = 0x88;
    const auto [r6, read6] = read_like_listener(v2(1, 0x21, p6));
    REQUIRE(std::holds_alternative<proxy_source>(r6));
    CHECK(std::get<proxy_source>(r6).address == "2001:db8::9");
    CHECK(std::get<proxy_source>(r6).port == 5000);
    CHECK(read6 == 16 + 36);

    const auto [rl, readl] = read_like_listener(v2(0, 0x00, {}));
    REQUIRE(std::holds_alternative<proxy_source>(rl));
    CHECK(std::get<proxy_source>(rl).address.empty());
    CHECK(readl == 16);
}

TEST_CASE("no header, or a malformed one: refused with a reason", "[proxy]") {
    auto refused = [](const std::vector<std::uint8_t>& stream) {
        const auto [r, read] = read_like_listener(stream);
        (void)read;
        const auto* e = std::get_if<proxy_error>(&r);
        return e != nullptr && !e->reason.empty();
    };
    // An SMPP bind_transceiver straight away (a client that bypassed the balancer).
    std::vector<std::uint8_t> bind{0, 0, 0, 0x2F, 0, 0, 0, 0x09, 0, 0, 0, 0, 0, 0, 0, 1};
    bind.resize(0x2F);
    CHECK(refused(bind));
    CHECK(refused(bytes_of("PROXY TCP4 203.0.113.7 10.0.0.11 51000\r\n" + smpp_bind)));
    CHECK(refused(bytes_of("PROXY TCP4 2001:db8::7 10.0.0.11 1 2\r\n" + smpp_bind)));
    CHECK(refused(bytes_of("PROXY TCP4 203.0.113.7 10.0.0.11 70000 2775\r\n" + smpp_bind)));
    CHECK(refused(bytes_of("PROXY UDP4 203.0.113.7 10.0.0.11 1 2\r\n" + smpp_bind)));
    CHECK(refused(bytes_of("PROXY TCP4 " + std::string(120, '1') + "\r\n")));
    CHECK(refused(v2(2, 0x11, std::vector<std::uint8_t>(12, 1))));  // unknown command
    CHECK(refused(v2(1, 0x11, std::vector<std::uint8_t>(5, 1))));   // IPv4 truncated
    CHECK(refused(v2(1, 0x21, std::vector<std::uint8_t>(20, 1))));  // IPv6 truncated
    CHECK(refused(v2(1, 0x11, std::vector<std::uint8_t>(600, 1))));  // over 512 bytes
}
