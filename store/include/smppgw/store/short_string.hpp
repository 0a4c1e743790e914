#pragma once
// smppgw::store::short_string — a string in 24 bytes, aligned to 1, that keeps up to 23
// characters inline and puts longer ones in a heap block.
//
// For the short strings every message in flight carries: its addresses (SMPP caps
// source_addr and destination_addr at 20 characters in submit_sm, 64 in data_sm), the
// normalized number and the carriers' message ids (usually 8 to 20 characters). std::string
// takes 32 bytes, aligned to 8, and a heap block beyond 15 characters; this one takes 24,
// aligned to 1, so a one-byte TON and NPI sit next to it without padding.
//
// Thread rule: a value type; the usual rules for sharing one between threads.

#include <array>
#include <compare>
#include <cstdint>
#include <cstring>
#include <functional>
#include <iosfwd>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace smppgw::store {

class short_string {
public:
    static constexpr std::size_t inline_capacity = 23;

    short_string() noexcept { bytes_[tag_at] = 0; }
    short_string(std::string_view s) { init(s); }                               // NOLINT: like string
    short_string(const std::string& s) : short_string(std::string_view{s}) {}  // NOLINT
    short_string(const char* s) : short_string(std::string_view{s}) {}         // NOLINT
    short_string(const short_string& other) { init(other.view()); }
    short_string(short_string&& other) noexcept : bytes_(other.bytes_) {
        other.bytes_[tag_at] = 0;  // the block, if any, is ours now
    }
    short_string& operator=(const short_string& other) {
        if (this != &other) {
            assign(other.view());
        }
        return *this;
    }
    short_string& operator=(short_string&& other) noexcept {
        if (this != &other) {
            release();
            bytes_ = other.bytes_;
            other.bytes_[tag_at] = 0;
        }
        return *this;
    }
    short_string& operator=(std::string_view s) {
        assign(s);
        return *this;
    }
    short_string& operator=(const std::string& s) { return *this = std::string_view{s}; }
    short_string& operator=(const char* s) { return *this = std::string_view{s}; }
    ~short_string() { release(); }

    void assign(std::string_view s) {
        short_string fresh(s);  // s may point into this string
        *this = std::move(fresh);
    }
    void clear() noexcept {
        release();
        bytes_[tag_at] = 0;
    }

    [[nodiscard]] bool empty() const noexcept { return bytes_[tag_at] == 0; }
    [[nodiscard]] std::size_t size() const noexcept {
        if (!on_heap()) {
            return static_cast<unsigned char>(bytes_[tag_at]);
        }
        std::uint32_t n = 0;
        std::memcpy(&n, bytes_.data() + sizeof(char*), sizeof n);
        return n;
    }
    [[nodiscard]] const char* data() const noexcept {
        return on_heap() ? heap_block() : bytes_.data();
    }
    [[nodiscard]] std::string_view view() const noexcept { return {data(), size()}; }
    [[nodiscard]] std::string str() const { return std::string{view()}; }
    operator std::string_view() const noexcept { return view(); }  // NOLINT
    // True when the characters live in a heap block (more than inline_capacity of them).
    [[nodiscard]] bool on_heap() const noexcept {
        return static_cast<unsigned char>(bytes_[tag_at]) == heap_tag;
    }

    friend bool operator==(const short_string& a, const short_string& b) noexcept {
        return a.view() == b.view();
    }
    friend bool operator==(const short_string& a, std::string_view b) noexcept {
        return a.view() == b;
    }
    friend bool operator==(const short_string& a, const std::string& b) noexcept {
        return a.view() == b;
    }
    friend bool operator==(const short_string& a, const char* b) noexcept {
        return a.view() == b;
    }
    friend std::strong_ordering operator<=>(const short_string& a,
                                            const short_string& b) noexcept {
        return a.view() <=> b.view();
    }
    friend std::strong_ordering operator<=>(const short_string& a, std::string_view b) noexcept {
        return a.view() <=> b;
    }
    friend std::ostream& operator<<(std::ostream& os, const short_string& s);

private:
    // Inline: the characters from byte 0, their count in the last byte (0..23). On the heap:
    // the block's pointer in bytes 0..7, the length in bytes 8..11, heap_tag in the last byte.
    static constexpr std::size_t tag_at = inline_capacity;
    static constexpr unsigned char heap_tag = 0xFF;

    void init(std::string_view s);
    void release() noexcept {
        if (on_heap()) {
            delete[] heap_block();
        }
    }
    [[nodiscard]] char* heap_block() const noexcept {
        char* p = nullptr;
        std::memcpy(&p, bytes_.data(), sizeof p);
        return p;
    }

    std::array<char, inline_capacity + 1> bytes_;
};

static_assert(sizeof(short_string) == 24 && alignof(short_string) == 1);

}  // namespace smppgw::store

template <>
struct fmt::formatter<smppgw::store::short_string> : fmt::formatter<std::string_view> {
    template <typename Context>
    auto format(const smppgw::store::short_string& s, Context& ctx) const {
        return fmt::formatter<std::string_view>::format(s.view(), ctx);
    }
};

template <>
struct std::hash<smppgw::store::short_string> {
    std::size_t operator()(const smppgw::store::short_string& s) const noexcept {
        return std::hash<std::string_view>{}(s.view());
    }
};
