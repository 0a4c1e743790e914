#include "inbound/receipt_relay.hpp"

#include <algorithm>

#include "infra/log.hpp"
#include "infra/metrics.hpp"
#include "smppgw/smpp/codec.hpp"
#include "wire/wire.hpp"

namespace smppgw::gateway {
namespace {

using steady = std::chrono::steady_clock;

std::string key_of(std::string_view carrier, std::string_view id) {
    std::string k;
    k.reserve(carrier.size() + 1 + id.size());
    k.append(carrier);
    k.push_back('\0');
    k.append(id);
    return k;
}

}  // namespace

std::optional<store::receipt_record> fold_receipt(const store::live_message& m, std::uint16_t part,
                                                  const smpp::receipt& r, bool per_segment,
                                                  store::time_point now) {
    const auto state = r.state ? to_store_state(*r.state) : store::message_state::unknown;
    const std::uint32_t err = r.error_code().value_or(0);
    auto parts = m.rec.parts;
    if (part >= parts.size()) {
        parts.resize(part + 1U);
    }
    // Final states are sticky: a repeat of a final receipt (the carrier lost our answer and
    // sends it again), or a late intermediate one, changes nothing and owes nothing.
    if (store::is_final(parts[part].state)) {
        return std::nullopt;
    }
    parts[part].state = state;
    parts[part].error = err;
    const bool all_final = store::all_final(parts);
    store::receipt_record out;
    out.id = m.rec.id;
    out.part = part;
    out.state = state;
    out.error = err;
    out.when = now;
    bool emit = false;
    auto reported = state;
    auto reported_error = err;
    if (per_segment || parts.size() == 1) {
        emit = receipt_wanted(m.rec.registered_delivery, state);
    } else if (all_final) {
        // One receipt per upstream submit: the parts' worst outcome, once all are final, with
        // the error of the part that had it (not necessarily this receipt's).
        reported = store::aggregate_state(parts);
        if (const auto worst = std::find_if(parts.begin(), parts.end(),
                                            [&](const auto& p) { return p.state == reported; });
            reported != store::message_state::delivered && worst != parts.end()) {
            reported_error = worst->error;
        }
        emit = receipt_wanted(m.rec.registered_delivery, reported);
    } else if (!store::is_final(state)) {
        emit = receipt_wanted(m.rec.registered_delivery, state);  // intermediate, if asked
    }
    if (emit) {
        receipt_facts f;
        f.id = m.rec.id;
        f.source = &m.rec.source;
        f.destination = &m.rec.destination;
        f.submitted = m.rec.received;
        f.done = now;
        f.state = reported;
        f.error = reported_error;
        const auto delivered = static_cast<std::uint32_t>(
            std::count_if(parts.begin(), parts.end(), [](const auto& p) {
                return p.state == store::message_state::delivered;
            }));
        f.parts = per_segment ? 1 : static_cast<std::uint32_t>(parts.size());
        f.delivered_parts = per_segment ? (state == store::message_state::delivered ? 1U : 0U)
                                        : delivered;
        const auto text = receipt_text_of(m.rec);
        f.text = text;
        out.dlr = encode_receipt(f);
    }
    return out;
}

receipt_relay::receipt_relay(store::live_state& live, metrics& stats, settings s)
    : live_(live), stats_(stats), settings_(std::move(s)) {}

void receipt_relay::configure(settings s) {
    std::lock_guard lock(mutex_);
    settings_ = std::move(s);
}

std::size_t receipt_relay::parked() const {
    std::lock_guard lock(mutex_);
    return parked_.size();
}

receipt_relay::outcome receipt_relay::apply(std::string_view carrier,
                                            const std::vector<std::string>& ids,
                                            const smpp::receipt& r, store::completion done,
                                            std::span<const store::lsn_t> resolves) {
    std::function<bool(std::string_view)> per_segment;
    {
        std::lock_guard lock(mutex_);
        per_segment = settings_.per_segment;
    }
    const auto now = live_.now();
    std::optional<double> since_accepted;
    const store::live_state::receipt_fold fold = [&](const store::live_message& m,
                                                     std::uint16_t part) {
        since_accepted = m.seconds_since_accepted(now);
        return fold_receipt(m, part, r, per_segment && per_segment(m.rec.account), now);
    };
    for (const auto& id : ids) {
        const auto result = live_.receipt(carrier, id, fold, std::move(done), resolves);
        switch (result) {
            case store::live_state::receipt_result::applied:
                if (r.state && store::is_final(to_store_state(*r.state)) && since_accepted) {
                    stats_.submit_to_receipt.Observe(*since_accepted);
                }
                return outcome::applied;
            case store::live_state::receipt_result::repeat:
                return outcome::repeat;
            case store::live_state::receipt_result::unknown:
                break;  // `done` was not taken: try the next candidate id
        }
    }
    return outcome::unknown;
}

void receipt_relay::handle(std::string_view carrier, const smpp::id_format& ids_format,
                           const smpp::pdu& request, deferred_response respond) {
    auto r = smpp::receipt_of(request);
    if (!r || r->id.empty()) {
        stats_.receipt_match_failure("no_id").Increment();
        respond.send(smpp::status::ESME_ROK);  // nothing to correlate; holding it helps nobody
        return;
    }
    // No stat word reads "none" (metrics::receipt_outcome); "none" itself would be an unknown
    // word, "other".
    stats_.receipts(carrier, r->stat).Increment();
    // The TLV id first (SMPP 3.4 §5.3.2.12), then the text's id if it differs.
    const smpp::message_id_normalizer normalizer(ids_format);
    std::vector<std::string> ids;
    ids.emplace_back(normalizer.normalize(r->id, r->id_origin).view());
    if (!r->text_id.empty() && r->id_origin != smpp::id_source::receipt_text) {
        std::string alt(normalizer.normalize(r->text_id, smpp::id_source::receipt_text).view());
        if (alt != ids.front()) {
            ids.push_back(std::move(alt));
        }
    }
    std::erase_if(ids, [](const std::string& s) { return s.empty(); });
    if (ids.empty()) {
        stats_.receipt_match_failure("no_id").Increment();
        respond.send(smpp::status::ESME_ROK);
        return;
    }
    take(carrier, std::move(ids), std::move(*r), &request, {}, std::move(respond), true);
}

void receipt_relay::forwarded(std::string_view carrier, std::vector<std::string> ids,
                              std::string_view pdu, std::function<void(bool)> settle) {
    smpp::pdu p;
    const auto bytes =
        std::span(reinterpret_cast<const std::uint8_t*>(pdu.data()), pdu.size());
    const auto r = smpp::decode(bytes, p).ok() ? smpp::receipt_of(p) : std::nullopt;
    if (!r || ids.empty()) {
        log::warn("a receipt forwarded by another node for {} could not be read: dropped",
                  log::carrier(carrier));
        settle(true);
        return;
    }
    deferred_response respond;
    respond.observer = [settle = std::move(settle)](smpp::command_status status) {
        settle(status == smpp::status::ESME_ROK);
    };
    stats_.receipts(carrier, r->stat).Increment();
    // Not forwarded again: this node is the one the cluster named.
    take(carrier, std::move(ids), *r, nullptr, std::string(pdu), std::move(respond), false);
}

bool receipt_relay::settle(std::string_view carrier, const std::vector<std::string>& ids,
                           const smpp::receipt& r, const deferred_response& respond) {
    const auto result = apply(carrier, ids, r, [respond](std::error_code ec) {
        respond.send(ec ? smpp::status::ESME_RX_T_APPN : smpp::status::ESME_ROK);
    });
    if (result == outcome::repeat) {
        respond.send(smpp::status::ESME_ROK);
        return true;
    }
    if (result == outcome::applied) {
        return true;
    }
    std::function<bool(std::string_view, std::string_view)> known_finished;
    {
        std::lock_guard lock(mutex_);
        known_finished = settings_.known_finished;
    }
    if (known_finished && std::any_of(ids.begin(), ids.end(), [&](const auto& id) {
            return known_finished(carrier, id);
        })) {
        stats_.receipt_match_failure("after_final").Increment();
        respond.send(smpp::status::ESME_ROK);
        return true;
    }
    return false;
}

void receipt_relay::take(std::string_view carrier, std::vector<std::string> ids, smpp::receipt r,
                         const smpp::pdu* request, std::string pdu, deferred_response respond,
                         bool may_forward) {
    if (settle(carrier, ids, r, respond)) {
        return;
    }
    waiting w;
    w.carrier = std::string(carrier);
    w.ids = std::move(ids);
    w.receipt = std::move(r);
    w.pdu = std::move(pdu);
    if (w.pdu.empty() && request != nullptr) {
        std::vector<std::uint8_t> bytes;
        if (!smpp::encode(*request, bytes, {.strict = false})) {
            w.pdu.assign(reinterpret_cast<const char*>(bytes.data()), bytes.size());
        }
    }
    w.respond = std::move(respond);
    w.may_forward = may_forward;
    std::optional<ask> question;
    {
        std::lock_guard lock(mutex_);
        auto key = key_of(w.carrier, w.ids.front());
        const auto now = steady::now();
        if (first_parked_.size() >= 100'000) {
            first_parked_.clear();  // bounded: a flood of distinct unknown ids must not grow it
        }
        const auto first = first_parked_.try_emplace(key, now).first->second;
        w.deadline = first + settings_.park_timeout;
        question = ask_if_due(w, key, now);
        parked_.emplace(std::move(key), std::move(w));
    }
    if (question) {
        send_asks({std::move(*question)});
    }
}

void receipt_relay::set_elsewhere(elsewhere e) {
    std::lock_guard lock(mutex_);
    elsewhere_ = std::move(e);
}

std::optional<receipt_relay::ask> receipt_relay::ask_if_due(waiting& w, const std::string& key,
                                                            steady::time_point now) {
    if (!w.may_forward || !elsewhere_.locate || w.pdu.empty() || now < w.next_ask) {
        return std::nullopt;
    }
    // Not again while this one may still be answered (the cluster answers within its
    // write_timeout), nor more than once a second after an answer of "nobody yet".
    w.ticket = next_ticket_++;
    w.next_ask = now + std::chrono::seconds(3);
    return ask{key, w.ticket, w.carrier, w.ids.front()};
}

void receipt_relay::send_asks(std::vector<ask> asks) {
    for (auto& a : asks) {
        elsewhere_.locate(a.carrier, a.id, [this, key = a.key, ticket = a.ticket](std::string n) {
            located(key, ticket, std::move(n));
        });
    }
}

void receipt_relay::located(const std::string& key, std::uint64_t ticket, std::string node) {
    std::optional<waiting> w;
    {
        std::lock_guard lock(mutex_);
        auto [first, last] = parked_.equal_range(key);
        for (auto it = first; it != last; ++it) {
            if (it->second.ticket != ticket) {
                continue;
            }
            if (node.empty() || node == elsewhere_.self) {
                // Nobody recorded it yet (its route may still be on its way), or it is ours
                // after all (our own mapping is on its way): it waits here, asked again soon.
                it->second.next_ask = steady::now() + std::chrono::seconds(1);
                return;
            }
            w = std::move(it->second);
            parked_.erase(it);
            break;
        }
    }
    if (!w) {
        return;  // matched, repeated or kept meanwhile
    }
    auto parked = std::make_shared<waiting>(std::move(*w));
    const auto put_back = [this](std::shared_ptr<waiting> p) {
        std::lock_guard lock(mutex_);
        p->next_ask = steady::now() + std::chrono::seconds(1);
        auto k = key_of(p->carrier, p->ids.front());
        parked_.emplace(std::move(k), std::move(*p));
    };
    const bool handed = elsewhere_.forward(
        node, parked->carrier, parked->ids, parked->pdu,
        [parked, put_back, node](bool stored) {
            if (stored) {
                // The submitting node has it durably: the carrier may forget it.
                parked->respond.send(smpp::status::ESME_ROK);
                return;
            }
            log::warn("a receipt for {} id {} was not taken by the cluster for node {}: it "
                      "waits here and is forwarded again",
                      log::carrier(parked->carrier), parked->ids.front(), node);
            put_back(parked);
        });
    if (!handed) {
        put_back(parked);
    }
}

void receipt_relay::mapped(std::string_view carrier, std::string_view carrier_message_id,
                           std::vector<store::unmatched_receipt> kept) {
    std::vector<waiting> ready;
    {
        std::lock_guard lock(mutex_);
        if (!parked_.empty()) {
            auto [first, last] = parked_.equal_range(key_of(carrier, carrier_message_id));
            for (auto it = first; it != last; ++it) {
                ready.push_back(std::move(it->second));
            }
            parked_.erase(first, last);
        }
    }
    for (auto& w : ready) {
        const auto respond = w.respond;
        const auto result = apply(w.carrier, w.ids, w.receipt, [respond](std::error_code ec) {
            respond.send(ec ? smpp::status::ESME_RX_T_APPN : smpp::status::ESME_ROK);
        });
        if (result == outcome::repeat) {
            w.respond.send(smpp::status::ESME_ROK);
        } else if (result == outcome::unknown) {
            std::lock_guard lock(mutex_);
            parked_.emplace(key_of(w.carrier, w.ids.front()), std::move(w));
        }
    }
    // Receipts kept durably as unmatched: the carrier was answered long ago; applying one
    // settles its entry in the same journal group.
    for (const auto& u : kept) {
        smpp::pdu p;
        const auto bytes = std::span(reinterpret_cast<const std::uint8_t*>(u.pdu.data()),
                                     u.pdu.size());
        const auto r = smpp::decode(bytes, p).ok() ? smpp::receipt_of(p) : std::nullopt;
        const store::lsn_t entry = u.lsn;
        if (!r) {
            (void)live_.drop_unmatched(entry, {});
            continue;
        }
        const std::vector<std::string> ids{u.carrier_message_id};
        if (apply(u.carrier, ids, *r, {}, {&entry, 1}) == outcome::unknown) {
            log::warn("unmatched receipt {} for {} still unknown after its mapping appeared",
                      u.carrier_message_id, u.carrier);
        }
        stats_.receipt_match_failure("matched_late").Increment();
    }
}

void receipt_relay::sweep(steady::time_point now) {
    std::vector<waiting> retry;
    std::vector<ask> asks;
    std::size_t limit = 0;
    {
        std::lock_guard lock(mutex_);
        limit = settings_.max_unmatched;
        std::erase_if(first_parked_, [&](const auto& e) {
            return now - e.second > settings_.park_timeout * 2;
        });
        for (auto it = parked_.begin(); it != parked_.end();) {
            retry.push_back(std::move(it->second));
            it = parked_.erase(it);
        }
    }
    for (auto& w : retry) {
        if (settle(w.carrier, w.ids, w.receipt, w.respond)) {
            continue;
        }
        if (now < w.deadline) {
            std::lock_guard lock(mutex_);
            auto key = key_of(w.carrier, w.ids.front());
            if (auto q = ask_if_due(w, key, now)) {
                asks.push_back(std::move(*q));
            }
            parked_.emplace(std::move(key), std::move(w));
            continue;
        }
        // Nobody claimed it in time: keep it durably rather than drop it.
        stats_.receipt_match_failure("unknown_id").Increment();
        log::warn("receipt for unknown carrier id {} from {} kept as unmatched", w.ids.front(),
                  log::carrier(w.carrier));
        store::unmatched_record u;
        u.carrier = w.carrier;
        u.carrier_message_id = w.ids.front();
        u.when = live_.now();
        u.pdu = std::move(w.pdu);
        const auto respond_kept = w.respond;
        if (!live_.keep_unmatched(std::move(u), limit, [respond_kept](std::error_code ec) {
                respond_kept.send(ec ? smpp::status::ESME_RX_T_APPN : smpp::status::ESME_ROK);
            })) {
            stats_.receipt_match_failure("unmatched_evicted").Increment();
            log::warn("more than {} unmatched receipts kept: the oldest was dropped", limit);
        }
    }
    send_asks(std::move(asks));
    ask_about_kept(now);
}

void receipt_relay::ask_about_kept(steady::time_point now) {
    if (!elsewhere_.locate) {
        return;
    }
    if (elsewhere_.reachable && !elsewhere_.reachable()) {
        // Every answer now would be "nobody knows": a round runs as soon as the cluster is
        // back, whatever the interval (receipts kept while it was away are the likeliest to
        // have found their route there by then).
        kept_ask_on_return_ = true;
        return;
    }
    if (now < next_kept_ask_ && !kept_ask_on_return_) {
        return;
    }
    kept_ask_on_return_ = false;
    next_kept_ask_ = now + kept_ask_interval;
    auto kept = live_.list_unmatched(kept_ask_batch, kept_cursor_);
    // In turn: the next round starts after the last one asked, and from the oldest again once
    // the end is reached.
    kept_cursor_ = kept.size() < kept_ask_batch ? 0 : kept.back().lsn;
    for (auto& u : kept) {
        // Copies: `u` itself moves into the answer's callback.
        const auto id = u.carrier_message_id;
        const auto carrier = u.carrier;
        elsewhere_.locate(carrier, id, [this, u = std::move(u)](std::string node) {
            located_kept(u, node);
        });
    }
}

void receipt_relay::located_kept(const store::unmatched_receipt& kept, const std::string& node) {
    if (node.empty() || node == elsewhere_.self) {
        return;  // still nobody's, or ours after all (then its mapping hands it back here)
    }
    const auto entry = kept.lsn;
    (void)elsewhere_.forward(
        node, kept.carrier, {kept.carrier_message_id}, kept.pdu,
        [this, entry, node, id = kept.carrier_message_id](bool stored) {
            if (!stored) {
                return;  // still kept here; asked about again in a later round
            }
            // The submitting node has it durably. Dropping it here is journaled; a crash
            // before that forwards it again later, which that node takes as a repeat.
            log::info("kept receipt for id {} forwarded to node {}, where it was submitted", id,
                      node);
            (void)live_.drop_unmatched(entry, {});
        });
}

}  // namespace smppgw::gateway
