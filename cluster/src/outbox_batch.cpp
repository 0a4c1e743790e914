#include "smppgw/cluster/outbox_batch.hpp"

#include "byte_codec.hpp"

namespace smppgw::cluster {
namespace {

constexpr std::uint8_t batch_version = 1;
// On the wire, not store::outbox_kind's values: the format must not change if those do.
constexpr std::uint8_t wire_receipt = 1;
constexpr std::uint8_t wire_mo = 2;

std::size_t varint_size(std::size_t n) noexcept {
    std::size_t size = 1;
    while (n >= 0x80) {
        n >>= 7U;
        ++size;
    }
    return size;
}

}  // namespace

std::size_t encoded_size(const outbox_entry& e) noexcept {
    return 1 + varint_size(e.bytes.size()) + e.bytes.size();
}

std::string encode_outbox_batch(std::span<const outbox_entry> entries) {
    std::size_t size = 1;
    for (const auto& e : entries) {
        size += encoded_size(e);
    }
    std::string body;
    body.reserve(size);
    body.push_back(static_cast<char>(batch_version));
    for (const auto& e : entries) {
        body.push_back(static_cast<char>(e.kind == store::outbox_kind::mo ? wire_mo : wire_receipt));
        detail::put_field(body, e.bytes);
    }
    return body;
}

std::optional<std::vector<outbox_entry>> decode_outbox_batch(std::string_view body,
                                                             std::size_t count) {
    detail::byte_reader r{body};
    if (r.u8() != batch_version || count > outbox_batch_limits::max_entries) {
        return std::nullopt;
    }
    std::vector<outbox_entry> out;
    out.reserve(count);
    while (r.ok && !r.in.empty()) {
        outbox_entry e;
        switch (r.u8()) {
        case wire_receipt:
            e.kind = store::outbox_kind::dlr;
            break;
        case wire_mo:
            e.kind = store::outbox_kind::mo;
            break;
        default:
            return std::nullopt;
        }
        e.bytes = r.field(body.size());
        if (!r.ok) {
            return std::nullopt;
        }
        out.push_back(e);
    }
    if (!r.ok || out.size() != count) {
        return std::nullopt;
    }
    return out;
}

}  // namespace smppgw::cluster
