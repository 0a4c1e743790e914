#pragma once
// smppgw::store::string_like — what the store's compact string types (interned_name,
// compact_bytes, short_string) share: comparisons with strings, printing with fmt, hashing.
//
// Each type derives from string_like<itself> and has view(); it defines its own comparison with
// its own type (interned_name compares pointers). Three overloads per comparison rather than
// one taking std::string_view: each type also converts to std::string_view, and `name == "x"`
// would otherwise be ambiguous.
//
// Thread rule: none of its own; the types' rules apply.

#include <compare>
#include <concepts>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace smppgw::store {

template <typename Derived>
class string_like {
public:
    friend bool operator==(const Derived& a, std::string_view b) noexcept { return a.view() == b; }
    friend bool operator==(const Derived& a, const std::string& b) noexcept {
        return a.view() == b;
    }
    friend bool operator==(const Derived& a, const char* b) noexcept { return a.view() == b; }
    friend std::strong_ordering operator<=>(const Derived& a, const Derived& b) noexcept {
        return a.view() <=> b.view();
    }
    friend std::strong_ordering operator<=>(const Derived& a, std::string_view b) noexcept {
        return a.view() <=> b;
    }

protected:
    string_like() = default;
};

template <typename T>
concept string_like_type = std::derived_from<T, string_like<T>>;

}  // namespace smppgw::store

template <smppgw::store::string_like_type T>
struct fmt::formatter<T, char> : fmt::formatter<std::string_view> {
    template <typename Context>
    auto format(const T& s, Context& ctx) const {
        return fmt::formatter<std::string_view>::format(s.view(), ctx);
    }
};

template <smppgw::store::string_like_type T>
struct std::hash<T> {
    std::size_t operator()(const T& s) const noexcept {
        return std::hash<std::string_view>{}(s.view());
    }
};
