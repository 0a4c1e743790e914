#pragma once
// Byte-level encoding shared by keys and values: big-endian fixed integers (keys, so that byte
// order is numeric order), LEB128 varints and zigzag (values, compact), length-prefixed bytes.
//
// The reader never throws and never reads past its input: a short or malformed input turns it
// into the failed state, every later read returns zero/empty, and ok() reports it once at the
// end of a decode.

#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "smppgw/policy/records.hpp"

namespace smppgw::store::detail {

using policy::time_point;

inline void put_be64(std::string& out, std::uint64_t v) {
    char b[8];
    for (int i = 7; i >= 0; --i) {
        b[i] = static_cast<char>(v & 0xFFU);
        v >>= 8U;
    }
    out.append(b, 8);
}

[[nodiscard]] inline std::uint64_t get_be64(const char* p) noexcept {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) {
        v = (v << 8U) | static_cast<unsigned char>(p[i]);
    }
    return v;
}

// Instants in keys: milliseconds as a two's complement int64 with the sign bit flipped, so the
// unsigned big-endian order is the time order (negative instants sort first).
[[nodiscard]] inline std::uint64_t time_to_key(time_point t) noexcept {
    return static_cast<std::uint64_t>(t.time_since_epoch().count()) ^ (1ULL << 63U);
}
[[nodiscard]] inline time_point time_from_key(std::uint64_t k) noexcept {
    return time_point{std::chrono::milliseconds{static_cast<std::int64_t>(k ^ (1ULL << 63U))}};
}

inline void put_varint(std::string& out, std::uint64_t v) {
    while (v >= 0x80U) {
        out.push_back(static_cast<char>((v & 0x7FU) | 0x80U));
        v >>= 7U;
    }
    out.push_back(static_cast<char>(v));
}

[[nodiscard]] inline std::uint64_t zigzag(std::int64_t v) noexcept {
    return (static_cast<std::uint64_t>(v) << 1U) ^ static_cast<std::uint64_t>(v >> 63);
}
[[nodiscard]] inline std::int64_t unzigzag(std::uint64_t v) noexcept {
    return static_cast<std::int64_t>(v >> 1U) ^ -static_cast<std::int64_t>(v & 1U);
}

inline void put_u8(std::string& out, std::uint8_t v) {
    out.push_back(static_cast<char>(v));
}
inline void put_time(std::string& out, time_point t) {
    put_varint(out, zigzag(t.time_since_epoch().count()));
}
inline void put_bytes(std::string& out, std::string_view s) {
    put_varint(out, s.size());
    out.append(s);
}

class reader {
public:
    explicit reader(std::string_view in) noexcept : in_(in) {}

    [[nodiscard]] bool ok() const noexcept { return ok_; }
    [[nodiscard]] bool done() const noexcept { return ok_ && pos_ == in_.size(); }
    [[nodiscard]] std::size_t remaining() const noexcept { return ok_ ? in_.size() - pos_ : 0; }
    void fail() noexcept { ok_ = false; }

    std::uint8_t u8() noexcept {
        if (!ok_ || pos_ >= in_.size()) {
            ok_ = false;
            return 0;
        }
        return static_cast<std::uint8_t>(in_[pos_++]);
    }

    std::uint64_t varint() noexcept {
        std::uint64_t v = 0;
        for (unsigned shift = 0; shift < 64; shift += 7) {
            if (!ok_ || pos_ >= in_.size()) {
                ok_ = false;
                return 0;
            }
            const auto b = static_cast<std::uint8_t>(in_[pos_++]);
            v |= static_cast<std::uint64_t>(b & 0x7FU) << shift;
            if ((b & 0x80U) == 0) {
                return v;
            }
        }
        ok_ = false;  // more than 10 bytes: not ours
        return 0;
    }

    template <typename T>
    T varint_as(T max) noexcept {
        const auto v = varint();
        if (v > static_cast<std::uint64_t>(max)) {
            ok_ = false;
            return T{};
        }
        return static_cast<T>(v);
    }

    time_point time() noexcept { return time_point{std::chrono::milliseconds{unzigzag(varint())}}; }

    std::string_view bytes() noexcept {
        const auto n = varint();
        if (!ok_ || n > in_.size() - pos_) {
            ok_ = false;
            return {};
        }
        auto s = in_.substr(pos_, static_cast<std::size_t>(n));
        pos_ += static_cast<std::size_t>(n);
        return s;
    }

    std::uint64_t be64() noexcept {
        if (!ok_ || in_.size() - pos_ < 8) {
            ok_ = false;
            return 0;
        }
        const auto v = get_be64(in_.data() + pos_);
        pos_ += 8;
        return v;
    }

    // Everything not read yet.
    std::string_view rest() noexcept {
        if (!ok_) {
            return {};
        }
        auto s = in_.substr(pos_);
        pos_ = in_.size();
        return s;
    }

    // Up to (not including) the next NUL, consuming the NUL; fails if there is none.
    std::string_view until_nul() noexcept {
        if (!ok_) {
            return {};
        }
        const auto end = in_.find('\0', pos_);
        if (end == std::string_view::npos) {
            ok_ = false;
            return {};
        }
        auto s = in_.substr(pos_, end - pos_);
        pos_ = end + 1;
        return s;
    }

private:
    std::string_view in_;
    std::size_t pos_ = 0;
    bool ok_ = true;
};

}  // namespace smppgw::store::detail
