#include "smppgw/smpp/message_id.hpp"

#include <charconv>
#include <system_error>

namespace smppgw::smpp {

namespace {

constexpr char number_tag = '#';
constexpr char wide_hex_tag = 'x';
constexpr char opaque_tag = 's';

// Hex digits that fit a 64-bit number once leading zeros are gone.
constexpr std::size_t max_u64_hex_digits = 16;

constexpr bool is_space(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

constexpr bool is_digit(char c) noexcept {
    return c >= '0' && c <= '9';
}

constexpr int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

constexpr char to_lower(char c) noexcept {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string_view trim_id(std::string_view raw) noexcept {
    if (const auto nul = raw.find('\0'); nul != std::string_view::npos) {
        raw = raw.substr(0, nul);
    }
    while (!raw.empty() && is_space(raw.front())) {
        raw.remove_prefix(1);
    }
    while (!raw.empty() && is_space(raw.back())) {
        raw.remove_suffix(1);
    }
    return raw;
}

bool all_digits(std::string_view s) noexcept {
    for (const char c : s) {
        if (!is_digit(c)) {
            return false;
        }
    }
    return true;
}

bool all_hex(std::string_view s) noexcept {
    for (const char c : s) {
        if (hex_value(c) < 0) {
            return false;
        }
    }
    return true;
}

std::string_view strip_leading_zeros(std::string_view s) noexcept {
    while (s.size() > 1 && s.front() == '0') {
        s.remove_prefix(1);
    }
    return s;
}

}  // namespace

// Writes keys straight into a normalized_id's storage, so the inline case never allocates.
class normalized_id_builder {
public:
    // Returns room for `size` octets; the first is the tag, written here.
    static char* start(normalized_id& id, normalized_id::kind kind, char tag, std::size_t size) {
        id.kind_ = kind;
        char* out = nullptr;
        if (size <= normalized_id::inline_capacity) {
            id.heap_.clear();
            id.size_ = static_cast<std::uint8_t>(size);
            out = id.inline_.data();
        } else {
            id.size_ = 0;
            id.heap_.assign(size, '\0');
            out = id.heap_.data();
        }
        out[0] = tag;
        return out;
    }
};

namespace {

normalized_id make_opaque(std::string_view id, bool fold_case) {
    normalized_id key;
    char* out =
        normalized_id_builder::start(key, normalized_id::kind::opaque, opaque_tag, id.size() + 1);
    for (std::size_t i = 0; i < id.size(); ++i) {
        out[i + 1] = fold_case ? to_lower(id[i]) : id[i];
    }
    return key;
}

// `digits` is non-empty and all decimal digits. Decimal ids of any length are already canonical
// once unpadded, so no width limit applies here.
normalized_id make_decimal(std::string_view digits) {
    const std::string_view value = strip_leading_zeros(digits);
    normalized_id key;
    char* out = normalized_id_builder::start(key, normalized_id::kind::number, number_tag,
                                             value.size() + 1);
    for (std::size_t i = 0; i < value.size(); ++i) {
        out[i + 1] = value[i];
    }
    return key;
}

// `digits` is non-empty and all hex digits.
normalized_id make_hex(std::string_view digits) {
    const std::string_view value = strip_leading_zeros(digits);
    normalized_id key;
    if (value.size() <= max_u64_hex_digits) {
        std::uint64_t number = 0;
        for (const char c : value) {
            number = (number << 4U) | static_cast<std::uint64_t>(hex_value(c));
        }
        // 20 digits hold any 64-bit number.
        std::array<char, 20> text{};
        const auto [end, ec] = std::to_chars(text.data(), text.data() + text.size(), number);
        (void)ec;  // cannot fail: the buffer holds the widest 64-bit value
        const auto length = static_cast<std::size_t>(end - text.data());
        char* out =
            normalized_id_builder::start(key, normalized_id::kind::number, number_tag, length + 1);
        for (std::size_t i = 0; i < length; ++i) {
            out[i + 1] = text[i];
        }
        return key;
    }
    char* out = normalized_id_builder::start(key, normalized_id::kind::wide_hex, wide_hex_tag,
                                             value.size() + 1);
    for (std::size_t i = 0; i < value.size(); ++i) {
        out[i + 1] = to_lower(value[i]);
    }
    return key;
}

std::string_view strip_hex_prefix(std::string_view id) noexcept {
    if (id.size() > 2 && id[0] == '0' && (id[1] == 'x' || id[1] == 'X')) {
        return id.substr(2);
    }
    return id;
}

}  // namespace

std::optional<std::uint64_t> normalized_id::number() const noexcept {
    if (kind_ != kind::number) {
        return std::nullopt;
    }
    const std::string_view digits = view().substr(1);
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec != std::errc{} || end != digits.data() + digits.size()) {
        return std::nullopt;  // wider than 64 bits
    }
    return value;
}

std::optional<id_encoding> parse_id_encoding(std::string_view name) noexcept {
    if (name == "opaque") {
        return id_encoding::opaque;
    }
    if (name == "decimal") {
        return id_encoding::decimal;
    }
    if (name == "hex") {
        return id_encoding::hex;
    }
    if (name == "auto") {
        return id_encoding::auto_detect;
    }
    return std::nullopt;
}

std::string_view to_string(id_encoding encoding) noexcept {
    switch (encoding) {
        case id_encoding::opaque:
            return "opaque";
        case id_encoding::decimal:
            return "decimal";
        case id_encoding::hex:
            return "hex";
        case id_encoding::auto_detect:
            return "auto";
    }
    return "opaque";
}

normalized_id normalize_message_id(std::string_view raw, id_encoding encoding, bool fold_case) {
    const std::string_view id = trim_id(raw);
    if (id.empty()) {
        return {};
    }
    switch (encoding) {
        case id_encoding::opaque:
            break;
        case id_encoding::decimal:
            if (all_digits(id)) {
                return make_decimal(id);
            }
            break;
        case id_encoding::hex: {
            const std::string_view digits = strip_hex_prefix(id);
            if (all_hex(digits)) {
                return make_hex(digits);
            }
            break;
        }
        case id_encoding::auto_detect:
            if (all_digits(id)) {
                return make_decimal(id);
            }
            if (all_hex(id)) {
                return make_hex(id);
            }
            break;
    }
    return make_opaque(id, fold_case);
}

id_encoding message_id_normalizer::encoding_for(id_source source) const noexcept {
    switch (source) {
        case id_source::response:
            return format_.response_id;
        case id_source::receipted_message_id:
            return format_.receipted_message_id;
        case id_source::receipt_text:
            return format_.receipt_text;
    }
    return id_encoding::opaque;
}

normalized_id message_id_normalizer::normalize(std::string_view raw, id_source source) const {
    return normalize_message_id(raw, encoding_for(source), format_.fold_case);
}

}  // namespace smppgw::smpp
