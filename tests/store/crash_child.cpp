// Helper for crash_tests.cpp: drives the live state through a real store under load, with
// sync = batch and checkpoints as often as they can run, until it is killed.
//
//   store_crash_child <store dir> <report fd> <seed> <awaiting file>
//
// What it does, on several threads, the way the gateway's components would:
//   acceptance  accepts messages (one or two parts, some deferred a little), and MOs
//   scheduler   releases the deferred ones when due
//   carrier     submits queued messages, then delivers receipts for them (each with a DLR for
//               the account "crash"), keeping a backlog of messages waiting for receipts
//   outbox      takes the account's entries and acknowledges them, keeping a backlog
//   checkpoint  checkpoint_now() back to back (the store's own checkpointer runs too, on tiny
//               triggers)
// Each acknowledged transition is reported on <report fd> as a 16-byte event {type, value}
// (below PIPE_BUF: reports never interleave), as is the start and end of each checkpoint_now.
// <awaiting file> holds the ids (8 bytes each) the previous runs had accepted and not yet seen
// receipted: the carrier thread sends their receipts too, once it finds them waiting.

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "crash_report.hpp"
#include "smppgw/store/store.hpp"

using namespace smppgw::store;
using namespace smppgw::store::crash;

namespace {

int report_fd = -1;

void report(event e, std::uint64_t value) {
    const report_record r{static_cast<std::uint64_t>(e), value};
    if (::write(report_fd, &r, sizeof r) != static_cast<ssize_t>(sizeof r)) {
        std::_Exit(5);
    }
}

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "crash child: %s\n", what);
    report(event::error, 0);
    std::_Exit(4);
}

// Bounds the transitions in flight of one thread.
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

std::string cmid(message_id id, std::uint16_t part) {
    return std::to_string(id) + "-" + std::to_string(part);
}

// The carrier: messages it has submitted (or found waiting after a restart), oldest first.
struct carrier_queue {
    std::mutex mu;
    std::deque<message_ptr> awaiting;
};

}  // namespace

int main(int argc, char** argv) {
    if (argc != 5) {
        std::fprintf(stderr, "usage: %s <store dir> <fd> <seed> <awaiting file>\n", argv[0]);
        return 2;
    }
    report_fd = std::atoi(argv[2]);
    const auto seed = std::strtoull(argv[3], nullptr, 10);
    store_options o;
    o.path = argv[1];
    o.sync = sync_mode::batch;
    o.block_cache_bytes = 8U << 20U;
    o.write_buffer_total_bytes = 16U << 20U;
    o.checkpoint_interval = std::chrono::milliseconds(20);
    o.checkpoint_journal_bytes = 16U << 10U;
    std::unique_ptr<store> st;
    try {
        st = store::open(o);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "crash child: %s\n", e.what());
        return 3;
    }
    auto& live = st->live();
    report(event::ready, live.next_lsn());

    carrier_queue carrier;
    {
        std::ifstream in(argv[4], std::ios::binary);
        message_id id = 0;
        while (in.read(reinterpret_cast<char*>(&id), sizeof id)) {
            if (auto m = live.get(id); m && m->phase == message_phase::awaiting_receipt) {
                carrier.awaiting.push_back(std::move(m));
            }
        }
    }

    std::vector<std::thread> threads;
    // Acceptance: messages and MOs.
    threads.emplace_back([&] {
        std::mt19937_64 rng(seed);
        window w(256);
        std::uint64_t mo = seed << 20U;
        for (std::uint64_t n = 0;; ++n) {
            w.acquire();
            if (n % 8 == 7) {
                const auto id = ++mo;
                std::string bytes = "m";
                bytes.append(reinterpret_cast<const char*>(&id), sizeof id);
                live.mo({"crash", outbox_kind::mo, st->now(), std::move(bytes)}, {}, nullptr,
                        nullptr, [&w, id](std::error_code ec) {
                            if (ec) {
                                fail("an MO failed");
                            }
                            report(event::mo, id);
                            w.release();
                        });
                continue;
            }
            accepted_record r;
            auto& m = r.message;
            m.id = st->next_id();
            m.account = "crash";
            m.brand = "crash";
            m.msisdn = std::to_string(15550000000ULL + rng() % 100000);
            m.registered_delivery = 1;
            m.payload = std::string(40 + rng() % 200, 'x');
            m.received = st->now();
            m.parts.resize(1 + rng() % 2);
            if (rng() % 5 == 0) {
                m.state = message_state::deferred;
                r.release = m.received + std::chrono::milliseconds(rng() % 50);
            } else {
                m.state = message_state::queued;
            }
            m.history.push_back({m.state, m.received});
            const auto id = m.id;
            (void)live.accept(std::move(r), nullptr, [&w, id](std::error_code ec) {
                if (ec) {
                    fail("an accept failed");
                }
                report(event::accepted, id);
                w.release();
            });
        }
    });
    // Scheduler.
    threads.emplace_back([&] {
        for (;;) {
            for (const auto& m : live.take_due(st->now(), 256)) {
                (void)live.release(m, st->now(), false, nullptr, {});
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
    });
    // Carrier: submissions, then receipts with a backlog of messages waiting for them.
    threads.emplace_back([&] {
        std::mt19937_64 rng(seed * 31);
        window w(256);
        for (;;) {
            for (const auto& m : live.queued()) {
                if (!live.begin_submit(m)) {
                    continue;
                }
                const auto parts = static_cast<std::uint16_t>(m->rec.parts.size());
                for (std::uint16_t p = 0; p < parts; ++p) {
                    (void)live.submitted(
                        m, {m->rec.id, p, parts, "carrier", cmid(m->rec.id, p), st->now()}, {});
                }
                std::lock_guard lk(carrier.mu);
                carrier.awaiting.push_back(m);
            }
            std::vector<message_ptr> due;
            {
                std::lock_guard lk(carrier.mu);
                while (carrier.awaiting.size() > 1500 + rng() % 500) {
                    due.push_back(carrier.awaiting.front());
                    carrier.awaiting.pop_front();
                }
            }
            for (const auto& m : due) {
                const auto id = m->rec.id;
                const auto parts = static_cast<std::uint16_t>(m->rec.parts.size());
                for (std::uint16_t p = 0; p < parts; ++p) {
                    const bool last = p + 1 == parts;
                    const live_state::receipt_fold fold = [&](const live_message& lm,
                                                              std::uint16_t part) {
                        std::optional<receipt_record> r;
                        if (is_final(lm.rec.parts[part].state)) {
                            return r;  // a repeat: it was durable before a restart
                        }
                        r.emplace();
                        r->state = message_state::delivered;
                        r->when = st->now();
                        if (last) {
                            r->dlr = "d";
                            r->dlr.append(reinterpret_cast<const char*>(&id), sizeof id);
                        }
                        return r;
                    };
                    w.acquire();
                    completion done = [&w, id, last](std::error_code ec) {
                        if (ec) {
                            fail("a receipt failed");
                        }
                        if (last) {
                            report(event::receipt, id);
                        }
                        w.release();
                    };
                    if (live.receipt("carrier", cmid(id, p), fold, std::move(done)) !=
                        live_state::receipt_result::applied) {
                        w.release();
                    }
                }
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    });
    // Outbox relay: acknowledges entries, keeping a backlog for the checkpoints to carry.
    threads.emplace_back([&] {
        window w(256);
        for (;;) {
            const auto depth = live.counts().outbox_entries;
            if (depth > 800) {
                std::vector<std::pair<lsn_t, std::string>> taken;
                live.take_outbox("crash", depth - 800,
                                 [&](lsn_t entry, outbox_kind, std::string_view bytes) {
                                     taken.emplace_back(entry, std::string(bytes));
                                     return true;
                                 });
                for (const auto& [entry, bytes] : taken) {
                    if (bytes.size() != 9) {
                        fail("an outbox entry of the wrong size");
                    }
                    std::uint64_t value = 0;
                    std::memcpy(&value, bytes.data() + 1, sizeof value);
                    const auto e = bytes[0] == 'd' ? event::dlr_delivered : event::mo_delivered;
                    w.acquire();
                    report(e == event::dlr_delivered ? event::dlr_delivering : event::mo_delivering,
                           value);
                    live.delivered("crash", entry, [&w, e, value](std::error_code ec) {
                        if (ec) {
                            fail("a delivery failed");
                        }
                        report(e, value);
                        w.release();
                    });
                }
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    });
    // Checkpoints, back to back.
    threads.emplace_back([&] {
        std::mt19937_64 rng(seed * 17);
        for (;;) {
            report(event::checkpoint_start, 0);
            const auto ec = st->checkpoint_now();
            report(event::checkpoint_end, ec ? 0 : 1);
            std::this_thread::sleep_for(std::chrono::microseconds(rng() % 3000));
        }
    });
    for (auto& t : threads) {
        t.join();
    }
    return 0;
}
