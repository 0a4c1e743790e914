#include "checkpoint.hpp"

#include <span>

#include <fmt/format.h>
#include <rocksdb/convenience.h>

#include "batch_ops.hpp"
#include "codec.hpp"
#include "commit_queue.hpp"
#include "keys.hpp"
#include "smppgw/store/error.hpp"
#include "store_impl.hpp"

namespace smppgw::store::detail {
namespace {

// Flush(wait) can come back OK with a memtable still unflushed: a flush that failed with a
// soft background error (a full disk) leaves it queued for a retry instead of failing the
// wait. Data written without the WAL is durable only once it left the memtables. With
// `including_active`, the active memtable must be empty too (a family nobody else writes to
// meanwhile); otherwise only the memtables the flush turned immutable are checked, since
// WAL-protected writes may reach the new active one at any time.
bool flushed(rocksdb::DB& db, std::span<rocksdb::ColumnFamilyHandle* const> families,
             bool including_active) {
    for (auto* cf : families) {
        std::uint64_t active = 0;
        std::uint64_t immutable = 0;
        if (!db.GetIntProperty(cf, "rocksdb.num-immutable-mem-table", &immutable) ||
            (including_active &&
             !db.GetIntProperty(cf, "rocksdb.num-entries-active-mem-table", &active)) ||
            active + immutable != 0) {
            return false;
        }
    }
    return true;
}

// Flush and make sure it happened. After a write error and Resume(), RocksDB 7.8 was seen
// leaving a family's flush pending unscheduled: Flush(wait) returns OK with the memtable still
// immutable (mem-table-flush-pending 1), every time, until Resume() is called again, which
// schedules it. Checkpoint chunks and materialized rows are written without the WAL, so a
// checkpoint committed on such a "flush" would point at chunks a crash loses.
rocksdb::Status flush_durably(rocksdb::DB& db,
                              std::span<rocksdb::ColumnFamilyHandle* const> families,
                              bool including_active) {
    rocksdb::FlushOptions fo;
    fo.wait = true;
    const std::vector<rocksdb::ColumnFamilyHandle*> list(families.begin(), families.end());
    auto s = db.Flush(fo, list);
    if (s.ok() && !flushed(db, families, including_active)) {
        s = db.Resume();
        if (s.ok()) {
            s = db.Flush(fo, list);
        }
        if (s.ok() && !flushed(db, families, including_active)) {
            s = rocksdb::Status::IOError("a flush RocksDB reported done left a memtable behind");
        }
    }
    return s;
}

void encode_pointer(const checkpoint_pointer& p, std::string& out) {
    out.clear();
    put_be64(out, p.generation);
    put_be64(out, p.lsn);
    put_be64(out, p.chunks);
    put_be64(out, p.bytes);
}

std::string generation_key(std::uint64_t generation) {
    std::string k;
    put_be64(k, generation);
    return k;
}

}  // namespace

std::optional<checkpoint_pointer> read_checkpoint_pointer(database& db) {
    std::string v;
    const auto s = db.db().Get(rocksdb::ReadOptions{}, db.cf(column_family::meta),
                               slice(checkpoint_pointer_key), &v);
    if (!s.ok() || v.size() != 32) {
        return std::nullopt;
    }
    return checkpoint_pointer{get_be64(v.data()), get_be64(v.data() + 8),
                              get_be64(v.data() + 16), get_be64(v.data() + 24)};
}

std::error_code read_checkpoint(database& db, const checkpoint_pointer& p,
                                const std::function<void(std::string_view)>& fn,
                                std::uint64_t& read) {
    read = 0;
    if (p.chunks > UINT32_MAX) {
        return make_error_code(store_errc::corruption);
    }
    const auto lower = generation_key(p.generation);
    std::string upper;
    checkpoint_chunk_key(upper, p.generation, static_cast<std::uint32_t>(p.chunks));
    rocksdb::ReadOptions ro;
    ro.fill_cache = false;
    ro.readahead_size = 4U << 20U;
    const rocksdb::Slice upper_slice = slice(upper);
    ro.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it{db.db().NewIterator(ro, db.cf(column_family::checkpoint))};
    for (it->Seek(slice(lower)); it->Valid(); it->Next()) {
        fn(view(it->value()));
        ++read;
    }
    return to_error(it->status());
}

std::optional<lsn_t> journal_group_first(std::string_view key) noexcept {
    if (key.size() != 8) {
        return std::nullopt;
    }
    return get_be64(key.data());
}

std::optional<std::size_t> journal_group_count(std::string_view value) noexcept {
    reader r{value};
    if (r.u8() != journal_group_format) {
        return std::nullopt;
    }
    std::size_t n = 0;
    while (r.remaining() > 0) {
        (void)r.u8();
        (void)r.bytes();
        if (!r.ok()) {
            return std::nullopt;
        }
        ++n;
    }
    return n;
}

std::error_code read_journal(database& db, lsn_t from,
                             const std::function<void(lsn_t, record_kind, std::string_view)>& fn) {
    rocksdb::ReadOptions ro;
    ro.fill_cache = false;
    ro.readahead_size = 4U << 20U;
    std::unique_ptr<rocksdb::Iterator> it{db.db().NewIterator(ro, db.cf(column_family::journal))};
    std::string start;
    put_be64(start, from);
    // The group holding `from` may begin before it.
    it->SeekForPrev(slice(start));
    if (!it->Valid()) {
        it->Seek(slice(start));
    }
    for (; it->Valid(); it->Next()) {
        const auto first = journal_group_first(view(it->key()));
        reader r{view(it->value())};
        if (!first || r.u8() != journal_group_format) {
            return make_error_code(store_errc::corruption);
        }
        for (lsn_t lsn = *first; r.remaining() > 0; ++lsn) {
            const auto kind = r.u8();
            const auto payload = r.bytes();
            if (!r.ok() || kind == 0 || kind > record_kind_max) {
                return make_error_code(store_errc::corruption);
            }
            if (lsn >= from) {
                fn(lsn, static_cast<record_kind>(kind), payload);
            }
        }
    }
    return to_error(it->status());
}

checkpoint_writer::checkpoint_writer(database& db, std::uint64_t generation)
    : db_(db), generation_(generation) {}

checkpoint_writer::~checkpoint_writer() = default;

void checkpoint_writer::write_pending() {
    if (ec_ || pending_.Count() == 0) {
        return;
    }
    rocksdb::WriteOptions wo;
    wo.disableWAL = true;  // made durable by the flush in finish(), before the pointer
    ec_ = to_error(db_.db().Write(wo, &pending_));
    pending_.Clear();
}

void checkpoint_writer::add(std::string_view chunk) {
    if (ec_) {
        return;
    }
    checkpoint_chunk_key(key_, generation_, static_cast<std::uint32_t>(chunks_));
    if (!pending_.Put(db_.cf(column_family::checkpoint), slice(key_), slice(chunk)).ok()) {
        ec_ = make_error_code(store_errc::internal);
        return;
    }
    ++chunks_;
    bytes_ += chunk.size();
    if (pending_.GetDataSize() >= (8U << 20U)) {
        write_pending();
    }
}

std::error_code checkpoint_writer::finish(lsn_t at, batch extra, committer* via) {
    write_pending();
    if (ec_) {
        return ec_;
    }
    auto& db = db_.db();
    auto* const chunks_family = db_.cf(column_family::checkpoint);
    if (const auto s = flush_durably(db, {&chunks_family, 1}, /*including_active=*/true);
        !s.ok()) {
        return to_error(s);  // not on disk: no pointer to it
    }
    // Journal groups that end before `at`: every group whose key is below `trim_to`. The last
    // written group that starts at or before `at` either holds `at` (it stays, and so does
    // everything after it) or ends before it (it goes too: trim_to is then the key its
    // successor will have). Groups not written yet have larger keys either way, even those
    // that end up in the same write as the trim.
    std::string trim_to;
    {
        std::unique_ptr<rocksdb::Iterator> it{
            db.NewIterator(rocksdb::ReadOptions{}, db_.cf(column_family::journal))};
        std::string key;
        put_be64(key, at);
        it->SeekForPrev(slice(key));
        if (it->Valid()) {
            const auto first = journal_group_first(view(it->key()));
            const auto count = journal_group_count(view(it->value()));
            if (!first || !count) {
                return make_error_code(store_errc::corruption);
            }
            if (*first + *count <= at) {
                put_be64(trim_to, *first + *count);
            } else {
                trim_to.assign(it->key().data(), it->key().size());
            }
        }
        if (const auto ec = to_error(it->status())) {
            return ec;
        }
    }
    batch b = std::move(extra);
    std::string value;
    encode_pointer({generation_, at, chunks_, bytes_}, value);
    batch_access::raw(b, column_family::meta, op_kind::put, checkpoint_pointer_key, value);
    const std::string zero(8, '\0');
    if (!trim_to.empty() && trim_to > zero) {
        batch_access::raw(b, column_family::journal, op_kind::delete_range, zero, trim_to);
    }
    const auto this_generation = generation_key(generation_);
    batch_access::raw(b, column_family::checkpoint, op_kind::delete_range, zero, this_generation);
    std::error_code ec;
    if (via != nullptr) {
        ec = via->submit_sync(std::move(b));
    } else {
        rocksdb::WriteBatch wb;
        op_reader r{batch_access::log(b)};
        op o;
        while (r.next(o)) {
            auto* h = db_.cf(o.cf);
            switch (o.kind) {
                case op_kind::put: (void)wb.Put(h, slice(o.key), slice(o.value)); break;
                case op_kind::merge: (void)wb.Merge(h, slice(o.key), slice(o.value)); break;
                case op_kind::del: (void)wb.Delete(h, slice(o.key)); break;
                case op_kind::delete_range:
                    (void)wb.DeleteRange(h, slice(o.key), slice(o.value));
                    break;
            }
        }
        rocksdb::WriteOptions wo;
        wo.sync = true;
        ec = to_error(db.Write(wo, &wb));
    }
    if (ec) {
        return ec;
    }
    // Whole files below the trims go at once; what remains is compacted away in time. The end
    // is exclusive: `trim_to` is the key of the first group replay still needs, and a table
    // file that ends with it must stay (DeleteFilesInRange includes the end key by default,
    // which dropped that group, records from P on included, whenever a flush and compaction
    // had made it the last key of a file).
    if (!trim_to.empty()) {
        const rocksdb::Slice end = slice(trim_to);
        (void)rocksdb::DeleteFilesInRange(&db, db_.cf(column_family::journal), nullptr, &end,
                                          /*include_end=*/false);
    }
    const rocksdb::Slice end = slice(this_generation);
    (void)rocksdb::DeleteFilesInRange(&db, db_.cf(column_family::checkpoint), nullptr, &end);
    return {};
}

}  // namespace smppgw::store::detail

namespace smppgw::store {

std::error_code store::impl::write_checkpoint() {
    std::lock_guard run(checkpoint_run);
    const auto t0 = std::chrono::steady_clock::now();
    const auto generation = [&] {
        std::lock_guard lock(checkpoint_mu);
        return checkpoint.generation + 1;
    }();
    detail::checkpoint_writer writer(*db, generation);
    const bool resync = resync_wanted.exchange(false);
    journal_bytes_since.store(0, std::memory_order_relaxed);
    lsn_t at = 0;
    {
        // The materializer writes without the WAL: what it wrote must be on disk before the
        // journal that could write it again is trimmed, and nothing may leave the live state
        // between that flush and the snapshot.
        std::lock_guard gate(materializer_gate);
        std::vector<rocksdb::ColumnFamilyHandle*> families;
        for (const auto cf : detail::materialized_families) {
            families.push_back(db->cf(cf));
        }
        const auto s =
            detail::flush_durably(db->db(), families, /*including_active=*/false);
        if (!s.ok()) {
            std::lock_guard lock(checkpoint_mu);
            ++checkpoint.failed;
            if (resync) {
                resync_wanted.store(true);
            }
            return detail::to_error(s);
        }
        at = live->snapshot([&](std::string_view chunk) { writer.add(chunk); });
    }
    const auto ec = writer.finish(at, batch{}, committer.get());
    std::lock_guard lock(checkpoint_mu);
    if (ec) {
        ++checkpoint.failed;
        if (resync) {
            resync_wanted.store(true);
        }
        return ec;
    }
    checkpoint.generation = generation;
    checkpoint.lsn = at;
    checkpoint.chunks = writer.chunks();
    checkpoint.bytes = writer.bytes();
    last_checkpoint_bytes.store(checkpoint.bytes, std::memory_order_relaxed);
    checkpoint.took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - t0);
    ++checkpoint.completed;
    return {};
}

void store::impl::checkpoint_loop() {
    pthread_setname_np(pthread_self(), "smppgw-ckpt");
    std::unique_lock lk(wake_mu);
    auto last = std::chrono::steady_clock::now();
    auto last_written = last;
    for (;;) {
        auto due = [&] {
            if (stopping) {
                return true;
            }
            if (resync_wanted.load(std::memory_order_relaxed) && !committer->failing()) {
                return true;
            }
            return checkpoint_due_by_size();
        };
        if (opts.checkpoint_interval.count() > 0) {
            checkpoint_cv.wait_until(lk, last + opts.checkpoint_interval, due);
        } else {
            checkpoint_cv.wait(lk, due);
        }
        if (stopping) {
            break;
        }
        // An idle store would write the same snapshot again every interval, as large as the
        // live state. With nothing journaled since the last one it waits up to
        // idle_checkpoint_every instead, and only walks the messages for those overdue for a
        // receipt (which the snapshot walk would have noted).
        const auto now = std::chrono::steady_clock::now();
        if (journal_bytes_since.load(std::memory_order_relaxed) == 0 &&
            !resync_wanted.load(std::memory_order_relaxed) &&
            now - last_written < idle_checkpoint_every) {
            lk.unlock();
            (void)live->find_overdue(live_state::overdue_per_walk);
            {
                std::lock_guard lock(checkpoint_mu);
                ++checkpoint.skipped_idle;
            }
            lk.lock();
            last = now;
            continue;
        }
        lk.unlock();
        if (write_checkpoint()) {
            // Failed (disk full...): try again after a pause rather than in a loop.
            lk.lock();
            checkpoint_cv.wait_for(lk, std::chrono::seconds(1), [&] { return stopping; });
            lk.unlock();
        } else {
            last_written = std::chrono::steady_clock::now();
        }
        lk.lock();
        last = std::chrono::steady_clock::now();
    }
}

std::error_code store::checkpoint_now() {
    if (impl_->committer->on_committer_thread()) {
        return make_error_code(store_errc::would_deadlock);
    }
    return impl_->write_checkpoint();
}

store::checkpoint_status store::last_checkpoint() const {
    std::lock_guard lock(impl_->checkpoint_mu);
    auto s = impl_->checkpoint;
    s.journal_bytes_since = impl_->journal_bytes_since.load(std::memory_order_relaxed);
    return s;
}

}  // namespace smppgw::store
