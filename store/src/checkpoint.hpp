#pragma once
// Reading the journal, and writing and reading checkpoints of the live state.
//
// A checkpoint of generation G is a set of chunks under be64(G) be32(n) in the `checkpoint`
// family, written without the WAL (its bytes would only be written twice) and then flushed to a
// table file. It counts only once its pointer is committed: one synced write holding the
// pointer (G, LSN P, chunks, bytes), the trim of every journal group that ends before P, the
// removal of older generations and any extra operations — after the flush, so the pointer
// never names chunks that a crash could take away. A crash before that write leaves the
// previous checkpoint and the whole journal after it; the orphaned chunks of G are removed by
// the next checkpoint's "older generations" range.
//
// (Ingesting an SstFileWriter file would skip the memtable too, but Debian's assertion-enabled
// RocksDB aborts in the ingestion path when it runs right after a write error; a flush is the
// path every store exercises all day.)

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include <rocksdb/write_batch.h>

#include "database.hpp"
#include "smppgw/store/batch.hpp"
#include "smppgw/store/journal.hpp"

namespace smppgw::store::detail {

class committer;

struct checkpoint_pointer {
    std::uint64_t generation = 0;
    lsn_t lsn = 0;
    std::uint64_t chunks = 0;
    std::uint64_t bytes = 0;
};

[[nodiscard]] std::optional<checkpoint_pointer> read_checkpoint_pointer(database& db);
// The chunks the pointer names, in order: keys [0, p.chunks) of its generation. Keys beyond are
// leftovers of an attempt at the same generation that never got its pointer (a crash or a
// failure after some of its chunks were written) and are not part of the checkpoint. `read`
// tells how many there were (fewer than p.chunks: the checkpoint is damaged).
[[nodiscard]] std::error_code read_checkpoint(database& db, const checkpoint_pointer& p,
                                              const std::function<void(std::string_view)>& fn,
                                              std::uint64_t& read);

// Journal groups: the key is be64(first LSN); the value holds the records.
[[nodiscard]] std::optional<lsn_t> journal_group_first(std::string_view key) noexcept;
[[nodiscard]] std::optional<std::size_t> journal_group_count(std::string_view value) noexcept;
// Every record with LSN >= from, in order.
[[nodiscard]] std::error_code read_journal(
    database& db, lsn_t from,
    const std::function<void(lsn_t, record_kind, std::string_view)>& fn);

class checkpoint_writer {
public:
    checkpoint_writer(database& db, std::uint64_t generation);
    ~checkpoint_writer();
    checkpoint_writer(const checkpoint_writer&) = delete;
    checkpoint_writer& operator=(const checkpoint_writer&) = delete;

    // Appends one chunk; the first error is kept and reported by finish().
    void add(std::string_view chunk);
    // Ingests the chunks and commits the pointer (at `at`), the trims and `extra` in one synced
    // write: through `via` when given (so it is ordered after every journal group queued
    // before it), else directly (open time).
    [[nodiscard]] std::error_code finish(lsn_t at, batch extra, committer* via);

    [[nodiscard]] std::uint64_t chunks() const noexcept { return chunks_; }
    [[nodiscard]] std::uint64_t bytes() const noexcept { return bytes_; }

private:
    void write_pending();

    database& db_;
    std::uint64_t generation_;
    rocksdb::WriteBatch pending_;
    std::error_code ec_;
    std::uint64_t chunks_ = 0;
    std::uint64_t bytes_ = 0;
    std::string key_;
};

}  // namespace smppgw::store::detail
