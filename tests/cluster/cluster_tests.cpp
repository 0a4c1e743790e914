// Several smppgw daemons as one gateway over a real 3-server NATS JetStream cluster on loopback
// (issue 13): an opt-out taken on one node is refused on another, a (re)starting node catches
// up before it accepts submits, losing one nats-server changes nothing, and with NATS gone a
// node serves degraded from its local copy and publishes what it took meanwhile once NATS is
// back; frequency caps count the sends of every node, and a message that finally fails gives
// its place back on every node; behind HAProxy, the client of a node killed with messages
// unsent rebinds on another node while the killed node's messages wait in its journal; every
// cluster series the Grafana dashboard and the alert rules query is on a node's /metrics; an
// account's receipts and MOs reach its receiver on whichever node it is bound, and wait in the
// cluster (surviving the node that took them) while it is bound nowhere; a receipt the carrier
// delivers on another node's bind is forwarded to the node that submitted the message.
// Registered with the label `cluster`; skipped (exit 77) without nats-server, the HAProxy case
// also without haproxy.

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "haproxy.hpp"
#include "nats_cluster.hpp"
#include "scenario.hpp"

using namespace smppgw::integration;
namespace smpp = smppgw::smpp;

namespace {

constexpr std::uint32_t status_opted_out = 0x410;  // vendor range, as the single-node tests

// One smppgw node of the cluster: its own carrier (a fake SMSC), store, ports and node_id.
class cluster_node {
public:
    // `carrier_sessions` is this node's share of its carrier's binds; `cluster_sessions` the
    // carrier's limit for all nodes (0: not set).
    // `behind_proxy`: its listener reads the PROXY header HAProxy sends (send-proxy-v2).
    cluster_node(const nats_cluster& nats, std::string name, unsigned node_id,
                 std::string extra = {}, unsigned carrier_sessions = 1,
                 unsigned cluster_sessions = 0, bool behind_proxy = false)
        : name_(std::move(name)),
          daemon_(
              [this, &nats, node_id, extra, carrier_sessions, cluster_sessions, behind_proxy](
                  const daemon_ports& p, const std::filesystem::path& dir) {
                  auto spec = one_carrier_spec(carrier_);
                  spec.carriers[0].sessions = carrier_sessions;
                  spec.proxy_protocol = behind_proxy;
                  auto t = render_config(spec, p.smpp, p.admin, dir / "store");
                  if (cluster_sessions != 0) {
                      const auto at = t.find("\nwindow = ");
                      t.insert(at, fmt::format("\ncluster_sessions = {}", cluster_sessions));
                  }
                  // Message ids are unique per node_id: every node gets its own.
                  const auto at = t.find("node_id = 7");
                  t.replace(at, 11, fmt::format("node_id = {}", node_id));
                  t += fmt::format(
                      "\n[cluster]\nnode = \"{}\"\nservers = {}\nreplicas = 3\n"
                      "write_timeout = \"1s\"\nheartbeat_interval = \"500ms\"\n{}\n",
                      name_, nats.urls_toml(), extra);
                  return t;
              },
              {}, "smppgw-cluster") {}

    void start() {
        daemon_.start();
        REQUIRE(daemon_.wait_ready());
    }
    void restart() {
        daemon_.restart();
        REQUIRE(daemon_.wait_ready());
    }
    void kill_hard() { daemon_.kill_hard(); }

    [[nodiscard]] fake_smsc& carrier() noexcept { return carrier_; }
    [[nodiscard]] daemon_process& daemon() noexcept { return daemon_; }
    [[nodiscard]] const daemon_process& daemon() const noexcept { return daemon_; }
    [[nodiscard]] std::uint16_t smpp_port() const noexcept { return daemon_.smpp_port(); }

    // The carrier delivers STOP from `number`; true once the node answered it ESME_ROK.
    bool stop_from(const std::string& number, std::chrono::milliseconds timeout = default_wait) {
        const auto i = carrier_.send_mo(number, account_number, "STOP");
        return carrier_.wait([i](auto v) { return v.deliveries().size() > i &&
                                                  v.deliveries()[i].acked; },
                             timeout);
    }
    // An opt-out for (acme, number) is in this node's store (the admin API reads it locally).
    [[nodiscard]] bool has_optout(const std::string& number) const {
        const auto r = http_get(daemon_.admin_port(), "/v1/optouts/acme/" + number, admin_token);
        return r.status == 200 && r.body.find("\"opted_out\":true") != std::string::npos;
    }
    [[nodiscard]] std::string cluster_json() const {
        return http_get(daemon_.admin_port(), "/v1/cluster", admin_token).body;
    }
    [[nodiscard]] std::string readyz() const {
        return http_get(daemon_.admin_port(), "/readyz").body;
    }
    [[nodiscard]] std::string log_text() const { return daemon_.log_text(); }

private:
    std::string name_;
    fake_smsc carrier_;  // before daemon_: its render function reads the port
    daemon_process daemon_;
};

// Three nodes gw-a, gw-b and gw-c of one NATS cluster, with node ids first_id .. first_id + 2;
// `extra` goes into each one's [cluster] table. Started by start(), so that a test can set up
// their carriers first.
struct three_nodes {
    three_nodes(const nats_cluster& nats, unsigned first_id, const std::string& extra = {},
                bool behind_proxy = false)
        : a(nats, "gw-a", first_id, extra, 1, 0, behind_proxy),
          b(nats, "gw-b", first_id + 1, extra, 1, 0, behind_proxy),
          c(nats, "gw-c", first_id + 2, extra, 1, 0, behind_proxy) {}

    void start() {
        a.start();
        b.start();
        c.start();
    }
    [[nodiscard]] std::array<cluster_node*, 3> all() noexcept { return {&a, &b, &c}; }

    cluster_node a;
    cluster_node b;
    cluster_node c;
};

std::uint32_t submit_status(test_esme& esme, const std::string& to, const std::string& text) {
    const auto r = esme.call(make_submit(account_number, to, text));
    REQUIRE(r.pdu);
    return r.pdu->command_status;
}

// A promotional submit (service_type MKT).
smpp::pdu promo(const std::string& to, const std::string& text) {
    auto p = make_submit(account_number, to, text);
    (void)std::get<smpp::submit_sm>(p.body).service_type.assign("MKT");
    return p;
}

// Caps of 2 promotional messages per number and day on every region, deferred beyond; quiet
// hours off so that a deferral can only come from the cap.
const std::string two_per_day =
    "\n[policy.quiet_hours]\nenabled = false\n\n[policy.frequency]\naction = \"defer\"\n"
    "[[policy.frequency.caps]]\nregion = \"*\"\nmax_messages = 2\nwindow = \"24h\"\n";

std::string message_state(cluster_node& n, const std::string& id) {
    const auto r = http_get(n.daemon().admin_port(), "/v1/messages/" + id, admin_token);
    INFO(r.status << " " << r.body);
    REQUIRE(r.status == 200);
    return std::string(boost::json::parse(r.body).at("state").as_string());
}

// Submits a promotional message and returns the state it was accepted in ("accepted" and the
// later ones, or "deferred").
std::string promo_state(cluster_node& n, test_esme& esme, const std::string& to,
                        const std::string& text) {
    const auto r = esme.call(promo(to, text));
    REQUIRE(r.pdu);
    REQUIRE(r.status() == smpp::status::ESME_ROK);  // a deferral is an acceptance too
    return message_state(n, r.message_id());
}

// Upstream sessions open on a node (its admin API).
std::size_t binds_on(const cluster_node& n) {
    const auto r = http_get(n.daemon().admin_port(), "/v1/binds", admin_token);
    INFO(r.status << " " << r.body);
    REQUIRE(r.status == 200);
    return boost::json::parse(r.body).at("binds").as_array().size();
}

// Binds through a load balancer: HAProxy accepts every connection and closes the ones it
// cannot hand to a node (none up yet, or the one it picked just died), so a bind is retried
// until some node answers it.
bool bind_through_front(test_esme& e) {
    return eventually(
        [&] {
            const auto r = e.bind(smpp::bind_type::transceiver, "demo", demo_password, 2s);
            return r.pdu && r.pdu->command_status == smpp::status::ESME_ROK;
        },
        default_wait, 50ms);
}

// Waits until `n` serves the demo account's share of the outbox stream (a receiver of the
// account is bound there).
void require_serving_demo(const cluster_node& n) {
    REQUIRE(eventually([&] {
        return n.cluster_json().find("\"served_accounts\":[\"demo\"]") != std::string::npos;
    }, 5s));
}

// Submits `texts` through `sender` (bound on `n`), each accepted; returns our ids once `n`'s
// carrier answered every one with its own id.
std::set<std::string> submit_until_carrier_ids(test_esme& sender, cluster_node& n,
                                               const std::vector<std::string>& texts) {
    std::set<std::string> ids;
    for (const auto& s : submit_all(sender, texts)) {
        REQUIRE(s.reply.status() == smpp::status::ESME_ROK);
        ids.insert(s.reply.message_id());
    }
    REQUIRE(ids.size() == texts.size());
    REQUIRE(n.carrier().wait([&](auto v) {
        return static_cast<std::size_t>(
                   std::count_if(v.submits().begin(), v.submits().end(),
                                 [](const auto& s) { return !s.carrier_id.empty(); })) ==
               texts.size();
    }));
    return ids;
}

// The receipts `receiver` got: exactly one for each of `ids`.
void check_receipted_once(const test_esme& receiver, const std::set<std::string>& ids) {
    std::set<std::string> receipted;
    for (const auto& [id, count] : receipts_by_id(receiver.deliveries())) {
        CHECK(count == 1);
        receipted.insert(id);
    }
    CHECK(receipted == ids);
}

// Three nodes with cluster.receipt_routes, whose carriers (one per node, all named "sim")
// send receipts only when told, on the bind the test picks; the account submits through A (a
// transmitter: it cannot receive there) and receives on C.
struct routed_receipts {
    explicit routed_receipts(const nats_cluster& nats, unsigned first_id)
        : nodes(nats, first_id, "receipt_routes = true") {
        nodes.a.carrier().set_auto_receipts(false);
        nodes.b.carrier().set_auto_receipts(false);
        nodes.start();
        sender = std::make_unique<test_esme>(nodes.a.smpp_port());
        bind_ok(*sender, smpp::bind_type::transmitter);
        receiver = std::make_unique<test_esme>(nodes.c.smpp_port());
        bind_ok(*receiver, smpp::bind_type::receiver);
        require_serving_demo(nodes.c);
    }

    // `n` messages through A, accepted; our ids once A's carrier answered each with its own.
    std::set<std::string> submit(const std::string& tag, unsigned n) {
        return submit_until_carrier_ids(*sender, nodes.a, tokened_texts(tag, n));
    }

    // The carrier delivers a receipt for every carrier id A got back on B's bind; returns once
    // B has answered all `n` of them.
    void receipts_on_b(unsigned n) {
        for (const auto& s : nodes.a.carrier().submits()) {
            nodes.b.carrier().send_receipt(s.carrier_id);
        }
        REQUIRE(nodes.b.carrier().wait([n](auto v) {
            return std::count_if(v.deliveries().begin(), v.deliveries().end(),
                                 [](const auto& d) { return d.receipt && d.acked; }) == n;
        }, 15s));
    }

    three_nodes nodes;
    std::unique_ptr<test_esme> sender;
    std::unique_ptr<test_esme> receiver;
};

// A sample of `name` (any labels) in a Prometheus text exposition.
bool has_series(const std::string& text, const std::string& name) {
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(name, 0) == 0 && line.size() > name.size() &&
            (line[name.size()] == '{' || line[name.size()] == ' ')) {
            return true;
        }
    }
    return false;
}

double quantile(std::vector<double> v, double q) {
    std::sort(v.begin(), v.end());
    const auto i = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
    return v[std::min(i, v.size() - 1)];
}

}  // namespace

TEST_CASE("a STOP taken on node A is refused on node B, and a restarting node catches up",
          "[cluster]") {
    nats_cluster nats;
    // Each node binds 2 sessions to the carrier "sim"; A says the carrier allows 3 in all.
    cluster_node a(nats, "gw-a", 11, {}, 2, 3);
    cluster_node b(nats, "gw-b", 12, {}, 2);
    a.start();
    b.start();

    test_esme esme_b(b.smpp_port());
    bind_ok(esme_b, smpp::bind_type::transceiver);
    const auto stopper = handset(70);
    CHECK(submit_status(esme_b, handset(71), "Your code 1234") == smpp::status::ESME_ROK);

    // The carrier hears ESME_ROK from A once a quorum of NATS has the opt-out; B's mirror
    // applies it within milliseconds, so a submit through B right after is refused.
    REQUIRE(a.stop_from(stopper));
    REQUIRE(eventually([&] { return b.has_optout(stopper); }, 5s, 2ms));
    CHECK(submit_status(esme_b, stopper, "Deals today!") == status_opted_out);
    CHECK(submit_status(esme_b, handset(71), "Your code 5678") == smpp::status::ESME_ROK);
    CHECK(a.daemon().metric("smppgw_cluster_changes_published_total") >= 1);
    CHECK(b.daemon().metric("smppgw_cluster_propagation_seconds_count") >= 1);
    CHECK(b.daemon().metric("smppgw_cluster_state", {{"state", "ready"}}) == 1);
    CHECK(b.readyz().find("\"cluster\":\"ready\"") != std::string::npos);
    // Both nodes see each other.
    REQUIRE(eventually([&] { return b.daemon().metric("smppgw_cluster_nodes_seen") == 2; }, 5s));
    const auto status = b.cluster_json();
    CHECK(status.find("\"gw-a\"") != std::string::npos);
    CHECK(status.find("\"connected\":true") != std::string::npos);

    // The nodes' shares of the carrier's binds add up to 4, above A's limit of 3: both nodes
    // say so, and warn.
    for (auto* n : {&a, &b}) {
        INFO(n->cluster_json());
        REQUIRE(eventually(
            [&] { return n->daemon().metric("smppgw_cluster_carrier_sessions",
                                            {{"carrier", "sim"}}) == 4; },
            5s));
        CHECK(n->daemon().metric("smppgw_cluster_carrier_sessions_limit", {{"carrier", "sim"}}) ==
              3);
        const auto carriers = boost::json::parse(n->cluster_json()).at("carriers").as_array();
        REQUIRE(carriers.size() == 1);
        const auto& sim = carriers[0].as_object();
        CHECK(sim.at("name").as_string() == "sim");
        CHECK(sim.at("sessions").as_int64() == 4);
        CHECK(sim.at("limit").as_int64() == 3);
        CHECK(sim.at("over_limit").as_bool());
        CHECK(sim.at("by_node").as_object().at("gw-a").as_int64() == 2);
        CHECK(sim.at("by_node").as_object().at("gw-b").as_int64() == 2);
        REQUIRE(eventually(
            [&] { return n->log_text().find("carrier \"sim\": the nodes' sessions add up to 4") !=
                         std::string::npos; },
            5s));
    }
    // Each node binds its own share.
    REQUIRE(eventually([&] { return a.carrier().bound_now() == 2; }, 5s));

    // An admin API opt-out on B is in force on A.
    const auto by_api = handset(72);
    const auto put = http_request(b.daemon().admin_port(), "PUT", "/v1/optouts/acme/" + by_api,
                                  admin_token, "{}");
    REQUIRE(put.status == 201);
    REQUIRE(eventually([&] { return a.has_optout(by_api); }, 5s, 2ms));

    // B is down while A takes another STOP; when B comes back it has it before it serves.
    b.kill_hard();
    const auto while_down = handset(73);
    REQUIRE(a.stop_from(while_down));
    b.restart();
    CHECK(b.has_optout(while_down));
    test_esme esme_b2(b.smpp_port());
    bind_ok(esme_b2, smpp::bind_type::transceiver);
    CHECK(submit_status(esme_b2, while_down, "Deals today!") == status_opted_out);
    CHECK(submit_status(esme_b2, stopper, "Deals today!") == status_opted_out);
}

TEST_CASE("kill -9 of one nats-server: STOPs are still acknowledged and shared", "[cluster]") {
    nats_cluster nats;
    cluster_node a(nats, "gw-a", 21);
    cluster_node b(nats, "gw-b", 22);
    a.start();
    b.start();
    REQUIRE(a.stop_from(handset(80)));
    REQUIRE(eventually([&] { return b.has_optout(handset(80)); }, 5s, 2ms));

    nats.kill_hard(0);
    test_esme esme_b(b.smpp_port());
    bind_ok(esme_b, smpp::bind_type::transceiver);
    for (unsigned i = 81; i < 91; ++i) {
        REQUIRE(a.stop_from(handset(i)));
    }
    // Every STOP reaches B (a client of the dead server reconnects to another; the buckets
    // keep a quorum of two), none is lost.
    for (unsigned i = 81; i < 91; ++i) {
        INFO("number " << handset(i));
        INFO("A: " << a.cluster_json());
        INFO("B: " << b.cluster_json());
        REQUIRE(eventually([&] { return b.has_optout(handset(i)); }, 15s, 10ms));
        CHECK(submit_status(esme_b, handset(i), "Deals today!") == status_opted_out);
    }
    // Both nodes end up connected and ready.
    CHECK(eventually([&] {
        return a.daemon().metric("smppgw_cluster_state", {{"state", "ready"}}) == 1 &&
               b.daemon().metric("smppgw_cluster_state", {{"state", "ready"}}) == 1;
    }, 15s, 50ms));
    // The killed server comes back and the cluster goes on with it: a STOP after its return is
    // acknowledged and shared. (Its replicas of idle durable consumers: nats_cluster.hpp.)
    nats.start(0);
    CHECK(nats.wait_serving(0));
    REQUIRE(a.stop_from(handset(91)));
    CHECK(eventually([&] { return b.has_optout(handset(91)); }, 5s, 2ms));
}

TEST_CASE("NATS down: a node serves degraded, keeps its STOPs and publishes them on return",
          "[cluster]") {
    nats_cluster nats;
    cluster_node a(nats, "gw-a", 31);
    cluster_node b(nats, "gw-b", 32);
    a.start();
    b.start();
    REQUIRE(a.stop_from(handset(90)));
    REQUIRE(eventually([&] { return b.has_optout(handset(90)); }, 5s, 2ms));

    for (std::size_t i = 0; i < nats_cluster::size; ++i) {
        nats.kill_hard(i);
    }
    REQUIRE(eventually([&] { return a.daemon().metric("smppgw_cluster_degraded") == 1; }, 10s,
                       50ms));
    CHECK(a.daemon().metric("smppgw_cluster_nats_connected") == 0);
    CHECK(a.readyz().find("\"cluster\":\"degraded\"") != std::string::npos);
    CHECK(a.cluster_json().find("\"state\":\"degraded\"") != std::string::npos);

    // A still answers STOPs (from its durable local write) and refuses what its copy says.
    const auto stopper = handset(91);
    const auto asked = std::chrono::steady_clock::now();
    REQUIRE(a.stop_from(stopper, 10s));
    CHECK(std::chrono::steady_clock::now() - asked < 3s);
    test_esme esme_a(a.smpp_port());
    bind_ok(esme_a, smpp::bind_type::transceiver);
    CHECK(submit_status(esme_a, stopper, "Deals today!") == status_opted_out);
    CHECK(submit_status(esme_a, handset(90), "Deals today!") == status_opted_out);
    CHECK(submit_status(esme_a, handset(92), "Your code 1") == smpp::status::ESME_ROK);
    CHECK(a.daemon().metric("smppgw_cluster_pending_changes") >= 1);
    CHECK_FALSE(b.has_optout(stopper));

    // NATS comes back (same stores): A publishes the STOP it took meanwhile, B applies it.
    for (std::size_t i = 0; i < nats_cluster::size; ++i) {
        nats.start(i);
    }
    REQUIRE(eventually([&] { return b.has_optout(stopper); }, 30s, 20ms));
    CHECK(eventually([&] {
        return a.daemon().metric("smppgw_cluster_pending_changes") == 0 &&
               a.daemon().metric("smppgw_cluster_state", {{"state", "ready"}}) == 1;
    }, 15s, 50ms));
}

TEST_CASE("a node started while NATS is unreachable serves degraded after startup_timeout",
          "[cluster]") {
    nats_cluster nats;
    for (std::size_t i = 0; i < nats_cluster::size; ++i) {
        nats.kill_hard(i);
    }
    cluster_node a(nats, "gw-a", 51, "startup_timeout = \"1s\"");
    a.start();
    CHECK(a.daemon().metric("smppgw_cluster_degraded") == 1);
    CHECK(a.log_text().find("serving DEGRADED") != std::string::npos);
    const auto stopper = handset(95);
    REQUIRE(a.stop_from(stopper, 10s));
    test_esme esme_a(a.smpp_port());
    bind_ok(esme_a, smpp::bind_type::transceiver);
    CHECK(submit_status(esme_a, stopper, "Deals today!") == status_opted_out);

    // NATS appears: the node creates the buckets, publishes its STOP and becomes ready; a
    // second node started now learns of the STOP before it serves.
    for (std::size_t i = 0; i < nats_cluster::size; ++i) {
        nats.start(i);
    }
    REQUIRE(eventually([&] {
        return a.daemon().metric("smppgw_cluster_pending_changes") == 0 &&
               a.daemon().metric("smppgw_cluster_state", {{"state", "ready"}}) == 1;
    }, 30s, 50ms));
    cluster_node b(nats, "gw-b", 52);
    b.start();
    CHECK(b.has_optout(stopper));
}

TEST_CASE("frequency caps count the sends of every node, and a failed send's place comes back",
          "[cluster][frequency]") {
    nats_cluster nats;
    cluster_node a(nats, "gw-a", 61, two_per_day);
    cluster_node b(nats, "gw-b", 62, two_per_day);
    // A's carrier refuses for good what is marked to fail (invalid destination).
    a.carrier().set_policy([](const carrier_submit& s) {
        return submit_action{.status = s.text.find("#fail") != std::string::npos
                                           ? smpp::status::ESME_RINVDSTADR
                                           : smpp::status::ESME_ROK};
    });
    a.start();
    b.start();
    test_esme esme_a(a.smpp_port());
    bind_ok(esme_a, smpp::bind_type::transceiver);
    test_esme esme_b(b.smpp_port());
    bind_ok(esme_b, smpp::bind_type::transceiver);
    const auto remote_on = [](cluster_node& n) {
        return n.daemon().metric("smppgw_cluster_remote_sends");
    };
    const auto received_on = [](cluster_node& n) {
        return n.daemon().metric("smppgw_cluster_sends_received_total");
    };
    const auto number = handset(600);
    const auto other = handset(601);
    for (const auto& n : {number, other}) {
        // Consent given through A is in force on B too (the consents bucket).
        const auto put = http_request(a.daemon().admin_port(), "PUT",
                                      "/v1/consents/acme/" + n + "/promotional", admin_token,
                                      R"({"type": "express_written", "proof": "web form v3",
                                          "granted": "2024-05-01T12:00:00Z"})");
        REQUIRE(put.status == 200);
        REQUIRE(eventually([&] {
            return http_get(b.daemon().admin_port(), "/v1/consents/acme/" + n + "/promotional",
                            admin_token)
                       .status == 200;
        }, 5s, 2ms));
    }

    // Alternately through A and B, each waiting until the other node holds the previous send:
    // the third is deferred wherever it arrives.
    CHECK(promo_state(a, esme_a, number, "Acme deals #fq-0001") != "deferred");
    REQUIRE(eventually([&] { return remote_on(b) == 1; }, 5s, 2ms));
    CHECK(promo_state(b, esme_b, number, "Acme deals #fq-0002") != "deferred");
    REQUIRE(eventually([&] { return remote_on(a) == 1; }, 5s, 2ms));
    CHECK(promo_state(a, esme_a, number, "Acme deals #fq-0003") == "deferred");
    CHECK(promo_state(b, esme_b, number, "Acme deals #fq-0004") == "deferred");
    for (auto* n : {&a, &b}) {
        CHECK(n->daemon().metric("smppgw_policy_decisions_total",
                                 {{"check", "frequency"}, {"verdict", "defer"}}) == 1);
        CHECK(n->daemon().metric("smppgw_cluster_sends_published_total") >= 1);
        CHECK(n->daemon().metric("smppgw_cluster_sends_dropped_total", {{"where", "queue"}}) == 0);
    }
    CHECK(b.cluster_json().find("\"remote_sends\":1") != std::string::npos);

    // A message A's carrier refuses for good gives its place back on B as well: B counted it
    // (+1) and then the give-back (-1), after which two more go through B before the cap holds.
    const auto before = received_on(b);
    const auto failed = esme_a.call(promo(other, "Acme deals #fail #fq-0005"));
    REQUIRE(failed.status() == smpp::status::ESME_ROK);
    REQUIRE(eventually([&] { return message_state(a, failed.message_id()) == "failed"; }, 10s,
                       10ms));
    REQUIRE(eventually([&] { return received_on(b) >= before + 2; }, 5s, 2ms));
    CHECK(remote_on(b) == 1);  // A's first send to `number` only
    CHECK(promo_state(b, esme_b, other, "Acme deals #fq-0006") != "deferred");
    CHECK(promo_state(b, esme_b, other, "Acme deals #fq-0007") != "deferred");
    REQUIRE(eventually([&] { return remote_on(a) == 3; }, 5s, 2ms));
    CHECK(promo_state(a, esme_a, other, "Acme deals #fq-0008") == "deferred");

    // A restarted node reads the other's counts again from the stream before it serves.
    b.restart();
    CHECK(remote_on(b) == 1);
    test_esme esme_b2(b.smpp_port());
    bind_ok(esme_b2, smpp::bind_type::transceiver);
    CHECK(promo_state(b, esme_b2, number, "Acme deals #fq-0009") == "deferred");
}

TEST_CASE("a give-back queued while NATS was away outlives kill -9 of its node",
          "[cluster][frequency]") {
    nats_cluster nats;
    cluster_node a(nats, "gw-a", 71, two_per_day);
    cluster_node b(nats, "gw-b", 72, two_per_day);
    // A's carrier keeps the submit unanswered until the test fails it.
    a.carrier().set_policy(
        [](const carrier_submit&) { return submit_action{.what = submit_action::kind::hold}; });
    a.start();
    b.start();
    const auto number = handset(610);
    const auto put = http_request(a.daemon().admin_port(), "PUT",
                                  "/v1/consents/acme/" + number + "/promotional", admin_token,
                                  R"({"type": "express_written", "proof": "web form v3",
                                      "granted": "2024-05-01T12:00:00Z"})");
    REQUIRE(put.status == 200);
    test_esme esme_a(a.smpp_port());
    bind_ok(esme_a, smpp::bind_type::transceiver);
    const auto r = esme_a.call(promo(number, "Acme deals #fq-0101"));
    REQUIRE(r.status() == smpp::status::ESME_ROK);
    REQUIRE(eventually([&] { return b.daemon().metric("smppgw_cluster_remote_sends") == 1; }, 5s,
                       2ms));

    // NATS goes; the carrier refuses the message for good, so A gives its count back, but can
    // only queue the -1; then A dies before NATS returns.
    for (std::size_t i = 0; i < nats_cluster::size; ++i) {
        nats.kill_hard(i);
    }
    REQUIRE(eventually([&] { return a.daemon().metric("smppgw_cluster_nats_connected") == 0; },
                       10s, 20ms));
    a.carrier().release_held(smpp::status::ESME_RINVDSTADR);
    REQUIRE(eventually([&] { return message_state(a, r.message_id()) == "failed"; }, 10s, 10ms));
    REQUIRE(eventually([&] { return a.daemon().metric("smppgw_cluster_sends_queued") >= 1; }, 5s,
                       10ms));
    a.kill_hard();
    for (std::size_t i = 0; i < nats_cluster::size; ++i) {
        nats.start(i);
    }
    // Restarted, A finds its count still in the stream though its store gave it back, and
    // gives it back again: B stops counting it.
    a.restart();
    INFO("A: " << a.cluster_json());
    INFO("B: " << b.cluster_json());
    REQUIRE(eventually([&] { return b.daemon().metric("smppgw_cluster_remote_sends") == 0; }, 30s,
                       20ms));
    CHECK(a.log_text().find("giving them back again") != std::string::npos);
}

TEST_CASE("behind HAProxy, kill -9 of the node a client is bound to: it rebinds on another "
          "node, what the killed node accepted is sent after its restart, and a node that is "
          "not ready loses its binds",
          "[cluster][haproxy]") {
    const auto haproxy = installed_binary("haproxy");
    if (!haproxy) {
        WARN("haproxy is not installed: skipped (apt-get install haproxy)");
        return;
    }
    nats_cluster nats;
    three_nodes nodes(nats, 81, {}, true);
    const auto all = nodes.all();
    const std::array<std::string, 3> names{"gw-a", "gw-b", "gw-c"};
    // Every carrier is bound (the nodes are ready) but answers no submit until told: whatever
    // the node HAProxy picks accepts stays unsent there. (SMPPGW_KEEP_TEST_DIRS=1 keeps
    // HAProxy's config and log, with each connection and health-check transition.)
    const auto hold = [](const carrier_submit&) {
        return submit_action{.what = submit_action::kind::hold};
    };
    const auto answer = [](const carrier_submit&) { return submit_action{}; };
    for (auto* n : all) {
        n->carrier().set_policy(hold);
    }
    nodes.start();
    std::vector<haproxy_backend> backends;
    for (std::size_t i = 0; i < all.size(); ++i) {
        backends.push_back({names[i], all[i]->smpp_port(), all[i]->daemon().admin_port()});
    }
    haproxy_front front(*haproxy, backends);
    REQUIRE(eventually([&] {
        return std::all_of(names.begin(), names.end(),
                           [&](const auto& name) { return front.server_status(name) == "UP"; });
    }, 10s));
    // The node the client's one bind is on, once there is exactly one (`down`: a node not to
    // ask, its daemon killed; 3: none).
    const auto bound_node = [&](std::size_t down = 3) -> std::size_t {
        std::size_t at = all.size();
        REQUIRE(eventually([&] {
            std::size_t binds = 0;
            for (std::size_t i = 0; i < all.size(); ++i) {
                const auto here = i == down ? 0 : binds_on(*all[i]);
                binds += here;
                at = here == 1 ? i : at;
            }
            return binds == 1;
        }, 5s));
        return at;
    };

    test_esme esme(front.port());
    REQUIRE(bind_through_front(esme));
    const auto landed_at = bound_node();
    auto& landed = *all[landed_at];
    INFO("the client landed on " << names[landed_at]);
    // HAProxy connects from 127.0.0.2; its PROXY v2 header says the client is 127.0.0.1, and
    // that is the address the node checked and lists.
    const auto binds = http_get(landed.daemon().admin_port(), "/v1/binds", admin_token).body;
    INFO(binds);
    CHECK(binds.find("\"ip\":\"127.0.0.1\"") != std::string::npos);
    CHECK(binds.find("127.0.0.2") == std::string::npos);

    // Acknowledged (journaled) by the node, handed to its carrier, never answered there.
    constexpr unsigned n = 5;
    const auto before = tokened_texts("ha", 2 * n);
    const std::vector<std::string> first(before.begin(), before.begin() + n);
    const std::vector<std::string> second(before.begin() + n, before.end());
    std::set<std::string> ids;
    for (const auto& s : submit_all(esme, first)) {
        REQUIRE(s.reply.status() == smpp::status::ESME_ROK);
        ids.insert(s.reply.message_id());
    }
    CHECK(ids.size() == n);
    REQUIRE(landed.carrier().wait([&](auto v) { return v.submits().size() == n; }));
    CHECK(carrier_accepted_tokens(landed.carrier().submits()).empty());
    for (const auto& id : ids) {
        CHECK(message_state(landed, id) == "accepted");
    }

    // kill -9: HAProxy loses its server side and closes the client's; its checks of /readyz
    // take the node out of the rotation.
    for (std::size_t i = 0; i < all.size(); ++i) {
        if (i != landed_at) {
            all[i]->carrier().set_policy(answer);
        }
    }
    landed.kill_hard();
    REQUIRE(esme.wait_closed(10s));
    REQUIRE(eventually([&] { return front.server_status(names[landed_at]).starts_with("DOWN"); },
                       10s));
    for (std::size_t i = 0; i < all.size(); ++i) {
        if (i != landed_at) {
            CHECK(front.server_status(names[i]) == "UP");
        }
    }

    // The same client binds again through HAProxy, lands on one of the two survivors, and what
    // it submits now is accepted there and reaches that survivor's carrier.
    REQUIRE(bind_through_front(esme));
    const auto survivor_at = bound_node(landed_at);
    REQUIRE(survivor_at != landed_at);
    auto& survivor = *all[survivor_at];
    INFO("it rebound on " << names[survivor_at]);
    for (const auto& s : submit_all(esme, second, n)) {
        REQUIRE(s.reply.status() == smpp::status::ESME_ROK);
        CHECK_FALSE(ids.contains(s.reply.message_id()));  // node ids differ per node_id
    }
    REQUIRE(survivor.carrier().wait([&](auto v) {
        return carrier_accepted_tokens(v.submits()).size() == n;
    }));
    for (const auto& text : second) {
        CHECK(carrier_accepted_tokens(survivor.carrier().submits()).contains(token_in(text)));
    }

    // The killed node restarts (same store) with its carrier answering: every message it had
    // acknowledged before the kill goes out from its journal, to its own carrier only.
    landed.carrier().set_policy(answer);
    landed.restart();
    REQUIRE(landed.carrier().wait([&](auto v) {
        return carrier_accepted_tokens(v.submits()).size() == n;
    }));
    const auto sent_by_landed = carrier_accepted_tokens(landed.carrier().submits());
    for (const auto& text : first) {
        INFO(text);
        CHECK(sent_by_landed.contains(token_in(text)));
        for (std::size_t i = 0; i < all.size(); ++i) {
            if (i != landed_at) {
                CHECK_FALSE(
                    carrier_accepted_tokens(all[i]->carrier().submits()).contains(token_in(text)));
            }
        }
    }
    for (const auto& id : ids) {
        CHECK(eventually([&] { return message_state(landed, id) != "accepted"; }, 5s));
    }
    // Back in the rotation once its /readyz says so.
    REQUIRE(eventually([&] { return front.server_status(names[landed_at]) == "UP"; }, 10s));

    // A node that is alive but stops being ready (its only carrier gone: /readyz 503) is marked
    // down, and on-marked-down shutdown-sessions closes the client's bind there (smppgw itself
    // keeps it open), so the client binds again on a node that can send.
    survivor.carrier().stop_listening();
    REQUIRE(eventually([&] { return front.server_status(names[survivor_at]).starts_with("DOWN"); },
                       10s));
    REQUIRE(esme.wait_closed(10s));
    // HAProxy's tcplog line for that session ends in termination state "D": killed because its
    // server was marked down.
    const std::regex killed_when_down("smppgw_nodes/" + names[survivor_at] + R"( \S+ \d+ D)");
    CHECK(eventually([&] { return std::regex_search(front.log_text(), killed_when_down); }, 5s));
    REQUIRE(bind_through_front(esme));
    const auto next_at = bound_node();
    CHECK(next_at != survivor_at);
    auto& next = *all[next_at];
    const auto moved = "Your code " + token("ha", 2 * n) + " expires soon";
    CHECK(submit_status(esme, handset(2 * n), moved) == smpp::status::ESME_ROK);
    CHECK(next.carrier().wait([&](auto v) {
        return carrier_accepted_tokens(v.submits()).contains(token_in(moved));
    }));
}

TEST_CASE("receipts and MOs reach the account's receiver on another node; bound nowhere, they "
          "wait in the cluster, outlive kill -9 of the node that took them, and go to the "
          "node the account binds to next",
          "[cluster]") {
    nats_cluster nats;
    three_nodes nodes(nats, 91);
    nodes.start();
    auto& a = nodes.a;
    auto& b = nodes.b;
    auto& c = nodes.c;

    // The account submits through A on a transmitter (it cannot receive there) and receives on
    // B: A's carrier answers with receipts, and an MO arrives on A's carrier bind.
    test_esme sender(a.smpp_port());
    bind_ok(sender, smpp::bind_type::transmitter);
    test_esme receiver_b(b.smpp_port());
    bind_ok(receiver_b, smpp::bind_type::receiver);
    require_serving_demo(b);

    constexpr unsigned n = 5;
    std::set<std::string> ids;
    for (const auto& s : submit_all(sender, tokened_texts("xr", n))) {
        REQUIRE(s.reply.status() == smpp::status::ESME_ROK);
        ids.insert(s.reply.message_id());
    }
    REQUIRE(ids.size() == n);
    const auto mo_text = "Hello from " + handset(60);
    (void)a.carrier().send_mo(handset(60), account_number, mo_text);
    REQUIRE(a.carrier().wait([](auto v) {
        return std::count_if(v.deliveries().begin(), v.deliveries().end(),
                             [](const auto& d) { return d.acked; }) == n + 1;
    }));
    // B delivers A's receipts with A's message ids, once each, and the MO.
    REQUIRE(receiver_b.wait_deliveries(n + 1));
    check_receipted_once(receiver_b, ids);
    const auto deliveries_b = receiver_b.deliveries();
    CHECK(std::count_if(deliveries_b.begin(), deliveries_b.end(), [&](const smpp::pdu& d) {
              return !smpp::is_receipt(d) && text_of(d) == mo_text;
          }) == 1);
    // B settles each entry with the stream once its own journal has it, which may come just
    // after the receiver got it.
    CHECK(a.daemon().metric("smppgw_cluster_outbox_entries_total", {{"event", "handed_off"}}) ==
          n + 1);
    CHECK(eventually([&] {
        return b.daemon().metric("smppgw_cluster_outbox_entries_total",
                                 {{"event", "received"}}) == n + 1;
    }, 5s));
    // Nothing is left in A's outbox, and nothing went through C.
    CHECK(eventually([&] {
        return a.daemon().metric("smppgw_outbox_depth", {{"account", "demo"}}) == 0;
    }, 5s));
    CHECK(c.daemon().metric("smppgw_cluster_outbox_entries_total", {{"event", "received"}}) == 0);

    // The receiver leaves: what comes now waits in the stream, bound nowhere...
    REQUIRE(receiver_b.unbind());
    REQUIRE(eventually([&] {
        return b.cluster_json().find("\"served_accounts\":[]") != std::string::npos;
    }, 5s));
    std::set<std::string> later;
    for (const auto& s : submit_all(sender, tokened_texts("xl", n), n)) {
        REQUIRE(s.reply.status() == smpp::status::ESME_ROK);
        later.insert(s.reply.message_id());
    }
    REQUIRE(eventually([&] {
        return a.daemon().metric("smppgw_cluster_outbox_entries_total",
                                 {{"event", "handed_off"}}) == 2 * n + 1;
    }, 10s));
    // ...and outlives kill -9 of A, the node whose carrier delivered them.
    a.kill_hard();

    // The account binds to C: C serves it and delivers them, with A's ids.
    test_esme receiver_c(c.smpp_port());
    bind_ok(receiver_c, smpp::bind_type::receiver);
    REQUIRE(receiver_c.wait_deliveries(n));
    check_receipted_once(receiver_c, later);
    CHECK(eventually([&] {
        return c.daemon().metric("smppgw_cluster_outbox_entries_total",
                                 {{"event", "received"}}) == n;
    }, 5s));
    // The stream keeps nothing once they are taken (a work queue): B and C settled all of them.
    CHECK(eventually([&] {
        return c.daemon().metric("smppgw_outbox_depth", {{"account", "demo"}}) == 0;
    }, 5s));
}

TEST_CASE("hundreds of receipts cross to a receiver on another node in batches, each once",
          "[cluster]") {
    nats_cluster nats;
    three_nodes nodes(nats, 97);
    nodes.start();
    auto& a = nodes.a;
    auto& b = nodes.b;

    test_esme sender(a.smpp_port());
    bind_ok(sender, smpp::bind_type::transmitter);
    test_esme receiver(b.smpp_port());
    bind_ok(receiver, smpp::bind_type::receiver);
    require_serving_demo(b);

    // More than one batch holds (cluster::outbox_batch_limits::max_entries; the component
    // tests check the split), submitted in bursts the gateway's window takes.
    constexpr unsigned n = 600;
    constexpr unsigned burst = 100;
    std::set<std::string> ids;
    for (unsigned first = 0; first < n; first += burst) {
        std::vector<std::string> texts;
        for (unsigned i = first; i < first + burst; ++i) {
            texts.push_back("Your code " + token("xb", i) + " expires soon");
        }
        for (const auto& s : submit_all(sender, texts, first)) {
            REQUIRE(s.reply.status() == smpp::status::ESME_ROK);
            ids.insert(s.reply.message_id());
        }
    }
    REQUIRE(ids.size() == n);
    REQUIRE(receiver.wait_deliveries(n, 30s));
    check_receipted_once(receiver, ids);
    CHECK(a.daemon().metric("smppgw_cluster_outbox_entries_total", {{"event", "handed_off"}}) ==
          n);
    CHECK(eventually([&] {
        return b.daemon().metric("smppgw_cluster_outbox_entries_total",
                                 {{"event", "received"}}) == n;
    }, 5s));
    CHECK(b.daemon().metric("smppgw_cluster_outbox_unreadable_total") == 0);
    CHECK(eventually([&] {
        return a.daemon().metric("smppgw_outbox_depth", {{"account", "demo"}}) == 0 &&
               b.daemon().metric("smppgw_outbox_depth", {{"account", "demo"}}) == 0;
    }, 10s));
}

TEST_CASE("a receipt for a message accepted on A that the carrier delivers on B's bind reaches "
          "the account's receiver on C with A's message id",
          "[cluster]") {
    nats_cluster nats;
    routed_receipts f(nats, 94);
    auto& a = f.nodes.a;
    auto& b = f.nodes.b;
    auto& receiver = *f.receiver;
    constexpr unsigned n = 5;
    const auto ids = f.submit("rb", n);
    // Every carrier id A got back is delivered as a receipt on B's carrier bind: B does not know
    // them, finds in the cluster that A submitted them, and forwards the receipts to A; the
    // carrier hears ESME_ROK from B once the cluster holds each one.
    f.receipts_on_b(n);
    // A matches them (its messages are delivered) and the account's receipts, with A's ids,
    // reach its receiver on C: once each.
    REQUIRE(receiver.wait_deliveries(n, 15s));
    check_receipted_once(receiver, ids);
    for (const auto& id : ids) {
        CHECK(eventually([&] { return message_state(a, id) == "delivered"; }, 5s));
    }
    CHECK(eventually([&] {
        return a.daemon().metric("smppgw_cluster_receipt_routes_total",
                                 {{"result", "written"}}) == n;
    }, 5s));
    CHECK(b.daemon().metric("smppgw_cluster_receipts_forwarded_total", {{"direction", "out"}}) ==
          n);
    CHECK(a.daemon().metric("smppgw_cluster_receipts_forwarded_total", {{"direction", "in"}}) ==
          n);
    // None of them was kept as unmatched on B.
    CHECK(b.daemon().metric("smppgw_receipt_match_failures_total", {{"reason", "unknown_id"}}) ==
          0);
}

TEST_CASE("a receipt B kept as unmatched while NATS was down goes to A, which submitted the "
          "message, as soon as NATS is back, and reaches the receiver on C",
          "[cluster]") {
    nats_cluster nats;
    routed_receipts f(nats, 87);
    auto& a = f.nodes.a;
    auto& b = f.nodes.b;
    auto& receiver = *f.receiver;
    constexpr unsigned n = 3;
    const auto ids = f.submit("rk", n);
    // A's routes are in the cluster before it goes down.
    REQUIRE(eventually([&] {
        return a.daemon().metric("smppgw_cluster_receipt_routes_total",
                                 {{"result", "written"}}) == n;
    }, 5s));

    for (std::size_t i = 0; i < nats_cluster::size; ++i) {
        nats.kill_hard(i);
    }
    REQUIRE(eventually([&] { return b.daemon().metric("smppgw_cluster_degraded") == 1; }, 10s,
                       50ms));
    // The carrier delivers the receipts on B's bind. B cannot ask anyone: after its park
    // timeout it keeps them durably as unmatched and answers the carrier ESME_ROK.
    f.receipts_on_b(n);
    REQUIRE(eventually([&] { return b.daemon().metric("smppgw_receipts_unmatched") == n; }, 5s));
    CHECK(receiver.deliveries().empty());

    // NATS comes back (same stores): B asks about what it kept at once, not a minute later,
    // finds that A submitted them and forwards them; A applies them and the account's
    // receipts reach C with A's ids, once each.
    for (std::size_t i = 0; i < nats_cluster::size; ++i) {
        nats.start(i);
    }
    REQUIRE(receiver.wait_deliveries(n, 40s));
    check_receipted_once(receiver, ids);
    for (const auto& id : ids) {
        CHECK(eventually([&] { return message_state(a, id) == "delivered"; }, 5s));
    }
    CHECK(eventually([&] { return b.daemon().metric("smppgw_receipts_unmatched") == 0; }, 5s));
    CHECK(b.daemon().metric("smppgw_cluster_receipts_forwarded_total", {{"direction", "out"}}) ==
          n);
    CHECK(b.log_text().find("kept receipt for id") != std::string::npos);
}

TEST_CASE("every smppgw_cluster_* series the dashboard and alerts query is on a node's /metrics",
          "[cluster][metrics]") {
    // The single-node check (tests/gateway/daemon_metrics_tests.cpp) cannot see these: only a
    // node with [cluster] exports them. A renamed family fails here rather than leaving a
    // dashboard panel reading "no data".
    std::set<std::string> names;
    const std::regex name(R"(smppgw_cluster_[a-z0-9_]+)");
    for (const auto* file : {"etc/grafana/smppgw.json", "etc/grafana/smppgw-alerts.yml"}) {
        const auto text = read_file(std::filesystem::path(SMPPGW_SOURCE_DIR) / file);
        std::size_t in_file = 0;
        for (auto it = std::sregex_iterator(text.begin(), text.end(), name);
             it != std::sregex_iterator(); ++it) {
            names.insert(it->str());
            ++in_file;
        }
        INFO(file);
        CHECK(in_file >= 3);
    }
    CHECK(names.size() >= 20);
    nats_cluster nats;
    cluster_node a(nats, "gw-a", 91);
    a.start();
    const auto metrics = a.daemon().metrics();
    for (const auto& n : names) {
        INFO(n);
        CHECK(has_series(metrics, n));
    }
}

// Not part of the suite ([.]): `cluster_tests "[.propagation]"` prints the figure that
// BENCHMARKS.md quotes: STOP acknowledged to the carrier on A -> visible through B's admin API.
TEST_CASE("opt-out propagation A -> B, p50/p99", "[.propagation]") {
    nats_cluster nats;
    cluster_node a(nats, "gw-a", 41);
    cluster_node b(nats, "gw-b", 42);
    a.start();
    b.start();
    constexpr unsigned n = 1000;
    std::vector<double> ms;
    ms.reserve(n);
    for (unsigned i = 0; i < n; ++i) {
        const auto number = fmt::format("1212556{:04}", i);
        REQUIRE(a.stop_from(number));
        const auto acked = std::chrono::steady_clock::now();
        REQUIRE(eventually([&] { return b.has_optout(number); }, 5s, 0ms));
        ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                               acked)
                         .count());
    }
    std::printf("opt-out propagation over %u STOPs: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", n,
                quantile(ms, 0.5), quantile(ms, 0.99), *std::max_element(ms.begin(), ms.end()));
    const auto m = b.daemon().metrics();
    std::printf("B's smppgw_cluster_propagation_seconds: count %.0f sum %.3f s\n",
                metric_value(m, "smppgw_cluster_propagation_seconds_count"),
                metric_value(m, "smppgw_cluster_propagation_seconds_sum"));
    CHECK(quantile(ms, 0.99) < 1000);
}

// Not part of the suite ([.]): `cluster_tests "[.propagation]"` also prints how long a send
// counted on A takes to count on B (submit_sm_resp from A -> B's remote_sends shows it), and
// B's smppgw_cluster_send_propagation_seconds. Transactional messages are capped here so that
// no consent is needed per number.
TEST_CASE("frequency count propagation A -> B, p50/p99", "[.propagation]") {
    nats_cluster nats;
    const std::string capped = "\n[policy.frequency]\ntransactional = true\n"
                               "[[policy.frequency.caps]]\nregion = \"*\"\nmax_messages = 5\n"
                               "window = \"24h\"\n";
    cluster_node a(nats, "gw-a", 43, capped);
    cluster_node b(nats, "gw-b", 44, capped);
    a.start();
    b.start();
    test_esme esme_a(a.smpp_port());
    bind_ok(esme_a, smpp::bind_type::transceiver);
    constexpr unsigned n = 300;
    std::vector<double> ms;
    ms.reserve(n);
    for (unsigned i = 0; i < n; ++i) {
        REQUIRE(submit_status(esme_a, fmt::format("1212557{:04}", i), "Your code 1") ==
                smpp::status::ESME_ROK);
        const auto answered = std::chrono::steady_clock::now();
        REQUIRE(eventually(
            [&] { return b.daemon().metric("smppgw_cluster_remote_sends") >= i + 1; }, 5s, 0ms));
        ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                               answered)
                         .count());
    }
    std::printf("send-count propagation over %u sends: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
                n, quantile(ms, 0.5), quantile(ms, 0.99), *std::max_element(ms.begin(), ms.end()));
    const auto m = b.daemon().metrics();
    std::printf("B's smppgw_cluster_send_propagation_seconds: count %.0f sum %.3f s\n",
                metric_value(m, "smppgw_cluster_send_propagation_seconds_count"),
                metric_value(m, "smppgw_cluster_send_propagation_seconds_sum"));
    CHECK(quantile(ms, 0.99) < 1000);
}
