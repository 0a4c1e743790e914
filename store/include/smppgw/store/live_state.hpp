#pragma once
// smppgw::store::live_state — every message smppgw is responsible for, and every account's
// outbox, in memory: one record per message, one owner (this object), one lock.
//
// Each transition is one journal record. A transition method encodes its record, appends it to
// the journal and applies it to the state, under the lock, so the order in which records are
// applied is exactly their LSN order. Recovery (load a checkpoint, then replay the journal after
// it) applies the same records through the same apply functions: replay cannot drift from
// normal operation. Nothing is read back from RocksDB on the normal path.
//
// Durability: a transition's `completion` runs once its record is durable (or failed). What a
// peer is told waits for it (the components' business); what this object exposes waits for it
// too: an outbox entry becomes deliverable, and a finished message becomes materializable, only
// once the record that made it is durable. When a group fails, the records whose input a peer
// will send again (a submit refused with ESME_RSYSERR, a carrier receipt or MO refused with
// ESME_RX_T_APPN) are rolled back here; every other effect stays, and the store takes a
// checkpoint once writes succeed again so that memory becomes durable again.
//
// Thread rule: every public method may be called from any thread; all take the one lock and
// none blocks while holding it (the journal append only copies bytes). Callbacks registered
// here (listeners, visitors) run under the lock and must not call back into this object.

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/smart_ptr/intrusive_ptr.hpp>
#include <boost/unordered/unordered_flat_set.hpp>

#include "smppgw/store/batch.hpp"
#include "smppgw/store/clock.hpp"
#include "smppgw/store/journal.hpp"
#include "smppgw/store/journal_records.hpp"
#include "smppgw/store/message_record.hpp"
#include "smppgw/store/records.hpp"
#include "smppgw/store/traffic.hpp"

namespace smppgw::store {

enum class message_phase : std::uint8_t {
    queued = 0,            // accepted or released: waiting for a carrier
    deferred = 1,          // held by policy until `release`
    submitting = 2,        // a carrier bind took it (memory only: a restart finds it queued)
    awaiting_receipt = 3,  // every part acknowledged by the carrier
    finished = 4,          // final; its row waits for the materializer
};

[[nodiscard]] std::string_view to_string(message_phase p) noexcept;

// One message. Fields change only under the live_state lock, with these exceptions: the
// content fields of `rec` (everything but state, parts, carrier and history) never change
// after acceptance except payload and registered_delivery, and those only while the message
// is queued or deferred (replace_sm) — so a carrier bind that moved it to `submitting`
// (begin_submit) may read them without the lock until it gives the message back, and anyone
// may read the addresses, brand and class; `checked_epoch` is atomic.
struct live_message {
    // Laid out for jemalloc's 224-byte class: [[no_unique_address]] lets the one-byte and
    // four-byte fields below sit in the record's tail padding.
    [[no_unique_address]] message_record rec;
    // The one-byte fields together (see message_record): one of these per message in flight.
    message_phase phase = message_phase::queued;
    bool counts_toward_frequency = false;
    bool keyword_reply = false;  // sent by smppgw itself: exempt from opt-outs
    bool in_book = true;  // false once it left the live state (materialized, rolled back)
    // Memory only, for the gateway: the policy generation the message was last checked against
    // (a STOP after that makes the gateway look again before a carrier gets it). 32 bits: the
    // generation wraps after 4 billion policy changes, and a message would be taken as current
    // only if it was checked exactly a multiple of that many changes ago.
    std::atomic<std::uint32_t> checked_epoch{0};
    // Owners of the message (message_ptr), counted here rather than in a control block beside
    // it: the count costs 4 bytes instead of 16, and every pointer to it 8 instead of 16.
    mutable std::atomic<std::uint32_t> references{0};
    // Memory only: when this process accepted it, for the latency metrics, as the steady clock
    // in 100-microsecond ticks modulo 2^32 (0: not known). See seconds_since_accepted().
    std::uint32_t accepted_ticks = 0;
    lsn_t lsn = 0;               // the last record applied to it
    time_point release{};        // deferred: when the policy runs again
    time_point reserved_at{};    // when its send was counted (given back at that time)

    // Notes that this process accepted (or reloaded) the message now.
    void stamp_accepted() noexcept;
    // Seconds since stamp_accepted(), none if it was never called. The ticks wrap after 4.9
    // days, so an age of more than a day is taken from the record's receive time instead
    // (wall clock, milliseconds), against `now`.
    [[nodiscard]] std::optional<double> seconds_since_accepted(time_point now) const noexcept;
};

// At most 224 bytes keeps a message in jemalloc's 224-byte class, where a million messages in
// flight take 214 MiB (the next class is 256).
static_assert(sizeof(live_message) <= 224, "a message in flight grew: see the comment above");

inline void intrusive_ptr_add_ref(const live_message* m) noexcept {
    m->references.fetch_add(1, std::memory_order_relaxed);
}
inline void intrusive_ptr_release(const live_message* m) noexcept {
    if (m->references.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        delete m;
    }
}

// A shared owner of a message in flight (the live state, a carrier bind sending it, a
// completion waiting for its record).
using message_ptr = boost::intrusive_ptr<live_message>;

[[nodiscard]] inline message_ptr make_message() { return message_ptr{new live_message}; }

// What a checkpoint, a recovery or the metrics see of the live state.
struct live_counts {
    std::uint64_t queued = 0;
    std::uint64_t deferred = 0;
    std::uint64_t submitting = 0;
    std::uint64_t awaiting_receipt = 0;
    std::uint64_t finished = 0;       // waiting for the materializer
    std::uint64_t outbox_entries = 0;
    std::uint64_t unmatched_receipts = 0;
    std::uint64_t materializer_queue = 0;
};

struct outbox_depth {
    std::string account;
    std::uint64_t ready = 0;      // deliverable, not handed to a session
    std::uint64_t in_flight = 0;  // handed to a session, not yet acknowledged
    std::uint64_t pending = 0;    // not yet durable
};

// One unmatched receipt as the admin API shows it.
struct unmatched_receipt {
    std::string carrier;
    std::string carrier_message_id;
    time_point when{};
    std::string pdu;
    lsn_t lsn = 0;
};

// What the materializer writes: finished messages' rows and audit records, in LSN order.
struct materialize_item {
    lsn_t lsn = 0;
    message_id message = 0;  // non-zero: `row` is this finished message's encoded record
    std::string row;
    // The carrier ids of its parts, so a receipt that comes after it left memory (a carrier
    // repeating one, a late one) is still recognised: (carrier \0 id, part).
    std::vector<std::pair<std::string, std::uint16_t>> carrier_ids;
    // A decision for the audit trail (refusal, deferral), or how `message` ended.
    std::optional<audit_record> audit;
    // How `message` counts in the traffic statistics; none for the replies smppgw sends itself.
    std::optional<traffic_sample> traffic;
};

class live_state {
public:
    live_state(journal& j, std::shared_ptr<const clock> clk);
    ~live_state();
    live_state(const live_state&) = delete;
    live_state& operator=(const live_state&) = delete;

    // The clock every transition's time comes from.
    [[nodiscard]] time_point now() const { return clock_->now(); }

    // Called (on the journal's completion thread) when the outbox of `account` gained
    // deliverable entries; set once before traffic.
    void on_outbox_ready(std::function<void(std::string_view account)> fn);

    // The journal reports each group of records: durable (ec empty) or failed. Runs before the
    // group's completions. Rebuilds nothing; see the header comment for what a failure undoes.
    void group_completed(lsn_t first, std::size_t count, std::error_code ec);

    // ---- MT messages -------------------------------------------------------------------------
    // A new message, queued or deferred (r.message.state). `extra` joins the record's group.
    message_ptr accept(accepted_record r, batch* extra, completion done);
    // Deferred messages whose release time has come (at most `limit`), out of the deferred
    // index; the scheduler answers each with release(), defer_again() or end().
    //
    // Transitions on one message return false, and drop `done` without calling it, when the
    // message is no longer in a phase that allows them (cancelled meanwhile, rolled back, ...).
    [[nodiscard]] std::vector<message_ptr> take_due(time_point now, std::size_t limit);
    // `counts`: the release counts a send toward a frequency cap (its reservation is in
    // `extra`, made at `when`).
    bool release(const message_ptr& m, time_point when, bool counts, batch* extra,
                 completion done);
    bool defer_again(const message_ptr& m, time_point until, time_point when, completion done);
    // A carrier bind takes a queued message: false when it is no longer queued (cancelled,
    // replaced into deferral, ended).
    [[nodiscard]] bool begin_submit(const message_ptr& m);
    // Back to the queue (the bind lost its session, failover to another carrier).
    void requeue(const message_ptr& m);
    // The carrier acknowledged a part: maps its carrier message id for receipts. Returns the
    // unmatched receipts kept for that id (usually none), for the caller to apply now.
    [[nodiscard]] std::vector<unmatched_receipt> submitted(const message_ptr& m,
                                                           submitted_record r, completion done);
    // Ends a message that has no receipt to wait for (r.state failed, expired or cancelled).
    // A message that counted toward a frequency cap gives its reservation back in the same
    // group. False if it had already ended.
    bool end(const message_ptr& m, ended_record r, completion done);
    // Receipts that never come: a message awaiting receipts with no news (its last event) for
    // longer than `timeout` is overdue; 0 waits forever. Each checkpoint's walk over the
    // messages notes the overdue ones (no extra pass over a million messages), and
    // take_overdue() hands them out, for the gateway to end() them as `unknown`.
    void set_receipt_timeout(std::chrono::milliseconds timeout);
    [[nodiscard]] std::vector<message_ptr> take_overdue(std::size_t max);
    // The same walk without a snapshot, for an interval with nothing to checkpoint: notes at
    // most `max` overdue messages, taking the lock for `per_lock` messages at a time. Returns
    // how many it noted.
    std::size_t find_overdue(std::size_t max, std::size_t per_lock = 4096);
    // At most this many overdue messages are noted per walk (the next walk finds the rest).
    static constexpr std::size_t overdue_per_walk = 100'000;
    // cancel_sm: ends a queued or deferred message of `account`.
    enum class change_result : std::uint8_t { done, not_found, not_allowed };
    change_result cancel(message_id id, std::string_view account, ended_record r,
                         completion done);
    // replace_sm: new text (and registered_delivery when non-zero) for a queued or deferred
    // message of `account`.
    change_result replace(message_id id, std::string_view account, replaced_record r,
                          completion done);

    // Every message waiting for a carrier (after a restart: what to route again), by id.
    [[nodiscard]] std::vector<message_ptr> queued() const;
    // A copy of a live message (any phase), if there is one.
    [[nodiscard]] std::optional<message_record> find(message_id id) const;
    [[nodiscard]] message_ptr get(message_id id) const;

    // ---- receipts ----------------------------------------------------------------------------
    // Looks up (carrier, carrier message id); `fold` sees the message and the part under the
    // lock and returns the record to write, or nullopt to write nothing (a repeat). `resolves`
    // names unmatched receipts (by entry) this one settles, in the same group.
    using receipt_fold =
        std::function<std::optional<receipt_record>(const live_message&, std::uint16_t part)>;
    enum class receipt_result : std::uint8_t { applied, repeat, unknown };
    // `done` is taken (moved from) only when the result is `applied`.
    receipt_result receipt(std::string_view carrier, std::string_view carrier_message_id,
                           const receipt_fold& fold, completion&& done,
                           std::span<const lsn_t> resolves = {});
    // A receipt nobody can match yet is kept until a mapping for its id appears (submitted()
    // hands it back) or an operator drops it. Bounded: beyond `limit` the oldest is dropped;
    // returns false when one was.
    bool keep_unmatched(unmatched_record r, std::size_t limit, completion done);
    // Oldest first, from the first entry after `after`.
    [[nodiscard]] std::vector<unmatched_receipt> list_unmatched(std::size_t limit,
                                                                lsn_t after = 0) const;
    // Operator decision: forget one (false if unknown).
    bool drop_unmatched(lsn_t entry, completion done);

    // ---- outbox ------------------------------------------------------------------------------
    // An MO (or other entry) for `account`, with the keyword effects in `extra` and the
    // replies the gateway sends itself (opt-out confirmation, HELP) accepted in the same group.
    // The replies' live messages go to `accepted` before the lock is let go, so `done` (which
    // cannot run earlier) may read them.
    void mo(mo_record r, std::vector<accepted_record> replies, batch* extra,
            std::vector<message_ptr>* accepted, completion done);
    // Several entries (another node's batch) in one group: all durable, or none.
    void outbox_entries(std::vector<mo_record> rs, completion done);
    // Hands up to `max` deliverable entries of `account` to `send` (under the lock), oldest
    // first; an entry `send` accepts (returns true) is in flight until delivered() or
    // returned(). Returns how many were handed out.
    using outbox_sender = std::function<bool(lsn_t entry, outbox_kind kind, std::string_view bytes)>;
    std::size_t take_outbox(std::string_view account, std::size_t max, const outbox_sender& send);
    // The account acknowledged the entry (or refused it for good): gone. Nothing waits for the
    // record in the gateway (a lost one only means the entry is delivered again after a crash);
    // `done` is for those who want to know.
    void delivered(std::string_view account, lsn_t entry, completion done = {});
    // Several at once (a batch another node's stream stored), in one group.
    void delivered(std::string_view account, std::span<const lsn_t> entries);
    // Not delivered (timeout, throttled, session lost): deliverable again, in order.
    void returned(std::string_view account, lsn_t entry);
    [[nodiscard]] std::vector<outbox_depth> outboxes() const;
    [[nodiscard]] bool has_deliverable(std::string_view account) const;
    // store.retention.outbox: entries waiting (deliverable, not in flight) since before
    // `before` are dropped, at most `max` per call, each journaled like a delivery. Returns
    // how many went per account.
    [[nodiscard]] std::vector<std::pair<std::string, std::size_t>> expire_outbox(
        time_point before, std::size_t max);

    // ---- audit -------------------------------------------------------------------------------
    // A policy decision for the audit trail: a refusal, a deferral (no completion: nothing
    // waits for it).
    void audit(audit_record a);

    // ---- materializer ------------------------------------------------------------------------
    // Durable items not yet written, oldest first, at most `max`; encoded outside the lock.
    // One caller at a time (the materializer), the same that calls materialized().
    [[nodiscard]] std::vector<materialize_item> materializable(std::size_t max) const;
    // Items up to `through` are written: finished messages leave the live state.
    void materialized(lsn_t through);
    [[nodiscard]] lsn_t materialized_through() const;
    // True once every record up to `lsn` is durable and everything they made for the
    // materializer is written (read-your-writes for the audit API).
    [[nodiscard]] bool materialized_up_to(lsn_t lsn) const;
    [[nodiscard]] lsn_t next_lsn() const noexcept { return journal_.next_lsn(); }

    // ---- checkpoints and recovery ------------------------------------------------------------
    // A fuzzy snapshot: the returned LSN P is such that loading the chunks and replaying every
    // record from P on gives the state as of the last record. `sink` gets chunks of encoded
    // entries (called without the lock held).
    lsn_t snapshot(const std::function<void(std::string_view chunk)>& sink,
                   std::size_t chunk_entries = 1024);
    // Recovery, single-threaded, before traffic: load every chunk of the checkpoint, then
    // replay every journal record after it, then finish.
    [[nodiscard]] bool load_chunk(std::string_view chunk);
    [[nodiscard]] bool replay(lsn_t lsn, record_kind kind, std::string_view payload);
    void finish_recovery(lsn_t materialized_watermark);

    [[nodiscard]] live_counts counts() const;
    // Messages accepted and not yet acknowledged by a carrier (queued or being submitted):
    // admission compares it with server.max_pending_messages. Lock-free.
    [[nodiscard]] std::uint64_t waiting_for_carrier() const noexcept;
    // The largest message id this state has seen (the id generator starts above it).
    [[nodiscard]] message_id max_id() const;

private:
    struct outbox_entry_state {
        lsn_t id = 0;
        outbox_kind kind = outbox_kind::dlr;
        time_point created{};
        std::string bytes;
    };
    struct account_outbox {
        std::map<lsn_t, outbox_entry_state> ready;      // deliverable, by id
        std::map<lsn_t, outbox_entry_state> in_flight;  // handed to a session
        std::map<lsn_t, outbox_entry_state> pending;    // waiting for durability
    };
    struct correlation {
        message_ptr message;
        std::uint16_t part = 0;
    };
    // What a failed group must undo, and what a durable one unlocks, per record.
    struct pending_effect {
        pending_effect(lsn_t l, record_kind k, message_ptr m, std::string a = {})
            : lsn(l), kind(k), message(std::move(m)), account(std::move(a)) {}
        lsn_t lsn = 0;
        record_kind kind = record_kind::accepted;
        message_ptr message;
        std::string account;  // outbox entries
        // receipt: the part and the message as they were before it
        std::uint16_t part = 0;
        message_state previous_state = message_state::submitted;
        std::uint32_t previous_error = 0;
        time_point previous_updated{};
        bool finished_message = false;
        message_phase previous_phase = message_phase::queued;
        message_state previous_message_state = message_state::submitted;
        std::size_t previous_history = 0;
        lsn_t previous_lsn = 0;
        time_point previous_release{};
        bool previous_counts = false;
    };

    lsn_t append(record_kind kind, std::string_view payload, batch* extra, completion done);
    lsn_t append_many(std::span<const record_ref> records, batch* extra, completion done);

    // One apply per record kind; live path and replay share them.
    message_ptr apply(lsn_t lsn, accepted_record r, bool replaying);
    void apply(lsn_t lsn, const released_record& r);
    void apply(lsn_t lsn, const deferred_record& r);
    void apply(lsn_t lsn, const submitted_record& r);
    bool apply(lsn_t lsn, const receipt_record& r, bool replaying);
    void apply(lsn_t lsn, const ended_record& r, bool replaying);
    void apply(lsn_t lsn, const replaced_record& r);
    void apply(lsn_t lsn, mo_record r, bool replaying);
    void apply_delivered(lsn_t lsn, const outbox_done_record& r);
    void apply(lsn_t lsn, audit_entry_record r);
    void apply(lsn_t lsn, restored_record r);
    void apply(lsn_t lsn, unmatched_record r);
    void apply(lsn_t lsn, const unmatched_resolved_record& r);

    void add_outbox_entry(lsn_t lsn, const std::string& account, outbox_kind kind,
                          time_point created, std::string bytes, bool replaying);
    void finish(live_message& m, message_ptr self, lsn_t lsn);
    void map_part(const message_ptr& m, std::uint16_t part);
    void unmap_parts(const live_message& m);
    void insert_deferred(const message_ptr& m);
    void erase_deferred(const live_message& m);
    void remove_message(const message_ptr& m);
    [[nodiscard]] message_ptr lookup(message_id id) const;
    // Applies a record at `lsn` only if it is newer than what the message already reflects
    // (checkpoints are fuzzy: a record may be older than the snapshot of its message).
    [[nodiscard]] message_ptr target(message_id id, lsn_t lsn) const;
    void rollback(const pending_effect& e);
    void set_phase(live_message& m, message_phase p);
    void count_in(const live_message& m);

    static std::string correlation_key(std::string_view carrier, std::string_view id);
    static std::uint64_t correlation_hash(std::string_view carrier, std::string_view id) noexcept;
    // The entry for (carrier, id), if any.
    [[nodiscard]] const correlation* correlated(std::string_view carrier,
                                                std::string_view id) const;

    journal& journal_;
    std::shared_ptr<const clock> clock_;
    std::function<void(std::string_view)> outbox_ready_;

    // The messages by id: a flat table of 8-byte pointers (each message knows its own id)
    // rather than a node per message.
    struct by_id {
        using is_transparent = void;
        std::size_t operator()(message_id id) const noexcept { return std::hash<message_id>{}(id); }
        std::size_t operator()(const message_ptr& m) const noexcept { return (*this)(m->rec.id); }
        bool operator()(const message_ptr& a, const message_ptr& b) const noexcept {
            return a->rec.id == b->rec.id;
        }
        bool operator()(message_id a, const message_ptr& b) const noexcept { return a == b->rec.id; }
        bool operator()(const message_ptr& a, message_id b) const noexcept { return a->rec.id == b; }
    };

    mutable std::mutex mu_;
    boost::unordered_flat_set<message_ptr, by_id, by_id> messages_;
    std::set<std::pair<time_point, message_id>> deferred_;
    // (carrier, carrier message id) -> which part of which message, keyed by a hash of both:
    // no key string is built per lookup; entries that share a hash are told apart by the
    // message's own carrier and part ids.
    std::unordered_multimap<std::uint64_t, correlation> correlation_;
    std::map<std::string, account_outbox, std::less<>> outboxes_;
    std::map<lsn_t, unmatched_receipt> unmatched_;                        // by entry
    std::unordered_map<std::string, std::vector<lsn_t>> unmatched_by_id_;  // carrier \0 id
    std::deque<std::pair<lsn_t, audit_record>> audits_;                  // not yet written
    // Finished messages not yet written, in LSN order (finishes happen in LSN order; a
    // checkpoint's load sorts them once).
    std::deque<std::pair<lsn_t, message_ptr>> finished_;
    std::deque<pending_effect> pending_;                                 // not yet durable
    std::chrono::milliseconds receipt_timeout_{0};  // 0: never overdue
    std::vector<message_ptr> overdue_;              // found by the last snapshot
    std::array<std::atomic<std::uint64_t>, 5> phase_counts_{};  // by message_phase
    lsn_t durable_through_ = 0;
    lsn_t materialized_through_ = 0;
    message_id max_id_ = 0;
    std::string scratch_;
};

}  // namespace smppgw::store
