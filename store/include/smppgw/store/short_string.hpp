#pragma once
// smppgw::store::short_string — a string in 24 bytes, aligned to 1, that keeps up to 23
// characters inline and puts longer ones in a heap block; digit_string, the same in 16 bytes
// with up to 15 inline.
//
// For the short strings every message in flight carries: its addresses (SMPP caps
// source_addr and destination_addr at 20 characters in submit_sm, 64 in data_sm) and the
// carriers' message ids (usually 8 to 20 characters) in a short_string, its normalized number
// (E.164: at most 15 digits) in a digit_string. std::string takes 32 bytes, aligned to 8, and a
// heap block beyond 15 characters; these take 24 or 16, aligned to 1, so a one-byte TON and
// NPI sit next to them without padding.
//
// Thread rule: a value type; the usual rules for sharing one between threads.

#include <array>
#include <cstdint>
#include <cstring>
#include <iosfwd>
#include <string>
#include <string_view>

#include "smppgw/store/string_like.hpp"

namespace smppgw::store {

// A heap copy of s (at most 4 GiB), for the strings too long to keep inline.
[[nodiscard]] char* allocate_short_string_block(std::string_view s);
std::ostream& print_short_string(std::ostream& os, std::string_view s);

template <std::size_t Bytes>
class basic_short_string : public string_like<basic_short_string<Bytes>> {
    static_assert(Bytes >= sizeof(char*) + sizeof(std::uint32_t) + 1 && Bytes <= 256);

public:
    static constexpr std::size_t inline_capacity = Bytes - 1;

    basic_short_string() noexcept { bytes_[tag_at] = 0; }
    basic_short_string(std::string_view s) { init(s); }  // NOLINT: like string
    basic_short_string(const std::string& s)             // NOLINT
        : basic_short_string(std::string_view{s}) {}
    basic_short_string(const char* s) : basic_short_string(std::string_view{s}) {}  // NOLINT
    basic_short_string(const basic_short_string& other) { init(other.view()); }
    basic_short_string(basic_short_string&& other) noexcept : bytes_(other.bytes_) {
        other.bytes_[tag_at] = 0;  // the block, if any, is ours now
    }
    basic_short_string& operator=(const basic_short_string& other) {
        if (this != &other) {
            assign(other.view());
        }
        return *this;
    }
    basic_short_string& operator=(basic_short_string&& other) noexcept {
        if (this != &other) {
            release();
            bytes_ = other.bytes_;
            other.bytes_[tag_at] = 0;
        }
        return *this;
    }
    basic_short_string& operator=(std::string_view s) {
        assign(s);
        return *this;
    }
    basic_short_string& operator=(const std::string& s) { return *this = std::string_view{s}; }
    basic_short_string& operator=(const char* s) { return *this = std::string_view{s}; }
    ~basic_short_string() { release(); }

    void assign(std::string_view s) {
        basic_short_string fresh(s);  // s may point into this string
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

    friend bool operator==(const basic_short_string& a, const basic_short_string& b) noexcept {
        return a.view() == b.view();
    }
    friend std::ostream& operator<<(std::ostream& os, const basic_short_string& s) {
        return print_short_string(os, s.view());
    }

private:
    // Inline: the characters from byte 0, their count in the last byte. On the heap:
    // the block's pointer in bytes 0..7, the length in bytes 8..11, heap_tag in the last byte.
    static constexpr std::size_t tag_at = inline_capacity;
    static constexpr unsigned char heap_tag = 0xFF;

    void init(std::string_view s) {
        if (s.size() <= inline_capacity) {
            std::memcpy(bytes_.data(), s.data(), s.size());
            bytes_[tag_at] = static_cast<char>(s.size());
            return;
        }
        char* block = allocate_short_string_block(s);
        const auto n = static_cast<std::uint32_t>(s.size());
        std::memcpy(bytes_.data(), &block, sizeof block);
        std::memcpy(bytes_.data() + sizeof block, &n, sizeof n);
        bytes_[tag_at] = static_cast<char>(heap_tag);
    }
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

using short_string = basic_short_string<24>;
using digit_string = basic_short_string<16>;
static_assert(sizeof(short_string) == 24 && alignof(short_string) == 1);
static_assert(sizeof(digit_string) == 16 && alignof(digit_string) == 1);

}  // namespace smppgw::store
