#pragma once
// The PROXY protocol header (HAProxy's, versions 1 and 2) a load balancer sends before the
// client's own bytes, so that a node behind it sees the application's address instead of the
// balancer's: for accounts[].allowed_networks, the per-address limits, logs and /v1/binds.
//
// Read byte-exactly: nothing after the header is consumed, so the SMPP (or TLS) bytes that follow
// stay in the socket for the session. Version 2 is recognised by its 12-byte signature, version 1
// by "PROXY "; the reader asks for more bytes until it knows the header's length.
//
// Thread rule: pure functions, any thread.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>

namespace smppgw::gateway {

// What a complete header says.
struct proxy_source {
    // The client's address as text ("203.0.113.7", "2001:db8::1"); empty when the header says
    // the connection is the balancer's own (v2 LOCAL, v1 UNKNOWN): use the socket's peer then.
    std::string address;
    std::uint16_t port = 0;
};

// The bytes read so far are not yet a whole header: read this many more, then ask again.
struct proxy_need {
    std::size_t more = 0;
};

// Not a PROXY header, or a malformed one: the connection is refused with this reason.
struct proxy_error {
    std::string reason;
};

using proxy_parse = std::variant<proxy_source, proxy_need, proxy_error>;

// Longest header accepted: v1's 107 bytes, v2's 16 plus at most this much of addresses and TLVs.
inline constexpr std::size_t proxy_v2_max_payload = 512;

// Parses the first `bytes` of a connection. Start with proxy_first_read bytes.
inline constexpr std::size_t proxy_first_read = 12;
[[nodiscard]] proxy_parse parse_proxy_header(std::span<const std::uint8_t> bytes);

}  // namespace smppgw::gateway
