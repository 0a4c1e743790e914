#pragma once
// Logging to stdout (journald picks it up under systemd): one line per event, levels, text or
// JSON. Structured fields are key/value pairs so JSON output needs no parsing. Never log
// passwords or message content.

#include <atomic>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>

namespace smppgw::gateway::log {

enum class level : int { trace = 0, debug = 1, info = 2, warn = 3, error = 4 };

void configure(std::string_view min_level, bool json);
[[nodiscard]] bool enabled(level l) noexcept;

using field = std::pair<std::string_view, std::string>;
void write(level l, std::string_view message, std::initializer_list<field> fields = {});

template <typename... Args>
void info(fmt::format_string<Args...> f, Args&&... args) {
    if (enabled(level::info)) {
        write(level::info, fmt::format(f, std::forward<Args>(args)...));
    }
}
template <typename... Args>
void warn(fmt::format_string<Args...> f, Args&&... args) {
    if (enabled(level::warn)) {
        write(level::warn, fmt::format(f, std::forward<Args>(args)...));
    }
}
template <typename... Args>
void error(fmt::format_string<Args...> f, Args&&... args) {
    if (enabled(level::error)) {
        write(level::error, fmt::format(f, std::forward<Args>(args)...));
    }
}
template <typename... Args>
void debug(fmt::format_string<Args...> f, Args&&... args) {
    if (enabled(level::debug)) {
        write(level::debug, fmt::format(f, std::forward<Args>(args)...));
    }
}

}  // namespace smppgw::gateway::log
