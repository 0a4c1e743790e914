#include "loadgen/message_factory.hpp"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include <fmt/format.h>

#include "smppgw/smpp/segmentation.hpp"
#include "smppgw/smpp/text.hpp"

namespace smppgw::bench::loadgen {
namespace {

constexpr std::string_view token_placeholder = "#0000000000";
constexpr std::size_t token_digits = 10;

enum : std::size_t { gsm_short = 0, gsm_long = 1, ucs2_short = 2, ucs2_long = 3 };

// The UTF-8 text of a long message whose every part starts with the token: `parts` blocks of
// exactly `per_part` characters (all single-unit characters, so the splitter cuts at the block
// boundaries).
std::string long_text(std::size_t parts, std::size_t per_part, std::string_view filler_word) {
    std::string text;
    for (std::size_t i = 1; i <= parts; ++i) {
        std::string block = fmt::format("{} part {}/{} ", token_placeholder, i, parts);
        std::size_t chars = block.size();  // ASCII so far
        // Whole filler characters (UTF-8 aware) until the block holds per_part characters.
        std::size_t pos = 0;
        while (chars < per_part) {
            const auto lead = static_cast<unsigned char>(filler_word[pos]);
            const std::size_t len = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
            block.append(filler_word.substr(pos, len));
            pos = (pos + len) % filler_word.size();
            ++chars;
        }
        text += block;
    }
    return text;
}

message_template make_template(std::string name, std::string_view utf8, smpp::text_encoding e,
                               std::size_t expected_parts) {
    smpp::segmentation_options options;
    options.method = smpp::concat_method::udh;
    std::vector<smpp::message_part> parts;
    if (auto ec = smpp::split_text(utf8, e, 0, options, parts)) {
        throw std::runtime_error(fmt::format("sample text '{}': {}", name, ec.message()));
    }
    if (parts.size() != expected_parts) {
        throw std::runtime_error(fmt::format("sample text '{}' split into {} parts, not {}", name,
                                             parts.size(), expected_parts));
    }
    message_template t;
    t.name = std::move(name);
    t.data_coding = smpp::data_coding_for(e);
    // The token placeholder as encoded: '#' and digits are the same septets as ASCII in GSM.
    std::vector<std::uint8_t> needle;
    const std::size_t stride = e == smpp::text_encoding::ucs2 ? 2 : 1;
    for (char ch : token_placeholder) {
        if (stride == 2) {
            needle.push_back(0);
        }
        needle.push_back(static_cast<std::uint8_t>(ch));
    }
    for (auto& p : parts) {
        part_template pt;
        pt.bytes = std::move(p.bytes);
        pt.udhi = p.udhi;
        pt.token_stride = stride;
        if (pt.udhi) {
            if (pt.bytes.size() < 6 || pt.bytes[1] != smpp::iei_concat_8bit) {
                throw std::runtime_error("unexpected UDH from the segmentation library");
            }
            pt.ref_offset = 3;
        }
        auto it = pt.bytes.begin();
        while ((it = std::search(it, pt.bytes.end(), needle.begin(), needle.end())) !=
               pt.bytes.end()) {
            // The digits start after '#'.
            pt.token_offsets.push_back(static_cast<std::size_t>(it - pt.bytes.begin()) + stride);
            it += static_cast<std::ptrdiff_t>(needle.size());
        }
        if (pt.token_offsets.empty()) {
            throw std::runtime_error(
                fmt::format("sample text '{}': a part lost its token", t.name));
        }
        if (pt.bytes.size() > smpp::short_message_t::spec_max) {
            throw std::runtime_error(fmt::format("sample text '{}': part too long", t.name));
        }
        t.parts.push_back(std::move(pt));
    }
    return t;
}

}  // namespace

message_factory::message_factory(const gen_config& config) : config_(config) {
    (void)source_.assign(config.source);
    const std::size_t parts = config.long_parts;
    templates_.push_back(
        make_template("gsm",
                      fmt::format("smppgw-bench {} Your appointment is confirmed for Tue 10:30. "
                                  "Reply HELP for help, STOP to opt out.",
                                  token_placeholder),
                      smpp::text_encoding::gsm7, 1));
    templates_.push_back(make_template(
        "gsm-long",
        long_text(parts, smpp::part_capacity(smpp::text_encoding::gsm7, 6), "lorem ipsum dolor "),
        smpp::text_encoding::gsm7, parts));
    templates_.push_back(make_template(
        "ucs2", fmt::format("smppgw-bench {} Ваш заказ готов к выдаче ✓", token_placeholder),
        smpp::text_encoding::ucs2, 1));
    templates_.push_back(make_template(
        "ucs2-long",
        long_text(parts, smpp::part_capacity(smpp::text_encoding::ucs2, 6), "привет мир "),
        smpp::text_encoding::ucs2, parts));
}

std::string message_factory::token_text(std::uint64_t token) {
    return fmt::format("#{:010}", token % 10'000'000'000ULL);
}

void message_factory::plan(rng& r, std::uint64_t token, planned_message& out) const noexcept {
    const bool is_long = r.chance(config_.long_share);
    const bool ucs2 = r.chance(config_.ucs2_share);
    out.body =
        &templates_[ucs2 ? (is_long ? ucs2_long : ucs2_short) : (is_long ? gsm_long : gsm_short)];
    out.promotional = r.chance(config_.promo_share);
    out.opted_out = r.chance(config_.optout_share);
    out.token = token;
    out.reference = static_cast<std::uint8_t>(token);
    if (out.opted_out) {
        out.destination_length = static_cast<std::uint8_t>(
            config_.optouts.at(r.below(config_.optouts.size()), out.destination));
    } else if (!config_.destinations.empty()) {
        const auto& d = config_.destinations[r.below(config_.destinations.size())];
        std::memcpy(out.destination, d.data(), d.size());
        out.destination_length = static_cast<std::uint8_t>(d.size());
    } else {
        // NANP: 1 NPA NXX XXXX, exchange code 200-999 (N = 2-9).
        const std::uint64_t npa = config_.area_codes[r.below(config_.area_codes.size())];
        const std::uint64_t nxx = 200 + r.below(800);
        const std::uint64_t line = r.below(10000);
        std::uint64_t number = 10'000'000'000ULL + npa * 10'000'000ULL + nxx * 10'000 + line;
        for (std::size_t i = 11; i-- > 0;) {
            out.destination[i] = static_cast<char>('0' + number % 10);
            number /= 10;
        }
        out.destination_length = 11;
    }
}

void message_factory::fill(const planned_message& m, std::size_t index, bool receipt,
                           smpp::submit_sm& sm) const noexcept {
    const part_template& p = m.body->parts[index];
    (void)sm.service_type.assign(m.promotional ? "MKT" : "TXN");
    sm.source_addr_ton = 1;
    sm.source_addr_npi = 1;
    sm.source_addr = source_;
    sm.dest_addr_ton = 1;
    sm.dest_addr_npi = 1;
    (void)sm.destination_addr.assign(std::string_view(m.destination, m.destination_length));
    sm.esm_class = p.udhi ? smpp::udhi_esm_class_bit : 0;
    sm.registered_delivery = receipt ? 1 : 0;
    sm.data_coding = m.body->data_coding;

    std::uint8_t bytes[smpp::short_message_t::capacity];
    std::memcpy(bytes, p.bytes.data(), p.bytes.size());
    if (p.udhi) {
        bytes[p.ref_offset] = m.reference;
    }
    std::uint64_t t = m.token;
    char digits[token_digits];
    for (std::size_t i = token_digits; i-- > 0;) {
        digits[i] = static_cast<char>('0' + t % 10);
        t /= 10;
    }
    for (const std::size_t at : p.token_offsets) {
        for (std::size_t i = 0; i < token_digits; ++i) {
            bytes[at + i * p.token_stride + (p.token_stride - 1)] =
                static_cast<std::uint8_t>(digits[i]);
        }
    }
    (void)sm.short_message.assign(std::span<const std::uint8_t>(bytes, p.bytes.size()));
}

void export_optouts(const gen_config& config, const std::string& path) {
    std::ofstream out(path);
    if (!out) {
        throw std::runtime_error(fmt::format("--export-optouts: cannot write '{}'", path));
    }
    char buf[24];
    for (std::uint64_t i = 0; i < config.optouts.size(); ++i) {
        const auto n = config.optouts.at(i, buf);
        out.write(buf, static_cast<std::streamsize>(n));
        out.put('\n');
    }
    if (!out) {
        throw std::runtime_error(fmt::format("--export-optouts: error writing '{}'", path));
    }
}

}  // namespace smppgw::bench::loadgen
