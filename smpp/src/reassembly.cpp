#include "smppgw/smpp/reassembly.hpp"

#include <functional>
#include <iterator>
#include <utility>

#include "smppgw/smpp/segmentation.hpp"
#include "smppgw/smpp/text.hpp"

namespace smppgw::smpp {

namespace {

struct concat_values {
    concat_scheme scheme;
    std::uint16_t reference;
    std::uint8_t total;
    std::uint8_t seqnum;
};

bool valid_concat(std::uint8_t total, std::uint8_t seqnum) noexcept {
    return total != 0 && seqnum != 0 && seqnum <= total;
}

void append_raw_ies(const parsed_udh& udh, std::vector<std::uint8_t>& out) {
    // Rebuild from the parsed view so the concatenation element is left out whatever its position.
    const auto header = udh.header;
    for (std::size_t pos = 1; pos + 2 <= header.size();) {
        const std::uint8_t iei = header[pos];
        const std::size_t length = header[pos + 1];
        if (iei != iei_concat_8bit && iei != iei_concat_16bit) {
            const auto element = header.subspan(pos, 2 + length);
            out.insert(out.end(), element.begin(), element.end());
        }
        pos += 2 + length;
    }
}

}  // namespace

reassembler::reassembler(reassembly_limits limits) : limits_(limits) {}

std::size_t reassembler::key_hash::operator()(const key_view& k) const noexcept {
    std::size_t h = std::hash<std::string_view>{}(k.source);
    const auto mix = [&h](std::size_t v) { h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2); };
    mix(std::hash<std::string_view>{}(k.destination));
    mix((static_cast<std::size_t>(k.scheme) << 24) | (static_cast<std::size_t>(k.reference) << 8) |
        k.total);
    return h;
}

std::size_t reassembler::key_hash::operator()(const group_key& k) const noexcept {
    return (*this)(view_of(k));
}

bool reassembler::key_equal::operator()(const key_view& a, const key_view& b) const noexcept {
    return a.scheme == b.scheme && a.reference == b.reference && a.total == b.total &&
           a.source == b.source && a.destination == b.destination;
}

bool reassembler::key_equal::operator()(const group_key& a, const key_view& b) const noexcept {
    return (*this)(view_of(a), b);
}

bool reassembler::key_equal::operator()(const key_view& a, const group_key& b) const noexcept {
    return (*this)(a, view_of(b));
}

bool reassembler::key_equal::operator()(const group_key& a, const group_key& b) const noexcept {
    return (*this)(view_of(a), view_of(b));
}

reassembler::key_view reassembler::view_of(const group_key& k) noexcept {
    return {k.source, k.destination, k.scheme, k.reference, k.total};
}

incomplete_group reassembler::release(group_list::iterator it, release_reason reason) {
    group& g = *it;
    incomplete_group out;
    out.reason = reason;
    out.scheme = g.key.scheme;
    out.reference = g.key.reference;
    out.total = g.key.total;
    out.first_seen = g.first_seen;
    out.parts.reserve(g.received_count);
    for (std::size_t i = 0; i < g.parts.size(); ++i) {
        if (g.received[i]) {
            out.parts.push_back(std::move(g.parts[i]));
        }
    }
    buffered_bytes_ -= g.bytes;
    groups_.erase(g.key);
    out.source_addr = std::move(g.key.source);
    out.destination_addr = std::move(g.key.destination);
    order_.erase(it);
    return out;
}

reassembly_result reassembler::add(const incoming_part& part, clock::time_point now) {
    reassembly_result result;

    std::optional<concat_values> concat;
    parsed_udh udh;
    const bool udhi = (part.esm_class & udhi_esm_class_bit) != 0;
    if (udhi) {
        udh = parse_udh(part.short_message);
        if (udh.ec) {
            result.status = reassembly_status::malformed;
            result.ec = udh.ec;
            return result;
        }
        if (udh.concat) {
            concat = concat_values{
                udh.concat->reference_16bit ? concat_scheme::udh_16bit : concat_scheme::udh_8bit,
                udh.concat->reference, udh.concat->total, udh.concat->seqnum};
        }
    }
    // The header travels inside the message, so it wins over TLVs a relay may have left behind.
    if (!concat && part.sar_msg_ref_num && part.sar_total_segments && part.sar_segment_seqnum &&
        valid_concat(*part.sar_total_segments, *part.sar_segment_seqnum)) {
        concat = concat_values{concat_scheme::sar, *part.sar_msg_ref_num, *part.sar_total_segments,
                               *part.sar_segment_seqnum};
    }
    if (!concat) {
        return result;
    }
    const auto content = udhi ? udh.payload : part.short_message;

    const auto make_message = [&](const key_view& k) {
        reassembled_message m;
        m.source_addr = std::string(k.source);
        m.destination_addr = std::string(k.destination);
        m.scheme = k.scheme;
        m.reference = k.reference;
        m.total = k.total;
        return m;
    };

    const key_view key{part.source_addr, part.destination_addr, concat->scheme, concat->reference,
                       concat->total};
    if (concat->total == 1) {
        reassembled_message m = make_message(key);
        m.esm_class = static_cast<std::uint8_t>(part.esm_class & ~udhi_esm_class_bit);
        m.data_coding = part.data_coding;
        if (udhi) {
            append_raw_ies(udh, m.other_ies);
        }
        m.payload.assign(content.begin(), content.end());
        ++stats_.completed;
        result.status = reassembly_status::complete;
        result.message = std::move(m);
        return result;
    }

    auto found = groups_.find(key);
    const std::size_t address_bytes = part.source_addr.size() + part.destination_addr.size();
    if (found != groups_.end()) {
        const group& g = *found->second;
        if (g.received[concat->seqnum - 1u]) {
            ++stats_.duplicates;
            result.status = reassembly_status::duplicate;
            return result;
        }
    }
    const std::size_t part_bytes = part.short_message.size();
    if (part_bytes + address_bytes > limits_.max_buffered_bytes) {
        result.status = reassembly_status::too_large;
        return result;
    }

    // Make room, oldest first. The target group itself may go if it alone holds too much; the
    // part then starts a fresh group.
    for (;;) {
        const bool is_new = found == groups_.end();
        const std::size_t need = part_bytes + (is_new ? address_bytes : 0);
        const bool over_bytes = buffered_bytes_ + need > limits_.max_buffered_bytes;
        const bool over_groups = is_new && groups_.size() >= limits_.max_groups;
        if ((!over_bytes && !over_groups) || order_.empty()) {
            break;
        }
        const auto oldest = order_.begin();
        if (!is_new && found->second == oldest) {
            found = groups_.end();
        }
        result.evicted.push_back(release(oldest, release_reason::evicted));
        ++stats_.evicted_groups;
    }
    if (limits_.max_groups == 0) {
        // Nothing may be buffered at all; the caller forwards the part unchanged.
        result.status = reassembly_status::too_large;
        return result;
    }

    if (found == groups_.end()) {
        group g;
        g.key = group_key{std::string(part.source_addr), std::string(part.destination_addr),
                          concat->scheme, concat->reference, concat->total};
        g.first_seen = now;
        g.parts.resize(concat->total);
        g.received.assign(concat->total, false);
        g.bytes = address_bytes;
        buffered_bytes_ += address_bytes;
        order_.push_back(std::move(g));
        const auto it = std::prev(order_.end());
        found = groups_.emplace(it->key, it).first;
    }

    group& g = *found->second;
    const std::size_t index = concat->seqnum - 1u;
    buffered_part& stored = g.parts[index];
    stored.seqnum = concat->seqnum;
    stored.esm_class = part.esm_class;
    stored.data_coding = part.data_coding;
    stored.short_message.assign(part.short_message.begin(), part.short_message.end());
    g.received[index] = true;
    ++g.received_count;
    g.bytes += part_bytes;
    buffered_bytes_ += part_bytes;

    if (g.received_count < g.parts.size()) {
        result.status = reassembly_status::buffered;
        return result;
    }

    reassembled_message m = make_message(view_of(g.key));
    std::size_t payload_bytes = 0;
    for (const auto& p : g.parts) {
        payload_bytes += p.short_message.size();
    }
    m.payload.reserve(payload_bytes);
    for (const auto& p : g.parts) {
        std::span<const std::uint8_t> bytes = p.short_message;
        if ((p.esm_class & udhi_esm_class_bit) != 0) {
            // Every stored UDH parsed cleanly on arrival.
            const parsed_udh part_udh = parse_udh(bytes);
            if (p.seqnum == 1) {
                append_raw_ies(part_udh, m.other_ies);
            }
            bytes = part_udh.payload;
        }
        if (p.seqnum == 1) {
            m.esm_class = static_cast<std::uint8_t>(p.esm_class & ~udhi_esm_class_bit);
            m.data_coding = p.data_coding;
        }
        m.payload.insert(m.payload.end(), bytes.begin(), bytes.end());
    }
    for (const auto& p : g.parts) {
        m.mixed_data_coding = m.mixed_data_coding || p.data_coding != m.data_coding;
    }
    buffered_bytes_ -= g.bytes;
    const auto it = found->second;
    groups_.erase(found);
    order_.erase(it);
    ++stats_.completed;
    result.status = reassembly_status::complete;
    result.message = std::move(m);
    return result;
}

std::vector<incomplete_group> reassembler::expire(clock::time_point now) {
    std::vector<incomplete_group> out;
    while (!order_.empty() && now - order_.front().first_seen >= limits_.timeout) {
        out.push_back(release(order_.begin(), release_reason::expired));
        ++stats_.expired_groups;
    }
    return out;
}

std::optional<reassembler::clock::time_point> reassembler::next_deadline() const noexcept {
    if (order_.empty()) {
        return std::nullopt;
    }
    return order_.front().first_seen + limits_.timeout;
}

}  // namespace smppgw::smpp
