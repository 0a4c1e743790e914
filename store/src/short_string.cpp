#include "smppgw/store/short_string.hpp"

#include <limits>
#include <ostream>
#include <stdexcept>

namespace smppgw::store {

char* allocate_short_string_block(std::string_view s) {
    if (s.size() > std::numeric_limits<std::uint32_t>::max()) {
        throw std::length_error("short_string: over 4 GiB");
    }
    char* block = new char[s.size()];
    std::memcpy(block, s.data(), s.size());
    return block;
}

std::ostream& print_short_string(std::ostream& os, std::string_view s) { return os << s; }

}  // namespace smppgw::store
