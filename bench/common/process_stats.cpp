#include "common/process_stats.hpp"

#include <sys/resource.h>

namespace smppgw::bench {

process_usage current_process_usage() noexcept {
    rusage ru{};
    process_usage u;
    if (getrusage(RUSAGE_SELF, &ru) != 0) {
        return u;
    }
    u.user_seconds =
        static_cast<double>(ru.ru_utime.tv_sec) + static_cast<double>(ru.ru_utime.tv_usec) / 1e6;
    u.system_seconds =
        static_cast<double>(ru.ru_stime.tv_sec) + static_cast<double>(ru.ru_stime.tv_usec) / 1e6;
    u.max_rss_kib = ru.ru_maxrss;  // Linux reports KiB
    return u;
}

}  // namespace smppgw::bench
