#pragma once
// The simulator's uses of the text codecs: the receipt's text: snippet and MO encoding.

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "sim/delivery.hpp"

namespace smppgw::bench::sim {

// The first 20 characters of a message as printable ASCII ('?' for anything else): what the
// receipt's text: field echoes. Reads GSM, ASCII/Latin-1 and UCS-2 without allocating.
void receipt_snippet(std::span<const std::uint8_t> user_data, std::uint8_t esm_class,
                     std::uint8_t data_coding, fixed_text<70>& out);

// Encodes an MO text in GSM 7-bit if it can, else UCS-2; returns the data_coding. At most 254
// octets are produced (longer content is cut).
std::uint8_t encode_mo_text(std::string_view utf8, std::vector<std::uint8_t>& out);

// esm_class bit 0x40 (UDHI).
[[nodiscard]] bool has_udhi(std::uint8_t esm_class) noexcept;

}  // namespace smppgw::bench::sim
