#pragma once
// One load-generator run from start to report: bind everything, send for the duration or count,
// wait for responses and receipts, unbind, and write the table, JSON and SVG.

#include "loadgen/gen_config.hpp"

namespace smppgw::bench::loadgen {

// Exit code: 0 done, 1 could not run (no bind, refused credentials).
[[nodiscard]] int run_load(const gen_config& config);

}  // namespace smppgw::bench::loadgen
