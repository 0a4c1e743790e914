// `smppgw config check`: the shipped example passes; a bad file fails with key path and line.

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "smppgw/gateway/commands.hpp"

using smppgw::gateway::config_command;

TEST_CASE("config check accepts the example configuration", "[tools][config]") {
    const std::string path = std::string(SMPPGW_SOURCE_DIR) + "/etc/smppgw.toml";
    std::ostringstream out;
    std::ostringstream err;
    const std::vector<std::string_view> args{"check", path};
    CHECK(config_command(args, out, err) == 0);
    CHECK(out.str().starts_with("OK:"));
}

TEST_CASE("config check reports each problem with key path and line", "[tools][config]") {
    const auto dir = std::filesystem::temp_directory_path() / "smppgw-config-check";
    std::filesystem::create_directories(dir);
    const auto path = dir / "bad.toml";
    std::ofstream(path) << "[[listeners]]\n"
                           "address = \"127.0.0.1:2775\"\n"
                           "[[accounts]]\n"
                           "system_id = \"a\"\n"
                           "password_hash = \"plain\"\n"
                           "brand = \"b\"\n"
                           "rate = \"fast\"\n"
                           "colour = \"blue\"\n";
    std::ostringstream out;
    std::ostringstream err;
    const std::string p = path.string();
    const std::vector<std::string_view> args{"check", p};
    CHECK(config_command(args, out, err) == 1);
    const std::string e = err.str();
    CHECK(e.find("line 5: accounts[0].password_hash") != std::string::npos);
    CHECK(e.find("line 7: accounts[0].rate: expected a number") != std::string::npos);
    CHECK(e.find("line 8: accounts[0].colour: unknown key") != std::string::npos);
    std::filesystem::remove_all(dir);
}

TEST_CASE("config check reports a TOML syntax error by line and column, not an empty key",
          "[tools][config]") {
    const auto dir = std::filesystem::temp_directory_path() / "smppgw-config-syntax";
    std::filesystem::create_directories(dir);
    const auto path = dir / "broken.toml";
    std::ofstream(path) << "[[listeners]]\n"
                           "address = \"127.0.0.1:2775\"\n"
                           "[admin]\n"
                           "token = \"0123456789abcdef\n";
    std::ostringstream out;
    std::ostringstream err;
    const std::string p = path.string();
    const std::vector<std::string_view> args{"check", p};
    CHECK(config_command(args, out, err) == 1);
    const std::string e = err.str();
    INFO(e);
    CHECK(e.find("line 4: TOML syntax error at column ") != std::string::npos);
    CHECK(e.find(": : ") == std::string::npos);
    std::filesystem::remove_all(dir);
}

TEST_CASE("config reference prints the configuration reference", "[tools][config]") {
    std::ostringstream out;
    std::ostringstream err;
    const std::vector<std::string_view> args{"reference"};
    CHECK(config_command(args, out, err) == 0);
    CHECK(out.str().starts_with("# Configuration reference\n"));
    CHECK(out.str().find("| `require_client_certificate` |") != std::string::npos);
}
