#pragma once
// A self-contained SVG of a run: throughput per second (submits, responses, receipts) above,
// p99 latency per second (submit -> response, submit -> receipt) below. Hand-written SVG, no
// scripts or external resources, so it renders anywhere (browsers, GitHub, image viewers).

#include <string>

#include "loadgen/report.hpp"

namespace smppgw::bench::loadgen {

[[nodiscard]] std::string render_svg(const run_report& r);

// Tick step for an axis from 0 to `max` with about `ticks` ticks: 1, 2 or 5 times a power of 10.
[[nodiscard]] double nice_step(double max, int ticks);

}  // namespace smppgw::bench::loadgen
