#include <array>
#include <utility>

#include "smppgw/smpp/command.hpp"

namespace smppgw::smpp {
namespace {

struct command_entry {
    command_id id;
    std::string_view name;
};

constexpr std::array<command_entry, 27> commands{{
    {command_id::generic_nack, "generic_nack"},
    {command_id::bind_receiver, "bind_receiver"},
    {command_id::bind_receiver_resp, "bind_receiver_resp"},
    {command_id::bind_transmitter, "bind_transmitter"},
    {command_id::bind_transmitter_resp, "bind_transmitter_resp"},
    {command_id::query_sm, "query_sm"},
    {command_id::query_sm_resp, "query_sm_resp"},
    {command_id::submit_sm, "submit_sm"},
    {command_id::submit_sm_resp, "submit_sm_resp"},
    {command_id::deliver_sm, "deliver_sm"},
    {command_id::deliver_sm_resp, "deliver_sm_resp"},
    {command_id::unbind, "unbind"},
    {command_id::unbind_resp, "unbind_resp"},
    {command_id::replace_sm, "replace_sm"},
    {command_id::replace_sm_resp, "replace_sm_resp"},
    {command_id::cancel_sm, "cancel_sm"},
    {command_id::cancel_sm_resp, "cancel_sm_resp"},
    {command_id::bind_transceiver, "bind_transceiver"},
    {command_id::bind_transceiver_resp, "bind_transceiver_resp"},
    {command_id::outbind, "outbind"},
    {command_id::enquire_link, "enquire_link"},
    {command_id::enquire_link_resp, "enquire_link_resp"},
    {command_id::submit_multi, "submit_multi"},
    {command_id::submit_multi_resp, "submit_multi_resp"},
    {command_id::alert_notification, "alert_notification"},
    {command_id::data_sm, "data_sm"},
    {command_id::data_sm_resp, "data_sm_resp"},
}};

struct status_entry {
    command_status value;
    std::string_view name;
};

#define SMPPGW_SMPP_STATUS_ENTRY(name, value) status_entry{value, #name},
constexpr std::array statuses{SMPPGW_SMPP_STATUSES(SMPPGW_SMPP_STATUS_ENTRY)};
#undef SMPPGW_SMPP_STATUS_ENTRY

}  // namespace

std::string_view command_name(command_id id) noexcept {
    for (const auto& c : commands) {
        if (c.id == id) {
            return c.name;
        }
    }
    return {};
}

std::optional<command_id> command_from_name(std::string_view name) noexcept {
    for (const auto& c : commands) {
        if (c.name == name) {
            return c.id;
        }
    }
    return std::nullopt;
}

bool is_known_command(std::uint32_t raw) noexcept {
    return !command_name(static_cast<command_id>(raw)).empty();
}

command_id response_for(std::uint32_t request_id) noexcept {
    if ((request_id & response_bit) != 0 || !is_known_command(request_id) ||
        request_id == static_cast<std::uint32_t>(command_id::outbind) ||
        request_id == static_cast<std::uint32_t>(command_id::alert_notification)) {
        return command_id::generic_nack;
    }
    return static_cast<command_id>(request_id | response_bit);
}

std::string_view status_name(command_status s) noexcept {
    for (const auto& e : statuses) {
        if (e.value == s) {
            return e.name;
        }
    }
    return {};
}

std::optional<command_status> status_from_name(std::string_view name) noexcept {
    for (const auto& e : statuses) {
        if (e.name == name) {
            return e.value;
        }
    }
    return std::nullopt;
}

}  // namespace smppgw::smpp
