#include "compliance.hpp"

#include <chrono>
#include <cstring>

#include "clock.hpp"
#include "log.hpp"

namespace smppgw::cluster::detail {
namespace {

constexpr std::string_view side_owner = "cluster";
constexpr std::string_view pending_prefix = "pending/";
constexpr std::string_view cursor_prefix = "cursor/";
constexpr std::size_t apply_batch = 512;
constexpr std::size_t retries_per_tick = 2048;

std::string cursor_key(const std::string& bucket) {
    return std::string(cursor_prefix) + bucket;
}

// A change with who and when it was published taken out: what the local store would hold.
std::string content_of(change c) {
    c.node.clear();
    c.at_us = 0;
    return encode(c);
}

// The time a change takes effect, as the store orders consent events (the latest of grant,
// double opt-in and revocation), and simply its time for the others.
policy::time_point effective_time(const change& c) {
    if (c.kind != change_kind::consent) {
        return c.when;
    }
    auto t = c.consent.granted;
    if (c.consent.double_opt_in && *c.consent.double_opt_in > t) {
        t = *c.consent.double_opt_in;
    }
    if (c.consent.revoked && *c.consent.revoked > t) {
        t = *c.consent.revoked;
    }
    return t;
}

}  // namespace

compliance::compliance(const options& o, store::store& db, stats& st,
                       std::function<void()> policy_changed)
    : opts_(o), db_(db), stats_(st), policy_changed_(std::move(policy_changed)) {
    mirrors_[0].name = o.names.optouts;
    mirrors_[0].kind = change_kind::optout;
    mirrors_[1].name = o.names.consents;
    mirrors_[1].kind = change_kind::consent;
    mirrors_[2].name = o.names.holds;
    mirrors_[2].kind = change_kind::hold;
    for (std::size_t i = 0; i < mirrors_.size(); ++i) {
        mirrors_[i].owner = this;
        mirrors_[i].index = i;
    }
    for (auto& m : mirrors_) {
        const auto cursor = db_.get_side_record(side_owner, cursor_key(m.name));
        if (cursor && cursor->has_value()) {
            m.applied = std::strtoull((*cursor)->c_str(), nullptr, 10);
        }
    }
    applier_ = std::thread([this] { apply_loop(); });
}

compliance::~compliance() {
    stop();
}

void compliance::stop() {
    for (auto& m : mirrors_) {
        close_subscription(m.sub);
    }
    {
        std::lock_guard lock(queue_mu_);
        if (stopping_) {
            return;
        }
        stopping_ = true;
    }
    queue_cv_.notify_all();
    if (applier_.joinable()) {
        applier_.join();
    }
}

compliance::mirror& compliance::mirror_of(change_kind k) noexcept {
    return mirrors_[static_cast<std::size_t>(k)];
}

// ---- changes made here ---------------------------------------------------------------------------

staged_changes compliance::stage(store::batch& b, std::vector<change> changes) {
    staged_changes s;
    s.items.reserve(changes.size());
    for (auto& c : changes) {
        c.node = opts_.node;
        auto key = fmt::format("{}{:016x}", pending_prefix, db_.next_id());
        b.put_side_record(side_owner, key, encode(c));
        s.items.emplace_back(std::move(key), std::move(c));
    }
    return s;
}

void compliance::load_pending() {
    std::lock_guard lock(pending_mu_);
    const auto ec = db_.for_each_side_record(
        side_owner, [&](std::string_view key, std::string_view value) {
            if (!key.starts_with(pending_prefix)) {
                return true;
            }
            if (auto c = decode_change(value)) {
                pending_[std::string(key)] = pending_change{std::move(*c), false, true};
            } else {
                log(log_level::error, "unreadable pending cluster change {} kept as it is", key);
            }
            return true;
        });
    if (ec) {
        log(log_level::error, "cannot read the pending cluster changes: {}", ec.message());
    }
    if (!pending_.empty()) {
        log(log_level::info, "{} compliance changes of an earlier run wait to be published",
            pending_.size());
    }
}

std::size_t compliance::pending() const {
    std::lock_guard lock(pending_mu_);
    return pending_.size();
}

bool compliance::publishing_fails() const {
    return last_publish_failed_.load() && pending() > 0;
}

void compliance::publish(staged_changes s, std::function<void(bool)> done) {
    if (s.items.empty()) {
        done(true);
        return;
    }
    {
        std::lock_guard lock(pending_mu_);
        for (const auto& [key, c] : s.items) {
            pending_[key] = pending_change{c, true, false};
        }
    }
    if (!opened_.load() || link_ == nullptr || !link_->up()) {
        std::lock_guard lock(pending_mu_);
        for (const auto& [key, c] : s.items) {
            if (auto it = pending_.find(key); it != pending_.end()) {
                it->second.in_flight = false;
            }
        }
        last_publish_failed_ = true;
        done(false);  // the control thread publishes them once the cluster is back
        return;
    }
    struct group {
        std::mutex mu;
        std::size_t remaining = 0;
        bool all_ok = true;
        std::vector<std::string> acknowledged;
        std::function<void(bool)> done;
    };
    auto g = std::make_shared<group>();
    g->remaining = s.items.size();
    g->done = std::move(done);
    for (auto& [key, c] : s.items) {
        publish_one(key, std::move(c), [this, g, key = key](bool ok) {
            bool last = false;
            {
                std::lock_guard lock(g->mu);
                if (ok) {
                    g->acknowledged.push_back(key);
                } else {
                    g->all_ok = false;
                }
                last = --g->remaining == 0;
            }
            if (last) {
                forget(g->acknowledged);
                g->done(g->all_ok);
            }
        });
    }
}

void compliance::publish_one(const std::string& pending_key, change c,
                             std::function<void(bool ok)> done) {
    c.at_us = wall_clock_us();
    const auto subject = mirror_of(c.kind).b.subject(key_of(c));
    const auto started = std::chrono::steady_clock::now();
    auto settle = [this, pending_key, started, done = std::move(done)](bool ok) {
        {
            std::lock_guard lock(pending_mu_);
            if (auto it = pending_.find(pending_key); it != pending_.end()) {
                if (ok) {
                    pending_.erase(it);
                } else {
                    it->second.in_flight = false;
                    it->second.check_first = true;
                }
            }
        }
        last_publish_failed_ = !ok;
        if (ok) {
            stats_.count.changes_published.fetch_add(1, std::memory_order_relaxed);
            stats_.publish.observe(std::chrono::duration<double>(
                                       std::chrono::steady_clock::now() - started)
                                       .count());
        } else {
            stats_.count.publish_failures.fetch_add(1, std::memory_order_relaxed);
        }
        done(ok);
    };
    const bool queued = link_->publish(
        subject, encode(c),
        [settle](const published& p) mutable {
            if (!p.ok) {
                log(log_level::warn, "cluster write not acknowledged: {}", p.error);
            }
            settle(p.ok);
        },
        opts_.write_timeout);
    if (!queued) {
        settle(false);
    }
}

void compliance::forget(const std::vector<std::string>& pending_keys) {
    if (pending_keys.empty()) {
        return;
    }
    store::batch b;
    for (const auto& k : pending_keys) {
        b.erase_side_record(side_owner, k);
    }
    // Nothing waits for this: a pending record that survives a crash is published again and
    // found to be in the bucket already (or superseded), which changes nothing.
    db_.commit(std::move(b), [](std::error_code) {});
}

bool compliance::superseded(link&, const change& c) {
    kv_value current;
    if (kv_get(mirror_of(c.kind).b, key_of(c), current) != get_status::found) {
        return false;
    }
    const auto there = decode_change(current.value);
    return there && effective_time(*there) > effective_time(c);
}

// ---- control thread ------------------------------------------------------------------------------

std::string compliance::open(link& l) {
    link_ = &l;
    for (auto& m : mirrors_) {
        if (m.b.kv) {
            continue;
        }
        bucket_spec spec;
        spec.name = m.name;
        spec.description = fmt::format("smppgw {} (every node mirrors it)", to_string(m.kind));
        if (auto err = open_bucket(l, spec, m.b); !err.empty()) {
            return err;
        }
    }
    opened_ = true;
    return {};
}

std::string compliance::subscribe(link& l) {
    for (std::size_t i = 0; i < mirrors_.size(); ++i) {
        auto& m = mirrors_[i];
        const auto last = last_sequence(l, m.b.stream());
        if (!last) {
            return fmt::format("stream {} did not answer", m.b.stream());
        }
        m.last = *last;
        m.target = *last;
        if (m.sub != nullptr) {
            continue;
        }
        auto cursor = m.applied.load();
        if (cursor > *last) {
            // The bucket is younger than our cursor: NATS was rebuilt. Read it from the start.
            log(log_level::warn,
                "bucket {} ends at {} but this node applied up to {}: reading it again from the "
                "start",
                m.name, *last, cursor);
            cursor = 0;
            m.applied = 0;
        }
        jsSubOptions so;
        jsSubOptions_Init(&so);
        const auto stream = m.b.stream();
        so.Stream = stream.c_str();
        so.Ordered = true;
        if (cursor == 0) {
            so.Config.DeliverPolicy = js_DeliverAll;
        } else {
            so.Config.DeliverPolicy = js_DeliverByStartSequence;
            so.Config.OptStartSeq = cursor + 1;
        }
        jsErrCode err{};
        const auto subjects = m.b.all_subjects();
        const auto s = js_Subscribe(&m.sub, l.jetstream(), subjects.c_str(), &compliance::on_message,
                                    &m, nullptr, &so, &err);
        if (s != NATS_OK) {
            m.sub = nullptr;
            return fmt::format("watching {}: {}", m.name, describe(s));
        }
        log(log_level::info, "mirroring bucket {} from sequence {} (last {})", m.name, cursor + 1,
            *last);
    }
    return {};
}

bool compliance::refresh_targets(link& l) {
    for (auto& m : mirrors_) {
        const auto last = last_sequence(l, m.b.stream());
        if (!last) {
            return false;
        }
        m.last = *last;
        m.target = *last;
    }
    return true;
}

bool compliance::caught_up() const {
    for (const auto& m : mirrors_) {
        if (m.sub == nullptr || m.applied.load() < m.target.load()) {
            return false;
        }
    }
    return true;
}

void compliance::link_down() {
    std::lock_guard lock(pending_mu_);
    for (auto& [key, p] : pending_) {
        (void)key;
        p.check_first = true;
    }
}

void compliance::tick(link& l) {
    const auto now_ns = wall_clock_us() * 1000;
    for (auto& m : mirrors_) {
        if (const auto last = last_sequence(l, m.b.stream())) {
            m.last = *last;
        }
        if (m.applied.load() >= m.last.load()) {
            m.oldest_unapplied_ns = 0;
        } else if (m.oldest_unapplied_ns.load() == 0) {
            m.oldest_unapplied_ns = now_ns;
        }
    }
    if (!opened_.load() || !l.up()) {
        return;
    }
    bool resubscribe = false;
    for (auto& m : mirrors_) {
        const auto applied = m.applied.load();
        if (m.stall.stalled(applied, m.last.load(), now_ns) && m.sub != nullptr) {
            log(log_level::warn,
                "mirror of bucket {} stalled at sequence {} (bucket at {}): subscribing again",
                m.name, applied, m.last.load());
            close_subscription(m.sub);
            resubscribe = true;
        }
        resubscribe = resubscribe || m.sub == nullptr;  // an earlier attempt failed
    }
    if (resubscribe) {
        if (auto err = subscribe(l); !err.empty()) {
            log(log_level::warn, "re-subscribing the mirror: {} (retried)", err);
        }
    }
    std::vector<std::pair<std::string, pending_change>> due;
    {
        std::lock_guard lock(pending_mu_);
        for (auto& [key, p] : pending_) {
            if (p.in_flight) {
                continue;
            }
            p.in_flight = true;
            due.emplace_back(key, p);
            if (due.size() >= retries_per_tick) {
                break;
            }
        }
    }
    std::vector<std::string> superseded_keys;
    for (auto& [key, p] : due) {
        if (p.check_first && superseded(l, p.c)) {
            superseded_keys.push_back(key);
            stats_.count.changes_superseded.fetch_add(1, std::memory_order_relaxed);
            continue;
        }
        publish_one(key, std::move(p.c), [this, key = key](bool ok) {
            if (ok) {
                forget({key});
            }
        });
    }
    if (!superseded_keys.empty()) {
        {
            std::lock_guard lock(pending_mu_);
            for (const auto& k : superseded_keys) {
                pending_.erase(k);
            }
        }
        forget(superseded_keys);
    }
}

std::vector<mirror_status> compliance::mirrors() const {
    std::vector<mirror_status> out;
    const auto now_ns = wall_clock_us() * 1000;
    for (const auto& m : mirrors_) {
        mirror_status s;
        s.bucket = m.name;
        s.applied = m.applied.load();
        s.last = m.last.load();
        const auto since = m.oldest_unapplied_ns.load();
        s.lag_seconds = s.applied >= s.last || since == 0
                            ? 0.0
                            : static_cast<double>(now_ns - since) / 1e9;
        out.push_back(std::move(s));
    }
    return out;
}

// ---- the mirror ----------------------------------------------------------------------------------

void compliance::on_message(natsConnection*, natsSubscription*, natsMsg* m, void* closure) {
    auto* mir = static_cast<mirror*>(closure);
    mir->owner->enqueue(mir->index, m);
}

void compliance::enqueue(std::size_t index, natsMsg* m) {
    msg_ptr owned(m);
    entry e;
    e.bucket = index;
    if (!message_position(m, e.sequence, e.time_ns)) {
        return;  // not a stream message (nothing else is delivered here)
    }
    const std::string_view subject = natsMsg_GetSubject(m);
    const auto prefix = mirrors_[index].b.all_subjects();  // "$KV.<bucket>.>"
    const auto head = prefix.size() - 1;
    e.key = subject.size() > head ? std::string(subject.substr(head)) : std::string();
    if (const auto* data = natsMsg_GetData(m); data != nullptr) {
        e.value.assign(data, static_cast<std::size_t>(natsMsg_GetDataLength(m)));
    }
    const char* op = nullptr;
    if (natsMsgHeader_Get(m, "KV-Operation", &op) == NATS_OK && op != nullptr) {
        e.removed_by_operator = true;  // DEL or PURGE: smppgw never deletes keys
    }
    {
        std::lock_guard lock(queue_mu_);
        queue_.push_back(std::move(e));
    }
    queue_cv_.notify_one();
}

void compliance::apply_loop() {
    std::vector<entry> work;
    for (;;) {
        {
            std::unique_lock lock(queue_mu_);
            queue_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
            if (stopping_) {
                return;
            }
            while (!queue_.empty() && work.size() < apply_batch) {
                work.push_back(std::move(queue_.front()));
                queue_.pop_front();
            }
        }
        apply(work);
        work.clear();
    }
}

void compliance::apply(std::vector<entry>& entries) {
    store::batch b;
    // What this batch decided per key, so that two changes of one key in the same batch see
    // each other (the store has neither until the commit).
    std::map<std::string, std::optional<change>> decided;
    std::array<std::uint64_t, 3> through{};
    bool restricts = false;  // an opt-out or hold came in: accepted messages are looked at again
    std::size_t written = 0;
    const auto now_us = wall_clock_us();
    for (const auto& e : entries) {
        auto& m = mirrors_[e.bucket];
        if (e.sequence <= m.applied.load()) {
            continue;  // delivered again after the consumer was recreated
        }
        through[e.bucket] = std::max(through[e.bucket], e.sequence);
        if (e.removed_by_operator) {
            log(log_level::warn,
                "key {} of bucket {} was deleted outside smppgw; the local store keeps it (lift "
                "opt-outs through the admin API)",
                e.key, m.name);
            continue;
        }
        auto c = decode_change(e.value);
        if (!c || c->kind != m.kind) {
            stats_.count.changes_unreadable.fetch_add(1, std::memory_order_relaxed);
            log(log_level::error, "bucket {} key {}: a value this node cannot read; skipped",
                m.name, e.key);
            continue;
        }
        if (c->node != opts_.node && c->at_us > 0) {
            stats_.propagation.observe(static_cast<double>(now_us - c->at_us) / 1e6);
        }
        const auto key = fmt::format("{}.{}", e.bucket, key_of(*c));
        // The state in force before this change: decided earlier in this batch, else the store's.
        std::optional<change> before;
        if (const auto it = decided.find(key); it != decided.end()) {
            before = it->second;
        } else {
            switch (c->kind) {
                case change_kind::optout:
                    if (auto r = db_.get_optout(c->brand(), c->msisdn()); r && *r) {
                        before = change::optout_put(**r);
                    }
                    break;
                case change_kind::consent:
                    if (auto r = db_.get_consent(c->brand(), c->msisdn(), c->consent.klass);
                        r && *r) {
                        before = change::consent_put(**r);
                    }
                    break;
                case change_kind::hold:
                    if (auto r = db_.get_hold(c->brand(), c->msisdn())) {
                        before = change::hold_put(*r);
                    }
                    break;
            }
        }
        bool apply_it = true;
        if (c->op == change_op::put) {
            apply_it = !before || content_of(*before) != content_of(*c);
        } else {
            // A lift or release: nothing to undo, or the local opt-out (hold) is newer and wins.
            apply_it = before && effective_time(*before) <= c->when;
        }
        if (!apply_it) {
            stats_.count.changes_unchanged.fetch_add(1, std::memory_order_relaxed);
            continue;
        }
        write_change(b, *c);
        ++written;
        if (c->op == change_op::put) {
            if (c->kind == change_kind::optout) {
                db_.announce_optout(c->optout.brand, c->optout.msisdn, c->optout.when);
                restricts = true;
            } else if (c->kind == change_kind::hold) {
                db_.announce_hold(c->hold);
                restricts = true;
            }
            decided[key] = *c;
        } else {
            decided[key] = std::nullopt;
        }
    }
    for (std::size_t i = 0; i < through.size(); ++i) {
        if (through[i] != 0) {
            b.put_side_record(side_owner, cursor_key(mirrors_[i].name),
                              std::to_string(through[i]));
        }
    }
    if (restricts && policy_changed_) {
        policy_changed_();  // after the announce: a message checked before it looks again
    }
    if (b.empty()) {
        return;
    }
    if (const auto ec = db_.commit_sync(std::move(b))) {
        // Nothing of it is durable and the cursors did not move: apply it all again shortly.
        // Opt-outs and holds announced above stay in force meanwhile (the safe direction).
        log(log_level::error, "cannot write mirrored compliance changes: {}; retrying",
            ec.message());
        std::this_thread::sleep_for(std::chrono::seconds(1));
        std::lock_guard lock(queue_mu_);
        for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
            queue_.push_front(std::move(*it));
        }
        return;
    }
    stats_.count.changes_applied.fetch_add(written, std::memory_order_relaxed);
    for (std::size_t i = 0; i < through.size(); ++i) {
        if (through[i] != 0) {
            mirrors_[i].applied = through[i];
        }
    }
}

}  // namespace smppgw::cluster::detail
