// smsc-sim: the carrier SMSC simulator. A thin main over sim::smsc_server; see --help.

#include <cstdio>
#include <fstream>
#include <iostream>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "common/cli.hpp"
#include "common/io_pool.hpp"
#include "sim/sim_options.hpp"
#include "sim/smsc_server.hpp"

namespace {

using namespace smppgw::bench;
namespace asio = boost::asio;

int run(int argc, char** argv) {
    auto config = sim::parse_sim_options(argc, argv);
    if (!config) {
        return 0;
    }
    const auto stats_interval = config->stats_interval;
    const std::string port_file = config->port_file;

    io_pool pool(config->threads);
    sim::smsc_server server(std::move(*config), pool);
    server.start();
    pool.start();

    std::cerr << "smsc-sim: listening on " << server.config().listen_host << ':' << server.port()
              << " (threads " << pool.size() << ", ack " << server.config().ack_latency.describe()
              << ", receipts "
              << (server.config().receipts ? server.config().receipt_delay.describe() : "off")
              << ")\n";
    if (!port_file.empty()) {
        // Write then rename, so a script polling for the file never reads half of it.
        const std::string tmp = port_file + ".tmp";
        std::ofstream(tmp) << server.port() << '\n';
        std::rename(tmp.c_str(), port_file.c_str());
    }

    // Signals and the periodic stats line run on the main thread's own context.
    asio::io_context control(1);
    asio::signal_set signals(control, SIGINT, SIGTERM, SIGUSR1);
    asio::steady_timer stats_timer(control);
    asio::steady_timer grace(control);
    bool stopping = false;

    std::function<void()> wait_signal = [&] {
        signals.async_wait([&](boost::system::error_code ec, int signo) {
            if (ec) {
                return;
            }
            if (signo == SIGUSR1) {
                std::cerr << server.stats_line() << std::endl;
                wait_signal();
                return;
            }
            if (stopping) {
                pool.stop();  // a second signal: no more grace
                control.stop();
                return;
            }
            stopping = true;
            server.shutdown();
            stats_timer.cancel();
            // Let unbinds go out and their responses come back, then stop.
            grace.expires_after(std::chrono::milliseconds(300));
            grace.async_wait([&](boost::system::error_code) { control.stop(); });
            wait_signal();
        });
    };
    wait_signal();

    std::function<void()> tick_stats = [&] {
        stats_timer.expires_after(stats_interval);
        stats_timer.async_wait([&](boost::system::error_code ec) {
            if (ec) {
                return;
            }
            std::cerr << server.stats_line() << std::endl;
            tick_stats();
        });
    };
    if (stats_interval.count() > 0) {
        tick_stats();
    }

    control.run();
    pool.stop();
    server.records().flush();
    std::cerr << server.stats_line() << std::endl;
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    return run_tool("smsc-sim", [&] { return run(argc, argv); });
}
