#pragma once
// TLS contexts for both faces (OpenSSL through Boost.Asio). SMPP over TLS is the same byte
// stream inside TLS; these helpers only set policy: minimum version, certificates, peer checks.

#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>

#include "smppgw/gateway/config.hpp"
#include "smppgw/smpp/stream.hpp"

namespace smppgw::gateway {

// Throws std::runtime_error naming the file that could not be loaded.
[[nodiscard]] std::unique_ptr<boost::asio::ssl::context> make_server_tls_context(
    const tls_server_config& cfg);
[[nodiscard]] std::unique_ptr<boost::asio::ssl::context> make_client_tls_context(
    const tls_client_config& cfg);

// SNI and hostname verification for one outgoing connection.
void prepare_client_tls(smpp::tls_stream& stream, const std::string& host, bool verify);

// The subject CN of the verified client certificate, empty without one.
[[nodiscard]] std::string peer_common_name(smpp::tls_stream& stream);

}  // namespace smppgw::gateway
