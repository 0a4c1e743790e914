#include "smppgw/store/compact_bytes.hpp"

#include <limits>
#include <stdexcept>

namespace smppgw::store {

void compact_bytes::assign(std::string_view s) {
    if (s.empty()) {
        block_.reset();
        return;
    }
    if (s.size() > std::numeric_limits<std::uint32_t>::max()) {
        throw std::length_error("compact_bytes: over 4 GiB");
    }
    const auto n = static_cast<std::uint32_t>(s.size());
    auto block = std::make_unique_for_overwrite<char[]>(sizeof n + s.size());
    std::memcpy(block.get(), &n, sizeof n);
    std::memcpy(block.get() + sizeof n, s.data(), s.size());
    block_ = std::move(block);
}

std::size_t compact_bytes::size() const noexcept {
    if (block_ == nullptr) {
        return 0;
    }
    std::uint32_t n = 0;
    std::memcpy(&n, block_.get(), sizeof n);
    return n;
}

const char* compact_bytes::data() const noexcept {
    return block_ == nullptr ? "" : block_.get() + sizeof(std::uint32_t);
}

}  // namespace smppgw::store
