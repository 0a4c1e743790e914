#include "smppgw/gateway/config.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <boost/asio/ip/address.hpp>

#include "config/toml_reader.hpp"
#include "smppgw/cluster/names.hpp"

namespace smppgw::gateway {
namespace {

using detail::problems;
using detail::toml_reader;

std::string describe(const std::vector<config_error::problem>& list) {
    std::string text = "invalid configuration:";
    for (const auto& p : list) {
        // A syntax error belongs to no key: the line and what the TOML parser says.
        const auto where = p.line == 0 ? std::string() : fmt::format("line {}: ", p.line);
        text += p.key.empty() ? fmt::format("\n  {}{}", where, p.message)
                              : fmt::format("\n  {}{}: {}", where, p.key, p.message);
    }
    return text;
}

std::optional<ip_network> parse_network(std::string_view text) {
    const auto slash = text.find('/');
    const std::string host(text.substr(0, slash));
    boost::system::error_code ec;
    const auto address = boost::asio::ip::make_address(host, ec);
    if (ec) {
        return std::nullopt;
    }
    ip_network net;
    net.text = std::string(text);
    unsigned length = address.is_v4() ? 32 : 128;
    if (slash != std::string_view::npos) {
        const auto digits = text.substr(slash + 1);
        unsigned parsed = 0;
        for (char c : digits) {
            if (c < '0' || c > '9') {
                return std::nullopt;
            }
            parsed = parsed * 10 + static_cast<unsigned>(c - '0');
        }
        if (digits.empty() || parsed > length) {
            return std::nullopt;
        }
        length = parsed;
    }
    if (address.is_v4()) {
        const auto v6 =
            boost::asio::ip::make_address_v6(boost::asio::ip::v4_mapped, address.to_v4());
        net.address = v6.to_bytes();
        net.prefix_length = static_cast<std::uint8_t>(96 + length);
    } else {
        net.address = address.to_v6().to_bytes();
        net.prefix_length = static_cast<std::uint8_t>(length);
    }
    return net;
}

// "host:port" or "[v6]:port"
bool split_host_port(const std::string& text, std::string& host, std::uint16_t& port) {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos || colon + 1 == text.size()) {
        return false;
    }
    host = text.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    unsigned value = 0;
    for (char c : text.substr(colon + 1)) {
        if (c < '0' || c > '9') {
            return false;
        }
        value = value * 10 + static_cast<unsigned>(c - '0');
        if (value > 65535) {
            return false;
        }
    }
    port = static_cast<std::uint16_t>(value);
    return !host.empty();
}

void read_address(toml_reader& r, std::string_view key, std::string& host, std::uint16_t& port) {
    if (!r.has(key)) {
        return;
    }
    std::string text;
    r.get(key, text);
    if (!split_host_port(text, host, port)) {
        r.fail(key, "expected \"host:port\"");
    }
}

std::optional<smpp::bind_type> parse_bind_type(std::string_view s) {
    if (s == "transmitter" || s == "tx") {
        return smpp::bind_type::transmitter;
    }
    if (s == "receiver" || s == "rx") {
        return smpp::bind_type::receiver;
    }
    if (s == "transceiver" || s == "trx") {
        return smpp::bind_type::transceiver;
    }
    return std::nullopt;
}

// A path from the config file, relative to the file's folder; "" stays "" (not set).
void read_path(toml_reader& r, std::string_view key, std::string& out,
               const std::filesystem::path& base) {
    r.get(key, out);
    if (!out.empty() && std::filesystem::path(out).is_relative()) {
        out = (base / out).string();
    }
}

void read_tls_server(toml_reader& r, tls_server_config& t, const std::filesystem::path& base) {
    t.enabled = true;
    r.get("enabled", t.enabled);
    read_path(r, "certificate", t.certificate, base);
    read_path(r, "private_key", t.private_key, base);
    read_path(r, "client_ca", t.client_ca, base);
    r.get_enum(
        "min_version", t.min_version,
        [](const std::string& s) -> std::optional<std::string> {
            return s == "1.2" || s == "1.3" ? std::optional(s) : std::nullopt;
        },
        "\"1.2\", \"1.3\"");
    if (t.enabled) {
        if (t.certificate.empty()) {
            r.fail("certificate", "required when TLS is enabled");
        }
        if (t.private_key.empty()) {
            r.fail("private_key", "required when TLS is enabled");
        }
    }
}

void read_tls_client(toml_reader& r, tls_client_config& t, const std::filesystem::path& base) {
    t.enabled = true;
    r.get("enabled", t.enabled);
    read_path(r, "ca_file", t.ca_file, base);
    r.get("server_name", t.server_name);
    r.get("verify", t.verify);
    read_path(r, "certificate", t.certificate, base);
    read_path(r, "private_key", t.private_key, base);
    r.get_enum(
        "min_version", t.min_version,
        [](const std::string& s) -> std::optional<std::string> {
            return s == "1.2" || s == "1.3" ? std::optional(s) : std::nullopt;
        },
        "\"1.2\", \"1.3\"");
    if (t.certificate.empty() != t.private_key.empty()) {
        r.fail("certificate", "certificate and private_key go together");
    }
}

void read_server(toml_reader& r, server_config& s) {
    r.get("threads", s.threads);
    r.get("node_id", s.node_id);
    if (s.node_id > 1023) {
        r.fail("node_id", "must be 0..1023");
    }
    r.get("shutdown_grace", s.shutdown_grace);
    r.get("max_pending_messages", s.max_pending_messages);
    r.get("receipt_park_timeout", s.receipt_park_timeout);
    r.get("max_unmatched_receipts", s.max_unmatched_receipts);
    r.get("receipt_timeout", s.receipt_timeout);
}

void read_listener(toml_reader& r, listener_config& l, const std::filesystem::path& base) {
    r.get("name", l.name);
    if (r.require("address")) {
        read_address(r, "address", l.address, l.port);
    }
    r.table("tls", [&](toml_reader& t) { read_tls_server(t, l.tls, base); });
    r.get("session_init_timeout", l.session_init_timeout);
    r.get("inactivity_timeout", l.inactivity_timeout);
    r.get("enquire_link_interval", l.enquire_link_interval);
    r.get("max_command_length", l.max_command_length);
    if (l.max_command_length < 1024) {
        r.fail("max_command_length", "must be at least 1024");
    }
    r.get("max_connections_per_ip", l.max_connections_per_ip);
    r.get("accept_rate_per_ip", l.accept_rate_per_ip);
    r.get("max_write_queue_bytes", l.max_write_queue_bytes);
    r.get("proxy_protocol", l.proxy_protocol);
}

void read_account(toml_reader& r, account_config& a) {
    if (r.require("system_id")) {
        r.get("system_id", a.system_id);
        if (a.system_id.empty() || a.system_id.size() > 15) {
            r.fail("system_id", "must be 1..15 characters (SMPP C-Octet String of 16)");
        }
    }
    if (r.require("password_hash")) {
        r.get("password_hash", a.password_hash);
        if (!(a.password_hash.starts_with("$y$") || a.password_hash.starts_with("$6$") ||
              a.password_hash.starts_with("$7$") || a.password_hash.starts_with("$gy$"))) {
            r.fail("password_hash",
                   "expected a crypt(3) yescrypt (\"$y$...\") or SHA-512 (\"$6$...\") hash; "
                   "make one with `smppgw hash-password`");
        }
    }
    if (r.require("brand")) {
        r.get("brand", a.brand);
    }
    r.get_enum(
        "default_class", a.default_class,
        [](const std::string& s) { return policy::parse_message_class(s); },
        "\"transactional\", \"promotional\", \"conversational\"");
    if (r.has("bind_types")) {
        a.bind_types.clear();
        r.strings("bind_types", [&](const std::string& s, std::size_t) {
            if (auto t = parse_bind_type(s)) {
                a.bind_types.push_back(*t);
            } else {
                r.fail("bind_types", "expected \"transmitter\", \"receiver\", \"transceiver\"");
            }
        });
    }
    r.get("max_binds", a.max_binds);
    r.get("max_outstanding", a.max_outstanding);
    if (a.max_outstanding == 0) {
        r.fail("max_outstanding", "must be at least 1");
    }
    r.get("rate", a.rate);
    r.strings("allowed_networks", [&](const std::string& s, std::size_t) {
        if (auto net = parse_network(s)) {
            a.allowed_networks.push_back(*net);
        } else {
            r.fail("allowed_networks", fmt::format("\"{}\" is not an address or CIDR network", s));
        }
    });
    r.get("mo_numbers", a.mo_numbers);
    r.get("per_segment_receipts", a.per_segment_receipts);
    r.get("deliver_window", a.deliver_window);
    if (a.deliver_window == 0) {
        r.fail("deliver_window", "must be at least 1");
    }
    r.get("require_client_certificate", a.require_client_certificate);
    r.get("client_certificate_cn", a.client_certificate_cn);
    r.strings("campaigns", [&](const std::string& s, std::size_t) {
        // Names become label values and key parts of the stats family: short, printable, and
        // apart from the two labels smppgw uses itself.
        const bool printable = std::all_of(s.begin(), s.end(), [](char ch) {
            return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                   (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.';
        });
        if (s.empty() || s.size() > max_campaign_length || !printable) {
            r.fail("campaigns", fmt::format("\"{}\": a campaign name is 1..{} characters of "
                                            "letters, digits, '-', '_' and '.'",
                                            s, max_campaign_length));
        } else if (s == "none" || s == "other") {
            r.fail("campaigns", fmt::format("\"{}\" is reserved (messages without a campaign "
                                            "count as \"none\", unlisted ones as \"other\")",
                                            s));
        } else if (std::find(a.campaigns.begin(), a.campaigns.end(), s) != a.campaigns.end()) {
            r.fail("campaigns", fmt::format("\"{}\" is listed twice", s));
        } else {
            a.campaigns.push_back(s);
        }
    });
    if (a.campaigns.size() > max_campaigns) {
        r.fail("campaigns", fmt::format("at most {} campaigns per account", max_campaigns));
    }
}

std::optional<smpp::id_encoding> id_encoding_of(const std::string& s) {
    return smpp::parse_id_encoding(s);
}

void read_carrier(toml_reader& r, carrier_config& c, const std::filesystem::path& base) {
    if (r.require("name")) {
        r.get("name", c.name);
    }
    if (r.require("address")) {
        read_address(r, "address", c.host, c.port);
    }
    if (r.require("system_id")) {
        r.get("system_id", c.system_id);
    }
    r.get("password", c.password);
    if (c.password.size() > 8) {
        r.fail("password", "SMPP passwords are at most 8 characters");
    }
    r.get("system_type", c.system_type);
    r.get_enum(
        "bind_mode", c.mode,
        [](const std::string& s) -> std::optional<bind_mode> {
            if (s == "trx") {
                return bind_mode::transceiver;
            }
            if (s == "tx+rx") {
                return bind_mode::transmitter_receiver;
            }
            return std::nullopt;
        },
        "\"trx\", \"tx+rx\"");
    r.get("sessions", c.sessions);
    if (c.sessions == 0 || c.sessions > 64) {
        r.fail("sessions", "must be 1..64");
    }
    r.get("cluster_sessions", c.cluster_sessions);
    if (c.cluster_sessions > 64 * 64) {
        r.fail("cluster_sessions", "must be 0..4096");
    } else if (c.cluster_sessions != 0 && c.sessions > c.cluster_sessions) {
        r.fail("sessions", fmt::format("this node's share ({}) exceeds cluster_sessions ({})",
                                       c.sessions, c.cluster_sessions));
    }
    r.get("window", c.window);
    if (c.window == 0 || c.window > 4096) {
        r.fail("window", "must be 1..4096");
    }
    r.get("rate", c.rate);
    r.get("enquire_link_interval", c.enquire_link_interval);
    r.get("response_timeout", c.response_timeout);
    r.get("reconnect_min", c.reconnect_min);
    r.get("reconnect_max", c.reconnect_max);
    if (c.reconnect_min > c.reconnect_max) {
        r.fail("reconnect_min", "must not exceed reconnect_max");
    }
    r.table("message_ids", [&](toml_reader& t) {
        t.get_enum("submit_sm_resp", c.ids.response_id, id_encoding_of,
                   "\"opaque\", \"decimal\", \"hex\", \"auto\"");
        t.get_enum("receipted_message_id", c.ids.receipted_message_id, id_encoding_of,
                   "\"opaque\", \"decimal\", \"hex\", \"auto\"");
        t.get_enum("receipt_text", c.ids.receipt_text, id_encoding_of,
                   "\"opaque\", \"decimal\", \"hex\", \"auto\"");
        t.get("fold_case", c.ids.fold_case);
    });
    r.get_enum(
        "segmentation", c.segmentation,
        [](const std::string& s) -> std::optional<segmentation_mode> {
            if (s == "udh") {
                return segmentation_mode::udh;
            }
            if (s == "sar") {
                return segmentation_mode::sar;
            }
            if (s == "payload") {
                return segmentation_mode::payload;
            }
            return std::nullopt;
        },
        "\"udh\", \"sar\", \"payload\"");
    r.get("latin1", c.latin1);
    r.get("max_queue", c.max_queue);
    r.table("tls", [&](toml_reader& t) { read_tls_client(t, c.tls, base); });
}

void read_store(toml_reader& r, store::store_options& s, const std::filesystem::path& base) {
    std::string path = "var/smppgw";
    r.get("path", path);
    s.path = std::filesystem::path(path).is_absolute() ? std::filesystem::path(path) : base / path;
    r.get_enum(
        "sync", s.sync, [](const std::string& v) { return store::parse_sync_mode(v); },
        "\"always\", \"batch\", \"none\"");
    std::chrono::milliseconds group_delay{1};
    if (r.has("group_max_delay")) {
        r.get("group_max_delay", group_delay);
        s.group_max_delay = std::chrono::duration_cast<std::chrono::microseconds>(group_delay);
    }
    r.get("group_max_commits", s.group_max_commits);
    r.get("block_cache_bytes", s.block_cache_bytes);
    r.get("write_buffer_total_bytes", s.write_buffer_total_bytes);
    r.get("expected_optouts", s.expected_optouts);
    r.get("expected_consents", s.expected_consents);
    r.get("resume_min_free_bytes", s.resume_min_free_bytes);
    r.get("checkpoint_interval", s.checkpoint_interval);
    r.get("checkpoint_journal_bytes", s.checkpoint_journal_bytes);
    r.table("retention", [&](toml_reader& t) {
        t.get("messages", s.retention.messages);
        t.get("carrier_ids", s.retention.carrier_ids);
        t.get("audit", s.retention.audit);
        t.get("evidence", s.retention.evidence);
        t.get("outbox", s.retention.outbox);
        t.get("freq_window", s.retention.freq_window);
        t.get("stats", s.retention.stats);
    });
}

void read_admin(toml_reader& r, admin_config& a, const std::filesystem::path& base) {
    r.get("enabled", a.enabled);
    read_address(r, "address", a.address, a.port);
    r.get("token", a.token);
    std::string token_file;
    read_path(r, "token_file", token_file, base);
    a.token_file = token_file;
    if (!a.token.empty() && !a.token_file.empty()) {
        r.fail("token_file", "set token or token_file, not both");
    } else if (a.enabled && a.token_file.empty() && a.token.size() < 16) {
        // With token_file the token is read (and checked) by load_config.
        r.fail("token", "set a bearer token of at least 16 characters, or token_file");
    }
}

void read_cluster(toml_reader& r, cluster::options& c, const std::filesystem::path& base) {
    if (r.require("node")) {
        r.get("node", c.node);
        if (!cluster::valid_node_name(c.node)) {
            r.fail("node", "1 to 32 of A-Z a-z 0-9 _ -, unique among the nodes");
        }
    }
    if (r.require("servers")) {
        r.get("servers", c.servers);
        if (c.servers.empty()) {
            r.fail("servers", "at least one NATS URL (nats://host:port)");
        }
        for (const auto& url : c.servers) {
            if (!url.starts_with("nats://") && !url.starts_with("tls://")) {
                r.fail("servers", fmt::format("\"{}\" is not a nats:// or tls:// URL", url));
                break;
            }
            if (url.starts_with("tls://")) {
                c.tls.enabled = true;
            }
        }
    }
    read_path(r, "credentials_file", c.credentials_file, base);
    r.table("tls", [&](toml_reader& t) {
        c.tls.enabled = true;
        read_path(t, "ca_file", c.tls.ca_file, base);
        read_path(t, "certificate", c.tls.certificate, base);
        read_path(t, "private_key", c.tls.private_key, base);
        t.get("server_name", c.tls.server_name);
        if (c.tls.certificate.empty() != c.tls.private_key.empty()) {
            t.fail("certificate", "set certificate and private_key together");
        }
    });
    r.get("replicas", c.replicas);
    if (c.replicas < 1 || c.replicas > 5) {
        r.fail("replicas", "1 to 5 (JetStream's limit); 3 survives the loss of one server");
    }
    r.get("write_timeout", c.write_timeout);
    if (c.write_timeout.count() < 10) {
        r.fail("write_timeout", "at least 10ms");
    }
    r.get("startup_timeout", c.startup_timeout);
    r.get("heartbeat_interval", c.heartbeat_interval);
    if (c.heartbeat_interval.count() < 100) {
        r.fail("heartbeat_interval", "at least 100ms");
    }
    r.get("max_remote_sends", c.max_remote_sends);
    r.get("receipt_routes", c.receipt_routes);
    if (c.max_remote_sends < 1000) {
        r.fail("max_remote_sends", "at least 1000");
    }
    r.table("buckets", [&](toml_reader& t) {
        t.get("optouts", c.names.optouts);
        t.get("consents", c.names.consents);
        t.get("holds", c.names.holds);
        t.get("nodes", c.names.nodes);
        t.get("sends", c.names.sends);
        t.get("outbox", c.names.outbox);
        t.get("routes", c.names.routes);
        t.get("receipts", c.names.receipts);
        for (const auto& [key, name] :
             {std::pair<const char*, const std::string*>{"optouts", &c.names.optouts},
              {"consents", &c.names.consents},
              {"holds", &c.names.holds},
              {"nodes", &c.names.nodes},
              {"sends", &c.names.sends},
              {"outbox", &c.names.outbox},
              {"routes", &c.names.routes},
              {"receipts", &c.names.receipts}}) {
            if (!cluster::valid_object_name(*name)) {
                t.fail(key, "1 to 64 of A-Z a-z 0-9 _ -");
            }
        }
    });
}

void read_log(toml_reader& r, log_config& l) {
    r.get_enum(
        "level", l.level,
        [](const std::string& s) -> std::optional<std::string> {
            static const std::set<std::string, std::less<>> levels{"trace", "debug", "info", "warn",
                                                                   "error"};
            return levels.contains(s) ? std::optional(s) : std::nullopt;
        },
        "\"trace\", \"debug\", \"info\", \"warn\", \"error\"");
    std::string format = l.json ? "json" : "text";
    r.get_enum(
        "format", format,
        [](const std::string& s) -> std::optional<std::string> {
            return s == "json" || s == "text" ? std::optional(s) : std::nullopt;
        },
        "\"text\", \"json\"");
    l.json = format == "json";
}

// Lines of the keys cross_check() may complain about, recorded while the TOML nodes exist.
using key_lines = std::map<std::string, std::size_t, std::less<>>;

std::size_t line_of(const key_lines& lines, const std::string& key) {
    auto it = lines.find(key);
    return it == lines.end() ? 0 : it->second;
}

// Relations between sections: names that must exist, uniqueness.
void cross_check(const config& c, const key_lines& lines, problems& out) {
    auto add = [&](std::string key, std::string message) {
        const auto line = line_of(lines, key);
        out.push_back({std::move(key), line, std::move(message)});
    };
    std::set<std::string, std::less<>> carriers;
    for (std::size_t i = 0; i < c.carriers.size(); ++i) {
        if (!carriers.insert(c.carriers[i].name).second) {
            add(fmt::format("carriers[{}].name", i),
                fmt::format("carrier \"{}\" is defined twice", c.carriers[i].name));
        }
    }
    std::set<std::string, std::less<>> accounts;
    std::map<std::string, std::string, std::less<>> mo_owner;
    for (std::size_t i = 0; i < c.accounts.size(); ++i) {
        const auto& a = c.accounts[i];
        if (!accounts.insert(a.system_id).second) {
            add(fmt::format("accounts[{}].system_id", i),
                fmt::format("account \"{}\" is defined twice", a.system_id));
        }
        for (const auto& n : a.mo_numbers) {
            auto [it, fresh] = mo_owner.emplace(n, a.system_id);
            if (!fresh) {
                add(fmt::format("accounts[{}].mo_numbers", i),
                    fmt::format("number {} is already owned by account \"{}\"", n, it->second));
            }
        }
    }
    std::set<std::string, std::less<>> prefixes;
    for (std::size_t i = 0; i < c.routes.size(); ++i) {
        const auto& route = c.routes[i];
        if (!prefixes.insert(route.prefix).second) {
            add(fmt::format("routes[{}].prefix", i),
                fmt::format("prefix \"{}\" is routed twice", route.prefix));
        }
        if (route.carriers.empty()) {
            add(fmt::format("routes[{}].carriers", i), "lists no carrier");
        }
        for (const auto& name : route.carriers) {
            if (!carriers.contains(name)) {
                add(fmt::format("routes[{}].carriers", i),
                    fmt::format("unknown carrier \"{}\"", name));
            }
        }
    }
    if (c.listeners.empty()) {
        out.push_back({"listeners", 0, "at least one [[listeners]] is needed"});
    }
    // The store forgets send times older than freq_window: a cap over a longer window would
    // silently count only the last freq_window of sends.
    const auto kept = c.store.retention.freq_window;
    if (c.policy.frequency.enabled && kept.count() > 0) {
        for (const auto& cap : c.policy.frequency.caps) {
            if (cap.window > kept) {
                const std::string key = "store.retention.freq_window";
                out.push_back(
                    {key, line_of(c.key_lines, key),
                     fmt::format("{} h is shorter than the {} h window of the frequency cap for "
                                 "region \"{}\": set it to at least the longest cap window",
                                 std::chrono::duration_cast<std::chrono::hours>(kept).count(),
                                 cap.window.count(), cap.region)});
                break;
            }
        }
    }
}

std::shared_ptr<config> parse_table(const toml::table& root, const std::filesystem::path& origin) {
    auto c = std::make_shared<config>();
    c->file = origin;
    const auto base = origin.has_parent_path() ? origin.parent_path() : std::filesystem::path(".");
    problems out;
    toml_reader r(root, "", out, &c->key_lines);
    r.table("server", [&](toml_reader& t) { read_server(t, c->server); });
    r.tables("listeners", [&](toml_reader& t, std::size_t) {
        read_listener(t, c->listeners.emplace_back(), base);
    });
    key_lines lines;
    auto remember = [&](toml_reader& t, std::string_view key) {
        lines[t.key_path(key)] = t.line_of(key);
    };
    r.tables("accounts", [&](toml_reader& t, std::size_t) {
        read_account(t, c->accounts.emplace_back());
        remember(t, "system_id");
        remember(t, "mo_numbers");
    });
    r.tables("carriers", [&](toml_reader& t, std::size_t) {
        read_carrier(t, c->carriers.emplace_back(), base);
        remember(t, "name");
    });
    r.tables("routes", [&](toml_reader& t, std::size_t) {
        remember(t, "prefix");
        remember(t, "carriers");
        auto& route = c->routes.emplace_back();
        t.get("prefix", route.prefix);
        for (char ch : route.prefix) {
            if (ch < '0' || ch > '9') {
                t.fail("prefix", "must be E.164 digits (no '+')");
                break;
            }
        }
        if (t.require("carriers")) {
            t.get("carriers", route.carriers);
        }
    });
    c->store.path = base / "var/smppgw";
    r.table("store", [&](toml_reader& t) { read_store(t, c->store, base); });
    c->store.node_id = c->server.node_id;
    detail::default_policy_data(c->policy, base);
    r.table("policy", [&](toml_reader& t) { detail::read_policy(t, c->policy, base); });
    r.table("admin", [&](toml_reader& t) { read_admin(t, c->admin, base); });
    r.table("log", [&](toml_reader& t) { read_log(t, c->log); });
    r.table("cluster", [&](toml_reader& t) {
        auto& cl = c->cluster.emplace();
        read_cluster(t, cl, base);
        cl.node_id = c->server.node_id;
        cl.version = SMPPGW_VERSION;
    });
    r.finish();
    cross_check(*c, lines, out);
    if (!out.empty()) {
        throw config_error(std::move(out));
    }
    return c;
}

}  // namespace

config_error::config_error(std::vector<problem> problems)
    : std::runtime_error(describe(problems)), problems_(std::move(problems)) {}

bool ip_network::contains(const std::array<std::uint8_t, 16>& v6) const noexcept {
    std::size_t bits = prefix_length;
    for (std::size_t i = 0; i < 16 && bits > 0; ++i) {
        const std::size_t take = bits >= 8 ? 8 : bits;
        const auto mask = static_cast<std::uint8_t>(0xFF << (8 - take));
        if ((v6[i] & mask) != (address[i] & mask)) {
            return false;
        }
        bits -= take;
    }
    return true;
}

namespace {

std::shared_ptr<config> parse_text(std::string_view toml_text,
                                   const std::filesystem::path& origin) {
    toml::table root;
    try {
        root = toml::parse(toml_text, origin.string());
    } catch (const toml::parse_error& e) {
        const auto& where = e.source().begin;
        throw config_error(
            {{"", where.line,
              fmt::format("TOML syntax error at column {}: {}", where.column, e.description())}});
    }
    return parse_table(root, origin);
}

}  // namespace

std::shared_ptr<const config> parse_config(std::string_view toml_text,
                                           const std::filesystem::path& origin) {
    return parse_text(toml_text, origin);
}

std::shared_ptr<const config> load_config(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        throw std::runtime_error(fmt::format("cannot read config file {}", file.string()));
    }
    std::ostringstream text;
    text << in.rdbuf();
    auto c = parse_text(text.str(), file);
    auto out = detail::read_token_file(*c);
    auto files = check_config_files(*c);
    out.insert(out.end(), files.begin(), files.end());
    if (!out.empty()) {
        throw config_error(std::move(out));
    }
    return c;
}

}  // namespace smppgw::gateway
