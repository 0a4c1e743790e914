// What carriers deliver to us: receipts (correlated to our ids and relayed to the account that
// submitted) and MO messages (keywords first, then relayed to the account owning the number).
// Each is answered to the carrier only after its effects are durable.

#include <boost/asio/post.hpp>

#include "daemon/core.hpp"
#include "infra/log.hpp"
#include "wire/wire.hpp"

namespace smppgw::gateway {
namespace {

namespace asio = boost::asio;
using clock = std::chrono::steady_clock;

std::string_view bytes_view(const std::vector<std::uint8_t>& b) {
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// The worst final state of a message's parts, or delivered when all were.
store::message_state aggregate(const std::vector<store::message_state>& parts) {
    for (const auto s : parts) {
        if (s != store::message_state::delivered) {
            return s;
        }
    }
    return store::message_state::delivered;
}

// E.164 digits of an MO sender: strip '+', and give national NANP numbers their country code.
std::string sender_msisdn(std::uint8_t ton, std::string_view addr, std::string_view country) {
    std::string digits;
    for (char c : addr) {
        if (c >= '0' && c <= '9') {
            digits.push_back(c);
        }
    }
    if (ton == 2 && country == "1" && digits.size() == 10) {
        digits.insert(0, "1");
    }
    return digits;
}

}  // namespace

void core::carrier_delivery(carrier& c, smpp::pdu& request, deferred_response respond) {
    if (smpp::is_receipt(request)) {
        handle_receipt(c, request, std::move(respond));
    } else {
        handle_mo(c, request, std::move(respond));
    }
}

// ---- receipts -----------------------------------------------------------------------------

void core::handle_receipt(carrier& c, smpp::pdu& request, deferred_response respond,
                          clock::time_point deadline) {
    const auto r = smpp::receipt_of(request);
    if (!r || r->id.empty()) {
        metrics_.receipt_match_failure("no_id").Increment();
        respond.send(smpp::status::ESME_ROK);  // nothing to correlate; holding it helps nobody
        return;
    }
    if (deadline == clock::time_point{}) {
        deadline = clock::now() + cfg()->server.receipt_park_timeout;
    }
    // The TLV id first (SMPP.md §8.5), then the text's id if it differs.
    std::vector<std::pair<std::string, smpp::id_source>> candidates;
    candidates.emplace_back(std::string(c.normalize(r->id, r->id_origin).view()), r->id_origin);
    if (!r->text_id.empty() && r->id_origin != smpp::id_source::receipt_text) {
        auto alt = std::string(c.normalize(r->text_id, smpp::id_source::receipt_text).view());
        if (alt != candidates.front().first) {
            candidates.emplace_back(std::move(alt), smpp::id_source::receipt_text);
        }
    }
    for (const auto& [key, source] : candidates) {
        if (key.empty()) {
            continue;
        }
        correlator::match m;
        correlator::parked p{c.name(), key, request, respond, deadline};
        switch (correlator_.lookup(c.name(), key, m, p)) {
            case correlator::lookup_result::found:
                apply_receipt(c, key, m, *r, respond);
                return;
            case correlator::lookup_result::parked_on_commit:
                return;
            case correlator::lookup_result::unknown:
                break;
        }
        // Not in memory: the store knows every mapping it journaled (restarts, old messages).
        // One loader at a time, and look again under the lock: the receipt of another part of
        // the same message may have loaded its context while we waited.
        std::unique_lock fallback(store_fallback_mutex_);
        {
            correlator::parked again{c.name(), key, request, respond, deadline};
            switch (correlator_.lookup(c.name(), key, m, again)) {
                case correlator::lookup_result::found:
                    fallback.unlock();
                    apply_receipt(c, key, m, *r, respond);
                    return;
                case correlator::lookup_result::parked_on_commit:
                    return;
                case correlator::lookup_result::unknown:
                    break;
            }
        }
        auto mapping = store_->find_carrier_id(c.name(), key);
        if (!mapping) {
            metrics_.store_errors("find_carrier_id").Increment();
            respond.send(smpp::status::ESME_RX_T_APPN);  // the carrier will redeliver
            return;
        }
        if (!*mapping) {
            continue;
        }
        auto rec = store_->get_message((*mapping)->id);
        if (!rec || !*rec) {
            metrics_.receipt_match_failure("message_expired").Increment();
            respond.send(smpp::status::ESME_ROK);
            return;
        }
        auto ctx = std::make_shared<receipt_context>();
        ctx->id = (*rec)->id;
        ctx->account = (*rec)->account;
        ctx->source = (*rec)->source;
        ctx->destination = (*rec)->destination;
        ctx->registered_delivery = (*rec)->registered_delivery;
        ctx->received = (*rec)->received;
        if (auto a = account(ctx->account)) {
            std::lock_guard lock(a->mutex);
            ctx->per_segment = a->cfg->per_segment_receipts;
        }
        const std::size_t parts = std::max<std::size_t>(1, (*rec)->parts.size());
        ctx->parts.assign(parts, store::message_state::submitted);
        ctx->errors.assign(parts, 0);
        for (std::size_t i = 0; i < (*rec)->parts.size(); ++i) {
            ctx->parts[i] = (*rec)->parts[i].state;
        }
        ctx->final_sent = store::is_final((*rec)->state);
        // Every part's mapping joins the correlator with this one context, so the receipts of
        // the other parts (often right behind this one) fold into the same aggregate instead
        // of each building its own from the store and never seeing all parts final.
        for (std::size_t i = 0; i < (*rec)->parts.size(); ++i) {
            const auto& part_id = (*rec)->parts[i].carrier_message_id;
            if (!part_id.empty() && i != (*mapping)->part) {
                correlator_.add(c.name(), part_id, ctx, static_cast<std::uint16_t>(i), true);
            }
        }
        correlator_.add(c.name(), key, ctx, (*mapping)->part, true);
        fallback.unlock();
        apply_receipt(c, key, {ctx, (*mapping)->part}, *r, respond);
        return;
    }
    // Nobody knows this id yet: our own submit_sm_resp may still be on its way on another
    // session. Park it and look again on every sweep until the deadline of its first arrival.
    const auto& key = candidates.front().first;
    deadline = correlator_.first_deadline(c.name(), key, deadline);
    if (clock::now() >= deadline) {
        metrics_.receipt_match_failure("unknown_id").Increment();
        log::warn("receipt for unknown carrier id {} from {} given up", key,
                  log::carrier(c.name()));
        respond.send(smpp::status::ESME_ROK);
        return;
    }
    correlator_.park_unknown({c.name(), key, request, respond, deadline});
}

void core::apply_receipt(carrier& c, const std::string& key, const correlator::match& m,
                         const smpp::receipt& r, deferred_response respond) {
    const auto state = r.state ? to_store_state(*r.state) : store::message_state::unknown;
    const std::uint32_t err = r.error_code().value_or(0);
    const auto now = store_->now();
    auto& ctx = *m.ctx;
    store::batch b;
    bool emit = false;
    bool all_final = false;
    store::message_state reported = state;
    std::uint32_t delivered_parts = 0;
    std::uint32_t parts_total = 0;
    // What this receipt changes in memory, to undo if the journal refuses it: the carrier
    // delivers it again, and that retry must not look like a repeat of a receipt we never kept.
    store::message_state previous_state{};
    std::uint32_t previous_error = 0;
    bool previous_final_sent = false;
    {
        std::lock_guard lock(ctx.mutex);
        if (m.part >= ctx.parts.size()) {
            ctx.parts.resize(m.part + 1U, store::message_state::submitted);
            ctx.errors.resize(m.part + 1U, 0);
        }
        auto& current = ctx.parts[m.part];
        previous_state = current;
        previous_error = ctx.errors[m.part];
        previous_final_sent = ctx.final_sent;
        // Final states are sticky: a late intermediate receipt does not undo a final one.
        if (!(store::is_final(current) && !store::is_final(state))) {
            current = state;
            ctx.errors[m.part] = err;
        }
        parts_total = static_cast<std::uint32_t>(ctx.parts.size());
        all_final = std::all_of(ctx.parts.begin(), ctx.parts.end(),
                                [](auto s) { return store::is_final(s); });
        for (auto s : ctx.parts) {
            delivered_parts += s == store::message_state::delivered ? 1U : 0U;
        }
        if (ctx.per_segment || parts_total == 1) {
            // A carrier that repeats a final receipt (lost deliver_sm_resp) must not make the
            // application see two for one submit.
            const bool repeat = store::is_final(state) && ctx.final_sent && parts_total == 1;
            emit = !repeat && receipt_wanted(ctx.registered_delivery, state);
            if (store::is_final(state)) {
                ctx.final_sent = all_final;
            }
        } else if (all_final && !ctx.final_sent) {
            // One receipt per upstream submit: the parts' worst outcome, once all are final.
            reported = aggregate(ctx.parts);
            emit = receipt_wanted(ctx.registered_delivery, reported);
            ctx.final_sent = true;
        } else if (!store::is_final(state)) {
            emit = receipt_wanted(ctx.registered_delivery, state);  // intermediate, if asked
        }
    }
    b.set_part(ctx.id, m.part, state, now, {}, err);
    if (all_final) {
        b.set_state(ctx.id, aggregate(ctx.parts), now);
    }
    if (emit) {
        receipt_facts f;
        f.id = ctx.id;
        f.source = &ctx.source;
        f.destination = &ctx.destination;
        f.submitted = ctx.received;
        f.done = now;
        f.state = reported;
        f.error = err;
        f.parts = ctx.per_segment ? 1 : parts_total;
        f.delivered_parts = ctx.per_segment ? (state == store::message_state::delivered ? 1U : 0U)
                                            : delivered_parts;
        auto pdu = build_upstream_receipt(f);
        pdu.sequence_number = 1;
        std::vector<std::uint8_t> bytes;
        if (!smpp::encode(pdu, bytes)) {
            b.append_outbox(ctx.account, store::outbox_kind::dlr, bytes_view(bytes), now);
        }
    }
    metrics_
        .receipts(c.name(), r.stat.empty() ? std::string_view("none") : std::string_view(r.stat))
        .Increment();
    if (ctx.accepted_at != clock::time_point{} && store::is_final(state)) {
        metrics_.submit_to_receipt.Observe(seconds_since(ctx.accepted_at));
    }
    const bool final_part = store::is_final(state);
    store_->commit(std::move(b),
                   [this, respond, final_part, name = c.name(), key, m, previous_state,
                    previous_error, previous_final_sent](std::error_code ec) {
                       if (ec) {
                           // Not journaled: forget what it changed, refuse, and the carrier
                           // delivers the receipt again later.
                           {
                               std::lock_guard lock(m.ctx->mutex);
                               m.ctx->parts[m.part] = previous_state;
                               m.ctx->errors[m.part] = previous_error;
                               m.ctx->final_sent = previous_final_sent;
                           }
                           metrics_.store_errors("receipt").Increment();
                           respond.send(smpp::status::ESME_RX_T_APPN);
                           return;
                       }
                       respond.send(smpp::status::ESME_ROK);
                       if (final_part) {
                           correlator_.forget(name, key);
                       }
                   });
}

// ---- MO -----------------------------------------------------------------------------------

void core::handle_mo(carrier& c, smpp::pdu& request, deferred_response respond) {
    const auto view = smpp::view_message(request);
    if (!view) {
        respond.send(smpp::status::ESME_ROK);
        return;
    }
    smpp::incoming_part part;
    part.source_addr = view->source_addr;
    part.destination_addr = view->destination_addr;
    part.esm_class = view->esm_class;
    part.data_coding = view->data_coding;
    part.short_message = view->content;
    part.sar_msg_ref_num = request.tlvs.get<smpp::tlv::sar_msg_ref_num>();
    part.sar_total_segments = request.tlvs.get<smpp::tlv::sar_total_segments>();
    part.sar_segment_seqnum = request.tlvs.get<smpp::tlv::sar_segment_seqnum>();
    smpp::reassembly_result result;
    {
        std::lock_guard lock(reassembly_mutex_);
        result = reassembler_->add(part, clock::now());
    }
    for (const auto& g : result.evicted) {
        metrics_.mo_messages("evicted_concatenation").Increment();
        log::warn("concatenated MO from {} evicted before completion", g.source_addr);
    }
    switch (result.status) {
        case smpp::reassembly_status::buffered:
        case smpp::reassembly_status::duplicate:
            // Acknowledged now: carriers with a window of 1 would never send the next part.
            respond.send(smpp::status::ESME_ROK);
            return;
        case smpp::reassembly_status::complete: {
            const auto& whole = *result.message;
            // One deliver_sm with the whole text in message_payload, whatever the parts were.
            smpp::pdu joined;
            smpp::deliver_sm d;
            (void)d.service_type.assign(view->service_type);
            d.source_addr_ton = view->source_addr_ton;
            d.source_addr_npi = view->source_addr_npi;
            (void)d.source_addr.assign(view->source_addr.substr(0, smpp::address_21::max_length));
            d.dest_addr_ton = view->dest_addr_ton;
            d.dest_addr_npi = view->dest_addr_npi;
            (void)d.destination_addr.assign(
                view->destination_addr.substr(0, smpp::address_21::max_length));
            d.esm_class = whole.esm_class;
            d.data_coding = whole.data_coding;
            d.short_message.clear();
            joined.body = d;
            joined.tlvs = request.tlvs;
            joined.tlvs.erase(smpp::tlv::sar_msg_ref_num::tag);
            joined.tlvs.erase(smpp::tlv::sar_total_segments::tag);
            joined.tlvs.erase(smpp::tlv::sar_segment_seqnum::tag);
            joined.tlvs.set<smpp::tlv::message_payload>(whole.payload);
            process_mo(c.name(), joined, whole.payload, whole.data_coding, std::move(respond));
            return;
        }
        default:
            process_mo(c.name(), request, view->content, view->data_coding, std::move(respond));
            return;
    }
}

void core::process_mo(const std::string& carrier_name, const smpp::pdu& mo,
                      std::span<const std::uint8_t> content, std::uint8_t data_coding,
                      deferred_response respond) {
    const auto view = smpp::view_message(mo);
    const auto cfg_now = cfg();
    const auto owner = mo_owner(view->destination_addr);
    if (!owner) {
        metrics_.mo_messages("unowned_number").Increment();
        log::warn("MO from carrier {} to {} which no account owns; acknowledged and dropped",
                  log::carrier(carrier_name), view->destination_addr);
        respond.send(smpp::status::ESME_ROK);
        return;
    }
    std::shared_ptr<const account_config> acct;
    {
        std::lock_guard lock(owner->mutex);
        acct = owner->cfg;
    }
    const auto now = store_->now();
    const auto mo_id = store_->next_id();
    const std::string mo_ref = format_message_id(mo_id);
    const std::string msisdn = sender_msisdn(view->source_addr_ton, view->source_addr,
                                             cfg_now->policy.destination.default_country_code);
    const bool udhi = (view->esm_class & smpp::esm::udhi) != 0 && !view->content_in_payload;
    const auto text = smpp::decode_short_message(content, data_coding, udhi);

    store::batch b;
    std::vector<outbound_ptr> replies;
    const auto engine_now = engine();
    if (text.kind == smpp::content_kind::text && !msisdn.empty()) {
        policy::mo_input in;
        in.mo_id = mo_ref;
        in.brand = acct->brand;
        in.msisdn = msisdn;
        in.receiving_number = view->destination_addr;
        in.received = now;
        in.text = text.text;
        const auto plan =
            engine_now->plan_mo(in, policy::fetch_mo_state(lookups(), acct->brand, msisdn));
        metrics_.keyword_event(policy::to_string(plan.match.kind)).Increment();
        for (const auto& a : plan.actions) {
            metrics_.keyword_event(policy::to_string(a.kind)).Increment();
            switch (a.kind) {
                case policy::mo_action_kind::record_optout:
                    if (a.optout) {
                        b.put_optout(*a.optout);
                    }
                    break;
                case policy::mo_action_kind::revoke_consents: {
                    std::vector<std::string> brands{a.brand};
                    if (a.brand == policy::all_brands) {
                        brands.clear();
                        for (const auto& ac : cfg_now->accounts) {
                            brands.push_back(ac.brand);
                        }
                    }
                    for (const auto& brand : brands) {
                        for (auto klass : {policy::message_class::transactional,
                                           policy::message_class::promotional,
                                           policy::message_class::conversational}) {
                            if (!store_->find_consent(brand, msisdn, klass)) {
                                continue;
                            }
                            policy::consent_record rev;
                            rev.brand = brand;
                            rev.msisdn = msisdn;
                            rev.klass = klass;
                            rev.status = policy::consent_status::revoked;
                            rev.granted = a.when;
                            rev.revoked = a.when;
                            rev.revocation_channel = "MO";
                            rev.source = policy::record_source::mo;
                            rev.proof = "MO " + mo_ref;
                            b.put_consent(rev);
                        }
                    }
                    break;
                }
                case policy::mo_action_kind::lift_optout:
                    b.lift_optout(a.brand, a.msisdn, a.when, policy::record_source::mo, mo_ref);
                    break;
                case policy::mo_action_kind::record_consent:
                    if (a.consent) {
                        b.put_consent(*a.consent);
                    }
                    break;
                case policy::mo_action_kind::confirm_double_opt_in: {
                    auto current = store_->get_consent(a.brand, a.msisdn, a.klass);
                    if (current && *current) {
                        auto confirmed = **current;
                        confirmed.status = policy::consent_status::granted;
                        confirmed.double_opt_in = a.when;
                        b.put_consent(confirmed);
                    }
                    break;
                }
                case policy::mo_action_kind::place_hold:
                    if (a.hold) {
                        std::string key = a.hold->brand;
                        key.push_back('\0');
                        key.append(a.hold->msisdn);
                        std::lock_guard lock(holds_mutex_);
                        holds_[key] = *a.hold;
                    }
                    break;
                case policy::mo_action_kind::clear_hold: {
                    std::string key = a.brand;
                    key.push_back('\0');
                    key.append(a.msisdn);
                    std::lock_guard lock(holds_mutex_);
                    holds_.erase(key);
                    break;
                }
                case policy::mo_action_kind::flag_for_review:
                    log::warn("MO {} from {} to {} flagged for review (ambiguous opt-out)", mo_ref,
                              msisdn, view->destination_addr);
                    break;
                case policy::mo_action_kind::send_reply: {
                    auto msg = std::make_shared<outbound_message>();
                    msg->rec = make_reply_record(acct->system_id, acct->brand,
                                                 view->destination_addr, msisdn, a.text, now);
                    msg->rec.id = store_->next_id();
                    b.put_message(msg->rec);
                    replies.push_back(msg);
                    break;
                }
            }
        }
        if (plan.match.kind != policy::keyword_kind::none) {
            store::audit_record audit;
            audit.when = now;
            audit.id = mo_id;
            audit.msisdn = msisdn;
            audit.account = acct->system_id;
            audit.brand = acct->brand;
            audit.check = "keyword";
            audit.verdict = store::audit_verdict::accept;
            audit.reason = std::string(policy::to_string(plan.match.kind));
            b.put_audit(audit);
        }
    }
    // Forward the MO itself to the owning account (store and forward).
    auto forward = build_upstream_mo(mo);
    forward.sequence_number = 1;
    std::vector<std::uint8_t> bytes;
    if (!smpp::encode(forward, bytes, {.strict = false})) {
        b.append_outbox(acct->system_id, store::outbox_kind::mo, bytes_view(bytes), now);
    }
    metrics_.mo_messages("received").Increment();
    for (std::size_t i = 0; i < replies.size(); ++i) {
        message_accepted();
    }
    store_->commit(std::move(b), [this, respond, replies](std::error_code ec) {
        if (ec) {
            // Nothing of it is durable: the carrier must deliver the MO again.
            metrics_.store_errors("mo").Increment();
            for (std::size_t i = 0; i < replies.size(); ++i) {
                message_left();
            }
            respond.send(smpp::status::ESME_RX_T_APPN);
            return;
        }
        // The opt-out is durable: only now may the carrier hear that we have the MO.
        respond.send(smpp::status::ESME_ROK);
        for (const auto& msg : replies) {
            asio::post(io_->next(), [this, msg] { route(msg); });
        }
    });
}

}  // namespace smppgw::gateway
