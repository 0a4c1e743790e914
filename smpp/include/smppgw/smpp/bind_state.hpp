#pragma once
// Session states and which PDUs each side may receive in them (SMPP.md §2 table, §6.1).

#include <cstdint>
#include <string_view>

#include "smppgw/smpp/command.hpp"

namespace smppgw::smpp {

enum class bind_state : std::uint8_t {
    open,       // TCP up, not bound yet
    bound_tx,
    bound_rx,
    bound_trx,
    unbound,    // unbind sent or received, waiting for the close
    closed,
};

[[nodiscard]] std::string_view to_string(bind_state s) noexcept;

enum class bind_type : std::uint8_t { transmitter, receiver, transceiver };

[[nodiscard]] std::string_view to_string(bind_type t) noexcept;
[[nodiscard]] constexpr bind_state bound_state_for(bind_type t) noexcept {
    switch (t) {
        case bind_type::transmitter: return bind_state::bound_tx;
        case bind_type::receiver: return bind_state::bound_rx;
        case bind_type::transceiver: return bind_state::bound_trx;
    }
    return bind_state::open;
}
[[nodiscard]] constexpr bool can_submit(bind_state s) noexcept {
    return s == bind_state::bound_tx || s == bind_state::bound_trx;
}
[[nodiscard]] constexpr bool can_receive(bind_state s) noexcept {
    return s == bind_state::bound_rx || s == bind_state::bound_trx;
}
[[nodiscard]] constexpr bool is_bound(bind_state s) noexcept {
    return s == bind_state::bound_tx || s == bind_state::bound_rx || s == bind_state::bound_trx;
}

// What an SMSC (our northbound server, the simulator) answers to a request from an ESME in
// state `s`: ESME_ROK when the request is allowed, else the status for its response
// (ESME_RINVBNDSTS, ESME_RALYBND). enquire_link and unbind are handled by the session itself.
[[nodiscard]] command_status check_request_at_smsc(command_id id, bind_state s) noexcept;

// The same for requests an ESME (our carrier client, the load generator) receives from an SMSC.
[[nodiscard]] command_status check_request_at_esme(command_id id, bind_state s) noexcept;

}  // namespace smppgw::smpp
