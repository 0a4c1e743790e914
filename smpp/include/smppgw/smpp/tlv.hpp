#pragma once
// Optional parameters (TLVs), SMPP.md §5.
//
// A tlv_list keeps the TLV part of a PDU exactly as it travels: tag, length, value, in arrival
// order. Unknown and vendor tags therefore re-encode byte for byte, and a PDU without TLVs costs
// no allocation. Typed access goes through the tag table below: `tlvs.get<tlv::message_state>()`.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <system_error>
#include <vector>

namespace smppgw::smpp {

enum class tlv_kind : std::uint8_t {
    u8,        // Int(1)
    u16,       // Int(2)
    u32,       // Int(4)
    c_string,  // C-Octet String; the value on the wire includes the terminating NUL
    octets,    // raw octets
    empty,     // zero-length flag (alert_on_message_delivery)
};

// name, tag, kind, maximum value length on the wire
#define SMPPGW_SMPP_TLVS(X)                             \
    X(dest_addr_subunit, 0x0005, u8, 1)                 \
    X(dest_network_type, 0x0006, u8, 1)                 \
    X(dest_bearer_type, 0x0007, u8, 1)                  \
    X(dest_telematics_id, 0x0008, u16, 2)               \
    X(source_addr_subunit, 0x000D, u8, 1)               \
    X(source_network_type, 0x000E, u8, 1)               \
    X(source_bearer_type, 0x000F, u8, 1)                \
    X(source_telematics_id, 0x0010, u8, 1)              \
    X(qos_time_to_live, 0x0017, u32, 4)                 \
    X(payload_type, 0x0019, u8, 1)                      \
    X(additional_status_info_text, 0x001D, c_string, 256) \
    X(receipted_message_id, 0x001E, c_string, 65)       \
    X(ms_msg_wait_facilities, 0x0030, u8, 1)            \
    X(privacy_indicator, 0x0201, u8, 1)                 \
    X(source_subaddress, 0x0202, octets, 23)            \
    X(dest_subaddress, 0x0203, octets, 23)              \
    X(user_message_reference, 0x0204, u16, 2)           \
    X(user_response_code, 0x0205, u8, 1)                \
    X(source_port, 0x020A, u16, 2)                      \
    X(destination_port, 0x020B, u16, 2)                 \
    X(sar_msg_ref_num, 0x020C, u16, 2)                  \
    X(language_indicator, 0x020D, u8, 1)                \
    X(sar_total_segments, 0x020E, u8, 1)                \
    X(sar_segment_seqnum, 0x020F, u8, 1)                \
    X(sc_interface_version, 0x0210, u8, 1)              \
    X(callback_num_pres_ind, 0x0302, u8, 1)             \
    X(callback_num_atag, 0x0303, octets, 65)            \
    X(number_of_messages, 0x0304, u8, 1)                \
    X(callback_num, 0x0381, octets, 19)                 \
    X(dpf_result, 0x0420, u8, 1)                        \
    X(set_dpf, 0x0421, u8, 1)                           \
    X(ms_availability_status, 0x0422, u8, 1)            \
    X(network_error_code, 0x0423, octets, 3)            \
    X(message_payload, 0x0424, octets, 65535)           \
    X(delivery_failure_reason, 0x0425, u8, 1)           \
    X(more_messages_to_send, 0x0426, u8, 1)             \
    X(message_state, 0x0427, u8, 1)                     \
    X(ussd_service_op, 0x0501, u8, 1)                   \
    X(display_time, 0x1201, u8, 1)                      \
    X(sms_signal, 0x1203, u16, 2)                       \
    X(ms_validity, 0x1204, u8, 1)                       \
    X(alert_on_message_delivery, 0x130C, empty, 0)      \
    X(its_reply_type, 0x1380, u8, 1)                    \
    X(its_session_info, 0x1383, octets, 2)

namespace tlv {

template <tlv_kind Kind>
struct value_of;
template <>
struct value_of<tlv_kind::u8> {
    using type = std::uint8_t;
};
template <>
struct value_of<tlv_kind::u16> {
    using type = std::uint16_t;
};
template <>
struct value_of<tlv_kind::u32> {
    using type = std::uint32_t;
};
template <>
struct value_of<tlv_kind::c_string> {
    using type = std::string_view;  // without the NUL
};
template <>
struct value_of<tlv_kind::octets> {
    using type = std::span<const std::uint8_t>;
};
template <>
struct value_of<tlv_kind::empty> {
    using type = bool;  // present
};

// One descriptor type per known tag: tlv::message_state::tag == 0x0427, ::kind == u8.
#define SMPPGW_SMPP_TLV_DESCRIPTOR(name_, tag_, kind_, max_)           \
    struct name_ {                                                      \
        static constexpr std::uint16_t tag = tag_;                      \
        static constexpr tlv_kind kind = tlv_kind::kind_;               \
        static constexpr std::size_t max_length = max_;                 \
        static constexpr std::string_view name = #name_;                \
        using type = value_of<tlv_kind::kind_>::type;                   \
    };
SMPPGW_SMPP_TLVS(SMPPGW_SMPP_TLV_DESCRIPTOR)
#undef SMPPGW_SMPP_TLV_DESCRIPTOR

}  // namespace tlv

struct tlv_info {
    std::uint16_t tag;
    std::string_view name;
    tlv_kind kind;
    std::size_t max_length;
};

// The table entry for a known tag, or nullopt for vendor/reserved/5.0 tags.
[[nodiscard]] std::optional<tlv_info> find_tlv_info(std::uint16_t tag) noexcept;
[[nodiscard]] std::optional<tlv_info> find_tlv_info(std::string_view name) noexcept;

template <typename T>
concept tlv_descriptor = requires {
    { T::tag } -> std::convertible_to<std::uint16_t>;
    { T::kind } -> std::convertible_to<tlv_kind>;
};

class tlv_list {
public:
    struct entry {
        std::uint16_t tag;
        std::span<const std::uint8_t> value;
    };

    class iterator {
    public:
        using value_type = entry;
        using difference_type = std::ptrdiff_t;
        iterator() = default;
        explicit iterator(std::span<const std::uint8_t> rest) noexcept : rest_(rest) {}
        [[nodiscard]] entry operator*() const noexcept;
        iterator& operator++() noexcept;
        iterator operator++(int) noexcept {
            auto copy = *this;
            ++*this;
            return copy;
        }
        friend bool operator==(const iterator& a, const iterator& b) noexcept {
            return a.rest_.size() == b.rest_.size();
        }

    private:
        std::span<const std::uint8_t> rest_;
    };

    tlv_list() = default;

    // Replaces the contents with the TLV part of a PDU. Fails, leaving the list empty, when a
    // TLV header or value overruns the bytes (SMPP.md §1.3 rule 5).
    [[nodiscard]] std::error_code assign_wire(std::span<const std::uint8_t> bytes);

    [[nodiscard]] iterator begin() const noexcept { return iterator(raw_); }
    [[nodiscard]] iterator end() const noexcept { return iterator({raw_.data() + raw_.size(), 0}); }
    [[nodiscard]] bool empty() const noexcept { return raw_.empty(); }
    [[nodiscard]] std::size_t count() const noexcept;
    // The TLVs exactly as they go on the wire.
    [[nodiscard]] std::span<const std::uint8_t> wire() const noexcept { return raw_; }
    void clear() noexcept { raw_.clear(); }

    [[nodiscard]] std::optional<std::span<const std::uint8_t>> find(std::uint16_t tag) const noexcept;
    [[nodiscard]] bool contains(std::uint16_t tag) const noexcept { return find(tag).has_value(); }

    // Typed read. Nullopt when absent, and also when a peer sent a value of the wrong shape for a
    // known tag: informational TLVs must not break a PDU (SMPP.md §5), so callers fall back.
    template <tlv_descriptor T>
    [[nodiscard]] std::optional<typename T::type> get() const noexcept {
        auto raw = find(T::tag);
        if (!raw) {
            return std::nullopt;
        }
        return decode_value<T::kind, typename T::type>(*raw);
    }

    // Typed write: replaces an existing value of the same tag in place, else appends.
    template <tlv_descriptor T>
    void set(typename T::type value) {
        encode_and_set<T::kind>(T::tag, value);
    }

    void set_raw(std::uint16_t tag, std::span<const std::uint8_t> value);
    void append_raw(std::uint16_t tag, std::span<const std::uint8_t> value);
    // Removes every occurrence of the tag; true when something was removed.
    bool erase(std::uint16_t tag);

    friend bool operator==(const tlv_list& a, const tlv_list& b) noexcept { return a.raw_ == b.raw_; }

private:
    template <tlv_kind Kind, typename V>
    static std::optional<V> decode_value(std::span<const std::uint8_t> raw) noexcept;
    template <tlv_kind Kind, typename V>
    void encode_and_set(std::uint16_t tag, V value);

    std::vector<std::uint8_t> raw_;
};

template <tlv_kind Kind, typename V>
std::optional<V> tlv_list::decode_value(std::span<const std::uint8_t> raw) noexcept {
    if constexpr (Kind == tlv_kind::u8) {
        if (raw.size() != 1) {
            return std::nullopt;
        }
        return raw[0];
    } else if constexpr (Kind == tlv_kind::u16) {
        if (raw.size() != 2) {
            return std::nullopt;
        }
        return static_cast<std::uint16_t>((raw[0] << 8) | raw[1]);
    } else if constexpr (Kind == tlv_kind::u32) {
        if (raw.size() != 4) {
            return std::nullopt;
        }
        return (std::uint32_t{raw[0]} << 24) | (std::uint32_t{raw[1]} << 16) |
               (std::uint32_t{raw[2]} << 8) | std::uint32_t{raw[3]};
    } else if constexpr (Kind == tlv_kind::c_string) {
        // Tolerate a missing terminator and stop at the first NUL: peers disagree on both.
        std::string_view s(reinterpret_cast<const char*>(raw.data()), raw.size());
        auto nul = s.find('\0');
        return nul == std::string_view::npos ? s : s.substr(0, nul);
    } else if constexpr (Kind == tlv_kind::octets) {
        return raw;
    } else {
        return true;
    }
}

template <tlv_kind Kind, typename V>
void tlv_list::encode_and_set(std::uint16_t tag, V value) {
    if constexpr (Kind == tlv_kind::u8) {
        const std::uint8_t b[1] = {value};
        set_raw(tag, b);
    } else if constexpr (Kind == tlv_kind::u16) {
        const std::uint8_t b[2] = {static_cast<std::uint8_t>(value >> 8),
                                   static_cast<std::uint8_t>(value)};
        set_raw(tag, b);
    } else if constexpr (Kind == tlv_kind::u32) {
        const std::uint8_t b[4] = {
            static_cast<std::uint8_t>(value >> 24), static_cast<std::uint8_t>(value >> 16),
            static_cast<std::uint8_t>(value >> 8), static_cast<std::uint8_t>(value)};
        set_raw(tag, b);
    } else if constexpr (Kind == tlv_kind::c_string) {
        std::vector<std::uint8_t> b(value.begin(), value.end());
        b.push_back(0);
        set_raw(tag, b);
    } else if constexpr (Kind == tlv_kind::octets) {
        set_raw(tag, value);
    } else {
        if (value) {
            set_raw(tag, {});
        } else {
            erase(tag);
        }
    }
}

}  // namespace smppgw::smpp
