// The PDU decoder over arbitrary bytes: it must never read outside the input, never crash, and
// whatever it accepts must survive encode -> decode unchanged (and render as JSON).
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "smppgw/smpp/codec.hpp"
#include "smppgw/smpp/pdu_json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    namespace smpp = smppgw::smpp;
    std::span<const std::uint8_t> rest(data, size);
    smpp::pdu p;
    // A stream may hold several PDUs: walk it as a session would.
    while (!rest.empty()) {
        const auto r = smpp::decode(rest, p, {.max_command_length = 70 * 1024});
        if (r.need_more() || r.fatal()) {
            break;
        }
        if (r.consumed == 0 || r.consumed > rest.size()) {
            std::abort();  // progress and bounds are the decoder's contract
        }
        rest = rest.subspan(r.consumed);
        if (r.error) {
            continue;
        }
        std::vector<std::uint8_t> bytes;
        if (smpp::encode(p, bytes, {.strict = false})) {
            continue;  // e.g. a body the lenient encoder still cannot size: refusing is fine
        }
        smpp::pdu again;
        const auto r2 = smpp::decode(bytes, again, {.max_command_length = 1 << 20});
        if (!r2.ok() || !(again == p)) {
            std::abort();
        }
        (void)smpp::to_json(p);
    }
    return 0;
}
