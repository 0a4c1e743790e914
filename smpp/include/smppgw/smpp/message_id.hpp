#pragma once
// Carrier message-id normalisation for receipt correlation (SMPP.md §8.3, §8.5).
//
// A carrier hands out an id in submit_sm_resp and later names the message in a receipt, in the
// receipted_message_id TLV and/or the text's `id:` field. The three spellings often differ: hex
// in one place and decimal in another (TLV 70BA8A69 = text 1891273321), zero padding
// (0059113978 vs 59113978), letter case. A per-carrier id_format says how each place encodes
// ids; normalize() maps any spelling to one canonical key, which is what the store indexes
// (`carrier_ids` column family) and what lookups compare.
//
// Key layout (stable: keys are persisted, so changing it or a carrier's id_format orphans the
// mapping of messages still awaiting receipts):
//   "#<decimal digits, no leading zeros>"  a number (read as decimal, or hex that fits 64 bits)
//   "x<lower-case hex, no leading zeros>"  a hex id wider than 64 bits (kept as a string)
//   "s<id, case-folded if configured>"     an opaque id
// The tag keeps the spaces apart: an opaque "123" never equals the number 123, and a 20-digit
// hex string never equals the same digits read as decimal.

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace smppgw::smpp {

// How one place encodes a carrier's ids.
enum class id_encoding : std::uint8_t {
    opaque,       // compare as strings (after trimming and optional case folding)
    decimal,      // a decimal number; leading zeros are padding
    hex,          // a hex number, any case, optional 0x; leading zeros are padding
    auto_detect,  // per value: all digits -> decimal, hex digits with a letter -> hex, else opaque
};

// Config spelling: "opaque", "decimal", "hex", "auto".
[[nodiscard]] std::optional<id_encoding> parse_id_encoding(std::string_view name) noexcept;
[[nodiscard]] std::string_view to_string(id_encoding encoding) noexcept;

// Where an id was read from.
enum class id_source : std::uint8_t {
    response,              // message_id of submit_sm_resp / data_sm_resp
    receipted_message_id,  // the receipt TLV
    receipt_text,          // the `id:` field of the receipt text
};

// Per-carrier configuration. The defaults never merge two distinct ids except by letter case;
// a carrier that mixes bases must say so (e.g. submit_sm_resp = hex, receipt_text = decimal).
//
// auto_detect is a convenience with a known hazard: a hex carrier's id that happens to contain
// only digits ("00000010") is read as decimal and can collide with another of its ids
// ("0000000a"). Use it only where one side is decimal; name the base where it is known.
struct id_format {
    id_encoding response_id = id_encoding::opaque;  // message_id of submit_sm_resp/data_sm_resp
    id_encoding receipted_message_id = id_encoding::opaque;
    id_encoding receipt_text = id_encoding::opaque;
    // Fold ASCII letters of opaque ids to lower case. Hex and UUID ids are case-insensitive by
    // nature; turn this off only for carriers whose ids are case-sensitive (base62/base64).
    bool fold_case = true;
};

// A canonical correlation key. Keys up to inline_capacity octets (any id of the spec's 64
// characters) live inline; only a longer id read from free receipt text costs a heap allocation.
class normalized_id {
public:
    enum class kind : std::uint8_t {
        empty,     // nothing left after trimming: not a usable key, never look it up
        number,    // "#..."
        wide_hex,  // "x..."
        opaque,    // "s..."
    };

    static constexpr std::size_t inline_capacity = 72;

    normalized_id() noexcept = default;

    [[nodiscard]] std::string_view view() const noexcept {
        return heap_.empty() ? std::string_view(inline_.data(), size_) : std::string_view(heap_);
    }
    [[nodiscard]] kind key_kind() const noexcept { return kind_; }
    [[nodiscard]] bool empty() const noexcept { return kind_ == kind::empty; }
    // For kind::number keys that fit 64 bits, the number itself.
    [[nodiscard]] std::optional<std::uint64_t> number() const noexcept;

    friend bool operator==(const normalized_id& a, const normalized_id& b) noexcept {
        return a.view() == b.view();
    }
    friend std::strong_ordering operator<=>(const normalized_id& a,
                                            const normalized_id& b) noexcept {
        return a.view() <=> b.view();
    }

private:
    friend class normalized_id_builder;

    std::array<char, inline_capacity> inline_{};  // only [0, size_) is meaningful
    std::uint8_t size_ = 0;
    kind kind_ = kind::empty;
    std::string heap_;  // used instead of inline_ when the key is longer than inline_capacity
};

// Maps one id spelling to its key. Trims leading/trailing whitespace, and cuts at the first NUL
// (receipted_message_id is a C-Octet String; carriers pad with NULs). An id that does not fit
// the configured number encoding (a UUID under `hex`, letters under `decimal`) falls back to
// opaque, so identical spellings on both sides still match.
[[nodiscard]] normalized_id normalize_message_id(std::string_view raw, id_encoding encoding,
                                                 bool fold_case = true);

// The per-carrier normaliser: immutable, cheap to copy, safe to share between threads.
class message_id_normalizer {
public:
    message_id_normalizer() noexcept = default;
    explicit message_id_normalizer(const id_format& format) noexcept : format_(format) {}

    [[nodiscard]] normalized_id normalize(std::string_view raw, id_source source) const;
    [[nodiscard]] id_encoding encoding_for(id_source source) const noexcept;
    [[nodiscard]] const id_format& format() const noexcept { return format_; }

private:
    id_format format_;
};

}  // namespace smppgw::smpp

template <>
struct std::hash<smppgw::smpp::normalized_id> {
    [[nodiscard]] std::size_t operator()(const smppgw::smpp::normalized_id& id) const noexcept {
        return std::hash<std::string_view>{}(id.view());
    }
};
