#pragma once
// Helpers shared by the admin handlers: strict JSON bodies, path and query validation, ISO 8601
// times, record -> JSON, and a std::streambuf over the request body so the store's importers
// read a request of any size in fixed memory.

#include <array>
#include <cstddef>
#include <initializer_list>
#include <optional>
#include <streambuf>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "admin/admin_routes.hpp"
#include "smppgw/policy/records.hpp"
#include "smppgw/policy/rfc3339.hpp"
#include "smppgw/store/import_export.hpp"
#include "smppgw/store/message_record.hpp"
#include "smppgw/store/records.hpp"

namespace smppgw::gateway::admin {

using time_point = policy::time_point;

using policy::format_time;  // RFC 3339, smppgw/policy/rfc3339.hpp
using policy::parse_time;

// Throw api_error(400) naming the parameter when the value is not valid.
void check_msisdn(std::string_view what, std::string_view msisdn);
void check_brand(std::string_view brand, bool allow_all_brands);

// The whole body as one JSON object whose keys are all in `allowed`. An empty body gives an
// empty object when `body_optional`, else 400. 415 for a body that is not application/json.
[[nodiscard]] boost::json::object read_json_object(const admin_request& r,
                                                   std::initializer_list<std::string_view> allowed,
                                                   bool body_optional);
// A string member (absent or null: nullopt); 400 when it is present with another type.
[[nodiscard]] std::optional<std::string> string_member(const boost::json::object& o,
                                                       std::string_view key);

// Query helpers: 400 with the parameter's name when the value does not parse.
[[nodiscard]] std::optional<time_point> query_time(const route_match& m, std::string_view key);
[[nodiscard]] std::size_t query_size(const route_match& m, std::string_view key,
                                     std::size_t fallback, std::size_t max);
[[nodiscard]] bool query_bool(const route_match& m, std::string_view key, bool fallback);
// 400 when the query has a parameter outside `allowed`.
void check_query(const route_match& m, std::initializer_list<std::string_view> allowed);

// ---- records as JSON --------------------------------------------------------------------------
[[nodiscard]] boost::json::object to_json(const policy::optout_record& r);
[[nodiscard]] boost::json::object to_json(const store::optout_event& e);
[[nodiscard]] boost::json::object to_json(const policy::consent_record& r);
[[nodiscard]] boost::json::object to_json(const store::message_record& r);
[[nodiscard]] boost::json::object to_json(const store::audit_record& r);

// ---- imports -----------------------------------------------------------------------------------

// Reads the request body through admin_request::read_body in fixed-size chunks. A physical line
// longer than max_line fails the stream (an importer would otherwise buffer it whole). A failed
// read sets badbit on the istream; error() says why.
class body_streambuf final : public std::streambuf {
public:
    static constexpr std::size_t chunk = 64 * 1024;
    static constexpr std::size_t max_line = 1024 * 1024;

    explicit body_streambuf(const admin_request& r) : request_(r) {}

    [[nodiscard]] const std::string& error() const noexcept { return error_; }
    [[nodiscard]] std::uint64_t bytes() const noexcept { return bytes_; }

protected:
    int_type underflow() override;

private:
    const admin_request& request_;
    std::array<char, chunk> buffer_{};
    std::size_t line_length_ = 0;  // bytes since the last newline
    std::uint64_t bytes_ = 0;
    std::string error_;
};

// Import options from the query (format, mode, dry_run, reference) and Content-Type.
[[nodiscard]] store::import_options import_options_for(const admin_request& r,
                                                       const route_match& m);
// The response for an import: 200 when it ran to the end (bad rows skipped in lenient mode are
// listed), 422 when strict mode stopped at a bad row or the input was unreadable as a whole
// (bad CSV header), 400 when the body stream broke, 503 when the store failed.
[[nodiscard]] http_response import_response(const store::import_report& rep,
                                            const store::import_options& o,
                                            const body_streambuf& body);

}  // namespace smppgw::gateway::admin
