#pragma once
// Logging to stdout (journald picks it up under systemd): one line per event, levels, text or
// JSON. Never log passwords or message content.
//
// Times are UTC with milliseconds (smpp::format_utc), whatever TZ says. Values that identify
// something an operator filters on (account, carrier, message id, remote address) are passed
// wrapped, `log::info("bound: system_id={}", log::account(id))`: the text line reads as before
// and the JSON line also carries them as top-level keys ("account": "demo"), so a log pipeline
// needs no parsing of "msg".

#include <atomic>
#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace smppgw::gateway::log {

enum class level : int { trace = 0, debug = 1, info = 2, warn = 3, error = 4 };

void configure(std::string_view min_level, bool json);
[[nodiscard]] bool enabled(level l) noexcept;

using field = std::pair<std::string_view, std::string>;

// A format argument that is also a structured field of the line.
struct tagged {
    std::string_view key;
    std::string value;
};

[[nodiscard]] inline tagged account(std::string_view system_id) {
    return {"account", std::string(system_id)};
}
[[nodiscard]] inline tagged carrier(std::string_view name) {
    return {"carrier", std::string(name)};
}
[[nodiscard]] inline tagged message_id(std::uint64_t id) {
    return {"message_id", std::to_string(id)};
}
[[nodiscard]] inline tagged remote_address(std::string_view ip) {
    return {"remote_address", std::string(ip)};
}

// One complete line (with its newline) as write() prints it at `time`: exposed so tests can
// check the format under any TZ without capturing stdout.
[[nodiscard]] std::string format_line(std::chrono::system_clock::time_point time, level l,
                                      std::string_view message, std::span<const field> fields,
                                      bool json);

void write(level l, std::string_view message, std::span<const field> fields = {});

namespace detail {

template <typename T>
void collect(std::vector<field>& /*fields*/, const T& /*arg*/) {}

inline void collect(std::vector<field>& fields, const tagged& arg) {
    fields.emplace_back(arg.key, arg.value);
}

template <typename... Args>
void emit(level l, fmt::format_string<Args...> f, Args&&... args) {
    if (!enabled(l)) {
        return;
    }
    std::vector<field> fields;
    (collect(fields, args), ...);
    write(l, fmt::format(f, std::forward<Args>(args)...), fields);
}

}  // namespace detail

template <typename... Args>
void info(fmt::format_string<Args...> f, Args&&... args) {
    detail::emit(level::info, f, std::forward<Args>(args)...);
}
template <typename... Args>
void warn(fmt::format_string<Args...> f, Args&&... args) {
    detail::emit(level::warn, f, std::forward<Args>(args)...);
}
template <typename... Args>
void error(fmt::format_string<Args...> f, Args&&... args) {
    detail::emit(level::error, f, std::forward<Args>(args)...);
}
template <typename... Args>
void debug(fmt::format_string<Args...> f, Args&&... args) {
    detail::emit(level::debug, f, std::forward<Args>(args)...);
}

}  // namespace smppgw::gateway::log

// In the text of a line a tagged value reads as the plain value.
template <>
struct fmt::formatter<smppgw::gateway::log::tagged> : fmt::formatter<std::string_view> {
    template <typename FormatContext>
    auto format(const smppgw::gateway::log::tagged& t, FormatContext& ctx) const {
        return fmt::formatter<std::string_view>::format(t.value, ctx);
    }
};
