#include "wire/wire.hpp"

#include <charconv>

#include "smppgw/smpp/codec.hpp"
#include "smppgw/smpp/segmentation.hpp"
#include "smppgw/smpp/smpp_time.hpp"
#include "smppgw/smpp/text.hpp"

namespace smppgw::gateway {
namespace {

std::string_view as_chars(std::span<const std::uint8_t> b) {
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}

std::span<const std::uint8_t> as_bytes(std::string_view s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

bool is_class_marker(std::string_view service_type) {
    return service_type == "MKT" || service_type == "TXN" || service_type == "CNV";
}

// TLVs that describe the upstream hop or that smppgw rebuilds itself.
bool strip_on_forward(std::uint16_t tag) {
    return tag == smpp::tlv::message_payload::tag || tag == tlv_message_class ||
           tag == tlv_campaign;
}

void fill_addresses(smpp::sm_fields& f, const store::message_record& rec) {
    (void)f.service_type.assign(is_class_marker(rec.service_type) ? "" : rec.service_type);
    f.source_addr_ton = rec.source.ton;
    f.source_addr_npi = rec.source.npi;
    (void)f.source_addr.assign(rec.source.addr);
    // Carriers get the normalized E.164 destination, whatever form the upstream used.
    if (!rec.msisdn.empty()) {
        f.dest_addr_ton = 1;
        f.dest_addr_npi = 1;
        (void)f.destination_addr.assign(rec.msisdn);
    } else {
        f.dest_addr_ton = rec.destination.ton;
        f.dest_addr_npi = rec.destination.npi;
        (void)f.destination_addr.assign(rec.destination.addr);
    }
}

std::string format_absolute(time_point t) {
    const auto formatted = smpp::format_smpp_time(smpp::smpp_time::absolute(t));
    return formatted.ec ? std::string() : std::string(formatted.text.view());
}

// SMPP 3.4 Appendix B: the receipt's text field holds the first 20 characters.
constexpr std::size_t receipt_text_chars = 20;

// The first `count` characters (code points) of UTF-8 text.
std::string_view utf8_head(std::string_view text, std::size_t count) noexcept {
    std::size_t pos = 0;
    for (std::size_t chars = 0; chars < count && pos < text.size(); ++chars) {
        char32_t cp = 0;
        const std::size_t n = smpp::utf8_decode_one(text, pos, cp);
        pos += n == 0 ? 1 : n;
    }
    return text.substr(0, pos);
}

// Characters that read the same whether data_coding 0 is taken as ASCII or as GSM 03.38
// (unpacked): letters, digits, space and the punctuation both tables put at the same code.
bool same_in_ascii_and_gsm(char32_t c) noexcept {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == ' ' ||
           c == '!' || c == '"' || c == '#' || (c >= '%' && c <= '/') || (c >= ':' && c <= '?');
}

std::string receipt_safe(std::string_view utf8) {
    std::string out;
    for (std::size_t pos = 0; pos < utf8.size();) {
        char32_t cp = 0;
        const std::size_t n = smpp::utf8_decode_one(utf8, pos, cp);
        pos += n == 0 ? 1 : n;
        if (n != 0 && same_in_ascii_and_gsm(cp)) {
            out.push_back(static_cast<char>(cp));
        } else if (n != 0 && (cp == '\n' || cp == '\r' || cp == '\t')) {
            out.push_back(' ');
        } else {
            out.push_back('?');
        }
    }
    return out;
}

// The UDH elements of `header` (UDHL first) other than concatenation, raw: a re-split message
// carries them in every part. False when an element runs past the header.
bool non_concat_ies(std::span<const std::uint8_t> header, std::vector<std::uint8_t>& out) {
    out.clear();
    for (std::size_t at = 1; at < header.size();) {
        if (at + 2 > header.size() || at + 2 + header[at + 1] > header.size()) {
            return false;
        }
        const std::size_t length = 2U + header[at + 1];
        if (header[at] != smpp::iei_concat_8bit && header[at] != smpp::iei_concat_16bit) {
            out.insert(out.end(), header.begin() + static_cast<std::ptrdiff_t>(at),
                       header.begin() + static_cast<std::ptrdiff_t>(at + length));
        }
        at += length;
    }
    return true;
}

// A data_sm's fields as a deliver_sm (3.3 has no data_sm). False when an address is longer
// than deliver_sm's C(21).
bool as_deliver_sm(const smpp::data_sm& d, smpp::deliver_sm& out) {
    out = {};
    (void)out.service_type.assign(d.service_type.view());
    out.source_addr_ton = d.source_addr_ton;
    out.source_addr_npi = d.source_addr_npi;
    out.dest_addr_ton = d.dest_addr_ton;
    out.dest_addr_npi = d.dest_addr_npi;
    out.esm_class = d.esm_class;
    out.registered_delivery = d.registered_delivery;
    out.data_coding = d.data_coding;
    return out.source_addr.assign(d.source_addr.view()) &&
           out.destination_addr.assign(d.destination_addr.view());
}

}  // namespace

policy::message_class message_class_of(const smpp::message_view& v, const smpp::tlv_list& tlvs,
                                       policy::message_class account_default) {
    if (auto raw = tlvs.find(tlv_message_class); raw && raw->size() == 1 && (*raw)[0] <= 2) {
        return static_cast<policy::message_class>((*raw)[0]);
    }
    if (v.service_type == "MKT") {
        return policy::message_class::promotional;
    }
    if (v.service_type == "TXN") {
        return policy::message_class::transactional;
    }
    if (v.service_type == "CNV") {
        return policy::message_class::conversational;
    }
    return account_default;
}

std::string campaign_of(const smpp::tlv_list& tlvs, const account_config& account) {
    const auto raw = tlvs.find(tlv_campaign);
    if (!raw) {
        return {};
    }
    auto name = as_chars(*raw);
    if (!name.empty() && name.back() == '\0') {
        name.remove_suffix(1);
    }
    if (name.empty()) {
        return {};  // an empty name is no campaign
    }
    for (const auto& listed : account.campaigns) {
        if (name == listed) {
            return listed;
        }
    }
    return "other";
}

submit_fields check_submit_fields(const smpp::pdu& p, const smpp::message_view& v, time_point now) {
    submit_fields out;
    auto read_time = [&](std::string_view text,
                         smpp::command_status bad) -> std::optional<time_point> {
        if (text.empty()) {
            return std::nullopt;
        }
        const auto parsed = smpp::parse_smpp_time(text);
        if (parsed.ec) {
            out.status = bad;
            return std::nullopt;
        }
        const auto at = smpp::resolve(parsed.time, now);
        if (!at) {
            out.status = bad;
        }
        return at;
    };
    if (const auto* s = std::get_if<smpp::submit_sm>(&p.body)) {
        out.schedule = read_time(s->schedule_delivery_time.view(), smpp::status::ESME_RINVSCHED);
        if (out.status == smpp::status::ESME_ROK) {
            out.validity = read_time(s->validity_period.view(), smpp::status::ESME_RINVEXPIRY);
        }
        if (out.status == smpp::status::ESME_ROK && s->replace_if_present_flag > 1) {
            out.status = smpp::status::ESME_RINVREPFLAG;
        }
        if (out.status == smpp::status::ESME_ROK && s->priority_flag > 3) {
            out.status = smpp::status::ESME_RINVPRTFLG;
        }
        if (out.status == smpp::status::ESME_ROK && !s->short_message.empty() &&
            p.tlvs.contains(smpp::tlv::message_payload::tag)) {
            out.status = smpp::status::ESME_RINVMSGLEN;  // both payload forms: ambiguous
        }
    }
    if (out.status == smpp::status::ESME_ROK && (v.registered_delivery & 0xE0) != 0) {
        out.status = smpp::status::ESME_RINVREGDLVFLG;
    }
    if (out.status == smpp::status::ESME_ROK && v.content.empty()) {
        out.status = smpp::status::ESME_RINVMSGLEN;
    }
    return out;
}

store::message_record make_record(const smpp::pdu& p, const smpp::message_view& v,
                                  std::uint8_t dest_ton, std::uint8_t dest_npi,
                                  std::string_view destination, const account_config& account,
                                  policy::message_class klass, const submit_fields& fields,
                                  time_point now) {
    store::message_record rec;
    rec.account = account.system_id;
    rec.brand = account.brand;
    rec.klass = klass;
    rec.source = {v.source_addr_ton, v.source_addr_npi, std::string(v.source_addr)};
    rec.destination = {dest_ton, dest_npi, std::string(destination)};
    rec.service_type = std::string(v.service_type);
    rec.esm_class = v.esm_class;
    rec.registered_delivery = v.registered_delivery;
    rec.data_coding = v.data_coding;
    if (const auto* s = std::get_if<smpp::submit_sm>(&p.body)) {
        rec.protocol_id = s->protocol_id;
        rec.priority_flag = s->priority_flag;
    } else if (const auto* m = std::get_if<smpp::submit_multi>(&p.body)) {
        rec.protocol_id = m->protocol_id;
        rec.priority_flag = m->priority_flag;
    }
    rec.payload = as_chars(v.content);
    // Built in a buffer this thread keeps, then copied once into the record's own block: no
    // allocation per message beyond that block.
    thread_local std::string tlvs;
    tlvs.clear();
    for (auto e : p.tlvs) {
        if (strip_on_forward(e.tag)) {
            continue;
        }
        tlvs.push_back(static_cast<char>(e.tag >> 8));
        tlvs.push_back(static_cast<char>(e.tag & 0xFF));
        tlvs.push_back(static_cast<char>(e.value.size() >> 8));
        tlvs.push_back(static_cast<char>(e.value.size() & 0xFF));
        tlvs.append(as_chars(e.value));
    }
    rec.tlvs = tlvs;
    rec.campaign = campaign_of(p.tlvs, account);
    rec.received = now;
    rec.schedule_delivery = fields.schedule;
    rec.validity = fields.validity;
    rec.state = store::message_state::accepted;
    rec.history.push_back({store::message_state::accepted, now});
    return rec;
}

std::vector<smpp::pdu> build_carrier_parts(const store::message_record& rec,
                                           const carrier_config& carrier, std::uint16_t reference) {
    smpp::tlv_list tlvs;
    (void)tlvs.assign_wire(as_bytes(rec.tlvs));

    smpp::submit_sm base;
    fill_addresses(base, rec);
    base.esm_class = rec.esm_class;
    base.protocol_id = rec.protocol_id;
    base.priority_flag = rec.priority_flag;
    if (rec.validity) {
        (void)base.validity_period.assign(format_absolute(*rec.validity));
    }
    if (rec.schedule_delivery && *rec.schedule_delivery > rec.received) {
        (void)base.schedule_delivery_time.assign(format_absolute(*rec.schedule_delivery));
    }
    // smppgw tracks every message, so it always asks the carrier for a receipt (success or
    // failure) whatever the upstream asked for; the upstream gets one only if it asked.
    base.registered_delivery = 0x01;
    base.data_coding = rec.data_coding;

    const auto payload = as_bytes(rec.payload);
    const bool pre_split =
        (rec.esm_class & smpp::esm::udhi) != 0 || tlvs.contains(smpp::tlv::sar_msg_ref_num::tag);
    const auto coding = smpp::interpret_data_coding(rec.data_coding);
    smpp::text_encoding encoding = coding.encoding;
    if (encoding == smpp::text_encoding::unsupported) {
        encoding = smpp::text_encoding::binary;  // octets we cannot read still split as octets
    }
    const std::size_t units =
        encoding == smpp::text_encoding::ucs2 ? payload.size() / 2 : payload.size();
    const bool fits = units <= smpp::part_capacity(encoding, 0) &&
                      payload.size() <= smpp::short_message_t::spec_max;

    auto one = [&](bool in_payload) {
        smpp::pdu p;
        smpp::submit_sm s = base;
        p.tlvs = tlvs;
        if (in_payload) {
            p.tlvs.set<smpp::tlv::message_payload>(payload);
        } else {
            (void)s.short_message.assign(payload);
        }
        p.body = s;
        return p;
    };

    std::vector<smpp::pdu> out;
    if (fits || (pre_split && payload.size() <= smpp::short_message_t::spec_max)) {
        out.push_back(one(false));
        return out;
    }
    if (pre_split || carrier.segmentation == segmentation_mode::payload) {
        out.push_back(one(true));
        return out;
    }
    smpp::segmentation_options options;
    options.method = carrier.segmentation == segmentation_mode::sar ? smpp::concat_method::sar
                                                                    : smpp::concat_method::udh;
    options.reference_16bit = false;
    std::vector<smpp::message_part> parts;
    if (smpp::split_encoded(payload, encoding, static_cast<std::uint16_t>(reference & 0xFF),
                            options, parts)) {
        // Cannot split (too many parts for the options): the carrier gets one message_payload.
        out.push_back(one(true));
        return out;
    }
    for (const auto& part : parts) {
        smpp::pdu p;
        smpp::submit_sm s = base;
        p.tlvs = tlvs;
        (void)s.short_message.assign(part.bytes);
        if (part.udhi) {
            s.esm_class = static_cast<std::uint8_t>(s.esm_class | smpp::esm::udhi);
        }
        if (part.sar) {
            p.tlvs.set<smpp::tlv::sar_msg_ref_num>(part.sar_msg_ref_num);
            p.tlvs.set<smpp::tlv::sar_total_segments>(part.sar_total_segments);
            p.tlvs.set<smpp::tlv::sar_segment_seqnum>(part.sar_segment_seqnum);
        }
        p.body = s;
        out.push_back(std::move(p));
    }
    return out;
}

std::string format_message_id(store::message_id id) {
    return std::to_string(id);
}

std::optional<store::message_id> parse_message_id(std::string_view s) {
    store::message_id id = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), id);
    if (ec != std::errc{} || end != s.data() + s.size() || s.empty()) {
        return std::nullopt;
    }
    return id;
}

smpp::message_state to_smpp_state(store::message_state s) noexcept {
    using store::message_state;
    switch (s) {
        case message_state::accepted:
        case message_state::deferred:
        case message_state::queued:
        case message_state::submitted:
            return smpp::message_state::accepted;
        case message_state::enroute:
            return smpp::message_state::enroute;
        case message_state::delivered:
            return smpp::message_state::delivered;
        case message_state::failed:
            return smpp::message_state::undeliverable;
        case message_state::expired:
            return smpp::message_state::expired;
        case message_state::cancelled:
            return smpp::message_state::deleted;
        case message_state::rejected:
            return smpp::message_state::rejected;
        case message_state::undeliverable:
            return smpp::message_state::undeliverable;
        case message_state::unknown:
            return smpp::message_state::unknown;
    }
    return smpp::message_state::unknown;
}

store::message_state to_store_state(smpp::message_state s) noexcept {
    switch (s) {
        case smpp::message_state::delivered:
            return store::message_state::delivered;
        case smpp::message_state::expired:
            return store::message_state::expired;
        case smpp::message_state::deleted:
            return store::message_state::cancelled;
        case smpp::message_state::undeliverable:
            return store::message_state::undeliverable;
        case smpp::message_state::rejected:
            return store::message_state::rejected;
        case smpp::message_state::unknown:
            return store::message_state::unknown;
        case smpp::message_state::skipped:
            return store::message_state::failed;
        case smpp::message_state::scheduled:
        case smpp::message_state::enroute:
        case smpp::message_state::accepted:
            return store::message_state::enroute;
    }
    return store::message_state::unknown;
}

bool receipt_wanted(std::uint8_t registered_delivery, store::message_state s) noexcept {
    const bool final_state = store::is_final(s);
    if (!final_state) {
        return (registered_delivery & 0x10) != 0;
    }
    const bool success = s == store::message_state::delivered;
    switch (registered_delivery & 0x03) {
        case 0x01:
            return true;
        case 0x02:
            return !success;
        case 0x03:
            return success;
        default:
            return false;
    }
}

smpp::pdu build_upstream_receipt(const receipt_facts& f) {
    const std::string id = format_message_id(f.id);
    smpp::outbound_receipt r;
    r.id = id;
    r.submitted = f.parts;
    r.delivered = f.delivered_parts;
    r.submit_date = std::chrono::floor<std::chrono::seconds>(f.submitted);
    r.done_date = std::chrono::floor<std::chrono::seconds>(f.done);
    r.state = to_smpp_state(f.state);
    r.err = f.error;
    const std::string original = receipt_safe(utf8_head(f.text, receipt_text_chars));
    r.text = original;
    const std::string text = smpp::format_receipt_text(r);

    smpp::pdu p;
    smpp::deliver_sm d;
    // The receipt travels from the handset back to the application: addresses swapped.
    if (f.destination != nullptr) {
        d.source_addr_ton = f.destination->ton;
        d.source_addr_npi = f.destination->npi;
        (void)d.source_addr.assign(f.destination->addr);
    }
    if (f.source != nullptr) {
        d.dest_addr_ton = f.source->ton;
        d.dest_addr_npi = f.source->npi;
        (void)d.destination_addr.assign(f.source->addr);
    }
    d.esm_class = smpp::esm::smsc_delivery_receipt;
    d.data_coding = 0x00;
    (void)d.short_message.assign(std::string_view(text).substr(0, smpp::short_message_t::spec_max));
    p.body = d;
    p.tlvs.set<smpp::tlv::receipted_message_id>(id);
    p.tlvs.set<smpp::tlv::message_state>(static_cast<std::uint8_t>(r.state));
    if (f.error != 0) {
        // Network type 3 (GSM) is what receivers assume when they see a bare error code.
        const std::uint8_t nec[3] = {3, static_cast<std::uint8_t>(f.error >> 8),
                                     static_cast<std::uint8_t>(f.error & 0xFF)};
        p.tlvs.set<smpp::tlv::network_error_code>(nec);
    }
    return p;
}

smpp::pdu build_upstream_mo(const smpp::pdu& carrier_pdu) {
    smpp::pdu p;
    p.body = carrier_pdu.body;
    for (auto e : carrier_pdu.tlvs) {
        // Network ids of the carrier hop mean nothing upstream and 3.4 peers may refuse them.
        if (e.tag >= 0x0600 && e.tag <= 0x10FF) {
            continue;
        }
        p.tlvs.append_raw(e.tag, e.value);
    }
    return p;
}

std::string receipt_text_of(const store::message_record& rec) {
    const auto payload = as_bytes(rec.payload);
    const bool udhi = (rec.esm_class & smpp::esm::udhi) != 0;
    // Decode no more than 20 characters can take (4 octets each at most), after the UDH.
    const std::size_t header = udhi && !payload.empty() ? payload[0] + 1U : 0U;
    const auto head = payload.first(std::min(payload.size(), header + 4 * receipt_text_chars));
    const auto decoded = smpp::decode_short_message(head, rec.data_coding, udhi);
    if (decoded.kind != smpp::content_kind::text) {
        return {};
    }
    return std::string(utf8_head(decoded.text, receipt_text_chars));
}

smpp::pdu build_reassembled_mo(const smpp::message_view& part, const smpp::tlv_list& tlvs,
                               const smpp::reassembled_message& whole) {
    smpp::deliver_sm d;
    (void)d.service_type.assign(part.service_type);
    d.source_addr_ton = part.source_addr_ton;
    d.source_addr_npi = part.source_addr_npi;
    (void)d.source_addr.assign(part.source_addr.substr(0, smpp::address_21::max_length));
    d.dest_addr_ton = part.dest_addr_ton;
    d.dest_addr_npi = part.dest_addr_npi;
    (void)d.destination_addr.assign(part.destination_addr.substr(0, smpp::address_21::max_length));
    d.esm_class = whole.esm_class;
    d.data_coding = whole.data_coding;
    smpp::pdu p;
    p.tlvs = tlvs;
    p.tlvs.erase(smpp::tlv::sar_msg_ref_num::tag);
    p.tlvs.erase(smpp::tlv::sar_total_segments::tag);
    p.tlvs.erase(smpp::tlv::sar_segment_seqnum::tag);
    p.tlvs.erase(smpp::tlv::message_payload::tag);
    if (whole.payload.size() <= smpp::short_message_t::spec_max) {
        (void)d.short_message.assign(whole.payload);
    } else {
        p.tlvs.set<smpp::tlv::message_payload>(whole.payload);
    }
    p.body = d;
    return p;
}

peer_delivery adapt_for_peer(const smpp::pdu& p, std::uint8_t interface_version,
                             std::uint8_t reference) {
    peer_delivery out;
    const auto view = smpp::view_message(p);
    const auto* deliver = std::get_if<smpp::deliver_sm>(&p.body);
    const auto* data = std::get_if<smpp::data_sm>(&p.body);
    if (interface_version >= smpp_3_4 || !view || (deliver == nullptr && data == nullptr)) {
        out.parts.push_back(p);
        return out;
    }
    const auto unchanged = [&](std::error_code ec) {
        out.parts.assign(1, p);
        out.ec = ec;
        return out;
    };
    smpp::deliver_sm base;
    if (deliver != nullptr) {
        base = *deliver;
    } else if (!as_deliver_sm(*data, base)) {
        return unchanged(make_error_code(std::errc::value_too_large));
    }
    const auto one = [&](std::span<const std::uint8_t> content, std::uint8_t esm_class) {
        smpp::pdu q;
        q.command_status = p.command_status;
        q.sequence_number = p.sequence_number;
        smpp::deliver_sm d = base;
        d.esm_class = esm_class;
        (void)d.short_message.assign(content);
        q.body = d;
        return q;  // no TLVs: 3.3 has none
    };
    if (!view->content_in_payload || view->content.size() <= smpp::short_message_t::spec_max) {
        out.parts.push_back(one(view->content, base.esm_class));
        return out;
    }

    // Longer than short_message: parts a handset would get, each with a concatenation UDH.
    auto text = view->content;
    std::vector<std::uint8_t> extra_ies;
    if ((base.esm_class & smpp::esm::udhi) != 0) {
        const auto udh = smpp::parse_udh(text);
        if (udh.ec || !non_concat_ies(udh.header, extra_ies)) {
            return unchanged(udh.ec ? udh.ec : make_error_code(smpp::text_errc::udh_overrun));
        }
        text = udh.payload;
    }
    auto encoding = smpp::interpret_data_coding(base.data_coding).encoding;
    if (encoding == smpp::text_encoding::unsupported) {
        encoding = smpp::text_encoding::binary;  // octets we cannot read still split as octets
    }
    smpp::segmentation_options options;
    options.method = smpp::concat_method::udh;
    options.extra_ies = extra_ies;
    std::vector<smpp::message_part> split;
    if (const auto ec = smpp::split_encoded(text, encoding, reference, options, split)) {
        return unchanged(ec);
    }
    const auto esm_class = static_cast<std::uint8_t>(base.esm_class | smpp::esm::udhi);
    for (const auto& part : split) {
        out.parts.push_back(one(part.bytes, part.udhi ? esm_class : base.esm_class));
    }
    return out;
}

void split_deliveries::add(std::uint64_t entry, std::span<const std::uint64_t> sent_parts,
                           bool all_sent) {
    for (const auto cookie : sent_parts) {
        parts_[cookie] = entry;
    }
    entries_[entry] = {sent_parts.size(),
                       all_sent ? smpp::status::ESME_ROK : smpp::status::ESME_RSYSERR};
}

std::optional<split_deliveries::outcome> split_deliveries::answered(std::uint64_t cookie,
                                                                    std::uint32_t status) {
    const auto part = parts_.find(cookie);
    if (part == parts_.end()) {
        return std::nullopt;
    }
    const std::uint64_t entry = part->second;
    parts_.erase(part);
    auto& state = entries_[entry];
    if (state.status == smpp::status::ESME_ROK) {
        state.status = status;
    }
    if (state.unanswered > 0) {
        --state.unanswered;
    }
    const outcome o{entry, state.unanswered == 0, state.status};
    if (o.complete) {
        entries_.erase(entry);
    }
    return o;
}

void split_deliveries::clear() noexcept {
    parts_.clear();
    entries_.clear();
}

store::message_record make_reply_record(std::string_view account, std::string_view brand,
                                        std::string_view from_number, std::string_view to_msisdn,
                                        std::string_view text, time_point now) {
    store::message_record rec;
    rec.account = std::string(account);
    rec.brand = std::string(brand);
    rec.klass = policy::message_class::conversational;
    const bool short_code = from_number.size() <= 8;
    rec.source = {static_cast<std::uint8_t>(short_code ? 3 : 1), 1, std::string(from_number)};
    rec.destination = {1, 1, std::string(to_msisdn)};
    rec.msisdn = std::string(to_msisdn);
    const auto choice = smpp::choose_encoding(text, false);
    std::vector<std::uint8_t> encoded;
    if (choice.encoding == smpp::text_encoding::gsm7 && !smpp::encode_gsm7(text, encoded)) {
        rec.data_coding = 0x00;
    } else {
        encoded.clear();
        (void)smpp::encode_ucs2(text, encoded);
        rec.data_coding = 0x08;
    }
    rec.payload = as_chars(encoded);
    rec.received = now;
    rec.state = store::message_state::accepted;
    rec.history.push_back({store::message_state::accepted, now});
    return rec;
}

}  // namespace smppgw::gateway

namespace smppgw::gateway {

std::string encode_receipt(const receipt_facts& f) {
    auto pdu = build_upstream_receipt(f);
    pdu.sequence_number = 1;  // replaced by the delivering session
    std::vector<std::uint8_t> bytes;
    if (smpp::encode(pdu, bytes)) {
        return {};
    }
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

std::string final_receipt_bytes(const store::message_record& rec, store::message_state state,
                                std::uint32_t error, time_point now) {
    if (!receipt_wanted(rec.registered_delivery, state)) {
        return {};
    }
    receipt_facts f;
    f.id = rec.id;
    f.source = &rec.source;
    f.destination = &rec.destination;
    f.submitted = rec.received;
    f.done = now;
    f.state = state;
    f.error = error;
    f.parts = std::max<std::uint32_t>(1, static_cast<std::uint32_t>(rec.parts.size()));
    f.delivered_parts = 0;
    const auto text = receipt_text_of(rec);
    f.text = text;
    return encode_receipt(f);
}

}  // namespace smppgw::gateway
