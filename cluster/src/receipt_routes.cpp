#include "receipt_routes.hpp"

#include <boost/json.hpp>
#include <charconv>

#include "clock.hpp"
#include "log.hpp"
#include "smppgw/cluster/names.hpp"

namespace smppgw::cluster::detail {

namespace {

constexpr const char* carrier_header = "Smppgw-Carrier";
constexpr const char* ids_header = "Smppgw-Ids";

// Standard base64 (the JetStream API's encoding of a stored message's data); nullopt for text
// that is not.
std::optional<std::string> base64_decode(std::string_view in) {
    std::string out;
    out.reserve(in.size() / 4 * 3);
    std::uint32_t acc = 0;
    int bits = 0;
    for (const char c : in) {
        int v = -1;
        if (c >= 'A' && c <= 'Z') {
            v = c - 'A';
        } else if (c >= 'a' && c <= 'z') {
            v = c - 'a' + 26;
        } else if (c >= '0' && c <= '9') {
            v = c - '0' + 52;
        } else if (c == '+') {
            v = 62;
        } else if (c == '/') {
            v = 63;
        } else if (c == '=') {
            break;
        } else {
            return std::nullopt;
        }
        acc = (acc << 6) | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((acc >> bits) & 0xFF));
        }
    }
    return out;
}

// The node named by a STREAM.MSG.GET answer, empty when the bucket has no such key.
std::string node_of_answer(std::string_view json) {
    boost::system::error_code ec;
    const auto v = boost::json::parse(json, ec);
    if (ec || !v.is_object()) {
        return {};
    }
    const auto* message = v.as_object().if_contains("message");
    if (message == nullptr || !message->is_object()) {
        return {};  // {"error": {"code": 404, ...}}: nobody recorded it (yet)
    }
    const auto* data = message->as_object().if_contains("data");
    if (data == nullptr || !data->is_string()) {
        return {};
    }
    auto node = base64_decode(data->as_string());
    return node && valid_node_name(*node) ? *node : std::string{};
}

}  // namespace

receipt_routes::receipt_routes(const options& o, stats& st, std::chrono::milliseconds ttl)
    : opts_(o),
      stats_(st),
      ttl_(ttl),
      inbox_(fmt::format("_smppgw_inbox.{}.{}.", o.node, wall_clock_us())),
      msg_id_base_(fmt::format("{}-{}-receipt-", o.node, wall_clock_us())) {}

receipt_routes::~receipt_routes() {
    stop();
}

void receipt_routes::on_arrival(node::receipt_arrival fn) {
    arrival_ = std::move(fn);
}

std::string receipt_routes::open(link& l) {
    if (opened_.load()) {
        return {};
    }
    if (routes_.kv == nullptr) {
        if (auto err = open_bucket(l,
                                   {opts_.names.routes,
                                    "smppgw: carrier.carrier-id -> the node that submitted it",
                                    ttl_},
                                   routes_);
            !err.empty()) {
            return err;
        }
    }
    stream_spec spec;
    spec.name = opts_.names.receipts;
    spec.subjects = opts_.names.receipts + ".>";
    spec.description = "smppgw carrier receipts forwarded to the node that submitted the message";
    spec.max_age = ttl_;
    spec.work_queue = true;
    if (auto err = open_stream(l, spec); !err.empty()) {
        return err;
    }
    link_ = &l;
    if (replies_ == nullptr) {
        const auto subject = inbox_ + "*";
        if (const auto s = natsConnection_Subscribe(&replies_, l.connection(), subject.c_str(),
                                                    &receipt_routes::on_reply, this);
            s != NATS_OK) {
            replies_ = nullptr;
            return fmt::format("subscribing to {}: {}", subject, describe(s));
        }
    }
    if (receipts_ == nullptr) {
        consumer_spec c;
        c.stream = opts_.names.receipts;
        c.durable = "receipts_" + opts_.node;
        c.subject = opts_.names.receipts + "." + opts_.node;
        c.deliver_subject = "_smppgw_deliver." + opts_.names.receipts + "." + opts_.node;
        c.group = c.durable;
        c.ack_wait = ack_wait;
        c.max_ack_pending = 4096;
        if (auto err = subscribe_consumer(l, c, &receipt_routes::on_receipt, this, receipts_);
            !err.empty()) {
            return err;
        }
    }
    opened_ = true;
    return {};
}

void receipt_routes::note(link& l, std::string_view carrier, std::string_view id) {
    if (!opened_.load()) {
        stats_.count.routes_failed++;  // NATS away: a receipt for it elsewhere stays unmatched
        return;
    }
    auto* st = &stats_;
    const bool handed = l.publish(
        routes_.subject(make_key({carrier, id})), opts_.node,
        [st](const published& p) { (p.ok ? st->count.routes_written : st->count.routes_failed)++; },
        opts_.write_timeout);
    if (!handed) {
        stats_.count.routes_failed++;
    }
}

void receipt_routes::locate(link& l, std::string_view carrier, std::string_view id,
                            std::function<void(std::string)> found) {
    if (!opened_.load() || !l.up()) {
        found({});
        return;
    }
    const auto n = next_.fetch_add(1);
    {
        std::lock_guard lock(mu_);
        if (stopped_) {
            found({});
            return;
        }
        lookups_.emplace(n, lookup{std::move(found),
                                   std::chrono::steady_clock::now() + opts_.write_timeout});
    }
    const auto subject = "$JS.API.STREAM.MSG.GET." + routes_.stream();
    const auto body = boost::json::serialize(
        boost::json::object{{"last_by_subj", routes_.subject(make_key({carrier, id}))}});
    const auto reply = inbox_ + std::to_string(n);
    if (natsConnection_PublishRequest(l.connection(), subject.c_str(), reply.c_str(), body.data(),
                                      static_cast<int>(body.size())) != NATS_OK) {
        std::function<void(std::string)> fn;
        {
            std::lock_guard lock(mu_);
            if (const auto it = lookups_.find(n); it != lookups_.end()) {
                fn = std::move(it->second.found);
                lookups_.erase(it);
            }
        }
        if (fn) {
            fn({});
        }
    }
}

void receipt_routes::on_reply(natsConnection*, natsSubscription*, natsMsg* m, void* self) {
    msg_ptr owned(m);
    auto* r = static_cast<receipt_routes*>(self);
    const std::string_view subject = natsMsg_GetSubject(m);
    if (subject.size() <= r->inbox_.size()) {
        return;
    }
    std::uint64_t n = 0;
    const auto tail = subject.substr(r->inbox_.size());
    if (std::from_chars(tail.data(), tail.data() + tail.size(), n).ec != std::errc{}) {
        return;
    }
    std::function<void(std::string)> found;
    {
        std::lock_guard lock(r->mu_);
        const auto it = r->lookups_.find(n);
        if (it == r->lookups_.end()) {
            return;  // answered late: already counted as unknown
        }
        found = std::move(it->second.found);
        r->lookups_.erase(it);
    }
    std::string_view json;
    if (const auto* data = natsMsg_GetData(m); data != nullptr) {
        json = {data, static_cast<std::size_t>(natsMsg_GetDataLength(m))};
    }
    found(node_of_answer(json));
}

bool receipt_routes::forward(link& l, const std::string& node, std::string_view carrier,
                             const std::vector<std::string>& ids, std::string_view pdu,
                             std::function<void(bool)> done) {
    if (!opened_.load() || !l.up() || ids.empty()) {
        return false;
    }
    std::string id_tokens;
    for (const auto& id : ids) {
        if (!id_tokens.empty()) {
            id_tokens.push_back('.');
        }
        id_tokens += encode_token(id);
    }
    const headers h{{"Nats-Msg-Id", msg_id_base_ + std::to_string(next_.fetch_add(1))},
                    {carrier_header, encode_token(carrier)},
                    {ids_header, id_tokens}};
    auto* st = &stats_;
    return l.publish(
        opts_.names.receipts + "." + node, pdu,
        [st, done = std::move(done)](const published& p) {
            if (p.ok) {
                st->count.receipts_forwarded++;
            }
            done(p.ok);
        },
        opts_.write_timeout, h);
}

void receipt_routes::on_receipt(natsConnection*, natsSubscription*, natsMsg* m, void* self) {
    msg_ptr owned(m);
    auto* r = static_cast<receipt_routes*>(self);
    const char* reply = natsMsg_GetReply(m);
    if (reply == nullptr || !r->arrival_) {
        return;
    }
    const char* carrier_text = nullptr;
    const char* ids_text = nullptr;
    (void)natsMsgHeader_Get(m, carrier_header, &carrier_text);
    (void)natsMsgHeader_Get(m, ids_header, &ids_text);
    const auto carrier = decode_token(carrier_text == nullptr ? "" : carrier_text);
    const auto ids = split_key(ids_text == nullptr ? "" : ids_text);
    if (!carrier || !ids || ids->empty()) {
        // Not one of ours: taking it is the only way to stop it coming back.
        log(log_level::warn, "cluster: a forwarded receipt without carrier or ids: dropped");
        r->settle(reply, true);
        return;
    }
    std::string_view pdu;
    if (const auto* data = natsMsg_GetData(m); data != nullptr) {
        pdu = {data, static_cast<std::size_t>(natsMsg_GetDataLength(m))};
    }
    r->stats_.count.receipts_received++;
    r->arrival_(*carrier, *ids, pdu,
                [r, reply = std::string(reply)](bool taken) { r->settle(reply, taken); });
}

void receipt_routes::settle(const std::string& reply, bool taken) {
    std::lock_guard lock(mu_);  // stop() waits for a settlement under way
    if (stopped_ || link_ == nullptr) {
        return;  // offered again after ack_wait
    }
    (void)settle_delivery(link_->connection(), reply, taken, refused_delay);
}

void receipt_routes::tick() {
    std::vector<std::function<void(std::string)>> expired;
    {
        std::lock_guard lock(mu_);
        const auto now = std::chrono::steady_clock::now();
        for (auto it = lookups_.begin(); it != lookups_.end();) {
            if (it->second.deadline <= now) {
                expired.push_back(std::move(it->second.found));
                it = lookups_.erase(it);
            } else {
                ++it;
            }
        }
    }
    for (auto& fn : expired) {
        fn({});
    }
}

void receipt_routes::stop() {
    std::map<std::uint64_t, lookup> left;
    {
        std::lock_guard lock(mu_);
        stopped_ = true;
        left.swap(lookups_);
    }
    close_subscription(receipts_);
    close_subscription(replies_);
    for (auto& [n, l] : left) {
        l.found({});
    }
}

}  // namespace smppgw::cluster::detail
