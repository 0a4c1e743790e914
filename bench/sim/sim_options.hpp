#pragma once
// smsc-sim's command line. Returns nullopt after printing --help.

#include <optional>

#include "sim/sim_config.hpp"

namespace smppgw::bench::sim {

// Throws usage_error / program_options errors on bad input (exit code 2 in main).
[[nodiscard]] std::optional<sim_config> parse_sim_options(int argc, char** argv);

}  // namespace smppgw::bench::sim
