// The cluster component without NATS: the change values nodes exchange (every field survives
// the round trip, unreadable values are refused whole), bucket keys, the frequency-cap counts
// other nodes publish (batches, the in-memory table: window, give-backs, this node's own
// batches ignored, the merged lookup), and the [cluster] config section (absent: single node;
// present: validated with key paths).

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <random>
#include <set>
#include <string>
#include <tuple>

#include <fmt/format.h>

#include "smppgw/cluster/change.hpp"
#include "smppgw/cluster/names.hpp"
#include "smppgw/cluster/outbox_batch.hpp"
#include "smppgw/cluster/send_counts.hpp"
#include "smppgw/cluster/stats.hpp"
#include "config_fixture.hpp"
#include "smppgw/gateway/config.hpp"

namespace cl = smppgw::cluster;
namespace policy = smppgw::policy;
namespace store = smppgw::store;
using smppgw::gateway::config_error;

namespace {

policy::time_point at_ms(std::int64_t ms) {
    return policy::time_point{std::chrono::milliseconds{ms}};
}

const std::string& base_config = smppgw::gateway::test::config_without_server;
using smppgw::gateway::test::problems_of;

}  // namespace

TEST_CASE("an opt-out change survives encode and decode", "[cluster][change]") {
    policy::optout_record r;
    r.brand = "acme";
    r.msisdn = "12125551000";
    r.when = at_ms(1'700'000'000'123);
    r.keyword = "STOP";
    r.source = policy::record_source::mo;
    r.reference = "MO 42";
    auto c = cl::change::optout_put(r);
    c.node = "gw-a";
    c.at_us = 1'700'000'000'123'456;
    const auto back = cl::decode_change(cl::encode(c));
    REQUIRE(back);
    CHECK(back->kind == cl::change_kind::optout);
    CHECK(back->op == cl::change_op::put);
    CHECK(back->node == "gw-a");
    CHECK(back->at_us == c.at_us);
    CHECK(back->optout.brand == "acme");
    CHECK(back->optout.msisdn == "12125551000");
    CHECK(back->optout.when == r.when);
    CHECK(back->optout.keyword == "STOP");
    CHECK(back->optout.source == policy::record_source::mo);
    CHECK(back->optout.reference == "MO 42");
    CHECK(cl::encode(*back) == cl::encode(c));
}

TEST_CASE("lifts, consents and holds survive encode and decode", "[cluster][change]") {
    const auto lift = cl::change::optout_lift("acme", "12125551000", at_ms(5),
                                              policy::record_source::api, "ticket 7");
    const auto l = cl::decode_change(cl::encode(lift));
    REQUIRE(l);
    CHECK(l->op == cl::change_op::remove);
    CHECK(l->when == at_ms(5));
    CHECK(cl::encode(*l) == cl::encode(lift));

    policy::consent_record cr;
    cr.brand = "acme";
    cr.msisdn = "12125551000";
    cr.klass = policy::message_class::promotional;
    cr.status = policy::consent_status::revoked;
    cr.granted = at_ms(10);
    cr.revoked = at_ms(20);
    cr.revocation_channel = "MO";
    cr.proof = "MO 9";
    const auto consent = cl::change::consent_put(cr);
    const auto c = cl::decode_change(cl::encode(consent));
    REQUIRE(c);
    CHECK(c->kind == cl::change_kind::consent);
    CHECK(c->consent.klass == policy::message_class::promotional);
    CHECK(c->consent.status == policy::consent_status::revoked);
    CHECK(c->consent.revoked == at_ms(20));
    CHECK(cl::encode(*c) == cl::encode(consent));

    const auto release = cl::change::hold_release("acme", "12125551000", at_ms(30));
    const auto h = cl::decode_change(cl::encode(release));
    REQUIRE(h);
    CHECK(h->kind == cl::change_kind::hold);
    CHECK(h->op == cl::change_op::remove);
    CHECK(cl::encode(*h) == cl::encode(release));
}

TEST_CASE("values that are not a change are refused whole", "[cluster][change]") {
    CHECK_FALSE(cl::decode_change(""));
    CHECK_FALSE(cl::decode_change("not json"));
    CHECK_FALSE(cl::decode_change("[]"));
    CHECK_FALSE(cl::decode_change(R"({"v":1,"kind":"optout"})"));
    auto good = cl::encode(cl::change::optout_lift("acme", "1212", at_ms(1),
                                                   policy::record_source::api, "r"));
    REQUIRE(cl::decode_change(good));
    auto bad_kind = good;
    bad_kind.replace(bad_kind.find("\"optout\""), 8, "\"nonsense\"");
    CHECK_FALSE(cl::decode_change(bad_kind));
}

TEST_CASE("bucket keys: one token per part, reversible, brand '*' included", "[cluster][names]") {
    for (const std::string raw : {"acme", "*", "", "a.b c/é", "x=y"}) {
        const auto token = cl::encode_token(raw);
        INFO(raw << " -> " << token);
        CHECK(token.find('.') == std::string::npos);
        CHECK(token.find('*') == std::string::npos);
        CHECK(token.find(' ') == std::string::npos);
        const auto back = cl::decode_token(token);
        REQUIRE(back);
        CHECK(*back == raw);
    }
    const auto all = cl::change::optout_lift("*", "12125551000", at_ms(1),
                                             policy::record_source::mo, "m");
    const auto parts = cl::split_key(cl::key_of(all));
    REQUIRE(parts);
    REQUIRE(parts->size() == 2);
    CHECK((*parts)[0] == "*");
    CHECK(cl::valid_node_name("gw-a_1"));
    CHECK_FALSE(cl::valid_node_name("gw.a"));
    CHECK_FALSE(cl::valid_node_name(""));
}

// ---- frequency-cap counts across nodes ---------------------------------------------------------

namespace {

using namespace std::chrono_literals;

std::string batch_of(std::initializer_list<cl::send_entry> entries) {
    std::string b;
    for (const auto& e : entries) {
        cl::append_send(b, e, 0);
    }
    cl::stamp_batch(b, 1'700'000'000'000'000);
    return b;
}

// This node's own counts, as the store would answer them.
class local_sends final : public policy::frequency_lookup {
public:
    std::vector<policy::time_point> times;
    policy::send_history recent_sends(std::string_view, std::string_view,
                                      policy::time_point since) const override {
        policy::send_history h;
        for (const auto t : times) {
            if (t >= since) {
                h.sends[h.count++] = t;
            }
        }
        return h;
    }
};

}  // namespace

TEST_CASE("a batch of send counts survives encode and decode; damage is refused whole",
          "[cluster][frequency]") {
    const auto b = batch_of({{"acme", "13055551001", at_ms(1'700'000'000'001), 1},
                             {"acme", "13055551001", at_ms(1'700'000'000'001), -1},
                             {"", "1", at_ms(-5), 1}});
    const auto back = cl::decode_sends(b);
    REQUIRE(back);
    CHECK(back->published_us == 1'700'000'000'000'000);
    REQUIRE(back->entries.size() == 3);
    CHECK(back->entries[0].brand == "acme");
    CHECK(back->entries[0].msisdn == "13055551001");
    CHECK(back->entries[0].when == at_ms(1'700'000'000'001));
    CHECK(back->entries[0].delta == 1);
    CHECK(back->entries[1].delta == -1);
    CHECK(back->entries[2].brand.empty());
    CHECK(back->entries[2].when == at_ms(-5));
    for (std::size_t cut = 0; cut < b.size(); ++cut) {
        INFO("cut at " << cut);
        // A batch cut short decodes only at an entry boundary (fewer entries, never garbage).
        const auto part = cl::decode_sends(std::string_view(b).substr(0, cut));
        if (part) {
            CHECK(part->entries.size() < 3);
        }
    }
    auto wrong_op = b;
    wrong_op[9] = 7;
    CHECK_FALSE(cl::decode_sends(wrong_op));
    CHECK_FALSE(cl::decode_sends(std::string("\x02") + b.substr(1)));
    const auto header_only = cl::decode_sends(std::string_view(b).substr(0, 9));
    REQUIRE(header_only);
    CHECK(header_only->entries.empty());
    CHECK_FALSE(cl::decode_sends(""));
}

TEST_CASE("a batch of outbox entries survives encode and decode; damage is refused whole",
          "[cluster][outbox]") {
    const std::string big(70'000, 'x');  // a message_payload-sized PDU: a three-byte varint
    const std::vector<cl::outbox_entry> entries{{store::outbox_kind::dlr, "receipt-1"},
                                                {store::outbox_kind::mo, ""},
                                                {store::outbox_kind::mo, big}};
    const auto body = cl::encode_outbox_batch(entries);
    std::size_t expected = 1;
    for (const auto& e : entries) {
        expected += cl::encoded_size(e);
    }
    CHECK(body.size() == expected);
    const auto back = cl::decode_outbox_batch(body, 3);
    REQUIRE(back);
    REQUIRE(back->size() == 3);
    CHECK((*back)[0].kind == store::outbox_kind::dlr);
    CHECK((*back)[0].bytes == "receipt-1");
    CHECK((*back)[1].kind == store::outbox_kind::mo);
    CHECK((*back)[1].bytes.empty());
    CHECK((*back)[2].bytes == big);

    // The count in the header must match: a batch cut at an entry boundary is not taken.
    CHECK_FALSE(cl::decode_outbox_batch(body, 2));
    CHECK_FALSE(cl::decode_outbox_batch(body, 4));
    for (std::size_t cut = 0; cut < body.size(); cut += (cut < 64 ? 1 : 997)) {
        INFO("cut at " << cut);
        CHECK_FALSE(cl::decode_outbox_batch(std::string_view(body).substr(0, cut), 3));
    }
    auto wrong_kind = body;
    wrong_kind[1] = 9;
    CHECK_FALSE(cl::decode_outbox_batch(wrong_kind, 3));
    CHECK_FALSE(cl::decode_outbox_batch(std::string("\x02") + body.substr(1), 3));
    CHECK_FALSE(cl::decode_outbox_batch(body + "x", 3));  // trailing bytes
    const auto none = cl::decode_outbox_batch(cl::encode_outbox_batch({}), 0);
    REQUIRE(none);
    CHECK(none->empty());
    CHECK_FALSE(cl::decode_outbox_batch("", 0));
}

TEST_CASE("other nodes' sends count within the window; this node's own batches do not",
          "[cluster][frequency]") {
    const auto t0 = at_ms(1'800'000'000'000);
    cl::remote_sends remote("gw-a", 24h, 1000);
    const std::string number = "13055551001";
    const std::vector<cl::send_entry> from_b{{"acme", number, t0, 1},
                                             {"acme", number, t0 + 1h, 1},
                                             {"globex", number, t0 + 1h, 1}};
    auto r = remote.apply("gw-b", from_b, t0 + 1h);
    CHECK(r.counted == 3);
    CHECK(remote.size() == 3);
    // gw-a's own batch comes back through the stream: its sends are in its store already.
    r = remote.apply("gw-a", from_b, t0 + 1h);
    CHECK(r.counted == 0);
    CHECK(r.ignored == 3);
    CHECK(remote.size() == 3);

    policy::send_history h;
    remote.add_to("acme", number, t0 - 1h, h);
    REQUIRE(h.count == 2);
    CHECK(h.sends[0] == t0);
    CHECK(h.sends[1] == t0 + 1h);
    h = {};
    remote.add_to("acme", number, t0 + 1min, h);  // a shorter cap window
    CHECK(h.count == 1);
    h = {};
    remote.add_to("acme", "13055559999", t0 - 1h, h);
    CHECK(h.count == 0);

    // The window moves on: the first send leaves it, then the others.
    CHECK(remote.expire(t0 + 24h) == 0);
    CHECK(remote.expire(t0 + 24h + 1ms) == 1);
    h = {};
    remote.add_to("acme", number, t0 - 1h, h);
    CHECK(h.count == 1);
    CHECK(remote.expire(t0 + 26h) == 2);
    CHECK(remote.size() == 0);
    // A replay of the stream's older part (a restart) holds nothing outside the window.
    r = remote.apply("gw-b", from_b, t0 + 25h + 1ms);
    CHECK(r.counted == 0);
    CHECK(r.ignored == 3);
    CHECK(remote.size() == 0);
}

TEST_CASE("a give-back takes back only that node's send; unknown ones change nothing",
          "[cluster][frequency]") {
    const auto t0 = at_ms(1'800'000'000'000);
    cl::remote_sends remote("gw-a", 24h, 1000);
    const std::string number = "13055551002";
    const std::vector<cl::send_entry> counted{{"acme", number, t0, 1}};
    const std::vector<cl::send_entry> given_back{{"acme", number, t0, -1}};
    REQUIRE(remote.apply("gw-b", counted, t0).counted == 1);
    REQUIRE(remote.apply("gw-c", counted, t0).counted == 1);  // same time, another node
    auto r = remote.apply("gw-c", given_back, t0);
    CHECK(r.released == 1);
    CHECK(remote.size() == 1);
    r = remote.apply("gw-c", given_back, t0);  // nothing of gw-c's left
    CHECK(r.released == 0);
    CHECK(r.ignored == 1);
    CHECK(remote.apply("gw-b", std::vector<cl::send_entry>{{"acme", "1", t0, -1}}, t0).ignored ==
          1);
    policy::send_history h;
    remote.add_to("acme", number, t0 - 1h, h);
    CHECK(h.count == 1);
    REQUIRE(remote.apply("gw-b", given_back, t0).released == 1);
    CHECK(remote.size() == 0);
    // Expiry after a give-back finds nothing to take and leaves the table empty.
    CHECK(remote.expire(t0 + 25h) == 0);
    CHECK(remote.size() == 0);
    REQUIRE(remote.apply("gw-b", counted, t0 + 1h).counted == 1);
    CHECK(remote.size() == 1);
}

TEST_CASE("a full table drops new remote sends (counted) rather than grow",
          "[cluster][frequency]") {
    const auto t0 = at_ms(1'800'000'000'000);
    cl::remote_sends remote("gw-a", 24h, 2);
    const std::vector<cl::send_entry> three{{"acme", "1", t0, 1},
                                            {"acme", "2", t0, 1},
                                            {"acme", "3", t0, 1}};
    const auto r = remote.apply("gw-b", three, t0);
    CHECK(r.counted == 2);
    CHECK(r.dropped == 1);
    CHECK(remote.size() == 2);
}

TEST_CASE("remote sends against a model: random counts, give-backs and expiry over many numbers",
          "[cluster][frequency]") {
    // The table's index grows, shifts entries back on removal and reuses records; whatever the
    // order, every lookup must answer what a plain multiset of (number, time, node) answers.
    std::mt19937 rng(20261206);
    const auto window = 10min;
    cl::remote_sends remote("gw-a", window, 1'000'000);
    std::multiset<std::tuple<std::string, std::int64_t, std::string>> model;
    auto now = at_ms(1'800'000'000'000);
    const std::vector<std::string> nodes{"gw-a", "gw-b", "gw-c"};
    std::vector<std::string> numbers;
    for (int i = 0; i < 3000; ++i) {
        numbers.push_back(fmt::format("1305555{:04}", i));
    }
    for (int round = 0; round < 300; ++round) {
        now += std::chrono::milliseconds(rng() % 20'000);
        (void)remote.expire(now);
        const auto& node = nodes[rng() % nodes.size()];
        std::vector<cl::send_entry> batch;
        for (int k = 0; k < 40; ++k) {
            const auto& number = numbers[rng() % (round % 2 == 0 ? 50 : numbers.size())];
            const auto when = now - std::chrono::milliseconds(rng() % 120'000);
            batch.push_back({"acme", number, when, 1});
            if (node != "gw-a") {
                model.emplace(number, when.time_since_epoch().count(), node);
            }
        }
        // Give back some of what this node counted earlier (and one it never counted).
        for (auto it = model.begin(); it != model.end() && batch.size() < 60; ++it) {
            if (std::get<2>(*it) == node && rng() % 4 == 0) {
                batch.push_back({"acme", std::get<0>(*it),
                                 at_ms(std::get<1>(*it)), -1});
            }
        }
        batch.push_back({"acme", "1", now, -1});
        (void)remote.apply(node, batch, now);
        for (const auto& e : batch) {
            if (e.delta < 0 && e.when >= now - window) {
                const auto it = model.find({std::string(e.msisdn), e.when.time_since_epoch().count(),
                                            node});
                if (it != model.end()) {
                    model.erase(it);
                }
            }
        }
        const auto since = now - window;
        for (int q = 0; q < 60; ++q) {
            const auto& number = numbers[rng() % (q % 2 == 0 ? 50 : numbers.size())];
            std::size_t expected = 0;
            for (const auto& [n, t, who] : model) {
                expected += n == number && t >= since.time_since_epoch().count() ? 1 : 0;
            }
            policy::send_history h;
            remote.add_to("acme", number, since, h);
            INFO("round " << round << " number " << number);
            REQUIRE(h.count == std::min(expected, policy::send_history::capacity));
        }
    }
    // Everything leaves with the window.
    (void)remote.expire(now + window + 2min + 1ms);
    CHECK(remote.size() == 0);
}

TEST_CASE("the cluster's frequency lookup adds other nodes' sends to this node's",
          "[cluster][frequency]") {
    const auto t0 = at_ms(1'800'000'000'000);
    local_sends local;
    local.times = {t0, t0 + 2min};
    cl::remote_sends remote("gw-a", 24h, 1000);
    const cl::shared_frequency freq(local, remote);
    CHECK(freq.recent_sends("acme", "13055551003", t0 - 1h).count == 2);
    REQUIRE(remote.apply("gw-b",
                         std::vector<cl::send_entry>{{"acme", "13055551003", t0 + 1min, 1}},
                         t0 + 1min)
                .counted == 1);
    const auto h = freq.recent_sends("acme", "13055551003", t0 - 1h);
    REQUIRE(h.count == 3);
    CHECK(h.sends[0] == t0);
    CHECK(h.sends[1] == t0 + 1min);  // oldest first, merged by time
    CHECK(h.sends[2] == t0 + 2min);
    // At most the history's capacity, the newest kept.
    std::vector<cl::send_entry> many;
    for (int i = 0; i < 20; ++i) {
        many.push_back({"acme", "13055551003", t0 + std::chrono::hours(1 + i), 1});
    }
    (void)remote.apply("gw-b", many, t0 + 1min);
    const auto full = freq.recent_sends("acme", "13055551003", t0 - 1h);
    CHECK(full.count == policy::send_history::capacity);
    CHECK(full.sends[full.count - 1] == t0 + 20h);
}

TEST_CASE("no [cluster] table: a single node", "[cluster][config]") {
    const auto cfg = smppgw::gateway::parse_config(base_config, "/etc/smppgw/test.toml");
    CHECK_FALSE(cfg->cluster.has_value());
}

TEST_CASE("[cluster] with defaults", "[cluster][config]") {
    const auto cfg = smppgw::gateway::parse_config(
        base_config + "\n[server]\nnode_id = 5\n\n[cluster]\nnode = \"gw-a\"\n"
                      "servers = [\"nats://10.0.0.1:4222\", \"nats://10.0.0.2:4222\"]\n",
        "/etc/smppgw/test.toml");
    REQUIRE(cfg->cluster);
    const auto& c = *cfg->cluster;
    CHECK(c.node == "gw-a");
    CHECK(c.node_id == 5);
    CHECK(c.servers.size() == 2);
    CHECK(c.replicas == 3);
    CHECK(c.write_timeout == std::chrono::seconds(2));
    CHECK(c.startup_timeout == std::chrono::milliseconds(0));
    CHECK(c.names.optouts == "smppgw_optouts");
    CHECK(c.names.sends == "smppgw_sends");
    CHECK(c.max_remote_sends == 1'000'000);
    CHECK_FALSE(c.tls.enabled);
}

TEST_CASE("[cluster] problems carry their key", "[cluster][config]") {
    auto problem_key = [](const std::string& cluster) {
        const auto list = problems_of(base_config + "\n[cluster]\n" + cluster);
        INFO(cluster);
        REQUIRE(list.size() == 1);
        return list[0].key;
    };
    CHECK(problem_key("servers = [\"nats://a:4222\"]\n") == "cluster.node");
    CHECK(problem_key("node = \"gw a\"\nservers = [\"nats://a:4222\"]\n") == "cluster.node");
    CHECK(problem_key("node = \"a\"\n") == "cluster.servers");
    CHECK(problem_key("node = \"a\"\nservers = []\n") == "cluster.servers");
    CHECK(problem_key("node = \"a\"\nservers = [\"http://a\"]\n") == "cluster.servers");
    CHECK(problem_key("node = \"a\"\nservers = [\"nats://a:1\"]\nreplicas = 7\n") ==
          "cluster.replicas");
    CHECK(problem_key("node = \"a\"\nservers = [\"nats://a:1\"]\nwrite_timeout = \"1ms\"\n") ==
          "cluster.write_timeout");
    CHECK(problem_key("node = \"a\"\nservers = [\"nats://a:1\"]\nmax_remote_sends = 10\n") ==
          "cluster.max_remote_sends");
    CHECK(problem_key("node = \"a\"\nservers = [\"nats://a:1\"]\n[cluster.buckets]\n"
                      "optouts = \"bad.name\"\n") == "cluster.buckets.optouts");
    CHECK(problem_key("node = \"a\"\nservers = [\"nats://a:1\"]\n[cluster.buckets]\n"
                      "sends = \"smppgw.sends\"\n") == "cluster.buckets.sends");
    CHECK(problem_key("node = \"a\"\nservers = [\"nats://a:1\"]\n[cluster.tls]\n"
                      "certificate = \"c.pem\"\n") == "cluster.tls.certificate");
    CHECK(problem_key("node = \"a\"\nservers = [\"nats://a:1\"]\nshards = 2\n") ==
          "cluster.shards");
}

TEST_CASE("config check reports unreadable NATS credentials and TLS files", "[cluster][config]") {
    const auto cfg = smppgw::gateway::parse_config(
        base_config + "\n[cluster]\nnode = \"gw-a\"\nservers = [\"nats://127.0.0.1:4222\"]\n"
                      "credentials_file = \"/nonexistent/nats.creds\"\n[cluster.tls]\n"
                      "ca_file = \"/nonexistent/ca.pem\"\n",
        "/etc/smppgw/test.toml");
    const auto problems = smppgw::gateway::check_config_files(*cfg);
    auto reported = [&](const std::string& key) {
        return std::any_of(problems.begin(), problems.end(),
                           [&](const auto& p) { return p.key == key; });
    };
    CHECK(reported("cluster.credentials_file"));
    CHECK(reported("cluster.tls.ca_file"));
    CHECK_FALSE(reported("cluster.servers"));
}

TEST_CASE("carrier shares: a node's sessions within cluster_sessions, added up over nodes",
          "[cluster][config][carriers]") {
    const auto with = [](const std::string& lines) {
        auto text = base_config;
        text.insert(text.find("\n[[routes]]"), lines);
        return text;
    };
    const auto cfg = smppgw::gateway::parse_config(with("sessions = 2\ncluster_sessions = 6\n"),
                                                   "/etc/smppgw/test.toml");
    CHECK(cfg->carriers[0].sessions == 2);
    CHECK(cfg->carriers[0].cluster_sessions == 6);
    CHECK(smppgw::gateway::parse_config(base_config, "/etc/smppgw/test.toml")
              ->carriers[0]
              .cluster_sessions == 0);
    auto list = problems_of(with("sessions = 4\ncluster_sessions = 3\n"));
    REQUIRE(list.size() == 1);
    CHECK(list[0].key == "carriers[0].sessions");
    CHECK(list[0].message.find("exceeds cluster_sessions (3)") != std::string::npos);
    list = problems_of(with("cluster_sessions = 5000\n"));
    REQUIRE(list.size() == 1);
    CHECK(list[0].key == "carriers[0].cluster_sessions");

    // What every node computes from the heartbeats it sees.
    std::vector<cl::node_seen> nodes(3);
    nodes[0].name = "gw-a";
    nodes[0].carriers = {{"sim", 2, 4}, {"other", 1, 0}};
    nodes[1].name = "gw-b";
    nodes[1].carriers = {{"sim", 2, 0}};
    nodes[2].name = "gw-c";  // an older node: no shares in its heartbeat
    const auto sums = cl::add_up_carrier_shares(nodes);
    REQUIRE(sums.size() == 2);
    CHECK(sums[0].carrier == "other");
    CHECK(sums[0].total == 1);
    CHECK(sums[0].limit == 0);
    CHECK_FALSE(sums[0].over);
    CHECK(sums[1].carrier == "sim");
    CHECK(sums[1].total == 4);
    CHECK(sums[1].limit == 4);
    CHECK_FALSE(sums[1].over);  // at the limit is within it
    nodes[2].carriers = {{"sim", 1, 0}};
    const auto over = cl::add_up_carrier_shares(nodes);
    CHECK(over[1].total == 5);
    CHECK(over[1].over);
    const std::vector<std::pair<std::string, std::uint32_t>> by_node{
        {"gw-a", 2}, {"gw-b", 2}, {"gw-c", 1}};
    CHECK(over[1].by_node == by_node);
}
