#include "nodes.hpp"

#include <algorithm>
#include <cstdint>

#include <boost/json.hpp>

#include "clock.hpp"
#include "log.hpp"
#include "smppgw/cluster/names.hpp"

namespace smppgw::cluster::detail {
namespace {

namespace json = boost::json;

std::int64_t now_ms() {
    return wall_clock_us() / 1000;
}

}  // namespace

nodes::nodes(const options& o) : opts_(o), started_ms_(now_ms()) {
    natsInbox* inbox = nullptr;
    if (natsInbox_Create(&inbox) == NATS_OK) {
        instance_ = inbox;  // a NUID: unique per process
        natsInbox_Destroy(inbox);
    } else {
        instance_ = std::to_string(wall_clock_us());
    }
}

std::chrono::milliseconds nodes::ttl() const {
    return std::max(std::chrono::milliseconds(10'000), opts_.heartbeat_interval * 5);
}

std::string nodes::open(link& l) {
    link_ = &l;
    if (!bucket_.kv) {
        bucket_spec spec;
        spec.name = opts_.names.nodes;
        spec.description = "smppgw node heartbeats";
        spec.ttl = ttl();
        if (auto err = open_bucket(l, spec, bucket_); !err.empty()) {
            return err;
        }
    }
    if (!watch_.running()) {
        if (auto err = watch_.start(l, bucket_,
                                    [this](std::string_view key, std::string_view value,
                                           std::int64_t) { on_heartbeat(key, value); });
            !err.empty()) {
            return err;
        }
    }
    return {};
}

void nodes::stop() {
    watch_.stop();
}

void nodes::set_carrier_shares(std::vector<carrier_share> shares) {
    std::lock_guard lock(mu_);
    shares_ = std::move(shares);
}

bool nodes::beat(node_state state) {
    if (!bucket_.kv) {
        return false;
    }
    json::object carriers;
    {
        std::lock_guard lock(mu_);
        for (const auto& c : shares_) {
            carriers[c.carrier] = json::object{{"sessions", c.sessions}, {"limit", c.limit}};
        }
    }
    const json::object o{{"node", opts_.node},
                         {"node_id", opts_.node_id},
                         {"instance", instance_},
                         {"state", to_string(state)},
                         {"version", opts_.version},
                         {"started_ms", started_ms_},
                         {"heartbeat_ms", now_ms()},
                         {"carriers", std::move(carriers)}};
    const auto value = json::serialize(o);
    std::uint64_t rev = 0;
    const auto s = kvStore_Put(&rev, bucket_.kv.get(), opts_.node.c_str(), value.data(),
                               static_cast<int>(value.size()));
    if (s != NATS_OK) {
        return false;
    }
    std::lock_guard lock(mu_);
    beaten_ = true;
    return true;
}

void nodes::on_heartbeat(std::string_view key, std::string_view value) {
    const auto name = decode_token(key);
    if (!name) {
        return;
    }
    std::lock_guard lock(mu_);
    if (value.empty()) {
        nodes_.erase(*name);
        return;
    }
    boost::system::error_code ec;
    const auto v = json::parse(value, ec);
    if (ec || !v.is_object()) {
        return;
    }
    const auto& o = v.get_object();
    entry e;
    auto text = [&](std::string_view k) {
        const auto* x = o.if_contains(k);
        return x != nullptr && x->is_string() ? std::string(x->get_string()) : std::string();
    };
    auto number_in = [](const json::object& in, std::string_view k) -> std::int64_t {
        const auto* x = in.if_contains(k);
        if (x == nullptr) {
            return 0;
        }
        if (x->is_int64()) {
            return x->get_int64();
        }
        return x->is_uint64() ? static_cast<std::int64_t>(x->get_uint64()) : 0;
    };
    auto number = [&](std::string_view k) { return number_in(o, k); };
    // A share outside 0..2^32 is nobody's config: read as 0.
    auto share_of = [&](const json::object& in, std::string_view k) {
        const auto n = number_in(in, k);
        return n < 0 || n > UINT32_MAX ? 0U : static_cast<std::uint32_t>(n);
    };
    e.info.name = *name;
    e.info.node_id = static_cast<std::uint32_t>(number("node_id"));
    e.info.state = text("state");
    e.info.version = text("version");
    e.info.heartbeat_ms = number("heartbeat_ms");
    e.info.started_ms = number("started_ms");
    e.instance = text("instance");
    // Nodes of a version before carrier shares send none.
    if (const auto* carriers = o.if_contains("carriers"); carriers && carriers->is_object()) {
        for (const auto& [carrier, share] : carriers->get_object()) {
            if (share.is_object()) {
                e.info.carriers.push_back({std::string(carrier),
                                           share_of(share.get_object(), "sessions"),
                                           share_of(share.get_object(), "limit")});
            }
        }
    }
    if (*name == opts_.node && e.instance != instance_ && e.info.heartbeat_ms >= started_ms_ &&
        beaten_) {
        const auto what = fmt::format(
            "another process writes heartbeats as node \"{}\" (node names must be unique)",
            opts_.node);
        if (std::find(conflicts_.begin(), conflicts_.end(), what) == conflicts_.end()) {
            conflicts_.push_back(what);
            log(log_level::error, "{}", what);
        }
    }
    nodes_[*name] = std::move(e);
}

std::vector<node_seen> nodes::seen() const {
    const auto now = now_ms();
    std::vector<node_seen> out;
    std::lock_guard lock(mu_);
    for (const auto& [name, e] : nodes_) {
        (void)name;
        if (now - e.info.heartbeat_ms <= ttl().count()) {
            out.push_back(e.info);
        }
    }
    return out;
}

std::vector<carrier_sessions> nodes::carrier_totals() const {
    auto live = seen();
    const bool self_seen = std::any_of(live.begin(), live.end(),
                                       [&](const node_seen& n) { return n.name == opts_.node; });
    if (!self_seen) {
        node_seen self;
        self.name = opts_.node;
        std::lock_guard lock(mu_);
        self.carriers = shares_;
        live.push_back(std::move(self));
    }
    return add_up_carrier_shares(live);
}

std::vector<carrier_sessions> nodes::newly_over_limit() {
    std::vector<carrier_sessions> out;
    std::vector<std::string> over;
    for (auto& c : carrier_totals()) {
        if (!c.over) {
            continue;
        }
        over.push_back(c.carrier);
        if (std::find(over_.begin(), over_.end(), c.carrier) == over_.end()) {
            out.push_back(std::move(c));
        }
    }
    over_ = std::move(over);
    return out;
}

std::vector<std::string> nodes::conflicts() const {
    auto out = [&] {
        std::lock_guard lock(mu_);
        return conflicts_;
    }();
    for (const auto& n : seen()) {
        if (n.name != opts_.node && n.node_id == opts_.node_id) {
            out.push_back(fmt::format(
                "node \"{}\" has the same server.node_id ({}) as this node: message ids would "
                "collide",
                n.name, n.node_id));
        }
    }
    return out;
}

}  // namespace smppgw::cluster::detail
