// The [policy] section of the config file → policy::policy_config. Every key is optional: the
// struct defaults are COMPLIANCE.md's values. Lists of named things (rule sets, regions,
// languages, reply texts) merge by name: an entry replaces the default of the same name, new
// names are added, so a config can override Florida without restating the United States.

#include <charconv>

#include "smppgw/policy/lookups.hpp"

#include <fmt/format.h>

#include "config/toml_reader.hpp"

namespace smppgw::gateway {
namespace {

using detail::toml_reader;

template <typename T, typename Key>
void merge_named(std::vector<T>& into, T item, Key key) {
    for (auto& existing : into) {
        if (key(existing) == key(item)) {
            existing = std::move(item);
            return;
        }
    }
    into.push_back(std::move(item));
}

std::optional<policy::block_action> parse_action(const std::string& s) {
    if (s == "defer") {
        return policy::block_action::defer;
    }
    if (s == "reject") {
        return policy::block_action::reject;
    }
    return std::nullopt;
}

void read_switches(toml_reader& r, policy::check_switches& s) {
    r.get("enabled", s.enabled);
    r.get("shadow", s.shadow);
}

void read_classes(toml_reader& r, bool& promotional, bool& transactional, bool& conversational) {
    r.get("promotional", promotional);
    r.get("transactional", transactional);
    r.get("conversational", conversational);
}

// "08:00-21:00" or "closed"
bool parse_window(std::string_view s, policy::day_window& out) {
    if (s == "closed") {
        out = policy::closed_day;
        return true;
    }
    auto hhmm = [](std::string_view t, std::uint16_t& minutes) {
        unsigned h = 0;
        unsigned m = 0;
        if (t.size() != 5 || t[2] != ':' ||
            std::from_chars(t.data(), t.data() + 2, h).ec != std::errc{} ||
            std::from_chars(t.data() + 3, t.data() + 5, m).ec != std::errc{} || m > 59 ||
            h * 60 + m > 1440) {
            return false;
        }
        minutes = static_cast<std::uint16_t>(h * 60 + m);
        return true;
    };
    if (s.size() != 11 || s[5] != '-') {
        return false;
    }
    policy::day_window w;
    if (!hhmm(s.substr(0, 5), w.start) || !hhmm(s.substr(6, 5), w.end) || w.start >= w.end) {
        return false;
    }
    out = w;
    return true;
}

void read_window(toml_reader& r, std::string_view key, policy::day_window& out) {
    if (!r.has(key)) {
        return;
    }
    std::string s;
    r.get(key, s);
    if (!parse_window(s, out)) {
        r.fail(key, "expected \"HH:MM-HH:MM\" (start before end) or \"closed\"");
    }
}

void read_destination(toml_reader& r, policy::destination_config& d) {
    r.get("shadow", d.shadow);
    r.get("default_country_code", d.default_country_code);
    r.get("national_trunk_prefix", d.national_trunk_prefix);
    r.get("national_lengths", d.national_lengths);
    r.get_enum(
        "unknown_ton", d.unknown_ton,
        [](const std::string& s) -> std::optional<policy::unknown_ton_handling> {
            if (s == "international") {
                return policy::unknown_ton_handling::international;
            }
            if (s == "national") {
                return policy::unknown_ton_handling::national;
            }
            if (s == "infer") {
                return policy::unknown_ton_handling::infer;
            }
            return std::nullopt;
        },
        "\"international\", \"national\", \"infer\"");
    r.get("international_access_prefixes", d.international_access_prefixes);
    r.get("min_length", d.min_length);
    r.get("max_length", d.max_length);
    r.get("validate_nanp", d.validate_nanp);
}

void read_numbering(toml_reader& r, policy::numbering_config& n) {
    r.get("fallback_zones", n.fallback_zones);
    r.tables("overlays", [&](toml_reader& t, std::size_t) {
        policy::overlay_config o;
        std::uint16_t npa = 0;
        if (t.require("npa")) {
            t.get("npa", npa);
        }
        o.npa = npa;
        std::vector<std::string> parents;
        t.get("parents", parents);
        for (const auto& p : parents) {
            std::uint16_t v = 0;
            if (p.size() != 3 || std::from_chars(p.data(), p.data() + 3, v).ec != std::errc{}) {
                t.fail("parents", "expected three-digit area codes as strings");
                return;
            }
            o.parents.push_back(v);
        }
        merge_named(n.overlays, std::move(o), [](const auto& x) { return x.npa; });
    });
    r.tables("country_regions", [&](toml_reader& t, std::size_t) {
        policy::country_region c;
        if (t.require("prefix") && t.require("region")) {
            t.get("prefix", c.prefix);
            t.get("region", c.region);
            merge_named(n.country_regions, std::move(c), [](const auto& x) { return x.prefix; });
        }
    });
}

void read_quiet_hours(toml_reader& r, policy::quiet_hours_config& q) {
    read_switches(r, q);
    read_classes(r, q.promotional, q.transactional, q.conversational);
    r.get_enum("action", q.action, parse_action, "\"defer\", \"reject\"");
    r.get("max_defer", q.max_defer);
    static constexpr std::array<std::string_view, 7> day_names{
        "sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"};
    r.tables("rule_sets", [&](toml_reader& t, std::size_t) {
        policy::rule_set_config rs;
        if (!t.require("name")) {
            return;
        }
        t.get("name", rs.name);
        // Start from the default of the same name so a rule set can change one day.
        for (const auto& existing : q.rule_sets) {
            if (existing.name == rs.name) {
                rs = existing;
            }
        }
        policy::day_window all = rs.days[1];
        if (t.has("every_day")) {
            read_window(t, "every_day", all);
            rs.days.fill(all);
        }
        for (std::size_t d = 0; d < 7; ++d) {
            read_window(t, day_names[d], rs.days[d]);
        }
        t.get("holiday_calendars", rs.holiday_calendars);
        read_window(t, "holiday", rs.holiday);
        merge_named(q.rule_sets, std::move(rs), [](const auto& x) { return x.name; });
    });
    r.tables("regions", [&](toml_reader& t, std::size_t) {
        policy::region_rules_config rr;
        if (t.require("region") && t.require("rule_sets")) {
            t.get("region", rr.region);
            t.get("rule_sets", rr.rule_sets);
            merge_named(q.regions, std::move(rr), [](const auto& x) { return x.region; });
        }
    });
}

void read_frequency(toml_reader& r, policy::frequency_config& f) {
    read_switches(r, f);
    read_classes(r, f.promotional, f.transactional, f.conversational);
    r.get_enum("action", f.action, parse_action, "\"defer\", \"reject\"");
    r.tables("caps", [&](toml_reader& t, std::size_t) {
        policy::frequency_cap_config cap;
        if (t.require("region") && t.require("max_messages")) {
            t.get("region", cap.region);
            t.get("max_messages", cap.max_messages);
            t.get("window", cap.window);
            if (cap.max_messages == 0 || cap.max_messages > policy::send_history::capacity) {
                t.fail("max_messages",
                       fmt::format("must be 1..{}", policy::send_history::capacity));
            }
            merge_named(f.caps, std::move(cap), [](const auto& x) { return x.region; });
        }
    });
}

void read_content(toml_reader& r, policy::content_config& c) {
    read_switches(r, c);
    r.get("require_brand_prefix", c.require_brand_prefix);
    r.get("prefix_promotional", c.prefix_promotional);
    r.get("prefix_transactional", c.prefix_transactional);
    r.get("prefix_conversational", c.prefix_conversational);
    r.get("require_optout_instructions", c.require_optout_instructions);
    r.get("optout_markers", c.optout_markers);
    r.tables("brand_prefixes", [&](toml_reader& t, std::size_t) {
        policy::brand_prefix_config b;
        if (t.require("brand") && t.require("prefix")) {
            t.get("brand", b.brand);
            t.get("prefix", b.prefix);
            merge_named(c.brand_prefixes, std::move(b), [](const auto& x) { return x.brand; });
        }
    });
}

void read_keywords(toml_reader& r, policy::keyword_config& k) {
    r.get("fuzzy_min_letters", k.fuzzy_min_letters);
    r.get("prefix_match", k.prefix_match);
    r.tables("languages", [&](toml_reader& t, std::size_t) {
        policy::keyword_language lang;
        if (!t.require("language")) {
            return;
        }
        t.get("language", lang.language);
        for (const auto& existing : k.languages) {
            if (existing.language == lang.language) {
                lang = existing;
            }
        }
        t.get("opt_out", lang.opt_out);
        t.get("opt_out_all", lang.opt_out_all);
        t.get("opt_in", lang.opt_in);
        t.get("confirm", lang.confirm);
        t.get("help", lang.help);
        t.get("phrases", lang.phrases);
        t.get("review_words", lang.review_words);
        t.get("fuzzy_exceptions", lang.fuzzy_exceptions);
        merge_named(k.languages, std::move(lang), [](const auto& x) { return x.language; });
    });
}

void read_texts(toml_reader& t, policy::reply_texts& texts) {
    t.get("optout_confirmation", texts.optout_confirmation);
    t.get("optout_all_confirmation", texts.optout_all_confirmation);
    t.get("optin_confirmation", texts.optin_confirmation);
    t.get("double_opt_in_confirmation", texts.double_opt_in_confirmation);
    t.get("help", texts.help);
}

void read_mo(toml_reader& r, policy::mo_config& m) {
    r.get("default_language", m.default_language);
    r.get("bilingual_regions", m.bilingual_regions);
    r.get("bilingual_languages", m.bilingual_languages);
    r.get("revoke_consents_on_optout", m.revoke_consents_on_optout);
    r.get("start_lifts_all_brands", m.start_lifts_all_brands);
    r.get("start_restores_consents", m.start_restores_consents);
    r.get("hold_on_ambiguous", m.hold_on_ambiguous);
    if (r.has("optin_consent_classes")) {
        m.optin_consent_classes.clear();
        r.strings("optin_consent_classes", [&](const std::string& s, std::size_t) {
            if (auto c = policy::parse_message_class(s)) {
                m.optin_consent_classes.push_back(*c);
            } else {
                r.fail("optin_consent_classes", "expected message class names");
            }
        });
    }
    r.tables("texts", [&](toml_reader& t, std::size_t) {
        policy::reply_texts texts;
        if (!t.require("language")) {
            return;
        }
        t.get("language", texts.language);
        for (const auto& existing : m.texts) {
            if (existing.language == texts.language) {
                texts = existing;
            }
        }
        read_texts(t, texts);
        merge_named(m.texts, std::move(texts), [](const auto& x) { return x.language; });
    });
    r.tables("brands", [&](toml_reader& t, std::size_t) {
        policy::brand_mo_config b;
        if (!t.require("brand")) {
            return;
        }
        t.get("brand", b.brand);
        t.get("display_name", b.display_name);
        t.get("language", b.language);
        t.tables("texts", [&](toml_reader& tt, std::size_t) {
            policy::reply_texts texts;
            if (tt.require("language")) {
                tt.get("language", texts.language);
                read_texts(tt, texts);
                b.texts.push_back(std::move(texts));
            }
        });
        merge_named(m.brands, std::move(b), [](const auto& x) { return x.brand; });
    });
}

std::string resolve(const std::filesystem::path& base, const std::string& path) {
    if (path.empty() || std::filesystem::path(path).is_absolute()) {
        return path;
    }
    return (base / path).string();
}

void set_data_dir(policy::data_paths& d, const std::filesystem::path& dir) {
    d.map_data = (dir / "timezones/map_data.txt").string();
    d.area_codes = (dir / "nanp/area_codes.csv").string();
    d.overlays = (dir / "nanp/overlays.csv").string();
    for (auto& h : d.holidays) {
        h.path = (dir / "holidays" / (h.name + ".txt")).string();
    }
}

void read_data(toml_reader& r, policy::data_paths& d, const std::filesystem::path& base) {
    std::string dir;
    r.get("dir", dir);
    if (!dir.empty()) {
        set_data_dir(d, resolve(base, dir));
    }
    std::string value;
    if (r.has("map_data")) {
        r.get("map_data", value);
        d.map_data = resolve(base, value);
    }
    if (r.has("area_codes")) {
        r.get("area_codes", value);
        d.area_codes = resolve(base, value);
    }
    if (r.has("overlays")) {
        r.get("overlays", value);
        d.overlays = resolve(base, value);
    }
    r.tables("holidays", [&](toml_reader& t, std::size_t) {
        policy::holiday_file h;
        if (t.require("name") && t.require("path")) {
            t.get("name", h.name);
            t.get("path", h.path);
            h.path = resolve(base, h.path);
            merge_named(d.holidays, std::move(h), [](const auto& x) { return x.name; });
        }
    });
}

}  // namespace

namespace detail {

// Data files live in a `data` folder beside the config file unless [policy.data] says otherwise.
void default_policy_data(policy::policy_config& p, const std::filesystem::path& base) {
    set_data_dir(p.data, base / "data");
}

void read_policy(toml_reader& r, policy::policy_config& p, const std::filesystem::path& base) {
    default_policy_data(p, base);
    r.table("data", [&](toml_reader& t) { read_data(t, p.data, base); });
    r.table("destination", [&](toml_reader& t) { read_destination(t, p.destination); });
    r.table("numbering", [&](toml_reader& t) { read_numbering(t, p.numbering); });
    r.table("optout", [&](toml_reader& t) {
        read_switches(t, p.optout);
        t.get("review_holds", p.optout.review_holds);
        t.get("hold_promotional", p.optout.hold_promotional);
        t.get("hold_transactional", p.optout.hold_transactional);
        t.get("hold_conversational", p.optout.hold_conversational);
    });
    r.table("consent", [&](toml_reader& t) {
        read_switches(t, p.consent);
        t.get("promotional_requires_proof", p.consent.promotional_requires_proof);
        t.get("transactional_requires_consent", p.consent.transactional_requires_consent);
        t.get("written_covers_transactional", p.consent.written_covers_transactional);
        t.get("conversational_requires_consent", p.consent.conversational_requires_consent);
    });
    r.table("frequency", [&](toml_reader& t) { read_frequency(t, p.frequency); });
    r.table("quiet_hours", [&](toml_reader& t) { read_quiet_hours(t, p.quiet_hours); });
    r.table("content", [&](toml_reader& t) { read_content(t, p.content); });
    r.table("keywords", [&](toml_reader& t) { read_keywords(t, p.keywords); });
    r.table("mo", [&](toml_reader& t) { read_mo(t, p.mo); });
}

}  // namespace detail
}  // namespace smppgw::gateway
