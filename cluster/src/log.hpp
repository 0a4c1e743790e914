#pragma once
// The library's logging front: fmt formatting into the sink of smppgw/cluster/log.hpp.

#include <cstdint>
#include <string>

#include <fmt/format.h>

#include "smppgw/cluster/log.hpp"

namespace smppgw::cluster::detail {

void write_log(log_level level, const std::string& line);

template <typename... Args>
void log(log_level level, fmt::format_string<Args...> f, Args&&... args) {
    write_log(level, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace smppgw::cluster::detail
