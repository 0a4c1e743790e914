// MO keyword normalization (ICU) and classification over arbitrary bytes: MO text is whatever a
// handset or a carrier sends, invalid UTF-8 included.
#include <cstdint>
#include <string_view>

#include "smppgw/policy/config.hpp"
#include "smppgw/policy/keywords.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const smppgw::policy::keyword_classifier classifier{smppgw::policy::keyword_config{}};
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    (void)classifier.classify(text);
    return 0;
}
