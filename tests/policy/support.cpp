#include "support.hpp"

#include <algorithm>
#include <sstream>

#include <date/tz.h>

namespace policy_test {

const policy_data& shipped_data() {
    static const policy_data data = [] {
        data_paths p;
        const std::string root = SMPPGW_SOURCE_DIR "/";
        p.map_data = root + p.map_data;
        p.area_codes = root + p.area_codes;
        p.overlays = root + p.overlays;
        for (auto& h : p.holidays) {
            h.path = root + h.path;
        }
        return load_policy_data(p);
    }();
    return data;
}

const engine& default_engine() {
    static const std::shared_ptr<const engine> e = build_engine(policy_config{}, shipped_data());
    return *e;
}

std::shared_ptr<const engine> make_engine(const std::function<void(policy_config&)>& tweak) {
    policy_config cfg;
    tweak(cfg);
    return build_engine(cfg, shipped_data());
}

time_point local(const char* zone, int y, unsigned mo, unsigned d, int h, int mi, int s) {
    const auto* tz = date::locate_zone(zone);
    const date::local_seconds l = date::local_days{date::year{y} / date::month{mo} / date::day{d}} +
                                  std::chrono::hours{h} + std::chrono::minutes{mi} +
                                  std::chrono::seconds{s};
    const auto info = tz->get_info(l);
    if (info.result == date::local_info::nonexistent) {
        return std::chrono::time_point_cast<std::chrono::milliseconds>(info.first.end);
    }
    return time_point{std::chrono::duration_cast<std::chrono::milliseconds>(l.time_since_epoch() -
                                                                            info.first.offset)};
}

time_point utc(int y, unsigned mo, unsigned d, int h, int mi, int s) {
    return time_point{date::sys_days{date::year{y} / date::month{mo} / date::day{d}} +
                      std::chrono::hours{h} + std::chrono::minutes{mi} + std::chrono::seconds{s}};
}

std::string show(time_point t, const char* zone) {
    std::ostringstream os;
    using date::operator<<;
    os << date::make_zoned(zone, t) << " (" << t << "Z)";
    return os.str();
}

std::optional<optout_summary> memory_store::find_optout(std::string_view brand,
                                                        std::string_view msisdn) const {
    if (auto it = optouts.find(std::pair{std::string(brand), std::string(msisdn)});
        it != optouts.end()) {
        return it->second;
    }
    if (auto it = optouts.find(std::pair{std::string(all_brands), std::string(msisdn)});
        it != optouts.end()) {
        return it->second;
    }
    return std::nullopt;
}

std::optional<consent_summary> memory_store::find_consent(std::string_view brand,
                                                          std::string_view msisdn,
                                                          message_class klass) const {
    if (auto it = consents.find({std::string(brand), std::string(msisdn), klass});
        it != consents.end()) {
        return it->second;
    }
    return default_consent;
}

send_history memory_store::recent_sends(std::string_view brand, std::string_view msisdn,
                                        time_point since) const {
    send_history h;
    auto it = sends.find({std::string(brand), std::string(msisdn)});
    if (it == sends.end()) {
        return h;
    }
    std::vector<time_point> v;
    for (auto t : it->second) {
        if (t >= since) {
            v.push_back(t);
        }
    }
    std::sort(v.begin(), v.end());
    const std::size_t skip =
        v.size() > send_history::capacity ? v.size() - send_history::capacity : 0;
    for (std::size_t i = skip; i < v.size(); ++i) {
        h.sends[h.count++] = v[i];
    }
    return h;
}

std::optional<hold_summary> memory_store::find_hold(std::string_view brand,
                                                    std::string_view msisdn) const {
    if (auto it = holds.find({std::string(brand), std::string(msisdn)}); it != holds.end()) {
        return it->second;
    }
    return std::nullopt;
}

std::optional<optout_record> memory_store::optout_evidence(std::string_view brand,
                                                           std::string_view msisdn) const {
    if (auto it = optout_records.find(std::pair{std::string(brand), std::string(msisdn)});
        it != optout_records.end()) {
        return it->second;
    }
    return std::nullopt;
}

std::vector<consent_record> memory_store::consent_events(std::string_view brand,
                                                         std::string_view msisdn,
                                                         message_class klass) const {
    if (auto it = events.find({std::string(brand), std::string(msisdn), klass});
        it != events.end()) {
        return it->second;
    }
    return {};
}

void memory_store::opt_out(const std::string& brand, const std::string& msisdn, time_point when,
                           record_source source) {
    optouts[{brand, msisdn}] = optout_summary{when, false};
    optout_records[{brand, msisdn}] =
        optout_record{brand, msisdn, when, "", source, std::string(to_string(source))};
}

void memory_store::opt_out_all(const std::string& msisdn, time_point when, record_source source) {
    const std::string all(all_brands);
    optouts[{all, msisdn}] = optout_summary{when, true};
    optout_records[{all, msisdn}] =
        optout_record{all, msisdn, when, "", source, std::string(to_string(source))};
}

namespace {

consent_summary summarize(const consent_record& rec) {
    consent_summary c;
    c.status = rec.status;
    c.type = rec.type;
    c.has_proof = rec.has_proof();
    c.granted = rec.granted;
    c.expires = rec.expires;
    return c;
}

time_point effective_time(const consent_record& rec) {
    auto t = rec.granted;
    if (rec.double_opt_in) {
        t = std::max(t, *rec.double_opt_in);
    }
    if (rec.revoked) {
        t = std::max(t, *rec.revoked);
    }
    return t;
}

}  // namespace

void memory_store::add_consent_event(const consent_record& rec) {
    auto& list = events[{rec.brand, rec.msisdn, rec.klass}];
    // By effective time, a later write winning a tie (the store orders by time, then write).
    const auto at = std::upper_bound(
        list.begin(), list.end(), effective_time(rec),
        [](time_point t, const consent_record& e) { return t < effective_time(e); });
    list.insert(at, rec);
    consents[{rec.brand, rec.msisdn, rec.klass}] = summarize(list.back());
}

consent_summary written_consent(time_point granted) {
    consent_summary c;
    c.status = consent_status::granted;
    c.type = consent_type::express_written;
    c.has_proof = true;
    c.granted = granted;
    return c;
}

void memory_store::grant_written(const std::string& brand, const std::string& msisdn,
                                 message_class k, time_point when) {
    set_consent(brand, msisdn, k, written_consent(when));
}

void memory_store::set_consent(const std::string& brand, const std::string& msisdn, message_class k,
                               consent_summary c) {
    consent_record rec;
    rec.brand = brand;
    rec.msisdn = msisdn;
    rec.klass = k;
    rec.status = c.status;
    rec.type = c.type;
    rec.granted = c.granted;
    rec.expires = c.expires;
    rec.source = record_source::web;
    if (c.has_proof) {
        rec.proof = "web form v1";
    }
    if (c.status == consent_status::revoked) {
        rec.revoked = c.granted;
        rec.revocation_channel = "API";
    }
    add_consent_event(rec);
    consents[{brand, msisdn, k}] = c;  // exactly what the test asked for
}

void memory_store::sent(const std::string& brand, const std::string& msisdn, time_point when) {
    sends[{brand, msisdn}].push_back(when);
}

void memory_store::hold(const std::string& brand, const std::string& msisdn, time_point when) {
    holds[{brand, msisdn}] = hold_summary{when};
}

void memory_store::apply(const mo_plan& plan) {
    for (const auto& a : plan.actions) {
        switch (a.kind) {
            case mo_action_kind::record_optout:
                optouts[{a.optout->brand, a.optout->msisdn}] =
                    optout_summary{a.optout->when, a.optout->brand == all_brands};
                optout_records[{a.optout->brand, a.optout->msisdn}] = *a.optout;
                break;
            case mo_action_kind::revoke_consents: {
                // As the gateway does: one revocation event (channel "MO") per consent held.
                std::vector<consent_record> revocations;
                for (const auto& [key, c] : consents) {
                    if ((std::get<0>(key) == a.brand || a.brand == all_brands) &&
                        std::get<1>(key) == a.msisdn) {
                        consent_record rev;
                        rev.brand = std::get<0>(key);
                        rev.msisdn = a.msisdn;
                        rev.klass = std::get<2>(key);
                        rev.status = consent_status::revoked;
                        rev.granted = a.when;
                        rev.revoked = a.when;
                        rev.revocation_channel = "MO";
                        rev.source = record_source::mo;
                        rev.proof = "MO";
                        revocations.push_back(rev);
                    }
                }
                for (const auto& rev : revocations) {
                    add_consent_event(rev);
                }
                break;
            }
            case mo_action_kind::lift_optout:
                optouts.erase({a.brand, a.msisdn});
                optout_records.erase({a.brand, a.msisdn});
                break;
            case mo_action_kind::record_consent:
            case mo_action_kind::restore_consent:
                add_consent_event(*a.consent);
                break;
            case mo_action_kind::confirm_double_opt_in:
                if (auto it = consents.find({a.brand, a.msisdn, a.klass}); it != consents.end()) {
                    it->second.status = consent_status::granted;
                }
                break;
            case mo_action_kind::place_hold:
                holds[{a.hold->brand, a.hold->msisdn}] = hold_summary{a.hold->since};
                break;
            case mo_action_kind::clear_hold:
                holds.erase({a.brand, a.msisdn});
                break;
            case mo_action_kind::flag_for_review:
                break;
            case mo_action_kind::send_reply:
                replies.push_back(a.text);
                break;
        }
    }
}

message_facts promo(std::string_view e164_digits, std::string_view brand) {
    message_facts f;
    f.account = "acct";
    f.brand = brand;
    f.klass = message_class::promotional;
    f.source = address{type_of_number::international, numbering_plan::isdn, "15550001111"};
    f.destination = address{type_of_number::international, numbering_plan::isdn, e164_digits};
    f.text = "Acme: 20% off today. Reply STOP to opt out.";
    return f;
}

message_facts with_class(message_facts f, message_class k) {
    f.klass = k;
    return f;
}

}  // namespace policy_test
