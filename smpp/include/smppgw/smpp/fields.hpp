#pragma once
// Fixed-capacity field types. PDU bodies hold their strings inline so that decoding a PDU
// without TLVs never touches the heap; capacities are the spec's maxima, so a value that fits
// the type is valid on the wire by construction.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

namespace smppgw::smpp {

// A C-Octet String of the spec's C(Max): at most Max-1 characters plus the terminating NUL on
// the wire. Holds no NUL itself. ReadMax > Max admits longer values from peers that ignore the
// limit (read leniently); the strict encoder still refuses anything over Max-1.
template <std::size_t Max, std::size_t ReadMax = Max>
class c_string {
    static_assert(Max >= 1 && ReadMax >= Max && ReadMax <= 256);

public:
    static constexpr std::size_t spec_max_length = Max - 1;
    static constexpr std::size_t max_length = ReadMax - 1;
    static constexpr std::size_t wire_max = ReadMax;  // octets including the NUL

    constexpr c_string() noexcept = default;
    // Implicit from literals keeps test and setup code readable; use assign() for untrusted input.
    template <std::size_t N>
    constexpr c_string(const char (&literal)[N]) noexcept {  // NOLINT(google-explicit-constructor)
        static_assert(N - 1 <= max_length, "literal longer than the field allows");
        (void)assign(std::string_view(literal, N - 1));
    }

    // False (and unchanged) when the value is too long or contains a NUL.
    [[nodiscard]] constexpr bool assign(std::string_view s) noexcept {
        if (s.size() > max_length || s.find('\0') != std::string_view::npos) {
            return false;
        }
        std::copy(s.begin(), s.end(), data_.begin());
        size_ = static_cast<std::uint8_t>(s.size());
        return true;
    }

    // For the decoder, which has already bounded the length and found no NUL inside it.
    void assign_unchecked(const char* data, std::size_t length) noexcept {
        std::memcpy(data_.data(), data, length);
        size_ = static_cast<std::uint8_t>(length);
    }

    [[nodiscard]] constexpr std::string_view view() const noexcept { return {data_.data(), size_}; }
    [[nodiscard]] constexpr std::size_t size() const noexcept { return size_; }
    [[nodiscard]] constexpr bool empty() const noexcept { return size_ == 0; }
    constexpr void clear() noexcept { size_ = 0; }

    friend constexpr bool operator==(const c_string& a, const c_string& b) noexcept {
        return a.view() == b.view();
    }
    friend constexpr bool operator==(const c_string& a, std::string_view b) noexcept {
        return a.view() == b;
    }

private:
    // Left uninitialised beyond size_ on purpose: zeroing 65 octets per field on every decode
    // is measurable at millions of PDUs per second.
    std::array<char, max_length> data_;
    std::uint8_t size_ = 0;
};

// short_message: an octet string preceded on the wire by its one-octet sm_length. The spec caps
// it at 254 octets; peers send 255 (cloudhopper), so 255 is accepted on read.
class short_message_t {
public:
    static constexpr std::size_t capacity = 255;
    static constexpr std::size_t spec_max = 254;

    constexpr short_message_t() noexcept = default;

    [[nodiscard]] bool assign(std::span<const std::uint8_t> bytes) noexcept {
        if (bytes.size() > capacity) {
            return false;
        }
        if (!bytes.empty()) {  // an empty span may carry a null pointer, which memcpy forbids
            std::memcpy(data_.data(), bytes.data(), bytes.size());
        }
        size_ = static_cast<std::uint8_t>(bytes.size());
        return true;
    }
    [[nodiscard]] bool assign(std::string_view text) noexcept {
        return assign(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
    }

    [[nodiscard]] std::span<const std::uint8_t> bytes() const noexcept { return {data_.data(), size_}; }
    [[nodiscard]] std::string_view chars() const noexcept {
        return {reinterpret_cast<const char*>(data_.data()), size_};
    }
    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
    void clear() noexcept { size_ = 0; }

    friend bool operator==(const short_message_t& a, const short_message_t& b) noexcept {
        return std::ranges::equal(a.bytes(), b.bytes());
    }

private:
    std::array<std::uint8_t, capacity> data_;
    std::uint8_t size_ = 0;
};

}  // namespace smppgw::smpp
