#pragma once
// A small, fast PRNG (xoshiro256**) and weighted choice. The bench tools draw several random
// numbers per message; std::mt19937_64 would work but carries 2.5 KB of state per thread and is
// slower. Quality needs are statistical, not cryptographic.

#include <bit>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace smppgw::bench {

class rng {
public:
    using result_type = std::uint64_t;

    explicit rng(std::uint64_t seed) noexcept {
        // splitmix64 spreads any seed (0 included) over the whole state.
        for (auto& word : s_) {
            seed += 0x9E3779B97F4A7C15ULL;
            std::uint64_t z = seed;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
            word = z ^ (z >> 31);
        }
    }

    static constexpr result_type min() noexcept { return 0; }
    static constexpr result_type max() noexcept { return std::numeric_limits<result_type>::max(); }

    result_type operator()() noexcept {
        const std::uint64_t result = std::rotl(s_[1] * 5, 7) * 9;
        const std::uint64_t t = s_[1] << 17;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = std::rotl(s_[3], 45);
        return result;
    }

    // Uniform in [0, 1).
    double uniform() noexcept { return static_cast<double>((*this)() >> 11) * 0x1.0p-53; }
    // Uniform in [0, n); n > 0. The multiply-shift bias is below 2^-32 for the n we use.
    std::uint64_t below(std::uint64_t n) noexcept {
        __extension__ using u128 = unsigned __int128;
        return static_cast<std::uint64_t>((static_cast<u128>((*this)()) * n) >> 64);
    }
    bool chance(double p) noexcept { return p > 0 && uniform() < p; }

private:
    std::uint64_t s_[4]{};
};

// A named weight, as parsed from "DELIVRD=0.95,UNDELIV=0.05".
struct weighted_name {
    std::string name;
    double weight = 0;
};

// Draws an index with probability proportional to its weight (cumulative table, binary search;
// the tables here have a handful of entries).
class weighted_choice {
public:
    weighted_choice() = default;
    explicit weighted_choice(const std::vector<double>& weights);

    [[nodiscard]] std::size_t pick(rng& r) const noexcept;
    [[nodiscard]] std::size_t size() const noexcept { return cumulative_.size(); }

private:
    std::vector<double> cumulative_;  // normalised to end at 1
};

}  // namespace smppgw::bench
