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
#include "traffic_impl.hpp"

namespace smppgw::store {

bool store::impl::materialize_once() {
    std::lock_guard gate(materializer_gate);
    const auto items = live->materializable(std::max<std::size_t>(1, opts.materializer_batch));
    if (items.empty()) {
        return false;
    }
    // Keys and the values this function makes are appended to one buffer and referred to by
    // offset (the buffer grows while rows are added); finished messages' rows are the items'
    // own strings. Each family's rows are then sorted by key, so its memtable sees ascending
    // keys and the skiplist insert reuses its previous position.
    struct span {
        std::uint32_t at;
        std::uint32_t size;
    };
    struct row {
        span key;
        span value;                   // in `buffer`, unless `row_of` is set
        const std::string* row_of;    // a finished message's encoded record
    };
    std::string buffer;
    buffer.reserve(items.size() * 160);
    std::string scratch;
    auto keep = [&](std::string_view bytes) {
        const span s{static_cast<std::uint32_t>(buffer.size()),
                     static_cast<std::uint32_t>(bytes.size())};
        buffer.append(bytes);
        return s;
    };
    std::vector<row> messages;
    std::vector<row> carrier_ids;
    std::vector<row> audit;
    messages.reserve(items.size());
    carrier_ids.reserve(items.size());
    audit.reserve(items.size() * 2);
    // Traffic counters (traffic.hpp) ride in the stats family, whose watermark below makes them
    // count each finished message once.
    detail::traffic_tally traffic(traffic_counted);
    for (const auto& item : items) {
        if (item.traffic) {
            traffic.add(item.lsn, *item.traffic);
        }
        if (item.message != 0) {
            detail::message_key(scratch, item.message);
            messages.push_back(row{keep(scratch), {}, &item.row});
            for (const auto& [key, part] : item.carrier_ids) {
                const auto k = keep(key);
                scratch.clear();
                detail::encode_carrier_mapping(carrier_mapping{item.message, part}, scratch);
                carrier_ids.push_back(row{k, keep(scratch), nullptr});
            }
        }
        if (item.audit) {
            const auto& a = *item.audit;
            const auto uniq = detail::next_uniq();
            scratch.clear();
            detail::encode_audit(a, scratch);
            const auto value = keep(scratch);
            detail::audit_time_key(scratch, a.when, a.id, uniq);
            audit.push_back(row{keep(scratch), value, nullptr});
            if (!a.msisdn.empty()) {
                detail::audit_msisdn_key(scratch, a.msisdn, a.when, a.id, uniq);
                audit.push_back(row{keep(scratch), {}, nullptr});
            }
        }
    }
    auto view = [&](span s) { return std::string_view{buffer.data() + s.at, s.size}; };
    auto by_key = [&](const row& a, const row& b) { return view(a.key) < view(b.key); };
    rocksdb::WriteBatch wb(buffer.size() + items.size() * 300);
    // The watermark goes into each family it describes, in the same batch: a family's memtable
    // is flushed whole, so its rows and its watermark reach the disk together.
    const auto through = items.back().lsn;
    std::string watermark;
    detail::put_be64(watermark, through);
    for (auto* family : {&messages, &carrier_ids, &audit}) {
        if (!std::is_sorted(family->begin(), family->end(), by_key)) {
            std::sort(family->begin(), family->end(), by_key);
        }
    }
    auto put = [&](column_family cf, const std::vector<row>& rows) {
        auto* h = db->cf(cf);
        for (const auto& r : rows) {
            const auto value = r.row_of != nullptr ? std::string_view{*r.row_of} : view(r.value);
            (void)wb.Put(h, detail::slice(view(r.key)), detail::slice(value));
        }
        (void)wb.Put(h, detail::slice(detail::materialized_watermark_key),
                     detail::slice(watermark));
    };
    static_assert(detail::materialized_families.size() == 4);
    put(column_family::messages, messages);
    put(column_family::carrier_ids, carrier_ids);
    put(column_family::audit, audit);
    traffic.write(wb, db->cf(column_family::stats));
    put(column_family::stats, {});
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
    // The watermark first: await_materialized() returns once the live state hears of it, and
    // a caller then reads materialized_through() (a TSan run caught it still at 0).
    materialized.store(through, std::memory_order_relaxed);
    live->materialized(through);
    return true;
}

void store::impl::materializer_loop() {
    pthread_setname_np(pthread_self(), "smppgw-mat");
    std::unique_lock lk(wake_mu);
    while (!stopping) {
        // A short period batches what becomes durable meanwhile into one sorted write.
        materializer_cv.wait_for(lk, std::chrono::milliseconds(20),
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
        impl_->materializer_cv.notify_all();
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
}

lsn_t store::materialized_through() const {
    return impl_->materialized.load(std::memory_order_relaxed);
}

}  // namespace smppgw::store
