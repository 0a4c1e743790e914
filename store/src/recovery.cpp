// Open-time recovery: rebuild the in-memory indexes from RocksDB and list the work the gateway
// must resume. Runs before the committer starts, so nothing else touches the indexes.
//
// Cost is one sequential pass over the active opt-outs, the consent states, the outbox, the
// pending index and the deferred index; none of these passes touches `messages` (that is why
// the pending family exists: the alternative is scanning a week of messages on every start).

#include <fmt/format.h>

#include "codec.hpp"
#include "keys.hpp"
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

}  // namespace

void store::impl::recover() {
    report.created = db->created();

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

    // Outbox: unacknowledged entries ('q') and last assigned sequences ('s').
    lower.assign(1, detail::outbox_entry_tag);
    upper = detail::prefix_successor(lower);
    check(opts,
          scan(
              column_family::outbox, lower, upper,
              [&](std::string_view key, std::string_view) {
                  detail::reader r{key.substr(1)};
                  const auto account = r.until_nul();
                  const auto seq = r.be64();
                  if (!r.done()) {
                      damaged(opts, "malformed outbox key");
                  }
                  outbox.restore_live(account, seq);
                  return true;
              },
              true),
          "outbox");
    lower.assign(1, detail::outbox_seq_tag);
    upper = detail::prefix_successor(lower);
    check(opts,
          scan(column_family::outbox, lower, upper,
               [&](std::string_view key, std::string_view value) {
                   if (value.size() != 8) {
                       damaged(opts, "malformed outbox sequence");
                   }
                   outbox.restore_last_assigned(key.substr(1), detail::get_be64(value.data()));
                   return true;
               }),
          "outbox sequences");
    report.outbox = outbox.all();

    // Pending and deferred messages, in key (id / release time) order.
    check(opts,
          scan(column_family::pending, {}, {},
               [&](std::string_view key, std::string_view) {
                   const auto id = detail::parse_message_key(key);
                   if (!id) {
                       damaged(opts, "malformed pending key");
                   }
                   if (report.pending.size() < opts.recovery_list_limit) {
                       report.pending.push_back(*id);
                   }
                   ++report.pending_total;
                   return true;
               }),
          "pending messages");
    check(opts,
          scan(column_family::deferred, {}, {},
               [&](std::string_view key, std::string_view) {
                   if (key.size() != 16) {
                       damaged(opts, "malformed deferred key");
                   }
                   if (report.deferred.size() < opts.recovery_list_limit) {
                       report.deferred.push_back(
                           deferred_entry{detail::time_from_key(detail::get_be64(key.data())),
                                          detail::get_be64(key.data() + 8)});
                   }
                   ++report.deferred_total;
                   return true;
               }),
          "deferred messages");

    // Ids: never reissue one that is already stored (clock stepped back across a restart).
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

}  // namespace smppgw::store
