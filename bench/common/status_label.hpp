#pragma once
// Printable command_status: the spec name, the gateway's reason code for its policy statuses
// (0x420 is "no_consent", as in the README table), or hex for other reserved and vendor codes.

#include <string>

#include "smppgw/smpp/command.hpp"

namespace smppgw::bench {

[[nodiscard]] std::string status_label(smpp::command_status s);

}  // namespace smppgw::bench
