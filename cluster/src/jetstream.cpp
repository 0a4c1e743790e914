#include "jetstream.hpp"

#include <cstring>

#include "log.hpp"

namespace smppgw::cluster::detail {
namespace {

std::int64_t ns_of(std::chrono::milliseconds d) {
    return static_cast<std::int64_t>(d.count()) * 1'000'000;
}

struct stream_info_deleter {
    void operator()(jsStreamInfo* si) const noexcept { jsStreamInfo_Destroy(si); }
};
struct consumer_info_deleter {
    void operator()(jsConsumerInfo* ci) const noexcept { jsConsumerInfo_Destroy(ci); }
};
struct entry_deleter {
    void operator()(kvEntry* e) const noexcept { kvEntry_Destroy(e); }
};

}  // namespace

std::string open_bucket(link& l, const bucket_spec& spec, bucket& out) {
    out.name = spec.name;
    kvConfig cfg;
    kvConfig_Init(&cfg);
    cfg.Bucket = spec.name.c_str();
    cfg.Description = spec.description.c_str();
    cfg.History = 1;
    cfg.StorageType = js_FileStorage;
    cfg.Replicas = l.opts().replicas;
    cfg.TTL = ns_of(spec.ttl);
    kvStore* kv = nullptr;
    auto s = js_CreateKeyValue(&kv, l.jetstream(), &cfg);
    if (s != NATS_OK) {
        const auto why = describe(s);
        // Created earlier with other settings: use it as it is rather than stop the node.
        s = js_KeyValue(&kv, l.jetstream(), spec.name.c_str());
        if (s != NATS_OK) {
            return fmt::format("bucket {}: {}", spec.name, why);
        }
        log(log_level::warn,
            "bucket {} exists with other settings than this node's ({}); using it as it is",
            spec.name, why);
    }
    out.kv.reset(kv);
    return {};
}

std::string open_stream(link& l, const stream_spec& spec) {
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    cfg.Name = spec.name.c_str();
    cfg.Description = spec.description.c_str();
    const char* subjects[] = {spec.subjects.c_str()};
    cfg.Subjects = subjects;
    cfg.SubjectsLen = 1;
    cfg.Retention = spec.work_queue ? js_WorkQueuePolicy : js_LimitsPolicy;
    cfg.Storage = js_FileStorage;
    cfg.Replicas = l.opts().replicas;
    cfg.MaxAge = ns_of(spec.max_age);
    // A republished entry (a retry after a lost acknowledgement) within two minutes is the
    // same message, not a second delivery.
    cfg.Duplicates = ns_of(std::chrono::minutes{2});
    jsStreamInfo* raw = nullptr;
    jsErrCode err{};
    auto s = js_AddStream(&raw, l.jetstream(), &cfg, nullptr, &err);
    std::unique_ptr<jsStreamInfo, stream_info_deleter> info(raw);
    if (s == NATS_OK) {
        return {};
    }
    if (err != JSStreamNameExistErr) {
        return fmt::format("stream {}: {}", spec.name, describe(s));
    }
    raw = nullptr;
    s = js_UpdateStream(&raw, l.jetstream(), &cfg, nullptr, &err);
    info.reset(raw);
    if (s != NATS_OK) {
        // Some settings cannot change (retention, storage); the stream still works.
        log(log_level::warn, "stream {} exists with other settings than this node's ({})",
            spec.name, describe(s));
    }
    return {};
}

std::string open_consumer(link& l, const consumer_spec& spec) {
    jsConsumerConfig cfg;
    jsConsumerConfig_Init(&cfg);
    cfg.Durable = spec.durable.c_str();
    cfg.FilterSubject = spec.subject.c_str();
    cfg.DeliverSubject = spec.deliver_subject.c_str();
    cfg.DeliverGroup = spec.group.c_str();
    cfg.DeliverPolicy = js_DeliverAll;
    cfg.AckPolicy = js_AckExplicit;
    cfg.AckWait = ns_of(spec.ack_wait);
    cfg.MaxDeliver = -1;
    cfg.MaxAckPending = spec.max_ack_pending;
    jsConsumerInfo* raw = nullptr;
    jsErrCode err{};
    auto s = js_AddConsumer(&raw, l.jetstream(), spec.stream.c_str(), &cfg, nullptr, &err);
    std::unique_ptr<jsConsumerInfo, consumer_info_deleter> info(raw);
    if (s == NATS_OK) {
        return {};
    }
    if (err == JSConsumerNameExistErr) {
        raw = nullptr;
        s = js_UpdateConsumer(&raw, l.jetstream(), spec.stream.c_str(), &cfg, nullptr, &err);
        info.reset(raw);
        if (s == NATS_OK) {
            return {};
        }
    }
    return fmt::format("consumer {} on {}: {}", spec.durable, spec.stream, describe(s));
}

std::string subscribe_consumer(link& l, const consumer_spec& spec, natsMsgHandler cb,
                               void* closure, natsSubscription*& sub) {
    if (auto err = open_consumer(l, spec); !err.empty()) {
        return err;
    }
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = spec.stream.c_str();
    so.Consumer = spec.durable.c_str();
    so.Queue = spec.group.c_str();
    so.ManualAck = true;
    jsErrCode err{};
    const auto s =
        js_Subscribe(&sub, l.jetstream(), spec.subject.c_str(), cb, closure, nullptr, &so, &err);
    if (s != NATS_OK) {
        sub = nullptr;
        return fmt::format("consumer {} on {}: {}", spec.durable, spec.stream, describe(s));
    }
    return {};
}

bool settle_delivery(natsConnection* nc, const std::string& reply, bool taken,
                     std::chrono::milliseconds delay) {
    const auto payload =
        taken ? std::string("+ACK")
              : fmt::format("-NAK {{\"delay\":{}}}", std::chrono::nanoseconds(delay).count());
    return nc != nullptr && natsConnection_Publish(nc, reply.c_str(), payload.data(),
                                                   static_cast<int>(payload.size())) == NATS_OK;
}

std::optional<std::uint64_t> last_sequence(link& l, const std::string& stream) {
    jsStreamInfo* raw = nullptr;
    const auto s = js_GetStreamInfo(&raw, l.jetstream(), stream.c_str(), nullptr, nullptr);
    std::unique_ptr<jsStreamInfo, stream_info_deleter> info(raw);
    if (s != NATS_OK || !info) {
        return std::nullopt;
    }
    return info->State.LastSeq;
}

get_status kv_get(const bucket& b, const std::string& key, kv_value& out) {
    kvEntry* raw = nullptr;
    const auto s = kvStore_Get(&raw, b.kv.get(), key.c_str());
    std::unique_ptr<kvEntry, entry_deleter> entry(raw);
    if (s == NATS_NOT_FOUND) {
        return get_status::not_found;
    }
    if (s != NATS_OK || !entry) {
        return get_status::failed;
    }
    const auto* data = static_cast<const char*>(kvEntry_Value(entry.get()));
    out.value.assign(data == nullptr ? "" : data,
                     static_cast<std::size_t>(kvEntry_ValueLen(entry.get())));
    out.revision = kvEntry_Revision(entry.get());
    return get_status::found;
}

std::string watch::start(link& l, const bucket& b, handler fn) {
    if (sub_ != nullptr) {
        return {};
    }
    fn_ = std::move(fn);
    const auto subjects = b.all_subjects();
    prefix_ = subjects.size() - 1;
    const auto stream = b.stream();
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = stream.c_str();
    so.Ordered = true;
    so.Config.DeliverPolicy = js_DeliverLastPerSubject;
    jsErrCode err{};
    const auto s = js_Subscribe(&sub_, l.jetstream(), subjects.c_str(), &watch::on_message, this,
                                nullptr, &so, &err);
    if (s != NATS_OK) {
        sub_ = nullptr;
        return fmt::format("watching {}: {}", b.name, describe(s));
    }
    return {};
}

void close_subscription(natsSubscription*& sub) {
    if (sub == nullptr) {
        return;
    }
    if (natsSubscription_Drain(sub) == NATS_OK) {
        (void)natsSubscription_WaitForDrainCompletion(sub, 2000);
    } else {
        (void)natsSubscription_Unsubscribe(sub);
    }
    natsSubscription_Destroy(sub);
    sub = nullptr;
}

void watch::stop() {
    close_subscription(sub_);
}

void watch::on_message(natsConnection*, natsSubscription*, natsMsg* m, void* self) {
    msg_ptr owned(m);
    auto* w = static_cast<watch*>(self);
    std::uint64_t seq = 0;
    std::int64_t time_ns = 0;
    if (!message_position(m, seq, time_ns)) {
        return;
    }
    const std::string_view subject = natsMsg_GetSubject(m);
    if (subject.size() <= w->prefix_) {
        return;
    }
    std::string_view value;
    const char* op = nullptr;
    if (natsMsgHeader_Get(m, "KV-Operation", &op) != NATS_OK || op == nullptr) {
        if (const auto* data = natsMsg_GetData(m); data != nullptr) {
            value = {data, static_cast<std::size_t>(natsMsg_GetDataLength(m))};
        }
    }
    w->fn_(subject.substr(w->prefix_), value, time_ns);
}

bool message_position(natsMsg* m, std::uint64_t& sequence, std::int64_t& time_ns) {
    jsMsgMetaData* meta = nullptr;
    if (natsMsg_GetMetaData(&meta, m) != NATS_OK || meta == nullptr) {
        return false;
    }
    sequence = meta->Sequence.Stream;
    time_ns = meta->Timestamp;
    jsMsgMetaData_Destroy(meta);
    return true;
}

}  // namespace smppgw::cluster::detail
