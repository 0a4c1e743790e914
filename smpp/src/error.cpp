#include "smppgw/smpp/error.hpp"

#include <string>

namespace smppgw::smpp {
namespace {

class category final : public std::error_category {
public:
    const char* name() const noexcept override { return "smpp"; }
    std::string message(int value) const override {
        switch (static_cast<errc>(value)) {
            case errc::length_too_small: return "command_length is smaller than the 16-octet header";
            case errc::length_too_large: return "command_length is above the configured maximum";
            case errc::unknown_command_id: return "unknown command_id";
            case errc::truncated_body: return "mandatory field runs past command_length";
            case errc::field_too_long: return "C-Octet String has no NUL within its maximum length";
            case errc::sm_length_overrun: return "sm_length runs past the end of the PDU";
            case errc::tlv_overrun: return "TLV runs past the end of the PDU";
            case errc::invalid_dest_flag: return "dest_flag is neither 1 (SME) nor 2 (list)";
            case errc::value_out_of_range: return "value out of range";
            case errc::invalid_time_format: return "time field is neither empty nor 16 characters";
            case errc::short_message_too_long: return "short_message longer than 254 octets";
            case errc::payload_conflict: return "both short_message and message_payload are set";
            case errc::sequence_out_of_range: return "sequence_number outside 1..0x7FFFFFFF";
            case errc::status_on_request: return "a request must carry command_status 0";
            case errc::too_many_destinations: return "number_of_dests must be 1..254";
        }
        return "unknown smpp error";
    }
};

}  // namespace

const std::error_category& smpp_category() noexcept {
    static const category instance;
    return instance;
}

}  // namespace smppgw::smpp
