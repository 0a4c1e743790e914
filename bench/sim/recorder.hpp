#pragma once
// --record FILE: one line per accepted message (per destination of a submit_multi), so drills
// can check that every submit the gateway acknowledged reached the carrier at least once.
//
//   system_id <TAB> message_id <TAB> source <TAB> destination <TAB> segment <TAB> content
//
// segment is "-" for a single message, else "REF:SEQ/TOTAL" from the UDH or the SAR TLVs;
// content is "h:<16 hex>" (FNV-1a 64 of the user data after any UDH, plus data_coding) or, with
// --record-text, "t:<decoded text>" with backslash, tab and newline escaped.
//
// Each simulator thread appends to its own buffer; buffers go to the file under a mutex when
// large, once a second, and at exit.

#include <cstdio>
#include <mutex>
#include <span>
#include <string>
#include <string_view>

#include "smppgw/smpp/pdu.hpp"

namespace smppgw::bench::sim {

class recorder {
public:
    recorder() = default;
    ~recorder();
    recorder(const recorder&) = delete;
    recorder& operator=(const recorder&) = delete;

    // Throws on an unwritable path (startup).
    void open(const std::string& path, bool text);
    [[nodiscard]] bool enabled() const noexcept { return file_ != nullptr; }
    [[nodiscard]] bool text_mode() const noexcept { return text_; }

    void write(std::string_view chunk);
    void flush();

private:
    std::mutex mutex_;
    std::FILE* file_ = nullptr;
    bool text_ = false;
};

// Appends one record line to `out`.
void append_record(std::string& out, std::string_view system_id, std::string_view message_id,
                   std::string_view source, std::string_view destination, std::uint8_t esm_class,
                   std::uint8_t data_coding, std::span<const std::uint8_t> user_data,
                   const smpp::tlv_list& tlvs, bool text);

}  // namespace smppgw::bench::sim
