// The PROXY protocol header parser over arbitrary bytes, read the way the listener reads them
// (the first 12 bytes, then exactly what it asks for): it must end in an address or an error
// within the longest header allowed, never ask for nothing, and never crash.
#include <cstdint>
#include <cstdlib>
#include <span>
#include <variant>

#include <boost/asio/ip/address.hpp>

#include "northbound/proxy_header.hpp"

using namespace smppgw::gateway;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> stream(data, size);
    std::size_t have = 0;
    std::size_t want = proxy_first_read;
    for (;;) {
        if (have + want > stream.size()) {
            return 0;  // the peer stopped sending: the listener's timer closes it
        }
        have += want;
        const auto r = parse_proxy_header(stream.first(have));
        if (const auto* need = std::get_if<proxy_need>(&r)) {
            if (need->more == 0 || have + need->more > 16 + proxy_v2_max_payload) {
                std::abort();  // asks for nothing, or past the longest header
            }
            want = need->more;
            continue;
        }
        if (const auto* e = std::get_if<proxy_error>(&r)) {
            if (e->reason.empty()) {
                std::abort();  // a refusal must say why
            }
            return 0;
        }
        const auto& source = std::get<proxy_source>(r);
        boost::system::error_code ec;
        if (!source.address.empty()) {
            (void)boost::asio::ip::make_address(source.address, ec);
            if (ec) {
                std::abort();  // an address the listener could not use
            }
        }
        return 0;
    }
}
