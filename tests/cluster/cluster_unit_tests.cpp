// The cluster component without NATS: the change values nodes exchange (every field survives
// the round trip, unreadable values are refused whole), bucket keys, and the [cluster] config
// section (absent: single node; present: validated with key paths).

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <string>

#include "smppgw/cluster/change.hpp"
#include "smppgw/cluster/names.hpp"
#include "smppgw/gateway/config.hpp"

namespace cl = smppgw::cluster;
namespace policy = smppgw::policy;
using smppgw::gateway::config_error;

namespace {

policy::time_point at_ms(std::int64_t ms) {
    return policy::time_point{std::chrono::milliseconds{ms}};
}

const std::string base_config = R"([[listeners]]
address = "127.0.0.1:2775"

[[accounts]]
system_id = "demo"
password_hash = "$6$salt$hash"
brand = "acme"

[[carriers]]
name = "sim"
address = "127.0.0.1:2776"
system_id = "gw"

[[routes]]
prefix = ""
carriers = ["sim"]

[admin]
token = "0123456789abcdef0123"
)";

std::vector<config_error::problem> problems_of(const std::string& text) {
    try {
        (void)smppgw::gateway::parse_config(text, "/etc/smppgw/test.toml");
    } catch (const config_error& e) {
        return e.problems();
    }
    return {};
}

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
    CHECK(problem_key("node = \"a\"\nservers = [\"nats://a:1\"]\n[cluster.buckets]\n"
                      "optouts = \"bad.name\"\n") == "cluster.buckets.optouts");
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
