#include "smppgw/gateway/auth.hpp"

#include <crypt.h>

#include <memory>
#include <stdexcept>

namespace smppgw::gateway {

std::string hash_password(std::string_view password) {
    char setting[CRYPT_GENSALT_OUTPUT_SIZE];
    // A null random source asks libxcrypt for OS randomness; 0 is the method's default cost.
    if (crypt_gensalt_rn("$y$", 0, nullptr, 0, setting, sizeof setting) == nullptr) {
        throw std::runtime_error("crypt_gensalt_rn failed");
    }
    auto data = std::make_unique<crypt_data>();
    const std::string phrase(password);
    const char* hashed = crypt_rn(phrase.c_str(), setting, data.get(), sizeof(crypt_data));
    if (hashed == nullptr || hashed[0] == '*') {
        throw std::runtime_error("crypt_rn failed");
    }
    return hashed;
}

bool verify_password(std::string_view password, const std::string& stored) {
    auto data = std::make_unique<crypt_data>();  // ~32 KiB: not for the stack
    const std::string phrase(password);
    const char* hashed = crypt_rn(phrase.c_str(), stored.c_str(), data.get(), sizeof(crypt_data));
    if (hashed == nullptr || hashed[0] == '*') {
        return false;  // malformed stored hash or unsupported method
    }
    const std::string_view computed(hashed);
    // Constant time over the stored length: no early exit on the first differing byte.
    unsigned diff = computed.size() == stored.size() ? 0U : 1U;
    for (std::size_t i = 0; i < stored.size(); ++i) {
        const char c = i < computed.size() ? computed[i] : '\0';
        diff |= static_cast<unsigned>(static_cast<unsigned char>(c) ^
                                      static_cast<unsigned char>(stored[i]));
    }
    return diff == 0;
}

}  // namespace smppgw::gateway
