#include "smppgw/store/short_string.hpp"

#include <limits>
#include <ostream>
#include <stdexcept>

namespace smppgw::store {

void short_string::init(std::string_view s) {
    if (s.size() <= inline_capacity) {
        std::memcpy(bytes_.data(), s.data(), s.size());
        bytes_[tag_at] = static_cast<char>(s.size());
        return;
    }
    if (s.size() > std::numeric_limits<std::uint32_t>::max()) {
        throw std::length_error("short_string: over 4 GiB");
    }
    char* block = new char[s.size()];
    std::memcpy(block, s.data(), s.size());
    const auto n = static_cast<std::uint32_t>(s.size());
    std::memcpy(bytes_.data(), &block, sizeof block);
    std::memcpy(bytes_.data() + sizeof block, &n, sizeof n);
    bytes_[tag_at] = static_cast<char>(heap_tag);
}

std::ostream& operator<<(std::ostream& os, const short_string& s) { return os << s.view(); }

}  // namespace smppgw::store
