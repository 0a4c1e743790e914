#pragma once
// An accepted MT message on its way to a carrier, and the work items carrier queues hold.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "smppgw/smpp/pdu.hpp"
#include "smppgw/store/message_record.hpp"

namespace smppgw::gateway {

struct receipt_context;

struct outbound_message {
    enum class phase : std::uint8_t {
        queued,     // waiting in a carrier queue
        sending,    // a bind took it; parts are going out
        done,       // every part acknowledged, or failed
        cancelled,  // cancel_sm won the race before a bind took it
    };

    store::message_record rec;
    bool counts_toward_frequency = false;
    std::chrono::steady_clock::time_point accepted_at = std::chrono::steady_clock::now();

    // Guards phase changes between the upstream thread (cancel/replace) and the carrier bind.
    std::atomic<phase> state{phase::queued};

    // Built by the first bind that takes the message, for that carrier's segmentation.
    std::string parts_carrier;
    std::vector<smpp::pdu> parts;
    std::vector<std::uint8_t> part_acked;  // 1 once the carrier answered ESME_ROK
    std::size_t acked = 0;
    std::uint16_t attempts = 0;  // transient failures so far (all parts)
    bool failed = false;
    // What receipts for this message need, shared with the correlator once a part is accepted.
    std::shared_ptr<receipt_context> receipt;
};

using outbound_ptr = std::shared_ptr<outbound_message>;

// One unit of carrier work: a whole message (part < 0: build the parts and send them all) or
// one part to resend after a timeout, a throttle or a lost session.
struct work_item {
    outbound_ptr msg;
    int part = -1;
};

}  // namespace smppgw::gateway
