#pragma once
// Destination validation and E.164 normalization (first check of the chain).

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "smppgw/policy/config.hpp"
#include "smppgw/policy/message.hpp"
#include "smppgw/policy/status.hpp"

namespace smppgw::policy {

// E.164 digits without '+', at most 15, held inline so decisions never allocate.
class e164 {
public:
    static constexpr std::size_t max_digits = 15;

    e164() = default;
    // Digits only; false (and empty) if `digits` is longer than max_digits or not all digits.
    [[nodiscard]] bool assign(std::string_view digits) noexcept;

    [[nodiscard]] std::string_view digits() const noexcept { return {buf_.data(), size_}; }
    [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    [[nodiscard]] bool is_nanp() const noexcept { return size_ == 11 && buf_[0] == '1'; }
    // Area code (NPA) of an NANP number, 0 otherwise.
    [[nodiscard]] std::uint16_t npa() const noexcept;

    friend bool operator==(const e164& a, const e164& b) noexcept {
        return a.digits() == b.digits();
    }

private:
    std::array<char, max_digits + 1> buf_{};
    std::uint8_t size_ = 0;
};

struct normalized_destination {
    e164 number;  // set when failure == reason::none
    reason failure = reason::none;
};

// TON/NPI checks, '+' and international access prefixes, national numbers with the configured
// default country and trunk prefix, then E.164 shape (digits, length, leading zero, NANP
// NPA/NXX). Pure and allocation-free.
[[nodiscard]] normalized_destination normalize_destination(const address& dest,
                                                           const destination_config& cfg) noexcept;

}  // namespace smppgw::policy
