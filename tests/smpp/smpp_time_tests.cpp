#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <string_view>

#include "smppgw/smpp/smpp_time.hpp"

using namespace std::chrono;
using namespace std::string_view_literals;
using smppgw::smpp::format_smpp_time;
using smppgw::smpp::parse_smpp_time;
using smppgw::smpp::relative_period;
using smppgw::smpp::smpp_time;
using smppgw::smpp::time_errc;
using smppgw::smpp::time_ms;

namespace {

time_ms at(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0, int ms = 0) {
    return sys_days{year{y} / month{mo} / day{d}} + hours{h} + minutes{mi} + seconds{s} +
           milliseconds{ms};
}

std::string formatted(const smpp_time& t) {
    const auto result = format_smpp_time(t);
    REQUIRE_FALSE(result.ec);
    return std::string(result.text.view());
}

std::error_code parse_error(std::string_view text) {
    return parse_smpp_time(text).ec;
}

}  // namespace

TEST_CASE("absolute time from the replace_sm vector", "[smpp_time]") {
    // 2015-02-03 04:05:06.7 local at UTC+02:00 (8 quarter hours ahead).
    const auto result = parse_smpp_time("150203040506708+");
    REQUIRE_FALSE(result.ec);
    CHECK(result.time.form == smpp_time::kind::absolute);
    CHECK(result.time.is_set());
    CHECK(result.time.utc == at(2015, 2, 3, 2, 5, 6, 700));
    CHECK(result.time.offset_quarter_hours == 8);
    CHECK(smppgw::smpp::resolve(result.time, at(2000, 1, 1)) == at(2015, 2, 3, 2, 5, 6, 700));
    CHECK(formatted(result.time) == "150203040506708+");
}

TEST_CASE("relative time from the replace_sm vector", "[smpp_time]") {
    const auto result = parse_smpp_time("010203040506000R");
    REQUIRE_FALSE(result.ec);
    CHECK(result.time.form == smpp_time::kind::relative);
    CHECK(result.time.period == relative_period{1, 2, 3, 4, 5, 6});
    CHECK(formatted(result.time) == "010203040506000R");
    // 1 y 2 mo 3 d 4 h 5 min 6 s after 2020-01-10 10:00:00.250.
    CHECK(smppgw::smpp::resolve(result.time, at(2020, 1, 10, 10, 0, 0, 250)) ==
          at(2021, 3, 13, 14, 5, 6, 250));
}

TEST_CASE("negative offsets: local time behind UTC", "[smpp_time]") {
    // 12:00 local at UTC-05:00 is 17:00 UTC.
    const auto result = parse_smpp_time("240315120000020-");
    REQUIRE_FALSE(result.ec);
    CHECK(result.time.utc == at(2024, 3, 15, 17));
    CHECK(result.time.offset_quarter_hours == -20);
    CHECK(formatted(result.time) == "240315120000020-");

    // UTC+12:00 crosses the date line backwards into the previous day in UTC.
    const auto east = parse_smpp_time("240101050000048+");
    REQUIRE_FALSE(east.ec);
    CHECK(east.time.utc == at(2023, 12, 31, 17));
    CHECK(formatted(east.time) == "240101050000048+");

    // A zero offset written "-" is the same instant and comes back as "+", as Kannel writes it.
    const auto zero = parse_smpp_time("240101050000000-");
    REQUIRE_FALSE(zero.ec);
    CHECK(zero.time.utc == at(2024, 1, 1, 5));
    CHECK(formatted(zero.time) == "240101050000000+");
}

TEST_CASE("empty means not set", "[smpp_time]") {
    for (const auto text : {""sv, "\0"sv}) {
        const auto result = parse_smpp_time(text);
        CHECK_FALSE(result.ec);
        CHECK(result.time.form == smpp_time::kind::not_set);
        CHECK_FALSE(result.time.is_set());
        CHECK_FALSE(smppgw::smpp::resolve(result.time, at(2024, 1, 1)).has_value());
        CHECK(formatted(result.time).empty());
    }
    // The wire value may still carry its NUL.
    const auto with_nul = parse_smpp_time("000000000500000R\0"sv);
    REQUIRE_FALSE(with_nul.ec);
    CHECK(with_nul.time.period == relative_period{0, 0, 0, 0, 5, 0});
}

TEST_CASE("relative periods resolve against now", "[smpp_time]") {
    const auto resolve_text = [](std::string_view text, time_ms now) {
        const auto result = parse_smpp_time(text);
        REQUIRE_FALSE(result.ec);
        return smppgw::smpp::resolve(result.time, now).value();
    };
    const time_ms now = at(2023, 6, 15, 23, 58);
    CHECK(resolve_text("000000000500000R", now) == now + minutes{5});
    CHECK(resolve_text("000000000000000R", now) == now);
    // Fields are counts, not clock positions: 72 hours is legal.
    CHECK(resolve_text("000000720000000R", now) == now + hours{72});
    CHECK(resolve_text("000000009999000R", now) == now + minutes{99} + seconds{99});
    // Calendar months clamp to the end of a shorter month.
    CHECK(resolve_text("000100000000000R", at(2023, 1, 31, 8)) == at(2023, 2, 28, 8));
    CHECK(resolve_text("000100000000000R", at(2024, 1, 31, 8)) == at(2024, 2, 29, 8));
    CHECK(resolve_text("010000000000000R", at(2024, 2, 29)) == at(2025, 2, 28));
    CHECK(resolve_text("001300000000000R", at(2024, 1, 15)) == at(2025, 2, 15));
    CHECK(resolve_text("000001000000000R", at(2024, 2, 28, 12)) == at(2024, 2, 29, 12));
}

TEST_CASE("malformed times give distinct errors", "[smpp_time]") {
    CHECK(parse_error("15020304050670+") == time_errc::bad_length);
    CHECK(parse_error("1502030405067080+") == time_errc::bad_length);
    CHECK(parse_error("0") == time_errc::bad_length);
    CHECK(parse_error("150203040506708X") == time_errc::bad_indicator);
    CHECK(parse_error("150203040506708r") == time_errc::bad_indicator);
    CHECK(parse_error("150203040506708 ") == time_errc::bad_indicator);
    CHECK(parse_error("15020304050670A+") == time_errc::not_a_digit);
    CHECK(parse_error("1502 3040506708+") == time_errc::not_a_digit);
    CHECK(parse_error("-10203040506000R") == time_errc::not_a_digit);
    CHECK(parse_error("151303040506708+") == time_errc::bad_date);  // month 13
    CHECK(parse_error("150003040506708+") == time_errc::bad_date);  // month 0
    CHECK(parse_error("150200040506708+") == time_errc::bad_date);  // day 0
    CHECK(parse_error("150230040506708+") == time_errc::bad_date);  // 30 February
    CHECK(parse_error("230229000000000+") == time_errc::bad_date);  // not a leap year
    CHECK(parse_error("150203240506708+") == time_errc::bad_date);  // hour 24
    CHECK(parse_error("150203046006708+") == time_errc::bad_date);  // minute 60
    CHECK(parse_error("150203040560708+") == time_errc::bad_date);  // second 60
    CHECK(parse_error("150203040506749+") == time_errc::bad_utc_offset);
    CHECK(parse_error("150203040506799-") == time_errc::bad_utc_offset);
    CHECK(parse_error("010203040506100R") == time_errc::relative_not_000);
    CHECK(parse_error("010203040506001R") == time_errc::relative_not_000);

    // Boundaries that are valid.
    CHECK_FALSE(parse_error("240229235959948+"));  // leap day, last tenth, UTC+12
    CHECK_FALSE(parse_error("991231235959948-"));
    CHECK_FALSE(parse_error("999999999999000R"));

    // Each error is its own value with its own message, in one category the server can map.
    const time_errc all[] = {time_errc::bad_length,       time_errc::not_a_digit,
                             time_errc::bad_indicator,    time_errc::bad_date,
                             time_errc::bad_utc_offset,   time_errc::relative_not_000,
                             time_errc::not_representable};
    for (std::size_t i = 0; i < std::size(all); ++i) {
        const std::error_code ec = all[i];
        CHECK(ec.category() == smppgw::smpp::time_category());
        CHECK_FALSE(ec.message().empty());
        for (std::size_t j = i + 1; j < std::size(all); ++j) {
            CHECK(ec != std::error_code(all[j]));
            CHECK(ec.message() != std::error_code(all[j]).message());
        }
    }
    CHECK(std::string(smppgw::smpp::time_category().name()) == "smppgw.smpp.time");
}

TEST_CASE("formatting absolute times", "[smpp_time]") {
    // Tenths are truncated, not rounded.
    CHECK(formatted(smpp_time::absolute(at(2030, 12, 31, 23, 59, 59, 999))) == "301231235959900+");
    CHECK(formatted(smpp_time::absolute(at(2000, 1, 1))) == "000101000000000+");
    // The stored offset decides the local rendering of the same instant.
    CHECK(formatted(smpp_time::absolute(at(2015, 2, 3, 2, 5, 6, 700), 8)) == "150203040506708+");
    CHECK(formatted(smpp_time::absolute(at(2015, 2, 3, 2, 5, 6, 700), -3)) == "150203012006703-");

    const auto not_representable = [](const smpp_time& t) {
        return format_smpp_time(t).ec == time_errc::not_representable;
    };
    CHECK(not_representable(smpp_time::absolute(at(1999, 12, 31, 23))));
    CHECK(not_representable(smpp_time::absolute(at(2100, 1, 1))));
    // 2099-12-31 23:00 UTC is already 2100 at UTC+02:00.
    CHECK(not_representable(smpp_time::absolute(at(2099, 12, 31, 23), 8)));
    CHECK(not_representable(smpp_time::absolute(at(2020, 1, 1), 49)));
    CHECK(not_representable(smpp_time::absolute(at(2020, 1, 1), -49)));
    CHECK(not_representable(smpp_time::relative(relative_period{0, 0, 0, 100, 0, 0})));
}

TEST_CASE("absolute times round-trip through text", "[smpp_time]") {
    for (int offset = -48; offset <= 48; offset += 7) {
        for (const time_ms t : {at(2001, 2, 28, 23, 59, 59, 900), at(2024, 2, 29, 0, 0, 0, 100),
                                at(2050, 7, 4, 12, 30, 15, 0), at(2098, 12, 31, 11, 11, 11, 500)}) {
            const smpp_time original = smpp_time::absolute(t, static_cast<std::int8_t>(offset));
            const std::string text = formatted(original);
            REQUIRE(text.size() == 16);
            const auto back = parse_smpp_time(text);
            REQUIRE_FALSE(back.ec);
            CHECK(back.time == original);
            CHECK(formatted(back.time) == text);
        }
    }
}

TEST_CASE("relative times round-trip through text", "[smpp_time]") {
    for (const relative_period p :
         {relative_period{0, 0, 0, 0, 0, 1}, relative_period{99, 99, 99, 99, 99, 99},
          relative_period{0, 0, 7, 0, 0, 0}, relative_period{0, 0, 0, 168, 0, 0}}) {
        const smpp_time original = smpp_time::relative(p);
        const auto result = format_smpp_time(original);
        if (p.hours > 99) {
            CHECK(result.ec == time_errc::not_representable);
            continue;
        }
        REQUIRE_FALSE(result.ec);
        const auto back = parse_smpp_time(result.text.view());
        REQUIRE_FALSE(back.ec);
        CHECK(back.time == original);
    }
}
