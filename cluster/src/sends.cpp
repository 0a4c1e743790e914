#include "sends.hpp"

#include <algorithm>

#include "clock.hpp"
#include "jetstream.hpp"
#include "log.hpp"

namespace smppgw::cluster::detail {

using std::chrono::steady_clock;

sends::sends(const options& o, store::store& db, stats& st, remote_sends& remote)
    : opts_(o),
      db_(db),
      stats_(st),
      remote_(remote),
      subject_(o.names.sends + "." + o.node),
      prefix_(o.names.sends + "."),
      // Unique per process run: a batch retried after a lost acknowledgement is recognised by
      // the stream, one of a later run is not mistaken for it.
      msg_id_base_(fmt::format("{}-{}-", o.node, wall_clock_us())) {
    sender_ = std::thread([this] { run(); });
}

sends::~sends() {
    stop();
}

void sends::stop() {
    close_subscription(sub_);
    {
        std::lock_guard lock(mu_);
        if (stopping_) {
            return;
        }
        stopping_ = true;
    }
    cv_.notify_all();
    if (sender_.joinable()) {
        sender_.join();
    }
}

// ---- publishing ----------------------------------------------------------------------------------

void sends::enqueue(std::span<const store::store::send_count_change> changes) {
    bool wake = false;
    {
        std::lock_guard lock(mu_);
        for (const auto& c : changes) {
            if (c.delta > 0 ? counted_queued_ >= max_queued : released_queued_ >= 2 * max_queued) {
                stats_.count.sends_dropped_queue.fetch_add(1, std::memory_order_relaxed);
                continue;
            }
            if (batches_.empty() || batches_.back().sealed ||
                batches_.back().entries >= batch_entries) {
                pending_batch fresh;
                fresh.number = next_number_++;
                fresh.opened = steady_clock::now();
                batches_.push_back(std::move(fresh));
            }
            auto& b = batches_.back();
            append_send(b.bytes, send_entry{c.brand, c.msisdn, c.when, c.delta}, 0);
            ++b.entries;
            if (c.delta > 0) {
                ++counted_queued_;
            } else {
                ++b.released;
                ++released_queued_;
            }
        }
        wake = !in_flight_;
    }
    if (wake) {
        cv_.notify_one();
    }
}

std::size_t sends::queued() const {
    std::lock_guard lock(mu_);
    return counted_queued_ + released_queued_;
}

void sends::run() {
    std::unique_lock lock(mu_);
    for (;;) {
        // Nothing to do, one in flight, or NATS away: look again when woken or shortly (the
        // link coming back does not wake this thread).
        if (batches_.empty() || in_flight_ || !opened_.load() || !link_->up()) {
            cv_.wait_for(lock, std::chrono::milliseconds{100});
            if (stopping_) {
                return;
            }
            continue;
        }
        if (stopping_) {
            return;
        }
        auto& front = batches_.front();
        // A young batch with room gathers more entries first, unless more batches wait.
        const auto due = front.opened + flush_delay;
        if (batches_.size() == 1 && front.entries < batch_entries && steady_clock::now() < due) {
            cv_.wait_until(lock, due);
            continue;
        }
        in_flight_ = true;
        if (!front.sealed) {
            front.sealed = true;
            stamp_batch(front.bytes, wall_clock_us());
        }
        const auto bytes = front.bytes;  // the front stays until acknowledged
        const auto id = msg_id_base_ + std::to_string(front.number);
        const auto entries = front.entries;
        lock.unlock();
        const bool handed = link_->publish(
            subject_, bytes,
            [this, entries](const published& p) {
                {
                    std::lock_guard inner(mu_);
                    in_flight_ = false;
                    if (p.ok && !batches_.empty()) {
                        const auto& b = batches_.front();
                        released_queued_ -= b.released;
                        counted_queued_ -= b.entries - b.released;
                        batches_.pop_front();
                    }
                }
                if (p.ok) {
                    stats_.count.sends_published.fetch_add(entries, std::memory_order_relaxed);
                } else {
                    stats_.count.sends_publish_failures.fetch_add(1, std::memory_order_relaxed);
                }
                cv_.notify_one();
            },
            opts_.write_timeout, {{"Nats-Msg-Id", id}});
        lock.lock();
        if (!handed) {
            in_flight_ = false;
            stats_.count.sends_publish_failures.fetch_add(1, std::memory_order_relaxed);
            cv_.wait_for(lock, std::chrono::milliseconds{50});
        }
    }
}

// ---- control thread ------------------------------------------------------------------------------

std::string sends::open(link& l) {
    link_ = &l;
    if (opened_.load()) {
        return {};
    }
    stream_spec spec;
    spec.name = opts_.names.sends;
    spec.subjects = prefix_ + ">";
    spec.description = "smppgw frequency-cap counts per node (every node reads them all)";
    spec.max_age = std::chrono::duration_cast<std::chrono::milliseconds>(
        db_.options().retention.freq_window);
    spec.work_queue = false;
    if (auto err = open_stream(l, spec); !err.empty()) {
        return err;
    }
    opened_ = true;
    cv_.notify_all();
    return {};
}

std::string sends::subscribe(link& l) {
    const auto last = detail::last_sequence(l, opts_.names.sends);
    if (!last) {
        return fmt::format("stream {} did not answer", opts_.names.sends);
    }
    last_ = *last;
    target_ = *last;
    if (sub_ != nullptr) {
        return {};
    }
    if (!subscribed_before_) {
        replay_until_ = *last;
    }
    auto from = applied_.load() + 1;  // again after a stall: where it stopped
    if (from > *last + 1) {
        // The stream is younger than what was applied: NATS was rebuilt. Read it all again.
        from = 1;
        applied_ = 0;
    }
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = opts_.names.sends.c_str();
    so.Ordered = true;
    if (from == 1) {
        so.Config.DeliverPolicy = js_DeliverAll;  // from the start: the others' counts
    } else {
        so.Config.DeliverPolicy = js_DeliverByStartSequence;
        so.Config.OptStartSeq = from;
    }
    jsErrCode err{};
    const auto subjects = prefix_ + ">";
    const auto s = js_Subscribe(&sub_, l.jetstream(), subjects.c_str(), &sends::on_message, this,
                                nullptr, &so, &err);
    if (s != NATS_OK) {
        sub_ = nullptr;
        return fmt::format("reading stream {}: {}", opts_.names.sends, describe(s));
    }
    subscribed_before_ = true;
    log(log_level::info, "reading the send counts of stream {} from sequence {} (last {})",
        opts_.names.sends, from, *last);
    return {};
}

bool sends::refresh_target(link& l) {
    const auto last = detail::last_sequence(l, opts_.names.sends);
    if (!last) {
        return false;
    }
    last_ = *last;
    target_ = *last;
    return true;
}

bool sends::caught_up() const {
    return sub_ != nullptr && applied_.load() >= target_.load();
}

void sends::tick(link& l) {
    if (const auto last = detail::last_sequence(l, opts_.names.sends)) {
        last_ = *last;
    }
    if (sub_ != nullptr && stall_.stalled(applied_.load(), last_.load(), wall_clock_us() * 1000)) {
        log(log_level::warn,
            "send counts of stream {} stalled at sequence {} (stream at {}): subscribing again",
            opts_.names.sends, applied_.load(), last_.load());
        close_subscription(sub_);
    }
    if (sub_ == nullptr && subscribed_before_) {
        if (auto err = subscribe(l); !err.empty()) {
            log(log_level::warn, "re-reading the send counts: {} (retried)", err);
        }
    }
    (void)remote_.expire(db_.now());
    if (!reconciled_ && sub_ != nullptr && applied_.load() >= replay_until_.load()) {
        reconcile();
        reconciled_ = true;
    }
}

void sends::reconcile() {
    std::map<std::pair<std::string, std::int64_t>, int> own;
    {
        std::lock_guard lock(own_mu_);
        own.swap(own_);
    }
    const auto oldest = db_.now() - db_.options().retention.freq_window;
    std::vector<store::store::send_count_change> again;
    for (const auto& [at, net] : own) {
        const auto when = time_point{std::chrono::milliseconds{at.second}};
        if (net <= 0 || when < oldest) {
            continue;
        }
        const auto nul = at.first.find('\0');
        const auto brand = std::string_view(at.first).substr(0, nul);
        const auto msisdn = std::string_view(at.first).substr(nul + 1);
        const auto h = db_.recent_sends(brand, msisdn, when);
        const auto kept = h.view();
        // Not found among the newest sends since then: given back here (or more than a history
        // holds came after it, and a spurious -1 only makes the others count less).
        if (std::find(kept.begin(), kept.end(), when) == kept.end()) {
            again.push_back({brand, msisdn, when, -1});
        }
    }
    if (!again.empty()) {
        log(log_level::info,
            "{} sends this node gave back before it stopped were still counted in stream {}: "
            "giving them back again",
            again.size(), opts_.names.sends);
        enqueue(again);
    }
}

// ---- receiving -----------------------------------------------------------------------------------

void sends::on_message(natsConnection*, natsSubscription*, natsMsg* m, void* self) {
    static_cast<sends*>(self)->receive(m);
}

void sends::receive(natsMsg* m) {
    msg_ptr owned(m);
    std::uint64_t sequence = 0;
    std::int64_t time_ns = 0;
    if (!message_position(m, sequence, time_ns)) {
        return;
    }
    const std::string_view subject = natsMsg_GetSubject(m);
    const auto node = subject.size() > prefix_.size() ? subject.substr(prefix_.size())
                                                      : std::string_view{};
    const bool own = node == opts_.node;
    if (!own || sequence <= replay_until_.load()) {
        const auto* data = natsMsg_GetData(m);
        const auto batch = decode_sends(
            data == nullptr
                ? std::string_view{}
                : std::string_view(data, static_cast<std::size_t>(natsMsg_GetDataLength(m))));
        if (!batch) {
            stats_.count.sends_unreadable.fetch_add(1, std::memory_order_relaxed);
            log(log_level::error, "stream {} sequence {}: a batch this node cannot read; skipped",
                opts_.names.sends, sequence);
        } else if (own) {
            std::lock_guard lock(own_mu_);
            std::string key;
            for (const auto& e : batch->entries) {
                key.assign(e.brand);
                key.push_back('\0');
                key.append(e.msisdn);
                own_[{key, e.when.time_since_epoch().count()}] += e.delta;
            }
        } else {
            const auto r = remote_.apply(node, batch->entries, db_.now());
            stats_.count.sends_received.fetch_add(r.counted + r.released,
                                                  std::memory_order_relaxed);
            stats_.count.sends_dropped_remote.fetch_add(r.dropped, std::memory_order_relaxed);
            if (batch->published_us > 0) {
                stats_.send_propagation.observe(
                    static_cast<double>(wall_clock_us() - batch->published_us) / 1e6);
            }
        }
    }
    applied_ = std::max(applied_.load(), sequence);
}

}  // namespace smppgw::cluster::detail
