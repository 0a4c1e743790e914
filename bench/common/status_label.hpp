#pragma once
// Printable command_status: the spec name, or hex for reserved and vendor codes (the gateway's
// policy statuses live in 0x400-0x4FF and have no spec name).

#include <string>

#include "smppgw/smpp/command.hpp"

namespace smppgw::bench {

[[nodiscard]] std::string status_label(smpp::command_status s);

}  // namespace smppgw::bench
