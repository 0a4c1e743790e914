#pragma once
// The little binary pieces the cluster's own message formats are made of (send-count batches,
// outbox batches): little-endian fixed integers, LEB128 varints, length-prefixed fields, and a
// reader that turns any overrun into `ok = false` instead of reading past the end.
//
// Thread rule: pure functions and a value type.

#include <cstdint>
#include <string>
#include <string_view>

namespace smppgw::cluster::detail {

inline void put_i64(std::string& out, std::int64_t v) {
    const auto u = static_cast<std::uint64_t>(v);
    for (int i = 0; i < 8; ++i) {
        out.push_back(static_cast<char>((u >> (8 * i)) & 0xFFU));
    }
}

inline void put_varint(std::string& out, std::uint64_t v) {
    while (v >= 0x80) {
        out.push_back(static_cast<char>((v & 0x7FU) | 0x80U));
        v >>= 7U;
    }
    out.push_back(static_cast<char>(v));
}

inline void put_field(std::string& out, std::string_view v) {
    put_varint(out, v.size());
    out.append(v);
}

struct byte_reader {
    std::string_view in;
    bool ok = true;

    std::uint8_t u8() {
        if (in.empty()) {
            ok = false;
            return 0;
        }
        const auto v = static_cast<std::uint8_t>(in.front());
        in.remove_prefix(1);
        return v;
    }
    std::int64_t i64() {
        if (in.size() < 8) {
            ok = false;
            return 0;
        }
        std::uint64_t u = 0;
        for (std::size_t i = 0; i < 8; ++i) {
            u |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(in[i])) << (8 * i);
        }
        in.remove_prefix(8);
        return static_cast<std::int64_t>(u);
    }
    std::uint64_t varint() {
        std::uint64_t n = 0;
        for (unsigned shift = 0; shift < 64; shift += 7) {
            const auto b = u8();
            n |= static_cast<std::uint64_t>(b & 0x7FU) << shift;
            if ((b & 0x80U) == 0) {
                return n;
            }
        }
        ok = false;  // more than ten bytes: not a varint of ours
        return 0;
    }
    // A length-prefixed field of at most `max` bytes (a longer length is damage, not data).
    std::string_view field(std::uint64_t max) {
        const auto n = varint();
        if (!ok || n > max || n > in.size()) {
            ok = false;
            return {};
        }
        const auto v = in.substr(0, static_cast<std::size_t>(n));
        in.remove_prefix(static_cast<std::size_t>(n));
        return v;
    }
};

}  // namespace smppgw::cluster::detail
