// The materializer: what must outlive the live state — finished messages (for query_sm and the
// admin lookup) and the audit trail — is written from it in the background, off the
// acknowledgement path, in batches sorted by key, together with a watermark: the LSN up to
// which everything is written. Recovery materializes again whatever lies after the watermark.
//
// Items become materializable only once the record that made them is durable, so a row never
// describes something the journal could still lose.

#include <pthread.h>

#include <algorithm>
#include <thread>

#include "codec.hpp"
#include "keys.hpp"
#include "message_codec.hpp"
#include "record_codec.hpp"
#include "store_impl.hpp"

namespace smppgw::store {

bool store::impl::materialize_once() {
    const auto items = live->materializable(std::max<std::size_t>(1, opts.materializer_batch));
    if (items.empty()) {
        return false;
    }
    struct row {
        column_family cf;
        std::string key;
        std::string value;
    };
    std::vector<row> rows;
    rows.reserve(items.size() * 2);
    for (const auto& item : items) {
        std::optional<audit_record> final_audit;
        if (item.message) {
            const auto& m = *item.message;
            auto& r = rows.emplace_back(row{column_family::messages, {}, {}});
            detail::message_key(r.key, m.id);
            detail::encode_message(m, r.value);
            // How it ended, for the audit trail by number and time.
            audit_record a;
            a.when = m.history.empty() ? m.received : m.history.back().when;
            a.id = m.id;
            a.msisdn = m.msisdn;
            a.account = m.account;
            a.brand = m.brand;
            a.check = "final";
            a.verdict = audit_verdict::final_state;
            for (const auto& p : m.parts) {
                if (p.error != 0) {
                    a.command_status = p.error;
                }
            }
            a.reason = std::string(to_string(m.state));
            final_audit = std::move(a);
        }
        if (const auto* audit = item.audit ? &*item.audit : (final_audit ? &*final_audit : nullptr)) {
            const auto& a = *audit;
            const auto uniq = detail::next_uniq();
            auto& t = rows.emplace_back(row{column_family::audit, {}, {}});
            detail::audit_time_key(t.key, a.when, a.id, uniq);
            detail::encode_audit(a, t.value);
            if (!a.msisdn.empty()) {
                auto& m = rows.emplace_back(row{column_family::audit, {}, {}});
                detail::audit_msisdn_key(m.key, a.msisdn, a.when, a.id, uniq);
            }
        }
    }
    // Sorted, so each memtable sees ascending keys (ids and times mostly are already).
    std::sort(rows.begin(), rows.end(), [](const row& a, const row& b) {
        return a.cf != b.cf ? a.cf < b.cf : a.key < b.key;
    });
    rocksdb::WriteBatch wb;
    for (const auto& r : rows) {
        (void)wb.Put(db->cf(r.cf), detail::slice(r.key), detail::slice(r.value));
    }
    const auto through = items.back().lsn;
    std::string watermark;
    detail::put_be64(watermark, through);
    (void)wb.Put(db->cf(column_family::meta), detail::slice(detail::materialized_key),
                 detail::slice(watermark));
    // Not synced: the journal (synced) can produce every row again after a crash.
    if (!db->db().Write(rocksdb::WriteOptions{}, &wb).ok()) {
        return false;  // disk full or failing: the items stay and are tried again
    }
    live->materialized(through);
    materialized.store(through, std::memory_order_relaxed);
    return true;
}

void store::impl::materializer_loop() {
    pthread_setname_np(pthread_self(), "smppgw-mat");
    std::unique_lock lk(wake_mu);
    while (!stopping) {
        // A short period batches what becomes durable meanwhile into one sorted write.
        wake_cv.wait_for(lk, std::chrono::milliseconds(20),
                         [&] { return stopping || materialize_now.load(); });
        materialize_now.store(false);
        if (stopping) {
            break;
        }
        lk.unlock();
        while (materialize_once()) {
        }
        lk.lock();
    }
}

bool store::await_materialized(std::chrono::milliseconds timeout) {
    const auto target = impl_->live->next_lsn() - 1;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!impl_->live->materialized_up_to(target)) {
        if (std::chrono::steady_clock::now() >= deadline) {
            return false;
        }
        impl_->materialize_now.store(true);
        impl_->wake_cv.notify_all();
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
}

lsn_t store::materialized_through() const {
    return impl_->materialized.load(std::memory_order_relaxed);
}

}  // namespace smppgw::store
