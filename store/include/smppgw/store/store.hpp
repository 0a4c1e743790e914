#pragma once
// smppgw::store::store — the gateway's durable state in RocksDB.
//
//   journal      every transition of a message, appended (live_state writes it)
//   live_state   messages in flight and outboxes, in memory, rebuilt at open from the last
//                checkpoint plus the journal after it
//   checkpoints  the live state written periodically (by time and by journal size) so the
//                journal before it can be trimmed
//   materializer finished messages, audit records: written from the live state in the
//                background, in sorted batches, with a watermark
//   indexes      opt-outs, consents, review holds and send counts, read by the policy stage
//
// Threads the store runs: the committer's writer and completion threads, the materializer and
// the checkpointer. Every public method is thread-safe. commit() never blocks (beyond a short
// mutex) and runs the callback on the completion thread; reads run on the caller's thread
// against RocksDB (block cache) or the in-memory indexes. The policy lookups (find_optout,
// find_consent, recent_sends, find_hold) answer from memory where they can and never throw.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <system_error>
#include <vector>

#include "smppgw/policy/lookups.hpp"
#include "smppgw/policy/records.hpp"
#include "smppgw/store/batch.hpp"
#include "smppgw/store/error.hpp"
#include "smppgw/store/journal.hpp"
#include "smppgw/store/live_state.hpp"
#include "smppgw/store/message_record.hpp"
#include "smppgw/store/options.hpp"
#include "smppgw/store/records.hpp"
#include "smppgw/store/recovery.hpp"
#include "smppgw/store/stats.hpp"
#include "smppgw/store/traffic.hpp"

namespace smppgw::store {

// Runs exactly once per commit(): on the committer's completion thread ("smppgw-sync") after the
// batch is durable (per the sync mode) or failed, or inline before commit() returns when the
// batch is refused (closed, queue_full, invalid_argument). Must not block; post to your own
// executor.
using commit_callback = std::function<void(std::error_code)>;

class store final : public policy::optout_lookup,
                    public policy::consent_lookup,
                    public policy::frequency_lookup,
                    public policy::hold_lookup {
public:
    // Opens (or creates) the store at options.path, rebuilds the in-memory indexes and the live
    // state (checkpoint + journal), upgrades a format-1 store in place, and builds the recovery
    // report. Throws open_error naming the path and the problem for a foreign, damaged, locked
    // or newer-format directory.
    [[nodiscard]] static std::unique_ptr<store> open(store_options options);

    ~store() override;
    store(const store&) = delete;
    store& operator=(const store&) = delete;

    [[nodiscard]] const recovery_report& recovery() const noexcept;
    [[nodiscard]] const store_options& options() const noexcept;
    [[nodiscard]] time_point now() const noexcept;
    [[nodiscard]] message_id next_id() noexcept;

    // --- the message path -----------------------------------------------------------------
    // Messages in flight and outboxes (see live_state.hpp); transitions go to the journal.
    [[nodiscard]] live_state& live() noexcept;
    [[nodiscard]] const live_state& live() const noexcept;

    // --- writes ---------------------------------------------------------------------------
    void commit(batch&& b, commit_callback done);
    // Blocking convenience for tools, imports and tests; never call it on an I/O thread.
    // Returns store_errc::would_deadlock when called from a commit callback.
    [[nodiscard]] std::error_code commit_sync(batch&& b);
    // Drains queued batches and stops the committer; later commits fail with `closed`.
    // Idempotent; the destructor calls it.
    void close();

    // --- messages -------------------------------------------------------------------------
    // A message in flight (from memory) or finished (its materialized row).
    [[nodiscard]] result<std::optional<message_record>> get_message(message_id id) const;
    [[nodiscard]] result<std::optional<carrier_mapping>> find_carrier_id(
        std::string_view carrier, std::string_view carrier_message_id) const;

    // --- opt-outs -------------------------------------------------------------------------
    // policy::optout_lookup, answered from an in-memory mirror of the active opt-outs (16 bytes
    // per slot); RocksDB is read only when two keys' hashes collide. On a read error it answers
    // opted-out (fail closed) and counts commit_stats::lookup_errors.
    [[nodiscard]] std::optional<policy::optout_summary> find_optout(
        std::string_view brand, std::string_view msisdn) const override;
    // Makes an opt-out visible to lookups now, before the batch that records it is durable
    // (a STOP is in force from the moment it is understood; a failed write leaves it in force,
    // the safe direction, and the carrier delivers the STOP again).
    void announce_optout(std::string_view brand, std::string_view msisdn, time_point when);
    [[nodiscard]] result<std::optional<policy::optout_record>> get_optout(
        std::string_view brand, std::string_view msisdn) const;
    // Every opt-out of one brand (policy::all_brands for STOPALL), in msisdn order. `fn`
    // returns false to stop early.
    [[nodiscard]] std::error_code for_each_optout(
        std::string_view brand, const std::function<bool(const policy::optout_record&)>& fn) const;
    // The put/lift evidence of (brand, msisdn), oldest first.
    [[nodiscard]] result<std::vector<optout_event>> optout_history(std::string_view brand,
                                                                   std::string_view msisdn) const;
    // Every opt-out of every brand.
    [[nodiscard]] std::error_code for_each_optout(
        const std::function<bool(const policy::optout_record&)>& fn) const;

    // --- consents -------------------------------------------------------------------------
    [[nodiscard]] std::optional<policy::consent_summary> find_consent(
        std::string_view brand, std::string_view msisdn,
        policy::message_class klass) const override;
    // The current (folded) record, with the proof of the event in force.
    [[nodiscard]] result<std::optional<policy::consent_record>> get_consent(
        std::string_view brand, std::string_view msisdn, policy::message_class klass) const;
    // Every event kept for (brand, msisdn, class) by effective time.
    [[nodiscard]] result<std::vector<policy::consent_record>> consent_history(
        std::string_view brand, std::string_view msisdn, policy::message_class klass) const;
    [[nodiscard]] std::error_code for_each_consent(
        const std::function<bool(const policy::consent_record&)>& fn) const;
    [[nodiscard]] std::error_code for_each_consent_event(
        const std::function<bool(const policy::consent_record&)>& fn) const;

    // --- review holds ---------------------------------------------------------------------
    // policy::hold_lookup, from memory.
    [[nodiscard]] std::optional<policy::hold_summary> find_hold(
        std::string_view brand, std::string_view msisdn) const override;
    // Every hold in force (brand, then number order), at most `limit`.
    [[nodiscard]] std::vector<policy::hold_record> list_holds(std::size_t limit) const;
    [[nodiscard]] std::optional<policy::hold_record> get_hold(std::string_view brand,
                                                              std::string_view msisdn) const;
    // Visible to lookups now (like announce_optout), durable with the batch that puts it.
    void announce_hold(const policy::hold_record& rec);

    // --- frequency ------------------------------------------------------------------------
    // policy::frequency_lookup: a RocksDB Get of the merged send list, plus the sends reserved
    // since that are not written yet. On a read error it answers a full history at `since`
    // (fail closed: any cap is reached).
    [[nodiscard]] policy::send_history recent_sends(std::string_view brand, std::string_view msisdn,
                                                    time_point since) const override;
    // Counts a send at acceptance: visible to recent_sends at once, written with `b`.
    void reserve_send(std::string_view brand, std::string_view msisdn, time_point when,
                      batch& b);
    // A send counted (+1: reserved at acceptance) or given back (-1: the message finally
    // failed, expired or was cancelled), as its group became durable. Views are valid during
    // the call only.
    struct send_count_change {
        std::string_view brand;
        std::string_view msisdn;
        time_point when;
        int delta = 0;
    };
    // Called on the completion thread ("smppgw-sync") once per durable group that counted or
    // gave back sends, in commit order: a cluster node shares them with the other nodes. Must
    // only hand the changes on (it delays every acknowledgement of the group). Set it before
    // traffic; may be replaced (or cleared with an empty function) at any time.
    void on_send_counts(std::function<void(std::span<const send_count_change>)> fn);

    // --- audit ----------------------------------------------------------------------------
    // Decisions with from <= when < to, by time, at most `limit`.
    [[nodiscard]] result<std::vector<audit_record>> audit_by_time(time_point from, time_point to,
                                                                  std::size_t limit) const;
    [[nodiscard]] result<std::vector<audit_record>> audit_by_msisdn(std::string_view msisdn,
                                                                    time_point from, time_point to,
                                                                    std::size_t limit) const;

    // --- traffic statistics (traffic.hpp) -------------------------------------------------
    // Counters per (account, brand, campaign) summed over the hours of the query, sorted by key;
    // keys without any count in those hours are absent.
    [[nodiscard]] result<std::vector<traffic_row>> traffic(const traffic_query& q) const;
    // Called on the materializer's thread after each batch it wrote, with the final states it
    // counted in it (for the metrics). May be set (or replaced) at any time; must not block.
    void on_traffic(std::function<void(const std::vector<traffic_event>&)> fn);

    // --- side records (batch::put_side_record) ---------------------------------------------
    [[nodiscard]] result<std::optional<std::string>> get_side_record(std::string_view owner,
                                                                     std::string_view key) const;
    // Every side record of `owner` in key order; `fn` returns false to stop early.
    [[nodiscard]] std::error_code for_each_side_record(
        std::string_view owner,
        const std::function<bool(std::string_view key, std::string_view value)>& fn) const;

    // --- checkpoints ----------------------------------------------------------------------
    // Writes a checkpoint of the live state now and trims the journal before it (blocking; the
    // checkpointer thread also does this by time and by journal size). Never on an I/O thread.
    [[nodiscard]] std::error_code checkpoint_now();
    struct checkpoint_status {
        std::uint64_t generation = 0;
        lsn_t lsn = 0;                    // the journal position it stands for
        std::uint64_t chunks = 0;
        std::uint64_t bytes = 0;
        std::chrono::milliseconds took{0};
        std::uint64_t journal_bytes_since = 0;  // appended after it
        std::uint64_t completed = 0;      // checkpoints written by this process
        std::uint64_t failed = 0;
        // Interval triggers passed over because nothing was journaled since the last one.
        std::uint64_t skipped_idle = 0;
    };
    [[nodiscard]] checkpoint_status last_checkpoint() const;
    [[nodiscard]] lsn_t materialized_through() const;
    // Waits (at most `timeout`) until everything journaled before the call is materialized:
    // the admin API's audit and message reads then see what the gateway just did. False on
    // timeout (disk full, a stalled write). Never on an I/O thread.
    [[nodiscard]] bool await_materialized(std::chrono::milliseconds timeout);

    // --- operations -----------------------------------------------------------------------
    // False while the store refuses writes (disk full, I/O errors) and has not recovered.
    [[nodiscard]] bool writable() const noexcept;
    // True once RocksDB met an error that only reopening the DB clears (a fatal background
    // error: a memtable switch whose WAL flush met a full disk, say). Writes stay refused until
    // the store is closed and opened again; what was acknowledged is in the journal.
    [[nodiscard]] bool needs_reopen() const noexcept;
    // Free bytes on the store's file system, if known.
    [[nodiscard]] std::optional<std::uint64_t> free_space() const;
    // A consistent online copy (rocksdb::Checkpoint) in `dir`, which must not exist yet. The
    // copy opens as a store (a backup).
    [[nodiscard]] std::error_code backup(const std::filesystem::path& dir) const;
    // Flushes memtables and compacts every family to the bottom: retention applies now.
    [[nodiscard]] std::error_code compact();
    [[nodiscard]] std::error_code flush();
    [[nodiscard]] commit_stats stats() const;
    // Bytes of every file in the store directory (tables, WAL, manifest, logs).
    [[nodiscard]] std::uint64_t disk_usage() const;
    // Bytes in RocksDB's memtables (all families): memory the store holds besides the live state.
    [[nodiscard]] std::uint64_t memtable_bytes() const;
    // The compression chosen at open from what the RocksDB build supports, e.g.
    // "LZ4 (bottommost ZSTD)"; for the startup log.
    [[nodiscard]] std::string_view compression() const noexcept;

    struct impl;

private:
    explicit store(std::unique_ptr<impl> p);
    std::unique_ptr<impl> impl_;
};

}  // namespace smppgw::store
