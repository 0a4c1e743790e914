// Admin API helpers without a daemon: ISO 8601 times, the body streambuf that feeds imports in
// fixed-size chunks, and import option parsing.

#include <catch2/catch.hpp>

#include <cstring>
#include <istream>

#include "admin/admin_support.hpp"

namespace {

using namespace smppgw::gateway;
using namespace smppgw::gateway::admin;
using namespace std::chrono;

// A request whose body is `text`, handed out at most `step` bytes per read_body call.
admin_request request_over(const std::string& text, std::size_t step, std::size_t& calls) {
    admin_request r;
    auto pos = std::make_shared<std::size_t>(0);
    r.read_body = [&text, step, pos, &calls](char* out, std::size_t capacity) {
        ++calls;
        const auto n = std::min({step, capacity, text.size() - *pos});
        std::memcpy(out, text.data() + *pos, n);
        *pos += n;
        return n;
    };
    r.max_body = 1 << 20;
    return r;
}

}  // namespace

TEST_CASE("ISO 8601 times", "[admin]") {
    const auto t = parse_time("2024-05-01T12:00:00Z");
    REQUIRE(t);
    CHECK(format_time(*t) == "2024-05-01T12:00:00.000Z");
    CHECK(parse_time("2024-05-01T12:00:00.5Z") == *t + milliseconds(500));
    CHECK(parse_time("2024-05-01T12:00:00.123456Z") == *t + milliseconds(123));
    CHECK(parse_time("2024-05-01T14:00:00+02:00") == *t);
    CHECK(parse_time("2024-05-01T07:30:00-04:30") == *t);
    CHECK(format_time(sys_days(year(1970) / 1 / 1)) == "1970-01-01T00:00:00.000Z");
    for (const char* bad : {"", "2024-05-01", "2024-05-01 12:00:00Z", "2024-05-01T12:00:00",
                            "2024-02-30T12:00:00Z", "2024-05-01T25:00:00Z", "2024-05-01T12:00:00.Z",
                            "2024-05-01T12:00:00Zjunk", "yesterday"}) {
        INFO(bad);
        CHECK_FALSE(parse_time(bad));
    }
}

TEST_CASE("the body streambuf reads in chunks and never holds the whole body", "[admin]") {
    std::string text;
    for (int i = 0; i < 20000; ++i) {
        text += "line " + std::to_string(i) + "\n";
    }
    std::size_t calls = 0;
    const auto r = request_over(text, 1000, calls);
    body_streambuf buf(r);
    std::istream in(&buf);
    std::string line;
    int lines = 0;
    while (std::getline(in, line)) {
        ++lines;
    }
    CHECK(lines == 20000);
    CHECK(buf.bytes() == text.size());
    CHECK(buf.error().empty());
    CHECK(calls > text.size() / 1000);  // pulled piece by piece
}

TEST_CASE("an overlong line fails the stream instead of growing a buffer", "[admin]") {
    const std::string text = "ok\n" + std::string(body_streambuf::max_line + 10, 'x') + "\nok\n";
    std::size_t calls = 0;
    const auto r = request_over(text, 64 * 1024, calls);
    body_streambuf buf(r);
    std::istream in(&buf);
    std::string line;
    REQUIRE(std::getline(in, line));
    CHECK(line == "ok");
    CHECK_FALSE(std::getline(in, line));
    CHECK(in.bad());
    CHECK_THAT(buf.error(), Catch::Contains("longer"));
}

TEST_CASE("a broken body stream sets badbit and says why", "[admin]") {
    admin_request r;
    int calls = 0;
    r.read_body = [&calls](char* out, std::size_t) -> std::size_t {
        if (++calls > 1) {
            throw body_read_error("request body: timeout");
        }
        std::memcpy(out, "a\nb", 3);
        return 3;
    };
    body_streambuf buf(r);
    std::istream in(&buf);
    std::string line;
    REQUIRE(std::getline(in, line));
    CHECK_FALSE(std::getline(in, line));
    CHECK(in.bad());
    CHECK_THAT(buf.error(), Catch::Contains("timeout"));
}

TEST_CASE("import options from query and Content-Type", "[admin]") {
    admin_request r;
    route_match m;
    r.content_type = "text/csv; charset=utf-8";
    auto o = import_options_for(r, m);
    CHECK(o.format == smppgw::store::file_format::csv);
    CHECK(o.mode == smppgw::store::import_mode::lenient);
    CHECK_FALSE(o.dry_run);

    r.content_type = "application/x-ndjson";
    m.query["mode"] = "strict";
    m.query["dry_run"] = "true";
    o = import_options_for(r, m);
    CHECK(o.format == smppgw::store::file_format::jsonl);
    CHECK(o.mode == smppgw::store::import_mode::strict);
    CHECK(o.dry_run);

    r.content_type = "application/octet-stream";
    m.query.clear();
    CHECK_THROWS_AS(import_options_for(r, m), api_error);
    m.query["format"] = "jsonl";
    CHECK(import_options_for(r, m).format == smppgw::store::file_format::jsonl);
    m.query["mode"] = "careless";
    CHECK_THROWS_AS(import_options_for(r, m), api_error);
    m.query.erase("mode");
    m.query["colour"] = "blue";
    CHECK_THROWS_AS(import_options_for(r, m), api_error);
}
