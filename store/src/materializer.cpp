// The materializer: what must outlive the live state — finished messages (for query_sm and the
// admin lookup) and the audit trail — is written from it in the background, off the
// acknowledgement path, in batches sorted by key, together with a watermark: the LSN up to
// which everything is written. Recovery materializes again whatever lies after the watermark.
//
// Items become materializable only once the record that made them is durable, so a row never
// describes something the journal could still lose.

#include <pthread.h>

#include <algorithm>
#include <deque>
#include <thread>

#include "codec.hpp"
#include "keys.hpp"
#include "message_codec.hpp"
#include "record_codec.hpp"
#include "store_impl.hpp"
#include "traffic_impl.hpp"

namespace smppgw::store {

bool store::impl::materialize_once() {
    std::lock_guard gate(materializer_gate);
    const auto items = live->materializable(std::max<std::size_t>(1, opts.materializer_batch));
    if (items.empty()) {
        return false;
    }
    struct row {
        column_family cf;
        std::string key;
        std::string_view value;
    };
    std::vector<row> rows;
    std::deque<std::string> values;  // audit records and carrier mappings (stable for the views)
    rows.reserve(items.size() * 4);
    // Traffic counters (traffic.hpp) ride in the stats family, whose watermark below makes them
    // count each finished message once.
    detail::traffic_tally traffic(traffic_counted);
    for (const auto& item : items) {
        if (item.traffic) {
            traffic.add(item.lsn, *item.traffic);
        }
        if (item.message != 0) {
            auto& r = rows.emplace_back(row{column_family::messages, {}, item.row});
            detail::message_key(r.key, item.message);
            for (const auto& [key, part] : item.carrier_ids) {
                auto& value = values.emplace_back();
                detail::encode_carrier_mapping(carrier_mapping{item.message, part}, value);
                rows.push_back(row{column_family::carrier_ids, key, value});
            }
        }
        if (item.audit) {
            const auto& a = *item.audit;
            const auto uniq = detail::next_uniq();
            auto& value = values.emplace_back();
            detail::encode_audit(a, value);
            auto& t = rows.emplace_back(row{column_family::audit, {}, value});
            detail::audit_time_key(t.key, a.when, a.id, uniq);
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
    traffic.write(wb, db->cf(column_family::stats));
    // The watermark goes into each family it describes, in the same batch: a family's memtable
    // is flushed whole, so its rows and its watermark reach the disk together.
    const auto through = items.back().lsn;
    std::string watermark;
    detail::put_be64(watermark, through);
    for (const auto cf : detail::materialized_families) {
        (void)wb.Put(db->cf(cf), detail::slice(detail::materialized_watermark_key),
                     detail::slice(watermark));
    }
    // No WAL: what a crash takes from these memtables is written again from the checkpoint and
    // the journal, which keep it until a flush made it durable (write_checkpoint flushes these
    // families before it trims anything).
    rocksdb::WriteOptions wo;
    wo.disableWAL = true;
    if (!db->db().Write(wo, &wb).ok()) {
        return false;  // disk full or failing: the items stay and are tried again
    }
    traffic_counted = through;
    if (!traffic.empty()) {
        // Before the items count as written: whoever waits for them (await_materialized) then
        // finds the metrics counted too.
        std::lock_guard lock(traffic_listener_mu);
        if (traffic_listener) {
            traffic_listener(traffic.events());
        }
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
