#include "outboxes.hpp"

#include <charconv>
#include <limits>
#include <optional>

#include "jetstream.hpp"
#include "log.hpp"
#include "smppgw/cluster/names.hpp"

namespace smppgw::cluster::detail {

namespace {

constexpr const char* entries_header = "Smppgw-Entries";  // a batch, and its count
constexpr const char* kind_header = "Smppgw-Kind";        // a single entry's (before batches)
constexpr const char* node_header = "Smppgw-Node";

// The batch's entry count; nullopt for a single entry as published before batches. A header
// that is present but no count reads as a count no batch has, so the batch is rejected.
std::optional<std::size_t> header_count(natsMsg* m) {
    const char* text = nullptr;
    if (natsMsgHeader_Get(m, entries_header, &text) != NATS_OK || text == nullptr) {
        return std::nullopt;
    }
    std::size_t n = 0;
    const std::string_view v(text);
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc{} || end != v.data() + v.size()) {
        return std::numeric_limits<std::size_t>::max();
    }
    return n;
}

// The consumer (and its queue group) of one account: a name of its own token, so that no two
// accounts share one.
std::string consumer_of(std::string_view account) {
    return "outbox_" + encode_token(account);
}

}  // namespace

outboxes::outboxes(const options& o, stats& st, std::chrono::milliseconds max_age)
    : opts_(o), stats_(st), max_age_(max_age) {}

outboxes::~outboxes() {
    stop();
}

void outboxes::on_arrival(node::outbox_arrival fn) {
    arrival_ = std::move(fn);
}

std::string outboxes::open(link& l) {
    if (opened_.load()) {
        return {};
    }
    stream_spec spec;
    spec.name = opts_.names.outbox;
    spec.subjects = opts_.names.outbox + ".>";
    spec.description = "smppgw receipts and MOs for receivers bound on other nodes, per account";
    spec.max_age = max_age_;  // store.retention.outbox: the same promise as a node's own outbox
    spec.work_queue = true;
    if (auto err = open_stream(l, spec); !err.empty()) {
        return err;
    }
    link_ = &l;
    opened_ = true;
    return {};
}

bool outboxes::hand_off(link& l, std::string_view account, std::span<const outbox_entry> entries,
                        std::uint64_t first_id, std::function<void(bool)> done) {
    if (!opened_.load() || !l.up() || entries.empty()) {
        return false;
    }
    // The id names the batch by its entries, so that the stream drops a retry of the same
    // batch that it stored after all (its duplicate window).
    const headers h{{"Nats-Msg-Id", fmt::format("{}-outbox-{}-{}", opts_.node, first_id,
                                                entries.size())},
                    {entries_header, std::to_string(entries.size())},
                    {node_header, opts_.node}};
    auto* st = &stats_;
    return l.publish(
        opts_.names.outbox + "." + encode_token(account), encode_outbox_batch(entries),
        [st, n = entries.size(), done = std::move(done)](const published& p) {
            (p.ok ? st->count.outbox_handed_off : st->count.outbox_handoff_failures) += n;
            done(p.ok);
        },
        opts_.write_timeout, h);
}

void outboxes::serve(std::string_view account, bool on) {
    std::lock_guard lock(mu_);
    if (on) {
        wanted_.emplace(account);
    } else if (const auto it = wanted_.find(account); it != wanted_.end()) {
        wanted_.erase(it);
    }
}

std::vector<std::string> outboxes::served() const {
    std::lock_guard lock(mu_);
    return {wanted_.begin(), wanted_.end()};
}

void outboxes::tick(link& l) {
    if (!opened_.load()) {
        return;
    }
    std::set<std::string, std::less<>> wanted;
    {
        std::lock_guard lock(mu_);
        wanted = wanted_;
    }
    for (auto it = subs_.begin(); it != subs_.end();) {
        if (wanted.contains(it->first)) {
            ++it;
            continue;
        }
        // No receiver here any more: deliveries in flight to this node are settled by the
        // gateway (refused: nobody here takes them) or offered again after ack_wait.
        close_subscription(it->second->sub);
        log(log_level::info, "cluster: no longer serving the outbox of {}", it->first);
        it = subs_.erase(it);
    }
    for (const auto& account : wanted) {
        if (subs_.contains(account)) {
            continue;
        }
        auto s = std::make_unique<subscription>();
        s->owner = this;
        s->account = account;
        if (auto err = subscribe(l, *s); !err.empty()) {
            log(log_level::warn, "cluster: serving the outbox of {}: {} (retrying)", account, err);
            continue;
        }
        log(log_level::info, "cluster: serving the outbox of {} (a receiver is bound here)",
            account);
        subs_.emplace(account, std::move(s));
    }
}

std::string outboxes::subscribe(link& l, subscription& s) {
    const auto name = consumer_of(s.account);
    const auto token = encode_token(s.account);
    consumer_spec spec;
    spec.stream = opts_.names.outbox;
    spec.durable = name;
    spec.subject = opts_.names.outbox + "." + token;
    // Outside the stream's subjects: deliveries must not be stored again.
    spec.deliver_subject = "_smppgw_deliver." + opts_.names.outbox + "." + token;
    spec.group = name;
    spec.ack_wait = ack_wait;
    spec.max_ack_pending = 1024;
    return subscribe_consumer(l, spec, &outboxes::on_message, &s, s.sub);
}

void outboxes::on_message(natsConnection*, natsSubscription*, natsMsg* m, void* closure) {
    msg_ptr owned(m);
    const auto* s = static_cast<const subscription*>(closure);
    s->owner->arrived(*s, m);
}

void outboxes::arrived(const subscription& s, natsMsg* m) {
    const char* reply = natsMsg_GetReply(m);
    if (reply == nullptr || !arrival_) {
        return;
    }
    std::string_view body;
    if (const auto* data = natsMsg_GetData(m); data != nullptr) {
        body = {data, static_cast<std::size_t>(natsMsg_GetDataLength(m))};
    }
    std::vector<outbox_entry> entries;
    if (const auto count = header_count(m); count.has_value()) {
        auto decoded = decode_outbox_batch(body, *count);
        if (!decoded) {
            // Offered again it would be as damaged: it goes, loudly, rather than circling the
            // stream until its max_age.
            log(log_level::error,
                "cluster: dropping a damaged outbox batch for {} ({} bytes, {} entries claimed)",
                s.account, body.size(), *count);
            stats_.count.outbox_unreadable++;
            settle(reply, true, 0);
            return;
        }
        entries = std::move(*decoded);
    } else {
        // One entry, as nodes published them before batches.
        outbox_entry e{store::outbox_kind::dlr, body};
        const char* kind_text = nullptr;
        if (natsMsgHeader_Get(m, kind_header, &kind_text) == NATS_OK && kind_text != nullptr &&
            std::string_view(kind_text) == store::to_string(store::outbox_kind::mo)) {
            e.kind = store::outbox_kind::mo;
        }
        entries.push_back(e);
    }
    arrival_(s.account, entries,
             [this, reply = std::string(reply), n = entries.size()](bool taken) {
                 settle(reply, taken, n);
             });
}

void outboxes::settle(const std::string& reply, bool taken, std::size_t entries) {
    std::lock_guard lock(mu_);  // stop() waits for a settlement under way
    if (stopped_ || link_ == nullptr) {
        return;  // the stream offers it again after ack_wait
    }
    if (settle_delivery(link_->connection(), reply, taken, refused_delay)) {
        (taken ? stats_.count.outbox_received : stats_.count.outbox_refused) += entries;
    }
}

void outboxes::stop() {
    {
        std::lock_guard lock(mu_);
        stopped_ = true;
    }
    for (auto& [account, s] : subs_) {
        close_subscription(s->sub);
    }
    subs_.clear();
}

}  // namespace smppgw::cluster::detail
