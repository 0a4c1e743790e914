#include "infra/tls.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <stdexcept>

#include <fmt/format.h>
#include <boost/asio/ssl/host_name_verification.hpp>

namespace smppgw::gateway {
namespace {

namespace ssl = boost::asio::ssl;

void set_min_version(ssl::context& ctx, const std::string& min_version) {
    SSL_CTX_set_min_proto_version(ctx.native_handle(),
                                  min_version == "1.3" ? TLS1_3_VERSION : TLS1_2_VERSION);
}

template <typename F>
void load(const std::string& what, const std::string& path, F&& f) {
    boost::system::error_code ec;
    f(ec);
    if (ec) {
        throw std::runtime_error(fmt::format("TLS {} {}: {}", what, path, ec.message()));
    }
}

}  // namespace

std::unique_ptr<ssl::context> make_server_tls_context(const tls_server_config& cfg) {
    auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                     ssl::context::no_sslv3 | ssl::context::single_dh_use);
    set_min_version(*ctx, cfg.min_version);
    load("certificate", cfg.certificate,
         [&](auto& ec) { ctx->use_certificate_chain_file(cfg.certificate, ec); });
    load("private key", cfg.private_key,
         [&](auto& ec) { ctx->use_private_key_file(cfg.private_key, ssl::context::pem, ec); });
    if (!cfg.client_ca.empty()) {
        load("client CA", cfg.client_ca,
             [&](auto& ec) { ctx->load_verify_file(cfg.client_ca, ec); });
        // Ask for a certificate but do not fail the handshake without one: accounts decide
        // (require_client_certificate), so one listener serves both kinds.
        ctx->set_verify_mode(ssl::verify_peer);
    }
    return ctx;
}

std::unique_ptr<ssl::context> make_client_tls_context(const tls_client_config& cfg) {
    auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                     ssl::context::no_sslv3);
    set_min_version(*ctx, cfg.min_version);
    if (cfg.ca_file.empty()) {
        ctx->set_default_verify_paths();
    } else {
        load("CA bundle", cfg.ca_file, [&](auto& ec) { ctx->load_verify_file(cfg.ca_file, ec); });
    }
    if (!cfg.certificate.empty()) {
        load("client certificate", cfg.certificate,
             [&](auto& ec) { ctx->use_certificate_chain_file(cfg.certificate, ec); });
        load("client key", cfg.private_key,
             [&](auto& ec) { ctx->use_private_key_file(cfg.private_key, ssl::context::pem, ec); });
    }
    ctx->set_verify_mode(cfg.verify ? ssl::verify_peer : ssl::verify_none);
    return ctx;
}

void prepare_client_tls(smpp::tls_stream& stream, const std::string& host, bool verify) {
    SSL_set_tlsext_host_name(stream.native_handle(), host.c_str());
    if (verify) {
        stream.set_verify_mode(ssl::verify_peer);
        stream.set_verify_callback(ssl::host_name_verification(host));
    }
}

std::string peer_common_name(smpp::tls_stream& stream) {
    X509* cert = SSL_get_peer_certificate(stream.native_handle());
    if (cert == nullptr) {
        return {};
    }
    std::string cn;
    if (SSL_get_verify_result(stream.native_handle()) == X509_V_OK) {
        char buffer[256] = {};
        const int n = X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buffer,
                                                sizeof buffer);
        if (n > 0) {
            cn.assign(buffer, static_cast<std::size_t>(n));
        }
    }
    X509_free(cert);
    return cn;
}

}  // namespace smppgw::gateway
