#include "smppgw/smpp/segmentation.hpp"

#include <algorithm>

namespace smppgw::smpp {

namespace {

constexpr std::size_t max_parts_hard_limit = 255;
constexpr std::size_t concat_8bit_udh_octets = 6;   // UDHL 05, IEI 00, IEDL 03, ref, total, seq
constexpr std::size_t concat_16bit_udh_octets = 7;  // UDHL 06, IEI 08, IEDL 04, ref×2, total, seq

// UDH octets of a message that needs no concatenation header: UDHL plus the extra elements.
std::size_t single_udh_octets(const segmentation_options& o) noexcept {
    return o.extra_ies.empty() ? 0 : 1 + o.extra_ies.size();
}

// Greedy part filling: a character that does not fit in what is left of a part opens the next
// one, so escape pairs and surrogate pairs are never split. This is the rule split_encoded()
// applies, which keeps counts and splits in agreement.
struct part_counter {
    std::size_t capacity = 0;
    std::size_t parts = 1;
    std::size_t used = 0;

    void add(std::size_t width) noexcept {
        if (used + width > capacity) {
            ++parts;
            used = width;
        } else {
            used += width;
        }
    }
};

struct capacities {
    std::size_t single = 0;
    std::size_t multi = 0;
};

// Capacities for `e`, or nullopt when the extra elements leave no room for a character (a width-2
// character must always fit, else the greedy walk could never make progress).
std::optional<capacities> capacities_for(text_encoding e, const segmentation_options& o) noexcept {
    const capacities c{part_capacity(e, single_udh_octets(o)),
                       part_capacity(e, concat_udh_octets(o))};
    if (c.multi < 2) {
        return std::nullopt;
    }
    return c;
}

std::size_t segments_from(std::size_t units, const capacities& c, const part_counter& counter,
                          const segmentation_options& o) noexcept {
    if (o.method == concat_method::message_payload || units <= c.single) {
        return 1;
    }
    return counter.parts;
}

// Octets and units of the character starting at `encoded[pos]`.
struct char_extent {
    std::size_t octets = 1;
    std::size_t units = 1;
};

char_extent extent_at(std::span<const std::uint8_t> encoded, std::size_t pos,
                      text_encoding e) noexcept {
    const std::size_t left = encoded.size() - pos;
    switch (e) {
        case text_encoding::gsm7:
            if (encoded[pos] == detail::gsm_escape && left >= 2) {
                return {2, 2};
            }
            return {1, 1};
        case text_encoding::ucs2: {
            if (left < 2) {
                return {1, 1};
            }
            const auto hi = encoded[pos];
            if (hi >= 0xD8 && hi <= 0xDB && left >= 4 && encoded[pos + 2] >= 0xDC &&
                encoded[pos + 2] <= 0xDF) {
                return {4, 2};
            }
            return {2, 1};
        }
        default:
            return {1, 1};
    }
}

void append_concat_header(std::vector<std::uint8_t>& out, const segmentation_options& o,
                          std::uint16_t reference, std::size_t total, std::size_t seqnum) {
    const std::size_t udh = concat_udh_octets(o);
    out.push_back(static_cast<std::uint8_t>(udh - 1));
    if (o.reference_16bit) {
        out.push_back(iei_concat_16bit);
        out.push_back(4);
        out.push_back(static_cast<std::uint8_t>(reference >> 8));
        out.push_back(static_cast<std::uint8_t>(reference & 0xFF));
    } else {
        out.push_back(iei_concat_8bit);
        out.push_back(3);
        out.push_back(static_cast<std::uint8_t>(reference));
    }
    out.push_back(static_cast<std::uint8_t>(total));
    out.push_back(static_cast<std::uint8_t>(seqnum));
    out.insert(out.end(), o.extra_ies.begin(), o.extra_ies.end());
}

void append_extra_header(std::vector<std::uint8_t>& out, const segmentation_options& o) {
    if (o.extra_ies.empty()) {
        return;
    }
    out.push_back(static_cast<std::uint8_t>(o.extra_ies.size()));
    out.insert(out.end(), o.extra_ies.begin(), o.extra_ies.end());
}

// Appends `content` after a header of `udh_octets`, packing septets when asked.
void append_content(std::vector<std::uint8_t>& out, std::span<const std::uint8_t> content,
                    text_encoding e, std::size_t udh_octets, const segmentation_options& o) {
    if (e == text_encoding::gsm7 && o.gsm7_packed) {
        pack_septets(content, septet_fill_bits(udh_octets), out);
    } else {
        out.insert(out.end(), content.begin(), content.end());
    }
}

std::size_t content_octets(std::size_t octets, text_encoding e, std::size_t udh_octets,
                           const segmentation_options& o) noexcept {
    if (e == text_encoding::gsm7 && o.gsm7_packed) {
        return packed_octets(octets, septet_fill_bits(udh_octets));
    }
    return octets;
}

// One pass over UTF-8 for encoding `e`: `width(cp, utf8_octets)` gives the units a character
// costs, 0 when `e` cannot carry it. Stops at the first invalid or unencodable character.
template <typename Width>
text_measure measure_utf8(std::string_view utf8, text_encoding e,
                          const segmentation_options& options, Width width) noexcept {
    text_measure m;
    m.encoding = e;
    const auto cap = capacities_for(e, options);
    if (!cap) {
        m.ec = text_errc::udh_overrun;
        return m;
    }
    part_counter counter{cap->multi};
    std::size_t units = 0;
    std::size_t pos = 0;
    while (pos < utf8.size()) {
        char32_t cp = 0;
        const std::size_t n = utf8_decode_one(utf8, pos, cp);
        if (n == 0) {
            m.ec = text_errc::invalid_utf8;
            return m;
        }
        const std::size_t w = width(cp, n);
        if (w == 0) {
            m.ec = text_errc::unencodable_character;
            return m;
        }
        pos += n;
        units += w;
        counter.add(w);
    }
    m.units = units;
    m.segments = segments_from(units, *cap, counter, options);
    return m;
}

}  // namespace

std::size_t concat_udh_octets(const segmentation_options& options) noexcept {
    return (options.reference_16bit ? concat_16bit_udh_octets : concat_8bit_udh_octets) +
           options.extra_ies.size();
}

text_measure measure_text(std::string_view utf8, bool allow_latin1,
                          const segmentation_options& options) noexcept {
    // Most traffic is GSM text, so GSM is tried alone first; a pass stops at the first character
    // its encoding cannot carry, so falling back costs only the prefix already read.
    text_measure m = measure_text_as(utf8, text_encoding::gsm7, options);
    if (m.ec != text_errc::unencodable_character) {
        return m;
    }
    if (allow_latin1) {
        m = measure_text_as(utf8, text_encoding::latin1, options);
        if (m.ec != text_errc::unencodable_character) {
            return m;
        }
    }
    return measure_text_as(utf8, text_encoding::ucs2, options);
}

text_measure measure_text_as(std::string_view utf8, text_encoding e,
                             const segmentation_options& options) noexcept {
    switch (e) {
        case text_encoding::gsm7:
            return measure_utf8(utf8, e, options,
                                [](char32_t cp, std::size_t) { return gsm7_width(cp); });
        case text_encoding::ascii:
            return measure_utf8(utf8, e, options, [](char32_t cp, std::size_t) {
                return cp <= 0x7F ? std::size_t{1} : std::size_t{0};
            });
        case text_encoding::latin1:
            return measure_utf8(utf8, e, options, [](char32_t cp, std::size_t) {
                return cp <= 0xFF ? std::size_t{1} : std::size_t{0};
            });
        case text_encoding::ucs2:
            return measure_utf8(utf8, e, options, [](char32_t cp, std::size_t) {
                return cp > 0xFFFF ? std::size_t{2} : std::size_t{1};
            });
        case text_encoding::binary:
            // The UTF-8 octets themselves travel; octets, unlike characters, may be cut anywhere.
            return measure_encoded(
                std::span(reinterpret_cast<const std::uint8_t*>(utf8.data()), utf8.size()), e,
                options);
        case text_encoding::unsupported:
            break;
    }
    text_measure m;
    m.encoding = e;
    m.ec = text_errc::unsupported_encoding;
    return m;
}

text_measure measure_encoded(std::span<const std::uint8_t> encoded, text_encoding e,
                             const segmentation_options& options) noexcept {
    text_measure m;
    m.encoding = e;
    if (e == text_encoding::unsupported) {
        m.ec = text_errc::unsupported_encoding;
        return m;
    }
    const auto cap = capacities_for(e, options);
    if (!cap) {
        m.ec = text_errc::udh_overrun;
        return m;
    }
    part_counter counter{cap->multi};
    std::size_t units = 0;
    for (std::size_t pos = 0; pos < encoded.size();) {
        const char_extent x = extent_at(encoded, pos, e);
        pos += x.octets;
        units += x.units;
        counter.add(x.units);
    }
    m.units = units;
    m.segments = segments_from(units, *cap, counter, options);
    return m;
}

std::error_code split_encoded(std::span<const std::uint8_t> encoded, text_encoding e,
                              std::uint16_t reference, const segmentation_options& options,
                              std::vector<message_part>& parts) {
    parts.clear();
    if (e == text_encoding::unsupported) {
        return text_errc::unsupported_encoding;
    }
    const auto cap = capacities_for(e, options);
    if (!cap) {
        return text_errc::udh_overrun;
    }
    const bool uses_reference = options.method != concat_method::message_payload;
    if (uses_reference && !options.reference_16bit && reference > 0xFF) {
        return text_errc::reference_out_of_range;
    }

    const std::size_t single_udh = single_udh_octets(options);
    // Unit counts equal octet counts except for UCS-2 (two octets per unit) and escape-free
    // GSM; extent_at() keeps track of the difference.
    const std::size_t total_units = measure_encoded(encoded, e, options).units;

    if (options.method == concat_method::message_payload || total_units <= cap->single) {
        if (options.method == concat_method::message_payload &&
            single_udh + content_octets(encoded.size(), e, single_udh, options) >
                max_message_payload_octets) {
            return text_errc::payload_too_large;
        }
        message_part& part = parts.emplace_back();
        part.bytes.reserve(single_udh + encoded.size());
        append_extra_header(part.bytes, options);
        append_content(part.bytes, encoded, e, single_udh, options);
        part.udhi = single_udh != 0;
        part.in_message_payload = options.method == concat_method::message_payload;
        return {};
    }

    // Cut offsets first, so the part count is known before any header is written.
    std::vector<std::size_t> starts;
    starts.reserve(total_units / cap->multi + 2);
    starts.push_back(0);
    std::size_t used = 0;
    for (std::size_t pos = 0; pos < encoded.size();) {
        const char_extent x = extent_at(encoded, pos, e);
        if (used + x.units > cap->multi) {
            starts.push_back(pos);
            used = 0;
        }
        used += x.units;
        pos += x.octets;
    }
    const std::size_t total = starts.size();
    if (total > std::min(options.max_segments, max_parts_hard_limit)) {
        return text_errc::too_many_segments;
    }

    const bool udh_method = options.method == concat_method::udh;
    const std::size_t part_udh = udh_method ? concat_udh_octets(options) : single_udh;
    parts.resize(total);
    for (std::size_t i = 0; i < total; ++i) {
        const std::size_t begin = starts[i];
        const std::size_t end = i + 1 < total ? starts[i + 1] : encoded.size();
        const auto content = encoded.subspan(begin, end - begin);
        message_part& part = parts[i];
        part.bytes.reserve(part_udh + content.size());
        if (udh_method) {
            append_concat_header(part.bytes, options, reference, total, i + 1);
        } else {
            append_extra_header(part.bytes, options);
            part.sar = true;
            part.sar_msg_ref_num = reference;
            part.sar_total_segments = static_cast<std::uint8_t>(total);
            part.sar_segment_seqnum = static_cast<std::uint8_t>(i + 1);
        }
        append_content(part.bytes, content, e, part_udh, options);
        part.udhi = part_udh != 0;
    }
    return {};
}

std::error_code split_text(std::string_view utf8, text_encoding e, std::uint16_t reference,
                           const segmentation_options& options, std::vector<message_part>& parts) {
    parts.clear();
    std::vector<std::uint8_t> encoded;
    if (e == text_encoding::binary) {
        encoded.assign(utf8.begin(), utf8.end());
    } else if (const auto ec = encode_text(utf8, e, encoded)) {
        return ec;
    }
    return split_encoded(encoded, e, reference, options, parts);
}

parsed_udh parse_udh(std::span<const std::uint8_t> short_message) {
    parsed_udh udh;
    if (short_message.empty()) {
        udh.ec = text_errc::udh_overrun;
        return udh;
    }
    const std::size_t header_octets = std::size_t{1} + short_message[0];
    if (header_octets > short_message.size()) {
        udh.ec = text_errc::udh_overrun;
        return udh;
    }
    udh.header = short_message.first(header_octets);
    udh.payload = short_message.subspan(header_octets);

    const auto u16 = [](std::span<const std::uint8_t> d, std::size_t at) {
        return static_cast<std::uint16_t>((d[at] << 8) | d[at + 1]);
    };
    for (std::size_t pos = 1; pos < header_octets;) {
        if (header_octets - pos < 2) {
            udh.ec = text_errc::udh_overrun;
            return udh;
        }
        const std::uint8_t iei = short_message[pos];
        const std::size_t length = short_message[pos + 1];
        if (header_octets - pos - 2 < length) {
            udh.ec = text_errc::udh_overrun;
            return udh;
        }
        const auto data = short_message.subspan(pos + 2, length);
        pos += 2 + length;

        bool known = false;
        if (iei == iei_concat_8bit && length == 3) {
            const udh_concat c{data[0], data[1], data[2], false};
            known = c.total != 0 && c.seqnum != 0 && c.seqnum <= c.total;
            if (known) {
                udh.concat = c;
            }
        } else if (iei == iei_concat_16bit && length == 4) {
            const udh_concat c{u16(data, 0), data[2], data[3], true};
            known = c.total != 0 && c.seqnum != 0 && c.seqnum <= c.total;
            if (known) {
                udh.concat = c;
            }
        } else if (iei == iei_ports_8bit && length == 2) {
            udh.ports = udh_ports{data[0], data[1], false};
            known = true;
        } else if (iei == iei_ports_16bit && length == 4) {
            udh.ports = udh_ports{u16(data, 0), u16(data, 2), true};
            known = true;
        } else if (iei == iei_single_shift && length == 1) {
            udh.single_shift_language = data[0];
            known = true;
        } else if (iei == iei_locking_shift && length == 1) {
            udh.locking_shift_language = data[0];
            known = true;
        }
        if (!known) {
            udh.other.push_back(udh_element{iei, data});
        }
    }
    return udh;
}

}  // namespace smppgw::smpp
