#pragma once
// Bulk loading for the benchmarks that run against a real store (store_bench, policy_bench
// --store): millions of records committed the way an import would, fast enough that a 10 M load
// takes minutes rather than hours.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "smppgw/store/batch.hpp"
#include "smppgw/store/store.hpp"

namespace smppgw::bench {

// Commits records 0..n-1 to `st`, `add(batch, i)` adding record i, in batches of 10,000 with at
// most four batches queued: enough that the committer always has the next group ready, few
// enough that generating never runs far ahead of it (the queue would only grow memory). Returns
// the wall seconds until the last batch was acknowledged. Exits on a failed commit, because a
// bench over partially loaded data would report numbers for the wrong thing.
template <typename Add>
double load_in_batches(store::store& st, std::size_t n, Add add) {
    const auto t0 = std::chrono::steady_clock::now();
    constexpr std::size_t chunk = 10'000;
    std::mutex mu;
    std::condition_variable cv;
    std::size_t in_flight = 0;
    for (std::size_t i = 0; i < n;) {
        store::batch b;
        for (std::size_t j = 0; j < chunk && i < n; ++j, ++i) {
            add(b, i);
        }
        {
            std::unique_lock lk(mu);
            cv.wait(lk, [&] { return in_flight < 4; });
            ++in_flight;
        }
        st.commit(std::move(b), [&](std::error_code ec) {
            if (ec) {
                fmt::print(stderr, "load: commit failed: {}\n", ec.message());
                std::exit(1);
            }
            std::lock_guard lk(mu);
            --in_flight;
            cv.notify_one();
        });
    }
    std::unique_lock lk(mu);
    cv.wait(lk, [&] { return in_flight == 0; });
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace smppgw::bench
