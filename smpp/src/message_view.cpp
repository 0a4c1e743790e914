#include "smppgw/smpp/message_view.hpp"

namespace smppgw::smpp {
namespace {

template <typename T>
message_view sm_view(const T& b) noexcept {
    message_view v;
    v.service_type = b.service_type.view();
    v.source_addr_ton = b.source_addr_ton;
    v.source_addr_npi = b.source_addr_npi;
    v.source_addr = b.source_addr.view();
    if constexpr (requires { b.destination_addr; }) {
        v.dest_addr_ton = b.dest_addr_ton;
        v.dest_addr_npi = b.dest_addr_npi;
        v.destination_addr = b.destination_addr.view();
    }
    v.esm_class = b.esm_class;
    v.registered_delivery = b.registered_delivery;
    v.data_coding = b.data_coding;
    if constexpr (requires { b.short_message; }) {
        v.content = b.short_message.bytes();
    }
    return v;
}

}  // namespace

std::optional<message_view> view_message(const pdu& p) noexcept {
    std::optional<message_view> v;
    if (const auto* s = std::get_if<submit_sm>(&p.body)) {
        v = sm_view(*s);
    } else if (const auto* d = std::get_if<deliver_sm>(&p.body)) {
        v = sm_view(*d);
    } else if (const auto* ds = std::get_if<data_sm>(&p.body)) {
        v = sm_view(*ds);
    } else if (const auto* m = std::get_if<submit_multi>(&p.body)) {
        v = sm_view(*m);
    } else {
        return std::nullopt;
    }
    if (v->content.empty()) {
        if (auto payload = p.tlvs.get<tlv::message_payload>()) {
            v->content = *payload;
            v->content_in_payload = true;
        }
    }
    return v;
}

bool is_receipt(const pdu& p) noexcept {
    const auto id = p.command_id();
    if (id != command_id::deliver_sm && id != command_id::data_sm) {
        return false;
    }
    const auto v = view_message(p);
    return v && esm_class_marks_receipt(v->esm_class);
}

decoded_text message_text(const pdu& p, const text_decode_options& options) {
    const auto v = view_message(p);
    if (!v) {
        return {};
    }
    return decode_short_message(v->content, v->data_coding, (v->esm_class & esm::udhi) != 0,
                                options);
}

std::optional<receipt> receipt_of(const pdu& p, const text_decode_options& options) {
    if (!is_receipt(p)) {
        return std::nullopt;
    }
    const decoded_text text = message_text(p, options);
    receipt_tlvs tlvs;
    tlvs.receipted_message_id = p.tlvs.get<tlv::receipted_message_id>();
    tlvs.message_state = p.tlvs.get<tlv::message_state>();
    if (auto raw = p.tlvs.find(tlv::network_error_code::tag)) {
        tlvs.network_error_code =
            std::string_view(reinterpret_cast<const char*>(raw->data()), raw->size());
    }
    return parse_receipt(text.text, tlvs);
}

}  // namespace smppgw::smpp
