#include "smppgw/smpp/receipt.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstddef>
#include <system_error>
#include <utility>

namespace smppgw::smpp {

namespace {

// NUL counts as space: carriers pad receipt text and C strings with it.
constexpr bool is_space(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f' || c == '\0';
}

constexpr bool is_digit(char c) noexcept {
    return c >= '0' && c <= '9';
}

constexpr char to_lower(char c) noexcept {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return to_lower(x) == to_lower(y);
           });
}

// `lower_prefix` is already lower case.
bool istarts_with(std::string_view s, std::string_view lower_prefix) noexcept {
    return s.size() >= lower_prefix.size() &&
           std::equal(lower_prefix.begin(), lower_prefix.end(), s.begin(),
                      [](char p, char c) { return p == to_lower(c); });
}

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && is_space(s.front())) {
        s.remove_prefix(1);
    }
    while (!s.empty() && is_space(s.back())) {
        s.remove_suffix(1);
    }
    return s;
}

std::string_view trim_back(std::string_view s) noexcept {
    while (!s.empty() && is_space(s.back())) {
        s.remove_suffix(1);
    }
    return s;
}

// The first whitespace-separated word. Ids, counts, dates, stat and err never contain spaces,
// so anything after the first word is noise (an unknown vendor field, say) and is ignored.
std::string_view first_word(std::string_view value) noexcept {
    value = trim(value);
    std::size_t end = 0;
    while (end < value.size() && !is_space(value[end])) {
        ++end;
    }
    return value.substr(0, end);
}

// A C-Octet String TLV value: up to the first NUL, without surrounding whitespace.
std::string_view c_string_value(std::string_view raw) noexcept {
    if (const auto nul = raw.find('\0'); nul != std::string_view::npos) {
        raw = raw.substr(0, nul);
    }
    return trim(raw);
}

template <typename T>
std::optional<T> parse_unsigned(std::string_view s, int base) noexcept {
    if (s.empty()) {
        return std::nullopt;
    }
    T value{};
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value, base);
    if (ec != std::errc{} || end != s.data() + s.size()) {
        return std::nullopt;
    }
    return value;
}

// Two/four decimal digits at `pos`; the caller has checked they are digits.
int digits_at(std::string_view s, std::size_t pos, std::size_t count) noexcept {
    int value = 0;
    for (std::size_t i = 0; i < count; ++i) {
        value = value * 10 + (s[pos + i] - '0');
    }
    return value;
}

// ---- labels -------------------------------------------------------------------------------

enum class slot : std::uint8_t { id, sub, dlvrd, submit_date, done_date, stat, err, text };
constexpr std::size_t slot_count = 8;

struct label {
    std::string_view name;  // lower case
    slot where;
};

// Underscore spellings cost nothing and turn up in hand-rolled SMSC simulators.
constexpr std::array<label, 10> labels{{
    {"id:", slot::id},
    {"sub:", slot::sub},
    {"dlvrd:", slot::dlvrd},
    {"submit date:", slot::submit_date},
    {"submit_date:", slot::submit_date},
    {"done date:", slot::done_date},
    {"done_date:", slot::done_date},
    {"stat:", slot::stat},
    {"err:", slot::err},
    {"text:", slot::text},
}};

constexpr receipt_field field_of(slot s) noexcept {
    return static_cast<receipt_field>(1U << static_cast<unsigned>(s));
}

struct label_hit {
    slot where;
    std::size_t label_pos;
    std::size_t value_pos;
};

// Finds each label once, in text order. A label counts only at the start or after whitespace
// ("paid:" is no "id:"), and only its first occurrence: later ones belong to the value before
// them, which is how an echoed message text containing "id:" stays text.
struct label_scan {
    std::array<label_hit, slot_count> hits{};
    std::size_t count = 0;

    explicit label_scan(std::string_view s) noexcept {
        std::array<bool, slot_count> seen{};
        for (std::size_t i = 0; i < s.size() && count < slot_count; ++i) {
            if (i > 0 && !is_space(s[i - 1])) {
                continue;
            }
            const std::string_view rest = s.substr(i);
            for (const label& l : labels) {
                const auto index = static_cast<std::size_t>(l.where);
                if (!seen[index] && istarts_with(rest, l.name)) {
                    seen[index] = true;
                    hits[count++] = {l.where, i, i + l.name.size()};
                    i += l.name.size() - 1;
                    break;
                }
            }
        }
    }

    [[nodiscard]] std::string_view value(std::string_view s, std::size_t k) const noexcept {
        const std::size_t begin = hits[k].value_pos;
        const std::size_t end = (k + 1 < count) ? hits[k + 1].label_pos : s.size();
        return s.substr(begin, end - begin);
    }
};

// ---- UTF-16BE ------------------------------------------------------------------------------

// A receipt sent whole in UCS-2 (data_coding 8, or message_payload) starts "\0i\0d\0:"; the
// ASCII-compatible path would see NUL-separated letters and find nothing.
bool looks_like_utf16be(std::string_view s) noexcept {
    if (s.size() < 4) {
        return false;
    }
    const std::size_t pairs = std::min<std::size_t>(s.size() / 2, 8);
    for (std::size_t k = 0; k < pairs; ++k) {
        const auto hi = static_cast<unsigned char>(s[2 * k]);
        const auto lo = static_cast<unsigned char>(s[2 * k + 1]);
        if (hi != 0 || lo < 0x20 || lo > 0x7E) {
            return false;
        }
    }
    return true;
}

void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6U));
        out += static_cast<char>(0x80 | (cp & 0x3FU));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12U));
        out += static_cast<char>(0x80 | ((cp >> 6U) & 0x3FU));
        out += static_cast<char>(0x80 | (cp & 0x3FU));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18U));
        out += static_cast<char>(0x80 | ((cp >> 12U) & 0x3FU));
        out += static_cast<char>(0x80 | ((cp >> 6U) & 0x3FU));
        out += static_cast<char>(0x80 | (cp & 0x3FU));
    }
}

std::string utf16be_to_utf8(std::string_view s) {
    constexpr std::uint32_t replacement = 0xFFFD;
    std::string out;
    out.reserve(s.size() / 2);
    const std::size_t units = s.size() / 2;
    const auto unit = [&](std::size_t k) {
        return static_cast<std::uint32_t>((static_cast<unsigned char>(s[2 * k]) << 8U) |
                                          static_cast<unsigned char>(s[2 * k + 1]));
    };
    for (std::size_t k = 0; k < units; ++k) {
        const std::uint32_t u = unit(k);
        if (u >= 0xD800 && u <= 0xDBFF && k + 1 < units) {
            const std::uint32_t low = unit(k + 1);
            if (low >= 0xDC00 && low <= 0xDFFF) {
                append_utf8(out, 0x10000 + ((u - 0xD800) << 10U) + (low - 0xDC00));
                ++k;
                continue;
            }
        }
        append_utf8(out, (u >= 0xD800 && u <= 0xDFFF) ? replacement : u);
    }
    return out;
}

// ---- fields --------------------------------------------------------------------------------

// err: decimal when it reads as decimal ("000", "0000", "107"), else hex ("4A6", "21b").
std::optional<std::uint32_t> parse_err(std::string_view err) noexcept {
    if (auto decimal = parse_unsigned<std::uint32_t>(err, 10)) {
        return decimal;
    }
    return parse_unsigned<std::uint32_t>(err, 16);
}

// Fills `r` from the text without requiring an id.
void parse_fields(std::string_view text, receipt& r) {
    text = trim_back(text);
    const label_scan scan(text);
    for (std::size_t k = 0; k < scan.count; ++k) {
        const slot where = scan.hits[k].where;
        const std::string_view value = scan.value(text, k);
        r.present =
            static_cast<std::uint16_t>(r.present | static_cast<std::uint16_t>(field_of(where)));
        switch (where) {
            case slot::id:
                r.id = first_word(value);
                break;
            case slot::sub:
                r.sub = parse_unsigned<std::uint32_t>(first_word(value), 10);
                break;
            case slot::dlvrd:
                r.dlvrd = parse_unsigned<std::uint32_t>(first_word(value), 10);
                break;
            case slot::submit_date:
                r.submit_date = parse_receipt_date(first_word(value));
                break;
            case slot::done_date:
                r.done_date = parse_receipt_date(first_word(value));
                break;
            case slot::stat:
                r.stat = first_word(value);
                r.state = message_state_from_stat(r.stat);
                break;
            case slot::err:
                r.err = first_word(value);
                r.err_code = parse_err(r.err);
                break;
            case slot::text:
                // Leading spaces may belong to the echoed message; trailing ones are padding
                // or the separator before the next label.
                r.text = trim_back(value);
                break;
        }
    }
    r.text_id = r.id;
    r.id_origin = id_source::receipt_text;
}

void parse_any_encoding(std::string_view text, receipt& r) {
    if (looks_like_utf16be(text)) {
        parse_fields(utf16be_to_utf8(text), r);
    } else {
        parse_fields(text, r);
    }
}

// ---- formatting ----------------------------------------------------------------------------

void append_padded3(std::string& out, std::uint32_t value) {
    value = std::min<std::uint32_t>(value, 999);
    out += static_cast<char>('0' + value / 100);
    out += static_cast<char>('0' + value / 10 % 10);
    out += static_cast<char>('0' + value % 10);
}

void append2(std::string& out, unsigned value) {
    out += static_cast<char>('0' + value / 10 % 10);
    out += static_cast<char>('0' + value % 10);
}

void append_receipt_date(std::string& out, std::chrono::sys_seconds when) {
    using namespace std::chrono;
    const sys_days day = floor<days>(when);
    const year_month_day date{day};
    const hh_mm_ss<seconds> clock{when - day};
    append2(out, static_cast<unsigned>((static_cast<int>(date.year()) % 100 + 100) % 100));
    append2(out, static_cast<unsigned>(date.month()));
    append2(out, static_cast<unsigned>(date.day()));
    append2(out, static_cast<unsigned>(clock.hours().count()));
    append2(out, static_cast<unsigned>(clock.minutes().count()));
}

// The first `count` characters of UTF-8 text, never splitting a sequence.
std::string_view utf8_prefix(std::string_view text, std::size_t count) noexcept {
    std::size_t chars = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const bool continuation = (static_cast<unsigned char>(text[i]) & 0xC0U) == 0x80U;
        if (!continuation) {
            if (chars == count) {
                return text.substr(0, i);
            }
            ++chars;
        }
    }
    return text;
}

constexpr std::size_t receipt_text_chars = 20;

}  // namespace

std::optional<message_state> to_message_state(std::uint8_t value) noexcept {
    if (value > static_cast<std::uint8_t>(message_state::skipped)) {
        return std::nullopt;
    }
    return static_cast<message_state>(value);
}

std::optional<message_state> message_state_from_stat(std::string_view stat) noexcept {
    struct entry {
        std::string_view word;
        message_state state;
    };
    // Full spellings ("DELIVERED") come from SMSCs that print the state name instead of the
    // 7-letter code; accepting them costs nothing.
    static constexpr std::array<entry, 19> table{{
        {"DELIVRD", message_state::delivered},    {"EXPIRED", message_state::expired},
        {"DELETED", message_state::deleted},      {"UNDELIV", message_state::undeliverable},
        {"ACCEPTD", message_state::accepted},     {"UNKNOWN", message_state::unknown},
        {"REJECTD", message_state::rejected},     {"ENROUTE", message_state::enroute},
        {"SCHEDLD", message_state::scheduled},    {"SKIPPED", message_state::skipped},
        {"FAILED", message_state::undeliverable}, {"ACKED", message_state::enroute},
        {"BUFFRED", message_state::enroute},      {"BUFFERD", message_state::enroute},
        {"DELIVERED", message_state::delivered},  {"UNDELIVERABLE", message_state::undeliverable},
        {"ACCEPTED", message_state::accepted},    {"REJECTED", message_state::rejected},
        {"SCHEDULED", message_state::scheduled},
    }};
    for (const entry& e : table) {
        if (iequals(stat, e.word)) {
            return e.state;
        }
    }
    return std::nullopt;
}

std::string_view stat_text(message_state state) noexcept {
    switch (state) {
        case message_state::scheduled:
            return "SCHEDLD";
        case message_state::enroute:
            return "ENROUTE";
        case message_state::delivered:
            return "DELIVRD";
        case message_state::expired:
            return "EXPIRED";
        case message_state::deleted:
            return "DELETED";
        case message_state::undeliverable:
            return "UNDELIV";
        case message_state::accepted:
            return "ACCEPTD";
        case message_state::unknown:
            return "UNKNOWN";
        case message_state::rejected:
            return "REJECTD";
        case message_state::skipped:
            return "SKIPPED";
    }
    return "UNKNOWN";
}

bool is_final(message_state state) noexcept {
    switch (state) {
        case message_state::scheduled:
        case message_state::enroute:
        case message_state::accepted:
            return false;
        case message_state::delivered:
        case message_state::expired:
        case message_state::deleted:
        case message_state::undeliverable:
        case message_state::unknown:
        case message_state::rejected:
        case message_state::skipped:
            return true;
    }
    return true;
}

bool is_success(message_state state) noexcept {
    return state == message_state::delivered;
}

std::optional<network_error> parse_network_error_code(std::string_view raw) noexcept {
    // ASCII digits first: a network type of '0'-'9' (0x30-0x39) does not exist, so "000" can
    // only be text.
    std::string_view digits = raw;
    while (!digits.empty() && digits.back() == '\0') {
        digits.remove_suffix(1);
    }
    if (!digits.empty() && digits.size() <= 5 &&
        std::all_of(digits.begin(), digits.end(), is_digit)) {
        if (const auto code = parse_unsigned<std::uint32_t>(digits, 10); code && *code <= 0xFFFF) {
            return network_error{0, static_cast<std::uint16_t>(*code)};
        }
        return std::nullopt;
    }
    const auto octet = [&](std::size_t i) { return static_cast<unsigned char>(raw[i]); };
    switch (raw.size()) {
        case 3:
            return network_error{octet(0), static_cast<std::uint16_t>((octet(1) << 8U) | octet(2))};
        case 2:
            return network_error{0, static_cast<std::uint16_t>((octet(0) << 8U) | octet(1))};
        case 1:
            return network_error{0, octet(0)};
        default:
            return std::nullopt;
    }
}

std::optional<std::chrono::sys_seconds> parse_receipt_date(std::string_view digits) noexcept {
    using namespace std::chrono;
    if (!std::all_of(digits.begin(), digits.end(), is_digit)) {
        return std::nullopt;
    }
    int year = 0;
    std::size_t pos = 0;
    switch (digits.size()) {
        case 10:
        case 12:
            year = 2000 + digits_at(digits, 0, 2);
            pos = 2;
            break;
        case 14:
            year = digits_at(digits, 0, 4);
            pos = 4;
            break;
        default:
            return std::nullopt;
    }
    const int month = digits_at(digits, pos, 2);
    const int day = digits_at(digits, pos + 2, 2);
    const int hour = digits_at(digits, pos + 4, 2);
    const int minute = digits_at(digits, pos + 6, 2);
    const int second = digits.size() == 10 ? 0 : digits_at(digits, pos + 8, 2);
    const year_month_day date{std::chrono::year{year},
                              std::chrono::month{static_cast<unsigned>(month)},
                              std::chrono::day{static_cast<unsigned>(day)}};
    // Years a carrier can mean: this also keeps every date representable as a nanosecond
    // time_point (±292 years around 1970), which callers convert to (found by fuzzing).
    constexpr int first_year = 1970;
    constexpr int last_year = 2199;
    if (!date.ok() || year < first_year || year > last_year || hour > 23 || minute > 59 ||
        second > 59) {
        return std::nullopt;
    }
    return sys_days{date} + hours{hour} + minutes{minute} + seconds{second};
}

std::optional<receipt> parse_receipt_text(std::string_view text) {
    receipt r;
    parse_any_encoding(text, r);
    if (r.id.empty()) {
        return std::nullopt;
    }
    return r;
}

std::optional<receipt> parse_receipt(std::string_view text, const receipt_tlvs& tlvs) {
    receipt r;
    parse_any_encoding(text, r);
    if (tlvs.receipted_message_id) {
        const std::string_view tlv_id = c_string_value(*tlvs.receipted_message_id);
        if (!tlv_id.empty()) {
            r.id = tlv_id;
            r.id_origin = id_source::receipted_message_id;
        }
    }
    if (r.id.empty()) {
        return std::nullopt;
    }
    if (tlvs.message_state) {
        // An out-of-range value is a carrier bug; the stat text is then the better witness.
        if (const auto state = to_message_state(*tlvs.message_state)) {
            r.state = state;
            r.state_from_tlv = true;
        }
    }
    if (tlvs.network_error_code) {
        r.network_error_code = parse_network_error_code(*tlvs.network_error_code);
    }
    return r;
}

std::string format_receipt_text(const outbound_receipt& fields) {
    std::string out;
    out.reserve(fields.id.size() + fields.text.size() + 112);
    out += "id:";
    out += fields.id;
    out += " sub:";
    append_padded3(out, fields.submitted);
    out += " dlvrd:";
    append_padded3(out, fields.delivered.value_or(is_success(fields.state) ? 1U : 0U));
    out += " submit date:";
    append_receipt_date(out, fields.submit_date);
    out += " done date:";
    append_receipt_date(out, fields.done_date);
    out += " stat:";
    out += stat_text(fields.state);
    out += " err:";
    append_padded3(out, fields.err);
    out += " text:";
    out += utf8_prefix(fields.text, receipt_text_chars);
    return out;
}

}  // namespace smppgw::smpp
