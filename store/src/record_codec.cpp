#include "record_codec.hpp"

#include <algorithm>

#include "codec.hpp"
#include "keys.hpp"

namespace smppgw::store::detail {
namespace {

constexpr std::uint8_t max_source = 5;

bool get_source(reader& r, policy::record_source& s) {
    const auto v = r.u8();
    if (v > max_source) {
        return false;
    }
    s = static_cast<policy::record_source>(v);
    return true;
}

constexpr std::uint8_t opt_double_opt_in = 0x01;
constexpr std::uint8_t opt_expires = 0x02;
constexpr std::uint8_t opt_revoked = 0x04;

}  // namespace

// --- opt-outs ---------------------------------------------------------------------------------

void encode_optout(const policy::optout_record& rec, std::string& out) {
    out.clear();
    put_u8(out, record_format_v1);
    put_time(out, rec.when);
    put_bytes(out, rec.keyword);
    put_u8(out, static_cast<std::uint8_t>(rec.source));
    put_bytes(out, rec.reference);
}

bool decode_optout(std::string_view value, policy::optout_record& rec) {
    reader r{value};
    if (r.u8() != record_format_v1) {
        return false;
    }
    rec.when = r.time();
    rec.keyword = r.bytes();
    if (!get_source(r, rec.source)) {
        return false;
    }
    rec.reference = r.bytes();
    return r.done();
}

std::optional<time_point> decode_optout_when(std::string_view value) noexcept {
    reader r{value};
    if (r.u8() != record_format_v1) {
        return std::nullopt;
    }
    const auto t = r.time();
    if (!r.ok()) {
        return std::nullopt;
    }
    return t;
}

void encode_optout_history(optout_history_kind ev, time_point when, std::string_view keyword,
                           policy::record_source source, std::string_view reference,
                           std::string& out) {
    out.clear();
    put_u8(out, record_format_v1);
    put_u8(out, static_cast<std::uint8_t>(ev));
    put_time(out, when);
    put_bytes(out, keyword);
    put_u8(out, static_cast<std::uint8_t>(source));
    put_bytes(out, reference);
}

bool decode_optout_history(std::string_view value, smppgw::store::optout_event& ev) {
    reader r{value};
    if (r.u8() != record_format_v1) {
        return false;
    }
    const auto kind = r.u8();
    if (kind > 1) {
        return false;
    }
    ev.lifted = kind == static_cast<std::uint8_t>(optout_history_kind::lift);
    ev.when = r.time();
    ev.keyword = r.bytes();
    if (!get_source(r, ev.source)) {
        return false;
    }
    ev.reference = r.bytes();
    return r.done();
}

// --- consents ---------------------------------------------------------------------------------

time_point consent_effective_time(const policy::consent_record& rec) noexcept {
    auto t = rec.granted;
    if (rec.double_opt_in) {
        t = std::max(t, *rec.double_opt_in);
    }
    if (rec.revoked) {
        t = std::max(t, *rec.revoked);
    }
    return t;
}

void encode_consent(const policy::consent_record& rec, std::string& out) {
    out.clear();
    put_u8(out, record_format_v1);
    put_bytes(out, rec.brand);
    put_bytes(out, rec.msisdn);
    put_u8(out, static_cast<std::uint8_t>(rec.klass));
    put_u8(out, static_cast<std::uint8_t>(rec.status));
    put_u8(out, static_cast<std::uint8_t>(rec.type));
    put_bytes(out, rec.program);
    put_time(out, rec.granted);
    put_u8(out, static_cast<std::uint8_t>(rec.source));
    put_bytes(out, rec.proof);
    put_bytes(out, rec.proof_url);
    put_bytes(out, rec.ip);
    put_bytes(out, rec.user_agent);
    std::uint8_t opt = 0;
    if (rec.double_opt_in) {
        opt |= opt_double_opt_in;
    }
    if (rec.expires) {
        opt |= opt_expires;
    }
    if (rec.revoked) {
        opt |= opt_revoked;
    }
    put_u8(out, opt);
    if (rec.double_opt_in) {
        put_time(out, *rec.double_opt_in);
    }
    if (rec.expires) {
        put_time(out, *rec.expires);
    }
    if (rec.revoked) {
        put_time(out, *rec.revoked);
    }
    put_bytes(out, rec.jurisdiction);
    put_bytes(out, rec.revocation_channel);
}

bool decode_consent(std::string_view value, policy::consent_record& rec) {
    reader r{value};
    if (r.u8() != record_format_v1) {
        return false;
    }
    rec = policy::consent_record{};
    rec.brand = r.bytes();
    rec.msisdn = r.bytes();
    const auto klass = r.u8();
    const auto status = r.u8();
    const auto type = r.u8();
    if (klass > 2 || status > 2 || type > 1) {
        return false;
    }
    rec.klass = static_cast<policy::message_class>(klass);
    rec.status = static_cast<policy::consent_status>(status);
    rec.type = static_cast<policy::consent_type>(type);
    rec.program = r.bytes();
    rec.granted = r.time();
    if (!get_source(r, rec.source)) {
        return false;
    }
    rec.proof = r.bytes();
    rec.proof_url = r.bytes();
    rec.ip = r.bytes();
    rec.user_agent = r.bytes();
    const auto opt = r.u8();
    if ((opt & opt_double_opt_in) != 0) {
        rec.double_opt_in = r.time();
    }
    if ((opt & opt_expires) != 0) {
        rec.expires = r.time();
    }
    if ((opt & opt_revoked) != 0) {
        rec.revoked = r.time();
    }
    rec.jurisdiction = r.bytes();
    rec.revocation_channel = r.bytes();
    return r.done();
}

void encode_consent_state(const policy::consent_record& rec, std::uint64_t uniq, std::string& out) {
    std::string body;
    encode_consent(rec, body);
    out.clear();
    put_be64(out, time_to_key(consent_effective_time(rec)));
    put_be64(out, uniq);
    out.append(body);
}

bool decode_consent_state(std::string_view value, policy::consent_record& rec) {
    if (value.size() < 16) {
        return false;
    }
    return decode_consent(value.substr(16), rec);
}

policy::consent_summary summarize(const policy::consent_record& rec) noexcept {
    policy::consent_summary s;
    s.status = rec.status;
    s.type = rec.type;
    s.has_proof = rec.has_proof();
    s.granted = rec.granted;
    s.expires = rec.expires;
    return s;
}

bool decode_consent_summary(std::string_view state_value, policy::consent_summary& s) noexcept {
    if (state_value.size() < 16) {
        return false;
    }
    reader r{state_value.substr(16)};
    if (r.u8() != record_format_v1) {
        return false;
    }
    (void)r.bytes();  // brand
    (void)r.bytes();  // msisdn
    const auto klass = r.u8();
    const auto status = r.u8();
    const auto type = r.u8();
    if (klass > 2 || status > 2 || type > 1) {
        return false;
    }
    s.status = static_cast<policy::consent_status>(status);
    s.type = static_cast<policy::consent_type>(type);
    (void)r.bytes();  // program
    s.granted = r.time();
    (void)r.u8();  // source
    const auto proof = r.bytes();
    const auto proof_url = r.bytes();
    s.has_proof = !proof.empty() || !proof_url.empty();
    (void)r.bytes();  // ip
    (void)r.bytes();  // user_agent
    const auto opt = r.u8();
    if ((opt & opt_double_opt_in) != 0) {
        (void)r.time();
    }
    s.expires.reset();
    if ((opt & opt_expires) != 0) {
        s.expires = r.time();
    }
    return r.ok();
}

// --- carrier ids ------------------------------------------------------------------------------

void encode_carrier_mapping(const carrier_mapping& m, std::string& out) {
    out.clear();
    put_u8(out, record_format_v1);
    put_be64(out, m.id);
    put_varint(out, m.part);
}

std::optional<carrier_mapping> decode_carrier_mapping(std::string_view v) noexcept {
    reader r{v};
    if (r.u8() != record_format_v1) {
        return std::nullopt;
    }
    carrier_mapping m;
    m.id = r.be64();
    m.part = r.varint_as<std::uint16_t>(UINT16_MAX);
    if (!r.done()) {
        return std::nullopt;
    }
    return m;
}

// --- outbox -----------------------------------------------------------------------------------

void encode_outbox_value(outbox_kind kind, time_point created, std::string_view bytes,
                         std::string& out) {
    out.clear();
    put_u8(out, record_format_v1);
    put_u8(out, static_cast<std::uint8_t>(kind));
    put_time(out, created);
    out.append(bytes);
}

bool decode_outbox_value(std::string_view v, outbox_entry& e) {
    reader r{v};
    if (r.u8() != record_format_v1) {
        return false;
    }
    const auto kind = r.u8();
    if (kind > 1) {
        return false;
    }
    e.kind = static_cast<outbox_kind>(kind);
    e.created = r.time();
    e.bytes = r.rest();
    return r.ok();
}

std::optional<outbox_kind> outbox_value_kind(std::string_view v) noexcept {
    if (v.size() < 2 || static_cast<std::uint8_t>(v[0]) != record_format_v1 ||
        static_cast<std::uint8_t>(v[1]) > 1) {
        return std::nullopt;
    }
    return static_cast<outbox_kind>(v[1]);
}

// --- freq -------------------------------------------------------------------------------------

void encode_send_times(const std::vector<time_point>& ascending, std::string& out) {
    out.clear();
    put_varint(out, ascending.size());
    time_point prev{};
    for (std::size_t i = 0; i < ascending.size(); ++i) {
        if (i == 0) {
            put_time(out, ascending[0]);
        } else {
            put_varint(out, static_cast<std::uint64_t>((ascending[i] - prev).count()));
        }
        prev = ascending[i];
    }
}

bool decode_send_times(std::string_view v, std::vector<time_point>& out) {
    reader r{v};
    const auto n = r.varint_as<std::size_t>(1U << 16U);
    time_point prev{};
    for (std::size_t i = 0; i < n && r.ok(); ++i) {
        if (i == 0) {
            prev = r.time();
        } else {
            prev += std::chrono::milliseconds{r.varint_as<std::int64_t>(INT64_MAX)};
        }
        out.push_back(prev);
    }
    return r.done();
}

void encode_send_removal(time_point when, std::string& out) {
    out.clear();
    put_u8(out, send_removal_tag);
    put_time(out, when);
}

std::optional<time_point> decode_send_removal(std::string_view v) noexcept {
    if (v.empty() || static_cast<std::uint8_t>(v.front()) != send_removal_tag) {
        return std::nullopt;
    }
    reader r{v.substr(1)};
    const auto t = r.time();
    if (!r.done()) {
        return std::nullopt;
    }
    return t;
}

// --- review holds -----------------------------------------------------------------------------

void encode_hold(const policy::hold_record& rec, std::string& out) {
    out.clear();
    put_u8(out, record_format_v1);
    put_time(out, rec.since);
    put_bytes(out, rec.reference);
    put_bytes(out, rec.text);
}

bool decode_hold(std::string_view value, policy::hold_record& rec) {
    reader r{value};
    if (r.u8() != record_format_v1) {
        return false;
    }
    rec.since = r.time();
    rec.reference = r.bytes();
    rec.text = r.bytes();
    return r.done();
}

// --- audit ------------------------------------------------------------------------------------

void encode_audit(const audit_record& rec, std::string& out) {
    out.clear();
    put_u8(out, record_format_v1);
    put_time(out, rec.when);
    put_varint(out, rec.id);
    put_bytes(out, rec.msisdn);
    put_bytes(out, rec.account);
    put_bytes(out, rec.brand);
    put_bytes(out, rec.check);
    put_u8(out, static_cast<std::uint8_t>(rec.verdict));
    put_varint(out, rec.command_status);
    put_bytes(out, rec.reason);
    put_u8(out, rec.defer_until ? 1 : 0);
    if (rec.defer_until) {
        put_time(out, *rec.defer_until);
    }
}

bool decode_audit(std::string_view v, audit_record& rec) {
    reader r{v};
    if (r.u8() != record_format_v1) {
        return false;
    }
    rec = audit_record{};
    rec.when = r.time();
    rec.id = r.varint();
    rec.msisdn = r.bytes();
    rec.account = r.bytes();
    rec.brand = r.bytes();
    rec.check = r.bytes();
    const auto verdict = r.u8();
    if (verdict > static_cast<std::uint8_t>(audit_verdict::final_state)) {
        return false;
    }
    rec.verdict = static_cast<audit_verdict>(verdict);
    rec.command_status = r.varint_as<std::uint32_t>(UINT32_MAX);
    rec.reason = r.bytes();
    if (r.u8() != 0) {
        rec.defer_until = r.time();
    }
    return r.done();
}

}  // namespace smppgw::store::detail
