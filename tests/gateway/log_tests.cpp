// Log lines: UTC with milliseconds whatever TZ says, and in JSON the account, carrier, message id
// and remote address of an event as keys of their own.

#include <catch2/catch.hpp>

#include <cstdlib>
#include <ctime>
#include <sstream>
#include <string>

#include <boost/json/parse.hpp>

#include "infra/log.hpp"
#include "smppgw/smpp/smpp_time.hpp"
#include "support/gateway_env.hpp"
#include "support/process.hpp"

namespace {

using namespace smppgw::test;
namespace glog = smppgw::gateway::log;

// Sets TZ for the test process (and the children it starts), and puts it back.
class scoped_tz {
public:
    explicit scoped_tz(const char* zone) {
        if (const char* old = std::getenv("TZ")) {
            old_ = old;
        }
        ::setenv("TZ", zone, 1);
        ::tzset();
    }
    ~scoped_tz() {
        if (old_) {
            ::setenv("TZ", old_->c_str(), 1);
        } else {
            ::unsetenv("TZ");
        }
        ::tzset();
    }
    scoped_tz(const scoped_tz&) = delete;
    scoped_tz& operator=(const scoped_tz&) = delete;

private:
    std::optional<std::string> old_;
};

// 2026-12-06T12:47:05.123Z
std::chrono::system_clock::time_point sample_instant() {
    using namespace std::chrono;
    return sys_days{year{2026} / December / 6} + hours{12} + minutes{47} + seconds{5} +
           milliseconds{123};
}

}  // namespace

TEST_CASE("log lines are UTC with milliseconds under any TZ", "[log]") {
    const scoped_tz tz("America/New_York");
    // The process really is in New York time: localtime would say 07:47.
    const std::time_t t = std::chrono::system_clock::to_time_t(sample_instant());
    std::tm local{};
    ::localtime_r(&t, &local);
    REQUIRE(local.tm_hour == 7);

    const std::vector<glog::field> none;
    CHECK(glog::format_line(sample_instant(), glog::level::warn, "hello", none, false) ==
          "2026-12-06T12:47:05.123Z warn  hello\n");
    const auto json = boost::json::parse(
        glog::format_line(sample_instant(), glog::level::info, "hello", none, true));
    CHECK(json.at("time").as_string() == "2026-12-06T12:47:05.123Z");
    CHECK(smppgw::smpp::format_utc(std::chrono::floor<std::chrono::milliseconds>(
              sample_instant())) == "2026-12-06T12:47:05.123Z");
}

TEST_CASE("tagged values read plainly in text and are keys of their own in JSON", "[log]") {
    const auto carrier = glog::carrier("sim");
    const auto msg = fmt::format("carrier {} is {}", carrier, "up");
    CHECK(msg == "carrier sim is up");
    const std::vector<glog::field> fields{{"carrier", "sim"}, {"message_id", "42"}};
    const auto line = glog::format_line(sample_instant(), glog::level::info, msg, fields, true);
    const auto o = boost::json::parse(line).as_object();
    CHECK(o.at("msg").as_string() == "carrier sim is up");
    CHECK(o.at("carrier").as_string() == "sim");
    CHECK(o.at("message_id").as_string() == "42");
    CHECK(o.at("level").as_string() == "info");
}

TEST_CASE("the daemon logs UTC JSON lines with structured fields", "[daemon][log]") {
    const scoped_tz tz("America/New_York");
    gateway_options o;
    o.log = "level = \"info\"\nformat = \"json\"";
    gateway_env env(o);
    {
        auto bound = env.connect();
        esme stranger(env.smpp_port);
        CHECK(stranger.bind(account_id, "wrong") != 0);
    }
    wait_until([&] { return env.gateway->log().find("bad_password") != std::string::npos; }, 20s,
               "the refused bind to be logged");
    const auto now = std::chrono::system_clock::now();

    std::istringstream lines(env.gateway->log());
    std::string line;
    std::size_t json_lines = 0;
    bool saw_bound = false;
    bool saw_refused = false;
    bool saw_carrier = false;
    while (std::getline(lines, line)) {
        if (line.empty() || line.front() != '{') {
            continue;
        }
        ++json_lines;
        const auto doc = boost::json::parse(line).as_object();
        const std::string time(doc.at("time").as_string());
        INFO(line);
        // UTC: within the last ten minutes by the UTC clock; New York local time is hours off.
        REQUIRE(time.size() == 24);
        REQUIRE(time.back() == 'Z');
        std::tm tm{};
        REQUIRE(::strptime(time.c_str(), "%Y-%m-%dT%H:%M:%S", &tm) != nullptr);
        const auto logged = std::chrono::system_clock::from_time_t(::timegm(&tm));
        CHECK(logged <= now + std::chrono::seconds(1));
        CHECK(logged > now - std::chrono::minutes(10));
        const std::string msg(doc.at("msg").as_string());
        if (msg.starts_with("bound: ")) {
            saw_bound = true;
            CHECK(doc.at("account").as_string() == account_id);
            CHECK(doc.at("remote_address").as_string() == "127.0.0.1");
        }
        if (msg.find("reason=bad_password") != std::string::npos) {
            saw_refused = true;
            CHECK(doc.at("account").as_string() == account_id);
            CHECK(doc.at("remote_address").as_string() == "127.0.0.1");
        }
        if (msg.starts_with("carrier sim") && msg.find("bound to") != std::string::npos) {
            saw_carrier = true;
            CHECK(doc.at("carrier").as_string() == "sim");
        }
    }
    CHECK(json_lines > 3);
    CHECK(saw_bound);
    CHECK(saw_refused);
    CHECK(saw_carrier);
}
