#pragma once
// What carrier queues hold: an accepted message on its way to a carrier, and the state of its
// sending (the parts built for one carrier, which of them the carrier acknowledged).
//
// Thread rule: a dispatch belongs to whoever holds it — a carrier queue (under its mutex) or
// one carrier bind (on its thread); handing it over through the queue orders the accesses.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "smppgw/smpp/pdu.hpp"
#include "smppgw/store/live_state.hpp"

namespace smppgw::gateway {

// Built by the first bind that takes the message, for its carrier's segmentation; dropped when
// every part is acknowledged or the message failed.
struct sending {
    std::string carrier;              // whose segmentation `parts` follows
    std::vector<smpp::pdu> parts;
    std::vector<std::uint8_t> acked;  // 1 once the carrier answered ESME_ROK for that part
    std::size_t acked_count = 0;
    std::uint16_t attempts = 0;       // transient failures so far (all parts)
    bool failed = false;
};

struct dispatch {
    store::message_ptr message;
    std::shared_ptr<sending> send;  // null until a bind took the message
    int part = -1;                  // < 0: the whole message; else one part to send (again)
};

}  // namespace smppgw::gateway
