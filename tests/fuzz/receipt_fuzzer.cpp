// Receipt text parsing and id normalization over arbitrary text (receipts come from carriers,
// so every byte is untrusted).
#include <cstdint>
#include <string_view>

#include "smppgw/smpp/message_id.hpp"
#include "smppgw/smpp/receipt.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    namespace smpp = smppgw::smpp;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    if (auto r = smpp::parse_receipt_text(text)) {
        for (auto encoding : {smpp::id_encoding::opaque, smpp::id_encoding::decimal,
                              smpp::id_encoding::hex, smpp::id_encoding::auto_detect}) {
            (void)smpp::normalize_message_id(r->id, encoding, true);
        }
    }
    // The first bytes double as TLV values: a receipted_message_id and a message_state.
    smpp::receipt_tlvs tlvs;
    if (size > 2) {
        tlvs.receipted_message_id = text.substr(1, data[0] % size);
        tlvs.message_state = data[1];
        tlvs.network_error_code = text.substr(0, 3);
    }
    (void)smpp::parse_receipt(text, tlvs);
    return 0;
}
