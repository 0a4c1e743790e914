#pragma once
// A strict reader over a toml++ table: typed getters that record every problem with the key's
// full path and line, and a finish() that reports keys nobody asked for. Config sections are
// written as straight-line code against it; no section can forget to reject a typo.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "smppgw/gateway/config.hpp"

namespace smppgw::gateway::detail {

using problems = std::vector<config_error::problem>;

using key_line_map = std::map<std::string, std::size_t, std::less<>>;

// A key is accepted only if a getter asked for it and the key table (config_keys.hpp) lists
// it, so the table, the example config and docs/configuration.md cannot miss a key the parser
// takes.
class toml_reader {
public:
    // `lines`, when given, receives the line of every key found (for later problems).
    toml_reader(const toml::table& table, std::string path, problems& out,
                key_line_map* lines = nullptr)
        : table_(table), path_(std::move(path)), out_(out), lines_(lines) {}
    toml_reader(const toml_reader&) = delete;
    toml_reader& operator=(const toml_reader&) = delete;

    // Optional values: absent keeps `out` as it is (the struct's default).
    void get(std::string_view key, std::string& out);
    void get(std::string_view key, bool& out);
    void get(std::string_view key, double& out);
    void get(std::string_view key, std::uint16_t& out);
    void get(std::string_view key, std::uint32_t& out);
    void get(std::string_view key, std::size_t& out);
    void get(std::string_view key, int& out);
    // Durations: "250ms", "30s", "5m", "12h", "7d", "5y" (365 d); a bare integer is seconds.
    void get(std::string_view key, std::chrono::milliseconds& out);
    void get(std::string_view key, std::chrono::hours& out);
    void get(std::string_view key, std::vector<std::string>& out);
    void get(std::string_view key, std::vector<std::size_t>& out);
    // Time of day "HH:MM" as minutes after midnight ("24:00" = 1440).
    void get_time_of_day(std::string_view key, std::uint16_t& out);

    // A string mapped through `parse`; a value it rejects is reported with the accepted words.
    template <typename T, typename Parse>
    void get_enum(std::string_view key, T& out, Parse parse, std::string_view accepted) {
        std::string s;
        if (!has(key)) {
            return;
        }
        get(key, s);
        if (auto v = parse(s)) {
            out = *v;
        } else {
            fail(key, "expected one of " + std::string(accepted) + ", got \"" + s + "\"");
        }
    }

    // Marks the key required: absent is a problem.
    bool require(std::string_view key);
    [[nodiscard]] bool has(std::string_view key) const { return table_.contains(key); }

    // A sub-table; `fn` reads it. Absent: nothing happens.
    void table(std::string_view key, const std::function<void(toml_reader&)>& fn);
    // An array of tables ([[key]]); `fn` gets each with its index.
    void tables(std::string_view key, const std::function<void(toml_reader&, std::size_t)>& fn);
    // An array of strings, each mapped by `fn(value, key_path, line)`.
    void strings(std::string_view key,
                 const std::function<void(const std::string&, std::size_t index)>& fn);

    void fail(std::string_view key, std::string message);
    [[nodiscard]] std::string key_path(std::string_view key) const;
    [[nodiscard]] std::size_t line_of(std::string_view key) const;
    [[nodiscard]] std::size_t line() const { return table_.source().begin.line; }

    // Reports every key that no getter asked for.
    void finish();

private:
    const toml::node* node(std::string_view key);

    const toml::table& table_;
    std::string path_;
    problems& out_;
    key_line_map* lines_;
    std::set<std::string, std::less<>> seen_;
};

[[nodiscard]] std::optional<std::chrono::milliseconds> parse_duration(std::string_view s);

// policy_config.cpp: the [policy] section, and its data-file defaults when the section is absent.
void read_policy(toml_reader& r, policy::policy_config& p, const std::filesystem::path& base);
void default_policy_data(policy::policy_config& p, const std::filesystem::path& base);

// files.cpp: fills admin.token from admin.token_file (when the admin API is enabled).
[[nodiscard]] problems read_token_file(config& c);

}  // namespace smppgw::gateway::detail
