#pragma once
// smppgw::store::interned_name — a name from a small, bounded set (account, brand, carrier,
// campaign) held as a pointer to the one copy of its spelling this process keeps.
//
// Every message in flight carries four such names; as std::string they cost 32 bytes each, and
// a heap block for any longer than 15 characters. Interned, they cost 8 bytes and compare by
// pointer. Spellings are kept for the life of the process, which is right for names that come
// from the configuration and the store, and wrong for anything a peer may choose freely: keep
// those in std::string.
//
// Thread rule: any thread; interning takes a process-wide lock only for a spelling this thread
// has not used recently.

#include <compare>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace smppgw::store {

class interned_name {
public:
    interned_name() noexcept;
    interned_name(std::string_view s);  // NOLINT(google-explicit-constructor): a drop-in for string
    interned_name(const std::string& s) : interned_name(std::string_view{s}) {}  // NOLINT
    interned_name(const char* s) : interned_name(std::string_view{s}) {}         // NOLINT

    [[nodiscard]] const std::string& str() const noexcept { return *spelling_; }
    [[nodiscard]] std::string_view view() const noexcept { return *spelling_; }
    operator const std::string&() const noexcept { return *spelling_; }  // NOLINT
    operator std::string_view() const noexcept { return *spelling_; }    // NOLINT

    [[nodiscard]] bool empty() const noexcept { return spelling_->empty(); }
    [[nodiscard]] std::size_t size() const noexcept { return spelling_->size(); }
    [[nodiscard]] const char* data() const noexcept { return spelling_->data(); }
    [[nodiscard]] const char* c_str() const noexcept { return spelling_->c_str(); }
    void clear() noexcept;

    // One copy per spelling: equal names are the same pointer.
    friend bool operator==(const interned_name& a, const interned_name& b) noexcept {
        return a.spelling_ == b.spelling_;
    }
    friend bool operator==(const interned_name& a, std::string_view b) noexcept {
        return a.view() == b;
    }
    friend bool operator==(const interned_name& a, const std::string& b) noexcept {
        return a.view() == b;
    }
    friend bool operator==(const interned_name& a, const char* b) noexcept {
        return a.view() == b;
    }
    friend std::strong_ordering operator<=>(const interned_name& a,
                                            const interned_name& b) noexcept {
        return a.view() <=> b.view();
    }
    friend std::strong_ordering operator<=>(const interned_name& a, std::string_view b) noexcept {
        return a.view() <=> b;
    }

private:
    const std::string* spelling_;
};

}  // namespace smppgw::store

template <>
struct fmt::formatter<smppgw::store::interned_name> : fmt::formatter<std::string_view> {
    template <typename Context>
    auto format(const smppgw::store::interned_name& n, Context& ctx) const {
        return fmt::formatter<std::string_view>::format(n.view(), ctx);
    }
};

template <>
struct std::hash<smppgw::store::interned_name> {
    std::size_t operator()(const smppgw::store::interned_name& n) const noexcept {
        return std::hash<std::string_view>{}(n.view());
    }
};
