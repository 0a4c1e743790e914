#pragma once
// Where the cluster library's log lines go. The daemon points this at its own log (so cluster
// lines share its format, level and destination); unset, they go to stderr. Set it once, before
// any cluster object exists.

#include <cstdint>
#include <functional>
#include <string>

namespace smppgw::cluster {

enum class log_level : std::uint8_t { debug, info, warn, error };

using log_sink = std::function<void(log_level, const std::string&)>;
void set_log_sink(log_sink sink);

}  // namespace smppgw::cluster
