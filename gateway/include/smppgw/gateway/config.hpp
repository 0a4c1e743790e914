#pragma once
// The daemon's configuration: one TOML file parsed into plain structs. Unknown keys and bad values
// are rejected with the key's path and line (config_error); a reload builds a new immutable
// snapshot and swaps it. The parser accepts only keys of the key table (config_keys.hpp), which
// `etc/smppgw.toml` and docs/configuration.md cover in full.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "smppgw/cluster/options.hpp"
#include "smppgw/policy/config.hpp"
#include "smppgw/policy/records.hpp"
#include "smppgw/smpp/bind_state.hpp"
#include "smppgw/smpp/message_id.hpp"
#include "smppgw/store/options.hpp"

namespace smppgw::gateway {

using std::chrono::milliseconds;

// Every problem found in a config file, each with its key path and line.
class config_error : public std::runtime_error {
public:
    struct problem {
        std::string key;  // "accounts[0].rate"
        std::size_t line = 0;
        std::string message;
    };
    explicit config_error(std::vector<problem> problems);
    [[nodiscard]] const std::vector<problem>& problems() const noexcept { return problems_; }

private:
    std::vector<problem> problems_;
};

// An IPv4 or IPv6 network in CIDR form ("10.0.0.0/8", "::1/128").
struct ip_network {
    std::string text;
    std::array<std::uint8_t, 16> address{};  // IPv4 stored as IPv4-mapped IPv6
    std::uint8_t prefix_length = 0;          // over the 128-bit form

    [[nodiscard]] bool contains(const std::array<std::uint8_t, 16>& v6) const noexcept;
};

struct tls_server_config {
    bool enabled = false;
    std::string certificate;  // PEM chain path
    std::string private_key;  // PEM key path
    // CA bundle used to verify client certificates; accounts with require_client_certificate
    // are refused without one that verifies.
    std::string client_ca;
    std::string min_version = "1.2";  // "1.2" or "1.3"
};

struct tls_client_config {
    bool enabled = false;
    std::string ca_file;      // empty: system default trust store
    std::string server_name;  // SNI and hostname verification; defaults to host
    bool verify = true;       // never false in production; tests with self-signed CAs
    std::string certificate;  // optional client certificate
    std::string private_key;
    std::string min_version = "1.2";
};

struct listener_config {
    std::string name = "smpp";
    std::string address = "127.0.0.1";
    std::uint16_t port = 2775;
    tls_server_config tls;
    milliseconds session_init_timeout{10'000};
    milliseconds inactivity_timeout{300'000};
    milliseconds enquire_link_interval{0};  // servers answer enquire_link; sending is optional
    std::size_t max_command_length = 64 * 1024 + 512;
    // Hostile-peer limits (per source IP).
    std::size_t max_connections_per_ip = 64;
    double accept_rate_per_ip = 50;  // new connections per second, burst the same
    std::size_t max_write_queue_bytes = 4 * 1024 * 1024;
    // Every connection starts with a PROXY protocol header (v1 or v2) naming the client: for a
    // listener only a load balancer can reach.
    bool proxy_protocol = false;
};

struct account_config {
    std::string system_id;
    // crypt(3) string: yescrypt ($y$...) or SHA-512 ($6$...); compared in constant time.
    std::string password_hash;
    std::string brand;
    policy::message_class default_class = policy::message_class::transactional;
    std::vector<smpp::bind_type> bind_types{smpp::bind_type::transmitter, smpp::bind_type::receiver,
                                            smpp::bind_type::transceiver};
    std::size_t max_binds = 8;
    // Submits a bind may have awaiting our submit_sm_resp; beyond it: ESME_RTHROTTLED.
    std::size_t max_outstanding = 256;
    double rate = 0;  // messages per second across the account's binds; 0 = unlimited
    std::vector<ip_network> allowed_networks;  // empty: any
    // Receiving numbers / short codes whose MO messages go to this account.
    std::vector<std::string> mo_numbers;
    bool per_segment_receipts = false;
    std::size_t deliver_window = 64;  // outstanding deliver_sm per receiver bind
    bool require_client_certificate = false;
    std::string client_certificate_cn;  // when set, the TLS client certificate CN must match
    // Campaign names a message may carry (vendor TLV 0x1402, wire.hpp) and be counted under in
    // metrics and /v1/stats; any other campaign counts as "other". Bounded: max_campaigns.
    std::vector<std::string> campaigns;
};

// Per account, so a sender cannot grow the label space of the campaign metrics without bound.
inline constexpr std::size_t max_campaigns = 32;
inline constexpr std::size_t max_campaign_length = 32;

enum class bind_mode : std::uint8_t { transceiver, transmitter_receiver };
enum class segmentation_mode : std::uint8_t { udh, sar, payload };

struct carrier_config {
    std::string name;
    std::string host = "127.0.0.1";
    std::uint16_t port = 2775;
    std::string system_id;
    std::string password;
    std::string system_type;
    bind_mode mode = bind_mode::transceiver;
    std::size_t sessions = 1;  // TRX sessions, or TX+RX pairs
    // On a cluster: the sessions the carrier allows all nodes together (0: not checked);
    // `sessions` is then this node's share of them.
    std::size_t cluster_sessions = 0;
    std::size_t window = 64;
    double rate = 0;  // submit_sm per second across the carrier's sessions; 0 = unlimited
    milliseconds enquire_link_interval{30'000};
    milliseconds response_timeout{30'000};
    milliseconds reconnect_min{1'000};
    milliseconds reconnect_max{60'000};
    smpp::id_format ids{};
    segmentation_mode segmentation = segmentation_mode::udh;
    bool latin1 = false;              // the carrier accepts data_coding 3
    std::size_t max_queue = 200'000;  // messages waiting for this carrier before push-back
    tls_client_config tls;
};

struct route_config {
    std::string prefix;                 // E.164 prefix of the destination; "" matches everything
    std::vector<std::string> carriers;  // priority order, failover to the next while down
};

struct admin_config {
    bool enabled = true;
    std::string address = "127.0.0.1";
    std::uint16_t port = 8775;
    std::string token;  // bearer token; required for everything but /healthz, /readyz, /metrics
    // The token read from a file instead (load_config fills `token` from it): a package can
    // generate it without editing the config file, which is a conffile.
    std::filesystem::path token_file;
};

struct log_config {
    std::string level = "info";  // trace, debug, info, warn, error
    bool json = false;
};

struct server_config {
    std::size_t threads = 0;  // I/O threads; 0 = one per core
    std::uint16_t node_id = 1;
    milliseconds shutdown_grace{10'000};
    std::size_t max_pending_messages = 500'000;  // accepted but not yet at a carrier
    milliseconds receipt_park_timeout{30'000};   // early receipts wait this long for their id
    // Receipts nobody could match after the park, kept durably until their mapping appears or
    // an operator drops them; beyond this the oldest goes (counted).
    std::size_t max_unmatched_receipts = 100'000;
    // A message whose carrier never sends its receipt would otherwise stay in memory forever:
    // after this long without news it ends as expired (0: wait forever).
    milliseconds receipt_timeout{std::chrono::hours(72)};
};

struct config {
    std::filesystem::path file;  // where it was loaded from
    server_config server;
    std::vector<listener_config> listeners;
    std::vector<account_config> accounts;
    std::vector<carrier_config> carriers;
    std::vector<route_config> routes;
    store::store_options store;
    policy::policy_config policy;
    admin_config admin;
    log_config log;
    // [cluster]: several nodes as one gateway over NATS JetStream (cluster/). Absent: this
    // daemon is a single node, exactly as without the cluster component.
    std::optional<cluster::options> cluster;
    // The line of every key present in the file ("listeners[0].tls.certificate" → 31), for
    // problems found after parsing (files that cannot be read, keys that do not match).
    std::map<std::string, std::size_t, std::less<>> key_lines;
};

// Throws config_error (every problem with key path and line) or std::runtime_error (unreadable
// file). Relative paths inside the file resolve against the file's folder.
//
// load_config also checks everything the daemon would open at startup or reload
// (check_config_files) and reads admin.token_file, so `smppgw config check`, startup and SIGHUP
// agree on what is valid; parse_config looks at the text alone.
[[nodiscard]] std::shared_ptr<const config> load_config(const std::filesystem::path& file);
[[nodiscard]] std::shared_ptr<const config> parse_config(std::string_view toml_text,
                                                         const std::filesystem::path& origin);

// Every file the config names can be used: readable, TLS certificates and keys parse and belong
// together and build the TLS context the daemon would build, policy data files are present, the
// admin token file holds a token, the store path is (or can become) a directory. Problems carry
// the key path and line (key_lines).
[[nodiscard]] std::vector<config_error::problem> check_config_files(const config& c);

}  // namespace smppgw::gateway
