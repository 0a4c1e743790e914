#include "smppgw/smpp/bind_state.hpp"

namespace smppgw::smpp {

std::string_view to_string(bind_state s) noexcept {
    switch (s) {
        case bind_state::open: return "open";
        case bind_state::bound_tx: return "bound_tx";
        case bind_state::bound_rx: return "bound_rx";
        case bind_state::bound_trx: return "bound_trx";
        case bind_state::unbound: return "unbound";
        case bind_state::closed: return "closed";
    }
    return "unknown";
}

std::string_view to_string(bind_type t) noexcept {
    switch (t) {
        case bind_type::transmitter: return "transmitter";
        case bind_type::receiver: return "receiver";
        case bind_type::transceiver: return "transceiver";
    }
    return "unknown";
}

command_status check_request_at_smsc(command_id id, bind_state s) noexcept {
    switch (id) {
        case command_id::bind_transmitter:
        case command_id::bind_receiver:
        case command_id::bind_transceiver:
            if (s == bind_state::open) {
                return status::ESME_ROK;
            }
            return is_bound(s) ? status::ESME_RALYBND : status::ESME_RINVBNDSTS;
        case command_id::submit_sm:
        case command_id::submit_multi:
        case command_id::data_sm:
        case command_id::query_sm:
        case command_id::cancel_sm:
        case command_id::replace_sm:
            // The 3.4 table lists replace_sm for BOUND_TX only; TRX is the same role in practice.
            return can_submit(s) ? status::ESME_ROK : status::ESME_RINVBNDSTS;
        case command_id::enquire_link:
            return status::ESME_ROK;  // answered in every state, OPEN included (§6.1)
        case command_id::unbind:
            return is_bound(s) ? status::ESME_ROK : status::ESME_RINVBNDSTS;
        default:
            // deliver_sm, outbind, alert_notification: an ESME never sends these to an SMSC.
            return status::ESME_RINVBNDSTS;
    }
}

command_status check_request_at_esme(command_id id, bind_state s) noexcept {
    switch (id) {
        case command_id::deliver_sm:
        case command_id::data_sm:
        case command_id::alert_notification:
            return can_receive(s) ? status::ESME_ROK : status::ESME_RINVBNDSTS;
        case command_id::enquire_link:
            return status::ESME_ROK;
        case command_id::unbind:
            return is_bound(s) ? status::ESME_ROK : status::ESME_RINVBNDSTS;
        case command_id::outbind:
            return s == bind_state::open ? status::ESME_ROK : status::ESME_RINVBNDSTS;
        default:
            return status::ESME_RINVBNDSTS;
    }
}

}  // namespace smppgw::smpp
