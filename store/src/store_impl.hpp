#pragma once
// store::impl: what a store owns, shared by the per-concern source files (messages.cpp,
// optouts.cpp, consents.cpp, outbox.cpp, deferred.cpp, freq.cpp, audit.cpp, recovery.cpp).
//
// Member order is destruction order in reverse: the committer is declared last so it stops
// (drains, joins) before the indexes and the database it uses go away.

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <rocksdb/slice.h>

#include "commit_queue.hpp"
#include "database.hpp"
#include "indexes.hpp"
#include "outbox_tracker.hpp"
#include "smppgw/store/id_generator.hpp"
#include "smppgw/store/store.hpp"

namespace smppgw::store {

struct store::impl final : detail::commit_hooks {
    explicit impl(store_options o);
    ~impl() override;

    // detail::commit_hooks (assign_outbox_seq: writer thread; applied: completion thread)
    [[nodiscard]] std::uint64_t assign_outbox_seq(std::string_view account) override;
    void applied(const detail::group_effects& fx, bool durable) override;

    // recovery.cpp: index rebuild and the recovery report (open only, single-threaded).
    void recover();
    void refresh_consent(std::string_view state_key);

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
    detail::optout_index optouts;
    std::unique_ptr<detail::consent_index> consents;  // null in consent_index_mode::rocksdb
    detail::outbox_tracker outbox;
    recovery_report report;
    mutable std::atomic<std::uint64_t> lookup_errors{0};
    std::unique_ptr<detail::committer> committer;
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
