#pragma once
// Errors on the store's data path: std::error_code values in the "smppgw.store" category.
// Exceptions are thrown only while opening a store (open_error); everything after that reports
// through error codes so a failing disk never unwinds through an I/O thread.

#include <cassert>
#include <stdexcept>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

namespace smppgw::store {

enum class store_errc {
    ok = 0,
    io_error = 1,          // the file system failed (EIO and friends)
    no_space = 2,          // the file system is full; later writes work once space is freed
    corruption = 3,        // a stored value or file failed its checks
    invalid_argument = 4,  // the caller passed something the store cannot key or encode
    busy = 5,              // RocksDB asked to retry (lock or write stall timeout)
    closed = 6,            // the store is shutting down or closed
    queue_full = 7,        // more writes queued than store_options::max_queued_commits
    would_deadlock = 8,    // a blocking call made from the committer thread itself
    not_supported = 9,
    internal = 10,  // any other RocksDB failure; the message is logged by RocksDB
};

[[nodiscard]] const std::error_category& store_category() noexcept;

[[nodiscard]] inline std::error_code make_error_code(store_errc e) noexcept {
    return {static_cast<int>(e), store_category()};
}

// Thrown by store::open only: names the path and what is wrong with it.
class open_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A value or an error code; the store's read calls return it so NotFound can stay a
// std::optional inside and real failures stay distinguishable from "absent".
template <typename T>
class [[nodiscard]] result {
public:
    result(T value) : v_(std::move(value)) {}            // NOLINT: implicit by design
    result(std::error_code ec) : v_(ec) { assert(ec); }  // NOLINT: implicit by design
    result(store_errc e) : v_(make_error_code(e)) {}     // NOLINT: implicit by design

    [[nodiscard]] bool has_value() const noexcept { return std::holds_alternative<T>(v_); }
    explicit operator bool() const noexcept { return has_value(); }

    [[nodiscard]] std::error_code error() const noexcept {
        if (const auto* ec = std::get_if<std::error_code>(&v_)) {
            return *ec;
        }
        return {};
    }

    [[nodiscard]] T& value() & { return std::get<T>(v_); }
    [[nodiscard]] const T& value() const& { return std::get<T>(v_); }
    [[nodiscard]] T&& value() && { return std::get<T>(std::move(v_)); }

    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

private:
    std::variant<T, std::error_code> v_;
};

}  // namespace smppgw::store

template <>
struct std::is_error_code_enum<smppgw::store::store_errc> : std::true_type {};
