#include "common/status_label.hpp"

#include <fmt/format.h>

#include "smppgw/policy/status.hpp"

namespace smppgw::bench {

std::string status_label(smpp::command_status s) {
    const auto name = smpp::status_name(s);
    if (!name.empty()) {
        return std::string(name);
    }
    // The gateway's policy refusals: the reason code the audit records and metrics use.
    if (const auto why = policy::reason_for_status(s)) {
        return std::string(policy::reason_code(*why));
    }
    return fmt::format("0x{:08X}", s);
}

}  // namespace smppgw::bench
