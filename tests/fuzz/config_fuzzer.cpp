// The config parser over arbitrary TOML: bad input must become a config_error (or a parse
// error) with a message, never a crash or an unhandled exception type.
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string_view>

#include "smppgw/gateway/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        (void)smppgw::gateway::parse_config(text, "/tmp/fuzz/smppgw.toml");
    } catch (const smppgw::gateway::config_error& e) {
        if (e.problems().empty()) {
            std::abort();  // an error must say what is wrong
        }
    }
    return 0;
}
