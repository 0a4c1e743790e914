#pragma once
// The `smppgw` command line: each subcommand is a function returning the process exit code, so
// tests can run them in-process.

#include <iosfwd>
#include <span>
#include <string_view>

namespace smppgw::gateway {

// smppgw pdu decode HEX | smppgw pdu encode [JSON]  (JSON from stdin when absent)
int pdu_command(std::span<const std::string_view> args, std::istream& in, std::ostream& out,
                std::ostream& err);

// smppgw config check FILE: everything startup would refuse, with key path and line.
// smppgw config reference: docs/configuration.md, generated from the key table.
int config_command(std::span<const std::string_view> args, std::ostream& out, std::ostream& err);

// smppgw hash-password [PASSWORD]  (stdin when absent): a yescrypt string for password_hash.
// `terminal`: stdin is a terminal (a person typing): prompt on `err`, read without echo, twice.
int hash_password_command(std::span<const std::string_view> args, std::istream& in,
                          std::ostream& out, std::ostream& err, bool terminal = false);

}  // namespace smppgw::gateway
