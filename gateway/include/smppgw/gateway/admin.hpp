#pragma once
// The admin HTTP API and /metrics, on Boost.Beast (no second HTTP stack). It runs on its own
// thread so slow operations (imports, checkpoints) never stall an SMPP session. Documented in
// etc/openapi.yaml.

#include <cstdint>
#include <memory>

#include "smppgw/gateway/config.hpp"

namespace smppgw::gateway {

class core;

class admin_server {
public:
    admin_server(core& c, admin_config cfg);
    ~admin_server();
    admin_server(const admin_server&) = delete;
    admin_server& operator=(const admin_server&) = delete;

    // Binds and serves; throws with the address when the port is taken.
    void start();
    void stop();
    [[nodiscard]] std::uint16_t port() const noexcept;

    struct impl;

private:
    std::unique_ptr<impl> impl_;
};

}  // namespace smppgw::gateway
