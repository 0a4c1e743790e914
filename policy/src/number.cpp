#include "smppgw/policy/number.hpp"

#include <algorithm>

namespace smppgw::policy {
namespace {

bool all_digits(std::string_view s) noexcept {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool starts_with(std::string_view s, std::string_view prefix) noexcept {
    return !prefix.empty() && s.substr(0, prefix.size()) == prefix;
}

template <typename T>
bool contains(const std::vector<T>& v, T x) noexcept {
    return std::find(v.begin(), v.end(), x) != v.end();
}

bool national_length(const destination_config& cfg, std::size_t n) noexcept {
    return cfg.national_lengths.empty() || contains(cfg.national_lengths, n);
}

// Country code + national number, trunk prefix stripped, into `out`.
bool from_national(std::string_view national, const destination_config& cfg, e164& out) noexcept {
    if (starts_with(national, cfg.national_trunk_prefix) &&
        national_length(cfg, national.size() - cfg.national_trunk_prefix.size())) {
        national.remove_prefix(cfg.national_trunk_prefix.size());
    }
    std::array<char, 2 * e164::max_digits> buf{};
    const std::size_t n = cfg.default_country_code.size() + national.size();
    if (n > e164::max_digits) {
        return false;
    }
    std::copy(cfg.default_country_code.begin(), cfg.default_country_code.end(), buf.begin());
    std::copy(national.begin(), national.end(),
              buf.begin() + static_cast<std::ptrdiff_t>(cfg.default_country_code.size()));
    return out.assign({buf.data(), n});
}

}  // namespace

bool e164::assign(std::string_view digits) noexcept {
    size_ = 0;
    if (digits.size() > max_digits || !all_digits(digits)) {
        return false;
    }
    std::copy(digits.begin(), digits.end(), buf_.begin());
    size_ = static_cast<std::uint8_t>(digits.size());
    return true;
}

std::uint16_t e164::npa() const noexcept {
    if (size_ < 4 || buf_[0] != '1') {
        return 0;
    }
    return static_cast<std::uint16_t>((buf_[1] - '0') * 100 + (buf_[2] - '0') * 10 +
                                      (buf_[3] - '0'));
}

normalized_destination normalize_destination(const address& dest,
                                             const destination_config& cfg) noexcept {
    normalized_destination r;
    if (dest.ton == type_of_number::alphanumeric) {
        r.failure = reason::alphanumeric_destination;
        return r;
    }
    if (!contains(cfg.accepted_tons, dest.ton)) {
        r.failure = reason::unsupported_ton;
        return r;
    }
    if (!contains(cfg.accepted_npis, dest.npi)) {
        r.failure = reason::unsupported_npi;
        return r;
    }

    std::string_view d = dest.digits;
    bool international = dest.ton == type_of_number::international;
    bool plus = false;
    if (!d.empty() && d.front() == '+') {
        // '+' only makes sense on an international number; on a national one it is garbage.
        if (dest.ton == type_of_number::national) {
            r.failure = reason::invalid_destination;
            return r;
        }
        d.remove_prefix(1);
        plus = true;
        international = true;
    }
    if (d.empty() || !all_digits(d)) {
        r.failure = reason::invalid_destination;
        return r;
    }
    if (!plus && dest.ton != type_of_number::national) {
        for (const auto& p : cfg.international_access_prefixes) {
            if (starts_with(d, p) && d.size() > p.size()) {
                d.remove_prefix(p.size());
                international = true;
                break;
            }
        }
    }
    if (!international && dest.ton == type_of_number::unknown) {
        switch (cfg.unknown_ton) {
            case unknown_ton_handling::international:
                international = true;
                break;
            case unknown_ton_handling::national:
                break;
            case unknown_ton_handling::infer:
                international = !contains(cfg.national_lengths, d.size());
                break;
        }
    }

    e164 number;
    const bool ok = international ? number.assign(d) : from_national(d, cfg, number);
    const std::string_view n = number.digits();
    if (!ok || n.size() < cfg.min_length || n.size() > cfg.max_length || n.front() == '0') {
        r.failure = reason::invalid_destination;
        return r;
    }
    if (cfg.validate_nanp && n.front() == '1') {
        if (n.size() != 11 || n[1] < '2' || n[4] < '2') {
            r.failure = reason::invalid_destination;
            return r;
        }
    }
    r.number = number;
    return r;
}

}  // namespace smppgw::policy
