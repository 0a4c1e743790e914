#pragma once
// Keys and subjects. NATS key-value keys allow only [-/_=.A-Za-z0-9] and use '.' between
// tokens; subjects and consumer names must not contain '.', '*', '>' or spaces. Brands, carrier
// names, carrier message ids and accounts are free text, so each becomes one token: letters,
// digits, '-' and '_' stay, every other byte is "=" and two upper-case hex digits, and the
// empty string is a lone "=" (which no encoding of a non-empty string produces). The encoding
// is reversible and a key's tokens can be split at '.'.
//
// Pure functions; any thread.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace smppgw::cluster {

[[nodiscard]] std::string encode_token(std::string_view raw);
// nullopt for a string encode_token cannot have produced.
[[nodiscard]] std::optional<std::string> decode_token(std::string_view token);

// encode_token of each part, joined by '.'.
[[nodiscard]] std::string make_key(std::initializer_list<std::string_view> parts);
// The decoded tokens of a key, or nullopt when one is malformed.
[[nodiscard]] std::optional<std::vector<std::string>> split_key(std::string_view key);

// A node name as configured: 1..32 of [A-Za-z0-9_-], so that it is its own token.
[[nodiscard]] bool valid_node_name(std::string_view name) noexcept;
// A bucket or stream name: 1..64 of [A-Za-z0-9_-].
[[nodiscard]] bool valid_object_name(std::string_view name) noexcept;

}  // namespace smppgw::cluster
