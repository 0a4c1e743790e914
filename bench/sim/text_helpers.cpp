#include "sim/text_helpers.hpp"

#include "smppgw/smpp/segmentation.hpp"
#include "smppgw/smpp/text.hpp"

namespace smppgw::bench::sim {

void receipt_snippet(std::span<const std::uint8_t> user_data, std::uint8_t esm_class,
                     std::uint8_t data_coding, fixed_text<70>& out) {
    std::span<const std::uint8_t> body = user_data;
    if (has_udhi(esm_class) && !body.empty()) {
        const std::size_t udh = std::size_t{body[0]} + 1;
        body = udh <= body.size() ? body.subspan(udh) : std::span<const std::uint8_t>{};
    }
    const auto coding = smpp::interpret_data_coding(data_coding);
    char buf[20];
    std::size_t n = 0;
    const auto put = [&](char32_t c) {
        buf[n++] = (c >= 0x20 && c < 0x7F) ? static_cast<char>(c) : '?';
    };
    switch (coding.encoding) {
        case smpp::text_encoding::gsm7:
            for (std::size_t i = 0; i < body.size() && n < sizeof buf; ++i) {
                const std::uint8_t septet = body[i] & 0x7F;
                if (septet == smpp::detail::gsm_escape) {
                    continue;
                }
                put(smpp::detail::gsm_base_to_ucs[septet]);
            }
            break;
        case smpp::text_encoding::ascii:
        case smpp::text_encoding::latin1:
            for (std::size_t i = 0; i < body.size() && n < sizeof buf; ++i) {
                put(body[i]);
            }
            break;
        case smpp::text_encoding::ucs2:
            for (std::size_t i = 0; i + 1 < body.size() && n < sizeof buf; i += 2) {
                put(static_cast<char32_t>((body[i] << 8) | body[i + 1]));
            }
            break;
        default:
            break;
    }
    out.assign(std::string_view(buf, n));
}

std::uint8_t encode_mo_text(std::string_view utf8, std::vector<std::uint8_t>& out) {
    out.clear();
    std::uint8_t dcs = 0x00;
    if (smpp::encode_gsm7(utf8, out)) {
        out.clear();
        (void)smpp::encode_ucs2(utf8, out);
        dcs = 0x08;
    }
    if (out.size() > 254) {
        out.resize(254);
    }
    return dcs;
}

bool has_udhi(std::uint8_t esm_class) noexcept {
    return (esm_class & smpp::udhi_esm_class_bit) != 0;
}

}  // namespace smppgw::bench::sim
