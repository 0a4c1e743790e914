#pragma once
// Everything smsc-sim can be told, as plain values. Defaults are the README quickstart's
// carrier: 127.0.0.1:2776, any credentials, immediate acks, a DELIVRD receipt 100 ms later.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/cli.hpp"
#include "sim/latency.hpp"
#include "smppgw/smpp/receipt.hpp"

namespace smppgw::bench::sim {

enum class id_style { decimal, hex, uuid };

// How a receipt is written (SMPP.md §8.3 variants the gateway must tolerate).
enum class receipt_variant {
    canonical,     // Appendix B text in short_message + receipted_message_id/message_state TLVs
    upper_text,    // ... with "Text:" instead of "text:"
    no_sub_dlvrd,  // ... without the sub: and dlvrd: fields
    payload,       // the text in message_payload, short_message empty
};

enum class garbage_kind {
    frame,  // a well-framed PDU with a reserved command_id: peers answer generic_nack
    bytes,  // random octets: breaks framing, a correct peer closes the connection
};

struct outcome {
    smpp::message_state state = smpp::message_state::delivered;
    double weight = 1;
};

struct mo_keyword {
    std::string text;  // sent verbatim; the name "text" in --mo-mix means the free-text pool
    bool free_text = false;
    double weight = 1;
};

struct sim_config {
    std::string listen_host = "127.0.0.1";
    std::uint16_t listen_port = 2776;
    std::string port_file;  // written once listening (useful with --port 0)
    std::size_t threads = 1;

    std::optional<std::string> system_id;  // required credentials; unset = accept any
    std::optional<std::string> password;
    std::string own_system_id = "smsc-sim";  // in bind_*_resp

    latency_spec ack_latency;  // submit -> submit_sm_resp
    latency_spec receipt_delay = latency_spec::fixed(std::chrono::milliseconds(100));
    bool receipts = true;
    id_style ids = id_style::decimal;
    std::vector<outcome> outcomes{{smpp::message_state::delivered, 1.0}};
    std::vector<std::pair<receipt_variant, double>> receipt_variants{
        {receipt_variant::canonical, 1.0}};
    bool receipt_tlvs = true;     // false: the text is the only source, exercising text parsers
    std::size_t dlr_window = 64;  // outstanding deliver_sm per receiver bind

    // Faults.
    double throttle_share = 0;
    std::chrono::nanoseconds throttle_every{0};   // every this long ...
    std::chrono::nanoseconds throttle_length{0};  // ... throttle everything for this long
    std::chrono::nanoseconds disconnect_every{0};
    double slow_share = 0;
    latency_spec slow_latency = latency_spec::fixed(std::chrono::seconds(2));
    double garbage_share = 0;
    garbage_kind garbage = garbage_kind::frame;

    // Mobile-originated traffic.
    double mo_rate = 0;  // per second, all receivers together
    std::vector<mo_keyword> mo_mix;
    number_set mo_from;
    number_set mo_to;
    std::optional<std::string> mo_system_id;  // queue MOs for this account even if unbound

    std::string record_path;
    bool record_text = false;  // the decoded text instead of its hash

    std::chrono::nanoseconds stats_interval{0};
    std::chrono::milliseconds enquire_link{30'000};
    std::uint64_t seed = 0;  // 0: from the clock
};

}  // namespace smppgw::bench::sim
