#pragma once
// Streaming export and import of opt-outs and consents as JSON Lines or CSV.
//
// Both directions stream: export writes one line per record while iterating RocksDB; import
// reads one line (one CSV record, which may span lines inside quotes) at a time and commits in
// chunks of import_options::chunk_rows, so millions of rows never sit in memory.
//
// Formats (times are UTC ISO 8601, "2024-05-01T12:00:00.000Z"; a fraction and the milliseconds
// are optional on input; optional fields may be absent or empty):
//   opt-outs:  brand, msisdn, when, keyword, source, reference
//   consents:  brand, msisdn, class, status, type, program, granted, source, proof, proof_url,
//              ip, user_agent, double_opt_in, jurisdiction, expires, revoked, revocation_channel
// JSON Lines: one object per line with those keys (unknown keys are an error; blank lines are
// skipped). CSV: RFC 4180, first record is a header naming the columns in any order; required
// columns are brand, msisdn and when (opt-outs) or brand, msisdn, class, granted (consents).
//
// Bad rows. Each row is validated on its own (msisdn: 1-15 digits; brand: non-empty, no NUL,
// "*" only for opt-outs; enums by name; times parse). import_mode::lenient (the default) skips
// a bad row, reports its line number and reason, and commits the good ones.
// import_mode::strict stops at the first bad row: nothing of the chunk that holds it is
// committed (earlier chunks are), and the report says aborted. For all-or-nothing, run once
// with dry_run = true (validates the whole file, commits nothing), then import.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "smppgw/policy/records.hpp"

namespace smppgw::store {

class batch;
class store;

enum class file_format : std::uint8_t { jsonl = 0, csv = 1 };
enum class import_mode : std::uint8_t { lenient = 0, strict = 1 };

struct import_options {
    file_format format = file_format::jsonl;
    import_mode mode = import_mode::lenient;
    bool dry_run = false;
    std::size_t chunk_rows = 10'000;
    std::size_t max_reported_errors = 1'000;
    // Opt-outs without a reference get this one (e.g. the file name), as audit evidence.
    std::string reference;
    // A caller that must write something of its own atomically with each chunk (the cluster
    // stages the chunk's publication to the other nodes in the same batch) sees the chunk's
    // records before it is committed, then the outcome of that commit. Not called on dry runs.
    std::function<void(batch&, std::span<const policy::optout_record>)> stage_optouts;
    std::function<void(batch&, std::span<const policy::consent_record>)> stage_consents;
    std::function<void(std::error_code)> chunk_committed;
};

struct import_error {
    std::uint64_t line = 0;  // 1-based line where the bad record starts
    std::string reason;
};

struct import_report {
    std::uint64_t lines = 0;           // physical lines read
    std::uint64_t rows = 0;            // records seen (header and blank lines excluded)
    std::uint64_t imported = 0;        // rows committed (or, with dry_run, that would be)
    std::uint64_t skipped = 0;         // bad rows skipped (lenient)
    bool aborted = false;              // strict mode stopped at a bad row, or a commit failed
    std::vector<import_error> errors;  // at most max_reported_errors; `skipped` is exact
    std::error_code error;             // a store or stream failure that stopped the import
};

struct export_report {
    std::uint64_t rows = 0;
    std::error_code error;
};

enum class consent_export : std::uint8_t { current = 0, events = 1 };

[[nodiscard]] export_report export_optouts(const store& st, std::ostream& out, file_format f);
[[nodiscard]] export_report export_consents(const store& st, std::ostream& out, file_format f,
                                            consent_export what = consent_export::current);

[[nodiscard]] import_report import_optouts(store& st, std::istream& in, const import_options& opts);
[[nodiscard]] import_report import_consents(store& st, std::istream& in,
                                            const import_options& opts);

}  // namespace smppgw::store
