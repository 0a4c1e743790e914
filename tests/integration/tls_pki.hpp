#pragma once
// Certificates made at test time with the `openssl` CLI: a CA per test, leaf certificates for
// servers (DNS and IP subject alternative names) and clients (a CN the daemon checks). Nothing is
// checked in, so nothing expires under the tests' feet; EC P-256 keys keep generation fast.

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "process.hpp"

namespace smppgw::integration {

// Runs a short command to completion (bounded); throws with its output when it fails.
inline void run_command(const std::vector<std::string>& argv, const std::filesystem::path& log,
                        std::chrono::milliseconds timeout = 30s) {
    child_process p(argv, log);
    if (!eventually([&] { return !p.running(); }, timeout, 10ms)) {
        p.kill_hard();
        throw std::runtime_error(argv[0] + " did not finish in time:\n" + read_file(log));
    }
    const auto st = p.exit_status();
    if (!st || !WIFEXITED(*st) || WEXITSTATUS(*st) != 0) {
        std::string cmd;
        for (const auto& a : argv) {
            cmd += a + " ";
        }
        throw std::runtime_error("command failed: " + cmd + "\n" + read_file(log));
    }
}

struct key_pair {
    std::filesystem::path certificate;  // PEM
    std::filesystem::path private_key;  // PEM, unencrypted
};

// One certificate authority in `dir`, issuing leaf certificates next to it.
class test_pki {
public:
    test_pki(std::filesystem::path dir, std::string name)
        : dir_(std::move(dir)), name_(std::move(name)) {
        std::filesystem::create_directories(dir_);
        ca_.certificate = dir_ / (name_ + "-ca.pem");
        ca_.private_key = dir_ / (name_ + "-ca.key");
        run_command({"/usr/bin/openssl",
                     "req",
                     "-x509",
                     "-newkey",
                     "ec",
                     "-pkeyopt",
                     "ec_paramgen_curve:prime256v1",
                     "-nodes",
                     "-keyout",
                     ca_.private_key.string(),
                     "-out",
                     ca_.certificate.string(),
                     "-days",
                     "2",
                     "-subj",
                     "/O=smppgw tests/CN=" + name_ + " CA",
                     "-addext",
                     "basicConstraints=critical,CA:TRUE",
                     "-addext",
                     "keyUsage=critical,keyCertSign,cRLSign"},
                    log());
    }

    [[nodiscard]] const key_pair& ca() const noexcept { return ca_; }

    // A leaf certificate for `cn`. Server certificates need `dns`/`ips` (hostname verification
    // reads the SAN, not the CN); client certificates are checked by CN.
    key_pair issue(const std::string& file_stem, const std::string& cn,
                   const std::vector<std::string>& dns = {},
                   const std::vector<std::string>& ips = {}) {
        key_pair kp;
        kp.certificate = dir_ / (file_stem + ".pem");
        kp.private_key = dir_ / (file_stem + ".key");
        const auto csr = dir_ / (file_stem + ".csr");
        const auto ext = dir_ / (file_stem + ".ext");
        run_command({"/usr/bin/openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
                     "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", kp.private_key.string(),
                     "-out", csr.string(), "-subj", "/O=smppgw tests/CN=" + cn},
                    log());
        std::string san;
        for (const auto& d : dns) {
            san += (san.empty() ? "" : ",") + std::string("DNS:") + d;
        }
        for (const auto& i : ips) {
            san += (san.empty() ? "" : ",") + std::string("IP:") + i;
        }
        std::string extensions =
            "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
            "extendedKeyUsage=serverAuth,clientAuth\n";
        if (!san.empty()) {
            extensions += "subjectAltName=" + san + "\n";
        }
        write_file(ext, extensions);
        run_command({"/usr/bin/openssl", "x509", "-req", "-in", csr.string(), "-CA",
                     ca_.certificate.string(), "-CAkey", ca_.private_key.string(),
                     "-CAcreateserial", "-CAserial", (dir_ / (name_ + "-ca.srl")).string(), "-out",
                     kp.certificate.string(), "-days", "2", "-extfile", ext.string()},
                    log());
        return kp;
    }

private:
    [[nodiscard]] std::filesystem::path log() const { return dir_ / "openssl.log"; }

    std::filesystem::path dir_;
    std::string name_;
    key_pair ca_;
};

}  // namespace smppgw::integration
