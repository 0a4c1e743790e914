#include "infra/log.hpp"

#include <cstdio>
#include <mutex>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "smppgw/smpp/smpp_time.hpp"

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

std::string format_line(std::chrono::system_clock::time_point time, level l,
                        std::string_view message, std::span<const field> fields, bool json) {
    const auto stamp = smpp::format_utc(std::chrono::floor<std::chrono::milliseconds>(time));
    const auto name = names[static_cast<int>(l)];
    std::string line;
    if (json) {
        boost::json::object o;
        o["time"] = stamp;
        o["level"] = name;
        o["msg"] = message;
        for (const auto& [k, v] : fields) {
            o[k] = v;
        }
        line = boost::json::serialize(o);
    } else {
        line = fmt::format("{} {:<5} {}", stamp, name, message);
    }
    line.push_back('\n');
    return line;
}

void write(level l, std::string_view message, std::span<const field> fields) {
    const auto line = format_line(std::chrono::system_clock::now(), l, message, fields,
                                  json_output.load(std::memory_order_relaxed));
    std::lock_guard lock(output_mutex);
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fflush(stdout);
}

}  // namespace smppgw::gateway::log
