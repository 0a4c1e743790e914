#include "inbound/mo_relay.hpp"

#include <algorithm>

#include "inbound/evidence.hpp"
#include "infra/log.hpp"
#include "infra/metrics.hpp"
#include "mt/acceptance.hpp"
#include "mt/router.hpp"
#include "northbound/accounts.hpp"
#include "smppgw/smpp/codec.hpp"
#include "smppgw/smpp/message_view.hpp"
#include "smppgw/smpp/text.hpp"
#include "wire/wire.hpp"

namespace smppgw::gateway {
namespace {

using steady = std::chrono::steady_clock;

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

// The MO's place in the traffic statistics (store/traffic.hpp), written with the MO itself: a
// new opt-out (a repeated STOP records none), an opt-in or a HELP keyword, for the account that
// owns the receiving number.
void count_traffic(const policy::mo_plan& plan, const account_config& acct, store::time_point now,
                   store::batch& b) {
    const store::traffic_key key{acct.system_id, acct.brand, {}};
    const bool opted_out =
        std::any_of(plan.actions.begin(), plan.actions.end(), [](const policy::mo_action& a) {
            return a.kind == policy::mo_action_kind::record_optout && a.optout;
        });
    if (opted_out) {
        b.count_traffic(key, store::traffic_measure::opt_out, now);
    }
    if (plan.match.kind == policy::keyword_kind::opt_in) {
        b.count_traffic(key, store::traffic_measure::opt_in, now);
    } else if (plan.match.kind == policy::keyword_kind::help) {
        b.count_traffic(key, store::traffic_measure::help, now);
    }
}

}  // namespace

mo_relay::mo_relay(store::store& db, account_registry& accts, acceptance& accept, router& route,
                   const snapshot<config>& cfg, const snapshot<policy::engine>& engine,
                   metrics& stats, cluster::node* shared)
    : db_(db),
      accounts_(accts),
      acceptance_(accept),
      router_(route),
      cfg_(cfg),
      engine_(engine),
      stats_(stats),
      cluster_(shared),
      evidence_(db) {}

void mo_relay::expire(steady::time_point now) {
    std::vector<smpp::incomplete_group> expired;
    {
        std::lock_guard lock(reassembly_mutex_);
        expired = reassembler_.expire(now);
    }
    for (const auto& g : expired) {
        stats_.mo_messages("incomplete_concatenation").Increment();
        log::warn("concatenated MO from {} to {} incomplete after the timeout ({} of {} parts)",
                  g.source_addr, g.destination_addr, g.parts.size(), g.total);
    }
}

void mo_relay::handle(carrier& c, const smpp::pdu& request, deferred_response respond) {
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
        result = reassembler_.add(part, steady::now());
    }
    for (const auto& g : result.evicted) {
        stats_.mo_messages("evicted_concatenation").Increment();
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
            const auto joined = build_reassembled_mo(*view, request.tlvs, whole);
            process(c.name(), joined, whole.payload, whole.data_coding, std::move(respond));
            return;
        }
        default:
            process(c.name(), request, view->content, view->data_coding, std::move(respond));
            return;
    }
}

void mo_relay::process(const std::string& carrier_name, const smpp::pdu& mo,
                       std::span<const std::uint8_t> content, std::uint8_t data_coding,
                       deferred_response respond) {
    const auto view = smpp::view_message(mo);
    const auto cfg = cfg_.load();
    const auto acct = accounts_.mo_owner(view->destination_addr);
    if (!acct) {
        stats_.mo_messages("unowned_number").Increment();
        log::warn("MO from carrier {} to {} which no account owns; acknowledged and dropped",
                  log::carrier(carrier_name), view->destination_addr);
        respond.send(smpp::status::ESME_ROK);
        return;
    }
    const auto now = db_.now();
    const auto mo_id = db_.next_id();
    const std::string mo_ref = format_message_id(mo_id);
    const std::string msisdn = sender_msisdn(view->source_addr_ton, view->source_addr,
                                             cfg->policy.destination.default_country_code);
    const bool udhi = (view->esm_class & smpp::esm::udhi) != 0 && !view->content_in_payload;
    const auto text = smpp::decode_short_message(content, data_coding, udhi);

    store::batch b;
    std::vector<store::accepted_record> replies;
    std::vector<cluster::change> shared;  // the same effects, for the other nodes
    bool policy_changed = false;
    if (text.kind == smpp::content_kind::text && !msisdn.empty()) {
        const auto engine = engine_.load();
        const policy::lookups lk{&db_, &db_, &db_, &db_, &evidence_};
        policy::mo_input in;
        in.mo_id = mo_ref;
        in.brand = acct->brand;
        in.msisdn = msisdn;
        in.receiving_number = view->destination_addr;
        in.received = now;
        in.text = text.text;
        const auto plan = engine->plan_mo(in, policy::fetch_mo_state(lk, acct->brand, msisdn));
        stats_.keyword_match(acct->brand, policy::to_string(plan.match.kind)).Increment();
        count_traffic(plan, *acct, now, b);
        for (const auto& a : plan.actions) {
            stats_.keyword_action(acct->brand, policy::to_string(a.kind)).Increment();
            switch (a.kind) {
                case policy::mo_action_kind::record_optout:
                    if (a.optout) {
                        b.put_optout(*a.optout);
                        shared.push_back(cluster::change::optout_put(*a.optout));
                        // In force now, before the commit: see acceptance.hpp.
                        db_.announce_optout(a.optout->brand, a.optout->msisdn, a.optout->when);
                        policy_changed = true;
                    }
                    break;
                case policy::mo_action_kind::revoke_consents: {
                    std::vector<std::string> brands{a.brand};
                    if (a.brand == policy::all_brands) {
                        brands.clear();
                        for (const auto& ac : cfg->accounts) {
                            brands.push_back(ac.brand);
                        }
                    }
                    for (const auto& brand : brands) {
                        for (auto klass : {policy::message_class::transactional,
                                           policy::message_class::promotional,
                                           policy::message_class::conversational}) {
                            if (!db_.find_consent(brand, msisdn, klass)) {
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
                            shared.push_back(cluster::change::consent_put(rev));
                        }
                    }
                    break;
                }
                case policy::mo_action_kind::lift_optout:
                    b.lift_optout(a.brand, a.msisdn, a.when, policy::record_source::mo, mo_ref);
                    shared.push_back(cluster::change::optout_lift(
                        a.brand, a.msisdn, a.when, policy::record_source::mo, mo_ref));
                    break;
                case policy::mo_action_kind::record_consent:
                case policy::mo_action_kind::restore_consent:
                    if (a.consent) {
                        b.put_consent(*a.consent);
                        shared.push_back(cluster::change::consent_put(*a.consent));
                    }
                    break;
                case policy::mo_action_kind::confirm_double_opt_in: {
                    auto current = db_.get_consent(a.brand, a.msisdn, a.klass);
                    if (current && *current) {
                        auto confirmed = **current;
                        confirmed.status = policy::consent_status::granted;
                        confirmed.double_opt_in = a.when;
                        b.put_consent(confirmed);
                        shared.push_back(cluster::change::consent_put(confirmed));
                    }
                    break;
                }
                case policy::mo_action_kind::place_hold:
                    if (a.hold) {
                        b.put_hold(*a.hold);
                        shared.push_back(cluster::change::hold_put(*a.hold));
                        db_.announce_hold(*a.hold);
                        policy_changed = true;
                        store::audit_record audit;
                        audit.when = now;
                        audit.id = mo_id;
                        audit.msisdn = msisdn;
                        audit.account = acct->system_id;
                        audit.brand = a.hold->brand;
                        audit.check = "review_hold";
                        audit.verdict = store::audit_verdict::accept;
                        audit.reason = "hold_placed";
                        b.put_audit(audit);
                    }
                    break;
                case policy::mo_action_kind::clear_hold:
                    b.release_hold(a.brand, a.msisdn);
                    shared.push_back(cluster::change::hold_release(a.brand, a.msisdn, a.when));
                    break;
                case policy::mo_action_kind::flag_for_review:
                    log::warn("MO {} from {} to {} flagged for review (ambiguous opt-out)", mo_ref,
                              msisdn, view->destination_addr);
                    break;
                case policy::mo_action_kind::send_reply: {
                    store::accepted_record reply;
                    reply.message = make_reply_record(acct->system_id, acct->brand,
                                                      view->destination_addr, msisdn, a.text, now);
                    reply.message.id = db_.next_id();
                    reply.message.msisdn = msisdn;
                    reply.keyword_reply = true;
                    replies.push_back(std::move(reply));
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
    if (policy_changed) {
        acceptance_.policy_changed();
    }
    // Forward the MO itself to the owning account (store and forward).
    store::mo_record entry;
    entry.account = acct->system_id;
    entry.kind = store::outbox_kind::mo;
    entry.when = now;
    auto forward = build_upstream_mo(mo);
    forward.sequence_number = 1;
    std::vector<std::uint8_t> bytes;
    if (!smpp::encode(forward, bytes, {.strict = false})) {
        entry.bytes.assign(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    }
    stats_.mo_messages("received").Increment();
    // What the commit's completion needs, in one allocation (the completion's capture space is
    // small): the replies to route, and the changes staged for the cluster in the MO's own
    // batch (once it is durable, so is the duty to publish them).
    struct after_commit {
        std::vector<store::message_ptr> routed;
        cluster::staged_changes staged;
    };
    auto after = std::make_shared<after_commit>();
    if (cluster_ != nullptr && !shared.empty()) {
        after->staged = cluster_->stage(b, std::move(shared));
    }
    db_.live().mo(std::move(entry), std::move(replies), b.empty() ? nullptr : &b, &after->routed,
                  [this, respond, after](std::error_code ec) {
                      if (ec) {
                          // Nothing of it is durable: the carrier delivers it again.
                          stats_.store_errors("mo").Increment();
                          respond.send(smpp::status::ESME_RX_T_APPN);
                          return;
                      }
                      // The opt-out is durable (and, on a cluster, replicated or pending for
                      // it): only now may the carrier hear that we have the MO. send() and
                      // route() post to their owners, so this may run on a nats.c thread.
                      auto finish = [this, respond, after](bool) {
                          respond.send(smpp::status::ESME_ROK);
                          for (auto& m : after->routed) {
                              router_.route(m);
                          }
                      };
                      if (after->staged.empty()) {
                          finish(true);
                          return;
                      }
                      cluster_->publish(std::move(after->staged), std::move(finish));
                  });
}

}  // namespace smppgw::gateway
