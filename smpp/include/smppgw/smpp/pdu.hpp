#pragma once
// SMPP 3.4 PDUs as plain value types (SMPP.md §2, §3).
//
// Each body struct lists its mandatory fields in wire order through a static `fields` function;
// the decoder, the encoder and the JSON view all walk that one list, so a layout is written down
// exactly once. TLVs and the header live in `pdu`, which every body shares.

#include <cstdint>
#include <string_view>
#include <variant>
#include <vector>

#include "smppgw/smpp/command.hpp"
#include "smppgw/smpp/fields.hpp"
#include "smppgw/smpp/tlv.hpp"

namespace smppgw::smpp {

using address_21 = c_string<21>;
using address_65 = c_string<65>;
using message_id_t = c_string<65>;
using smpp_time_t = c_string<17>;  // "" or YYMMDDhhmmsstnnp (SMPP.md §7.4)
// C(9) in the spec, but peers send longer passwords (gosmpp's own outbind test uses 9
// characters); they are read, and refused by the strict encoder.
using password_t = c_string<9, 17>;

// system_id C(16) | password C(9) | system_type C(13) | interface_version Int(1) |
// addr_ton Int(1) | addr_npi Int(1) | address_range C(41)
struct bind_fields {
    c_string<16> system_id;
    password_t password;
    c_string<13> system_type;
    std::uint8_t interface_version = 0x34;
    std::uint8_t addr_ton = 0;
    std::uint8_t addr_npi = 0;
    c_string<41> address_range;

    template <typename Self, typename V>
    static void fields(Self& s, V&& v) {
        v("system_id", s.system_id);
        v("password", s.password);
        v("system_type", s.system_type);
        v("interface_version", s.interface_version);
        v("addr_ton", s.addr_ton);
        v("addr_npi", s.addr_npi);
        v("address_range", s.address_range);
    }
    friend bool operator==(const bind_fields&, const bind_fields&) = default;
};

struct bind_transmitter : bind_fields {
    static constexpr auto id = command_id::bind_transmitter;
};
struct bind_receiver : bind_fields {
    static constexpr auto id = command_id::bind_receiver;
};
struct bind_transceiver : bind_fields {
    static constexpr auto id = command_id::bind_transceiver;
};

// system_id C(16); TLV sc_interface_version allowed
struct bind_resp_fields {
    c_string<16> system_id;

    template <typename Self, typename V>
    static void fields(Self& s, V&& v) {
        v("system_id", s.system_id);
    }
    friend bool operator==(const bind_resp_fields&, const bind_resp_fields&) = default;
};

struct bind_transmitter_resp : bind_resp_fields {
    static constexpr auto id = command_id::bind_transmitter_resp;
};
struct bind_receiver_resp : bind_resp_fields {
    static constexpr auto id = command_id::bind_receiver_resp;
};
struct bind_transceiver_resp : bind_resp_fields {
    static constexpr auto id = command_id::bind_transceiver_resp;
};

// system_id C(16) | password C(9)
struct outbind {
    static constexpr auto id = command_id::outbind;
    c_string<16> system_id;
    password_t password;

    template <typename Self, typename V>
    static void fields(Self& s, V&& v) {
        v("system_id", s.system_id);
        v("password", s.password);
    }
    friend bool operator==(const outbind&, const outbind&) = default;
};

// Header-only PDUs: no body at all.
template <command_id Id>
struct header_only {
    static constexpr auto id = Id;
    template <typename Self, typename V>
    static void fields(Self&, V&&) {}
    friend bool operator==(const header_only&, const header_only&) = default;
};
using unbind = header_only<command_id::unbind>;
using unbind_resp = header_only<command_id::unbind_resp>;
using enquire_link = header_only<command_id::enquire_link>;
using enquire_link_resp = header_only<command_id::enquire_link_resp>;
using generic_nack = header_only<command_id::generic_nack>;
using cancel_sm_resp = header_only<command_id::cancel_sm_resp>;
using replace_sm_resp = header_only<command_id::replace_sm_resp>;

// The layout submit_sm and deliver_sm share:
// service_type C(6) | source_addr_ton Int(1) | source_addr_npi Int(1) | source_addr C(21) |
// dest_addr_ton Int(1) | dest_addr_npi Int(1) | destination_addr C(21) | esm_class Int(1) |
// protocol_id Int(1) | priority_flag Int(1) | schedule_delivery_time C(17) |
// validity_period C(17) | registered_delivery Int(1) | replace_if_present_flag Int(1) |
// data_coding Int(1) | sm_default_msg_id Int(1) | sm_length Int(1) | short_message Oct(sm_length)
struct sm_fields {
    c_string<6> service_type;
    std::uint8_t source_addr_ton = 0;
    std::uint8_t source_addr_npi = 0;
    address_21 source_addr;
    std::uint8_t dest_addr_ton = 0;
    std::uint8_t dest_addr_npi = 0;
    address_21 destination_addr;
    std::uint8_t esm_class = 0;
    std::uint8_t protocol_id = 0;
    std::uint8_t priority_flag = 0;
    smpp_time_t schedule_delivery_time;
    smpp_time_t validity_period;
    std::uint8_t registered_delivery = 0;
    std::uint8_t replace_if_present_flag = 0;
    std::uint8_t data_coding = 0;
    std::uint8_t sm_default_msg_id = 0;
    short_message_t short_message;

    template <typename Self, typename V>
    static void fields(Self& s, V&& v) {
        v("service_type", s.service_type);
        v("source_addr_ton", s.source_addr_ton);
        v("source_addr_npi", s.source_addr_npi);
        v("source_addr", s.source_addr);
        v("dest_addr_ton", s.dest_addr_ton);
        v("dest_addr_npi", s.dest_addr_npi);
        v("destination_addr", s.destination_addr);
        v("esm_class", s.esm_class);
        v("protocol_id", s.protocol_id);
        v("priority_flag", s.priority_flag);
        v("schedule_delivery_time", s.schedule_delivery_time);
        v("validity_period", s.validity_period);
        v("registered_delivery", s.registered_delivery);
        v("replace_if_present_flag", s.replace_if_present_flag);
        v("data_coding", s.data_coding);
        v("sm_default_msg_id", s.sm_default_msg_id);
        v("short_message", s.short_message);
    }
    friend bool operator==(const sm_fields&, const sm_fields&) = default;
};

struct submit_sm : sm_fields {
    static constexpr auto id = command_id::submit_sm;
};
struct deliver_sm : sm_fields {
    static constexpr auto id = command_id::deliver_sm;
};

// message_id C(65). deliver_sm_resp's is C(1) in the spec, but peers fill it (vector
// `deliver_sm_resp`), so it is read with the same bound.
template <command_id Id>
struct message_id_resp {
    static constexpr auto id = Id;
    message_id_t message_id;

    template <typename Self, typename V>
    static void fields(Self& s, V&& v) {
        v("message_id", s.message_id);
    }
    friend bool operator==(const message_id_resp&, const message_id_resp&) = default;
};
using submit_sm_resp = message_id_resp<command_id::submit_sm_resp>;
using deliver_sm_resp = message_id_resp<command_id::deliver_sm_resp>;
using data_sm_resp = message_id_resp<command_id::data_sm_resp>;

// dest_flag Int(1): 1 -> dest_addr_ton Int(1) | dest_addr_npi Int(1) | destination_addr C(21)
//                   2 -> dl_name C(21)
struct dest_address {
    static constexpr std::uint8_t sme_address = 1;
    static constexpr std::uint8_t distribution_list = 2;

    std::uint8_t dest_flag = sme_address;
    std::uint8_t dest_addr_ton = 0;
    std::uint8_t dest_addr_npi = 0;
    address_21 destination_addr;
    c_string<21> dl_name;

    friend bool operator==(const dest_address&, const dest_address&) = default;
};

// service_type C(6) | source_addr_ton | source_addr_npi | source_addr C(21) |
// number_of_dests Int(1) | dest_address × number_of_dests | esm_class | protocol_id |
// priority_flag | schedule_delivery_time C(17) | validity_period C(17) | registered_delivery |
// replace_if_present_flag | data_coding | sm_default_msg_id | sm_length | short_message
struct submit_multi {
    static constexpr auto id = command_id::submit_multi;
    static constexpr std::size_t max_destinations = 254;

    c_string<6> service_type;
    std::uint8_t source_addr_ton = 0;
    std::uint8_t source_addr_npi = 0;
    address_21 source_addr;
    std::vector<dest_address> dest_addresses;  // number_of_dests on the wire
    std::uint8_t esm_class = 0;
    std::uint8_t protocol_id = 0;
    std::uint8_t priority_flag = 0;
    smpp_time_t schedule_delivery_time;
    smpp_time_t validity_period;
    std::uint8_t registered_delivery = 0;
    std::uint8_t replace_if_present_flag = 0;
    std::uint8_t data_coding = 0;
    std::uint8_t sm_default_msg_id = 0;
    short_message_t short_message;

    template <typename Self, typename V>
    static void fields(Self& s, V&& v) {
        v("service_type", s.service_type);
        v("source_addr_ton", s.source_addr_ton);
        v("source_addr_npi", s.source_addr_npi);
        v("source_addr", s.source_addr);
        v("dest_address", s.dest_addresses);
        v("esm_class", s.esm_class);
        v("protocol_id", s.protocol_id);
        v("priority_flag", s.priority_flag);
        v("schedule_delivery_time", s.schedule_delivery_time);
        v("validity_period", s.validity_period);
        v("registered_delivery", s.registered_delivery);
        v("replace_if_present_flag", s.replace_if_present_flag);
        v("data_coding", s.data_coding);
        v("sm_default_msg_id", s.sm_default_msg_id);
        v("short_message", s.short_message);
    }
    friend bool operator==(const submit_multi&, const submit_multi&) = default;
};

// dest_addr_ton Int(1) | dest_addr_npi Int(1) | destination_addr C(21) | error_status_code Int(4)
struct unsuccess_sme {
    std::uint8_t dest_addr_ton = 0;
    std::uint8_t dest_addr_npi = 0;
    address_21 destination_addr;
    command_status error_status_code = 0;

    friend bool operator==(const unsuccess_sme&, const unsuccess_sme&) = default;
};

// message_id C(65) | no_unsuccess Int(1) | unsuccess_sme × no_unsuccess
struct submit_multi_resp {
    static constexpr auto id = command_id::submit_multi_resp;
    message_id_t message_id;
    std::vector<unsuccess_sme> unsuccess_smes;  // no_unsuccess on the wire

    template <typename Self, typename V>
    static void fields(Self& s, V&& v) {
        v("message_id", s.message_id);
        v("unsuccess_sme", s.unsuccess_smes);
    }
    friend bool operator==(const submit_multi_resp&, const submit_multi_resp&) = default;
};

// service_type C(6) | source_addr_ton | source_addr_npi | source_addr C(65) | dest_addr_ton |
// dest_addr_npi | destination_addr C(65) | esm_class | registered_delivery | data_coding;
// the content travels only in TLV message_payload.
struct data_sm {
    static constexpr auto id = command_id::data_sm;
    c_string<6> service_type;
    std::uint8_t source_addr_ton = 0;
    std::uint8_t source_addr_npi = 0;
    address_65 source_addr;
    std::uint8_t dest_addr_ton = 0;
    std::uint8_t dest_addr_npi = 0;
    address_65 destination_addr;
    std::uint8_t esm_class = 0;
    std::uint8_t registered_delivery = 0;
    std::uint8_t data_coding = 0;

    template <typename Self, typename V>
    static void fields(Self& s, V&& v) {
        v("service_type", s.service_type);
        v("source_addr_ton", s.source_addr_ton);
        v("source_addr_npi", s.source_addr_npi);
        v("source_addr", s.source_addr);
        v("dest_addr_ton", s.dest_addr_ton);
        v("dest_addr_npi", s.dest_addr_npi);
        v("destination_addr", s.destination_addr);
        v("esm_class", s.esm_class);
        v("registered_delivery", s.registered_delivery);
        v("data_coding", s.data_coding);
    }
    friend bool operator==(const data_sm&, const data_sm&) = default;
};

// message_id C(65) | source_addr_ton | source_addr_npi | source_addr C(21)
struct query_sm {
    static constexpr auto id = command_id::query_sm;
    message_id_t message_id;
    std::uint8_t source_addr_ton = 0;
    std::uint8_t source_addr_npi = 0;
    address_21 source_addr;

    template <typename Self, typename V>
    static void fields(Self& s, V&& v) {
        v("message_id", s.message_id);
        v("source_addr_ton", s.source_addr_ton);
        v("source_addr_npi", s.source_addr_npi);
        v("source_addr", s.source_addr);
    }
    friend bool operator==(const query_sm&, const query_sm&) = default;
};

// message_id C(65) | final_date C(17) | message_state Int(1) | error_code Int(1)
struct query_sm_resp {
    static constexpr auto id = command_id::query_sm_resp;
    message_id_t message_id;
    smpp_time_t final_date;
    std::uint8_t message_state = 0;
    std::uint8_t error_code = 0;

    template <typename Self, typename V>
    static void fields(Self& s, V&& v) {
        v("message_id", s.message_id);
        v("final_date", s.final_date);
        v("message_state", s.message_state);
        v("error_code", s.error_code);
    }
    friend bool operator==(const query_sm_resp&, const query_sm_resp&) = default;
};

// service_type C(6) | message_id C(65) | source_addr_ton | source_addr_npi | source_addr C(21) |
// dest_addr_ton | dest_addr_npi | destination_addr C(21)
struct cancel_sm {
    static constexpr auto id = command_id::cancel_sm;
    c_string<6> service_type;
    message_id_t message_id;
    std::uint8_t source_addr_ton = 0;
    std::uint8_t source_addr_npi = 0;
    address_21 source_addr;
    std::uint8_t dest_addr_ton = 0;
    std::uint8_t dest_addr_npi = 0;
    address_21 destination_addr;

    template <typename Self, typename V>
    static void fields(Self& s, V&& v) {
        v("service_type", s.service_type);
        v("message_id", s.message_id);
        v("source_addr_ton", s.source_addr_ton);
        v("source_addr_npi", s.source_addr_npi);
        v("source_addr", s.source_addr);
        v("dest_addr_ton", s.dest_addr_ton);
        v("dest_addr_npi", s.dest_addr_npi);
        v("destination_addr", s.destination_addr);
    }
    friend bool operator==(const cancel_sm&, const cancel_sm&) = default;
};

// message_id C(65) | source_addr_ton | source_addr_npi | source_addr C(21) |
// schedule_delivery_time C(17) | validity_period C(17) | registered_delivery |
// sm_default_msg_id | sm_length | short_message  (no service_type, unlike Kannel's table)
struct replace_sm {
    static constexpr auto id = command_id::replace_sm;
    message_id_t message_id;
    std::uint8_t source_addr_ton = 0;
    std::uint8_t source_addr_npi = 0;
    address_21 source_addr;
    smpp_time_t schedule_delivery_time;
    smpp_time_t validity_period;
    std::uint8_t registered_delivery = 0;
    std::uint8_t sm_default_msg_id = 0;
    short_message_t short_message;

    template <typename Self, typename V>
    static void fields(Self& s, V&& v) {
        v("message_id", s.message_id);
        v("source_addr_ton", s.source_addr_ton);
        v("source_addr_npi", s.source_addr_npi);
        v("source_addr", s.source_addr);
        v("schedule_delivery_time", s.schedule_delivery_time);
        v("validity_period", s.validity_period);
        v("registered_delivery", s.registered_delivery);
        v("sm_default_msg_id", s.sm_default_msg_id);
        v("short_message", s.short_message);
    }
    friend bool operator==(const replace_sm&, const replace_sm&) = default;
};

// source_addr_ton | source_addr_npi | source_addr C(65) | esme_addr_ton | esme_addr_npi |
// esme_addr C(65); TLV ms_availability_status. No response PDU exists.
struct alert_notification {
    static constexpr auto id = command_id::alert_notification;
    std::uint8_t source_addr_ton = 0;
    std::uint8_t source_addr_npi = 0;
    address_65 source_addr;
    std::uint8_t esme_addr_ton = 0;
    std::uint8_t esme_addr_npi = 0;
    address_65 esme_addr;

    template <typename Self, typename V>
    static void fields(Self& s, V&& v) {
        v("source_addr_ton", s.source_addr_ton);
        v("source_addr_npi", s.source_addr_npi);
        v("source_addr", s.source_addr);
        v("esme_addr_ton", s.esme_addr_ton);
        v("esme_addr_npi", s.esme_addr_npi);
        v("esme_addr", s.esme_addr);
    }
    friend bool operator==(const alert_notification&, const alert_notification&) = default;
};

using pdu_body = std::variant<
    generic_nack, bind_receiver, bind_receiver_resp, bind_transmitter, bind_transmitter_resp,
    query_sm, query_sm_resp, submit_sm, submit_sm_resp, deliver_sm, deliver_sm_resp, unbind,
    unbind_resp, replace_sm, replace_sm_resp, cancel_sm, cancel_sm_resp, bind_transceiver,
    bind_transceiver_resp, outbind, enquire_link, enquire_link_resp, submit_multi,
    submit_multi_resp, alert_notification, data_sm, data_sm_resp>;

// One PDU: header values, body, TLVs. command_length and command_id are derived when encoding.
struct pdu {
    std::uint32_t command_status = 0;  // a smpp::command_status
    std::uint32_t sequence_number = 0;
    pdu_body body;
    tlv_list tlvs;
    // A response sent as its header alone. SMPP 3.4 lets error responses omit the body, and
    // the decoder accepts both forms and records which one arrived so captures re-encode
    // unchanged; make_response never sets it (some peers cannot decode header-only responses).
    bool omit_body = false;

    [[nodiscard]] smpp::command_id command_id() const noexcept {
        return std::visit([](const auto& b) { return std::decay_t<decltype(b)>::id; }, body);
    }
    [[nodiscard]] std::string_view command_name() const noexcept {
        return smpp::command_name(command_id());
    }

    friend bool operator==(const pdu&, const pdu&) = default;
};

// esm_class bits (SMPP.md §7.1)
namespace esm {
inline constexpr std::uint8_t receipt_mask = 0x04 | 0x08 | 0x20;  // SMSC receipt, SME ack, intermediate
inline constexpr std::uint8_t smsc_delivery_receipt = 0x04;
inline constexpr std::uint8_t udhi = 0x40;
inline constexpr std::uint8_t reply_path = 0x80;
}  // namespace esm

// Replaces `body` with a default-constructed body of the given command; false for unknown ids.
[[nodiscard]] bool emplace_body(command_id id, pdu_body& body);

// A response to `request` carrying `status`, body fields empty (C-strings as a single NUL),
// errors included: SMSCs commonly keep the body, and libsmpp34 and Kannel expect it.
[[nodiscard]] pdu make_response(const pdu& request, command_status status);
// generic_nack for a PDU whose own response cannot be built (unknown id, broken header).
[[nodiscard]] pdu make_generic_nack(std::uint32_t sequence_number, command_status status);

}  // namespace smppgw::smpp
