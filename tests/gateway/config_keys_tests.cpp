// The key table (config_keys.hpp), the example config and docs/configuration.md say the same
// thing: the parser accepts only keys in the table, the example mentions exactly the table's
// keys (set, or commented out with their default), and the reference is generated from the
// table. A key added to the parser without a table row, an example line and a regenerated
// reference fails here.

#include <catch2/catch.hpp>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include <toml++/toml.h>

#include "config/toml_reader.hpp"
#include "smppgw/gateway/config.hpp"
#include "smppgw/gateway/config_keys.hpp"

namespace {

using smppgw::gateway::config_error;
using smppgw::gateway::config_key_pattern;
using smppgw::gateway::config_keys;

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    REQUIRE(in);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// The example with its commented-out settings switched on: a comment line that is a TOML table
// header or a `key = value` line loses its "# ". Prose comments are never of that shape.
std::string uncommented_example() {
    static const std::regex setting(R"(^# ?((\[\[?[a-z0-9_.]+\]\]?|[a-z0-9_]+ *= .*)))");
    std::istringstream in(read_text(std::string(SMPPGW_SOURCE_DIR) + "/etc/smppgw.toml"));
    std::string out;
    std::string line;
    std::smatch m;
    while (std::getline(in, line)) {
        out += std::regex_search(line, m, setting) ? m[1].str() : line;
        out += '\n';
    }
    return out;
}

// Every key path in a TOML document, as table patterns ("accounts[].rate").
void collect(const toml::table& t, const std::string& prefix, std::set<std::string>& out) {
    for (const auto& [k, v] : t) {
        const auto path =
            prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
        out.insert(path);
        if (const auto* sub = v.as_table()) {
            collect(*sub, path, out);
        } else if (const auto* arr = v.as_array(); arr != nullptr && arr->is_array_of_tables()) {
            for (const auto& element : *arr) {
                collect(*element.as_table(), path + "[]", out);
            }
        }
    }
}

std::set<std::string> table_keys() {
    std::set<std::string> out;
    for (const auto& k : config_keys()) {
        out.insert(std::string(k.path));
    }
    return out;
}

}  // namespace

TEST_CASE("config key table: one row per key, each described", "[config][keys]") {
    std::set<std::string> seen;
    for (const auto& k : config_keys()) {
        INFO(k.path);
        CHECK(seen.insert(std::string(k.path)).second);
        CHECK_FALSE(k.type.empty());
        CHECK_FALSE(k.description.empty());
        // A nested key comes after its section's row, so the reference nests correctly.
        const auto cut = k.path.find_last_of('.');
        if (cut != std::string_view::npos) {
            auto parent = std::string(k.path.substr(0, cut));
            if (parent.ends_with("[]")) {
                parent.resize(parent.size() - 2);
            }
            CHECK(seen.contains(parent));
        }
    }
    CHECK(config_key_pattern("policy.mo.brands[12].texts[0].help") ==
          "policy.mo.brands[].texts[].help");
}

TEST_CASE("the example config mentions exactly the keys of the table", "[config][keys]") {
    const auto text = uncommented_example();
    toml::table doc;
    REQUIRE_NOTHROW(doc = toml::parse(text));
    std::set<std::string> example;
    collect(doc, "", example);
    const auto table = table_keys();
    for (const auto& key : table) {
        INFO("in the key table, not in etc/smppgw.toml: " << key);
        CHECK(example.contains(key));
    }
    for (const auto& key : example) {
        INFO("in etc/smppgw.toml, not in the key table: " << key);
        CHECK(table.contains(key));
    }
}

TEST_CASE("the parser reads every key of the example, and only listed keys", "[config][keys]") {
    // With every commented-out setting switched on some values conflict (token and token_file,
    // TLS files that do not exist here): those are fine. An unknown key is not: it is a table
    // row no getter reads, or a getter whose key has no row.
    std::vector<config_error::problem> problems;
    try {
        (void)smppgw::gateway::parse_config(uncommented_example(),
                                            std::string(SMPPGW_SOURCE_DIR) + "/etc/smppgw.toml");
    } catch (const config_error& e) {
        problems = e.problems();
    }
    for (const auto& p : problems) {
        INFO(p.key << ": " << p.message);
        CHECK(p.message.find("unknown key") == std::string::npos);
    }
}

TEST_CASE("a key outside the table is refused, even when a getter reads it", "[config][keys]") {
    SECTION("no getter, no row: unknown key with its line") {
        // store_options has group_max_bytes, but the config offers no such key.
        const std::string text =
            "[[listeners]]\naddress = \"127.0.0.1:2775\"\n[admin]\nenabled = false\n"
            "[store]\ngroup_max_bytes = 1\n";
        std::vector<config_error::problem> problems;
        try {
            (void)smppgw::gateway::parse_config(text, "/etc/smppgw/test.toml");
        } catch (const config_error& e) {
            problems = e.problems();
        }
        REQUIRE(problems.size() == 1);
        CHECK(problems[0].key == "store.group_max_bytes");
        CHECK(problems[0].line == 6);
        CHECK(problems[0].message == "unknown key");
    }
    SECTION("a getter without a row: refused, and the message says where the row goes") {
        const auto doc = toml::parse("[store]\ncheckpoint_every = \"5m\"\n");
        smppgw::gateway::detail::problems problems;
        smppgw::gateway::detail::toml_reader root(doc, "", problems);
        root.table("store", [](smppgw::gateway::detail::toml_reader& t) {
            std::chrono::milliseconds every{0};
            t.get("checkpoint_every", every);
            CHECK(every == std::chrono::minutes(5));
        });
        root.finish();
        REQUIRE(problems.size() == 1);
        CHECK(problems[0].key == "store.checkpoint_every");
        CHECK(problems[0].line == 2);
        CHECK(problems[0].message.find("missing from the key table") != std::string::npos);
    }
}

TEST_CASE("docs/configuration.md is the reference generated from the table", "[config][keys]") {
    const auto committed = read_text(std::string(SMPPGW_SOURCE_DIR) + "/docs/configuration.md");
    const auto generated = smppgw::gateway::config_reference_markdown();
    INFO("regenerate: build/test/gateway/smppgw config reference > docs/configuration.md");
    CHECK(committed == generated);
    for (const auto& k : config_keys()) {
        const auto dot = k.path.rfind('.');
        const auto name = dot == std::string_view::npos ? k.path : k.path.substr(dot + 1);
        INFO(k.path);
        CHECK(generated.find(std::string(name)) != std::string::npos);
    }
}
