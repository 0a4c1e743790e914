#include "common/status_label.hpp"

#include <fmt/format.h>

namespace smppgw::bench {

std::string status_label(smpp::command_status s) {
    const auto name = smpp::status_name(s);
    if (!name.empty()) {
        return std::string(name);
    }
    return fmt::format("0x{:08X}", s);
}

}  // namespace smppgw::bench
