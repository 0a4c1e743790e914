#pragma once
// The table of every configuration key: the parser accepts a key only if it is listed here
// (toml_reader::finish), `etc/smppgw.toml` must mention every entry and docs/configuration.md is
// generated from it (`smppgw config reference`); tests/gateway/config_keys_tests.cpp holds the
// three together. A new key is one row in gateway/src/config/keys.cpp plus its getter.

#include <span>
#include <string>
#include <string_view>

namespace smppgw::gateway {

struct config_key {
    // Dotted path from the root; "[]" stands for every element of an array of tables:
    // "accounts[].rate", "policy.quiet_hours.rule_sets[].monday".
    std::string_view path;
    // "table", "array of tables", or the value's type ("string", "integer", "duration", ...).
    std::string_view type;
    // As it would be written in TOML; "required" for keys that must be present, "" when the
    // default is explained in the description.
    std::string_view default_value;
    std::string_view description;
};

[[nodiscard]] std::span<const config_key> config_keys() noexcept;

// The row for `path` ("accounts[].rate"), null if the key is not in the table.
[[nodiscard]] const config_key* find_config_key(std::string_view path) noexcept;

// "accounts[3].tls.certificate" → "accounts[].tls.certificate".
[[nodiscard]] std::string config_key_pattern(std::string_view path);

// docs/configuration.md, exactly: a heading and a table per section.
[[nodiscard]] std::string config_reference_markdown();

}  // namespace smppgw::gateway
