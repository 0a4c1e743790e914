#pragma once
// Helpers for tests of the live state, with a memory_journal or through a real store: record
// builders, a receipt fold like the gateway's, completions that can be counted and waited for,
// and a dump of everything a live_state exposes, so that two of them can be compared.

#include <catch2/catch.hpp>

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "message_codec.hpp"
#include "record_codec.hpp"
#include "smppgw/store/live_state.hpp"
#include "test_util.hpp"

namespace smppgw::store::test {

// The finished message a materializer item carries, decoded from its row.
inline message_record message_of(const materialize_item& item) {
    message_record rec;
    if (detail::decode_message(item.row, rec) != detail::decode_status::ok) {
        throw std::runtime_error("materializer row does not decode");
    }
    return rec;
}

// A message of `parts` parts for account `account`, queued, or deferred until `release`.
inline accepted_record make_accepted(message_id id, std::uint16_t parts = 1,
                                     std::optional<time_point> release = std::nullopt,
                                     std::string account = "acct-1") {
    accepted_record r;
    r.message = sample_message(id);
    r.message.account = std::move(account);
    r.message.parts.assign(parts, message_part{});
    r.message.state = release ? message_state::deferred : message_state::queued;
    r.message.history = {{r.message.state, r.message.received}};
    if (release.has_value()) {
        r.release = *release;
    }
    return r;
}

inline std::string cmid_of(message_id id, std::uint16_t part) {
    return fmt::format("m{}p{}", id, part);
}

inline submitted_record make_submitted(message_id id, std::uint16_t part, std::uint16_t parts,
                                       std::string carrier = "carrier-a",
                                       time_point when = test_start) {
    return submitted_record{id, part, parts, std::move(carrier), cmid_of(id, part), when};
}

// The gateway's fold in miniature: a part already final owes nothing (a repeat); otherwise the
// receipt says `state`, with `dlr` as the receipt owed upstream (empty: none).
inline live_state::receipt_fold fold_to(message_state state, std::string dlr = {},
                                        std::uint32_t error = 0, time_point when = test_start) {
    return [=](const live_message& m, std::uint16_t part) -> std::optional<receipt_record> {
        if (part < m.rec.parts.size() && is_final(m.rec.parts[part].state)) {
            return std::nullopt;
        }
        receipt_record r;
        r.state = state;
        r.error = error;
        r.when = when;
        r.dlr = dlr;
        return r;
    };
}

// Counts completions (and how many failed) and lets a test wait for a number of them. The
// completions it hands out must not outlive it.
class completions {
public:
    completion make() {
        return [this](std::error_code ec) { add(ec); };
    }
    // A completion that also stores its result in `*slot` (and must not outlive it).
    completion make(std::optional<std::error_code>* slot) {
        return [this, slot](std::error_code ec) {
            {
                std::lock_guard lk(mu_);
                *slot = ec;
            }
            add(ec);
        };
    }
    void add(std::error_code ec) {
        std::lock_guard lk(mu_);
        ++done_;
        if (ec) {
            ++failed_;
            last_error_ = ec;
        }
        cv_.notify_all();
    }
    // False if fewer than `n` arrived within `timeout` (a test failure, never a hang).
    [[nodiscard]] bool wait_for(std::size_t n,
                                std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
        std::unique_lock lk(mu_);
        return cv_.wait_for(lk, timeout, [&] { return done_ >= n; });
    }
    [[nodiscard]] std::size_t done() const {
        std::lock_guard lk(mu_);
        return done_;
    }
    [[nodiscard]] std::size_t failed() const {
        std::lock_guard lk(mu_);
        return failed_;
    }
    [[nodiscard]] std::error_code last_error() const {
        std::lock_guard lk(mu_);
        return last_error_;
    }

private:
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::size_t done_ = 0;
    std::size_t failed_ = 0;
    std::error_code last_error_;
};

inline std::string hex(std::string_view s) {
    std::string out;
    out.reserve(s.size() * 2);
    for (const auto c : s) {
        out += fmt::format("{:02x}", static_cast<unsigned char>(c));
    }
    return out;
}

inline std::string describe(const message_record& m) {
    std::string parts;
    for (const auto& p : m.parts) {
        parts += fmt::format(" [{} {} {}]", p.carrier_message_id, to_string(p.state), p.error);
    }
    std::string encoded;
    detail::encode_message(m, encoded);
    return fmt::format("state={} carrier={} parts={}{} rd={} history={} bytes={}",
                       to_string(m.state), m.carrier, m.parts.size(), parts, m.registered_delivery,
                       m.history.size(), hex(encoded));
}

// What a test knows to ask a live_state about: it has no way to list every message.
struct probe {
    std::vector<message_id> ids;
    std::vector<std::string> accounts;
    std::vector<std::pair<std::string, std::string>> carrier_ids;  // (carrier, carrier id)
};

// Everything observable of `ls`, one fact per line, for comparison. Outbox entries are listed
// by handing every deliverable one out and returning it (take_outbox, returned), which leaves
// the state as it was; entries in flight or not yet durable only show in the depths. Looking up
// carrier ids uses a receipt fold that writes nothing.
inline std::vector<std::string> dump(live_state& ls, const probe& p) {
    std::vector<std::string> out;
    const auto c = ls.counts();
    out.push_back(
        fmt::format("counts queued={} deferred={} submitting={} awaiting={} finished={} "
                    "outbox={} unmatched={} materializer={}",
                    c.queued, c.deferred, c.submitting, c.awaiting_receipt, c.finished,
                    c.outbox_entries, c.unmatched_receipts, c.materializer_queue));
    out.push_back(fmt::format("waiting_for_carrier={}", ls.waiting_for_carrier()));
    for (const auto id : p.ids) {
        const auto m = ls.get(id);
        if (!m) {
            out.push_back(fmt::format("message {} absent", id));
            continue;
        }
        out.push_back(fmt::format("message {} phase={} lsn={} release={} freq={} keyword={} {}", id,
                                  to_string(m->phase), m->lsn,
                                  m->release.time_since_epoch().count(), m->counts_toward_frequency,
                                  m->keyword_reply, describe(m->rec)));
    }
    std::string queued = "queued";
    for (const auto& m : ls.queued()) {
        queued += fmt::format(" {}", m->rec.id);
    }
    out.push_back(queued);
    for (const auto& d : ls.outboxes()) {
        if (d.ready + d.in_flight + d.pending > 0) {
            out.push_back(fmt::format("outbox {} ready={} in_flight={} pending={}", d.account,
                                      d.ready, d.in_flight, d.pending));
        }
    }
    for (const auto& account : p.accounts) {
        std::vector<lsn_t> taken;
        ls.take_outbox(account, SIZE_MAX, [&](lsn_t entry, outbox_kind kind, std::string_view b) {
            out.push_back(
                fmt::format("entry {} {} {} {}", account, entry, to_string(kind), hex(b)));
            taken.push_back(entry);
            return true;
        });
        for (const auto entry : taken) {
            ls.returned(account, entry);
        }
    }
    for (const auto& u : ls.list_unmatched(SIZE_MAX)) {
        out.push_back(fmt::format("unmatched {} {} {} {} {}", u.lsn, u.carrier,
                                  u.carrier_message_id, u.when.time_since_epoch().count(),
                                  hex(u.pdu)));
    }
    for (const auto& item : ls.materializable(SIZE_MAX)) {
        std::string what;
        if (item.message != 0) {
            what = "message " + describe(message_of(item)) + " ";
        }
        if (item.audit) {
            std::string a;
            detail::encode_audit(*item.audit, a);
            what += "audit " + hex(a);
        }
        out.push_back(fmt::format("materialize {} {}", item.lsn, what));
    }
    for (const auto& [carrier, id] : p.carrier_ids) {
        std::string found = "none";
        const live_state::receipt_fold look = [&](const live_message& m, std::uint16_t part) {
            found = fmt::format("{}/{}", m.rec.id, part);
            return std::optional<receipt_record>{};
        };
        (void)ls.receipt(carrier, id, look, completion{});
        out.push_back(fmt::format("carrier id {} {} -> {}", carrier, id, found));
    }
    return out;
}

// Fails with the first line that differs (the dumps can be long).
inline void require_same(const std::vector<std::string>& expected,
                         const std::vector<std::string>& actual) {
    for (std::size_t i = 0; i < std::max(expected.size(), actual.size()); ++i) {
        const auto* e = i < expected.size() ? &expected[i] : nullptr;
        const auto* a = i < actual.size() ? &actual[i] : nullptr;
        if (e == nullptr || a == nullptr || *e != *a) {
            FAIL("live states differ at line "
                 << i << "\n  expected: " << (e != nullptr ? *e : "(nothing)")
                 << "\n  actual:   " << (a != nullptr ? *a : "(nothing)"));
        }
    }
    SUCCEED("live states are the same");
}

}  // namespace smppgw::store::test
