// check_config_files and the admin token file: what load_config verifies beyond the text, so
// that `smppgw config check` (systemd's ExecStartPre and ExecReload) refuses exactly what startup
// and SIGHUP would refuse, with the key path and line, before the store is opened or a carrier
// is bound.

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <memory>
#include <optional>
#include <system_error>

#include <fmt/format.h>

#include "config/toml_reader.hpp"
#include "infra/tls.hpp"

namespace smppgw::gateway {
namespace {

using detail::problems;

struct bio_free {
    void operator()(BIO* b) const noexcept { BIO_free(b); }
};
struct x509_free {
    void operator()(X509* x) const noexcept { X509_free(x); }
};
struct pkey_free {
    void operator()(EVP_PKEY* k) const noexcept { EVP_PKEY_free(k); }
};
using x509_ptr = std::unique_ptr<X509, x509_free>;
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_free>;

// The line of `key`, or of the nearest enclosing key present in the file (a default data file
// is reported at its [policy.data] table), or 0.
std::size_t line_of(const config& c, std::string key) {
    while (!key.empty()) {
        if (const auto it = c.key_lines.find(key); it != c.key_lines.end()) {
            return it->second;
        }
        const auto cut = key.find_last_of(".[");
        key.resize(cut == std::string::npos ? 0 : cut);
    }
    return 0;
}

class checker {
public:
    explicit checker(const config& c) : c_(c) {}

    void fail(const std::string& key, std::string message) {
        out_.push_back({key, line_of(c_, key), std::move(message)});
    }

    // Empty when `path` is a readable regular file; otherwise why not.
    static std::optional<std::string> unreadable(const std::string& path) {
        std::error_code ec;
        if (std::filesystem::is_directory(path, ec)) {
            return fmt::format("{} is a directory, not a file", path);
        }
        std::ifstream in(path, std::ios::binary);
        if (!in) {
            return fmt::format("cannot read {}: {}", path, std::generic_category().message(errno));
        }
        return std::nullopt;
    }

    bool readable(const std::string& key, const std::string& path) {
        if (auto why = unreadable(path)) {
            fail(key, std::move(*why));
            return false;
        }
        return true;
    }

    // The first certificate of a PEM file (the leaf of a chain); null after reporting.
    x509_ptr certificate(const std::string& key, const std::string& path) {
        if (!readable(key, path)) {
            return nullptr;
        }
        std::unique_ptr<BIO, bio_free> bio(BIO_new_file(path.c_str(), "r"));
        x509_ptr leaf(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
        ERR_clear_error();
        if (!leaf) {
            fail(key, fmt::format("{} holds no PEM certificate", path));
        }
        return leaf;
    }

    pkey_ptr private_key(const std::string& key, const std::string& path) {
        if (!readable(key, path)) {
            return nullptr;
        }
        std::unique_ptr<BIO, bio_free> bio(BIO_new_file(path.c_str(), "r"));
        // No passphrase: the daemon cannot ask for one, and OpenSSL must not prompt on a
        // terminal during `config check`.
        auto no_passphrase = [](char*, int, int, void*) { return 0; };
        pkey_ptr pkey(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr)
                          : nullptr);
        ERR_clear_error();
        if (!pkey) {
            fail(key, fmt::format("{} holds no unencrypted PEM private key", path));
        }
        return pkey;
    }

    // Certificate and key parse and belong together; true when both were fine.
    bool pair(const std::string& prefix, const std::string& certificate_path,
              const std::string& key_path) {
        const auto cert = certificate(prefix + ".certificate", certificate_path);
        const auto pkey = private_key(prefix + ".private_key", key_path);
        if (!cert || !pkey) {
            return false;
        }
        if (X509_check_private_key(cert.get(), pkey.get()) != 1) {
            ERR_clear_error();
            fail(prefix + ".private_key", fmt::format("{} is not the key of the certificate in {}",
                                                      key_path, certificate_path));
            return false;
        }
        return true;
    }

    bool ca_bundle(const std::string& key, const std::string& path) {
        return certificate(key, path) != nullptr;
    }

    // The context the daemon builds, for anything the checks above do not cover.
    template <typename Make>
    void context(const std::string& key, Make make) {
        try {
            (void)make();
        } catch (const std::exception& e) {
            fail(key, e.what());
        }
    }

    void listeners() {
        for (std::size_t i = 0; i < c_.listeners.size(); ++i) {
            const auto& tls = c_.listeners[i].tls;
            if (!tls.enabled || tls.certificate.empty() || tls.private_key.empty()) {
                continue;  // parse_config already reported a missing path
            }
            const auto prefix = fmt::format("listeners[{}].tls", i);
            bool ok = pair(prefix, tls.certificate, tls.private_key);
            if (!tls.client_ca.empty()) {
                ok = ca_bundle(prefix + ".client_ca", tls.client_ca) && ok;
            }
            if (ok) {
                context(prefix, [&] { return make_server_tls_context(tls); });
            }
        }
    }

    void carriers() {
        for (std::size_t i = 0; i < c_.carriers.size(); ++i) {
            const auto& tls = c_.carriers[i].tls;
            if (!tls.enabled) {
                continue;
            }
            const auto prefix = fmt::format("carriers[{}].tls", i);
            bool ok = true;
            if (!tls.ca_file.empty()) {
                ok = ca_bundle(prefix + ".ca_file", tls.ca_file);
            }
            if (!tls.certificate.empty() && !tls.private_key.empty()) {
                ok = pair(prefix, tls.certificate, tls.private_key) && ok;
            }
            if (ok) {
                context(prefix, [&] { return make_client_tls_context(tls); });
            }
        }
    }

    void policy_data() {
        const auto& d = c_.policy.data;
        readable("policy.data.map_data", d.map_data);
        readable("policy.data.area_codes", d.area_codes);
        if (!d.overlays.empty()) {
            readable("policy.data.overlays", d.overlays);
        }
        for (const auto& h : d.holidays) {
            if (auto why = unreadable(h.path)) {
                fail("policy.data.holidays", fmt::format("calendar \"{}\": {}", h.name, *why));
            }
        }
    }

    // The store directory exists, or its nearest existing ancestor is a directory we may write.
    void store_path() {
        namespace fs = std::filesystem;
        const auto& path = c_.store.path;
        std::error_code ec;
        if (fs::exists(path, ec)) {
            if (!fs::is_directory(path, ec)) {
                fail("store.path", fmt::format("{} exists and is not a directory", path.string()));
            }
            return;
        }
        auto ancestor = path.parent_path();
        while (!ancestor.empty() && !fs::exists(ancestor, ec)) {
            ancestor = ancestor.parent_path();
        }
        if (ancestor.empty()) {
            ancestor = ".";
        }
        if (!fs::is_directory(ancestor, ec) || ::access(ancestor.c_str(), W_OK | X_OK) != 0) {
            fail("store.path", fmt::format("cannot create {}: {} is not a writable directory",
                                           path.string(), ancestor.string()));
        }
    }

    // The NATS credentials and TLS files: nats.c reads them when the node starts connecting,
    // and a node that cannot would never join, so they are checked with the rest.
    void cluster() {
        if (!c_.cluster) {
            return;
        }
        const auto& cl = *c_.cluster;
        if (!cl.credentials_file.empty()) {
            readable("cluster.credentials_file", cl.credentials_file);
        }
        if (!cl.tls.ca_file.empty()) {
            certificate("cluster.tls.ca_file", cl.tls.ca_file);
        }
        if (!cl.tls.certificate.empty()) {
            certificate("cluster.tls.certificate", cl.tls.certificate);
            private_key("cluster.tls.private_key", cl.tls.private_key);
        }
    }

    problems take() { return std::move(out_); }

private:
    const config& c_;
    problems out_;
};

}  // namespace

std::vector<config_error::problem> check_config_files(const config& c) {
    checker check(c);
    check.listeners();
    check.carriers();
    check.policy_data();
    check.store_path();
    check.cluster();
    return check.take();
}

namespace detail {

std::vector<config_error::problem> read_token_file(config& c) {
    std::vector<config_error::problem> out;
    if (!c.admin.enabled || c.admin.token_file.empty()) {
        return out;
    }
    const std::string key = "admin.token_file";
    const auto path = c.admin.token_file.string();
    if (auto why = checker::unreadable(path)) {
        out.push_back({key, line_of(c, key), std::move(*why)});
        return out;
    }
    std::ifstream in(path);
    std::string token;
    std::getline(in, token);
    while (!token.empty() &&
           (token.back() == '\r' || token.back() == ' ' || token.back() == '\t')) {
        token.pop_back();
    }
    if (token.size() < 16) {
        out.push_back({key, line_of(c, key),
                       fmt::format("{} must hold a token of at least 16 characters on its first "
                                   "line",
                                   path)});
        return out;
    }
    c.admin.token = std::move(token);
    return out;
}

}  // namespace detail
}  // namespace smppgw::gateway
