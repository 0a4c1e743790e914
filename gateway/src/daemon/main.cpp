// smppgw: the daemon and its operator commands.
//
//   smppgw [run] [--config FILE]      run the gateway (default config: etc/smppgw.toml)
//   smppgw config check FILE          validate a config file (exit 1 with key and line)
//   smppgw config reference           every config key as Markdown (docs/configuration.md)
//   smppgw pdu decode HEX             one PDU as JSON
//   smppgw pdu encode [JSON]          JSON (or stdin) to hex
//   smppgw hash-password [PASSWORD]   a yescrypt string for accounts[].password_hash
//   smppgw --version

#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "daemon/core.hpp"
#include "infra/crash_report.hpp"
#include "infra/log.hpp"
#include "smppgw/gateway/admin.hpp"
#include "smppgw/gateway/commands.hpp"
#include "smppgw/gateway/config.hpp"

#ifdef SMPPGW_WITH_JEMALLOC
// jemalloc's options, read at its first allocation (MALLOC_CONF in the environment still
// overrides them). Without a background thread, jemalloc returns freed pages to the OS only
// while the process keeps allocating, so an idle daemon kept what its last burst freed
// (measured: 21 MiB of 597 after a million submits); with it, they go after their decay time.
extern "C" {
// NOLINTNEXTLINE(cppcoreguidelines-avoid-non-const-global-variables): jemalloc's interface
const char* malloc_conf = "background_thread:true";
}
#endif

namespace {

namespace asio = boost::asio;
using namespace smppgw::gateway;

constexpr const char* usage =
    "usage: smppgw [run] [--config FILE]\n"
    "       smppgw config check FILE | smppgw config reference\n"
    "       smppgw pdu decode HEX | smppgw pdu encode [JSON]\n"
    "       smppgw hash-password [PASSWORD]\n"
    "       smppgw --version\n";

// Tells systemd we are alive at half the watchdog interval, if it asked; "alive" means every
// I/O thread ran a task posted for the probe, so a stuck thread gets the daemon restarted.
void arm_watchdog(asio::steady_timer& timer, std::chrono::microseconds interval, core& gateway) {
    timer.expires_after(interval / 2);
    timer.async_wait([&timer, interval, &gateway](const boost::system::error_code& ec) {
        if (!ec) {
            gateway.probe_io([] { sd_notify(0, "WATCHDOG=1"); });
            arm_watchdog(timer, interval, gateway);
        }
    });
}

// Replaces the process image with a fresh start of the same command line: same pid (systemd and
// supervisors see no exit), every descriptor closed on the way (sockets, the store's files).
[[noreturn]] void restart_in_place(char** argv) {
    ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
    ::execv("/proc/self/exe", argv);
    log::error("restart in place failed ({}); exiting for the supervisor to restart",
               std::strerror(errno));
    std::_Exit(1);
}

int run(const std::string& config_path, char** argv) {
    install_crash_report();
    std::shared_ptr<const config> cfg;
    try {
        cfg = load_config(config_path);
    } catch (const std::exception& e) {
        std::cerr << config_path << ": " << e.what() << '\n';
        return 1;
    }
    core gateway(cfg);
    asio::io_context main_ctx;
    bool restart = false;
    gateway.on_store_reopen_needed([&] {
        asio::post(main_ctx, [&] {
            restart = true;
            sd_notify(0, "RELOADING=1\nSTATUS=restarting in place to reopen the store");
            main_ctx.stop();
        });
    });
    std::unique_ptr<admin_server> admin;
    try {
        gateway.start();
        if (cfg->admin.enabled) {
            admin = std::make_unique<admin_server>(gateway, cfg->admin);
            admin->start();
        }
    } catch (const std::exception& e) {
        log::error("startup failed: {}", e.what());
        return 1;
    }

    asio::signal_set signals(main_ctx, SIGINT, SIGTERM, SIGHUP);
    std::function<void()> wait_signal;
    wait_signal = [&] {
        signals.async_wait([&](const boost::system::error_code& ec, int signo) {
            if (ec) {
                return;
            }
            if (signo == SIGHUP) {
                sd_notify(0, "RELOADING=1");
                std::string error;
                (void)gateway.reload(error);
                sd_notify(0, "READY=1");
                wait_signal();
                return;
            }
            log::info("signal {}: stopping", signo);
            sd_notify(0, "STOPPING=1");
            main_ctx.stop();
        });
    };
    wait_signal();
    asio::steady_timer watchdog(main_ctx);
    std::uint64_t watchdog_usec = 0;
    if (sd_watchdog_enabled(0, &watchdog_usec) > 0) {
        arm_watchdog(watchdog, std::chrono::microseconds(watchdog_usec), gateway);
    }
    sd_notify(0, "READY=1");
    main_ctx.run();
    if (admin) {
        admin->stop();
    }
    gateway.stop();
    if (restart) {
        log::info("stopped; starting again to reopen the store");
        restart_in_place(argv);
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string_view> args(argv + 1, argv + argc);
    // A peer that resets a connection must not kill the process with SIGPIPE.
    std::signal(SIGPIPE, SIG_IGN);
    if (!args.empty() && (args[0] == "--version" || args[0] == "version")) {
        std::cout << "smppgw " << SMPPGW_VERSION << '\n';
        return 0;
    }
    if (!args.empty() && (args[0] == "--help" || args[0] == "-h" || args[0] == "help")) {
        std::cout << usage;
        return 0;
    }
    if (!args.empty() && args[0] == "pdu") {
        return pdu_command(std::span(args).subspan(1), std::cin, std::cout, std::cerr);
    }
    if (!args.empty() && args[0] == "config") {
        return config_command(std::span(args).subspan(1), std::cout, std::cerr);
    }
    if (!args.empty() && args[0] == "hash-password") {
        return hash_password_command(std::span(args).subspan(1), std::cin, std::cout, std::cerr,
                                     ::isatty(STDIN_FILENO) == 1);
    }
    std::string config_path = "etc/smppgw.toml";
    std::size_t i = 0;
    if (!args.empty() && args[0] == "run") {
        i = 1;
    }
    for (; i < args.size(); ++i) {
        if ((args[i] == "--config" || args[i] == "-c") && i + 1 < args.size()) {
            config_path = std::string(args[++i]);
        } else {
            std::cerr << "unknown argument: " << args[i] << '\n' << usage;
            return 2;
        }
    }
    return run(config_path, argv);
}
