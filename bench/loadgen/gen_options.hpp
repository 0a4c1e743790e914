#pragma once
// smppgw-bench's command line. Returns nullopt after printing --help.

#include <optional>

#include "loadgen/gen_config.hpp"

namespace smppgw::bench::loadgen {

[[nodiscard]] std::optional<gen_config> parse_gen_options(int argc, char** argv);

}  // namespace smppgw::bench::loadgen
