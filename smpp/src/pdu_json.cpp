#include "smppgw/smpp/pdu_json.hpp"

#include <boost/json/array.hpp>
#include <boost/json/string.hpp>
#include <fmt/format.h>

#include "smppgw/smpp/command.hpp"
#include "smppgw/smpp/message_view.hpp"
#include "smppgw/smpp/smpp_time.hpp"

namespace smppgw::smpp {
namespace json = boost::json;
namespace {

// C-Octet Strings are nominally ASCII; peers put Latin-1 and worse in them. Reading each octet as
// a Latin-1 code point keeps the JSON valid UTF-8 and lets from_json restore the exact octets.
std::string latin1_to_utf8(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x80) {
            out.push_back(ch);
        } else {
            out.push_back(static_cast<char>(0xC0 | (c >> 6)));
            out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
        }
    }
    return out;
}

bool utf8_to_latin1(std::string_view s, std::string& out) {
    out.clear();
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            out.push_back(static_cast<char>(c));
        } else if ((c == 0xC2 || c == 0xC3) && i + 1 < s.size()) {
            const auto c2 = static_cast<unsigned char>(s[++i]);
            out.push_back(static_cast<char>(((c & 0x03) << 6) | (c2 & 0x3F)));
        } else {
            return false;  // outside Latin-1: cannot be a C-Octet String octet
        }
    }
    return true;
}

std::string hex_u16(std::uint16_t v) { return fmt::format("0x{:04x}", v); }

class json_writer {
public:
    explicit json_writer(json::object& fields) : fields_(fields) {}

    void operator()(std::string_view name, std::uint8_t v) { fields_[name] = v; }
    template <std::size_t Max, std::size_t ReadMax>
    void operator()(std::string_view name, const c_string<Max, ReadMax>& v) {
        fields_[name] = latin1_to_utf8(v.view());
    }
    void operator()(std::string_view name, const short_message_t& v) {
        fields_["sm_length"] = v.size();
        fields_[name] = to_hex(v.bytes());
    }
    void operator()(std::string_view name, const std::vector<dest_address>& v) {
        fields_["number_of_dests"] = v.size();
        json::array list;
        for (const auto& d : v) {
            json::object o;
            o["dest_flag"] = d.dest_flag;
            if (d.dest_flag == dest_address::distribution_list) {
                o["dl_name"] = latin1_to_utf8(d.dl_name.view());
            } else {
                o["dest_addr_ton"] = d.dest_addr_ton;
                o["dest_addr_npi"] = d.dest_addr_npi;
                o["destination_addr"] = latin1_to_utf8(d.destination_addr.view());
            }
            list.push_back(std::move(o));
        }
        fields_[name] = std::move(list);
    }
    void operator()(std::string_view name, const std::vector<unsuccess_sme>& v) {
        fields_["no_unsuccess"] = v.size();
        json::array list;
        for (const auto& u : v) {
            json::object o;
            o["dest_addr_ton"] = u.dest_addr_ton;
            o["dest_addr_npi"] = u.dest_addr_npi;
            o["destination_addr"] = latin1_to_utf8(u.destination_addr.view());
            o["error_status_code"] = u.error_status_code;
            list.push_back(std::move(o));
        }
        fields_[name] = std::move(list);
    }

private:
    json::object& fields_;
};

json::value tlv_value(const tlv_info& info, std::span<const std::uint8_t> raw) {
    auto number = [&](std::size_t width) -> json::value {
        if (raw.size() != width) {
            return json::string(to_hex(raw));  // wrong shape from the peer: show the octets
        }
        std::uint64_t v = 0;
        for (auto b : raw) {
            v = (v << 8) | b;
        }
        return v;
    };
    switch (info.kind) {
        case tlv_kind::u8: return number(1);
        case tlv_kind::u16: return number(2);
        case tlv_kind::u32: return number(4);
        case tlv_kind::c_string: {
            std::string_view s(reinterpret_cast<const char*>(raw.data()), raw.size());
            return json::string(latin1_to_utf8(s.substr(0, s.find('\0'))));
        }
        case tlv_kind::empty: return true;
        case tlv_kind::octets: break;
    }
    return json::string(to_hex(raw));
}

// Reads fields back; the first problem is reported as "fields.<name>: <why>".
class json_reader {
public:
    explicit json_reader(const json::object& fields) : fields_(fields) {}

    void operator()(std::string_view name, std::uint8_t& v) {
        if (const auto* j = lookup(name)) {
            std::uint64_t n = 0;
            if (!as_uint(*j, n) || n > 0xFF) {
                fail(name, "expected an integer 0..255");
                return;
            }
            v = static_cast<std::uint8_t>(n);
        }
    }
    template <std::size_t Max, std::size_t ReadMax>
    void operator()(std::string_view name, c_string<Max, ReadMax>& v) {
        if (const auto* j = lookup(name)) {
            read_string(name, *j, v);
        }
    }
    void operator()(std::string_view name, short_message_t& v) {
        if (const auto* j = lookup(name)) {
            std::vector<std::uint8_t> bytes;
            if (!j->is_string() || !from_hex(j->as_string(), bytes)) {
                fail(name, "expected hex octets");
                return;
            }
            if (!v.assign(bytes)) {
                fail(name, "longer than 255 octets");
            }
        }
    }
    void operator()(std::string_view name, std::vector<dest_address>& v) {
        const auto* j = lookup(name);
        if (j == nullptr) {
            return;
        }
        if (!j->is_array()) {
            fail(name, "expected an array");
            return;
        }
        for (const auto& item : j->as_array()) {
            if (!item.is_object()) {
                fail(name, "expected objects");
                return;
            }
            json_reader inner(item.as_object());
            dest_address d;
            inner("dest_flag", d.dest_flag);
            inner("dest_addr_ton", d.dest_addr_ton);
            inner("dest_addr_npi", d.dest_addr_npi);
            inner("destination_addr", d.destination_addr);
            inner("dl_name", d.dl_name);
            if (!inner.error_.empty()) {
                error_ = fmt::format("{}[]{}", name, inner.error_);
                return;
            }
            v.push_back(d);
        }
    }
    void operator()(std::string_view name, std::vector<unsuccess_sme>& v) {
        const auto* j = lookup(name);
        if (j == nullptr) {
            return;
        }
        if (!j->is_array()) {
            fail(name, "expected an array");
            return;
        }
        for (const auto& item : j->as_array()) {
            if (!item.is_object()) {
                fail(name, "expected objects");
                return;
            }
            json_reader inner(item.as_object());
            unsuccess_sme u;
            inner("dest_addr_ton", u.dest_addr_ton);
            inner("dest_addr_npi", u.dest_addr_npi);
            inner("destination_addr", u.destination_addr);
            std::uint64_t code = 0;
            if (const auto* c = item.as_object().if_contains("error_status_code")) {
                if (!as_uint(*c, code) || code > 0xFFFFFFFFU) {
                    inner.fail("error_status_code", "expected a 32-bit integer");
                }
            }
            if (!inner.error_.empty()) {
                error_ = fmt::format("{}[]{}", name, inner.error_);
                return;
            }
            u.error_status_code = static_cast<command_status>(code);
            v.push_back(u);
        }
    }

    [[nodiscard]] const std::string& error() const noexcept { return error_; }

    static bool as_uint(const json::value& j, std::uint64_t& out) {
        if (j.is_uint64()) {
            out = j.as_uint64();
            return true;
        }
        if (j.is_int64() && j.as_int64() >= 0) {
            out = static_cast<std::uint64_t>(j.as_int64());
            return true;
        }
        if (j.is_string()) {  // "0x34" is friendlier than 52 for hex-minded operators
            std::string_view s = j.as_string();
            int base = 10;
            if (s.starts_with("0x") || s.starts_with("0X")) {
                s.remove_prefix(2);
                base = 16;
            }
            if (s.empty()) {
                return false;
            }
            std::uint64_t v = 0;
            for (char c : s) {
                int d = -1;
                if (c >= '0' && c <= '9') {
                    d = c - '0';
                } else if (base == 16 && c >= 'a' && c <= 'f') {
                    d = c - 'a' + 10;
                } else if (base == 16 && c >= 'A' && c <= 'F') {
                    d = c - 'A' + 10;
                }
                if (d < 0 || v > (UINT64_MAX - static_cast<std::uint64_t>(d)) / static_cast<std::uint64_t>(base)) {
                    return false;
                }
                v = v * static_cast<std::uint64_t>(base) + static_cast<std::uint64_t>(d);
            }
            out = v;
            return true;
        }
        return false;
    }

private:
    const json::value* lookup(std::string_view name) const {
        if (!error_.empty()) {
            return nullptr;
        }
        return fields_.if_contains(name);
    }
    template <std::size_t Max, std::size_t ReadMax>
    void read_string(std::string_view name, const json::value& j, c_string<Max, ReadMax>& v) {
        std::string octets;
        if (!j.is_string() || !utf8_to_latin1(j.as_string(), octets)) {
            fail(name, "expected a string of Latin-1 characters");
            return;
        }
        if (!v.assign(octets)) {
            fail(name, fmt::format("longer than {} characters or contains NUL", ReadMax - 1));
        }
    }
    void fail(std::string_view name, std::string_view why) {
        if (error_.empty()) {
            error_ = fmt::format(".{}: {}", name, why);
        }
    }

    const json::object& fields_;
    std::string error_;
};

bool read_tlv(const json::value& j, tlv_list& tlvs, std::string& error) {
    if (!j.is_object()) {
        error = "tlvs[]: expected objects";
        return false;
    }
    const auto& o = j.as_object();
    std::optional<tlv_info> info;
    std::uint16_t tag = 0;
    if (const auto* t = o.if_contains("tag")) {
        std::uint64_t n = 0;
        if (!json_reader::as_uint(*t, n) || n > 0xFFFF) {
            error = "tlvs[].tag: expected a 16-bit integer or \"0x....\"";
            return false;
        }
        tag = static_cast<std::uint16_t>(n);
        info = find_tlv_info(tag);
    } else if (const auto* n = o.if_contains("name"); n != nullptr && n->is_string()) {
        info = find_tlv_info(std::string_view(n->as_string()));
        if (!info) {
            error = fmt::format("tlvs[].name: unknown TLV '{}'", std::string_view(n->as_string()));
            return false;
        }
        tag = info->tag;
    } else {
        error = "tlvs[]: needs \"tag\" or \"name\"";
        return false;
    }

    std::vector<std::uint8_t> raw;
    if (const auto* h = o.if_contains("hex")) {
        if (!h->is_string() || !from_hex(h->as_string(), raw)) {
            error = fmt::format("tlvs[{}].hex: expected hex octets", hex_u16(tag));
            return false;
        }
    } else if (const auto* v = o.if_contains("value")) {
        const tlv_kind kind = info ? info->kind : tlv_kind::octets;
        std::uint64_t n = 0;
        switch (kind) {
            case tlv_kind::u8:
            case tlv_kind::u16:
            case tlv_kind::u32: {
                const std::size_t width = kind == tlv_kind::u8 ? 1 : kind == tlv_kind::u16 ? 2 : 4;
                if (!json_reader::as_uint(*v, n) || (width < 8 && n >> (8 * width) != 0)) {
                    error = fmt::format("tlvs[{}].value: expected an integer of {} octet(s)",
                                        hex_u16(tag), width);
                    return false;
                }
                for (std::size_t i = width; i-- > 0;) {
                    raw.push_back(static_cast<std::uint8_t>(n >> (8 * i)));
                }
                break;
            }
            case tlv_kind::c_string: {
                std::string octets;
                if (!v->is_string() || !utf8_to_latin1(v->as_string(), octets)) {
                    error = fmt::format("tlvs[{}].value: expected a Latin-1 string", hex_u16(tag));
                    return false;
                }
                raw.assign(octets.begin(), octets.end());
                raw.push_back(0);
                break;
            }
            case tlv_kind::empty: break;
            case tlv_kind::octets:
                if (!v->is_string() || !from_hex(v->as_string(), raw)) {
                    error = fmt::format("tlvs[{}].value: expected hex octets", hex_u16(tag));
                    return false;
                }
                break;
        }
    } else if (!info || info->kind != tlv_kind::empty) {
        error = fmt::format("tlvs[{}]: needs \"hex\" or \"value\"", hex_u16(tag));
        return false;
    }
    if (raw.size() > 0xFFFF) {
        error = fmt::format("tlvs[{}]: value longer than 65535 octets", hex_u16(tag));
        return false;
    }
    tlvs.append_raw(tag, raw);
    return true;
}

}  // namespace

std::string to_hex(std::span<const std::uint8_t> bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (auto b : bytes) {
        out.push_back(digits[b >> 4]);
        out.push_back(digits[b & 0x0F]);
    }
    return out;
}

bool from_hex(std::string_view hex, std::vector<std::uint8_t>& out) {
    out.clear();
    out.reserve(hex.size() / 2);
    int high = -1;
    for (char c : hex) {
        int d = -1;
        if (c >= '0' && c <= '9') {
            d = c - '0';
        } else if (c >= 'a' && c <= 'f') {
            d = c - 'a' + 10;
        } else if (c >= 'A' && c <= 'F') {
            d = c - 'A' + 10;
        } else if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
            continue;
        } else {
            return false;
        }
        if (high < 0) {
            high = d;
        } else {
            out.push_back(static_cast<std::uint8_t>((high << 4) | d));
            high = -1;
        }
    }
    return high < 0;
}

namespace {

json::value receipt_json(const receipt& r) {
    json::object o;
    o["id"] = r.id;
    if (r.sub) {
        o["sub"] = *r.sub;
    }
    if (r.dlvrd) {
        o["dlvrd"] = *r.dlvrd;
    }
    auto date = [](std::chrono::sys_seconds t) { return format_utc(t); };
    if (r.submit_date) {
        o["submit_date"] = date(*r.submit_date);
    }
    if (r.done_date) {
        o["done_date"] = date(*r.done_date);
    }
    o["stat"] = r.stat;
    if (r.state) {
        o["message_state"] = static_cast<int>(*r.state);
        o["message_state_name"] = stat_text(*r.state);
    }
    o["err"] = r.err;
    if (auto code = r.error_code()) {
        o["error_code"] = *code;
    }
    o["text"] = r.text;
    return o;
}

}  // namespace

json::object to_json(const pdu& p, const json_view_options& options) {
    json::object o;
    o["command"] = p.command_name();
    o["command_status"] = p.command_status;
    const auto status = status_name(p.command_status);
    o["command_status_name"] =
        status.empty() ? fmt::format("0x{:08x}", p.command_status) : std::string(status);
    o["sequence_number"] = p.sequence_number;
    json::object fields;
    if (!p.omit_body) {
        json_writer writer(fields);
        std::visit([&](const auto& b) { std::decay_t<decltype(b)>::fields(b, writer); }, p.body);
    }
    o["fields"] = std::move(fields);
    json::array tlvs;
    for (auto e : p.tlvs) {
        json::object t;
        t["tag"] = hex_u16(e.tag);
        const auto info = find_tlv_info(e.tag);
        t["name"] = info ? info->name : std::string_view("unknown");
        t["length"] = e.value.size();
        t["value"] = info ? tlv_value(*info, e.value) : json::value(to_hex(e.value));
        t["hex"] = to_hex(e.value);
        tlvs.push_back(std::move(t));
    }
    o["tlvs"] = std::move(tlvs);
    if (options.include_text) {
        if (const auto view = view_message(p); view && !view->content.empty()) {
            const decoded_text text = message_text(p);
            if (text.kind == content_kind::text) {
                o["text"] = text.text;
            }
            o["encoding"] = to_string(text.coding.encoding);
        }
        if (auto r = receipt_of(p)) {
            o["receipt"] = receipt_json(*r);
        }
    }
    return o;
}

bool from_json(const json::value& v, pdu& out, std::string& error) {
    if (!v.is_object()) {
        error = "expected a JSON object";
        return false;
    }
    const auto& o = v.as_object();
    const auto* command = o.if_contains("command");
    if (command == nullptr || !command->is_string()) {
        error = "command: expected the PDU name, e.g. \"submit_sm\"";
        return false;
    }
    const auto id = command_from_name(std::string_view(command->as_string()));
    if (!id) {
        error = fmt::format("command: unknown PDU '{}'", std::string_view(command->as_string()));
        return false;
    }
    out = pdu{};
    if (!emplace_body(*id, out.body)) {
        error = "command: no body type";
        return false;
    }

    std::uint64_t n = 0;
    if (const auto* s = o.if_contains("command_status")) {
        if (!json_reader::as_uint(*s, n) || n > 0xFFFFFFFFU) {
            error = "command_status: expected a 32-bit integer";
            return false;
        }
        out.command_status = static_cast<std::uint32_t>(n);
    } else if (const auto* sn = o.if_contains("command_status_name")) {
        const auto named = sn->is_string() ? status_from_name(std::string_view(sn->as_string()))
                                           : std::nullopt;
        if (!named) {
            error = "command_status_name: unknown status name";
            return false;
        }
        out.command_status = *named;
    }
    if (const auto* s = o.if_contains("sequence_number")) {
        if (!json_reader::as_uint(*s, n) || n > 0xFFFFFFFFU) {
            error = "sequence_number: expected a 32-bit integer";
            return false;
        }
        out.sequence_number = static_cast<std::uint32_t>(n);
    }

    const auto* fields = o.if_contains("fields");
    if (fields != nullptr && !fields->is_object()) {
        error = "fields: expected an object";
        return false;
    }
    static const json::object no_fields;
    const json::object& field_object = fields != nullptr ? fields->as_object() : no_fields;
    // A response given without fields is written header-only, the way it would have arrived.
    out.omit_body = is_response(*id) && field_object.empty();
    json_reader reader(field_object);
    std::visit([&](auto& b) { std::decay_t<decltype(b)>::fields(b, reader); }, out.body);
    if (!reader.error().empty()) {
        error = "fields" + reader.error();
        return false;
    }

    if (const auto* tlvs = o.if_contains("tlvs")) {
        if (!tlvs->is_array()) {
            error = "tlvs: expected an array";
            return false;
        }
        for (const auto& t : tlvs->as_array()) {
            if (!read_tlv(t, out.tlvs, error)) {
                return false;
            }
        }
    }
    return true;
}

}  // namespace smppgw::smpp
