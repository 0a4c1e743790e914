// Helper for crash_tests.cpp: writes to a store under load with sync = batch until it is
// killed, reporting every acknowledged batch through a pipe.
//
//   store_crash_child <store dir> <fd>
//
// Each batch puts a message, an opt-out for (crash, <id>) and an outbox entry whose bytes are
// the id. Once the batch's callback reports success (the group is fsynced), the child writes the
// 8-byte id to <fd>; 8 bytes is below PIPE_BUF, so reports never interleave.

#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "smppgw/store/batch.hpp"
#include "smppgw/store/store.hpp"

using namespace smppgw::store;

namespace {

// Bounds the batches in flight per writer.
class window {
public:
    explicit window(int size) : free_(size) {}
    void acquire() {
        std::unique_lock lk(mu_);
        cv_.wait(lk, [&] { return free_ > 0; });
        --free_;
    }
    void release() {
        std::lock_guard lk(mu_);
        ++free_;
        cv_.notify_one();
    }

private:
    std::mutex mu_;
    std::condition_variable cv_;
    int free_;
};

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s <store dir> <fd>\n", argv[0]);
        return 2;
    }
    const int fd = std::atoi(argv[2]);
    store_options o;
    o.path = argv[1];
    o.sync = sync_mode::batch;
    o.block_cache_bytes = 8U << 20U;
    o.write_buffer_total_bytes = 16U << 20U;
    std::unique_ptr<store> st;
    try {
        st = store::open(o);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "crash child: %s\n", e.what());
        return 3;
    }
    std::atomic<bool> failed{false};
    std::vector<std::thread> writers;
    for (int t = 0; t < 3; ++t) {
        writers.emplace_back([&] {
            window w{64};
            for (;;) {
                w.acquire();
                const auto id = st->next_id();
                message_record m;
                m.id = id;
                m.account = "crash";
                m.brand = "crash";
                m.msisdn = std::to_string(id % 1'000'000'000'000'000ULL);
                m.payload.assign(64, 'x');
                m.received = st->now();
                m.history.push_back({message_state::accepted, m.received});
                batch b;
                b.put_message(m);
                b.put_optout({"crash", m.msisdn, m.received, "STOP",
                              smppgw::policy::record_source::mo, std::to_string(id)});
                b.append_outbox("crash", outbox_kind::dlr,
                                std::string_view{reinterpret_cast<const char*>(&id), sizeof id},
                                m.received);
                st->commit(std::move(b), [&, id](std::error_code ec) {
                    if (ec) {
                        failed = true;
                    } else if (::write(fd, &id, sizeof id) != static_cast<ssize_t>(sizeof id)) {
                        failed = true;
                    }
                    w.release();
                });
                if (failed) {
                    std::fprintf(stderr, "crash child: a commit or report failed\n");
                    std::_Exit(4);
                }
            }
        });
    }
    for (auto& t : writers) {
        t.join();
    }
    return 0;
}
