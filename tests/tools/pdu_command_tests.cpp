// `smppgw pdu decode|encode` over every shared vector: operators run it on carrier captures, so it
// must take every one of them, say clearly what is wrong with broken ones, and round-trip.

#include <catch2/catch.hpp>

#include <cstdlib>
#include <ctime>
#include <optional>
#include <sstream>

#include <boost/json/parse.hpp>

#include "smppgw/gateway/commands.hpp"
#include "smppgw/smpp/pdu_json.hpp"
#include "vector_file.hpp"

namespace json = boost::json;
using smppgw::gateway::pdu_command;

namespace {

struct run_result {
    int code = 0;
    std::string out;
    std::string err;
};

run_result run(std::vector<std::string_view> args, const std::string& stdin_text = {}) {
    std::istringstream in(stdin_text);
    std::ostringstream out;
    std::ostringstream err;
    const int code = pdu_command(args, in, out, err);
    return {code, out.str(), err.str()};
}

}  // namespace

TEST_CASE("pdu decode prints one JSON object for every valid vector", "[tools][pdu]") {
    for (const auto& v : smppgw::test::load_vectors()) {
        if (v.negative()) {
            continue;
        }
        INFO(v.name);
        const std::string hex = smppgw::smpp::to_hex(v.bytes);
        const auto r = run({"decode", hex});
        REQUIRE(r.code == 0);
        const auto j = json::parse(r.out).as_object();
        CHECK(j.at("command").as_string() == v.comment.substr(0, v.comment.find(' ')));
        CHECK(j.contains("fields"));
        CHECK(j.contains("tlvs"));
        CHECK(j.at("command_status_name").is_string());
        if (v.name.starts_with("deliver_sm_dlr")) {
            REQUIRE(j.contains("receipt"));
            CHECK_FALSE(j.at("receipt").at("id").as_string().empty());
        }

        // encode takes the same JSON (from stdin) and gives the bytes back.
        const auto back = run({"encode"}, r.out);
        REQUIRE(back.code == 0);
        CHECK(back.out == hex + "\n");
    }
}

TEST_CASE("pdu decode explains malformed input with the status a server would answer",
          "[tools][pdu]") {
    SECTION("unknown command_id") {
        const auto r = run({"decode", "0000001000000110000000000a342ee7"});
        CHECK(r.code == 1);
        const auto j = json::parse(r.out).as_object();
        CHECK(j.at("command_status_name").as_string() == "ESME_RINVCMDID");
        CHECK_FALSE(j.at("error").as_string().empty());
    }
    SECTION("sm_length past the end names the field") {
        const auto r = run({"decode",
                            "00000039000000050000000000000001000101393939393139393134353933000000"
                            "363436340000000000000000080010c1e1e9edf3faf1fc"});
        CHECK(r.code == 1);
        const auto j = json::parse(r.out).as_object();
        CHECK(j.at("command_status_name").as_string() == "ESME_RINVMSGLEN");
        CHECK(std::string(j.at("error").as_string()).find("short_message") != std::string::npos);
    }
    SECTION("command_length larger than the input") {
        const auto r = run({"decode", "0000002000000015000000000000000100"});
        CHECK(r.code == 1);
        CHECK(json::parse(r.out).at("command_status_name").as_string() == "ESME_RINVCMDLEN");
    }
    SECTION("not hex") {
        const auto r = run({"decode", "zz"});
        CHECK(r.code == 1);
        CHECK(json::parse(r.out).as_object().contains("error"));
    }
    SECTION("trailing bytes after the PDU") {
        const auto r = run({"decode", "00000010000000150000000000000001ff"});
        CHECK(r.code == 1);
    }
}

TEST_CASE("pdu encode builds PDUs from hand-written JSON", "[tools][pdu]") {
    const auto r = run({"encode", R"({"command":"enquire_link","sequence_number":42})"});
    REQUIRE(r.code == 0);
    CHECK(r.out == "0000001000000015000000000000002a\n");

    const auto bad = run({"encode", R"({"command":"submit_sm","fields":{"source_addr":5}})"});
    CHECK(bad.code == 1);
    CHECK(bad.err.find("source_addr") != std::string::npos);

    const auto usage = run({});
    CHECK(usage.code == 2);
}

TEST_CASE("pdu decode writes receipt dates in UTC whatever TZ says", "[tools][pdu]") {
    // Receipt dates carry no zone; smppgw reads them as UTC and must write them back as UTC,
    // not through localtime() (under New York time 17:30 used to come out as 12:30Z).
    const char* old = std::getenv("TZ");
    const std::optional<std::string> saved = old != nullptr ? std::optional(old) : std::nullopt;
    ::setenv("TZ", "America/New_York", 1);
    ::tzset();
    std::optional<run_result> r;
    for (const auto& v : smppgw::test::load_vectors()) {
        if (v.name == "deliver_sm_dlr") {
            r = run({"decode", smppgw::smpp::to_hex(v.bytes)});
        }
    }
    if (saved) {
        ::setenv("TZ", saved->c_str(), 1);
    } else {
        ::unsetenv("TZ");
    }
    ::tzset();
    REQUIRE(r);
    REQUIRE(r->code == 0);
    const auto receipt = json::parse(r->out).at("receipt").as_object();
    // "submit date:1002101730 done date:1002101731"
    CHECK(receipt.at("submit_date").as_string() == "2010-02-10T17:30:00.000Z");
    CHECK(receipt.at("done_date").as_string() == "2010-02-10T17:31:00.000Z");
}
