// Open-time recovery, single-threaded, before any traffic:
//   1. the policy indexes (active opt-outs, consent states, review holds) from their families;
//   2. a format-1 store (one RocksDB row per transition) is upgraded: its pending, deferred and
//      outbox rows, and the messages awaiting receipts (found through their carrier ids), become
//      the first checkpoint of the live state, in one atomic commit;
//   3. the live state: the last checkpoint's chunks, then every journal record after it, then
//      what the materializer had not written yet (from its watermark on);
//   4. the id generator starts above every id seen.

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "checkpoint.hpp"
#include "codec.hpp"
#include "free_memory.hpp"
#include "keys.hpp"
#include "message_codec.hpp"
#include "record_codec.hpp"
#include "store_impl.hpp"

namespace smppgw::store {

namespace {

[[noreturn]] void damaged(const store_options& o, std::string_view what) {
    throw open_error(fmt::format("smppgw store at '{}': damaged data: {}", o.path.string(), what));
}

void check(const store_options& o, std::error_code ec, std::string_view what) {
    if (ec) {
        throw open_error(fmt::format("smppgw store at '{}': reading {} failed: {}", o.path.string(),
                                     what, ec.message()));
    }
}

// A journal that only tells where the next record would go: the upgrade builds a live state
// offline and checkpoints it without appending anything.
class offline_journal final : public journal {
public:
    lsn_t append(std::span<const record_ref>, batch*, completion done) override {
        if (done) {
            done(make_error_code(store_errc::not_supported));
        }
        return next_;
    }
    [[nodiscard]] lsn_t next_lsn() const noexcept override { return next_; }
    lsn_t next_ = 1;
};

}  // namespace

void store::impl::recover() {
    report.created = db->created();
    load_indexes();
    if (db->found_format() == 1) {
        upgrade_format_1();
    }
    rebuild_live_state();
    detail::give_back_free_memory();
}

void store::impl::load_indexes() {
    // Opt-outs: every active ('a') one.
    std::string lower(1, detail::optout_active_tag);
    std::string upper = detail::prefix_successor(lower);
    check(opts,
          scan(
              column_family::optouts, lower, upper,
              [&](std::string_view key, std::string_view value) {
                  detail::reader r{key.substr(1)};
                  const auto brand = r.until_nul();
                  const auto msisdn = r.rest();
                  const auto when = detail::decode_optout_when(value);
                  if (!r.ok() || !when) {
                      damaged(opts, "malformed opt-out");
                  }
                  optouts.load(brand, msisdn, *when);
                  ++report.optouts;
                  return true;
              },
              true),
          "opt-outs");
    optouts.flush();

    // Consents: the current state of every (brand, msisdn, class), when answered from memory.
    if (consents) {
        lower.assign(1, detail::consent_state_tag);
        upper = detail::prefix_successor(lower);
        check(opts,
              scan(
                  column_family::consents, lower, upper,
                  [&](std::string_view key, std::string_view value) {
                      const auto parts = detail::parse_consent_key(key);
                      policy::consent_summary s;
                      if (!parts || !detail::decode_consent_summary(value, s)) {
                          damaged(opts, "malformed consent state");
                      }
                      consents->put(parts->brand, parts->msisdn, parts->klass, s);
                      ++report.consents;
                      return true;
                  },
                  true),
              "consents");
    }

    // Review holds.
    check(opts,
          scan(column_family::holds, {}, {},
               [&](std::string_view key, std::string_view value) {
                   detail::reader r{key};
                   policy::hold_record rec;
                   rec.brand = r.until_nul();
                   rec.msisdn = r.rest();
                   if (!r.ok() || !detail::decode_hold(value, rec)) {
                       damaged(opts, "malformed review hold");
                   }
                   holds.emplace(std::string(key), std::move(rec));
                   return true;
               }),
          "review holds");
    holds_count.store(holds.size(), std::memory_order_relaxed);
    report.holds = holds.size();
}

void store::impl::upgrade_format_1() {
    // Format 1 kept work in flight as rows: `pending` ids (accepted, not submitted), `deferred`
    // (release, id) and unacknowledged `outbox` entries, with each message's folded row in
    // `messages`. They become the live state of a first checkpoint, committed together with
    // the removal of those rows and the new format marker: either the upgrade happened, or the
    // store is still format 1 and the next start upgrades it again.
    offline_journal j;
    live_state state(j, clk);
    lsn_t lsn = 1;
    std::string payload;
    // Every message the scans below take over, so that one reached twice (a pending id whose
    // parts also have carrier ids) is taken once, as its first scan says.
    std::set<message_id> taken;
    // Each row taken over is one journal record of the first checkpoint's state.
    auto replay_record = [&](record_kind kind, const auto& record, std::string_view what) {
        payload.clear();
        encode(record, payload);
        if (!state.replay(lsn++, kind, payload)) {
            damaged(opts, what);
        }
    };
    auto read_row = [&](message_id id) -> std::optional<message_record> {
        auto v = get(column_family::messages, [&] {
            std::string k;
            detail::message_key(k, id);
            return k;
        }());
        check(opts, v ? std::error_code{} : v.error(), "messages");
        if (!v->has_value()) {
            return std::nullopt;  // retention removed it: nothing left to do
        }
        message_record m;
        if (detail::decode_message(**v, m) != detail::decode_status::ok) {
            damaged(opts, "malformed message row");
        }
        return m;
    };
    auto load_message = [&](message_id id, std::optional<time_point> release) {
        if (!taken.insert(id).second) {
            return;
        }
        auto row = read_row(id);
        if (!row || is_final(row->state)) {
            return;
        }
        accepted_record r;
        r.message = std::move(*row);
        if (release) {
            r.message.state = message_state::deferred;
            r.release = *release;
        } else {
            // Accepted or queued, maybe partly submitted: it is sent again, every part.
            r.message.state = message_state::queued;
            r.message.parts.clear();
        }
        replay_record(record_kind::accepted, r, "message row the journal cannot hold");
    };
    check(opts,
          scan(column_family::pending, {}, {},
               [&](std::string_view key, std::string_view) {
                   const auto id = detail::parse_message_key(key);
                   if (!id) {
                       damaged(opts, "malformed pending key");
                   }
                   load_message(*id, std::nullopt);
                   return true;
               }),
          "pending messages");
    check(opts,
          scan(column_family::deferred, {}, {},
               [&](std::string_view key, std::string_view) {
                   if (key.size() != 16) {
                       damaged(opts, "malformed deferred key");
                   }
                   load_message(detail::get_be64(key.data() + 8),
                                detail::time_from_key(detail::get_be64(key.data())));
                   return true;
               }),
          "deferred messages");
    // Messages the carrier acknowledged, waiting for their receipts: format 1 kept no list of
    // them, only each part's carrier id → message mapping. They come back as they were (every
    // part mapped), so that a receipt arriving after the upgrade reaches the upstream bind.
    check(opts,
          scan(column_family::carrier_ids, {}, {},
               [&](std::string_view, std::string_view value) {
                   const auto mapping = detail::decode_carrier_mapping(value);
                   if (!mapping) {
                       damaged(opts, "malformed carrier id mapping");
                   }
                   if (!taken.insert(mapping->id).second) {
                       return true;
                   }
                   auto row = read_row(mapping->id);
                   if (!row || is_final(row->state)) {
                       return true;
                   }
                   const bool every_part_sent =
                       !row->parts.empty() &&
                       std::all_of(row->parts.begin(), row->parts.end(), [](const message_part& p) {
                           return !p.carrier_message_id.empty();
                       });
                   if (!every_part_sent || row->carrier.empty()) {
                       // A part never acknowledged: format 1 kept such a message pending, so
                       // this row is inconsistent; sending it again beats leaving it behind.
                       accepted_record r;
                       r.message = std::move(*row);
                       r.message.state = message_state::queued;
                       r.message.parts.clear();
                       replay_record(record_kind::accepted, r,
                                     "message row the journal cannot hold");
                       return true;
                   }
                   restored_record r{std::move(*row)};
                   replay_record(record_kind::restored, r, "message row the journal cannot hold");
                   return true;
               }),
          "carrier ids");
    std::string lower(1, detail::outbox_entry_tag);
    const std::string upper = detail::prefix_successor(lower);
    check(opts,
          scan(column_family::outbox, lower, upper,
               [&](std::string_view key, std::string_view value) {
                   detail::reader r{key.substr(1)};
                   mo_record m;
                   m.account = r.until_nul();
                   (void)r.be64();
                   outbox_entry e;
                   if (!r.done() || !detail::decode_outbox_value(value, e)) {
                       damaged(opts, "malformed outbox entry");
                   }
                   m.kind = e.kind;
                   m.when = e.created;
                   m.bytes = std::move(e.bytes);
                   replay_record(record_kind::mo, m, "outbox entry the journal cannot hold");
                   return true;
               }),
          "outbox");
    j.next_ = lsn;
    state.finish_recovery(0);

    batch extra;
    std::string from;
    std::string to(8, '\xFF');
    to.append(9, '\xFF');  // above every key of the three families
    for (const auto cf : {column_family::pending, column_family::deferred, column_family::outbox}) {
        detail::batch_access::raw(extra, cf, detail::op_kind::delete_range, from, to);
    }
    detail::batch_access::raw(extra, column_family::meta, detail::op_kind::put, detail::marker_key,
                              detail::marker_value());
    // The committer is not running yet: write directly, synced.
    detail::checkpoint_writer writer(*db, 1);
    const auto at = state.snapshot([&](std::string_view chunk) { writer.add(chunk); });
    if (const auto ec = writer.finish(at, std::move(extra), nullptr)) {
        throw open_error(fmt::format("smppgw store at '{}': upgrading from format 1 failed: {}",
                                     opts.path.string(), ec.message()));
    }
    report.upgraded_from = 1;
}

void store::impl::rebuild_live_state() {
    const auto pointer = detail::read_checkpoint_pointer(*db);
    // Where the journal goes on: after its last group, or at the checkpoint's position.
    lsn_t next = pointer ? pointer->lsn : 1;
    {
        std::unique_ptr<rocksdb::Iterator> it{
            db->db().NewIterator(rocksdb::ReadOptions{}, db->cf(column_family::journal))};
        it->SeekToLast();
        if (it->Valid()) {
            const auto first = detail::journal_group_first(detail::view(it->key()));
            const auto count = detail::journal_group_count(detail::view(it->value()));
            if (!first || !count) {
                damaged(opts, "malformed journal group");
            }
            next = std::max(next, *first + *count);
        }
        check(opts, detail::to_error(it->status()), "the journal");
    }
    committer = std::make_unique<detail::committer>(*db, opts, *this, next);
    live = std::make_unique<live_state>(*committer, clk);

    if (pointer) {
        report.checkpoint_lsn = pointer->lsn;
        report.checkpoint_chunks = pointer->chunks;
        std::uint64_t chunks = 0;
        check(opts,
              detail::read_checkpoint(
                  *db, *pointer,
                  [&](std::string_view chunk) {
                      if (!live->load_chunk(chunk)) {
                          damaged(opts, "malformed checkpoint chunk");
                      }
                  },
                  chunks),
              "the checkpoint");
        if (chunks != pointer->chunks) {
            damaged(opts, fmt::format("checkpoint {} has {} of its {} chunks", pointer->generation,
                                      chunks, pointer->chunks));
        }
        std::lock_guard lock(checkpoint_mu);
        checkpoint.generation = pointer->generation;
        checkpoint.lsn = pointer->lsn;
        checkpoint.chunks = pointer->chunks;
        checkpoint.bytes = pointer->bytes;
        last_checkpoint_bytes.store(pointer->bytes, std::memory_order_relaxed);
    }
    const lsn_t from = pointer ? pointer->lsn : 1;
    std::uint64_t replayed = 0;
    std::uint64_t replayed_bytes = 0;
    check(opts,
          detail::read_journal(*db, from,
                               [&](lsn_t lsn, record_kind kind, std::string_view payload) {
                                   if (!live->replay(lsn, kind, payload)) {
                                       damaged(opts, fmt::format("journal record {} ({}) does "
                                                                 "not decode",
                                                                 lsn, to_string(kind)));
                                   }
                                   ++replayed;
                                   replayed_bytes += 1 + payload.size();
                               }),
          "the journal");
    report.replayed_records = replayed;
    // What was replayed is not in a checkpoint yet: it counts toward the next one's triggers.
    journal_bytes_since.store(replayed_bytes, std::memory_order_relaxed);
    report.next_lsn = next;

    // Everything up to the lowest watermark of the materialized families is on disk.
    init_traffic_watermark();
    lsn_t watermark = UINT64_MAX;
    for (const auto cf : detail::materialized_families) {
        auto v = get(cf, detail::materialized_watermark_key);
        const lsn_t w =
            v && v->has_value() && (*v)->size() == 8 ? detail::get_be64((*v)->data()) : 0;
        watermark = std::min(watermark, w);
    }
    live->finish_recovery(watermark);
    materialized.store(watermark);
    report.materialized_through = watermark;
    report.live = live->counts();

    // Ids: never reissue one that is already stored (clock stepped back across a restart).
    if (const auto top = live->max_id(); id_node(top) == ids.node()) {
        ids.observe(top);
    }
    std::unique_ptr<rocksdb::Iterator> it{
        db->db().NewIterator(rocksdb::ReadOptions{}, db->cf(column_family::messages))};
    // Other nodes' ids (a store moved between nodes) are skipped; a bounded walk suffices.
    it->SeekToLast();
    for (int n = 0; it->Valid() && n < 4096; it->Prev(), ++n) {
        const auto id = detail::parse_message_key(detail::view(it->key()));
        if (id && id_node(*id) == ids.node()) {
            ids.observe(*id);
            break;
        }
    }
    check(opts, detail::to_error(it->status()), "messages");
}

void store::impl::start_background() {
    checkpointer = std::thread([this] { checkpoint_loop(); });
    materializer = std::thread([this] { materializer_loop(); });
}

}  // namespace smppgw::store
