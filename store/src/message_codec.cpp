#include "message_codec.hpp"

#include "codec.hpp"

namespace smppgw::store::detail {
namespace {

constexpr std::uint8_t op_state = 0x01;
constexpr std::uint8_t op_part = 0x02;
constexpr std::uint8_t op_carrier = 0x03;

constexpr std::uint8_t opt_schedule = 0x01;
constexpr std::uint8_t opt_validity = 0x02;
// Records written before campaigns existed have no campaign and never this bit.
constexpr std::uint8_t opt_campaign = 0x04;

void put_address(std::string& out, const sme_address& a) {
    put_u8(out, a.ton);
    put_u8(out, a.npi);
    put_bytes(out, a.addr);
}

void get_address(reader& r, sme_address& a) {
    a.ton = r.u8();
    a.npi = r.u8();
    a.addr = r.bytes();
}

message_state get_state(reader& r) {
    const auto s = r.u8();
    if (s >= message_state_count) {
        r.fail();
        return message_state::accepted;
    }
    return static_cast<message_state>(s);
}

void push_history(message_record& rec, message_state s, time_point when) {
    rec.history.push_back(state_event{s, when});
    if (rec.history.size() > message_history_cap) {
        // Keep the first event (acceptance) and the newest ones.
        rec.history.erase(rec.history.begin() + 1);
    }
}

// Final states are sticky against later non-final ones (see message_record.hpp).
message_state fold_state(message_state current, message_state next) {
    if (is_final(current) && !is_final(next)) {
        return current;
    }
    return next;
}

}  // namespace

void encode_message(const message_record& rec, std::string& out) {
    out.clear();
    put_u8(out, message_format_v1);
    put_varint(out, rec.id);
    put_bytes(out, rec.account);
    put_bytes(out, rec.brand);
    put_u8(out, static_cast<std::uint8_t>(rec.klass));
    put_address(out, rec.source);
    put_address(out, rec.destination);
    put_bytes(out, rec.msisdn);
    put_bytes(out, rec.service_type);
    put_u8(out, rec.esm_class);
    put_u8(out, rec.protocol_id);
    put_u8(out, rec.priority_flag);
    put_u8(out, rec.registered_delivery);
    put_u8(out, rec.data_coding);
    put_bytes(out, rec.payload);
    put_bytes(out, rec.tlvs);
    put_time(out, rec.received);
    std::uint8_t opt = 0;
    if (rec.schedule_delivery) {
        opt |= opt_schedule;
    }
    if (rec.validity) {
        opt |= opt_validity;
    }
    if (!rec.campaign.empty()) {
        opt |= opt_campaign;
    }
    put_u8(out, opt);
    if (rec.schedule_delivery) {
        put_time(out, *rec.schedule_delivery);
    }
    if (rec.validity) {
        put_time(out, *rec.validity);
    }
    if (!rec.campaign.empty()) {
        put_bytes(out, rec.campaign);
    }
    put_bytes(out, rec.carrier);
    put_u8(out, static_cast<std::uint8_t>(rec.state));
    put_varint(out, rec.parts.size());
    for (const auto& p : rec.parts) {
        put_bytes(out, p.carrier_message_id);
        put_u8(out, static_cast<std::uint8_t>(p.state));
        put_time(out, p.updated);
        put_varint(out, p.error);
    }
    put_varint(out, rec.history.size());
    for (const auto& e : rec.history) {
        put_u8(out, static_cast<std::uint8_t>(e.state));
        put_time(out, e.when);
    }
}

decode_status decode_message(std::string_view in, message_record& rec) {
    if (in.empty()) {
        return decode_status::malformed;
    }
    if (static_cast<std::uint8_t>(in[0]) == message_format_stub) {
        return decode_status::stub;
    }
    if (static_cast<std::uint8_t>(in[0]) != message_format_v1) {
        return decode_status::malformed;
    }
    reader r{in.substr(1)};
    rec = message_record{};
    rec.id = r.varint();
    rec.account = r.bytes();
    rec.brand = r.bytes();
    const auto klass = r.u8();
    if (klass > 2) {
        return decode_status::malformed;
    }
    rec.klass = static_cast<policy::message_class>(klass);
    get_address(r, rec.source);
    get_address(r, rec.destination);
    rec.msisdn = r.bytes();
    rec.service_type = r.bytes();
    rec.esm_class = r.u8();
    rec.protocol_id = r.u8();
    rec.priority_flag = r.u8();
    rec.registered_delivery = r.u8();
    rec.data_coding = r.u8();
    rec.payload = r.bytes();
    rec.tlvs = r.bytes();
    rec.received = r.time();
    const auto opt = r.u8();
    if ((opt & opt_schedule) != 0) {
        rec.schedule_delivery = r.time();
    }
    if ((opt & opt_validity) != 0) {
        rec.validity = r.time();
    }
    if ((opt & opt_campaign) != 0) {
        rec.campaign = r.bytes();
    }
    rec.carrier = r.bytes();
    rec.state = get_state(r);
    const auto nparts = r.varint_as<std::size_t>(max_message_parts);
    rec.parts.resize(nparts);
    for (auto& p : rec.parts) {
        p.carrier_message_id = r.bytes();
        p.state = get_state(r);
        p.updated = r.time();
        p.error = r.varint_as<std::uint32_t>(UINT32_MAX);
    }
    const auto nhist = r.varint_as<std::size_t>(message_history_cap);
    rec.history.resize(nhist);
    for (auto& e : rec.history) {
        e.state = get_state(r);
        e.when = r.time();
    }
    return r.done() ? decode_status::ok : decode_status::malformed;
}

void encode_state_op(std::string& out, message_state state, time_point when) {
    put_u8(out, op_state);
    put_u8(out, static_cast<std::uint8_t>(state));
    put_time(out, when);
}

void encode_part_op(std::string& out, std::uint16_t part, message_state state, time_point when,
                    std::string_view carrier_message_id, std::uint32_t error) {
    put_u8(out, op_part);
    put_varint(out, part);
    put_u8(out, static_cast<std::uint8_t>(state));
    put_time(out, when);
    put_bytes(out, carrier_message_id);
    put_varint(out, error);
}

void encode_carrier_op(std::string& out, std::string_view carrier) {
    put_u8(out, op_carrier);
    put_bytes(out, carrier);
}

bool apply_message_ops(message_record& rec, std::string_view operand) {
    reader r{operand};
    while (r.remaining() > 0) {
        const auto op = r.u8();
        switch (op) {
            case op_state: {
                const auto s = get_state(r);
                const auto when = r.time();
                if (!r.ok()) {
                    return false;
                }
                rec.state = fold_state(rec.state, s);
                push_history(rec, s, when);
                break;
            }
            case op_part: {
                const auto index = r.varint_as<std::uint16_t>(max_message_parts - 1);
                const auto s = get_state(r);
                const auto when = r.time();
                const auto cmid = r.bytes();
                const auto error = r.varint_as<std::uint32_t>(UINT32_MAX);
                if (!r.ok()) {
                    return false;
                }
                if (index >= rec.parts.size()) {
                    rec.parts.resize(static_cast<std::size_t>(index) + 1);
                }
                auto& p = rec.parts[index];
                p.state = fold_state(p.state, s);
                p.updated = when;
                if (!cmid.empty()) {
                    p.carrier_message_id = cmid;
                }
                if (error != 0) {
                    p.error = error;
                }
                break;
            }
            case op_carrier: {
                const auto c = r.bytes();
                if (!r.ok()) {
                    return false;
                }
                rec.carrier = c;
                break;
            }
            default:
                return false;
        }
    }
    return r.ok();
}

}  // namespace smppgw::store::detail
