#include "admin/admin_support.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>

#include <fmt/format.h>
#include <boost/json/parse.hpp>

#include "infra/metrics.hpp"
#include "smppgw/store/batch.hpp"
#include "wire/wire.hpp"

namespace smppgw::gateway::admin {
namespace {

namespace json = boost::json;

// The media type without parameters, lower-case.
std::string media_type(std::string_view content_type) {
    const auto semi = content_type.find(';');
    auto t = content_type.substr(0, semi);
    while (!t.empty() && t.back() == ' ') {
        t.remove_suffix(1);
    }
    std::string out(t);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

json::value opt_time(const std::optional<time_point>& t) {
    return t ? json::value(format_time(*t)) : json::value(nullptr);
}

json::object address(const store::sme_address& a) {
    return json::object{{"ton", a.ton}, {"npi", a.npi}, {"addr", a.addr}};
}

}  // namespace

void check_msisdn(std::string_view what, std::string_view msisdn) {
    const bool ok =
        !msisdn.empty() && msisdn.size() <= 15 &&
        std::all_of(msisdn.begin(), msisdn.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!ok) {
        throw api_error(400, fmt::format("{}: expected E.164 digits without '+' (1-15 digits), "
                                         "got \"{}\"",
                                         what, msisdn));
    }
}

void check_brand(std::string_view brand, bool allow_all_brands) {
    if (brand.empty() || brand.size() > store::batch::max_key_part ||
        brand.find('\0') != std::string_view::npos) {
        throw api_error(400, "brand: must be 1-512 bytes without NUL");
    }
    if (!allow_all_brands && brand == policy::all_brands) {
        throw api_error(400, "brand: \"*\" (all brands) is only valid for opt-outs");
    }
}

json::object read_json_object(const admin_request& r,
                              std::initializer_list<std::string_view> allowed, bool body_optional) {
    const auto body = r.body();
    if (body.find_first_not_of(" \t\r\n") == std::string::npos) {
        if (!body_optional) {
            throw api_error(400, "a JSON object body is required");
        }
        return {};
    }
    const auto type = media_type(r.content_type);
    if (!type.empty() && type != "application/json") {
        throw api_error(
            415, fmt::format("Content-Type must be application/json, got \"{}\"", r.content_type));
    }
    boost::system::error_code ec;
    auto v = json::parse(body, ec);
    if (ec) {
        throw api_error(400, "invalid JSON body: " + ec.message());
    }
    auto* o = v.if_object();
    if (o == nullptr) {
        throw api_error(400, "the body must be a JSON object");
    }
    for (const auto& member : *o) {
        const std::string_view key = member.key();
        if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
            std::string names;
            for (const auto a : allowed) {
                names += names.empty() ? "" : ", ";
                names += a;
            }
            throw api_error(400, fmt::format("unknown field \"{}\" (accepted: {})", key,
                                             names.empty() ? "none" : names));
        }
    }
    return std::move(*o);
}

std::optional<std::string> string_member(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    if (v == nullptr || v->is_null()) {
        return std::nullopt;
    }
    const auto* s = v->if_string();
    if (s == nullptr) {
        throw api_error(400, fmt::format("field \"{}\" must be a string", key));
    }
    return std::string(s->data(), s->size());
}

std::optional<time_point> query_time(const route_match& m, std::string_view key) {
    const auto it = m.query.find(key);
    if (it == m.query.end() || it->second.empty()) {
        return std::nullopt;
    }
    auto t = parse_time(it->second);
    if (!t) {
        throw api_error(400, fmt::format("{}: not an ISO 8601 time such as "
                                         "2024-05-01T12:00:00Z, got \"{}\"",
                                         key, it->second));
    }
    return t;
}

std::size_t query_size(const route_match& m, std::string_view key, std::size_t fallback,
                       std::size_t max) {
    const auto it = m.query.find(key);
    if (it == m.query.end() || it->second.empty()) {
        return fallback;
    }
    std::size_t v = 0;
    const auto& s = it->second;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size() || v == 0 || v > max) {
        throw api_error(400, fmt::format("{}: expected an integer 1..{}, got \"{}\"", key, max, s));
    }
    return v;
}

bool query_bool(const route_match& m, std::string_view key, bool fallback) {
    const auto it = m.query.find(key);
    if (it == m.query.end()) {
        return fallback;
    }
    if (it->second == "true" || it->second == "1" || it->second.empty()) {
        return true;
    }
    if (it->second == "false" || it->second == "0") {
        return false;
    }
    throw api_error(400, fmt::format("{}: expected true or false, got \"{}\"", key, it->second));
}

void check_query(const route_match& m, std::initializer_list<std::string_view> allowed) {
    for (const auto& [key, value] : m.query) {
        if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
            throw api_error(400, fmt::format("unknown query parameter \"{}\"", key));
        }
    }
}

// ---- records as JSON --------------------------------------------------------------------------

json::object to_json(const policy::optout_record& r) {
    return json::object{{"brand", r.brand},
                        {"msisdn", r.msisdn},
                        {"when", format_time(r.when)},
                        {"keyword", r.keyword},
                        {"source", policy::to_string(r.source)},
                        {"reference", r.reference}};
}

json::object to_json(const store::optout_event& e) {
    return json::object{{"event", e.lifted ? "lift" : "put"},
                        {"when", format_time(e.when)},
                        {"keyword", e.keyword},
                        {"source", policy::to_string(e.source)},
                        {"reference", e.reference}};
}

// The same keys as the consent import format, so a GET result can be PUT back.
json::object to_json(const policy::consent_record& r) {
    return json::object{{"brand", r.brand},
                        {"msisdn", r.msisdn},
                        {"class", policy::to_string(r.klass)},
                        {"status", policy::to_string(r.status)},
                        {"type", policy::to_string(r.type)},
                        {"program", r.program},
                        {"granted", format_time(r.granted)},
                        {"source", policy::to_string(r.source)},
                        {"proof", r.proof},
                        {"proof_url", r.proof_url},
                        {"ip", r.ip},
                        {"user_agent", r.user_agent},
                        {"double_opt_in", opt_time(r.double_opt_in)},
                        {"jurisdiction", r.jurisdiction},
                        {"expires", opt_time(r.expires)},
                        {"revoked", opt_time(r.revoked)},
                        {"revocation_channel", r.revocation_channel}};
}

// Message content stays out (DESIGN: never expose content in logs or tooling); its size is here.
json::object to_json(const store::message_record& r) {
    json::array parts;
    for (const auto& p : r.parts) {
        parts.push_back(json::object{{"carrier_message_id", p.carrier_message_id},
                                     {"state", store::to_string(p.state)},
                                     {"updated", format_time(p.updated)},
                                     {"error", p.error}});
    }
    json::array history;
    for (const auto& e : r.history) {
        history.push_back(
            json::object{{"state", store::to_string(e.state)}, {"when", format_time(e.when)}});
    }
    return json::object{{"id", format_message_id(r.id)},
                        {"account", r.account},
                        {"brand", r.brand},
                        {"class", policy::to_string(r.klass)},
                        {"source", address(r.source)},
                        {"destination", address(r.destination)},
                        {"msisdn", r.msisdn},
                        {"service_type", r.service_type},
                        {"campaign", metrics::campaign_label(r.campaign)},
                        {"esm_class", r.esm_class},
                        {"data_coding", r.data_coding},
                        {"registered_delivery", r.registered_delivery},
                        {"payload_bytes", r.payload.size()},
                        {"received", format_time(r.received)},
                        {"schedule_delivery", opt_time(r.schedule_delivery)},
                        {"validity", opt_time(r.validity)},
                        {"carrier", r.carrier},
                        {"state", store::to_string(r.state)},
                        {"final", store::is_final(r.state)},
                        {"parts", std::move(parts)},
                        {"history", std::move(history)}};
}

json::object to_json(const store::audit_record& r) {
    return json::object{
        {"when", format_time(r.when)},
        {"message_id", r.id == 0 ? json::value(nullptr) : json::value(format_message_id(r.id))},
        {"msisdn", r.msisdn},
        {"account", r.account},
        {"brand", r.brand},
        {"check", r.check},
        {"verdict", store::to_string(r.verdict)},
        {"command_status", fmt::format("0x{:08x}", r.command_status)},
        {"reason", r.reason},
        {"defer_until", opt_time(r.defer_until)}};
}

// ---- imports -----------------------------------------------------------------------------------

body_streambuf::int_type body_streambuf::underflow() {
    if (gptr() < egptr()) {
        return traits_type::to_int_type(*gptr());
    }
    if (!error_.empty()) {
        return traits_type::eof();
    }
    std::size_t n = 0;
    try {
        n = request_.read_body(buffer_.data(), buffer_.size());
    } catch (const std::exception& e) {
        error_ = e.what();
        throw;  // the istream turns it into badbit; the importer reports a stream error
    }
    if (n == 0) {
        return traits_type::eof();
    }
    bytes_ += n;
    const char* data = buffer_.data();
    const void* first = std::memchr(data, '\n', n);
    if (first == nullptr) {
        line_length_ += n;
    } else {
        const auto first_at = static_cast<std::size_t>(static_cast<const char*>(first) - data);
        if (line_length_ + first_at > max_line) {
            line_length_ += first_at;
        } else {
            const void* last = memrchr(data, '\n', n);
            line_length_ = n - static_cast<std::size_t>(static_cast<const char*>(last) - data) - 1;
        }
    }
    if (line_length_ > max_line) {
        error_ = fmt::format("a line is longer than {} bytes", max_line);
        throw std::length_error(error_);
    }
    setg(buffer_.data(), buffer_.data(), buffer_.data() + n);
    return traits_type::to_int_type(*gptr());
}

store::import_options import_options_for(const admin_request& r, const route_match& m) {
    check_query(m, {"format", "mode", "dry_run", "reference", "max_errors"});
    store::import_options o;
    const auto type = media_type(r.content_type);
    std::string format;
    if (const auto it = m.query.find("format"); it != m.query.end()) {
        format = it->second;
    } else if (type == "text/csv") {
        format = "csv";
    } else if (type == "application/x-ndjson" || type == "application/jsonl" ||
               type == "application/json-lines" || type == "application/x-jsonlines") {
        format = "jsonl";
    }
    if (format == "csv") {
        o.format = store::file_format::csv;
    } else if (format == "jsonl") {
        o.format = store::file_format::jsonl;
    } else {
        throw api_error(415, fmt::format("unknown import format (Content-Type \"{}\"): use "
                                         "?format=jsonl|csv, or Content-Type "
                                         "application/x-ndjson or text/csv",
                                         r.content_type));
    }
    if (const auto it = m.query.find("mode"); it != m.query.end()) {
        if (it->second == "strict") {
            o.mode = store::import_mode::strict;
        } else if (it->second != "lenient") {
            throw api_error(
                400, fmt::format("mode: expected lenient or strict, got \"{}\"", it->second));
        }
    }
    o.dry_run = query_bool(m, "dry_run", false);
    o.max_reported_errors = query_size(m, "max_errors", 1000, 100'000);
    if (const auto it = m.query.find("reference"); it != m.query.end()) {
        o.reference = it->second;
    } else {
        o.reference = "admin-api import";
    }
    return o;
}

http_response import_response(const store::import_report& rep, const store::import_options& o,
                              const body_streambuf& body) {
    json::array errors;
    for (const auto& e : rep.errors) {
        errors.push_back(json::object{{"line", e.line}, {"reason", e.reason}});
    }
    const bool stream_broken = !body.error().empty();
    json::object out{
        {"format", o.format == store::file_format::csv ? "csv" : "jsonl"},
        {"mode", o.mode == store::import_mode::strict ? "strict" : "lenient"},
        {"dry_run", o.dry_run},
        {"bytes", body.bytes()},
        {"lines", rep.lines},
        {"rows", rep.rows},
        {o.dry_run ? "valid" : "imported", rep.imported},
        {"skipped", rep.skipped},
        {"aborted", rep.aborted},
        {"errors", std::move(errors)},
        {"errors_truncated", rep.skipped + (rep.aborted ? 1U : 0U) > rep.errors.size()}};
    if (stream_broken) {
        out["error"] = "request body: " + body.error() +
                       "; rows before the failure were committed in chunks of " +
                       std::to_string(o.chunk_rows);
        return json_response(400, out, false);
    }
    if (rep.error) {
        out["error"] = "store: " + rep.error.message();
        return json_response(503, out, false);
    }
    if (rep.aborted) {
        out["error"] = o.mode == store::import_mode::strict
                           ? "strict import stopped at the first bad row; rows of earlier "
                             "chunks are committed, the chunk holding it is not"
                           : "the input cannot be read (see errors)";
        return json_response(422, out, false);
    }
    return json_response(200, out);
}

}  // namespace smppgw::gateway::admin
