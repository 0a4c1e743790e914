#pragma once
// Account passwords: crypt(3) strings from libxcrypt (yescrypt "$y$", SHA-512 "$6$").

#include <string>
#include <string_view>

namespace smppgw::gateway {

// A fresh yescrypt hash of `password` with a random salt.
[[nodiscard]] std::string hash_password(std::string_view password);

// True when `password` hashes to `stored`. The comparison takes the same time wherever the
// strings differ. yescrypt is deliberately slow (milliseconds): never call this on an I/O thread.
[[nodiscard]] bool verify_password(std::string_view password, const std::string& stored);

}  // namespace smppgw::gateway
