#pragma once
// CPU time and peak RSS of this process (getrusage), for the "per million messages" figures.

#include <string>

namespace smppgw::bench {

struct process_usage {
    double user_seconds = 0;
    double system_seconds = 0;
    long max_rss_kib = 0;

    [[nodiscard]] double cpu_seconds() const noexcept { return user_seconds + system_seconds; }
};

[[nodiscard]] process_usage current_process_usage() noexcept;

}  // namespace smppgw::bench
