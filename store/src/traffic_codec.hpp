#pragma once
// The stats family's values (keys: keys.hpp): a count as 8 bytes little-endian, both as the
// stored value and as a merge operand that adds to it (merge_operators.hpp).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace smppgw::store::detail {

inline void encode_count(std::uint64_t n, std::string& out) {
    out.clear();
    for (int i = 0; i < 8; ++i) {
        out.push_back(static_cast<char>((n >> (8U * static_cast<unsigned>(i))) & 0xFFU));
    }
}

[[nodiscard]] inline std::optional<std::uint64_t> decode_count(std::string_view v) noexcept {
    if (v.size() != 8) {
        return std::nullopt;
    }
    std::uint64_t n = 0;
    for (int i = 7; i >= 0; --i) {
        n = (n << 8U) | static_cast<unsigned char>(v[static_cast<std::size_t>(i)]);
    }
    return n;
}

}  // namespace smppgw::store::detail
