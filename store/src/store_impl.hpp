#pragma once
// store::impl: what a store owns, shared by the per-concern source files (messages.cpp,
// optouts.cpp, consents.cpp, holds.cpp, freq.cpp, audit.cpp, recovery.cpp, checkpoint.cpp,
// materializer.cpp).
//
// Order of shutdown (~impl): the checkpointer and the materializer stop first, then the
// committer drains and joins (its completion thread calls into the live state), then the live
// state and the indexes go, then the database.

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>

#include <rocksdb/slice.h>

#include "commit_queue.hpp"
#include "database.hpp"
#include "indexes.hpp"
#include "smppgw/store/id_generator.hpp"
#include "smppgw/store/live_state.hpp"
#include "smppgw/store/store.hpp"

namespace smppgw::store {

struct store::impl final : detail::commit_hooks {
    explicit impl(store_options o);
    ~impl() override;

    // detail::commit_hooks
    void applied(const detail::group_effects& fx, bool durable) override;      // completion thread
    void records_completed(lsn_t first, std::size_t count, std::error_code ec) override;
    void written(std::size_t record_bytes, std::error_code ec) override;       // writer thread

    // recovery.cpp: indexes, the format-1 upgrade, checkpoint + journal replay (open only,
    // single-threaded), then the committer and the background threads start.
    void recover();
    void load_indexes();
    void upgrade_format_1();
    void rebuild_live_state();
    void refresh_consent(std::string_view state_key);
    void start_background();
    void stop();

    // checkpoint.cpp
    [[nodiscard]] std::error_code write_checkpoint();
    void checkpoint_loop();
    // materializer.cpp
    void materializer_loop();
    [[nodiscard]] bool materialize_once();
    // traffic.cpp: at open, before the lowest watermark is computed, gives a stats family that
    // has no watermark yet (new, or a store from before it) the others' lowest, durably, and
    // remembers the family's watermark in traffic_counted.
    void init_traffic_watermark();

    // Point read; nullopt value for NotFound.
    [[nodiscard]] result<std::optional<std::string>> get(column_family cf,
                                                         std::string_view key) const;
    // Visits keys in [lower, upper) (upper empty: to the end) until fn returns false. A bulk
    // scan (open, export) reads ahead and keeps its blocks out of the block cache, which
    // belongs to the lookups.
    using visitor = std::function<bool(std::string_view key, std::string_view value)>;
    [[nodiscard]] std::error_code scan(column_family cf, std::string_view lower,
                                       std::string_view upper, const visitor& fn,
                                       bool bulk = false) const;

    void count_lookup_error() const noexcept {
        lookup_errors.fetch_add(1, std::memory_order_relaxed);
    }

    store_options opts;
    std::shared_ptr<const clock> clk;
    std::unique_ptr<detail::database> db;
    id_generator ids;

    // Policy indexes. The opt-out index has one writer at a time: the completion thread
    // (durable changes) and announce_optout (a STOP being handled) take optout_writer.
    detail::optout_index optouts;
    std::mutex optout_writer;
    std::unique_ptr<detail::consent_index> consents;  // null in consent_index_mode::rocksdb
    mutable std::shared_mutex holds_mu;
    std::map<std::string, policy::hold_record, std::less<>> holds;  // brand \0 msisdn
    std::atomic<std::size_t> holds_count{0};
    // Sends reserved at acceptance whose batch is not written yet (brand \0 msisdn -> times).
    mutable std::mutex sends_mu;
    std::unordered_multimap<std::string, time_point> pending_sends;
    std::atomic<std::size_t> pending_sends_count{0};
    // store::on_send_counts: guarded by send_listener_mu (taken once per group with sends).
    // send_listener_set spares a single node (no listener) the mutex on every group.
    std::atomic<bool> send_listener_set{false};
    std::mutex send_listener_mu;
    std::function<void(std::span<const send_count_change>)> send_listener;
    void tell_send_counts(const detail::group_effects& fx);

    recovery_report report;
    mutable std::atomic<std::uint64_t> lookup_errors{0};

    std::unique_ptr<live_state> live;
    std::unique_ptr<detail::committer> committer;

    // Checkpoints: state shared by the checkpointer thread, checkpoint_now() and the hooks.
    std::mutex checkpoint_run;         // one checkpoint at a time
    mutable std::mutex checkpoint_mu;  // guards `checkpoint`
    store::checkpoint_status checkpoint;
    std::atomic<std::uint64_t> journal_bytes_since{0};
    // Size of the last checkpoint written. The journal-size trigger is never below it: with a
    // large live state (a million messages in flight) a small trigger would otherwise spend the
    // disk rewriting checkpoints instead of journaling.
    std::atomic<std::uint64_t> last_checkpoint_bytes{0};
    [[nodiscard]] bool checkpoint_due_by_size() const noexcept;
    // With nothing journaled since the last checkpoint, the interval trigger waits this long
    // instead (checkpoint_loop).
    static constexpr std::chrono::hours idle_checkpoint_every{1};
    std::atomic<bool> resync_wanted{false};  // a write failed: memory must become durable again
    std::mutex wake_mu;
    std::condition_variable checkpoint_cv;    // the checkpointer sleeps here
    std::condition_variable materializer_cv;  // the materializer sleeps here
    bool stopping = false;                    // guarded by wake_mu
    std::thread checkpointer;
    std::thread materializer;
    std::atomic<lsn_t> materialized{0};
    std::atomic<bool> materialize_now{false};  // a reader waits for the materializer
    // Held by the materializer for each batch and by a checkpoint from the flush of the
    // materialized families to the end of its snapshot: nothing leaves the live state in
    // between, so what the snapshot lacks is on disk.
    std::mutex materializer_gate;
    // Items up to here are counted in the stats family (its watermark): a re-materialized item at
    // or below it is not counted again. Guarded by materializer_gate after open.
    lsn_t traffic_counted = 0;
    std::mutex traffic_listener_mu;
    std::function<void(const std::vector<traffic_event>&)> traffic_listener;
};

namespace detail {

[[nodiscard]] inline rocksdb::Slice slice(std::string_view s) noexcept {
    return {s.data(), s.size()};
}
[[nodiscard]] inline std::string_view view(const rocksdb::Slice& s) noexcept {
    return {s.data(), s.size()};
}

// The smallest key greater than every key starting with `prefix` (empty: no bound).
[[nodiscard]] std::string prefix_successor(std::string_view prefix);

// A per-thread scratch key so hot lookups do not allocate after warm-up.
[[nodiscard]] std::string& scratch_key() noexcept;

}  // namespace detail
}  // namespace smppgw::store
