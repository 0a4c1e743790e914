#include "smppgw/cluster/change.hpp"

#include <boost/json.hpp>

#include "smppgw/cluster/names.hpp"
#include "smppgw/store/batch.hpp"

namespace smppgw::cluster {
namespace {

namespace json = boost::json;
using policy::time_point;

constexpr std::int64_t format_version = 1;

std::int64_t ms_of(time_point t) {
    return t.time_since_epoch().count();
}

time_point time_of(std::int64_t ms) {
    return time_point{std::chrono::milliseconds{ms}};
}

// Reads members with their expected types; a missing or mistyped one makes the whole value
// unreadable (ok() false) rather than half a change.
class reader {
public:
    explicit reader(const json::object& o) : o_(o) {}

    std::string text(std::string_view key, bool required = true) {
        const auto* v = o_.if_contains(key);
        if (v == nullptr || v->is_null()) {
            ok_ = ok_ && !required;
            return {};
        }
        if (!v->is_string()) {
            ok_ = false;
            return {};
        }
        return std::string(v->get_string());
    }

    std::int64_t integer(std::string_view key) {
        const auto* v = o_.if_contains(key);
        if (v == nullptr || !v->is_int64()) {
            ok_ = false;
            return 0;
        }
        return v->get_int64();
    }

    std::optional<time_point> optional_time(std::string_view key) {
        const auto* v = o_.if_contains(key);
        if (v == nullptr || v->is_null()) {
            return std::nullopt;
        }
        if (!v->is_int64()) {
            ok_ = false;
            return std::nullopt;
        }
        return time_of(v->get_int64());
    }

    template <typename T, typename Parse>
    T enumerated(std::string_view key, Parse parse) {
        const auto parsed = parse(text(key));
        if (!parsed) {
            ok_ = false;
            return T{};
        }
        return *parsed;
    }

    [[nodiscard]] bool ok() const noexcept { return ok_; }

private:
    const json::object& o_;
    bool ok_ = true;
};

void put_optional_time(json::object& o, std::string_view key, const std::optional<time_point>& t) {
    if (t) {
        o[key] = ms_of(*t);
    }
}

}  // namespace

std::string_view to_string(change_kind k) noexcept {
    switch (k) {
        case change_kind::optout: return "optout";
        case change_kind::consent: return "consent";
        case change_kind::hold: return "hold";
    }
    return "unknown";
}

const std::string& change::brand() const noexcept {
    switch (kind) {
        case change_kind::consent: return consent.brand;
        case change_kind::hold: return hold.brand;
        case change_kind::optout: break;
    }
    return optout.brand;
}

const std::string& change::msisdn() const noexcept {
    switch (kind) {
        case change_kind::consent: return consent.msisdn;
        case change_kind::hold: return hold.msisdn;
        case change_kind::optout: break;
    }
    return optout.msisdn;
}

change change::optout_put(policy::optout_record r) {
    change c;
    c.kind = change_kind::optout;
    c.op = change_op::put;
    c.when = r.when;
    c.optout = std::move(r);
    return c;
}

change change::optout_lift(std::string brand, std::string msisdn, time_point when,
                           policy::record_source source, std::string reference) {
    change c;
    c.kind = change_kind::optout;
    c.op = change_op::remove;
    c.when = when;
    c.optout.brand = std::move(brand);
    c.optout.msisdn = std::move(msisdn);
    c.optout.when = when;
    c.optout.source = source;
    c.optout.reference = std::move(reference);
    return c;
}

change change::consent_put(policy::consent_record r) {
    change c;
    c.kind = change_kind::consent;
    c.op = change_op::put;
    c.when = r.granted;
    c.consent = std::move(r);
    return c;
}

change change::hold_put(policy::hold_record r) {
    change c;
    c.kind = change_kind::hold;
    c.op = change_op::put;
    c.when = r.since;
    c.hold = std::move(r);
    return c;
}

change change::hold_release(std::string brand, std::string msisdn, time_point when) {
    change c;
    c.kind = change_kind::hold;
    c.op = change_op::remove;
    c.when = when;
    c.hold.brand = std::move(brand);
    c.hold.msisdn = std::move(msisdn);
    return c;
}

std::string key_of(const change& c) {
    if (c.kind == change_kind::consent) {
        return make_key({c.consent.brand, c.consent.msisdn, policy::to_string(c.consent.klass)});
    }
    return make_key({c.brand(), c.msisdn()});
}

std::string encode(const change& c) {
    json::object o;
    o["v"] = format_version;
    o["kind"] = to_string(c.kind);
    o["op"] = c.op == change_op::put ? "put" : "remove";
    o["node"] = c.node;
    o["at_us"] = c.at_us;
    o["when"] = ms_of(c.when);
    switch (c.kind) {
        case change_kind::optout:
            o["brand"] = c.optout.brand;
            o["msisdn"] = c.optout.msisdn;
            o["keyword"] = c.optout.keyword;
            o["source"] = policy::to_string(c.optout.source);
            o["reference"] = c.optout.reference;
            break;
        case change_kind::consent: {
            const auto& r = c.consent;
            o["brand"] = r.brand;
            o["msisdn"] = r.msisdn;
            o["class"] = policy::to_string(r.klass);
            o["status"] = policy::to_string(r.status);
            o["type"] = policy::to_string(r.type);
            o["program"] = r.program;
            o["granted"] = ms_of(r.granted);
            o["source"] = policy::to_string(r.source);
            o["proof"] = r.proof;
            o["proof_url"] = r.proof_url;
            o["ip"] = r.ip;
            o["user_agent"] = r.user_agent;
            put_optional_time(o, "double_opt_in", r.double_opt_in);
            o["jurisdiction"] = r.jurisdiction;
            put_optional_time(o, "expires", r.expires);
            put_optional_time(o, "revoked", r.revoked);
            o["revocation_channel"] = r.revocation_channel;
            break;
        }
        case change_kind::hold:
            o["brand"] = c.hold.brand;
            o["msisdn"] = c.hold.msisdn;
            o["reference"] = c.hold.reference;
            o["text"] = c.hold.text;
            break;
    }
    return json::serialize(o);
}

std::optional<change> decode_change(std::string_view text) {
    boost::system::error_code ec;
    const auto value = json::parse(text, ec);
    if (ec || !value.is_object()) {
        return std::nullopt;
    }
    const auto& o = value.get_object();
    reader r(o);
    if (r.integer("v") != format_version) {
        return std::nullopt;
    }
    change c;
    const auto kind = r.text("kind");
    const auto op = r.text("op");
    if (kind == "optout") {
        c.kind = change_kind::optout;
    } else if (kind == "consent") {
        c.kind = change_kind::consent;
    } else if (kind == "hold") {
        c.kind = change_kind::hold;
    } else {
        return std::nullopt;
    }
    if (op == "put") {
        c.op = change_op::put;
    } else if (op == "remove" && c.kind != change_kind::consent) {
        c.op = change_op::remove;
    } else {
        return std::nullopt;
    }
    c.node = r.text("node");
    c.at_us = r.integer("at_us");
    c.when = time_of(r.integer("when"));
    switch (c.kind) {
        case change_kind::optout:
            c.optout.brand = r.text("brand");
            c.optout.msisdn = r.text("msisdn");
            c.optout.when = c.when;
            c.optout.keyword = r.text("keyword");
            c.optout.source = r.enumerated<policy::record_source>(
                "source", [](std::string_view s) { return policy::parse_record_source(s); });
            c.optout.reference = r.text("reference");
            break;
        case change_kind::consent: {
            auto& rec = c.consent;
            rec.brand = r.text("brand");
            rec.msisdn = r.text("msisdn");
            rec.klass = r.enumerated<policy::message_class>(
                "class", [](std::string_view s) { return policy::parse_message_class(s); });
            rec.status = r.enumerated<policy::consent_status>(
                "status", [](std::string_view s) { return policy::parse_consent_status(s); });
            rec.type = r.enumerated<policy::consent_type>(
                "type", [](std::string_view s) { return policy::parse_consent_type(s); });
            rec.program = r.text("program");
            rec.granted = time_of(r.integer("granted"));
            rec.source = r.enumerated<policy::record_source>(
                "source", [](std::string_view s) { return policy::parse_record_source(s); });
            rec.proof = r.text("proof");
            rec.proof_url = r.text("proof_url");
            rec.ip = r.text("ip");
            rec.user_agent = r.text("user_agent");
            rec.double_opt_in = r.optional_time("double_opt_in");
            rec.jurisdiction = r.text("jurisdiction");
            rec.expires = r.optional_time("expires");
            rec.revoked = r.optional_time("revoked");
            rec.revocation_channel = r.text("revocation_channel");
            break;
        }
        case change_kind::hold:
            c.hold.brand = r.text("brand");
            c.hold.msisdn = r.text("msisdn");
            c.hold.since = c.when;
            c.hold.reference = r.text("reference");
            c.hold.text = r.text("text");
            break;
    }
    // The store refuses keys it cannot hold (store::batch::max_key_part, NUL): such a value
    // must not reach a batch, where it would fail everything committed with it.
    auto key_part = [](const std::string& s) {
        return !s.empty() && s.size() <= store::batch::max_key_part &&
               s.find('\0') == std::string::npos;
    };
    if (!r.ok() || !key_part(c.brand()) || !key_part(c.msisdn())) {
        return std::nullopt;
    }
    return c;
}

void write_change(store::batch& b, const change& c) {
    switch (c.kind) {
        case change_kind::optout:
            if (c.op == change_op::put) {
                b.put_optout(c.optout);
            } else {
                b.lift_optout(c.optout.brand, c.optout.msisdn, c.when, c.optout.source,
                              c.optout.reference);
            }
            return;
        case change_kind::consent:
            b.put_consent(c.consent);
            return;
        case change_kind::hold:
            if (c.op == change_op::put) {
                b.put_hold(c.hold);
            } else {
                b.release_hold(c.hold.brand, c.hold.msisdn);
            }
            return;
    }
}

}  // namespace smppgw::cluster
