#include <iostream>
#include <iterator>
#include <string>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "smppgw/gateway/commands.hpp"
#include "smppgw/smpp/codec.hpp"
#include "smppgw/smpp/pdu_json.hpp"

namespace smppgw::gateway {
namespace {

namespace json = boost::json;

// Malformed input: one JSON object saying what is wrong and what a server would answer.
int fail(std::ostream& out, std::string_view what, std::string_view status_name) {
    json::object o;
    o["error"] = what;
    o["command_status_name"] = status_name;
    out << json::serialize(o) << '\n';
    return 1;
}

int decode(std::string_view hex, std::ostream& out) {
    std::vector<std::uint8_t> bytes;
    if (!smpp::from_hex(hex, bytes)) {
        return fail(out, "input is not hex (odd length or a non-hex character)", "ESME_RINVCMDLEN");
    }
    if (bytes.size() < 16) {
        return fail(out, "fewer than 16 octets: not even a PDU header", "ESME_RINVCMDLEN");
    }
    smpp::pdu p;
    const auto r = smpp::decode(bytes, p, {.max_command_length = bytes.size() + 16});
    if (r.need_more()) {
        return fail(out,
                    "command_length " + std::to_string(smpp::peek_command_length(bytes)) +
                        " is more than the " + std::to_string(bytes.size()) + " octets given",
                    "ESME_RINVCMDLEN");
    }
    if (r.error) {
        std::string what = r.error.message();
        if (!r.field.empty()) {
            what = std::string(r.field) + ": " + what;
        }
        return fail(out, what, smpp::status_name(r.response_status));
    }
    if (r.consumed != bytes.size()) {
        return fail(out,
                    std::to_string(bytes.size() - r.consumed) +
                        " octets follow the PDU (command_length " +
                        std::to_string(r.command_length) + ")",
                    "ESME_RINVCMDLEN");
    }
    out << json::serialize(smpp::to_json(p)) << '\n';
    return 0;
}

int encode(std::string_view text, std::ostream& out, std::ostream& err) {
    json::error_code ec;
    const json::value v = json::parse(text, ec);
    if (ec) {
        err << "invalid JSON: " << ec.message() << '\n';
        return 1;
    }
    smpp::pdu p;
    std::string error;
    if (!smpp::from_json(v, p, error)) {
        err << "cannot build the PDU: " << error << '\n';
        return 1;
    }
    std::vector<std::uint8_t> bytes;
    // Lenient: operators re-encode captures that are invalid on purpose; say so if strict fails.
    if (auto strict = smpp::encode(p, bytes, {.strict = true})) {
        bytes.clear();
        if (auto lenient = smpp::encode(p, bytes, {.strict = false})) {
            err << "cannot encode: " << lenient.message() << '\n';
            return 1;
        }
        err << "warning: not valid SMPP 3.4 (" << strict.message() << "); encoded anyway\n";
    }
    out << smpp::to_hex(bytes) << '\n';
    return 0;
}

}  // namespace

int pdu_command(std::span<const std::string_view> args, std::istream& in, std::ostream& out,
                std::ostream& err) {
    if (args.empty() || (args[0] != "decode" && args[0] != "encode")) {
        err << "usage: smppgw pdu decode HEX\n       smppgw pdu encode [JSON]  (stdin if absent)\n";
        return 2;
    }
    const bool decoding = args[0] == "decode";
    std::string input;
    if (args.size() > 1) {
        for (std::size_t i = 1; i < args.size(); ++i) {
            input += args[i];  // hex may arrive split into several arguments
        }
    } else {
        input.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    return decoding ? decode(input, out) : encode(input, out, err);
}

}  // namespace smppgw::gateway
