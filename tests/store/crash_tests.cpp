// Crash test: a child process (store_crash_child) writes under load with sync = batch and
// reports every acknowledged batch through a pipe; the parent SIGKILLs it at a random moment,
// reopens the store and checks that every acknowledged batch is there, whole (message, opt-out
// and outbox entry), and that outbox sequences never go backwards across restarts. Repeated
// for many rounds on the same directory.

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <map>
#include <random>
#include <set>

#include "smppgw/store/store.hpp"
#include "test_util.hpp"

extern char** environ;

using namespace smppgw::store;
using namespace smppgw::store::test;

namespace {

struct child_run {
    std::vector<message_id> acked;
    int exit_signal = 0;
    int exit_code = 0;
};

// Waits for the child's first acknowledgement (start-up time varies a lot, e.g. under a
// sanitizer), lets it run for `run_for` more, kills it, and returns every id it acknowledged.
child_run run_child(const std::filesystem::path& dir, std::chrono::milliseconds run_for) {
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 3);  // dup2 clears CLOEXEC on fd 3
    std::string exe = SMPPGW_STORE_CRASH_CHILD;
    std::string path = dir.string();
    std::string fd = "3";
    char* argv[] = {exe.data(), path.data(), fd.data(), nullptr};
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
    const auto startup_limit = std::chrono::steady_clock::now() + std::chrono::seconds{60};
    bool alive = true;
    while (alive && buf.empty() && std::chrono::steady_clock::now() < startup_limit) {
        alive = drain(5);
    }
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
    REQUIRE(buf.size() % sizeof(message_id) == 0);
    out.acked.resize(buf.size() / sizeof(message_id));
    std::memcpy(out.acked.data(), buf.data(), buf.size());
    return out;
}

}  // namespace

TEST_CASE("every acknowledged write survives SIGKILL (sync = batch)", "[crash]") {
    temp_dir dir;
    std::mt19937 rng{std::random_device{}()};
    std::uniform_int_distribution<int> ms{50, 400};
    constexpr int rounds = 24;
    std::set<message_id> all_acked;
    std::uint64_t max_seq_seen = 0;
    std::size_t total_acked = 0;

    for (int round = 0; round < rounds; ++round) {
        CAPTURE(round);
        const auto run = run_child(dir.path(), std::chrono::milliseconds{ms(rng)});
        REQUIRE(run.exit_code == 0);  // the child never failed on its own
        REQUIRE(run.exit_signal == SIGKILL);
        REQUIRE_FALSE(run.acked.empty());  // the kill came after the child was writing
        total_acked += run.acked.size();

        auto o = test_options(dir.path(), system_clock());
        auto st = store::open(o);
        // Every id acknowledged in this round: the whole batch is there.
        for (const auto id : run.acked) {
            auto m = st->get_message(id);
            REQUIRE(m);
            REQUIRE(m->has_value());
            REQUIRE((*m)->id == id);
            REQUIRE(st->find_optout("crash", std::to_string(id % 1'000'000'000'000'000ULL)));
            all_acked.insert(id);
        }
        // The outbox holds one entry per acknowledged batch, in increasing sequence order, and
        // the next sequence is beyond all of them.
        std::map<message_id, std::uint64_t> seq_of;
        std::uint64_t prev = 0;
        std::uint64_t from = 0;
        for (;;) {
            auto entries = st->read_outbox("crash", from, 10'000);
            REQUIRE(entries);
            if (entries->empty()) {
                break;
            }
            for (const auto& e : *entries) {
                REQUIRE(e.seq > prev);
                prev = e.seq;
                message_id id = 0;
                REQUIRE(e.bytes.size() == sizeof id);
                std::memcpy(&id, e.bytes.data(), sizeof id);
                seq_of[id] = e.seq;
            }
            from = entries->back().seq + 1;
        }
        for (const auto id : run.acked) {
            const auto it = seq_of.find(id);
            REQUIRE(it != seq_of.end());
            // Sequences assigned after a restart are above every earlier one.
            REQUIRE(it->second > max_seq_seen);
        }
        REQUIRE(st->outbox("crash").next_seq > prev);
        max_seq_seen = prev;
        CHECK(st->recovery().pending_total >= all_acked.size());
    }
    // A final pass over everything ever acknowledged.
    auto st = store::open(test_options(dir.path(), system_clock()));
    for (const auto id : all_acked) {
        REQUIRE(st->get_message(id)->has_value());
    }
    CHECK(total_acked == all_acked.size());
    CHECK(total_acked > 0);
    WARN("crash test: " << rounds << " rounds, " << total_acked << " acknowledged batches");
}
