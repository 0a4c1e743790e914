// The status table in code is the single source; policy/README.md must list exactly it.
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <catch2/catch.hpp>

#include "smppgw/policy/status.hpp"

using namespace smppgw::policy;

TEST_CASE("policy statuses are distinct, in the vendor range, and cover every reason", "[status]") {
    std::set<std::uint32_t> seen;
    std::set<std::string_view> codes;
    for (const auto& e : status_table) {
        INFO(e.code);
        CHECK(is_policy_status(e.command_status));
        CHECK(seen.insert(e.command_status).second);
        CHECK(codes.insert(e.code).second);
        CHECK(command_status_for(e.why) == e.command_status);
        CHECK(reason_for_status(e.command_status) == e.why);
    }
    for (std::size_t r = 1; r < reason_count; ++r) {
        INFO("reason " << r);
        CHECK(command_status_for(static_cast<reason>(r)) != 0);
    }
    CHECK(command_status_for(reason::none) == 0);
    CHECK(reason_code(reason::none) == "accept");
    CHECK_FALSE(reason_for_status(0x4FF).has_value());
}

TEST_CASE("policy/README.md lists exactly the status table", "[status]") {
    std::ifstream in(SMPPGW_SOURCE_DIR "/policy/README.md");
    REQUIRE(in);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    // Rows look like: | `0x410` | `opted_out` | ... |
    const std::regex row(R"(\|\s*`0x([0-9A-Fa-f]{3})`\s*\|\s*`([a-z_]+)`\s*\|)");
    std::set<std::pair<std::uint32_t, std::string>> documented;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), row);
         it != std::sregex_iterator(); ++it) {
        documented.emplace(static_cast<std::uint32_t>(std::stoul((*it)[1], nullptr, 16)), (*it)[2]);
    }
    std::set<std::pair<std::uint32_t, std::string>> in_code;
    for (const auto& e : status_table) {
        in_code.emplace(e.command_status, std::string(e.code));
    }
    CHECK(documented == in_code);
}
