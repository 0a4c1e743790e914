#pragma once
// smppgw::store::store — the gateway's durable state in RocksDB.
//
// Threading: every method is thread-safe. commit() never blocks (beyond a short mutex) and runs
// the callback on the committer's completion thread; reads run on the caller's thread against
// RocksDB (block cache) or the in-memory indexes. The policy lookups (find_optout, find_consent,
// recent_sends) answer from memory where they can and never throw.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <system_error>
#include <vector>

#include "smppgw/policy/lookups.hpp"
#include "smppgw/policy/records.hpp"
#include "smppgw/store/batch.hpp"
#include "smppgw/store/error.hpp"
#include "smppgw/store/message_record.hpp"
#include "smppgw/store/options.hpp"
#include "smppgw/store/records.hpp"
#include "smppgw/store/recovery.hpp"
#include "smppgw/store/stats.hpp"

namespace smppgw::store {

// Runs exactly once per commit(): on the committer's completion thread ("smppgw-sync") after the
// batch is durable (per the sync mode) or failed, or inline before commit() returns when the
// batch is refused (closed, queue_full, invalid_argument). Must not block; post to your own
// executor.
using commit_callback = std::function<void(std::error_code)>;

class store final : public policy::optout_lookup,
                    public policy::consent_lookup,
                    public policy::frequency_lookup {
public:
    // Opens (or creates) the store at options.path, rebuilds the in-memory indexes and builds
    // the recovery report. Throws open_error naming the path and the problem for a foreign,
    // damaged, locked or newer-format directory.
    [[nodiscard]] static std::unique_ptr<store> open(store_options options);

    ~store() override;
    store(const store&) = delete;
    store& operator=(const store&) = delete;

    [[nodiscard]] const recovery_report& recovery() const noexcept;
    [[nodiscard]] const store_options& options() const noexcept;
    [[nodiscard]] time_point now() const noexcept;
    [[nodiscard]] message_id next_id() noexcept;

    // --- writes ---------------------------------------------------------------------------
    void commit(batch&& b, commit_callback done);
    // Blocking convenience for tools, imports and tests; never call it on an I/O thread.
    // Returns store_errc::would_deadlock when called from a commit callback.
    [[nodiscard]] std::error_code commit_sync(batch&& b);
    // Drains queued batches and stops the committer; later commits fail with `closed`.
    // Idempotent; the destructor calls it.
    void close();

    // --- messages -------------------------------------------------------------------------
    [[nodiscard]] result<std::optional<message_record>> get_message(message_id id) const;
    [[nodiscard]] result<std::optional<carrier_mapping>> find_carrier_id(
        std::string_view carrier, std::string_view carrier_message_id) const;
    // Pending (accepted/queued, not submitted) ids greater than `after`, ascending.
    [[nodiscard]] result<std::vector<message_id>> list_pending(message_id after,
                                                               std::size_t limit) const;

    // --- opt-outs -------------------------------------------------------------------------
    // policy::optout_lookup, answered from an in-memory mirror of the active opt-outs (16 bytes
    // per slot); RocksDB is read only when two keys' hashes collide. On a read error it answers
    // opted-out (fail closed) and counts commit_stats::lookup_errors.
    [[nodiscard]] std::optional<policy::optout_summary> find_optout(
        std::string_view brand, std::string_view msisdn) const override;
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

    // --- deferred -------------------------------------------------------------------------
    // Entries with release <= now, by release time, at most `limit`.
    [[nodiscard]] result<std::vector<deferred_entry>> due_deferred(time_point now,
                                                                   std::size_t limit) const;

    // --- outbox ---------------------------------------------------------------------------
    // Unacknowledged entries of `account` with seq >= from_seq, ascending, at most `limit`.
    [[nodiscard]] result<std::vector<outbox_entry>> read_outbox(std::string_view account,
                                                                std::uint64_t from_seq,
                                                                std::size_t limit) const;
    [[nodiscard]] outbox_status outbox(std::string_view account) const;
    [[nodiscard]] std::vector<outbox_status> outboxes() const;

    // --- frequency ------------------------------------------------------------------------
    // policy::frequency_lookup, a RocksDB Get of the merged send list. On a read error it
    // answers a full history at `since` (fail closed: any cap is reached).
    [[nodiscard]] policy::send_history recent_sends(std::string_view brand, std::string_view msisdn,
                                                    time_point since) const override;

    // --- audit ----------------------------------------------------------------------------
    // Decisions with from <= when < to, by time, at most `limit`.
    [[nodiscard]] result<std::vector<audit_record>> audit_by_time(time_point from, time_point to,
                                                                  std::size_t limit) const;
    [[nodiscard]] result<std::vector<audit_record>> audit_by_msisdn(std::string_view msisdn,
                                                                    time_point from, time_point to,
                                                                    std::size_t limit) const;

    // --- operations -----------------------------------------------------------------------
    // A consistent online copy (rocksdb::Checkpoint) in `dir`, which must not exist yet. The
    // copy opens as a store.
    [[nodiscard]] std::error_code checkpoint(const std::filesystem::path& dir) const;
    // Flushes memtables and compacts every family to the bottom: retention applies now.
    [[nodiscard]] std::error_code compact();
    [[nodiscard]] std::error_code flush();
    [[nodiscard]] commit_stats stats() const;
    // Bytes of every file in the store directory (tables, WAL, manifest, logs).
    [[nodiscard]] std::uint64_t disk_usage() const;
    // The compression chosen at open from what the RocksDB build supports, e.g.
    // "LZ4 (bottommost ZSTD)"; for the startup log.
    [[nodiscard]] std::string_view compression() const noexcept;

    struct impl;

private:
    explicit store(std::unique_ptr<impl> p);
    std::unique_ptr<impl> impl_;
};

}  // namespace smppgw::store
