// cluster_bench: the CPU the cluster-wide frequency counts cost per message, without NATS.
//
//   publish   what the store's completion thread does per counted send: lock, append the
//             entry to the open batch (cluster/src/sends.cpp enqueue)
//   receive   what another node does per entry: decode the batch, add it to its table
//   lookup    what the frequency check adds per promotional message on a cluster node: the
//             table's lookup and merge, with `--remote` sends held (a number other nodes sent
//             to, and one they did not)
//
// The NATS publish itself is one call per batch (1,024 entries at most), so per message it is
// that call's cost divided by the batch size; BENCHMARKS.md has the end-to-end figures.
//
//   cluster_bench [--entries N] [--remote N]

#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "smppgw/cluster/send_counts.hpp"

namespace cl = smppgw::cluster;

// CPU time of this thread: the figures are CPU-ns, whatever else the machine runs meanwhile.
struct clock_type {
    using duration = std::chrono::nanoseconds;
    using time_point = std::chrono::time_point<clock_type, duration>;
    static time_point now() noexcept {
        timespec ts{};
        (void)clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return time_point{std::chrono::seconds{ts.tv_sec} + std::chrono::nanoseconds{ts.tv_nsec}};
    }
};

namespace {

std::size_t arg(int argc, char** argv, const char* name, std::size_t fallback) {
    for (int i = 1; i + 1 < argc; ++i) {
        if (std::strcmp(argv[i], name) == 0) {
            return static_cast<std::size_t>(std::strtoull(argv[i + 1], nullptr, 10));
        }
    }
    return fallback;
}

std::string number(std::size_t i) {
    return fmt::format("1212{:07}", i % 10'000'000);
}

// Resident memory in bytes (/proc/self/statm).
double rss_bytes() {
    long pages = 0;
    long resident = 0;
    if (std::FILE* f = std::fopen("/proc/self/statm", "r"); f != nullptr) {
        if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) {
            resident = 0;
        }
        std::fclose(f);
    }
    return static_cast<double>(resident) * 4096.0;
}

double ns_per(clock_type::duration d, std::size_t n) {
    return std::chrono::duration<double, std::nano>(d).count() / static_cast<double>(n);
}

class no_local_sends final : public smppgw::policy::frequency_lookup {
public:
    smppgw::policy::send_history recent_sends(std::string_view, std::string_view,
                                              smppgw::policy::time_point) const override {
        return {};
    }
};

}  // namespace

int main(int argc, char** argv) {
    const auto entries = arg(argc, argv, "--entries", 1'000'000);
    const auto held = arg(argc, argv, "--remote", 1'000'000);
    constexpr std::size_t batch_entries = 1024;
    const auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now());

    std::vector<std::string> numbers;
    numbers.reserve(entries);
    for (std::size_t i = 0; i < entries; ++i) {
        numbers.push_back(number(i));
    }

    // publish: one lock and one append per entry, a new batch every batch_entries.
    std::mutex mu;
    std::vector<std::string> batches;
    std::string open;
    auto t = clock_type::now();
    for (std::size_t i = 0; i < entries; ++i) {
        std::lock_guard lock(mu);
        cl::append_send(open, cl::send_entry{"acme", numbers[i], now, 1}, 0);
        if ((i + 1) % batch_entries == 0) {
            batches.push_back(std::move(open));
            open.clear();
        }
    }
    const auto publish = clock_type::now() - t;
    std::size_t bytes = 0;
    for (const auto& b : batches) {
        bytes += b.size();
    }

    // receive: decode every batch and add it to another node's table.
    cl::remote_sends remote("gw-b", std::chrono::hours(24), held + entries);
    const auto rss_before = rss_bytes();
    t = clock_type::now();
    std::size_t applied = 0;
    for (const auto& b : batches) {
        const auto d = cl::decode_sends(b);
        applied += remote.apply("gw-a", d->entries, now).counted;
    }
    const auto receive = clock_type::now() - t;

    // lookup with `held` remote sends in the table (the ones above plus more).
    std::vector<cl::send_entry> more;
    std::vector<std::string> more_numbers;
    more_numbers.reserve(held > entries ? held - entries : 0);
    for (std::size_t i = entries; i < held; ++i) {
        more_numbers.push_back(number(i));
    }
    for (const auto& n : more_numbers) {
        more.push_back(cl::send_entry{"acme", n, now, 1});
    }
    (void)remote.apply("gw-a", more, now);
    more.clear();
    more.shrink_to_fit();
    more_numbers.clear();
    more_numbers.shrink_to_fit();
    const auto table_bytes = rss_bytes() - rss_before;
    const no_local_sends local;
    const cl::shared_frequency freq(local, remote);
    std::size_t found = 0;
    t = clock_type::now();
    for (std::size_t i = 0; i < entries; ++i) {
        found += freq.recent_sends("acme", numbers[(i * 7919) % entries], now - std::chrono::hours(24))
                     .count;
    }
    const auto lookup = clock_type::now() - t;
    // The loop alone (the numbers' strings are as cold as the table): subtracted below.
    t = clock_type::now();
    for (std::size_t i = 0; i < entries; ++i) {
        found += local.recent_sends("acme", numbers[(i * 7919) % entries],
                                    now - std::chrono::hours(24))
                     .count;
    }
    const auto loop = clock_type::now() - t;
    // Numbers no other node sent to: the common case for a number's first message.
    t = clock_type::now();
    for (std::size_t i = 0; i < entries; ++i) {
        found += freq.recent_sends("globex", numbers[(i * 7919) % entries],
                                   now - std::chrono::hours(24))
                     .count;
    }
    const auto missing = clock_type::now() - t;

    std::printf("entries %zu, batches %zu of up to %zu (%.1f bytes per entry)\n", entries,
                batches.size(), batch_entries,
                static_cast<double>(bytes) / static_cast<double>(batches.size() * batch_entries));
    std::printf("CPU time of this thread:\n");
    std::printf("publish (lock + append):   %7.1f ns per send\n", ns_per(publish, entries));
    std::printf("receive (decode + apply):  %7.1f ns per send (%zu held)\n",
                ns_per(receive, batches.size() * batch_entries), applied);
    std::printf("memory: %.0f bytes per remote send held (resident growth)\n",
                table_bytes / static_cast<double>(remote.size()));
    std::printf("lookup (table + merge):    %7.1f ns per message, %zu remote sends held (%zu found)\n",
                ns_per(lookup - loop, entries), remote.size(), found);
    std::printf("lookup, no remote send:    %7.1f ns per message\n", ns_per(missing - loop, entries));
    std::printf("(the benchmark's own loop, subtracted: %.1f ns)\n", ns_per(loop, entries));
    return 0;
}
