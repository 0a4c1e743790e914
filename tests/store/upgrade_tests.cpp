// The upgrade of a format-1 store (one RocksDB row per transition) built by hand: its work in
// flight (pending ids, deferred keys, outbox entries, each message's row) becomes the live state
// of a first checkpoint, the old rows go, the marker says 2, and opening it again changes
// nothing.

#include <catch2/catch.hpp>

#include "keys.hpp"
#include "live_util.hpp"
#include "message_codec.hpp"
#include "record_codec.hpp"
#include "smppgw/store/id_generator.hpp"
#include "smppgw/store/store.hpp"
#include "test_util.hpp"

using namespace smppgw::store;
using namespace smppgw::store::test;
namespace pol = smppgw::policy;

namespace {

// The families a format-1 store had: the journal, checkpoint and holds families came later.
const std::vector<std::string> format_1_families{"default", "messages", "pending",  "carrier_ids",
                                                 "optouts", "consents", "deferred", "outbox",
                                                 "freq",    "audit"};

struct format_1_store {
    message_id queued = 0;       // pending, accepted
    message_id partly_sent = 0;  // pending, queued, one of two parts acknowledged
    message_id deferred = 0;     // deferred until `release`
    message_id finished = 0;     // pending id whose row is already final: nothing to do
    message_id rowless = 0;      // pending id whose row retention removed
    message_id awaiting = 0;     // submitted, waiting for its receipt (not pending)
    message_id done_with_receipt = 0;  // its receipt came: final, its carrier id still mapped
    time_point release = test_start + 3h;
};

format_1_store build_format_1(const std::filesystem::path& p) {
    format_1_store s;
    id_generator ids{0, std::make_shared<manual_clock>(test_start)};
    s.queued = ids.next();
    s.partly_sent = ids.next();
    s.deferred = ids.next();
    s.finished = ids.next();
    s.rowless = ids.next();
    s.awaiting = ids.next();
    s.done_with_receipt = ids.next();

    raw_db raw(p, false, format_1_families);
    raw.put("default", detail::marker_key, "smppgw-store:1");
    std::string key;
    std::string value;
    const auto put_message = [&](const message_record& m) {
        detail::message_key(key, m.id);
        detail::encode_message(m, value);
        raw.put("messages", key, value);
    };
    const auto put_pending = [&](message_id id) {
        detail::message_key(key, id);
        raw.put("pending", key, "");
    };

    auto m = sample_message(s.queued);
    m.parts.resize(1);
    put_message(m);
    put_pending(s.queued);

    m = sample_message(s.partly_sent);
    m.state = message_state::queued;
    m.carrier = "carrier-a";
    m.parts[0] = {test_start + 1s, "x0", 0, message_state::submitted};
    m.history.push_back({message_state::queued, test_start});
    put_message(m);
    put_pending(s.partly_sent);

    m = sample_message(s.deferred);
    m.state = message_state::deferred;
    m.parts.resize(1);
    m.history.push_back({message_state::deferred, test_start});
    put_message(m);
    detail::deferred_key(key, s.release, s.deferred);
    raw.put("deferred", key, "");

    m = sample_message(s.finished);
    m.state = message_state::delivered;
    put_message(m);
    put_pending(s.finished);

    put_pending(s.rowless);

    m = sample_message(s.awaiting);
    m.state = message_state::submitted;
    m.carrier = "carrier-a";
    m.parts.resize(1);
    m.parts[0] = {test_start + 1s, "aw0", 0, message_state::submitted};
    put_message(m);
    detail::carrier_key(key, "carrier-a", "aw0");
    detail::encode_carrier_mapping({s.awaiting, 0}, value);
    raw.put("carrier_ids", key, value);

    m = sample_message(s.done_with_receipt);
    m.state = message_state::delivered;
    m.carrier = "carrier-a";
    m.parts.resize(1);
    m.parts[0] = {test_start + 2s, "dn0", 0, message_state::delivered};
    put_message(m);
    detail::carrier_key(key, "carrier-a", "dn0");
    detail::encode_carrier_mapping({s.done_with_receipt, 0}, value);
    raw.put("carrier_ids", key, value);

    // Outbox entries of two accounts (with their sequence counters), out of key order on
    // purpose: the upgrade keeps each account's sequence order.
    const auto put_entry = [&](std::string_view account, std::uint64_t seq, outbox_kind kind,
                               std::string_view bytes) {
        detail::outbox_key(key, account, seq);
        detail::encode_outbox_value(kind, test_start + std::chrono::seconds(seq), bytes, value);
        raw.put("outbox", key, value);
    };
    put_entry("acct-b", 1, outbox_kind::mo, "b-mo-1");
    put_entry("acct-a", 7, outbox_kind::dlr, std::string("a-dlr-7\0bin", 11));
    put_entry("acct-a", 5, outbox_kind::mo, "a-mo-5");
    detail::outbox_seq_key(key, "acct-a");
    std::string seq;
    detail::put_be64(seq, 7);
    raw.put("outbox", key, seq);

    // Policy data is untouched by the upgrade.
    detail::optout_key(key, "acme", "15550000001");
    detail::encode_optout({"acme", "15550000001", test_start, "STOP", pol::record_source::mo, ""},
                          value);
    raw.put("optouts", key, value);
    return s;
}

std::vector<std::string> entries(live_state& live, std::string_view account) {
    std::vector<std::string> out;
    std::vector<lsn_t> taken;
    live.take_outbox(account, SIZE_MAX, [&](lsn_t entry, outbox_kind kind, std::string_view b) {
        out.push_back(std::string(to_string(kind)) + ":" + std::string(b));
        taken.push_back(entry);
        return true;
    });
    for (const auto e : taken) {
        live.returned(account, e);
    }
    return out;
}

}  // namespace

TEST_CASE("a format-1 store is upgraded in place into a first checkpoint", "[upgrade]") {
    temp_dir dir;
    const auto old = build_format_1(dir.path());
    probe p;
    p.ids = {old.queued,  old.partly_sent, old.deferred,         old.finished,
             old.rowless, old.awaiting,    old.done_with_receipt};
    p.accounts = {"acct-a", "acct-b"};

    std::vector<std::string> upgraded;
    {
        auto st = store::open(test_options(dir.path()));
        const auto& rep = st->recovery();
        CHECK(rep.upgraded_from == 1);
        CHECK_FALSE(rep.created);
        CHECK(rep.checkpoint_lsn > 0);
        CHECK(rep.replayed_records == 0);
        CHECK(rep.optouts == 1);
        auto& live = st->live();

        // The queued ones wait for a carrier again, every part of them.
        const auto queued = live.queued();
        REQUIRE(queued.size() == 2);
        CHECK(queued[0]->rec.id == old.queued);
        CHECK(queued[1]->rec.id == old.partly_sent);
        CHECK(queued[1]->rec.state == message_state::queued);
        CHECK(queued[1]->rec.parts.empty());
        CHECK(queued[1]->rec.payload == sample_message(0).payload);
        CHECK(live.waiting_for_carrier() == 2);

        const auto d = live.get(old.deferred);
        REQUIRE(d);
        CHECK(d->phase == message_phase::deferred);
        CHECK(d->release == old.release);
        CHECK(live.take_due(old.release - 1ms, 10).empty());

        // Nothing left to do for these.
        CHECK_FALSE(live.get(old.finished));
        CHECK_FALSE(live.get(old.rowless));
        // A message waiting for its receipt comes back as it was, its carrier id mapped (format
        // 1 kept no list of them: the upgrade finds them through their carrier ids).
        const auto aw = live.get(old.awaiting);
        REQUIRE(aw);
        CHECK(aw->phase == message_phase::awaiting_receipt);
        CHECK(aw->rec.state == message_state::submitted);
        CHECK(aw->rec.carrier == "carrier-a");
        REQUIRE(aw->rec.parts.size() == 1);
        CHECK(aw->rec.parts[0].carrier_message_id == "aw0");
        CHECK(aw->rec.payload == sample_message(0).payload);
        CHECK(st->find_carrier_id("carrier-a", "aw0")->has_value());
        // A message that left memory before the upgrade is not brought back by its mapping.
        CHECK_FALSE(live.get(old.done_with_receipt));
        CHECK(live.counts().awaiting_receipt == 1);

        // The outboxes, each in its sequence order, deliverable at once.
        CHECK(live.has_deliverable("acct-a"));
        CHECK(entries(live, "acct-a") ==
              std::vector<std::string>{"mo:a-mo-5", "dlr:" + std::string("a-dlr-7\0bin", 11)});
        CHECK(entries(live, "acct-b") == std::vector<std::string>{"mo:b-mo-1"});
        CHECK(live.counts().outbox_entries == 3);
        CHECK(st->find_optout("acme", "15550000001"));
        CHECK(st->next_id() > old.done_with_receipt);
        upgraded = dump(live, p);
    }
    {
        // The old rows are gone, the marker says 2, the new families exist.
        raw_db raw(dir.path(), true);
        CHECK(raw.rows("pending").empty());
        CHECK(raw.rows("deferred").empty());
        CHECK(raw.rows("outbox").empty());
        CHECK(raw.get("default", detail::marker_key) == "smppgw-store:2");
        CHECK(raw.has("journal"));
        CHECK(raw.has("checkpoint"));
        CHECK(raw.has("holds"));
    }
    // Opening it again changes nothing.
    auto st = store::open(test_options(dir.path()));
    CHECK(st->recovery().upgraded_from == 0);
    require_same(upgraded, dump(st->live(), p));

    SECTION("the upgraded state carries on: new records, deliveries, submissions") {
        auto& live = st->live();
        completions done;
        const auto first_new = live.next_lsn();
        auto m = live.accept(make_accepted(st->next_id()), nullptr, done.make());
        CHECK(m->lsn == first_new);
        const auto partly = live.get(old.partly_sent);
        REQUIRE(live.begin_submit(partly));
        for (std::uint16_t part = 0; part < 2; ++part) {
            (void)live.submitted(partly, make_submitted(old.partly_sent, part, 2), done.make());
        }
        lsn_t entry = 0;
        live.take_outbox("acct-a", 1, [&](lsn_t e, outbox_kind, std::string_view) {
            entry = e;
            return true;
        });
        live.delivered("acct-a", entry, done.make());
        // The receipt the upgraded message waited for is matched and owed upstream.
        CHECK(live.receipt("carrier-a", "aw0", fold_to(message_state::delivered, "aw0-dlr"),
                           done.make()) == live_state::receipt_result::applied);
        REQUIRE(done.wait_for(5));
        CHECK(done.failed() == 0);
        st.reset();
        st = store::open(test_options(dir.path()));
        CHECK(st->live().get(m->rec.id));
        CHECK(st->live().get(old.partly_sent)->phase == message_phase::awaiting_receipt);
        CHECK(entries(st->live(), "acct-a") ==
              std::vector<std::string>{"dlr:" + std::string("a-dlr-7\0bin", 11)});
        CHECK(entries(st->live(), sample_message(0).account) ==
              std::vector<std::string>{"dlr:aw0-dlr"});
    }
}
