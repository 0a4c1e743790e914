// Streaming JSON Lines / CSV export and import of opt-outs and consents (import_export.hpp
// documents the formats and the bad-row policy).

#include "smppgw/store/import_export.hpp"

#include <array>
#include <istream>
#include <ostream>
#include <span>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "smppgw/store/store.hpp"
#include "text_formats.hpp"

namespace smppgw::store {

namespace json = boost::json;
using detail::format_time;
using detail::parse_time;

namespace {

// --- schemas ----------------------------------------------------------------------------------

enum optout_col : std::size_t { o_brand, o_msisdn, o_when, o_keyword, o_source, o_reference };
constexpr std::array<std::string_view, 6> optout_columns{"brand",   "msisdn", "when",
                                                         "keyword", "source", "reference"};
constexpr std::array<std::size_t, 3> optout_required{o_brand, o_msisdn, o_when};

enum consent_col : std::size_t {
    c_brand,
    c_msisdn,
    c_class,
    c_status,
    c_type,
    c_program,
    c_granted,
    c_source,
    c_proof,
    c_proof_url,
    c_ip,
    c_user_agent,
    c_double_opt_in,
    c_jurisdiction,
    c_expires,
    c_revoked,
    c_revocation_channel
};
constexpr std::array<std::string_view, 17> consent_columns{"brand",
                                                           "msisdn",
                                                           "class",
                                                           "status",
                                                           "type",
                                                           "program",
                                                           "granted",
                                                           "source",
                                                           "proof",
                                                           "proof_url",
                                                           "ip",
                                                           "user_agent",
                                                           "double_opt_in",
                                                           "jurisdiction",
                                                           "expires",
                                                           "revoked",
                                                           "revocation_channel"};
constexpr std::array<std::size_t, 4> consent_required{c_brand, c_msisdn, c_class, c_granted};

struct schema {
    std::span<const std::string_view> columns;
    std::span<const std::size_t> required;
};
constexpr schema optout_schema{optout_columns, optout_required};
constexpr schema consent_schema{consent_columns, consent_required};

// One row, by schema column; nullopt = absent. Empty strings count as absent for optional
// fields and as missing for required ones.
using row = std::vector<std::optional<std::string>>;

std::optional<std::size_t> column_index(const schema& s, std::string_view name) {
    for (std::size_t i = 0; i < s.columns.size(); ++i) {
        if (s.columns[i] == name) {
            return i;
        }
    }
    return std::nullopt;
}

std::string_view field(const row& r, std::size_t i) {
    return r[i] ? std::string_view{*r[i]} : std::string_view{};
}

// --- row sources ------------------------------------------------------------------------------

enum class read_status : std::uint8_t { end, record, blank, bad, fatal };

class row_source {
public:
    virtual ~row_source() = default;
    virtual read_status next(row& r, std::uint64_t& line, std::string& reason) = 0;
    [[nodiscard]] virtual std::uint64_t lines() const = 0;
};

class jsonl_source final : public row_source {
public:
    jsonl_source(std::istream& in, const schema& s) : in_(in), schema_(s) {}

    read_status next(row& r, std::uint64_t& line, std::string& reason) override {
        if (!std::getline(in_, line_)) {
            return read_status::end;
        }
        line = ++lines_;
        if (!line_.empty() && line_.back() == '\r') {
            line_.pop_back();
        }
        if (line_.find_first_not_of(" \t") == std::string::npos) {
            return read_status::blank;
        }
        boost::system::error_code ec;
        auto v = json::parse(line_, ec);
        if (ec) {
            reason = fmt::format("invalid JSON: {}", ec.message());
            return read_status::bad;
        }
        const auto* obj = v.if_object();
        if (obj == nullptr) {
            reason = "not a JSON object";
            return read_status::bad;
        }
        r.assign(schema_.columns.size(), std::nullopt);
        for (const auto& member : *obj) {
            const auto name = std::string_view{member.key()};
            const auto idx = column_index(schema_, name);
            if (!idx) {
                reason = fmt::format("unknown field '{}'", name);
                return read_status::bad;
            }
            if (member.value().is_null()) {
                continue;
            }
            const auto* s = member.value().if_string();
            if (s == nullptr) {
                reason = fmt::format("field '{}' must be a string", name);
                return read_status::bad;
            }
            r[*idx] = std::string{s->data(), s->size()};
        }
        return read_status::record;
    }

    [[nodiscard]] std::uint64_t lines() const override { return lines_; }

private:
    std::istream& in_;
    const schema& schema_;
    std::string line_;
    std::uint64_t lines_ = 0;
};

class csv_source final : public row_source {
public:
    csv_source(std::istream& in, const schema& s) : reader_(in), schema_(s) {}

    read_status next(row& r, std::uint64_t& line, std::string& reason) override {
        if (!header_read_) {
            header_read_ = true;
            if (auto st = read_header(line, reason); st != read_status::record) {
                return st;
            }
        }
        if (!reader_.next(fields_)) {
            line = reader_.record_line();
            if (!reader_.error().empty()) {
                reason = reader_.error();
                return read_status::bad;
            }
            return read_status::end;
        }
        line = reader_.record_line();
        if (reader_.blank()) {
            return read_status::blank;
        }
        if (fields_.size() != map_.size()) {
            reason = fmt::format("{} fields, the header has {}", fields_.size(), map_.size());
            return read_status::bad;
        }
        r.assign(schema_.columns.size(), std::nullopt);
        for (std::size_t i = 0; i < fields_.size(); ++i) {
            if (!fields_[i].empty()) {
                r[map_[i]] = std::move(fields_[i]);
            }
        }
        return read_status::record;
    }

    [[nodiscard]] std::uint64_t lines() const override { return reader_.lines(); }

private:
    read_status read_header(std::uint64_t& line, std::string& reason) {
        if (!reader_.next(fields_) || reader_.blank()) {
            line = std::max<std::uint64_t>(1, reader_.record_line());
            reason = reader_.error().empty() ? "missing CSV header" : reader_.error();
            return reader_.at_end() && reader_.error().empty() && reader_.lines() == 0
                       ? read_status::end
                       : read_status::fatal;
        }
        line = reader_.record_line();
        std::vector<bool> seen(schema_.columns.size(), false);
        for (const auto& name : fields_) {
            const auto idx = column_index(schema_, name);
            if (!idx) {
                reason = fmt::format("unknown CSV column '{}'", name);
                return read_status::fatal;
            }
            if (seen[*idx]) {
                reason = fmt::format("duplicate CSV column '{}'", name);
                return read_status::fatal;
            }
            seen[*idx] = true;
            map_.push_back(*idx);
        }
        for (const auto idx : schema_.required) {
            if (!seen[idx]) {
                reason =
                    fmt::format("CSV header lacks the required column '{}'", schema_.columns[idx]);
                return read_status::fatal;
            }
        }
        return read_status::record;
    }

    detail::csv_reader reader_;
    const schema& schema_;
    std::vector<std::string> fields_;
    std::vector<std::size_t> map_;  // CSV column -> schema column
    bool header_read_ = false;
};

// --- validation -------------------------------------------------------------------------------

bool valid_msisdn(std::string_view m) {
    if (m.empty() || m.size() > 15) {
        return false;
    }
    for (const char c : m) {
        if (c < '0' || c > '9') {
            return false;
        }
    }
    return true;
}

bool valid_brand(std::string_view b) {
    return !b.empty() && b.size() <= batch::max_key_part && b.find('\0') == std::string_view::npos;
}

// Each returns an empty string when the row is valid, else the reason.
std::string check_required(const schema& s, const row& r) {
    for (const auto idx : s.required) {
        if (field(r, idx).empty()) {
            return fmt::format("missing {}", s.columns[idx]);
        }
    }
    return {};
}

std::string parse_optional_time(const row& r, std::size_t idx, std::string_view name,
                                std::optional<time_point>& out) {
    const auto v = field(r, idx);
    if (v.empty()) {
        out.reset();
        return {};
    }
    out = parse_time(v);
    return out ? std::string{} : fmt::format("{}: not an ISO 8601 UTC time: '{}'", name, v);
}

std::string validate_optout(const row& r, const import_options& o, policy::optout_record& rec) {
    if (auto e = check_required(optout_schema, r); !e.empty()) {
        return e;
    }
    rec.brand = field(r, o_brand);
    rec.msisdn = field(r, o_msisdn);
    if (!valid_brand(rec.brand)) {
        return "brand: empty, too long or contains NUL";
    }
    if (!valid_msisdn(rec.msisdn)) {
        return fmt::format("msisdn: expected 1-15 digits, got '{}'", rec.msisdn);
    }
    const auto when = parse_time(field(r, o_when));
    if (!when) {
        return fmt::format("when: not an ISO 8601 UTC time: '{}'", field(r, o_when));
    }
    rec.when = *when;
    rec.keyword = field(r, o_keyword);
    rec.source = policy::record_source::import;
    if (const auto s = field(r, o_source); !s.empty()) {
        const auto src = policy::parse_record_source(s);
        if (!src) {
            return fmt::format("source: unknown '{}'", s);
        }
        rec.source = *src;
    }
    rec.reference = field(r, o_reference);
    if (rec.reference.empty()) {
        rec.reference = o.reference;
    }
    return {};
}

std::string validate_consent(const row& r, policy::consent_record& rec) {
    if (auto e = check_required(consent_schema, r); !e.empty()) {
        return e;
    }
    rec = policy::consent_record{};
    rec.brand = field(r, c_brand);
    rec.msisdn = field(r, c_msisdn);
    if (!valid_brand(rec.brand) || rec.brand == policy::all_brands) {
        return "brand: empty, too long, contains NUL or is '*'";
    }
    if (!valid_msisdn(rec.msisdn)) {
        return fmt::format("msisdn: expected 1-15 digits, got '{}'", rec.msisdn);
    }
    const auto klass = policy::parse_message_class(field(r, c_class));
    if (!klass) {
        return fmt::format("class: unknown '{}'", field(r, c_class));
    }
    rec.klass = *klass;
    if (const auto s = field(r, c_status); !s.empty()) {
        const auto v = policy::parse_consent_status(s);
        if (!v) {
            return fmt::format("status: unknown '{}'", s);
        }
        rec.status = *v;
    }
    if (const auto s = field(r, c_type); !s.empty()) {
        const auto v = policy::parse_consent_type(s);
        if (!v) {
            return fmt::format("type: unknown '{}'", s);
        }
        rec.type = *v;
    }
    rec.source = policy::record_source::import;
    if (const auto s = field(r, c_source); !s.empty()) {
        const auto v = policy::parse_record_source(s);
        if (!v) {
            return fmt::format("source: unknown '{}'", s);
        }
        rec.source = *v;
    }
    const auto granted = parse_time(field(r, c_granted));
    if (!granted) {
        return fmt::format("granted: not an ISO 8601 UTC time: '{}'", field(r, c_granted));
    }
    rec.granted = *granted;
    for (auto [idx, target] :
         {std::pair{c_double_opt_in, &rec.double_opt_in}, std::pair{c_expires, &rec.expires},
          std::pair{c_revoked, &rec.revoked}}) {
        if (auto e = parse_optional_time(r, idx, consent_columns[idx], *target); !e.empty()) {
            return e;
        }
    }
    rec.program = field(r, c_program);
    rec.proof = field(r, c_proof);
    rec.proof_url = field(r, c_proof_url);
    rec.ip = field(r, c_ip);
    rec.user_agent = field(r, c_user_agent);
    rec.jurisdiction = field(r, c_jurisdiction);
    rec.revocation_channel = field(r, c_revocation_channel);
    return {};
}

// --- the import loop --------------------------------------------------------------------------

template <typename Record, typename Validate, typename Add>
import_report run_import(store& st, std::istream& in, const schema& s, const import_options& o,
                         Validate validate, Add add,
                         const std::function<void(batch&, std::span<const Record>)>& stage) {
    import_report rep;
    std::unique_ptr<row_source> src;
    if (o.format == file_format::csv) {
        src = std::make_unique<csv_source>(in, s);
    } else {
        src = std::make_unique<jsonl_source>(in, s);
    }
    auto report_error = [&](std::uint64_t line, std::string reason) {
        if (rep.errors.size() < o.max_reported_errors) {
            rep.errors.push_back(import_error{line, std::move(reason)});
        }
    };

    batch b;
    std::size_t in_chunk = 0;
    // The chunk's records, kept only for a caller that stages its own writes with them.
    const bool staging = stage && !o.dry_run;
    std::vector<Record> staged;
    auto flush = [&]() -> bool {
        if (in_chunk == 0) {
            return true;
        }
        if (!o.dry_run) {
            if (staging) {
                stage(b, staged);
                staged.clear();
            }
            const auto ec = st.commit_sync(std::move(b));
            if (o.chunk_committed && staging) {
                o.chunk_committed(ec);
            }
            if (ec) {
                rep.error = ec;
                rep.aborted = true;
                return false;
            }
        }
        rep.imported += in_chunk;
        b = batch{};
        in_chunk = 0;
        return true;
    };

    row r;
    Record rec;
    std::string reason;
    const std::size_t chunk = std::max<std::size_t>(1, o.chunk_rows);
    for (;;) {
        std::uint64_t line = 0;
        reason.clear();
        const auto status = src->next(r, line, reason);
        if (status == read_status::end) {
            break;
        }
        if (status == read_status::blank) {
            continue;
        }
        if (status == read_status::fatal) {
            report_error(line, std::move(reason));
            rep.aborted = true;
            rep.lines = src->lines();
            return rep;
        }
        ++rep.rows;
        if (status == read_status::record) {
            reason = validate(r, rec);
        }
        if (!reason.empty()) {
            report_error(line, std::move(reason));
            if (o.mode == import_mode::strict) {
                rep.aborted = true;  // the current chunk (in `b`) is dropped uncommitted
                rep.lines = src->lines();
                return rep;
            }
            ++rep.skipped;
            continue;
        }
        add(b, rec);
        if (staging) {
            staged.push_back(rec);
        }
        if (++in_chunk >= chunk && !flush()) {
            rep.lines = src->lines();
            return rep;
        }
    }
    rep.lines = src->lines();
    if (in.bad()) {
        rep.error = std::make_error_code(std::errc::io_error);
        rep.aborted = true;
        return rep;
    }
    (void)flush();
    return rep;
}

// --- export helpers ---------------------------------------------------------------------------

// Writes one row: `values` by schema column, nullopt/empty for absent.
class row_writer {
public:
    row_writer(std::ostream& out, file_format f, const schema& s) : out_(out), f_(f), s_(s) {}

    void header() {
        if (f_ != file_format::csv) {
            return;
        }
        line_.clear();
        for (std::size_t i = 0; i < s_.columns.size(); ++i) {
            if (i > 0) {
                line_.push_back(',');
            }
            line_.append(s_.columns[i]);
        }
        line_.push_back('\n');
        out_ << line_;
    }

    void write(const std::vector<std::string>& values) {
        line_.clear();
        if (f_ == file_format::csv) {
            for (std::size_t i = 0; i < values.size(); ++i) {
                if (i > 0) {
                    line_.push_back(',');
                }
                detail::write_csv_field(line_, values[i]);
            }
        } else {
            json::object obj;
            for (std::size_t i = 0; i < values.size(); ++i) {
                if (!values[i].empty()) {
                    obj[s_.columns[i]] = values[i];
                }
            }
            line_ = json::serialize(obj);
        }
        line_.push_back('\n');
        out_ << line_;
    }

private:
    std::ostream& out_;
    file_format f_;
    const schema& s_;
    std::string line_;
};

std::string opt_time(const std::optional<time_point>& t) {
    return t ? format_time(*t) : "";
}

}  // namespace

export_report export_optouts(const store& st, std::ostream& out, file_format f) {
    export_report rep;
    row_writer w{out, f, optout_schema};
    w.header();
    std::vector<std::string> v(optout_columns.size());
    rep.error = st.for_each_optout([&](const policy::optout_record& r) {
        v[o_brand] = r.brand;
        v[o_msisdn] = r.msisdn;
        v[o_when] = format_time(r.when);
        v[o_keyword] = r.keyword;
        v[o_source] = policy::to_string(r.source);
        v[o_reference] = r.reference;
        w.write(v);
        ++rep.rows;
        return out.good();
    });
    if (!rep.error && !out.good()) {
        rep.error = std::make_error_code(std::errc::io_error);
    }
    return rep;
}

export_report export_consents(const store& st, std::ostream& out, file_format f,
                              consent_export what) {
    export_report rep;
    row_writer w{out, f, consent_schema};
    w.header();
    std::vector<std::string> v(consent_columns.size());
    auto emit = [&](const policy::consent_record& r) {
        v[c_brand] = r.brand;
        v[c_msisdn] = r.msisdn;
        v[c_class] = policy::to_string(r.klass);
        v[c_status] = policy::to_string(r.status);
        v[c_type] = policy::to_string(r.type);
        v[c_program] = r.program;
        v[c_granted] = format_time(r.granted);
        v[c_source] = policy::to_string(r.source);
        v[c_proof] = r.proof;
        v[c_proof_url] = r.proof_url;
        v[c_ip] = r.ip;
        v[c_user_agent] = r.user_agent;
        v[c_double_opt_in] = opt_time(r.double_opt_in);
        v[c_jurisdiction] = r.jurisdiction;
        v[c_expires] = opt_time(r.expires);
        v[c_revoked] = opt_time(r.revoked);
        v[c_revocation_channel] = r.revocation_channel;
        w.write(v);
        ++rep.rows;
        return out.good();
    };
    rep.error = what == consent_export::current ? st.for_each_consent(emit)
                                                : st.for_each_consent_event(emit);
    if (!rep.error && !out.good()) {
        rep.error = std::make_error_code(std::errc::io_error);
    }
    return rep;
}

import_report import_optouts(store& st, std::istream& in, const import_options& opts) {
    return run_import<policy::optout_record>(
        st, in, optout_schema, opts,
        [&](const row& r, policy::optout_record& rec) { return validate_optout(r, opts, rec); },
        [](batch& b, const policy::optout_record& rec) { b.put_optout(rec); },
        opts.stage_optouts);
}

import_report import_consents(store& st, std::istream& in, const import_options& opts) {
    return run_import<policy::consent_record>(
        st, in, consent_schema, opts,
        [](const row& r, policy::consent_record& rec) { return validate_consent(r, rec); },
        [](batch& b, const policy::consent_record& rec) { b.put_consent(rec); },
        opts.stage_consents);
}

}  // namespace smppgw::store
