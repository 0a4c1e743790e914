#include "smppgw/smpp/tlv.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>

#include "smppgw/smpp/error.hpp"

namespace smppgw::smpp {
namespace {

#define SMPPGW_SMPP_TLV_INFO(name_, tag_, kind_, max_) \
    tlv_info{tag_, #name_, tlv_kind::kind_, max_},
constexpr std::array known_tlvs{SMPPGW_SMPP_TLVS(SMPPGW_SMPP_TLV_INFO)};
#undef SMPPGW_SMPP_TLV_INFO

constexpr std::size_t tlv_header_size = 4;

std::uint16_t read_u16(const std::uint8_t* p) noexcept {
    return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}

void append_header(std::vector<std::uint8_t>& out, std::uint16_t tag, std::size_t length) {
    if (length > 0xFFFF) {
        // A caller bug, not peer data: decoded values can never be this long.
        throw std::length_error("TLV value longer than 65535 octets");
    }
    out.push_back(static_cast<std::uint8_t>(tag >> 8));
    out.push_back(static_cast<std::uint8_t>(tag));
    out.push_back(static_cast<std::uint8_t>(length >> 8));
    out.push_back(static_cast<std::uint8_t>(length));
}

}  // namespace

std::optional<tlv_info> find_tlv_info(std::uint16_t tag) noexcept {
    for (const auto& info : known_tlvs) {
        if (info.tag == tag) {
            return info;
        }
    }
    return std::nullopt;
}

std::optional<tlv_info> find_tlv_info(std::string_view name) noexcept {
    for (const auto& info : known_tlvs) {
        if (info.name == name) {
            return info;
        }
    }
    return std::nullopt;
}

tlv_list::entry tlv_list::iterator::operator*() const noexcept {
    const std::uint16_t length = read_u16(rest_.data() + 2);
    return {read_u16(rest_.data()), rest_.subspan(tlv_header_size, length)};
}

tlv_list::iterator& tlv_list::iterator::operator++() noexcept {
    // raw_ was validated when it was filled, so every header and value is complete.
    const std::size_t length = read_u16(rest_.data() + 2);
    rest_ = rest_.subspan(tlv_header_size + length);
    return *this;
}

std::error_code tlv_list::assign_wire(std::span<const std::uint8_t> bytes) {
    std::size_t pos = 0;
    while (pos < bytes.size()) {
        if (bytes.size() - pos < tlv_header_size) {
            raw_.clear();
            return errc::tlv_overrun;
        }
        const std::size_t length = read_u16(bytes.data() + pos + 2);
        if (bytes.size() - pos - tlv_header_size < length) {
            raw_.clear();
            return errc::tlv_overrun;
        }
        pos += tlv_header_size + length;
    }
    raw_.assign(bytes.begin(), bytes.end());
    return {};
}

std::size_t tlv_list::count() const noexcept {
    return static_cast<std::size_t>(std::distance(begin(), end()));
}

std::optional<std::span<const std::uint8_t>> tlv_list::find(std::uint16_t tag) const noexcept {
    for (auto e : *this) {
        if (e.tag == tag) {
            return e.value;
        }
    }
    return std::nullopt;
}

void tlv_list::set_raw(std::uint16_t tag, std::span<const std::uint8_t> value) {
    // Rebuild rather than patch in place: values change length, and TLV lists are a handful of
    // entries. Keeps the position of the first occurrence so re-encoding stays stable.
    std::vector<std::uint8_t> rebuilt;
    rebuilt.reserve(raw_.size() + tlv_header_size + value.size());
    bool written = false;
    for (auto e : *this) {
        if (e.tag == tag) {
            if (!written) {
                append_header(rebuilt, tag, value.size());
                rebuilt.insert(rebuilt.end(), value.begin(), value.end());
                written = true;
            }
            continue;
        }
        append_header(rebuilt, e.tag, e.value.size());
        rebuilt.insert(rebuilt.end(), e.value.begin(), e.value.end());
    }
    if (!written) {
        append_header(rebuilt, tag, value.size());
        rebuilt.insert(rebuilt.end(), value.begin(), value.end());
    }
    raw_ = std::move(rebuilt);
}

void tlv_list::append_raw(std::uint16_t tag, std::span<const std::uint8_t> value) {
    append_header(raw_, tag, value.size());
    raw_.insert(raw_.end(), value.begin(), value.end());
}

bool tlv_list::erase(std::uint16_t tag) {
    if (!contains(tag)) {
        return false;
    }
    std::vector<std::uint8_t> rebuilt;
    rebuilt.reserve(raw_.size());
    for (auto e : *this) {
        if (e.tag != tag) {
            append_header(rebuilt, e.tag, e.value.size());
            rebuilt.insert(rebuilt.end(), e.value.begin(), e.value.end());
        }
    }
    raw_ = std::move(rebuilt);
    return true;
}

}  // namespace smppgw::smpp
