#include "mt/acceptance.hpp"

#include <functional>

#include "infra/metrics.hpp"
#include "smppgw/smpp/text.hpp"
#include "wire/wire.hpp"

namespace smppgw::gateway {
namespace {

using clock = std::chrono::steady_clock;

store::audit_verdict audit_of(policy::verdict v) {
    switch (v) {
        case policy::verdict::accept: return store::audit_verdict::accept;
        case policy::verdict::reject: return store::audit_verdict::reject;
        case policy::verdict::defer: return store::audit_verdict::defer;
    }
    return store::audit_verdict::accept;
}

store::audit_record make_audit(const policy::decision& d, const store::message_record& rec,
                               store::time_point now, std::string_view reason_override = {}) {
    store::audit_record a;
    a.when = now;
    a.id = rec.id;
    a.msisdn = d.destination.empty() ? rec.destination.addr : std::string(d.destination.digits());
    a.account = rec.account;
    a.brand = rec.brand;
    a.check = std::string(policy::to_string(d.check));
    a.verdict = audit_of(d.kind);
    a.command_status = d.command_status;
    a.reason = reason_override.empty() ? std::string(policy::reason_code(d.why))
                                       : std::string(reason_override);
    if (d.deferred()) {
        a.defer_until = d.until;
    }
    return a;
}

}  // namespace

policy::message_facts facts_of(const store::message_record& rec, std::string_view text) {
    policy::message_facts f;
    f.account = rec.account;
    f.brand = rec.brand;
    f.klass = rec.klass;
    f.source = {static_cast<policy::type_of_number>(rec.source.ton),
                static_cast<policy::numbering_plan>(rec.source.npi), rec.source.addr};
    f.destination = {static_cast<policy::type_of_number>(rec.destination.ton),
                     static_cast<policy::numbering_plan>(rec.destination.npi),
                     rec.destination.addr};
    f.text = text;
    f.received = rec.received;
    return f;
}

acceptance::acceptance(store::live_state& live, acceptance_store& store,
                       const snapshot<policy::engine>& engine, metrics& stats)
    : live_(live), store_(store), engine_(engine), stats_(stats) {}

std::mutex& acceptance::stripe(std::string_view brand, std::string_view msisdn) {
    const auto h = std::hash<std::string_view>{}(brand) * 31 + std::hash<std::string_view>{}(msisdn);
    return stripes_[h % stripe_count];
}

void acceptance::count(const policy::decision& d) {
    stats_.policy_decision(policy::to_string(d.check), policy::to_string(d.kind), false).Increment();
    for (std::size_t i = 0; i < d.shadow_count; ++i) {
        const auto& sh = d.shadows[i];
        stats_.policy_decision(policy::to_string(sh.check), policy::to_string(sh.would_be), true)
            .Increment();
    }
}

policy::decision acceptance::evaluate(const policy::engine& e, const store::message_record& rec,
                                      std::string_view text, store::time_point now) {
    const auto lk = store_.lookups();
    const auto facts = facts_of(rec, text);
    const auto started = clock::now();
    auto d = e.evaluate(facts, lk, now);
    stats_.policy_evaluation.Observe(seconds_since(started));
    return d;
}

accept_outcome acceptance::accept(store::message_record rec, std::string_view text,
                                  store::completion done) {
    const auto engine = engine_.load();
    const auto now = store_.now();
    // Read the epoch before the chain: an opt-out announced while the chain runs makes the
    // message look again before anyone hears it was accepted.
    const auto epoch = this->epoch();
    auto d = evaluate(*engine, rec, text, now);
    std::unique_lock<std::mutex> capped;
    if (d.accepted() && d.counts_toward_frequency) {
        // A capped send: look again holding its (brand, number) stripe, so every send counted
        // before is seen, and count this one before letting go.
        capped = std::unique_lock(stripe(rec.brand, d.destination.digits()));
        d = evaluate(*engine, rec, text, now);
    }
    count(d);
    accept_outcome out;
    if (d.rejected()) {
        live_.audit(make_audit(d, rec, now));
        out.kind = accept_outcome::verdict::rejected;
        out.status = d.command_status;
        return out;
    }
    rec.id = store_.next_id();
    rec.msisdn = std::string(d.destination.digits());
    store::accepted_record r;
    store::batch extra;
    if (d.deferred()) {
        rec.state = store::message_state::deferred;
        rec.history.push_back({store::message_state::deferred, now});
        r.release = d.until;
        live_.audit(make_audit(d, rec, now));
    } else if (d.counts_toward_frequency) {
        // Counted at the receive time: the time the live state gives back if it fails.
        store_.reserve_send(rec.brand, rec.msisdn, rec.received, extra);
        r.counts_toward_frequency = true;
    }
    r.message = std::move(rec);
    out.kind = d.deferred() ? accept_outcome::verdict::deferred : accept_outcome::verdict::accepted;
    out.message = live_.accept(std::move(r), extra.empty() ? nullptr : &extra, std::move(done));
    out.message->checked_epoch.store(epoch, std::memory_order_release);
    return out;
}

void acceptance::release(const store::message_ptr& m,
                         store::inplace_function<void(store::message_ptr), 32> route) {
    const auto rec = live_.find(m->rec.id);
    if (!rec) {
        return;  // cancelled or gone meanwhile
    }
    const auto engine = engine_.load();
    const auto now = store_.now();
    const auto epoch = this->epoch();
    // The chain runs whole again, content rules included: they read the text, which the
    // upstream decoded from the PDU at submit and which only the journaled payload holds now.
    const auto text = smpp::decode_short_message(
                          std::span(reinterpret_cast<const std::uint8_t*>(rec->payload.data()),
                                    rec->payload.size()),
                          rec->data_coding, (rec->esm_class & smpp::esm::udhi) != 0)
                          .text;
    auto d = evaluate(*engine, *rec, text, now);
    std::unique_lock<std::mutex> capped;
    if (d.accepted() && d.counts_toward_frequency) {
        capped = std::unique_lock(stripe(rec->brand, d.destination.digits()));
        d = evaluate(*engine, *rec, text, now);
    }
    count(d);
    if (d.accepted()) {
        store::batch extra;
        const bool reserve = d.counts_toward_frequency && !m->counts_toward_frequency;
        if (reserve) {
            store_.reserve_send(rec->brand, rec->msisdn, now, extra);
        }
        m->checked_epoch.store(epoch, std::memory_order_release);
        // The release record says it counts (so does a replay); a release the journal refuses
        // is rolled back with its reservation, and the next one reserves again.
        (void)live_.release(m, now, reserve, extra.empty() ? nullptr : &extra,
                            [m, route = std::move(route)](std::error_code ec) mutable {
                                if (!ec) {
                                    route(m);
                                }
                            });
        stats_.messages(rec->account, "released").Increment();
        return;
    }
    if (d.deferred()) {
        (void)live_.defer_again(m, d.until, now, {});
        return;
    }
    live_.audit(make_audit(d, *rec, now, "refused_at_release"));
    store::ended_record r;
    r.id = rec->id;
    r.state = store::message_state::failed;
    r.status = d.command_status;
    r.when = now;
    r.dlr = final_receipt_bytes(*rec, store::message_state::failed, d.command_status, now);
    (void)live_.end(m, std::move(r), {});
    stats_.messages(rec->account, "rejected_at_release").Increment();
}

std::optional<std::uint32_t> acceptance::recheck(store::live_message& m) {
    const auto current = epoch();
    if (m.keyword_reply || m.checked_epoch.load(std::memory_order_acquire) == current) {
        return std::nullopt;
    }
    // Content fields of the record do not change while the caller holds the message (it is
    // being acknowledged or sent), so they are read without the live state's lock.
    const auto engine = engine_.load();
    const auto lk = store_.lookups();
    const auto d = engine->recheck(policy::check_id::optout, facts_of(m.rec), lk, store_.now());
    if (d.rejected()) {
        return d.command_status;
    }
    m.checked_epoch.store(current, std::memory_order_release);
    return std::nullopt;
}

}  // namespace smppgw::gateway
