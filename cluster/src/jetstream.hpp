#pragma once
// The JetStream objects a node uses, created on first use by whichever node gets there first
// (creation is idempotent: the same configuration is accepted again), and small synchronous
// helpers around nats.c for the control thread.
//
// Thread rule: blocking calls (each waits at most the link's write_timeout); never on a nats.c
// callback thread or an I/O thread.

#include <nats/nats.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "link.hpp"

namespace smppgw::cluster::detail {

struct kv_deleter {
    void operator()(kvStore* kv) const noexcept { kvStore_Destroy(kv); }
};
using kv_ptr = std::unique_ptr<kvStore, kv_deleter>;

// A key-value bucket: the kvStore handle plus the stream it lives in.
struct bucket {
    std::string name;
    kv_ptr kv;
    [[nodiscard]] std::string stream() const { return "KV_" + name; }
    [[nodiscard]] std::string subject(std::string_view key) const {
        return "$KV." + name + "." + std::string(key);
    }
    [[nodiscard]] std::string all_subjects() const { return "$KV." + name + ".>"; }
};

struct bucket_spec {
    std::string name;
    std::string description;
    std::chrono::milliseconds ttl{0};  // zero: entries never expire
};

// Creates the bucket (history 1, file storage, the configured replicas) or binds to it. A
// bucket that exists with other settings (someone changed `replicas`) is used as it is, with a
// warning. Empty error on success.
[[nodiscard]] std::string open_bucket(link& l, const bucket_spec& spec, bucket& out);

struct stream_spec {
    std::string name;
    std::string subjects;  // "NAME.>"
    std::string description;
    std::chrono::milliseconds max_age{0};
    bool work_queue = true;  // a message goes once acknowledged by its one consumer
};
[[nodiscard]] std::string open_stream(link& l, const stream_spec& spec);

// A durable push consumer on `stream` filtered to `subject`, delivering to `deliver_subject`
// shared by the `group` queue (every node that serves the subject joins it). Created if
// missing, updated if its settings changed. Empty error on success.
struct consumer_spec {
    std::string stream;
    std::string durable;
    std::string subject;
    std::string deliver_subject;
    std::string group;
    std::chrono::milliseconds ack_wait{30'000};
    std::int64_t max_ack_pending = 1024;
};
[[nodiscard]] std::string open_consumer(link& l, const consumer_spec& spec);

// open_consumer(), then a subscription to it in its queue group with manual acknowledgement:
// `cb(closure)` runs on a nats.c thread for each delivery, which the owner settles with
// settle_delivery(). Empty error on success.
[[nodiscard]] std::string subscribe_consumer(link& l, const consumer_spec& spec,
                                             natsMsgHandler cb, void* closure,
                                             natsSubscription*& sub);
// Settles a delivery by its reply subject: "+ACK" (taken: the stream drops it) or "-NAK" with
// `delay` (offered again after it). The JetStream acknowledgement protocol, published on the
// connection, so that settling needs neither the message nor its subscription, which may be
// gone by then. False when it could not be published (the stream offers it again after the
// consumer's ack_wait).
bool settle_delivery(natsConnection* nc, const std::string& reply, bool taken,
                     std::chrono::milliseconds delay);

// The last sequence of a stream (0 when empty), or nullopt when JetStream did not answer.
[[nodiscard]] std::optional<std::uint64_t> last_sequence(link& l, const std::string& stream);

struct kv_value {
    std::string value;
    std::uint64_t revision = 0;
};
enum class get_status : std::uint8_t { found, not_found, failed };
[[nodiscard]] get_status kv_get(const bucket& b, const std::string& key, kv_value& out);

// Unsubscribes and waits (at most 2 s) until no handler of the subscription runs any more, so
// the handler's closure may go away afterwards. Never from a nats.c callback. Sets `sub` null.
void close_subscription(natsSubscription*& sub);

// Every key of a bucket, its current value first, then each change as it happens, through an
// ordered consumer (nats.c recreates it after a reconnect). `fn(key, value, time_ns)` runs on a
// nats.c thread; a deleted or purged key arrives with an empty value.
class watch {
public:
    using handler = std::function<void(std::string_view key, std::string_view value,
                                       std::int64_t time_ns)>;
    watch() = default;
    ~watch() { stop(); }
    watch(const watch&) = delete;
    watch& operator=(const watch&) = delete;

    [[nodiscard]] std::string start(link& l, const bucket& b, handler fn);
    void stop();
    [[nodiscard]] bool running() const noexcept { return sub_ != nullptr; }

private:
    static void on_message(natsConnection*, natsSubscription*, natsMsg* m, void* self);
    natsSubscription* sub_ = nullptr;
    std::size_t prefix_ = 0;  // length of "$KV.<bucket>."
    handler fn_;
};

// Tells a consumer that stopped delivering while its stream is ahead: the server holding an
// ordered consumer died and nats.c only notices after two missed 5 s heartbeats, so the owner
// subscribes again from what it applied. Control thread only.
class stall_watch {
public:
    static constexpr std::int64_t stall_ns = 2'000'000'000;
    // True when `applied` has not moved for stall_ns while behind `last` (then the clock starts
    // again, so that a new subscription gets its own time).
    [[nodiscard]] bool stalled(std::uint64_t applied, std::uint64_t last,
                               std::int64_t now_ns) noexcept {
        if (applied != seen_ || applied >= last || progress_ns_ == 0) {
            seen_ = applied;
            progress_ns_ = now_ns;
            return false;
        }
        if (now_ns - progress_ns_ > stall_ns) {
            progress_ns_ = now_ns;
            return true;
        }
        return false;
    }

private:
    std::uint64_t seen_ = 0;
    std::int64_t progress_ns_ = 0;
};

// The stream sequence and publish time (ns since the epoch) of a message a JetStream
// subscription delivered; false for a message without JetStream metadata.
[[nodiscard]] bool message_position(natsMsg* m, std::uint64_t& sequence, std::int64_t& time_ns);

}  // namespace smppgw::cluster::detail
