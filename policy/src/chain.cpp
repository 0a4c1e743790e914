#include "smppgw/policy/chain.hpp"

#include <stdexcept>

namespace smppgw::policy {
namespace {

constexpr auto relaxed = std::memory_order_relaxed;

}  // namespace

check_verdict check::run(evaluation& ev) const {
    const check_verdict v = decide(ev);
    if (v.kind == verdict::accept) {
        (v.exempt ? counters_.exempt : counters_.accepted).fetch_add(1, relaxed);
        return v;
    }
    counters_.by_reason[static_cast<std::size_t>(v.why)].fetch_add(1, relaxed);
    if (v.kind == verdict::reject) {
        (shadow_ ? counters_.shadow_rejected : counters_.rejected).fetch_add(1, relaxed);
    } else {
        (shadow_ ? counters_.shadow_deferred : counters_.deferred).fetch_add(1, relaxed);
    }
    return v;
}

chain::chain(std::shared_ptr<const number_index> numbers,
             std::vector<std::unique_ptr<check>> checks)
    : numbers_(std::move(numbers)), checks_(std::move(checks)) {
    if (checks_.empty() || checks_.front()->id() != check_id::destination) {
        throw std::invalid_argument("policy chain: the destination check must come first");
    }
    if (checks_.size() > check_count) {
        throw std::invalid_argument("policy chain: more checks than check_count");
    }
}

const check* chain::find(check_id id) const noexcept {
    for (const auto& c : checks_) {
        if (c->id() == id) {
            return c.get();
        }
    }
    return nullptr;
}

decision chain::evaluate(const message_facts& facts, const lookups& lk, time_point now) const {
    decision d;
    evaluation ev{facts, lk, now, {}, {}, false, std::nullopt};
    for (const auto& c : checks_) {
        const check_verdict v = c->run(ev);
        if (v.kind == verdict::accept) {
            continue;
        }
        if (c->shadow()) {
            d.shadows[d.shadow_count++] = shadow_note{c->id(), v.kind, v.why, v.until};
            if (c->id() == check_id::destination) {
                // No number to look anything up with: accept (shadow) and stop here.
                return d;
            }
            continue;
        }
        d.kind = v.kind;
        d.check = c->id();
        d.why = v.why;
        d.until = v.until;
        d.command_status = v.kind == verdict::reject ? command_status_for(v.why) : 0;
        d.destination = ev.destination;
        return d;
    }
    d.destination = ev.destination;
    for (const auto& c : checks_) {
        d.counts_toward_frequency = d.counts_toward_frequency || c->counts_send(facts);
    }
    return d;
}

decision chain::recheck(check_id only, const message_facts& facts, const lookups& lk,
                        time_point now) const {
    decision d;
    evaluation ev{facts, lk, now, {}, {}, false, std::nullopt};
    for (const auto& c : checks_) {
        if (c->id() != check_id::destination && c->id() != only) {
            continue;
        }
        const check_verdict v = c->decide(ev);
        if (v.kind == verdict::accept || c->shadow()) {
            if (v.kind != verdict::accept && c->id() == check_id::destination) {
                break;  // no number to look anything up with
            }
            continue;
        }
        d.kind = v.kind;
        d.check = c->id();
        d.why = v.why;
        d.until = v.until;
        d.command_status = v.kind == verdict::reject ? command_status_for(v.why) : 0;
        break;
    }
    d.destination = ev.destination;
    return d;
}

}  // namespace smppgw::policy
