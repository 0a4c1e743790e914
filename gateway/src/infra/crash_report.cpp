#include "infra/crash_report.hpp"

#include <execinfo.h>
#include <unistd.h>

#include <array>
#include <csignal>
#include <cstring>

namespace smppgw::gateway {
namespace {

constexpr std::array fatal_signals{SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL};

void write_text(const char* text) {
    // Best effort: nothing can be done about a short write to stderr from here.
    [[maybe_unused]] const auto n = ::write(STDERR_FILENO, text, std::strlen(text));
}

// Only async-signal-safe calls (write, backtrace_symbols_fd; backtrace once loaded, see
// install_crash_report), then the default action, so the exit status and any core dump are
// what they would have been without us.
void report(int signo) {
    write_text("smppgw: fatal signal ");
    write_text(::sigabbrev_np(signo) != nullptr ? ::sigabbrev_np(signo) : "?");
    write_text(", stack of the thread that received it:\n");
    std::array<void*, 64> frames{};
    const int n = ::backtrace(frames.data(), static_cast<int>(frames.size()));
    ::backtrace_symbols_fd(frames.data(), n, STDERR_FILENO);
    std::signal(signo, SIG_DFL);
    std::raise(signo);
}

}  // namespace

void install_crash_report() {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    // A sanitizer's own report of a fatal signal says more; leave its handlers in place.
    return;
#endif
    // backtrace() loads libgcc on first use, which allocates: do it now, not in the handler.
    std::array<void*, 1> warm{};
    ::backtrace(warm.data(), 1);
    struct sigaction action {};
    action.sa_handler = report;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESETHAND;
    for (const int signo : fatal_signals) {
        ::sigaction(signo, &action, nullptr);
    }
}

}  // namespace smppgw::gateway
