// Crash test: a child process (store_crash_child) drives the live state through a real store
// under load with sync = batch and checkpoints running back to back, and reports every
// transition once its completion says it is durable, and every checkpoint's start and end. The
// parent SIGKILLs it at random moments, many times on the same directory (so many kills land
// inside a checkpoint: chunks half written, flushed without a pointer, pointer written and trim
// pending), reopens the store and checks that nothing acknowledged was lost:
//   - every acknowledged accept exists (live, or materialized once finished);
//   - every acknowledged receipt left its message delivered and its DLR in the outbox, unless
//     that DLR's delivery was started (its record may be durable unacknowledged); once the
//     delivery is acknowledged the DLR is gone;
//   - every acknowledged MO is in the outbox unless its delivery was started, and gone once
//     its delivery is acknowledged;
//   - no outbox entry is there twice, and no DLR is there without its message's final state.

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <set>

#include "crash_report.hpp"
#include "live_util.hpp"
#include "message_codec.hpp"
#include "smppgw/store/store.hpp"
#include "test_util.hpp"

extern char** environ;

using namespace smppgw::store;
using namespace smppgw::store::test;
using smppgw::store::crash::event;
using smppgw::store::crash::report_record;

namespace {

struct child_run {
    std::vector<report_record> events;
    int exit_signal = 0;
    int exit_code = 0;
    bool started = false;
};

// Starts the child, waits for the first event of type `wait_for` (its first acknowledged accept,
// say: start-up time varies a lot, under a sanitizer or on a busy machine), lets it run `run_for`
// more, kills it and returns every event it reported, the ones still in the pipe included.
child_run run_child(const std::filesystem::path& dir, const std::filesystem::path& awaiting,
                    std::uint64_t seed, event wait_for, std::chrono::milliseconds run_for) {
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 3);  // dup2 clears CLOEXEC on fd 3
    std::string exe = SMPPGW_STORE_CRASH_CHILD;
    std::string path = dir.string();
    std::string fd = "3";
    std::string seed_arg = std::to_string(seed);
    std::string awaiting_arg = awaiting.string();
    char* argv[] = {exe.data(),      path.data(),         fd.data(),
                    seed_arg.data(), awaiting_arg.data(), nullptr};
    pid_t pid = 0;
    const int rc = ::posix_spawn(&pid, exe.c_str(), &actions, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    REQUIRE(rc == 0);

    child_run out;
    std::string buf;
    auto drain = [&](int timeout_ms) {
        pollfd p{fds[0], POLLIN, 0};
        if (::poll(&p, 1, timeout_ms) <= 0) {
            return true;
        }
        char chunk[65536];
        const auto n = ::read(fds[0], chunk, sizeof chunk);
        if (n <= 0) {
            return false;  // EOF: the child is gone
        }
        buf.append(chunk, static_cast<std::size_t>(n));
        return true;
    };
    // Scans only what arrived since the last call: waiting for a checkpoint's end under a
    // sanitizer, thousands of events come first.
    std::size_t scanned = 0;
    bool seen = false;
    const auto waited_for = [&] {
        for (; !seen && scanned + sizeof(report_record) <= buf.size();
             scanned += sizeof(report_record)) {
            report_record r;
            std::memcpy(&r, buf.data() + scanned, sizeof r);
            seen = r.type == static_cast<std::uint64_t>(wait_for);
        }
        return seen;
    };
    const auto startup_limit = std::chrono::steady_clock::now() + std::chrono::seconds{60};
    bool alive = true;
    while (alive && !waited_for() && std::chrono::steady_clock::now() < startup_limit) {
        alive = drain(5);
    }
    out.started = alive && waited_for();
    const auto deadline = std::chrono::steady_clock::now() + run_for;
    while (alive && std::chrono::steady_clock::now() < deadline) {
        alive = drain(5);
    }
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    while (drain(1000)) {  // what the child reported before it died is still in the pipe
    }
    ::close(fds[0]);
    if (WIFSIGNALED(status)) {
        out.exit_signal = WTERMSIG(status);
    } else if (WIFEXITED(status)) {
        out.exit_code = WEXITSTATUS(status);
    }
    REQUIRE(buf.size() % sizeof(report_record) == 0);
    out.events.resize(buf.size() / sizeof(report_record));
    std::memcpy(out.events.data(), buf.data(), buf.size());
    return out;
}

// Everything acknowledged so far, over every run.
struct facts {
    std::set<message_id> accepted;
    std::set<message_id> receipted;
    std::set<message_id> dlr_delivering;
    std::set<message_id> dlr_delivered;
    std::set<std::uint64_t> mos;
    std::set<std::uint64_t> mo_delivering;
    std::set<std::uint64_t> mo_delivered;
};

// Thousands of lookups per round: failures are reported, successes do not count as assertions.
std::uint64_t value_of(std::string_view bytes) {
    std::uint64_t v = 0;
    if (bytes.size() != 1 + sizeof v || (bytes[0] != 'd' && bytes[0] != 'm')) {
        FAIL("an outbox entry the child never wrote");
    }
    std::memcpy(&v, bytes.data() + 1, sizeof v);
    return v;
}

void verify(store& st, const facts& f) {
    auto& live = st.live();
    std::set<message_id> dlrs;
    std::set<std::uint64_t> mos;
    std::size_t duplicates = 0;
    live.take_outbox("crash", SIZE_MAX, [&](lsn_t, outbox_kind kind, std::string_view bytes) {
        const auto v = value_of(bytes);
        const bool dlr = bytes[0] == 'd';
        if (kind != (dlr ? outbox_kind::dlr : outbox_kind::mo)) {
            FAIL("an outbox entry of the wrong kind");
        }
        duplicates += (dlr ? dlrs.insert(v) : mos.insert(v)).second ? 0 : 1;
        return true;
    });
    CHECK(duplicates == 0);
    CHECK(live.counts().outbox_entries == dlrs.size() + mos.size());  // none pending after open

    const auto state_of = [&](message_id id) -> std::optional<message_state> {
        const auto m = st.get_message(id);
        if (!m) {
            FAIL("reading message " << id << " failed: " << m.error().message());
        }
        if (!m->has_value()) {
            return std::nullopt;
        }
        return (*m)->state;
    };
    for (const auto id : f.accepted) {
        if (!state_of(id)) {
            FAIL("acknowledged accept " << id << " is lost");
        }
    }
    for (const auto id : f.receipted) {
        if (state_of(id) != message_state::delivered) {
            FAIL("acknowledged receipt for " << id << " is lost");
        }
        if (!f.dlr_delivering.contains(id) && !dlrs.contains(id)) {
            FAIL("the DLR of acknowledged receipt " << id << " is lost");
        }
    }
    for (const auto id : f.dlr_delivered) {
        if (dlrs.contains(id)) {
            FAIL("the DLR of " << id << " came back after its delivery was acknowledged");
        }
    }
    for (const auto n : f.mos) {
        if (!f.mo_delivering.contains(n) && !mos.contains(n)) {
            FAIL("acknowledged MO " << n << " is lost");
        }
    }
    for (const auto n : f.mo_delivered) {
        if (mos.contains(n)) {
            FAIL("MO " << n << " came back after its delivery was acknowledged");
        }
    }
    // A DLR only ever exists together with the final state of its message (one record).
    for (const auto id : dlrs) {
        if (state_of(id) != message_state::delivered) {
            FAIL("a DLR for " << id << " without its receipt");
        }
    }
}

// The traffic counters count every finished message exactly once, whatever the kills took from
// the memtables the materializer writes without the WAL: their sum is the number of finished
// message rows (each written once per message, however often it was written again).
void verify_traffic(std::unique_ptr<store> st, const std::filesystem::path& dir) {
    REQUIRE(st->await_materialized(std::chrono::seconds(30)));
    const auto rows = st->traffic({time_point{}, time_point::max(), {}, {}, {}});
    REQUIRE(rows);
    std::uint64_t counted = 0;
    for (const auto& r : *rows) {
        counted += r.counts.finished();
    }
    st.reset();  // a clean close flushes every family: the rows can be read without the store
    raw_db raw(dir, true);
    std::uint64_t finished = 0;
    std::unique_ptr<rocksdb::Iterator> it{
        raw.db().NewIterator(rocksdb::ReadOptions{}, raw.cf("messages"))};
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
        message_record rec;
        if (it->key().size() == 8 &&
            detail::decode_message({it->value().data(), it->value().size()}, rec) ==
                detail::decode_status::ok &&
            is_final(rec.state)) {
            ++finished;
        }
    }
    REQUIRE(it->status().ok());
    CHECK(counted == finished);
}

}  // namespace

TEST_CASE("every acknowledged transition survives SIGKILL, inside checkpoints too", "[crash]") {
    temp_dir dir;
    const auto store_dir = dir / "store";
    const auto awaiting = dir / "awaiting";
    std::mt19937 rng{std::random_device{}()};
    std::uniform_int_distribution<int> ms{20, 300};
    facts f;
    int rounds = 0;
    int inside_checkpoint = 0;
    std::size_t checkpoints = 0;
    std::size_t events = 0;
    // Bounded by time rather than rounds: start-up time grows with the machine's load.
    const auto budget = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (rounds < 60 && (rounds < 8 || std::chrono::steady_clock::now() < budget)) {
        CAPTURE(rounds);
        {
            std::ofstream out(awaiting, std::ios::binary | std::ios::trunc);
            for (const auto id : f.accepted) {
                if (!f.receipted.contains(id)) {
                    out.write(reinterpret_cast<const char*>(&id), sizeof id);
                }
            }
        }
        // Checkpoints run back to back, so most kills land inside one. Every third round waits
        // for one to finish first: under a sanitizer a checkpoint can outlast the whole random
        // delay, and the state a completed checkpoint leaves must be killed over too.
        const auto wait_for = rounds % 3 == 2 ? event::checkpoint_end : event::accepted;
        const auto run = run_child(store_dir, awaiting, static_cast<std::uint64_t>(rounds) + 1,
                                   wait_for, std::chrono::milliseconds{ms(rng)});
        REQUIRE(run.started);
        REQUIRE(run.exit_code == 0);  // the child never failed on its own
        REQUIRE(run.exit_signal == SIGKILL);
        bool in_checkpoint = false;
        for (const auto& e : run.events) {
            switch (static_cast<event>(e.type)) {
                case event::accepted:
                    f.accepted.insert(e.value);
                    break;
                case event::mo:
                    f.mos.insert(e.value);
                    break;
                case event::receipt:
                    f.receipted.insert(e.value);
                    break;
                case event::dlr_delivered:
                    f.dlr_delivered.insert(e.value);
                    break;
                case event::mo_delivered:
                    f.mo_delivered.insert(e.value);
                    break;
                case event::dlr_delivering:
                    f.dlr_delivering.insert(e.value);
                    break;
                case event::mo_delivering:
                    f.mo_delivering.insert(e.value);
                    break;
                case event::checkpoint_start:
                    in_checkpoint = true;
                    break;
                case event::checkpoint_end:
                    CHECK(e.value == 1);  // checkpoints succeed while the disk has room
                    in_checkpoint = false;
                    ++checkpoints;
                    break;
                case event::ready:
                    break;
                case event::error:
                    FAIL("the child reported a failure");
                    break;
            }
        }
        events += run.events.size();
        inside_checkpoint += in_checkpoint ? 1 : 0;
        ++rounds;

        auto st = store::open(test_options(store_dir, system_clock()));
        verify(*st, f);
        verify_traffic(std::move(st), store_dir);
    }
    // The point of the frequent checkpoints: kills must have landed inside them.
    CHECK(inside_checkpoint > 0);
    CHECK(checkpoints > 0);
    CHECK(f.receipted.size() > 0);
    CHECK(f.dlr_delivered.size() > 0);
    CHECK(f.mo_delivered.size() > 0);
    WARN("crash test: " << rounds << " kills, " << inside_checkpoint << " inside a checkpoint; "
                        << checkpoints << " checkpoints completed; " << f.accepted.size()
                        << " accepts, " << f.receipted.size() << " receipts, "
                        << f.dlr_delivered.size() << " DLR and " << f.mo_delivered.size()
                        << " MO deliveries, " << f.mos.size() << " MOs acknowledged (" << events
                        << " events)");
}
