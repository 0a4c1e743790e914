#include "log.hpp"

#include <cstdio>
#include <mutex>

namespace smppgw::cluster {
namespace {

log_sink& sink() {
    static log_sink s;
    return s;
}

}  // namespace

void set_log_sink(log_sink s) {
    sink() = std::move(s);
}

namespace detail {

void write_log(log_level level, const std::string& line) {
    if (const auto& s = sink()) {
        s(level, line);
        return;
    }
    static std::mutex mu;
    std::lock_guard lock(mu);
    std::fprintf(stderr, "cluster: %s\n", line.c_str());
}

}  // namespace detail
}  // namespace smppgw::cluster
