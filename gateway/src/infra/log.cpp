#include "infra/log.hpp"

#include <chrono>
#include <cstdio>
#include <mutex>

#include <fmt/chrono.h>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace smppgw::gateway::log {
namespace {

std::atomic<int> min_level{static_cast<int>(level::info)};
std::atomic<bool> json_output{false};
std::mutex output_mutex;

constexpr std::string_view names[] = {"trace", "debug", "info", "warn", "error"};

}  // namespace

void configure(std::string_view min, bool json) {
    for (int i = 0; i < 5; ++i) {
        if (names[i] == min) {
            min_level = i;
        }
    }
    json_output = json;
}

bool enabled(level l) noexcept {
    return static_cast<int>(l) >= min_level.load(std::memory_order_relaxed);
}

void write(level l, std::string_view message, std::initializer_list<field> fields) {
    const auto now =
        std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
    std::string line;
    if (json_output) {
        boost::json::object o;
        o["time"] = fmt::format("{:%FT%T}Z", now);
        o["level"] = names[static_cast<int>(l)];
        o["msg"] = message;
        for (const auto& [k, v] : fields) {
            o[k] = v;
        }
        line = boost::json::serialize(o);
    } else {
        line = fmt::format("{:%FT%T}Z {:<5} {}", now, names[static_cast<int>(l)], message);
        for (const auto& [k, v] : fields) {
            line += fmt::format(" {}={}", k, v);
        }
    }
    line.push_back('\n');
    std::lock_guard lock(output_mutex);
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fflush(stdout);
}

}  // namespace smppgw::gateway::log
