// store_bench: throughput and lookup latency of smppgw::store on a real RocksDB directory.
//
//   store_bench [--db DIR] [--mode lifecycle|optout|consent|disk|restart|all] [--lifecycles N]
//               [--window N] [--group N] [--optouts N] [--consents N] [--lookups N]
//               [--syncs N] [--inflight N]
//               [--sync always|batch|none] [--keep]
//
// lifecycle: acknowledged message lifecycles per second from one writer thread. A lifecycle is
//   four commits, each acknowledged (callback) before the next step of that message starts:
//   put (accepted, pending index) -> carrier submit_sm_resp (part + state merge, carrier id
//   mapping, pending removal) -> delivered DLR (merges + outbox append) -> deliver_sm_resp
//   (outbox ack). Up to --window lifecycles are in flight, as the gateway would have.
// optout: load N opt-outs, reopen (rebuilds the in-memory index), then time find_optout for
//   numbers that are not opted out (the common case), numbers that are, and a 99:1 mix.
// consent: load N consents, reopen, time find_consent with the in-memory index and with
//   consent_index_mode::rocksdb, and the store's share of the policy chain per message
//   (find_optout + find_consent + recent_sends).
// disk: the disk's own floor: 4 KiB pwrite + fdatasync, --syncs times, in the --db directory
//   (the same filesystem the store writes to), appending to a growing file (as a WAL does) and
//   over blocks already written; the latency a synced group commit cannot beat.
// restart: --inflight N messages accepted (half of them also submitted, awaiting receipts) by a
//   child process with the default store options, which is killed with SIGKILL right after the
//   last acknowledgement; then the store is reopened here, timed, its memory measured, and every
//   acknowledged id checked. The child's and the reopened process's resident memory per message
//   in flight are printed.
// Latencies are per call, measured with steady_clock around each call (~20-30 ns of the figure
// is the clock itself). This measures; it asserts nothing.

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "common/store_load.hpp"
#include "smppgw/store/batch.hpp"
#include "smppgw/store/store.hpp"

using namespace smppgw::store;
namespace pol = smppgw::policy;
namespace fs = std::filesystem;
using steady = std::chrono::steady_clock;

namespace {

struct config {
    fs::path db;
    std::string mode = "all";
    std::size_t lifecycles = 1'000'000;
    std::size_t window = 8192;
    std::size_t group = 0;  // 0: the store's default group_max_commits
    std::size_t optouts = 10'000'000;
    std::size_t consents = 10'000'000;
    std::size_t lookups = 1'000'000;
    std::size_t syncs = 2000;
    std::size_t inflight = 1'000'000;
    sync_mode sync = sync_mode::batch;
    bool keep = false;
};

// User + system CPU seconds of the whole process (all threads, RocksDB's included).
double cpu_seconds() {
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    auto s = [](const timeval& t) {
        return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
    };
    return s(u.ru_utime) + s(u.ru_stime);
}

double seconds_since(steady::time_point t0) {
    return std::chrono::duration<double>(steady::now() - t0).count();
}

std::string human_bytes(std::uint64_t b) {
    if (b >= (1ULL << 30U)) {
        return fmt::format("{:.2f} GiB", static_cast<double>(b) / (1ULL << 30U));
    }
    return fmt::format("{:.1f} MiB", static_cast<double>(b) / (1ULL << 20U));
}

struct percentiles {
    double p50, p90, p99, p999, max;
};

percentiles summarize(std::vector<std::uint32_t>& ns) {
    auto at = [&](double q) {
        const auto k = static_cast<std::size_t>(q * static_cast<double>(ns.size() - 1));
        std::nth_element(ns.begin(), ns.begin() + static_cast<std::ptrdiff_t>(k), ns.end());
        return static_cast<double>(ns[k]) / 1000.0;
    };
    percentiles p{at(0.50), at(0.90), at(0.99), at(0.999), 0};
    p.max = static_cast<double>(*std::max_element(ns.begin(), ns.end())) / 1000.0;
    return p;
}

void print_latency(std::string_view what, std::vector<std::uint32_t>& ns) {
    const auto p = summarize(ns);
    fmt::print(
        "  {:<44} n={:<8} p50={:.2f}us p90={:.2f}us p99={:.2f}us p99.9={:.2f}us "
        "max={:.1f}us\n",
        what, ns.size(), p.p50, p.p90, p.p99, p.p999, p.max);
}

// Upper bound of the bucket holding quantile q of a histogram snapshot.
double hist_quantile(const histogram_snapshot& h, double q) {
    const auto target = static_cast<std::uint64_t>(q * static_cast<double>(h.count));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < histogram_snapshot::buckets; ++i) {
        seen += h.counts[i];
        if (seen > target) {
            return h.bounds[i];
        }
    }
    return h.bounds.back();
}

store_options base_options(const config& c, const fs::path& dir) {
    store_options o;
    o.path = dir;
    o.sync = c.sync;
    o.block_cache_bytes = 1ULL << 30U;
    o.write_buffer_total_bytes = 512ULL << 20U;
    if (c.group > 0) {
        o.group_max_commits = c.group;
    }
    return o;
}

std::string msisdn_of(std::uint64_t i) {
    return std::to_string(12'000'000'000ULL + i);
}

// --- baseline ---------------------------------------------------------------------------------

// Plain RocksDB on the same disk in the same run: one thread, default options, WriteBatches of
// 10,000 sequential 8-byte keys with 100-byte values, WAL on, no sync. What one core can insert
// here and now, for comparing the store's key-operation rate against.
double raw_rocksdb_puts_per_second(const fs::path& dir) {
    fs::remove_all(dir);
    fs::create_directories(dir);
    rocksdb::Options o;
    o.create_if_missing = true;
    rocksdb::DB* raw = nullptr;
    if (!rocksdb::DB::Open(o, dir.string(), &raw).ok()) {
        return 0;
    }
    std::unique_ptr<rocksdb::DB> db{raw};
    const std::string v(100, 'x');
    std::uint64_t n = 0;
    const auto t0 = steady::now();
    for (int g = 0; g < 100; ++g) {
        rocksdb::WriteBatch b;
        for (int i = 0; i < 10'000; ++i) {
            std::string k;
            for (int s = 56; s >= 0; s -= 8) {
                k.push_back(static_cast<char>((n >> static_cast<unsigned>(s)) & 0xFFU));
            }
            ++n;
            (void)b.Put(k, v);
        }
        (void)db->Write(rocksdb::WriteOptions{}, &b);
    }
    const auto rate = static_cast<double>(n) / seconds_since(t0);
    (void)db->Close();
    db.reset();
    fs::remove_all(dir);
    return rate;
}

// --- lifecycle --------------------------------------------------------------------------------

void bench_lifecycle(const config& c) {
    const auto baseline = raw_rocksdb_puts_per_second(c.db / "baseline");
    const auto dir = c.db / "lifecycle";
    fs::remove_all(dir);
    auto st = store::open(base_options(c, dir));

    constexpr std::size_t accounts = 64;
    struct slot {
        message_ptr message;
        std::uint32_t account = 0;
        int stage = 0;
        steady::time_point step_started;
    };
    // Per step: from the call into the live state to the completion reaching this thread.
    std::array<std::vector<std::uint32_t>, 4> step_ns;
    std::vector<slot> slots(c.window);
    std::vector<std::string> account_names;
    for (std::size_t a = 0; a < accounts; ++a) {
        account_names.push_back(fmt::format("acct-{}", a));
    }

    std::mutex mu;
    std::condition_variable cv;
    std::vector<std::uint32_t> done;
    std::size_t failures = 0;
    auto on_done = [&](std::uint32_t s) {
        return [&, s](std::error_code ec) {
            std::lock_guard lk(mu);
            if (ec) {
                ++failures;
            }
            done.push_back(s);
            if (done.size() == 1) {
                cv.notify_one();
            }
        };
    };

    message_record m;
    m.account = "acct";
    m.brand = "acme";
    m.klass = pol::message_class::transactional;
    m.source = {5, 0, "ACME"};
    m.destination = {1, 1, "+15551234567"};
    m.msisdn = "15551234567";
    m.registered_delivery = 1;
    m.payload = std::string(140, 'x');
    m.state = message_state::accepted;
    const std::string dlr(120, 'd');
    auto& live = st->live();

    std::size_t started = 0;
    std::size_t finished = 0;
    // One lifecycle: accepted -> submitted -> receipt (with the account's DLR) -> DLR
    // acknowledged by the account; each step waits for the previous one to be durable.
    auto submit = [&](std::uint32_t s) {
        auto& sl = slots[s];
        const auto now = st->now();
        sl.step_started = steady::now();
        switch (sl.stage) {
            case 0: {
                accepted_record r;
                r.message = m;
                r.message.id = st->next_id();
                r.message.account = account_names[sl.account];
                r.message.received = now;
                r.message.history.assign(1, state_event{message_state::accepted, now});
                sl.message = live.accept(std::move(r), nullptr, on_done(s));
                break;
            }
            case 1: {
                (void)live.begin_submit(sl.message);
                submitted_record r;
                r.id = sl.message->rec.id;
                r.carrier = "carrier-a";
                r.carrier_message_id = fmt::format("{:x}", sl.message->rec.id);
                r.when = now;
                (void)live.submitted(sl.message, std::move(r), on_done(s));
                break;
            }
            case 2: {
                const auto cmid = fmt::format("{:x}", sl.message->rec.id);
                (void)live.receipt(
                    "carrier-a", cmid,
                    [&](const live_message&, std::uint16_t) {
                        receipt_record r;
                        r.state = message_state::delivered;
                        r.when = now;
                        r.dlr = dlr;
                        return std::optional<receipt_record>{std::move(r)};
                    },
                    on_done(s));
                break;
            }
            case 3: {
                lsn_t entry = 0;
                (void)live.take_outbox(account_names[sl.account], 1,
                                       [&](lsn_t e, outbox_kind, std::string_view) {
                                           entry = e;
                                           return true;
                                       });
                live.delivered(account_names[sl.account], entry, on_done(s));
                break;
            }
            default:
                break;
        }
    };
    auto start_new = [&](std::uint32_t s) {
        slots[s] = slot{nullptr, static_cast<std::uint32_t>(started % accounts), 0, {}};
        ++started;
        submit(s);
    };

    const auto t0 = steady::now();
    const auto cpu0 = cpu_seconds();
    for (std::uint32_t s = 0; s < c.window && started < c.lifecycles; ++s) {
        start_new(s);
    }
    std::vector<std::uint32_t> batch_done;
    while (finished < c.lifecycles) {
        {
            std::unique_lock lk(mu);
            cv.wait(lk, [&] { return !done.empty(); });
            batch_done.swap(done);
        }
        const auto arrived = steady::now();
        for (const auto s : batch_done) {
            auto& sl = slots[s];
            if ((finished & 7U) == 0) {  // a sample is plenty and keeps this loop light
                step_ns[static_cast<std::size_t>(sl.stage)].push_back(static_cast<std::uint32_t>(
                    std::chrono::duration_cast<std::chrono::nanoseconds>(arrived - sl.step_started)
                        .count()));
            }
            if (++sl.stage < 4) {
                submit(s);
                continue;
            }
            ++finished;
            if (started < c.lifecycles) {
                start_new(s);
            }
        }
        batch_done.clear();
    }
    const auto secs = seconds_since(t0);
    const auto cpu = cpu_seconds() - cpu0;
    const auto s = st->stats();
    fmt::print("lifecycle (sync={}, window={}, group_max_commits={}, one writer thread, {})\n",
               to_string(c.sync), c.window, st->options().group_max_commits, st->compression());
    fmt::print(
        "  {} lifecycles in {:.2f}s: {:.0f} lifecycles/s ({:.0f} acknowledged commits/s), "
        "failures={}\n",
        c.lifecycles, secs, static_cast<double>(c.lifecycles) / secs,
        static_cast<double>(s.committed) / secs, failures);
    const auto groups = static_cast<double>(std::max<std::uint64_t>(1, s.groups));
    fmt::print(
        "  groups={} ({:.0f}/s) syncs={} avg group={:.1f} appends, {:.1f} RocksDB ops/lifecycle on the commit path, "
        "{:.0f} journal bytes/lifecycle\n",
        s.groups, static_cast<double>(s.groups) / secs, s.syncs,
        static_cast<double>(s.committed) / groups,
        static_cast<double>(s.operations) / static_cast<double>(c.lifecycles),
        static_cast<double>(s.journal_bytes) / static_cast<double>(c.lifecycles));
    fmt::print(
        "  write latency p50<={:.0f}us p99<={:.0f}us; sync p50<={:.0f}us p99<={:.0f}us; "
        "commit latency p50<={:.0f}us p99<={:.0f}us (bucket upper bounds)\n",
        hist_quantile(s.write_latency_us, 0.5), hist_quantile(s.write_latency_us, 0.99),
        hist_quantile(s.sync_latency_us, 0.5), hist_quantile(s.sync_latency_us, 0.99),
        hist_quantile(s.commit_latency_us, 0.5), hist_quantile(s.commit_latency_us, 0.99));
    const auto commits_per_s = static_cast<double>(s.committed) / secs;
    fmt::print(
        "  {:.0f} acknowledged commits/s = {:.2f} x the raw RocksDB baseline of this run "
        "({:.0f} sequential puts/s, one thread, no sync)\n",
        commits_per_s, commits_per_s / baseline, baseline);
    fmt::print(
        "  process CPU {:.2f}s = {:.1f} CPU-us per lifecycle ({:.2f} cores busy on "
        "average)\n",
        cpu, cpu * 1e6 / static_cast<double>(c.lifecycles), cpu / secs);
    fmt::print("  db size {}\n", human_bytes(st->disk_usage()));
    constexpr std::array step_names{"accepted (durable, back here)", "submitted", "receipt",
                                    "delivered upstream"};
    for (std::size_t i = 0; i < step_ns.size(); ++i) {
        if (!step_ns[i].empty()) {
            print_latency(step_names[i], step_ns[i]);
        }
    }
}

// --- disk floor -------------------------------------------------------------------------------

// `count` 4 KiB writes, each followed by fdatasync, at offsets 0, 4 KiB, 8 KiB, ... of `fd`
// (modulo `span` blocks); nanoseconds per write + sync.
std::vector<std::uint32_t> timed_syncs(int fd, std::size_t count, std::size_t span) {
    std::string block(4096, 'x');
    std::vector<std::uint32_t> ns;
    ns.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        block[0] = static_cast<char>(i);
        const auto t0 = steady::now();
        if (::pwrite(fd, block.data(), block.size(),
                     static_cast<off_t>((i % span) * block.size())) < 0 ||
            ::fdatasync(fd) != 0) {
            throw std::runtime_error(fmt::format("fdatasync: {}", std::strerror(errno)));
        }
        ns.push_back(static_cast<std::uint32_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(steady::now() - t0).count()));
    }
    return ns;
}

void bench_disk(const config& c) {
    fs::create_directories(c.db);
    const auto file = c.db / "fdatasync-probe";
    struct probe {
        explicit probe(const fs::path& f)
            : fd(::open(f.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600)) {
            if (fd < 0) {
                throw std::runtime_error(fmt::format("{}: {}", f.string(), std::strerror(errno)));
            }
        }
        ~probe() { ::close(fd); }
        probe(const probe&) = delete;
        probe& operator=(const probe&) = delete;
        int fd;
    };
    fmt::print("disk floor (4 KiB pwrite + fdatasync, one thread, {})\n", c.db.string());
    {
        // Appending, as RocksDB's WAL does: each sync also commits the file's new size.
        const probe p(file);
        auto ns = timed_syncs(p.fd, c.syncs, c.syncs);
        print_latency("append + fdatasync", ns);
    }
    // Over blocks written and synced before, so each sync writes data only: the floor. Printed
    // last: e2e.sh shows this line.
    std::vector<std::uint32_t> ns;
    {
        const probe p(file);
        constexpr std::size_t span = 1024;  // blocks, 4 MiB, rewritten in a ring
        (void)timed_syncs(p.fd, span, span);
        ns = timed_syncs(p.fd, c.syncs, span);
    }
    fs::remove(file);
    print_latency("write + fdatasync", ns);
}

// --- restart with messages in flight ------------------------------------------------------------

std::uint64_t resident_bytes() {
    std::ifstream statm("/proc/self/statm");
    std::uint64_t size = 0;
    std::uint64_t resident = 0;
    statm >> size >> resident;
    return resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

// Bytes the program has allocated and not freed, per jemalloc (linked like the daemon's), 0
// without it: RSS also holds pages the allocator keeps and RocksDB's own arenas.
std::uint64_t allocated_bytes() {
    using mallctl_fn = int (*)(const char*, void*, std::size_t*, void*, std::size_t);
    auto* mallctl = reinterpret_cast<mallctl_fn>(::dlsym(RTLD_DEFAULT, "mallctl"));
    if (mallctl == nullptr) {
        return 0;
    }
    std::uint64_t epoch = 1;
    std::size_t len = sizeof epoch;
    (void)mallctl("epoch", &epoch, &len, &epoch, len);  // refresh the statistics
    std::size_t allocated = 0;
    len = sizeof allocated;
    return mallctl("stats.allocated", &allocated, &len, nullptr, 0) == 0 ? allocated : 0;
}

// The child: accept c.inflight messages, submit every second one, and report. Never returns.
[[noreturn]] void fill_and_wait_for_kill(const config& c, const fs::path& dir, int report_fd) {
    store_options o;  // the defaults, as the daemon has them unless configured
    o.path = dir;
    o.sync = c.sync;
    const auto rss0 = resident_bytes();
    auto st = store::open(o);
    auto& live = st->live();
    message_record m;
    m.brand = "acme";
    m.klass = pol::message_class::transactional;
    m.source = {5, 0, "ACME"};
    m.destination = {1, 1, "+15551234567"};
    m.registered_delivery = 1;
    m.payload = std::string(140, 'x');
    m.state = message_state::accepted;

    std::mutex mu;
    std::condition_variable cv;
    std::size_t acknowledged = 0;
    std::size_t failed = 0;
    auto on_done = [&](std::error_code ec) {
        std::lock_guard lk(mu);
        ++(ec ? failed : acknowledged);
        cv.notify_one();
    };
    std::ofstream ids(dir / "acknowledged-ids", std::ios::binary);
    const auto t0 = steady::now();
    constexpr std::size_t window = 8192;
    std::size_t issued = 0;
    std::vector<message_ptr> to_submit;
    while (issued < c.inflight) {
        {
            std::unique_lock lk(mu);
            cv.wait(lk, [&] { return issued - acknowledged - failed < window; });
        }
        const auto now = st->now();
        accepted_record r;
        r.message = m;
        r.message.id = st->next_id();
        r.message.account = fmt::format("acct-{}", issued % 64);
        r.message.msisdn = msisdn_of(issued);
        r.message.received = now;
        r.message.history.assign(1, state_event{message_state::accepted, now});
        const auto id = r.message.id;
        auto msg = live.accept(std::move(r), nullptr, on_done);
        ids.write(reinterpret_cast<const char*>(&id), sizeof id);
        if (issued % 2 == 1) {
            to_submit.push_back(std::move(msg));
        }
        ++issued;
    }
    {
        std::unique_lock lk(mu);  // every accept durable before its submit starts
        cv.wait(lk, [&] { return acknowledged + failed == issued; });
    }
    for (const auto& msg : to_submit) {
        {
            std::unique_lock lk(mu);
            cv.wait(lk, [&] { return issued - acknowledged - failed < window; });
        }
        if (!live.begin_submit(msg)) {
            continue;
        }
        submitted_record r;
        r.id = msg->rec.id;
        r.carrier = "carrier-a";
        r.carrier_message_id = fmt::format("{:x}", msg->rec.id);
        r.when = st->now();
        (void)live.submitted(msg, std::move(r), on_done);
        ++issued;
    }
    to_submit.clear();
    {
        std::unique_lock lk(mu);
        cv.wait(lk, [&] { return acknowledged + failed == issued; });
    }
    ids.close();
    const auto took = seconds_since(t0);
    const auto counts = live.counts();
    const auto report = fmt::format(
        "{} {} {:.2f} {} {} {} {}\n", acknowledged, failed, took, counts.queued,
        counts.awaiting_receipt, resident_bytes(), rss0);
    if (::write(report_fd, report.data(), report.size()) < 0) {
        ::_exit(1);  // the parent sees no report and says so
    }
    for (;;) {
        ::pause();  // SIGKILL comes here: no close, no final checkpoint
    }
}

void bench_restart(const config& c) {
    const auto dir = c.db / "restart";
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::fflush(stdout);  // or the child's exit would print it again
    int fds[2];
    if (::pipe(fds) != 0) {
        throw std::runtime_error("pipe");
    }
    const pid_t child = ::fork();
    if (child == 0) {
        ::close(fds[0]);
        try {
            fill_and_wait_for_kill(c, dir, fds[1]);
        } catch (const std::exception& e) {
            fmt::print(stderr, "store_bench child: {}\n", e.what());
        }
        ::_exit(1);
    }
    ::close(fds[1]);
    std::string line;
    char buf[256];
    for (;;) {
        const auto n = ::read(fds[0], buf, sizeof buf);
        if (n <= 0) {
            break;
        }
        line.append(buf, static_cast<std::size_t>(n));
        if (line.find('\n') != std::string::npos) {
            break;
        }
    }
    ::close(fds[0]);
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    std::size_t acknowledged = 0;
    std::size_t failed = 0;
    double fill_seconds = 0;
    std::uint64_t queued = 0;
    std::uint64_t awaiting = 0;
    std::uint64_t child_rss = 0;
    std::uint64_t child_rss0 = 0;
    if (std::sscanf(line.c_str(), "%zu %zu %lf %lu %lu %lu %lu", &acknowledged, &failed,
                    &fill_seconds, &queued, &awaiting, &child_rss, &child_rss0) != 7) {
        throw std::runtime_error("the child reported nothing (see its error above)");
    }
    const auto in_flight = queued + awaiting;
    fmt::print("restart after SIGKILL with {} messages in flight (sync={}, default options)\n",
               in_flight, to_string(c.sync));
    fmt::print(
        "  child: {} acknowledged transitions ({} failed) in {:.1f}s; {} queued + {} awaiting "
        "receipts; RSS {} = {:.0f} bytes per message in flight above the empty store's {}\n",
        acknowledged, failed, fill_seconds, queued, awaiting, human_bytes(child_rss),
        static_cast<double>(child_rss - child_rss0) / static_cast<double>(in_flight),
        human_bytes(child_rss0));
    fmt::print("  db size at the kill {}\n", human_bytes([&] {
                   std::uint64_t total = 0;
                   for (const auto& e : fs::recursive_directory_iterator(dir)) {
                       if (e.is_regular_file()) {
                           total += e.file_size();
                       }
                   }
                   return total;
               }()));

    store_options o;
    o.path = dir;
    o.sync = c.sync;
    const auto rss0 = resident_bytes();
    const auto t0 = steady::now();
    auto st = store::open(o);
    const auto open_seconds = seconds_since(t0);
    const auto rss = resident_bytes();
    const auto& r = st->recovery();
    fmt::print(
        "  reopened in {:.2f}s (store's own figure {} ms): checkpoint at LSN {} ({} chunks) + {} "
        "journal records replayed\n",
        open_seconds, r.duration.count(), r.checkpoint_lsn, r.checkpoint_chunks,
        r.replayed_records);
    fmt::print("  after reopening: {} queued + {} awaiting receipts; RSS +{} = {:.0f} bytes per "
               "message in flight; allocated {}\n",
               r.live.queued, r.live.deferred + r.live.awaiting_receipt, human_bytes(rss - rss0),
               static_cast<double>(rss - rss0) / static_cast<double>(in_flight),
               human_bytes(allocated_bytes()));
    // RocksDB's memtables hold what the open replayed from its WAL until they are flushed.
    fmt::print("  of which RocksDB memtables {}\n", human_bytes(st->memtable_bytes()));
    std::ifstream ids(dir / "acknowledged-ids", std::ios::binary);
    std::size_t checked = 0;
    std::size_t missing = 0;
    message_id id = 0;
    while (ids.read(reinterpret_cast<char*>(&id), sizeof id)) {
        ++checked;
        if (!st->live().get(id)) {
            ++missing;
        }
    }
    fmt::print("  {} acknowledged accepts checked after the restart: {} missing\n", checked,
               missing);
    if (missing != 0 || r.live.queued + r.live.awaiting_receipt != in_flight) {
        throw std::runtime_error("acknowledged messages are missing after the restart");
    }
}

// --- opt-outs ---------------------------------------------------------------------------------

void bench_optout(const config& c) {
    const auto dir = c.db / "optout";
    fs::remove_all(dir);
    auto o = base_options(c, dir);
    o.sync = sync_mode::none;  // bulk load; lookups do not depend on it
    double load_s = 0;
    {
        auto st = store::open(o);
        const auto t = st->now();
        load_s = smppgw::bench::load_in_batches(*st, c.optouts, [&](batch& b, std::size_t i) {
            b.put_optout({i % 10 == 0 ? std::string{pol::all_brands} : std::string{"acme"},
                          msisdn_of(i * 2), t, "STOP", pol::record_source::import, "bench"});
        });
        (void)st->flush();
        fmt::print("optout: loaded {} opt-outs in {:.1f}s ({:.0f}/s), db size {} after flush\n",
                   c.optouts, load_s, static_cast<double>(c.optouts) / load_s,
                   human_bytes(st->disk_usage()));
    }
    o.expected_optouts = c.optouts;
    auto st = store::open(o);
    fmt::print("  reopen with index rebuild: {:.2f}s ({} opt-outs)\n",
               static_cast<double>(st->recovery().duration.count()) / 1000.0,
               st->recovery().optouts);

    std::mt19937_64 rng{1};
    std::vector<std::uint32_t> absent;
    std::vector<std::uint32_t> present;
    std::vector<std::uint32_t> mixed;
    absent.reserve(c.lookups);
    present.reserve(c.lookups / 10);
    mixed.reserve(c.lookups);
    std::size_t hits = 0;
    auto timed = [&](const std::string& msisdn, std::vector<std::uint32_t>& out) {
        const auto t0 = steady::now();
        const auto r = st->find_optout("acme", msisdn);
        const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(steady::now() - t0);
        out.push_back(static_cast<std::uint32_t>(ns.count()));
        hits += r ? 1 : 0;
    };
    // Warm-up: touch the filter and the block cache the way a running gateway would have.
    for (std::size_t i = 0; i < c.lookups / 10; ++i) {
        (void)st->find_optout("acme", msisdn_of(rng() % (2 * c.optouts)));
    }
    for (std::size_t i = 0; i < c.lookups; ++i) {
        timed(msisdn_of(rng() % c.optouts * 2 + 1), absent);  // odd numbers: never stored
    }
    for (std::size_t i = 0; i < c.lookups / 10; ++i) {
        timed(msisdn_of(rng() % c.optouts * 2), present);
    }
    for (std::size_t i = 0; i < c.lookups; ++i) {
        const auto k = rng() % c.optouts * 2 + (rng() % 100 == 0 ? 0 : 1);
        timed(msisdn_of(k), mixed);
    }
    print_latency("find_optout, not opted out", absent);
    print_latency("find_optout, opted out (brand or STOPALL)", present);
    print_latency("find_optout, 99% not / 1% opted out", mixed);
    fmt::print("  ({} opted-out answers)\n", hits);
}

// --- consents ---------------------------------------------------------------------------------

pol::consent_record bench_consent(std::size_t i, pol::time_point t) {
    pol::consent_record r;
    r.brand = i % 2 == 0 ? "acme" : "globex";
    r.msisdn = msisdn_of(i / 2);
    r.klass = pol::message_class::promotional;
    r.status = pol::consent_status::granted;
    r.type = pol::consent_type::express_written;
    r.program = "spring";
    r.granted = t;
    r.source = pol::record_source::web;
    r.proof = "I agree to receive marketing texts v3";
    r.proof_url = "https://acme.example/join";
    return r;
}

void bench_consent(const config& c) {
    const auto dir = c.db / "consent";
    fs::remove_all(dir);
    auto o = base_options(c, dir);
    o.sync = sync_mode::none;
    {
        auto st = store::open(o);
        const auto t = st->now();
        const auto secs =
            smppgw::bench::load_in_batches(*st, c.consents, [&](batch& b, std::size_t i) {
                b.put_consent(bench_consent(i, t));
                if (i % 100 == 0) {  // some opt-outs and send history too
                    b.put_optout({"acme", msisdn_of(i / 2), t, "STOP", pol::record_source::mo, ""});
                    b.record_send("acme", msisdn_of(i / 2), t);
                }
            });
        (void)st->flush();
        fmt::print("consent: loaded {} consents in {:.1f}s ({:.0f}/s), db size {} after flush\n",
                   c.consents, secs, static_cast<double>(c.consents) / secs,
                   human_bytes(st->disk_usage()));
    }
    for (const auto mode : {consent_index_mode::memory, consent_index_mode::rocksdb}) {
        o.consent_index = mode;
        o.expected_consents = c.consents;
        o.expected_optouts = c.consents / 100;
        auto st = store::open(o);
        const auto name = mode == consent_index_mode::memory ? "memory" : "rocksdb";
        fmt::print("  consent_index={}: reopen {:.2f}s ({} states)\n", name,
                   static_cast<double>(st->recovery().duration.count()) / 1000.0,
                   st->recovery().consents);
        std::mt19937_64 rng{2};
        std::vector<std::uint32_t> consent_ns;
        std::vector<std::uint32_t> chain_ns;
        consent_ns.reserve(c.lookups);
        chain_ns.reserve(c.lookups);
        const auto since = st->now() - std::chrono::hours{24};
        std::size_t found = 0;
        for (std::size_t i = 0; i < c.lookups / 10; ++i) {  // warm-up
            (void)st->find_consent("acme", msisdn_of(rng() % (c.consents / 2)),
                                   pol::message_class::promotional);
        }
        for (std::size_t i = 0; i < c.lookups; ++i) {
            const auto msisdn = msisdn_of(rng() % (c.consents / 2));
            auto t0 = steady::now();
            const auto r = st->find_consent("acme", msisdn, pol::message_class::promotional);
            consent_ns.push_back(static_cast<std::uint32_t>(
                std::chrono::duration_cast<std::chrono::nanoseconds>(steady::now() - t0).count()));
            found += r ? 1 : 0;
        }
        for (std::size_t i = 0; i < c.lookups; ++i) {
            const auto msisdn = msisdn_of(rng() % (c.consents / 2));
            auto t0 = steady::now();
            const auto oo = st->find_optout("acme", msisdn);
            const auto cc = st->find_consent("acme", msisdn, pol::message_class::promotional);
            const auto h = st->recent_sends("acme", msisdn, since);
            chain_ns.push_back(static_cast<std::uint32_t>(
                std::chrono::duration_cast<std::chrono::nanoseconds>(steady::now() - t0).count()));
            found += (oo ? 1 : 0) + (cc ? 1 : 0) + h.count;
        }
        print_latency(fmt::format("find_consent ({})", name), consent_ns);
        print_latency(fmt::format("optout+consent+recent_sends ({})", name), chain_ns);
        fmt::print("  ({} answers)\n", found);
    }
}

config parse(int argc, char** argv) {
    config c;
    c.db = fs::temp_directory_path() / fmt::format("smppgw-store-bench-{}", ::getpid());
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) {
                fmt::print(stderr, "{} needs a value\n", a);
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--db") {
            c.db = value();
        } else if (a == "--mode") {
            c.mode = value();
        } else if (a == "--lifecycles") {
            c.lifecycles = std::stoull(value());
        } else if (a == "--window") {
            c.window = std::max<std::size_t>(1, std::stoull(value()));
        } else if (a == "--group") {
            c.group = std::stoull(value());
        } else if (a == "--optouts") {
            c.optouts = std::stoull(value());
        } else if (a == "--consents") {
            c.consents = std::stoull(value());
        } else if (a == "--lookups") {
            c.lookups = std::stoull(value());
        } else if (a == "--syncs") {
            c.syncs = std::max<std::size_t>(1, std::stoull(value()));
        } else if (a == "--inflight") {
            c.inflight = std::max<std::size_t>(1, std::stoull(value()));
        } else if (a == "--sync") {
            const auto m = parse_sync_mode(value());
            if (!m) {
                fmt::print(stderr, "--sync: always | batch | none\n");
                std::exit(2);
            }
            c.sync = *m;
        } else if (a == "--keep") {
            c.keep = true;
        } else {
            fmt::print(stderr,
                       "usage: store_bench [--db DIR] [--mode lifecycle|optout|consent|disk|restart|all] "
                       "[--lifecycles N] [--syncs N] [--inflight N] [--window N] [--group N] [--optouts N] [--consents N] "
                       "[--lookups N] [--sync always|batch|none] [--keep]\n");
            std::exit(2);
        }
    }
    return c;
}

}  // namespace

int main(int argc, char** argv) {
    const auto c = parse(argc, argv);
    fmt::print("store_bench: db under {}, {} hardware threads\n", c.db.string(),
               std::thread::hardware_concurrency());
    try {
        if (c.mode == "lifecycle" || c.mode == "all") {
            bench_lifecycle(c);
        }
        if (c.mode == "optout" || c.mode == "all") {
            bench_optout(c);
        }
        if (c.mode == "consent" || c.mode == "all") {
            bench_consent(c);
        }
        if (c.mode == "disk" || c.mode == "all") {
            bench_disk(c);
        }
        if (c.mode == "restart") {  // not in "all": it takes a million messages and a kill
            bench_restart(c);
        }
    } catch (const std::exception& e) {
        fmt::print(stderr, "store_bench: {}\n", e.what());
        return 1;
    }
    if (!c.keep) {
        std::error_code ec;
        fs::remove_all(c.db, ec);
    }
    return 0;
}
