#pragma once
// Everything smppgw-bench can be told, as plain values.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/cli.hpp"

namespace smppgw::bench::loadgen {

enum class bind_mode {
    tx,    // transmitters only: no receipts come back to us
    trx,   // transceivers: submits and receipts on the same connection
    txrx,  // each bind is a TX + RX pair (2 connections): receipts arrive on the RX one
};

struct gen_config {
    std::string host = "127.0.0.1";
    std::uint16_t port = 2776;
    std::string system_id = "bench";
    std::string password = "bench";
    std::string system_type;

    std::size_t binds = 4;
    bind_mode mode = bind_mode::trx;
    std::size_t window = 64;
    std::size_t threads = 1;

    double rate = 0;  // submit_sm per second over all binds; 0 = as fast as windows allow
    std::chrono::nanoseconds duration{std::chrono::seconds(10)};  // 0 = until --count
    std::uint64_t count = 0;  // submit_sm to send; 0 = until --duration

    bool receipts = true;  // registered_delivery 1
    std::chrono::nanoseconds drain_timeout{std::chrono::seconds(30)};
    std::chrono::nanoseconds response_timeout{std::chrono::seconds(30)};
    std::chrono::nanoseconds connect_timeout{std::chrono::seconds(10)};
    std::chrono::milliseconds enquire_link{30'000};

    // Message mix.
    std::string source = "18005550100";
    std::vector<std::uint16_t> area_codes;  // NANP NPAs destinations are drawn from
    std::vector<std::string> destinations;  // from --dest-file; replaces generated numbers
    double promo_share = 0;                 // service_type MKT (else TXN)
    double optout_share = 0;                // destinations drawn from `optouts`
    number_set optouts;
    double long_share = 0;  // concatenated messages (UDH), `long_parts` parts each
    std::size_t long_parts = 3;
    double ucs2_share = 0;

    std::string export_optouts;  // write the opt-out numbers here and exit
    std::string json_path;
    std::string svg_path;
    std::string record_path;  // one line per submit_sm_resp
    std::string label;        // free text carried into the reports
    bool progress = true;
    std::uint64_t seed = 0;
};

[[nodiscard]] inline std::string_view to_string(bind_mode m) noexcept {
    switch (m) {
        case bind_mode::tx:
            return "tx";
        case bind_mode::trx:
            return "trx";
        case bind_mode::txrx:
            return "txrx";
    }
    return "?";
}

// Connections the configuration opens (a txrx bind is two).
[[nodiscard]] inline std::size_t connection_count(const gen_config& c) noexcept {
    return c.mode == bind_mode::txrx ? c.binds * 2 : c.binds;
}

}  // namespace smppgw::bench::loadgen
