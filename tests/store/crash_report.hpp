#pragma once
// What store_crash_child reports to crash_tests.cpp through its pipe: fixed-size events, each
// written with one write() (16 bytes, below PIPE_BUF, so they never interleave).

#include <cstdint>

namespace smppgw::store::crash {

enum class event : std::uint64_t {
    ready = 1,             // the store is open (value: the next LSN)
    accepted = 2,          // an accept is durable (value: the message id)
    mo = 3,                // an MO for the outbox is durable (value: its number)
    receipt = 4,           // the receipt that finished a message is durable (value: its id),
                           // with its DLR entry "d" + id
    dlr_delivered = 5,     // the DLR entry of message `value` was acknowledged, durably
    mo_delivered = 6,      // the MO entry `value` was acknowledged, durably
    checkpoint_start = 7,  // checkpoint_now() is called
    checkpoint_end = 8,    // checkpoint_now() returned (value: 1 if it succeeded)
    error = 9,             // the child failed on its own (then it exits)
    // An entry is about to be acknowledged (value as for dlr_delivered/mo_delivered): from now
    // on its delivered_upstream record may be durable before the child can say so.
    dlr_delivering = 10,
    mo_delivering = 11,
};

struct report_record {
    std::uint64_t type = 0;
    std::uint64_t value = 0;
};
static_assert(sizeof(report_record) == 16);

}  // namespace smppgw::store::crash
