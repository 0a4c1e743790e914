#pragma once
// smppgw::store::compact_bytes — a byte string in 8 bytes: one pointer to a heap block holding
// its length and its bytes, null when empty.
//
// For the fields of a message in flight that are often empty (TLVs, service type) or that the
// live state only stores and hands on (the payload): std::string spends 32 bytes on each, a
// million times over. Not for anything edited in place: every change allocates a new block.
//
// Thread rule: a value type; the usual rules for sharing one between threads.

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "smppgw/store/string_like.hpp"

namespace smppgw::store {

class compact_bytes : public string_like<compact_bytes> {
public:
    compact_bytes() noexcept = default;
    compact_bytes(std::string_view s) { assign(s); }                       // NOLINT: like string
    compact_bytes(const std::string& s) : compact_bytes(std::string_view{s}) {}  // NOLINT
    compact_bytes(const char* s) : compact_bytes(std::string_view{s}) {}         // NOLINT
    compact_bytes(const compact_bytes& other) { assign(other.view()); }
    compact_bytes(compact_bytes&& other) noexcept = default;
    compact_bytes& operator=(const compact_bytes& other) {
        if (this != &other) {
            assign(other.view());
        }
        return *this;
    }
    compact_bytes& operator=(compact_bytes&& other) noexcept = default;
    ~compact_bytes() = default;

    void assign(std::string_view s);
    void clear() noexcept { block_.reset(); }

    [[nodiscard]] std::size_t size() const noexcept;
    [[nodiscard]] bool empty() const noexcept { return block_ == nullptr; }
    [[nodiscard]] const char* data() const noexcept;
    [[nodiscard]] std::string_view view() const noexcept { return {data(), size()}; }
    [[nodiscard]] std::string str() const { return std::string{view()}; }
    operator std::string_view() const noexcept { return view(); }  // NOLINT

    friend bool operator==(const compact_bytes& a, const compact_bytes& b) noexcept {
        return a.view() == b.view();
    }

private:
    // The block: a 32-bit length, then the bytes (at most a few KiB for any SMPP field).
    std::unique_ptr<char[]> block_;
};

}  // namespace smppgw::store
