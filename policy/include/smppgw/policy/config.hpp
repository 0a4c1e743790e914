#pragma once
// Plain configuration structs for the policy stage. Every default is the value COMPLIANCE.md
// gives (or, where it gives none, the conservative choice, said so in the comment). The TOML
// mapping lives in the gateway; build_engine() (engine.hpp) validates and compiles a config into
// an immutable engine, once per config version.
//
// Conventions: times of day are minutes after local midnight; windows are half-open
// [start, end) with 0 <= start < end <= 1440; weekday arrays are indexed Sunday = 0 ... Saturday
// = 6. Regions are ISO 3166-2 ("US-FL", "CA-ON") or ISO 3166-1 ("JM", "FR", "GB") codes;
// a rule keyed by a country ("US") applies to all its subdivisions unless a subdivision has its
// own entry; "*" is the default for regions without an entry.

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "smppgw/policy/message.hpp"
#include "smppgw/policy/records.hpp"

namespace smppgw::policy {

// Every check has these two switches.
struct check_switches {
    bool enabled = true;
    // Shadow mode: the check decides and counts (shadow_rejected/shadow_deferred) and the
    // decision lists it in `shadows`, but the message goes on down the chain.
    bool shadow = false;
};

// ---- destination validation and E.164 normalization -------------------------------------

enum class unknown_ton_handling : std::uint8_t {
    international,  // digits are E.164 with country code
    national,       // digits are a national number of default_country_code
    // '+' or an international_access_prefix → international; a length in national_lengths
    // → national; anything else → international. Default: what most ESMEs actually send.
    infer,
};

struct destination_config {
    // Always in the chain (later checks need the normalized number); may run in shadow mode, in
    // which case an invalid destination is accepted and the rest of the chain is skipped.
    bool shadow = false;
    std::vector<type_of_number> accepted_tons{
        type_of_number::unknown, type_of_number::international, type_of_number::national};
    std::vector<numbering_plan> accepted_npis{numbering_plan::unknown, numbering_plan::isdn};
    std::string default_country_code = "1";  // for national numbers
    // Trunk prefix stripped from national numbers before the country code is prepended ("1" in
    // NANP, "0" in FR/GB). Stripped only if what remains has a length in national_lengths.
    std::string national_trunk_prefix = "1";
    std::vector<std::size_t> national_lengths{10};  // national significant number lengths
    unknown_ton_handling unknown_ton = unknown_ton_handling::infer;
    std::vector<std::string> international_access_prefixes{"00", "011"};
    std::size_t min_length = 7;   // E.164 digits including country code (+290 XXXX is 7)
    std::size_t max_length = 15;  // ITU-T E.164
    // Country code 1: exactly 11 digits, NPA and NXX first digit 2–9.
    bool validate_nanp = true;
};

// ---- number → time zones, number → region -------------------------------------------------

// An NANP overlay area code inherits its parents' zone union (COMPLIANCE.md: 448 → 850's zones).
struct overlay_config {
    std::uint16_t npa = 0;
    std::vector<std::uint16_t> parents;
};

// Non-NANP calling-code prefix → region, longest prefix wins ("44" → "GB").
struct country_region {
    std::string prefix;
    std::string region;
};

struct numbering_config {
    // Zones for numbers with no usable map_data row (unknown or non-geographic NANP codes such
    // as 8XX, or a country missing from the table). Default: the six US mainland, Alaska and
    // Hawaii zones (COMPLIANCE.md). Never the country-wide "1|..." row.
    std::vector<std::string> fallback_zones{"America/New_York",  "America/Chicago",
                                            "America/Denver",    "America/Los_Angeles",
                                            "America/Anchorage", "Pacific/Honolulu"};
    // Overlays whose map_data rows are narrower than their parents' (verified against the
    // shipped map_data.txt: each overlay below has fewer zones than its parent union).
    // Entries from data_paths::overlays are added to these; a repeated npa replaces.
    std::vector<overlay_config> overlays{
        {448, {850}},      {458, {541}},      {364, {270}},      {930, {812}},
        {986, {208}},      {879, {709}},      {581, {418}},      {367, {418}},
        {236, {250, 604}}, {672, {250, 604}}, {778, {250, 604}}, {257, {250, 604}},
    };
    // Regions for non-NANP numbers; NANP numbers take theirs from area_codes.csv.
    std::vector<country_region> country_regions{
        {"33", "FR"}, {"44", "GB"}, {"91", "IN"}, {"49", "DE"}, {"34", "ES"},
        {"39", "IT"}, {"52", "MX"}, {"55", "BR"}, {"61", "AU"}, {"353", "IE"},
    };
    // Tz transitions are precomputed for [table_from_year, table_to_year]; instants outside
    // fall back to the tz library's own lookup (correct, slower).
    int table_from_year = 2000;
    int table_to_year = 2037;
};

// ---- quiet hours and days ------------------------------------------------------------------

struct day_window {
    std::uint16_t start = 8 * 60;  // minutes after local midnight, inclusive
    std::uint16_t end = 21 * 60;   // exclusive; 1440 = midnight at the end of the day
    bool closed = false;           // no sending at all that day
};

[[nodiscard]] constexpr day_window hours_window(int start_h, int start_m, int end_h, int end_m) {
    return day_window{static_cast<std::uint16_t>(start_h * 60 + start_m),
                      static_cast<std::uint16_t>(end_h * 60 + end_m), false};
}
inline constexpr day_window closed_day{0, 0, true};

struct rule_set_config {
    std::string name;
    std::array<day_window, 7> days{};  // Sunday = 0
    // Names of holiday calendars (data_paths::holidays); on those local dates `holiday` applies.
    std::vector<std::string> holiday_calendars;
    day_window holiday = closed_day;
};

// Rule sets that all apply to one region: a message is allowed only if every one allows it
// (US federal plus the state's own rule; both stay visible in config).
struct region_rules_config {
    std::string region;  // "US-FL", "US", "CA", "*"
    std::vector<std::string> rule_sets;
};

enum class block_action : std::uint8_t { defer, reject };

// The defaults reproduce COMPLIANCE.md's table.
std::vector<rule_set_config> default_rule_sets();
std::vector<region_rules_config> default_region_rules();

struct quiet_hours_config : check_switches {
    std::vector<rule_set_config> rule_sets = default_rule_sets();
    std::vector<region_rules_config> regions = default_region_rules();
    // Which classes are subject to quiet hours (COMPLIANCE.md: promotional; transactional
    // exempt by default; conversational is a reply to the consumer, exempt by default).
    bool promotional = true;
    bool transactional = false;
    bool conversational = false;
    block_action action = block_action::defer;
    // A message that cannot be placed within this horizon is rejected (no_common_window).
    std::chrono::hours max_defer{24 * 14};
};

// ---- opt-out, consent, frequency, content ------------------------------------------------

struct optout_config : check_switches {
    // Honour review holds (ambiguous STOP) through hold_lookup; they block these classes.
    bool review_holds = true;
    bool hold_promotional = true;
    bool hold_transactional = false;
    bool hold_conversational = false;
};

struct consent_config : check_switches {
    // Promotional always needs prior express written consent with proof.
    bool promotional_requires_proof = true;
    // Transactional needs prior express consent (either type).
    bool transactional_requires_consent = true;
    // A valid promotional (written) consent also satisfies transactional for the same brand;
    // the reverse never holds (COMPLIANCE.md).
    bool written_covers_transactional = true;
    // Conversational: a reply to the consumer's own message; no consent record needed unless
    // the operator says so (then it is treated like transactional).
    bool conversational_requires_consent = false;
};

struct frequency_cap_config {
    std::string region;  // "US-FL", or "*" for every region
    std::uint32_t max_messages = 3;
    std::chrono::hours window{24};
};

struct frequency_config : check_switches {
    // COMPLIANCE.md: at most 3 promotional per (brand, recipient) per rolling 24 h in FL, OK,
    // MD. Add {"*", n, w} to cap globally. max_messages must be 1..send_history::capacity.
    std::vector<frequency_cap_config> caps{{"US-FL", 3, std::chrono::hours{24}},
                                           {"US-OK", 3, std::chrono::hours{24}},
                                           {"US-MD", 3, std::chrono::hours{24}}};
    bool promotional = true;
    bool transactional = false;
    bool conversational = false;
    block_action action = block_action::defer;  // defer until the oldest send ages out
};

struct brand_prefix_config {
    std::string brand;
    std::string prefix;  // e.g. "Acme: "; compared ASCII case-insensitively at the text start
};

// Content rules are not in COMPLIANCE.md (carrier and CTIA practice), so both are off by
// default: the check is in the chain but accepts everything until configured.
struct content_config : check_switches {
    std::vector<brand_prefix_config> brand_prefixes;
    bool require_brand_prefix = false;  // brands without an entry are not checked
    bool prefix_promotional = true;
    bool prefix_transactional = true;
    bool prefix_conversational = false;
    // First promotional message to a number must carry opt-out instructions. "First" means:
    // no promotional send recorded since the consent was granted (frequency_lookup). A store
    // that keeps less history only makes this stricter, never laxer.
    bool require_optout_instructions = false;
    // Any of these, as whole words, ASCII case-insensitive, counts as instructions.
    std::vector<std::string> optout_markers{"stop", "arret", "unsubscribe", "opt out", "opt-out"};
};

// ---- MO keywords --------------------------------------------------------------------------

// Keyword lists for one language. All entries are normalized with the same function as the
// MO text (keywords.hpp), so "ARRÊT" and "arret" are the same entry.
struct keyword_language {
    std::string language;                  // "en", "fr", "es", "pt"; replies pick texts by it
    std::vector<std::string> opt_out;      // brand scope
    std::vector<std::string> opt_out_all;  // STOPALL: every brand on the number
    std::vector<std::string> opt_in;       // lifts an opt-out
    std::vector<std::string> confirm;      // also confirms a pending double opt-in (YES)
    std::vector<std::string> help;
    // Whole-word sequences that mean opt-out anywhere in the text ("stop texting", "remove me").
    std::vector<std::string> phrases;
    // Words that, seen anywhere else than at the start, make the MO ambiguous: flag for review
    // and hold promotional sends ("don't stop the deals").
    std::vector<std::string> review_words;
    // Real words one edit away from a 4+ letter opt-out keyword that must NOT count as a typo
    // of it ("shop" is one substitution from "stop"; "alta" is the Spanish opt-*in* word).
    std::vector<std::string> fuzzy_exceptions;
};

std::vector<keyword_language> default_keyword_languages();

struct keyword_config {
    std::vector<keyword_language> languages = default_keyword_languages();
    // One-edit typos (Damerau: insert, delete, substitute, swap adjacent) of an opt-out keyword
    // count as opt-out only for keywords with at least this many letters (END → "and", "ends";
    // TD → "to": far too many false positives), and only when the typo is the whole message.
    std::size_t fuzzy_min_letters = 4;
    // "Starts with an opt-out keyword" (whole words) counts as opt-out.
    bool prefix_match = true;
};

// Reply texts for one language. "{brand}" is replaced with the brand's display name.
struct reply_texts {
    std::string language;
    std::string optout_confirmation;
    std::string optout_all_confirmation;
    std::string optin_confirmation;
    std::string double_opt_in_confirmation;
    std::string help;
};

std::vector<reply_texts> default_reply_texts();

struct brand_mo_config {
    std::string brand;
    std::string display_name;        // defaults to the brand id
    std::string language;            // the brand's default reply language; empty = mo_config's
    std::vector<reply_texts> texts;  // per-language overrides; empty fields fall back
};

struct mo_config {
    std::vector<reply_texts> texts = default_reply_texts();
    std::vector<brand_mo_config> brands;
    std::string default_language = "en";
    // Regions (prefix match: "CA" covers "CA-QC") whose replies follow the keyword's language
    // when it is one of `bilingual_languages` and otherwise carry all of them in one message
    // (Canada: STOP answered in English, ARRET in French, CWTA).
    std::vector<std::string> bilingual_regions{"CA"};
    std::vector<std::string> bilingual_languages{"en", "fr"};
    // An opt-out also revokes the number's consents for the brand (all brands for STOPALL), so
    // a later START cannot silently revive an old promotional consent.
    bool revoke_consents_on_optout = true;
    // START lifts the brand opt-out and also a STOPALL that the number itself sent as an MO
    // keyword, never one entered through the admin API or an import ("lifts only what was
    // opted out": other brands' consents stay revoked, so they still cannot send).
    bool start_lifts_all_brands = true;
    // START restores, for its brand, the consents the lifted opt-outs revoked: a new event of
    // the same type (express written stays written) whose proof is the START MO. Re-subscribing
    // on START is what every major SMS marketing platform does. Off: only
    // optin_consent_classes are recorded and promotional waits for new written consent.
    bool start_restores_consents = true;
    // The express consent a START records (source keyword, proof = the MO) for each class it
    // did not restore.
    std::vector<message_class> optin_consent_classes{message_class::transactional};
    // An opt-out confirmation is presumed lawful when sent within this time (COMPLIANCE.md).
    std::chrono::seconds confirmation_window{5 * 60};
    // Ambiguous MO: flag for review and put (brand, number) on hold.
    bool hold_on_ambiguous = true;
};

// ---- data files -----------------------------------------------------------------------------

struct holiday_file {
    std::string name;  // calendar name referenced by rule_set_config::holiday_calendars
    std::string path;
};

struct data_paths {
    std::string map_data = "etc/data/timezones/map_data.txt";
    std::string area_codes = "etc/data/nanp/area_codes.csv";
    std::string overlays = "etc/data/nanp/overlays.csv";  // optional: empty = config only
    std::vector<holiday_file> holidays{{"US-AL", "etc/data/holidays/US-AL.txt"},
                                       {"US-LA", "etc/data/holidays/US-LA.txt"},
                                       {"FR", "etc/data/holidays/FR.txt"},
                                       {"FR-AM", "etc/data/holidays/FR-AM.txt"}};
};

// ---- everything --------------------------------------------------------------------------

struct policy_config {
    destination_config destination;
    numbering_config numbering;
    optout_config optout;
    consent_config consent;
    frequency_config frequency;
    quiet_hours_config quiet_hours;
    content_config content;
    keyword_config keywords;
    mo_config mo;
    data_paths data;
};

}  // namespace smppgw::policy
