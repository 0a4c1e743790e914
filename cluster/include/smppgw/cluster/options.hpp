#pragma once
// Everything a cluster node is configured with (`[cluster]` in the daemon's TOML file). The
// gateway fills it from its config; defaults are the production ones. No [cluster] table means
// no cluster: the daemon runs as a single node and never loads any of this.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace smppgw::cluster {

using std::chrono::milliseconds;

struct tls_options {
    bool enabled = false;     // set when any of the files is (or a URL is tls://)
    std::string ca_file;      // PEM bundle the servers' certificates must verify against
    std::string certificate;  // client certificate (PEM chain), with private_key
    std::string private_key;
    std::string server_name;  // expected host name; default: the one in the URL
};

// The JetStream key-value buckets a deployment uses. Every node of one gateway must name the
// same ones; two gateways may share a NATS system by choosing different names.
struct object_names {
    std::string optouts = "smppgw_optouts";    // brand.msisdn -> opt-out or lift
    std::string consents = "smppgw_consents";  // brand.msisdn.class -> consent event
    std::string holds = "smppgw_holds";        // brand.msisdn -> review hold or release
    std::string nodes = "smppgw_nodes";        // node -> heartbeat (expires)
    std::string sends = "smppgw_sends";        // stream: <sends>.<node> -> batches of send counts
    // Work-queue stream: <outbox>.<account> -> receipts and MOs waiting for a receiver bound on
    // another node (or on none yet).
    std::string outbox = "smppgw_outbox";
    // Bucket: carrier.carrier-id -> the node that submitted it (expires after
    // store.retention.carrier_ids), and the work-queue stream <receipts>.<node> of carrier
    // receipts that arrived on another node's bind.
    std::string routes = "smppgw_receipt_routes";
    std::string receipts = "smppgw_receipts";
};

struct options {
    std::string node;                  // this node's name, unique in the deployment
    std::uint32_t node_id = 0;         // server.node_id: must differ between nodes too
    std::vector<std::string> servers;  // nats://host:port URLs
    std::string credentials_file;      // NATS .creds (user JWT and NKey seed); empty: none
    tls_options tls;
    object_names names;
    int replicas = 3;  // JetStream replicas of every bucket (1..5)
    // Record which node submitted each carrier message id, so that a receipt the carrier
    // delivers on another node's bind is matched (one replicated bucket write per submitted
    // part: BENCHMARKS.md measures what it costs). Off (the default): a receipt is matched only
    // on the node whose carrier bind it arrives on; give each node its own carrier system_id.
    bool receipt_routes = false;

    // How long a STOP (or an admin write) waits for the cluster's acknowledgement before the
    // node counts it as not replicated, answers from its own durable write and publishes the
    // change later.
    milliseconds write_timeout{2'000};
    // At startup, how long to wait for NATS (and the catch-up) before serving in degraded mode
    // from the local mirror; zero waits as long as it takes.
    milliseconds startup_timeout{0};
    milliseconds heartbeat_interval{2'000};
    // At most this many other nodes' sends are held for frequency caps (~200 bytes each); past
    // it new ones are dropped and counted, so the other nodes' sends count less, never more.
    std::size_t max_remote_sends = 1'000'000;
    std::string version;  // the daemon's, for the node list
};

}  // namespace smppgw::cluster
