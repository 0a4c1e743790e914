#include "smppgw/store/journal_records.hpp"

#include "codec.hpp"
#include "message_codec.hpp"
#include "record_codec.hpp"

namespace smppgw::store {
namespace {

using detail::put_bytes;
using detail::put_time;
using detail::put_u8;
using detail::put_varint;
using detail::reader;

constexpr std::uint8_t format_v1 = 1;

// A message_record inside a record: its own encoding, length-prefixed.
void put_message(std::string& out, const message_record& m) {
    thread_local std::string scratch;
    detail::encode_message(m, scratch);
    put_bytes(out, scratch);
}

bool get_message(reader& r, message_record& m) {
    const auto bytes = r.bytes();
    return r.ok() && detail::decode_message(bytes, m) == detail::decode_status::ok;
}

message_state get_state(reader& r) {
    const auto s = r.u8();
    if (s >= message_state_count) {
        r.fail();
        return message_state::unknown;
    }
    return static_cast<message_state>(s);
}

bool begin(reader& r) { return r.u8() == format_v1 && r.ok(); }

}  // namespace

std::string_view to_string(record_kind k) noexcept {
    switch (k) {
        case record_kind::accepted: return "accepted";
        case record_kind::released: return "released";
        case record_kind::deferred: return "deferred";
        case record_kind::submitted: return "submitted";
        case record_kind::receipt: return "receipt";
        case record_kind::failed: return "failed";
        case record_kind::expired: return "expired";
        case record_kind::cancelled: return "cancelled";
        case record_kind::replaced: return "replaced";
        case record_kind::mo: return "mo";
        case record_kind::delivered_upstream: return "delivered_upstream";
        case record_kind::audit: return "audit";
        case record_kind::restored: return "restored";
        case record_kind::unmatched_receipt: return "unmatched_receipt";
        case record_kind::unmatched_resolved: return "unmatched_resolved";
        case record_kind::outbox_dropped: return "outbox_dropped";
    }
    return "unknown";
}

void encode(const accepted_record& r, std::string& out) {
    put_u8(out, format_v1);
    put_u8(out, static_cast<std::uint8_t>((r.counts_toward_frequency ? 1U : 0U) |
                                          (r.keyword_reply ? 2U : 0U)));
    put_time(out, r.release);
    put_message(out, r.message);
}

bool decode(std::string_view in, accepted_record& r) {
    reader rd{in};
    if (!begin(rd)) {
        return false;
    }
    const auto flags = rd.u8();
    r.counts_toward_frequency = (flags & 1U) != 0;
    r.keyword_reply = (flags & 2U) != 0;
    r.release = rd.time();
    return get_message(rd, r.message) && rd.done();
}

void encode(const released_record& r, std::string& out) {
    put_u8(out, format_v1);
    put_varint(out, r.id);
    put_time(out, r.when);
    put_u8(out, r.counts_toward_frequency ? 1 : 0);
}

bool decode(std::string_view in, released_record& r) {
    reader rd{in};
    if (!begin(rd)) {
        return false;
    }
    r.id = rd.varint();
    r.when = rd.time();
    r.counts_toward_frequency = rd.u8() != 0;
    return rd.done();
}

void encode(const deferred_record& r, std::string& out) {
    put_u8(out, format_v1);
    put_varint(out, r.id);
    put_time(out, r.until);
    put_time(out, r.when);
}

bool decode(std::string_view in, deferred_record& r) {
    reader rd{in};
    if (!begin(rd)) {
        return false;
    }
    r.id = rd.varint();
    r.until = rd.time();
    r.when = rd.time();
    return rd.done();
}

void encode(const submitted_record& r, std::string& out) {
    put_u8(out, format_v1);
    put_varint(out, r.id);
    put_varint(out, r.part);
    put_varint(out, r.parts);
    put_bytes(out, r.carrier);
    put_bytes(out, r.carrier_message_id);
    put_time(out, r.when);
}

bool decode(std::string_view in, submitted_record& r) {
    reader rd{in};
    if (!begin(rd)) {
        return false;
    }
    r.id = rd.varint();
    r.part = rd.varint_as<std::uint16_t>(UINT16_MAX);
    r.parts = rd.varint_as<std::uint16_t>(UINT16_MAX);
    r.carrier = rd.bytes();
    r.carrier_message_id = rd.bytes();
    r.when = rd.time();
    return rd.done() && r.parts > r.part;
}

void encode(const receipt_record& r, std::string& out) {
    put_u8(out, format_v1);
    put_varint(out, r.id);
    put_bytes(out, r.account);
    put_varint(out, r.part);
    put_u8(out, static_cast<std::uint8_t>(r.state));
    put_varint(out, r.error);
    put_time(out, r.when);
    put_bytes(out, r.dlr);
}

bool decode(std::string_view in, receipt_record& r) {
    reader rd{in};
    if (!begin(rd)) {
        return false;
    }
    r.id = rd.varint();
    r.account = rd.bytes();
    r.part = rd.varint_as<std::uint16_t>(UINT16_MAX);
    r.state = get_state(rd);
    r.error = rd.varint_as<std::uint32_t>(UINT32_MAX);
    r.when = rd.time();
    r.dlr = rd.bytes();
    return rd.done();
}

void encode(const ended_record& r, std::string& out) {
    put_u8(out, format_v1);
    put_varint(out, r.id);
    put_bytes(out, r.account);
    put_u8(out, static_cast<std::uint8_t>(r.state));
    put_varint(out, r.status);
    put_time(out, r.when);
    put_bytes(out, r.dlr);
}

bool decode(std::string_view in, ended_record& r) {
    reader rd{in};
    if (!begin(rd)) {
        return false;
    }
    r.id = rd.varint();
    r.account = rd.bytes();
    r.state = get_state(rd);
    r.status = rd.varint_as<std::uint32_t>(UINT32_MAX);
    r.when = rd.time();
    r.dlr = rd.bytes();
    return rd.done() && is_final(r.state);
}

void encode(const replaced_record& r, std::string& out) {
    put_u8(out, format_v1);
    put_varint(out, r.id);
    put_u8(out, r.registered_delivery);
    put_bytes(out, r.payload);
    put_time(out, r.when);
}

bool decode(std::string_view in, replaced_record& r) {
    reader rd{in};
    if (!begin(rd)) {
        return false;
    }
    r.id = rd.varint();
    r.registered_delivery = rd.u8();
    r.payload = rd.bytes();
    r.when = rd.time();
    return rd.done();
}

void encode(const mo_record& r, std::string& out) {
    put_u8(out, format_v1);
    put_bytes(out, r.account);
    put_u8(out, static_cast<std::uint8_t>(r.kind));
    put_time(out, r.when);
    put_bytes(out, r.bytes);
}

bool decode(std::string_view in, mo_record& r) {
    reader rd{in};
    if (!begin(rd)) {
        return false;
    }
    r.account = rd.bytes();
    const auto kind = rd.u8();
    if (kind > static_cast<std::uint8_t>(outbox_kind::mo)) {
        return false;
    }
    r.kind = static_cast<outbox_kind>(kind);
    r.when = rd.time();
    r.bytes = rd.bytes();
    return rd.done();
}

void encode(const outbox_done_record& r, std::string& out) {
    put_u8(out, format_v1);
    put_bytes(out, r.account);
    put_varint(out, r.entry);
    put_time(out, r.when);
}

bool decode(std::string_view in, outbox_done_record& r) {
    reader rd{in};
    if (!begin(rd)) {
        return false;
    }
    r.account = rd.bytes();
    r.entry = rd.varint();
    r.when = rd.time();
    return rd.done();
}

void encode(const audit_entry_record& r, std::string& out) {
    thread_local std::string scratch;
    detail::encode_audit(r.audit, scratch);
    put_u8(out, format_v1);
    put_bytes(out, scratch);
}

bool decode(std::string_view in, audit_entry_record& r) {
    reader rd{in};
    if (!begin(rd)) {
        return false;
    }
    const auto audit = rd.bytes();
    return rd.done() && detail::decode_audit(audit, r.audit);
}

void encode(const restored_record& r, std::string& out) {
    put_u8(out, format_v1);
    put_message(out, r.message);
}

bool decode(std::string_view in, restored_record& r) {
    reader rd{in};
    if (!begin(rd)) {
        return false;
    }
    return get_message(rd, r.message) && rd.done();
}

void encode(const unmatched_record& r, std::string& out) {
    put_u8(out, format_v1);
    put_bytes(out, r.carrier);
    put_bytes(out, r.carrier_message_id);
    put_time(out, r.when);
    put_bytes(out, r.pdu);
}

bool decode(std::string_view in, unmatched_record& r) {
    reader rd{in};
    if (!begin(rd)) {
        return false;
    }
    r.carrier = rd.bytes();
    r.carrier_message_id = rd.bytes();
    r.when = rd.time();
    r.pdu = rd.bytes();
    return rd.done();
}

void encode(const unmatched_resolved_record& r, std::string& out) {
    put_u8(out, format_v1);
    put_varint(out, r.entry);
}

bool decode(std::string_view in, unmatched_resolved_record& r) {
    reader rd{in};
    if (!begin(rd)) {
        return false;
    }
    r.entry = rd.varint();
    return rd.done();
}

}  // namespace smppgw::store
