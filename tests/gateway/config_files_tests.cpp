// load_config checks what startup and reload would open: TLS files readable, certificates and
// keys parsed and matching, CA bundles, policy data files, the admin token file, the store path.
// `smppgw config check` says no, with key path and line, to every config the daemon would
// refuse; the daemon refuses it before it opens the store, and a reload keeps the running one.

#include <catch2/catch.hpp>

#include <csignal>
#include <cstdlib>
#include <regex>
#include <sstream>
#include <string>

#include <fmt/format.h>

#include "smppgw/gateway/commands.hpp"
#include "smppgw/gateway/config.hpp"
#include "support/gateway_env.hpp"
#include "support/process.hpp"

namespace {

using namespace smppgw::test;
using smppgw::gateway::config_error;

// A self-signed EC certificate and its key in `dir` (the openssl CLI, as an operator would).
void make_certificate(const std::filesystem::path& dir, const std::string& name) {
    const auto cmd = fmt::format(
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
        "-keyout '{0}/{1}.key' -out '{0}/{1}.pem' -days 2 -subj /CN={1} >/dev/null 2>&1",
        dir.string(), name);
    REQUIRE(std::system(cmd.c_str()) == 0);
}

// A valid config in `dir` whose data and store live there too; `tls` goes into the listener.
std::string config_with(const std::filesystem::path& dir, const std::string& listener_tls,
                        const std::string& extra = {}) {
    return fmt::format(
        "[[listeners]]\n"              // 1
        "address = \"127.0.0.1:0\"\n"  // 2
        "{}\n"                         // 3.. the TLS table
        "[store]\n"
        "path = \"{}\"\n"
        "[policy.data]\n"
        "dir = \"{}/etc/data\"\n"
        "[admin]\n"
        "address = \"127.0.0.1:0\"\n"
        "token = \"0123456789abcdef0123\"\n"
        "{}",
        listener_tls, (dir / "store").string(), SMPPGW_SOURCE_DIR, extra);
}

struct check_result {
    int code = 0;
    std::string out;
    std::string err;
};

check_result config_check(const std::filesystem::path& file) {
    std::ostringstream out;
    std::ostringstream err;
    const std::string path = file.string();
    const std::vector<std::string_view> args{"check", path};
    const int code = smppgw::gateway::config_command(args, out, err);
    return {code, out.str(), err.str()};
}

std::vector<config_error::problem> load_problems(const std::filesystem::path& file) {
    try {
        (void)smppgw::gateway::load_config(file);
    } catch (const config_error& e) {
        return e.problems();
    }
    return {};
}

}  // namespace

TEST_CASE("config check opens the TLS files the listener names", "[config][files]") {
    temp_dir dir;
    const auto file = dir.path() / "smppgw.toml";
    make_certificate(dir.path(), "server");
    make_certificate(dir.path(), "other");

    SECTION("a missing certificate: key path, line and the OS's reason") {
        write_file(file, config_with(dir.path(),
                                     "[listeners.tls]\n"
                                     "certificate = \"missing.pem\"\n"
                                     "private_key = \"server.key\"\n"));
        const auto r = config_check(file);
        CHECK(r.code == 1);
        CHECK(r.out.empty());
        INFO(r.err);
        CHECK(r.err.find(fmt::format("line 4: listeners[0].tls.certificate: cannot read "
                                     "{}/missing.pem: No such file or directory",
                                     dir.path().string())) != std::string::npos);
    }
    SECTION("a key that belongs to another certificate") {
        write_file(file, config_with(dir.path(),
                                     "[listeners.tls]\n"
                                     "certificate = \"server.pem\"\n"
                                     "private_key = \"other.key\"\n"));
        const auto problems = load_problems(file);
        REQUIRE(problems.size() == 1);
        CHECK(problems[0].key == "listeners[0].tls.private_key");
        CHECK(problems[0].line == 5);
        CHECK(problems[0].message.find("is not the key of the certificate") != std::string::npos);
    }
    SECTION("a file that is not PEM, and a client CA that is missing") {
        write_file(dir.path() / "garbage.pem", "not a certificate\n");
        write_file(file, config_with(dir.path(),
                                     "[listeners.tls]\n"
                                     "certificate = \"garbage.pem\"\n"
                                     "private_key = \"server.key\"\n"
                                     "client_ca = \"/nonexistent/ca.pem\"\n"));
        const auto problems = load_problems(file);
        REQUIRE(problems.size() == 2);
        CHECK(problems[0].key == "listeners[0].tls.certificate");
        CHECK(problems[0].message.find("holds no PEM certificate") != std::string::npos);
        CHECK(problems[1].key == "listeners[0].tls.client_ca");
        CHECK(problems[1].line == 6);
    }
    SECTION("a good pair, by paths relative to the config file") {
        write_file(file, config_with(dir.path(),
                                     "[listeners.tls]\n"
                                     "certificate = \"server.pem\"\n"
                                     "private_key = \"server.key\"\n"
                                     "client_ca = \"other.pem\"\n"));
        const auto r = config_check(file);
        INFO(r.err);
        CHECK(r.code == 0);
        CHECK(r.out.starts_with("OK:"));
        const auto cfg = smppgw::gateway::load_config(file);
        CHECK(cfg->listeners[0].tls.certificate == (dir.path() / "server.pem").string());
    }
}

TEST_CASE("config check opens carrier TLS files, data files, the token file, the store path",
          "[config][files]") {
    temp_dir dir;
    const auto file = dir.path() / "smppgw.toml";
    make_certificate(dir.path(), "client");

    SECTION("carrier CA bundle and client certificate") {
        write_file(file, config_with(dir.path(), "",
                                     "[[carriers]]\n"                     // 11
                                     "name = \"c\"\n"                     // 12
                                     "address = \"127.0.0.1:2776\"\n"     // 13
                                     "system_id = \"gw\"\n"               // 14
                                     "[carriers.tls]\n"                   // 15
                                     "ca_file = \"nowhere.pem\"\n"        // 16
                                     "certificate = \"client.pem\"\n"     // 17
                                     "private_key = \"client.pem\"\n"));  // 18
        const auto problems = load_problems(file);
        REQUIRE(problems.size() == 2);
        CHECK(problems[0].key == "carriers[0].tls.ca_file");
        CHECK(problems[0].line == 16);
        CHECK(problems[1].key == "carriers[0].tls.private_key");
        CHECK(problems[1].line == 18);
        CHECK(problems[1].message.find("no unencrypted PEM private key") != std::string::npos);
    }
    SECTION("policy data files that are not there") {
        write_file(file, fmt::format("[[listeners]]\naddress = \"127.0.0.1:0\"\n"
                                     "[admin]\nenabled = false\n"
                                     "[store]\npath = \"{}\"\n"
                                     "[policy.data]\n"  // 7
                                     "dir = \"{}\"\n"   // 8
                                     "area_codes = \"{}/etc/data/nanp/area_codes.csv\"\n",
                                     (dir.path() / "store").string(),
                                     (dir.path() / "no-data").string(), SMPPGW_SOURCE_DIR));
        const auto r = config_check(file);
        CHECK(r.code == 1);
        INFO(r.err);
        // map_data comes from `dir`: reported at the [policy.data] table, with its path.
        CHECK(r.err.find(fmt::format("line 7: policy.data.map_data: cannot read "
                                     "{}/no-data/timezones/map_data.txt",
                                     dir.path().string())) != std::string::npos);
        CHECK(r.err.find("policy.data.area_codes") == std::string::npos);
        CHECK(r.err.find("policy.data.holidays: calendar \"US-AL\"") != std::string::npos);
    }
    SECTION("the admin token from its own file") {
        const auto token_file = dir.path() / "admin-token";
        const auto text = fmt::format(
            "[[listeners]]\naddress = \"127.0.0.1:0\"\n[store]\npath = \"{}\"\n"
            "[policy.data]\ndir = \"{}/etc/data\"\n"
            "[admin]\n"                        // 7
            "token_file = \"admin-token\"\n",  // 8
            (dir.path() / "store").string(), SMPPGW_SOURCE_DIR);
        write_file(file, text);
        auto problems = load_problems(file);
        REQUIRE(problems.size() == 1);
        CHECK(problems[0].key == "admin.token_file");
        CHECK(problems[0].line == 8);

        write_file(token_file, "short\n");
        problems = load_problems(file);
        REQUIRE(problems.size() == 1);
        CHECK(problems[0].message.find("at least 16 characters") != std::string::npos);

        write_file(token_file, "0123456789abcdef0123456789abcdef\n");
        CHECK(smppgw::gateway::load_config(file)->admin.token ==
              "0123456789abcdef0123456789abcdef");

        write_file(file, text + "token = \"0123456789abcdef0123\"\n");
        problems = load_problems(file);
        REQUIRE(problems.size() == 1);
        CHECK(problems[0].message == "set token or token_file, not both");
    }
    SECTION("a store path that is a file") {
        write_file(dir.path() / "store", "not a directory");
        write_file(file, config_with(dir.path(), ""));
        const auto problems = load_problems(file);
        REQUIRE(problems.size() == 1);
        CHECK(problems[0].key == "store.path");
        CHECK(problems[0].line == 5);
    }
}

TEST_CASE("the daemon refuses missing TLS files before it opens the store", "[daemon][config]") {
    temp_dir dir;
    const auto file = dir.path() / "smppgw.toml";
    write_file(file, config_with(dir.path(),
                                 "[listeners.tls]\n"
                                 "certificate = \"missing.pem\"\n"
                                 "private_key = \"missing.key\"\n"));
    child_process daemon({SMPPGW_BINARY, "run", "--config", file.string()},
                         dir.path() / "smppgw.log");
    wait_until([&] { return !daemon.running(); }, 30s, "smppgw to exit");
    CHECK(daemon.stop() == 1);
    const auto log = daemon.log();
    INFO(log);
    CHECK(log.find("line 4: listeners[0].tls.certificate: cannot read") != std::string::npos);
    CHECK(log.find("line 5: listeners[0].tls.private_key: cannot read") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(dir.path() / "store"));
}

TEST_CASE("a reload naming a missing file is refused, as config check refuses it",
          "[daemon][reload][config]") {
    gateway_env env;
    auto text = read_file(env.config_path);
    const auto token_line = fmt::format("token = \"{}\"", admin_token);
    REQUIRE(text.find(token_line) != std::string::npos);
    text.replace(text.find(token_line), token_line.size(), "token_file = \"no-such-token\"");
    write_file(env.config_path, text);

    const auto check = config_check(env.config_path);
    CHECK(check.code == 1);
    CHECK(check.err.find("admin.token_file: cannot read") != std::string::npos);

    env.gateway->signal(SIGHUP);
    wait_until(
        [&] {
            return metric_sum(env.scrape(), "smppgw_config_reloads_total",
                              {{"result", "failed"}}) == 1;
        },
        20s, "the failed reload to be counted");
    CHECK(env.gateway->log().find("admin.token_file: cannot read") != std::string::npos);
    CHECK(env.open_client().get("/readyz").json().at("config_generation").as_int64() == 1);
    CHECK(env.gateway->running());
}
