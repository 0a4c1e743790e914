#include "loadgen/run.hpp"

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <thread>

#include <fmt/format.h>
#include <boost/asio/post.hpp>

#include "common/io_pool.hpp"
#include "common/status_label.hpp"
#include "loadgen/message_factory.hpp"
#include "loadgen/receipt_tracker.hpp"
#include "loadgen/report.hpp"
#include "loadgen/svg_chart.hpp"
#include "loadgen/timeline.hpp"
#include "loadgen/worker.hpp"
#include "smppgw/smpp/receipt.hpp"
#include "smppgw/smpp/smpp_time.hpp"

namespace smppgw::bench::loadgen {

namespace asio = boost::asio;
using clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

// SIGINT/SIGTERM: the first one ends the send phase early (results are still reported); a
// second one skips the remaining waits.
std::atomic<int> interrupts{0};
extern "C" void on_interrupt(int) {
    interrupts.fetch_add(1, std::memory_order_relaxed);
}

struct totals {
    std::uint64_t submits = 0;
    std::uint64_t responses = 0;
    std::uint64_t errors = 0;
    std::uint64_t receipts = 0;
    std::uint64_t matched = 0;
    std::uint64_t expected = 0;
    std::uint64_t bound = 0;
    std::uint64_t open = 0;
    bool all_budget_spent = true;
};

totals sum(const std::vector<std::unique_ptr<worker>>& workers) {
    totals t;
    for (const auto& w : workers) {
        const auto& c = w->counters();
        t.submits += c.submits.load(std::memory_order_relaxed);
        t.responses += c.responses.load(std::memory_order_relaxed);
        t.errors += c.errors.load(std::memory_order_relaxed);
        t.receipts += c.receipts.load(std::memory_order_relaxed);
        t.matched += c.receipts_matched.load(std::memory_order_relaxed);
        t.expected += c.receipts_expected.load(std::memory_order_relaxed);
        t.bound += c.bound.load(std::memory_order_relaxed);
        t.open += w->open_connections();
        t.all_budget_spent = t.all_budget_spent && c.budget_spent.load(std::memory_order_relaxed);
    }
    return t;
}

// The project's one instant format (smpp::format_utc): the report reads like the logs.
std::string utc_now_iso() {
    return smpp::format_utc(
        std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now()));
}

template <typename F>
void on_all(std::vector<std::unique_ptr<worker>>& workers, io_pool& pool, F f) {
    for (std::size_t i = 0; i < workers.size(); ++i) {
        asio::post(pool.context(i), [w = workers[i].get(), f] { f(*w); });
    }
}

// Polls `done` every 20 ms until it holds, the deadline passes, or an interrupt asks to hurry.
template <typename F>
bool wait_until(clock::time_point deadline, int interrupt_level, F done) {
    while (!done()) {
        if (clock::now() >= deadline || interrupts.load() >= interrupt_level) {
            return false;
        }
        std::this_thread::sleep_for(20ms);
    }
    return true;
}

}  // namespace

int run_load(const gen_config& cfg) {
    if (!cfg.export_optouts.empty()) {
        export_optouts(cfg, cfg.export_optouts);
        std::cerr << "smppgw-bench: wrote " << cfg.optouts.size() << " opt-out numbers to "
                  << cfg.export_optouts << '\n';
        return 0;
    }
    std::signal(SIGINT, on_interrupt);
    std::signal(SIGTERM, on_interrupt);

    const message_factory factory(cfg);
    receipt_tracker tracker;
    const std::size_t thread_count = std::min(cfg.threads, connection_count(cfg));
    timeline seconds(thread_count);
    io_pool pool(thread_count);

    std::unique_ptr<std::FILE, int (*)(std::FILE*)> record(nullptr, &std::fclose);
    if (!cfg.record_path.empty()) {
        record.reset(std::fopen(cfg.record_path.c_str(), "w"));
        if (!record) {
            throw std::runtime_error(fmt::format("--record: cannot write '{}'", cfg.record_path));
        }
    }

    shared_state shared(cfg, factory, tracker, seconds);
    shared.workers = thread_count;
    shared.record = record.get();

    // Binds spread round-robin over threads; a TX+RX pair stays on one thread.
    std::vector<std::vector<worker::client_spec>> specs(thread_count);
    std::vector<std::size_t> transmitters(thread_count, 0);
    for (std::size_t b = 0; b < cfg.binds; ++b) {
        auto& s = specs[b % thread_count];
        switch (cfg.mode) {
            case bind_mode::tx:
                s.push_back({b, smpp::bind_type::transmitter});
                break;
            case bind_mode::trx:
                s.push_back({b, smpp::bind_type::transceiver});
                break;
            case bind_mode::txrx:
                s.push_back({b, smpp::bind_type::transmitter});
                s.push_back({b, smpp::bind_type::receiver});
                break;
        }
        ++transmitters[b % thread_count];
    }
    // Rate and budget shares follow the number of transmitting binds on each thread.
    std::vector<std::unique_ptr<worker>> workers;
    std::uint64_t budget_left = cfg.count;
    for (std::size_t i = 0; i < thread_count; ++i) {
        const double share = static_cast<double>(transmitters[i]) / static_cast<double>(cfg.binds);
        std::uint64_t budget = 0;
        if (cfg.count > 0) {
            budget = i + 1 == thread_count
                         ? budget_left
                         : static_cast<std::uint64_t>(static_cast<double>(cfg.count) * share);
            budget_left -= budget;
        }
        workers.push_back(std::make_unique<worker>(shared, i, pool.context(i), std::move(specs[i]),
                                                   budget, cfg.rate * share));
    }

    pool.start();
    on_all(workers, pool, [](worker& w) { w.start(); });

    // ---- bind
    const std::size_t wanted = connection_count(cfg);
    const bool all_bound = wait_until(clock::now() + cfg.connect_timeout + 1s, 1, [&] {
        return shared.fatal.load() || sum(workers).bound >= wanted;
    });
    const auto bound_now = sum(workers).bound;
    if (shared.fatal.load() || bound_now == 0) {
        std::string why;
        {
            const std::lock_guard lock(shared.fatal_mutex);
            why = shared.fatal_message;
        }
        std::cerr << "smppgw-bench: error: "
                  << (why.empty() ? fmt::format("no bind to {}:{} succeeded", cfg.host, cfg.port)
                                  : why)
                  << '\n';
        on_all(workers, pool, [](worker& w) { w.unbind_all(); });
        std::this_thread::sleep_for(200ms);
        pool.stop();
        return 1;
    }
    if (!all_bound) {
        std::cerr << fmt::format("smppgw-bench: warning: only {} of {} connections bound\n",
                                 bound_now, wanted);
    }

    // ---- send
    const double loadavg_start = read_loadavg();
    const std::string started_at = utc_now_iso();
    const auto send_start = clock::now();
    const auto send_start_ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(send_start - shared.start).count();
    shared.send_origin_ns.store(send_start_ns);
    on_all(workers, pool, [](worker& w) { w.begin_sending(); });

    totals last{};
    const bool tty = isatty(STDERR_FILENO) != 0;
    auto next_progress = send_start + 1s;
    const auto progress = [&](std::string_view phase) {
        const auto t = sum(workers);
        const double secs = std::chrono::duration<double>(clock::now() - send_start).count();
        if (cfg.progress) {
            // On a terminal the line rewrites itself; in a log, one line per second.
            std::cerr
                << (tty ? "\r" : "")
                << fmt::format(
                       "[{:6.1f}s {:<7}] {:>8} sub/s {:>8} resp/s {:>8} dlr/s | in flight {:>6} | "
                       "errors {:>6} | dlr pending {:>7} | bound {}/{}   ",
                       secs, phase, t.submits - last.submits, t.responses - last.responses,
                       t.receipts - last.receipts, t.submits - t.responses, t.errors,
                       t.expected - std::min(t.expected, t.matched), t.bound, wanted)
                << (tty ? "" : "\n");
        }
        last = t;
    };
    const auto tick_progress = [&](std::string_view phase) {
        const auto now = clock::now();
        if (now >= next_progress) {
            progress(phase);
            next_progress += 1s;
            while (next_progress <= now) {
                next_progress += 1s;
            }
        }
    };

    const auto send_deadline =
        cfg.duration.count() > 0 ? send_start + cfg.duration : clock::time_point::max();
    // A peer that stops answering (or binds that never come back) must not hang a --count run:
    // with nothing sent or answered for this long, the send phase ends with a warning.
    const auto stall_limit = std::max<clock::duration>(
        std::chrono::duration_cast<clock::duration>(cfg.response_timeout) + 5s,
        cfg.rate > 0 ? std::chrono::duration_cast<clock::duration>(
                           std::chrono::duration<double>(3.0 / cfg.rate))
                     : clock::duration(0));
    std::uint64_t progress_mark = 0;
    auto progress_at = clock::now();
    while (clock::now() < send_deadline && interrupts.load() == 0 && !shared.fatal.load()) {
        const auto t = sum(workers);
        if (cfg.count > 0 && t.all_budget_spent) {
            break;
        }
        if (t.submits + t.responses != progress_mark) {
            progress_mark = t.submits + t.responses;
            progress_at = clock::now();
        } else if (clock::now() - progress_at > stall_limit) {
            std::cerr << "\nsmppgw-bench: warning: nothing sent or answered for "
                      << std::chrono::duration_cast<std::chrono::seconds>(stall_limit).count()
                      << " s; ending the send phase\n";
            break;
        }
        tick_progress("send");
        std::this_thread::sleep_for(10ms);
    }
    on_all(workers, pool, [](worker& w) { w.stop_sending(); });

    // ---- drain responses, then receipts
    const auto response_deadline = clock::now() + cfg.response_timeout + 2s;
    (void)wait_until(response_deadline, 2, [&] {
        tick_progress("resp");
        const auto t = sum(workers);
        return t.submits == t.responses;
    });
    bool drained = true;
    if (cfg.receipts) {
        const auto receipt_deadline = clock::now() + cfg.drain_timeout;
        drained = wait_until(receipt_deadline, 2, [&] {
            tick_progress("drain");
            const auto t = sum(workers);
            return t.matched >= t.expected;
        });
    }
    const auto drain_end = clock::now();
    if (cfg.progress) {
        progress("done");
        if (tty) {
            std::cerr << '\n';
        }
    }

    // ---- unbind and stop
    on_all(workers, pool, [](worker& w) { w.unbind_all(); });
    (void)wait_until(clock::now() + 3s, 3, [&] { return sum(workers).open == 0; });
    std::atomic<std::size_t> finished{0};
    on_all(workers, pool, [&finished](worker& w) {
        w.finish();
        finished.fetch_add(1);
    });
    (void)wait_until(clock::now() + 2s, 3, [&] { return finished.load() == workers.size(); });
    pool.stop();
    seconds.flush();

    // ---- report
    run_report r;
    r.label = cfg.label;
    r.target = fmt::format("{}:{}", cfg.host, cfg.port);
    r.bind_mode = std::string(to_string(cfg.mode));
    r.binds = cfg.binds;
    r.connections = wanted;
    r.window = cfg.window;
    r.threads = thread_count;
    r.target_rate = cfg.rate;
    r.receipts_requested = cfg.receipts;
    r.started_at = started_at;
    r.loadavg_start = loadavg_start;
    r.loadavg_end = read_loadavg();

    histogram response_latency;
    histogram receipt_latency;
    std::int64_t first_submit = INT64_MAX;
    std::int64_t last_response = 0;
    std::int64_t last_receipt = 0;
    std::array<std::uint64_t, 11> states{};
    for (const auto& w : workers) {
        const auto& c = w->counters();
        const auto& res = w->results();
        r.messages += c.messages.load();
        r.submits += c.submits.load();
        r.responses += c.responses.load();
        r.errors += c.errors.load();
        r.receipts_received += c.receipts.load();
        r.receipts_matched += c.receipts_matched.load();
        r.receipts_expected += c.receipts_expected.load();
        r.mo_received += c.mo.load();
        r.reconnects += c.reconnects.load();
        if (const auto f = c.first_submit_ns.load(); f >= 0) {
            first_submit = std::min(first_submit, f);
        }
        last_response = std::max(last_response, c.last_response_ns.load());
        last_receipt = std::max(last_receipt, c.last_receipt_ns.load());
        (void)response_latency.merge(res.response_latency);
        (void)receipt_latency.merge(res.receipt_latency);
        for (const auto& [code, n] : res.responses_by_status) {
            if (code == smpp::status::ESME_ROK) {
                r.responses_ok += n;
            } else {
                r.errors_by_status[status_label(code)] += n;
            }
        }
        for (const auto& [why, n] : res.failures) {
            r.errors_by_status["no response: " + why] += n;
        }
        for (std::size_t i = 0; i < states.size(); ++i) {
            states[i] += res.receipts_by_state[i];
        }
        r.receipts_intermediate += res.receipts_intermediate;
        r.optout_sent += res.optout_sent;
        r.optout_rejected += res.optout_rejected;
        r.promo_sent += res.promo_sent;
    }
    for (std::size_t i = 0; i < states.size(); ++i) {
        if (states[i] == 0) {
            continue;
        }
        const auto st = smpp::to_message_state(static_cast<std::uint8_t>(i));
        r.receipts_by_state[st ? std::string(smpp::stat_text(*st)) : std::string("unreadable")] +=
            states[i];
    }
    r.receipts_unmatched = tracker.parked() + tracker.dropped_parked();
    r.drain_complete = drained;
    if (first_submit == INT64_MAX) {
        first_submit = send_start_ns;
    }
    r.send_seconds =
        static_cast<double>(std::max<std::int64_t>(0, last_response - first_submit)) / 1e9;
    r.receipt_seconds =
        static_cast<double>(std::max<std::int64_t>(0, last_receipt - first_submit)) / 1e9;
    r.total_seconds = std::chrono::duration<double>(drain_end - send_start).count();
    r.response_latency = summarize(response_latency);
    r.receipt_latency = summarize(receipt_latency);
    r.usage = current_process_usage();
    r.timeline = seconds.samples();

    std::cout << format_table(r) << std::flush;
    if (!cfg.json_path.empty()) {
        std::ofstream(cfg.json_path) << format_json(r);
    }
    if (!cfg.svg_path.empty()) {
        std::ofstream(cfg.svg_path) << render_svg(r);
    }
    return 0;
}

}  // namespace smppgw::bench::loadgen
