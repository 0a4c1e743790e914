// store: lifecycle (open, close), commit, generic reads, statistics and operations
// (checkpoint, compaction). Per-record-kind reads live in their own files.

#include "smppgw/store/store.hpp"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>
#include <rocksdb/utilities/checkpoint.h>

#include "keys.hpp"
#include "record_codec.hpp"
#include "store_impl.hpp"

namespace smppgw::store {

namespace fs = std::filesystem;
using detail::slice;
using detail::view;

namespace detail {

std::string prefix_successor(std::string_view prefix) {
    std::string s{prefix};
    while (!s.empty()) {
        auto& last = s.back();
        if (static_cast<unsigned char>(last) != 0xFF) {
            last = static_cast<char>(static_cast<unsigned char>(last) + 1);
            return s;
        }
        s.pop_back();
    }
    return s;
}

std::string& scratch_key() noexcept {
    thread_local std::string k;
    return k;
}

}  // namespace detail

namespace {

void validate(const store_options& o) {
    const auto where = o.path.string();
    auto bad = [&](std::string_view what) {
        throw open_error(fmt::format("smppgw store at '{}': invalid options: {}", where, what));
    };
    if (o.node_id > id_max_node) {
        bad("node_id above 1023");
    }
    if (o.group_max_commits == 0) {
        bad("group_max_commits is 0");
    }
    if (o.block_cache_bytes < (1U << 20U)) {
        bad("block_cache_bytes below 1 MiB");
    }
    if (o.retention.freq_window.count() < 0 || o.retention.messages.count() < 0 ||
        o.retention.carrier_ids.count() < 0 || o.retention.audit.count() < 0 ||
        o.retention.evidence.count() < 0 || o.retention.stats.count() < 0 ||
        o.checkpoint_interval.count() < 0) {
        bad("negative retention");
    }
}

}  // namespace

store::impl::impl(store_options o)
    : opts(std::move(o)),
      clk(opts.clk ? opts.clk : system_clock()),
      db(std::make_unique<detail::database>(opts, clk)),
      ids(opts.node_id, clk),
      optouts(opts.expected_optouts),
      consents(opts.consent_index == consent_index_mode::memory
                   ? std::make_unique<detail::consent_index>(opts.expected_consents)
                   : nullptr) {}

store::impl::~impl() {
    stop();
    live.reset();
    db.reset();
}

void store::impl::stop() {
    {
        std::lock_guard lock(wake_mu);
        stopping = true;
    }
    checkpoint_cv.notify_all();
    materializer_cv.notify_all();
    if (checkpointer.joinable()) {
        checkpointer.join();
    }
    if (materializer.joinable()) {
        materializer.join();
    }
    if (committer) {
        committer->stop();
    }
}

void store::impl::records_completed(lsn_t first, std::size_t count, std::error_code ec) {
    // No wake-up here: the materializer looks every 20 ms, and waking it (and, on a shared
    // condition variable, the checkpointer) for each group cost two context switches per group
    // for nothing (BENCHMARKS.md, 2026-12-07).
    if (live) {
        live->group_completed(first, count, ec);
    }
}

bool store::impl::checkpoint_due_by_size() const noexcept {
    if (opts.checkpoint_journal_bytes == 0) {
        return false;
    }
    const auto threshold = std::max(opts.checkpoint_journal_bytes,
                                    last_checkpoint_bytes.load(std::memory_order_relaxed));
    return journal_bytes_since.load(std::memory_order_relaxed) >= threshold;
}

void store::impl::written(std::size_t record_bytes, std::error_code ec) {
    if (ec) {
        // Memory kept effects the journal did not get (live_state.hpp): once writes work
        // again a checkpoint makes them durable.
        resync_wanted.store(true, std::memory_order_relaxed);
        return;
    }
    journal_bytes_since.fetch_add(record_bytes, std::memory_order_relaxed);
    if (checkpoint_due_by_size() || resync_wanted.load(std::memory_order_relaxed)) {
        checkpoint_cv.notify_all();
    }
}

void store::impl::applied(const detail::group_effects& fx, bool durable) {
    // Reservations counted at acceptance are in RocksDB now (or failed with their group):
    // recent_sends no longer needs them from memory.
    if (!fx.sends.empty()) {
        std::lock_guard lock(sends_mu);
        std::vector<time_point> times;
        for (const auto& sc : fx.sends) {
            times.clear();
            if (sc.removal || !detail::decode_send_times(sc.value, times)) {
                continue;
            }
            auto [first, last] = pending_sends.equal_range(std::string(sc.key));
            for (const auto t : times) {
                for (auto it = first; it != last; ++it) {
                    if (it->second == t) {
                        if (it == first) {
                            ++first;
                        }
                        pending_sends.erase(it);
                        pending_sends_count.fetch_sub(1, std::memory_order_relaxed);
                        break;
                    }
                }
            }
        }
    }
    if (!durable) {
        return;  // RocksDB applied nothing; a WAL record that made it to disk returns on open
    }
    if (!fx.sends.empty()) {
        tell_send_counts(fx);
    }
    // The consent index mirrors the merged state RocksDB now holds. A key the index does not
    // know has no stored state, so its first operand in this group is the state; otherwise the
    // merge operator decided between old and new, and the index asks RocksDB what it chose.
    if (consents) {
        for (const auto& c : fx.consents) {
            const auto parts = detail::parse_consent_key(c.key);
            if (!parts) {
                continue;
            }
            policy::consent_summary current;
            if (consents->find(parts->brand, parts->msisdn, parts->klass, current) ==
                detail::consent_index::answer::absent) {
                policy::consent_summary s;
                if (detail::decode_consent_summary(c.value, s)) {
                    consents->put(parts->brand, parts->msisdn, parts->klass, s);
                    continue;
                }
            }
            refresh_consent(c.key);
        }
    }
    if (!fx.optouts.empty()) {
        std::lock_guard lock(optout_writer);
        for (const auto& c : fx.optouts) {
            detail::reader r{c.key.substr(1)};
            const auto brand = r.until_nul();
            const auto msisdn = r.rest();
            if (!r.ok()) {
                continue;
            }
            if (!c.put) {
                optouts.lift(brand, msisdn);
            } else if (const auto when = detail::decode_optout_when(c.value)) {
                optouts.put(brand, msisdn, *when);
            }
        }
    }
    if (!fx.holds.empty()) {
        std::unique_lock lock(holds_mu);
        for (const auto& h : fx.holds) {
            detail::reader r{h.key};
            const auto brand = r.until_nul();
            const auto msisdn = r.rest();
            if (!r.ok()) {
                continue;
            }
            if (h.value.empty()) {
                holds.erase(std::string(h.key));
                continue;
            }
            policy::hold_record rec;
            if (detail::decode_hold(h.value, rec)) {
                rec.brand = brand;
                rec.msisdn = msisdn;
                holds.insert_or_assign(std::string(h.key), std::move(rec));
            }
        }
        holds_count.store(holds.size(), std::memory_order_relaxed);
    }
}

void store::impl::refresh_consent(std::string_view state_key) {
    const auto parts = detail::parse_consent_key(state_key);
    if (!parts) {
        return;
    }
    auto v = get(column_family::consents, state_key);
    if (!v || !v->has_value()) {
        return;
    }
    policy::consent_summary s;
    if (detail::decode_consent_summary(**v, s)) {
        consents->put(parts->brand, parts->msisdn, parts->klass, s);
    }
}

result<std::optional<std::string>> store::impl::get(column_family cf, std::string_view key) const {
    rocksdb::PinnableSlice v;
    const auto s = db->db().Get(rocksdb::ReadOptions{}, db->cf(cf), slice(key), &v);
    if (s.IsNotFound()) {
        return std::optional<std::string>{};
    }
    if (!s.ok()) {
        return detail::to_error(s);
    }
    return std::optional<std::string>{v.ToString()};
}

std::error_code store::impl::scan(column_family cf, std::string_view lower, std::string_view upper,
                                  const visitor& fn, bool bulk) const {
    rocksdb::ReadOptions ro;
    if (bulk) {
        ro.fill_cache = false;
        ro.readahead_size = 2U << 20U;
    }
    const rocksdb::Slice upper_slice = slice(upper);
    if (!upper.empty()) {
        ro.iterate_upper_bound = &upper_slice;
    }
    std::unique_ptr<rocksdb::Iterator> it{db->db().NewIterator(ro, db->cf(cf))};
    for (it->Seek(slice(lower)); it->Valid(); it->Next()) {
        if (!fn(view(it->key()), view(it->value()))) {
            break;
        }
    }
    return detail::to_error(it->status());
}

// --- side records -----------------------------------------------------------------------------

result<std::optional<std::string>> store::get_side_record(std::string_view owner,
                                                          std::string_view key) const {
    std::string k;
    detail::side_record_key(k, owner, key);
    return impl_->get(column_family::meta, k);
}

std::error_code store::for_each_side_record(
    std::string_view owner,
    const std::function<bool(std::string_view key, std::string_view value)>& fn) const {
    std::string prefix;
    detail::side_record_key(prefix, owner, {});
    return impl_->scan(column_family::meta, prefix, detail::prefix_successor(prefix),
                       [&](std::string_view k, std::string_view v) {
                           return fn(k.substr(prefix.size()), v);
                       });
}

// --- lifecycle --------------------------------------------------------------------------------

std::unique_ptr<store> store::open(store_options options) {
    const auto t0 = std::chrono::steady_clock::now();
    validate(options);
    const auto where = options.path.string();
    std::unique_ptr<impl> p;
    try {
        p = std::make_unique<impl>(std::move(options));
        p->recover();
    } catch (const open_error&) {
        throw;
    } catch (const std::exception& e) {
        throw open_error(fmt::format("smppgw store at '{}': {}", where, e.what()));
    }
    p->report.duration = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - t0);
    p->start_background();
    return std::unique_ptr<store>(new store(std::move(p)));
}

store::store(std::unique_ptr<impl> p) : impl_(std::move(p)) {}

store::~store() {
    close();
}

void store::close() {
    impl_->stop();
}

const recovery_report& store::recovery() const noexcept {
    return impl_->report;
}
const store_options& store::options() const noexcept {
    return impl_->opts;
}
live_state& store::live() noexcept {
    return *impl_->live;
}
const live_state& store::live() const noexcept {
    return *impl_->live;
}
time_point store::now() const noexcept {
    return impl_->clk->now();
}
message_id store::next_id() noexcept {
    return impl_->ids.next();
}

void store::commit(batch&& b, commit_callback done) {
    impl_->committer->submit(std::move(b), std::move(done));
}

std::error_code store::commit_sync(batch&& b) {
    return impl_->committer->submit_sync(std::move(b));
}

// --- operations -------------------------------------------------------------------------------

std::error_code store::backup(const fs::path& dir) const {
    rocksdb::Checkpoint* raw = nullptr;
    auto s = rocksdb::Checkpoint::Create(&impl_->db->db(), &raw);
    if (!s.ok()) {
        return detail::to_error(s);
    }
    std::unique_ptr<rocksdb::Checkpoint> cp{raw};
    // log_size_for_flush = 0: memtables are flushed first, so the copy needs no WAL replay.
    return detail::to_error(cp->CreateCheckpoint(dir.string(), 0));
}

std::error_code store::flush() {
    rocksdb::FlushOptions fo;
    fo.wait = true;
    std::vector<rocksdb::ColumnFamilyHandle*> all;
    for (std::size_t i = 0; i < column_family_count; ++i) {
        all.push_back(impl_->db->cf(static_cast<column_family>(i)));
    }
    return detail::to_error(impl_->db->db().Flush(fo, all));
}

std::error_code store::compact() {
    if (auto ec = flush()) {
        return ec;
    }
    rocksdb::CompactRangeOptions co;
    co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
    for (std::size_t i = 0; i < column_family_count; ++i) {
        auto* h = impl_->db->cf(static_cast<column_family>(i));
        const auto s = impl_->db->db().CompactRange(co, h, nullptr, nullptr);
        if (!s.ok()) {
            return detail::to_error(s);
        }
    }
    return {};
}

bool store::writable() const noexcept {
    return !impl_->committer->failing();
}

bool store::needs_reopen() const noexcept {
    return impl_->committer->needs_reopen();
}

std::optional<std::uint64_t> store::free_space() const {
    return impl_->db->free_space();
}

commit_stats store::stats() const {
    commit_stats s;
    impl_->committer->fill(s);
    s.lookup_errors = impl_->lookup_errors.load(std::memory_order_relaxed);
    return s;
}

std::string_view store::compression() const noexcept { return impl_->db->compression(); }

std::uint64_t store::disk_usage() const {
    std::uint64_t total = 0;
    std::error_code ec;
    for (fs::recursive_directory_iterator it{impl_->db->path(), ec}, end; !ec && it != end;
         it.increment(ec)) {
        if (it->is_regular_file(ec)) {
            total += it->file_size(ec);
        }
    }
    return total;
}

std::uint64_t store::memtable_bytes() const {
    std::uint64_t bytes = 0;
    (void)impl_->db->db().GetAggregatedIntProperty("rocksdb.cur-size-all-mem-tables", &bytes);
    return bytes;
}

}  // namespace smppgw::store
