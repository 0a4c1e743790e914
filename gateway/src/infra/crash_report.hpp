#pragma once
// A fatal signal (an assertion in a library, a segfault) leaves the stack of the thread that
// died on stderr before the process ends as it would have anyway, so the journal of a crashed
// daemon says where it crashed without a core file or a debugger at hand.
//
// Not in sanitizer builds, whose own reports of a fatal signal say more.
//
// Thread rule: install_crash_report() once, from main, before other threads start.

namespace smppgw::gateway {

void install_crash_report();

}  // namespace smppgw::gateway
