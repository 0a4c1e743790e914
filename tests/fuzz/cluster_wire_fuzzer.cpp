// The cluster's wire formats over arbitrary bytes: send-count batches, outbox batches and the
// buckets' change values arrive from other nodes through NATS (or from a damaged stream), so a
// node must refuse a damaged one whole, never read past its end.
#include <cstdint>
#include <string_view>

#include "smppgw/cluster/change.hpp"
#include "smppgw/cluster/outbox_batch.hpp"
#include "smppgw/cluster/send_counts.hpp"

namespace {

namespace cl = smppgw::cluster;

bool within(std::string_view part, std::string_view whole) {
    return part.empty() ||
           (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);

    if (const auto batch = cl::decode_sends(bytes)) {
        for (const auto& e : batch->entries) {
            if (!within(e.brand, bytes) || !within(e.msisdn, bytes) ||
                (e.delta != 1 && e.delta != -1)) {
                __builtin_trap();
            }
        }
    }

    // The entry count travels in a header: a batch decodes for its own count only.
    std::size_t decoded_counts = 0;
    for (std::size_t count = 0; count <= 8; ++count) {
        const auto entries = cl::decode_outbox_batch(bytes, count);
        if (!entries) {
            continue;
        }
        ++decoded_counts;
        if (entries->size() != count) {
            __builtin_trap();
        }
        for (const auto& e : *entries) {
            if (!within(e.bytes, bytes)) {
                __builtin_trap();
            }
        }
        // What decodes encodes again to a batch with the same entries.
        const auto again = cl::encode_outbox_batch(*entries);
        const auto back = cl::decode_outbox_batch(again, count);
        if (!back || back->size() != count) {
            __builtin_trap();
        }
        for (std::size_t i = 0; i < count; ++i) {
            if ((*back)[i].kind != (*entries)[i].kind || (*back)[i].bytes != (*entries)[i].bytes) {
                __builtin_trap();
            }
        }
    }
    if (decoded_counts > 1) {
        __builtin_trap();
    }

    if (const auto c = cl::decode_change(bytes)) {
        (void)cl::encode(*c);
    }
    return 0;
}
