#include "sim/recorder.hpp"

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

#include "smppgw/smpp/segmentation.hpp"
#include "smppgw/smpp/text.hpp"

namespace smppgw::bench::sim {

recorder::~recorder() {
    if (file_ != nullptr) {
        std::fclose(file_);
    }
}

void recorder::open(const std::string& path, bool text) {
    file_ = std::fopen(path.c_str(), "w");
    if (file_ == nullptr) {
        throw std::runtime_error(fmt::format("--record {}: {}", path, std::strerror(errno)));
    }
    text_ = text;
}

void recorder::write(std::string_view chunk) {
    if (chunk.empty() || file_ == nullptr) {
        return;
    }
    const std::lock_guard lock(mutex_);
    std::fwrite(chunk.data(), 1, chunk.size(), file_);
}

void recorder::flush() {
    if (file_ == nullptr) {
        return;
    }
    const std::lock_guard lock(mutex_);
    std::fflush(file_);
}

void append_record(std::string& out, std::string_view system_id, std::string_view message_id,
                   std::string_view source, std::string_view destination, std::uint8_t esm_class,
                   std::uint8_t data_coding, std::span<const std::uint8_t> user_data,
                   const smpp::tlv_list& tlvs, bool text) {
    out += system_id;
    out += '\t';
    out += message_id;
    out += '\t';
    out += source;
    out += '\t';
    out += destination;
    out += '\t';
    const bool udhi = (esm_class & smpp::udhi_esm_class_bit) != 0;
    std::span<const std::uint8_t> body = user_data;
    bool segment_written = false;
    if (udhi) {
        const auto udh = smpp::parse_udh(user_data);
        if (!udh.ec) {
            body = udh.payload;
            if (udh.concat) {
                fmt::format_to(std::back_inserter(out), "{}:{}/{}", udh.concat->reference,
                               udh.concat->seqnum, udh.concat->total);
                segment_written = true;
            }
        }
    }
    if (!segment_written) {
        const auto ref = tlvs.get<smpp::tlv::sar_msg_ref_num>();
        const auto seq = tlvs.get<smpp::tlv::sar_segment_seqnum>();
        const auto total = tlvs.get<smpp::tlv::sar_total_segments>();
        if (ref && seq && total) {
            fmt::format_to(std::back_inserter(out), "{}:{}/{}", *ref, *seq, *total);
        } else {
            out += '-';
        }
    }
    out += '\t';
    if (text) {
        const auto decoded = smpp::decode_short_message(body, data_coding, false);
        out += "t:";
        for (char c : decoded.text) {
            switch (c) {
                case '\\':
                    out += "\\\\";
                    break;
                case '\t':
                    out += "\\t";
                    break;
                case '\n':
                    out += "\\n";
                    break;
                case '\r':
                    out += "\\r";
                    break;
                default:
                    out += c;
            }
        }
    } else {
        std::uint64_t h = 0xCBF29CE484222325ULL;
        const auto step = [&h](std::uint8_t b) {
            h ^= b;
            h *= 0x100000001B3ULL;
        };
        step(data_coding);
        for (auto b : body) {
            step(b);
        }
        fmt::format_to(std::back_inserter(out), "h:{:016x}", h);
    }
    out += '\n';
}

}  // namespace smppgw::bench::sim
