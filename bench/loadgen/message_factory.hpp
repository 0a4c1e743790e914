#pragma once
// Builds the generator's submit_sm PDUs without per-message allocation.
//
// Message bodies are encoded and split once at startup (GSM 7-bit and UCS-2, single and
// concatenated with a UDH, through the segmentation library); per message only the destination,
// service_type, a 10-digit token and the UDH reference change, patched into the prepared bytes.
// Every part of every message carries the token "#NNNNNNNNNN", unique per run, so a drill can
// match what the generator got acknowledged with what reached the carrier (smsc-sim --record-text).

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/rng.hpp"
#include "loadgen/gen_config.hpp"
#include "smppgw/smpp/pdu.hpp"

namespace smppgw::bench::loadgen {

struct part_template {
    std::vector<std::uint8_t> bytes;  // short_message as sent, UDH first when udhi
    bool udhi = false;
    std::size_t ref_offset = 0;              // the UDH's 8-bit reference octet (udhi only)
    std::vector<std::size_t> token_offsets;  // first octet of each token digit run
    std::size_t token_stride = 1;            // 1 for GSM septets, 2 for UCS-2
};

struct message_template {
    std::string name;
    std::uint8_t data_coding = 0;
    std::vector<part_template> parts;
};

// One message about to be sent: which template, where to, and its class.
struct planned_message {
    const message_template* body = nullptr;
    char destination[24]{};
    std::uint8_t destination_length = 0;
    bool promotional = false;
    bool opted_out = false;  // the destination comes from the opt-out set
    std::uint64_t token = 0;
    std::uint8_t reference = 0;
};

class message_factory {
public:
    // Throws if the segmentation library splits the sample texts unexpectedly (startup).
    explicit message_factory(const gen_config& config);

    // Chooses the next message. `token` must be unique per message in the run.
    void plan(rng& r, std::uint64_t token, planned_message& out) const noexcept;

    // Fills `sm` (a reused submit_sm) with part `index` of `m`.
    void fill(const planned_message& m, std::size_t index, bool receipt,
              smpp::submit_sm& sm) const noexcept;

    [[nodiscard]] const std::vector<message_template>& templates() const noexcept {
        return templates_;
    }

    // Writes the 10-digit token as text ("#0000012345").
    static std::string token_text(std::uint64_t token);

private:
    const gen_config& config_;
    std::vector<message_template> templates_;  // gsm, gsm-long, ucs2, ucs2-long
    smpp::address_21 source_;
};

// Writes every number of the opt-out set to `path`, one per line (throws on I/O errors).
void export_optouts(const gen_config& config, const std::string& path);

}  // namespace smppgw::bench::loadgen
