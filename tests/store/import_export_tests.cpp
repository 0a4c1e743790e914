// JSON Lines and CSV export/import: round trips, bad rows with line numbers, strict vs
// lenient, dry runs, and a larger streaming import.

#include <catch2/catch.hpp>

#include <sstream>
#include <streambuf>

#include "smppgw/store/batch.hpp"
#include "smppgw/store/import_export.hpp"
#include "smppgw/store/store.hpp"
#include "test_util.hpp"

using namespace smppgw::store;
using namespace smppgw::store::test;
namespace pol = smppgw::policy;

namespace {

void seed(store& st) {
    batch b;
    b.put_optout({"acme", "15550000001", test_start, "STOP", pol::record_source::mo, "mo-1"});
    b.put_optout({"acme", "15550000002", test_start + 1500ms, "", pol::record_source::api,
                  "crm, \"ticket\" 42\nsecond line é"});
    b.put_optout({std::string{pol::all_brands}, "447700900123", test_start, "STOPALL",
                  pol::record_source::mo, ""});
    pol::consent_record c;
    c.brand = "acme";
    c.msisdn = "15550000003";
    c.klass = pol::message_class::promotional;
    c.status = pol::consent_status::granted;
    c.type = pol::consent_type::express_written;
    c.program = "spring, 2024";
    c.granted = test_start;
    c.source = pol::record_source::web;
    c.proof = "I agree to \"marketing\" texts.\nReply STOP to cancel.";
    c.proof_url = "https://acme.example/join";
    c.ip = "2001:db8::1";
    c.user_agent = "Mozilla/5.0";
    c.double_opt_in = test_start + 1min;
    c.jurisdiction = "US-FL";
    c.expires = test_start + 24h * 365;
    b.put_consent(c);
    c.msisdn = "15550000004";
    c.klass = pol::message_class::transactional;
    c.status = pol::consent_status::revoked;
    c.revoked = test_start + 2h;
    c.revocation_channel = "MO";
    c.double_opt_in.reset();
    b.put_consent(c);
    REQUIRE_FALSE(st.commit_sync(std::move(b)));
}

std::string export_all(const store& st, file_format f, bool optouts) {
    std::ostringstream out;
    const auto rep = optouts ? export_optouts(st, out, f) : export_consents(st, out, f);
    REQUIRE_FALSE(rep.error);
    return out.str();
}

}  // namespace

TEST_CASE("opt-outs and consents round-trip through JSONL and CSV", "[import]") {
    const auto format = GENERATE(file_format::jsonl, file_format::csv);
    temp_dir dir;
    auto src = store::open(test_options(dir / "src"));
    seed(*src);
    const auto optouts = export_all(*src, format, true);
    const auto consents = export_all(*src, format, false);
    INFO(optouts);
    INFO(consents);

    auto dst = store::open(test_options(dir / "dst"));
    import_options io;
    io.format = format;
    io.mode = import_mode::strict;
    std::istringstream oin{optouts};
    auto rep = import_optouts(*dst, oin, io);
    CHECK(rep.errors.empty());
    CHECK_FALSE(rep.aborted);
    CHECK(rep.imported == 3);
    std::istringstream cin{consents};
    rep = import_consents(*dst, cin, io);
    CHECK(rep.errors.empty());
    CHECK(rep.imported == 2);

    CHECK(export_all(*dst, format, true) == optouts);
    CHECK(export_all(*dst, format, false) == consents);
    auto r = dst->get_optout("acme", "15550000002");
    REQUIRE(r->has_value());
    CHECK((*r)->reference == "crm, \"ticket\" 42\nsecond line é");
    CHECK((*r)->when == test_start + 1500ms);
    CHECK(dst->find_optout("globex", "447700900123"));
    auto c = dst->find_consent("acme", "15550000004", pol::message_class::transactional);
    REQUIRE(c);
    CHECK(c->status == pol::consent_status::revoked);

    std::ostringstream events;
    REQUIRE_FALSE(export_consents(*dst, events, format, consent_export::events).error);
    CHECK(events.str() == consents);  // one event per key here
}

TEST_CASE("JSONL import reports bad rows by line, lenient skips and strict aborts", "[import]") {
    temp_dir dir;
    auto st = store::open(test_options(dir.path()));
    const std::string file =
        R"({"brand":"acme","msisdn":"15550000001","when":"2024-06-01T12:00:00Z"})"
        "\n"
        R"({"brand":"acme","msisdn":"15550000002","when":"2024-06-01T12:00:00Z","source":"api"})"
        "\n"
        "\n"
        R"({"brand":"acme","msisdn":"1555","when":"2024-06-01T12:00:00Z")"
        "\n"  // bad JSON
        R"({"brand":"acme","msisdn":"15550000005","when":"2024-06-01T12:00:00Z","x":"1"})"
        "\n"
        R"({"brand":"acme","msisdn":"+15550000006","when":"2024-06-01T12:00:00Z"})"
        "\n"
        R"({"brand":"acme","msisdn":"15550000007","when":"yesterday"})"
        "\n"
        R"({"brand":"acme","msisdn":"15550000008"})"
        "\n"
        R"({"brand":"acme","msisdn":"15550000009","when":"2024-06-01T12:00:00Z","source":"fax"})"
        "\n"
        R"(["not","an","object"])"
        "\n"
        R"({"brand":"acme","msisdn":15550000011,"when":"2024-06-01T12:00:00Z"})"
        "\n"
        R"({"brand":"acme","msisdn":"15550000012","when":"2024-06-01T12:00:00Z","keyword":null})"
        "\n";

    SECTION("lenient") {
        std::istringstream in{file};
        import_options io;
        io.reference = "optouts-2024.jsonl";
        const auto rep = import_optouts(*st, in, io);
        CHECK_FALSE(rep.aborted);
        CHECK(rep.lines == 12);
        CHECK(rep.rows == 11);
        CHECK(rep.imported == 3);
        CHECK(rep.skipped == 8);
        std::vector<std::uint64_t> lines;
        for (const auto& e : rep.errors) {
            lines.push_back(e.line);
            CHECK_FALSE(e.reason.empty());
        }
        CHECK(lines == std::vector<std::uint64_t>{4, 5, 6, 7, 8, 9, 10, 11});
        CHECK(rep.errors[1].reason == "unknown field 'x'");
        CHECK(rep.errors[4].reason == "missing when");
        auto r = st->get_optout("acme", "15550000001");
        REQUIRE(r->has_value());
        CHECK((*r)->source == pol::record_source::import);
        CHECK((*r)->reference == "optouts-2024.jsonl");
        CHECK(st->find_optout("acme", "15550000012"));
    }
    SECTION("strict: the chunk holding the bad row is not committed") {
        std::istringstream in{file};
        import_options io;
        io.mode = import_mode::strict;
        io.chunk_rows = 1;  // rows 1 and 2 are committed chunks of their own
        const auto rep = import_optouts(*st, in, io);
        CHECK(rep.aborted);
        CHECK(rep.imported == 2);
        REQUIRE(rep.errors.size() == 1);
        CHECK(rep.errors[0].line == 4);
        CHECK(st->find_optout("acme", "15550000002"));

        std::istringstream again{file};
        io.chunk_rows = 100;
        temp_dir other;
        auto fresh = store::open(test_options(other.path()));
        const auto rep2 = import_optouts(*fresh, again, io);
        CHECK(rep2.aborted);
        CHECK(rep2.imported == 0);
        CHECK_FALSE(fresh->find_optout("acme", "15550000001"));
    }
    SECTION("dry run validates everything and commits nothing") {
        std::istringstream in{file};
        import_options io;
        io.dry_run = true;
        const auto rep = import_optouts(*st, in, io);
        CHECK(rep.imported == 3);
        CHECK(rep.skipped == 8);
        CHECK_FALSE(st->find_optout("acme", "15550000001"));
    }
}

TEST_CASE("CSV import: header checks, field counts, quoted newlines keep line numbers",
          "[import]") {
    temp_dir dir;
    auto st = store::open(test_options(dir.path()));
    import_options io;
    io.format = file_format::csv;

    SECTION("bad rows") {
        std::istringstream in{
            "msisdn,brand,when,reference\n"
            "15550000001,acme,2024-06-01T12:00:00Z,\"multi\nline\"\n"  // lines 2-3
            "15550000002,acme\n"                                       // line 4: too few
            "15550000003,acme,2024-06-01T12:00:00Z,x,extra\n"          // line 5: too many
            "15550000004,\"ac\"me,2024-06-01T12:00:00Z,\n"             // line 6: bad quoting
            "15550000005,acme,2024-13-01T12:00:00Z,\n"                 // line 7: bad month
            "15550000006,acme,2024-06-01T12:00:00Z,ok\n"};
        const auto rep = import_optouts(*st, in, io);
        CHECK(rep.imported == 2);
        CHECK(rep.skipped == 4);
        std::vector<std::uint64_t> lines;
        for (const auto& e : rep.errors) {
            lines.push_back(e.line);
        }
        CHECK(lines == std::vector<std::uint64_t>{4, 5, 6, 7});
        CHECK(st->get_optout("acme", "15550000001")->value().reference == "multi\nline");
        CHECK(st->find_optout("acme", "15550000006"));
    }
    SECTION("a header without a required column aborts before any row") {
        std::istringstream in{"brand,msisdn\nacme,15550000001\n"};
        const auto rep = import_optouts(*st, in, io);
        CHECK(rep.aborted);
        REQUIRE(rep.errors.size() == 1);
        CHECK(rep.errors[0].line == 1);
        CHECK(rep.errors[0].reason == "CSV header lacks the required column 'when'");
    }
    SECTION("an unknown column aborts") {
        std::istringstream in{"brand,msisdn,when,colour\n"};
        const auto rep = import_optouts(*st, in, io);
        CHECK(rep.aborted);
        CHECK(rep.errors.at(0).reason == "unknown CSV column 'colour'");
    }
    SECTION("an unterminated quote at the end is reported on its first line") {
        std::istringstream in{
            "brand,msisdn,when,reference\nacme,15550000001,2024-06-01T12:00:00Z,"
            "\"open\nstill open\n"};
        const auto rep = import_optouts(*st, in, io);
        CHECK(rep.skipped == 1);
        CHECK(rep.errors.at(0).line == 2);
    }
    SECTION("an empty file imports nothing, without error") {
        std::istringstream in{""};
        const auto rep = import_optouts(*st, in, io);
        CHECK_FALSE(rep.aborted);
        CHECK(rep.errors.empty());
        CHECK(rep.rows == 0);
    }
    SECTION("consents: class and times are validated") {
        std::istringstream in{
            "brand,msisdn,class,granted,status,expires\n"
            "acme,15550000001,promotional,2024-06-01T12:00:00Z,granted,\n"
            "acme,15550000002,marketing,2024-06-01T12:00:00Z,granted,\n"
            "acme,15550000003,transactional,2024-06-01T12:00:00Z,maybe,\n"
            "acme,15550000004,transactional,2024-06-01T12:00:00Z,pending,never\n"
            "*,15550000005,transactional,2024-06-01T12:00:00Z,,\n"};
        const auto rep = import_consents(*st, in, io);
        CHECK(rep.imported == 1);
        REQUIRE(rep.errors.size() == 4);
        CHECK(rep.errors[0].line == 3);
        CHECK(rep.errors[0].reason == "class: unknown 'marketing'");
        CHECK(rep.errors[2].reason.rfind("expires:", 0) == 0);
        CHECK(st->find_consent("acme", "15550000001", pol::message_class::promotional));
    }
}

namespace {

// Generates a large opt-out file on the fly, so the test itself does not hold it in memory.
class generated_file : public std::streambuf {
public:
    explicit generated_file(std::size_t rows) : rows_(rows) {}

protected:
    int_type underflow() override {
        if (next_ >= rows_) {
            return traits_type::eof();
        }
        line_ = R"({"brand":"bulk","msisdn":")" + std::to_string(19000000000ULL + next_) +
                R"(","when":"2024-06-01T12:00:00.000Z","keyword":"STOP"})"
                "\n";
        ++next_;
        setg(line_.data(), line_.data(), line_.data() + line_.size());
        return traits_type::to_int_type(line_[0]);
    }

private:
    std::size_t rows_;
    std::size_t next_ = 0;
    std::string line_;
};

}  // namespace

TEST_CASE("a large import streams in chunks", "[import]") {
    temp_dir dir;
    auto st = store::open(test_options(dir.path()));
    constexpr std::size_t rows = 50'000;
    generated_file buf{rows};
    std::istream in{&buf};
    import_options io;
    io.chunk_rows = 5'000;
    const auto groups_before = st->stats().committed;
    const auto rep = import_optouts(*st, in, io);
    CHECK(rep.imported == rows);
    CHECK(rep.errors.empty());
    CHECK(st->stats().committed - groups_before == rows / io.chunk_rows);
    CHECK(st->find_optout("bulk", "19000000000"));
    CHECK(st->find_optout("bulk", std::to_string(19000000000ULL + rows - 1)));
    std::ostringstream out;
    const auto ex = export_optouts(*st, out, file_format::csv);
    CHECK(ex.rows == rows);
}
