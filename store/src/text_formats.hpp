#pragma once
// Text helpers for import/export: ISO 8601 UTC instants and RFC 4180 CSV, streaming.

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smppgw/policy/records.hpp"
#include "smppgw/policy/rfc3339.hpp"

namespace smppgw::store::detail {

using policy::format_time;
using policy::parse_time;

// Reads one CSV record at a time; a quoted field may span lines. Lines end in LF or CRLF.
class csv_reader {
public:
    explicit csv_reader(std::istream& in) : in_(in) {}

    // False at end of input (fields untouched) or on a malformed record (error() says why;
    // the reader has moved past it and can go on).
    bool next(std::vector<std::string>& fields);
    [[nodiscard]] const std::string& error() const noexcept { return error_; }
    [[nodiscard]] std::uint64_t record_line() const noexcept { return record_line_; }
    [[nodiscard]] std::uint64_t lines() const noexcept { return lines_; }
    [[nodiscard]] bool at_end() const noexcept { return eof_; }
    [[nodiscard]] bool blank() const noexcept { return blank_; }  // last record was empty

private:
    bool read_line(std::string& line);

    std::istream& in_;
    std::string line_;
    std::string error_;
    std::uint64_t record_line_ = 0;
    std::uint64_t lines_ = 0;
    bool eof_ = false;
    bool blank_ = false;
};

void write_csv_field(std::string& out, std::string_view field);

}  // namespace smppgw::store::detail
