#pragma once
// A fast 64-bit string hash for the in-memory indexes. Not cryptographic: the indexes draw a
// random seed per process, so clustering cannot be forced from outside, and a positive answer
// that matters (consent) carries a second, independent check hash.

#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace smppgw::store::detail {

[[nodiscard]] constexpr std::uint64_t fmix64(std::uint64_t k) noexcept {
    k ^= k >> 33U;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33U;
    k *= 0xc4ceb9fe1a85ec53ULL;
    k ^= k >> 33U;
    return k;
}

[[nodiscard]] inline std::uint64_t hash_bytes(std::string_view s, std::uint64_t seed) noexcept {
    constexpr std::uint64_t m1 = 0x9E3779B97F4A7C15ULL;
    constexpr std::uint64_t m2 = 0xC2B2AE3D27D4EB4FULL;
    std::uint64_t h = seed ^ (s.size() * m1);
    const char* p = s.data();
    std::size_t n = s.size();
    while (n >= 8) {
        std::uint64_t w;
        std::memcpy(&w, p, 8);
        h ^= fmix64(w * m2);
        h = std::rotl(h, 27) * m1 + 0x52dce729U;
        p += 8;
        n -= 8;
    }
    if (n > 0) {
        std::uint64_t w = 0;
        std::memcpy(&w, p, n);
        h ^= fmix64((w ^ (static_cast<std::uint64_t>(n) << 56U)) * m2);
        h = std::rotl(h, 31) * m1;
    }
    return fmix64(h);
}

// (brand, msisdn) and (brand, msisdn, class) keys; the length folded into each piece keeps
// ("ab", "c") and ("a", "bc") apart.
[[nodiscard]] inline std::uint64_t hash_pair(std::string_view a, std::string_view b,
                                             std::uint64_t seed) noexcept {
    return hash_bytes(b, hash_bytes(a, seed));
}

}  // namespace smppgw::store::detail
