// MO keyword normalization and classification, including the false positives that must not
// trigger.
#include <catch2/catch.hpp>

#include "support.hpp"

using namespace policy_test;

namespace {

const keyword_classifier& classifier() {
    return default_engine().classifier();
}

struct kw_case {
    const char* text;
    keyword_kind kind;
    match_rule rule;
    const char* keyword;  // nullptr: don't care
};

void run(const std::vector<kw_case>& cases) {
    for (const auto& c : cases) {
        const auto m = classifier().classify(c.text);
        INFO("'" << c.text << "' normalized '" << m.normalized << "' → " << to_string(m.kind)
                 << " by " << to_string(m.rule) << " ('" << m.keyword << "')");
        CHECK(m.kind == c.kind);
        CHECK(m.rule == c.rule);
        if (c.keyword != nullptr) {
            CHECK(m.keyword == c.keyword);
        }
    }
}

constexpr auto out = keyword_kind::opt_out;
constexpr auto all = keyword_kind::opt_out_all;
constexpr auto in = keyword_kind::opt_in;
constexpr auto help = keyword_kind::help;
constexpr auto amb = keyword_kind::ambiguous;
constexpr auto none = keyword_kind::none;
constexpr auto exact = match_rule::exact;
constexpr auto squashed = match_rule::exact_no_spaces;
constexpr auto prefix = match_rule::prefix;
constexpr auto phrase = match_rule::phrase;
constexpr auto edit = match_rule::one_edit;
constexpr auto review = match_rule::review_word;

}  // namespace

TEST_CASE("normalization folds width, case, diacritics, invisibles, emoji and punctuation",
          "[keywords][normalize]") {
    const std::pair<const char*, const char*> cases[] = {
        {"STOP", "stop"},
        {"  Stop  ", "stop"},
        {"\xEF\xBC\xB3\xEF\xBC\xB4\xEF\xBC\xAF\xEF\xBC\xB0", "stop"},  // ＳＴＯＰ fullwidth
        {"ARR\xC3\x8ATE", "arrete"},                                   // ARRÊTE
        {"Arre\xCC\x82t", "arret"},                                    // e + combining ^
        {"S\xE2\x80\x8BTOP", "stop"},                                  // zero-width space
        {"ST\xE2\x80\x8DOP\xEF\xBB\xBF", "stop"},                      // ZWJ, BOM
        {"STOP\xF0\x9F\x9B\x91", "stop"},                              // 🛑
        {"\xF0\x9F\x9B\x91 stop \xF0\x9F\x9B\x91", "stop"},
        {"STOP\xF0\x9F\x9B\x91NOW", "stop now"},
        {"\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD YES", "yes"},  // 👍🏽 with skin tone
        {"stop!!!", "stop"},
        {"\xC2\xA1"
         "Alto!",
         "alto"},  // ¡Alto!
        {"S.T.O.P.", "s t o p"},
        {"OPT-OUT", "opt out"},
        {"don't stop", "dont stop"},
        {"don\xE2\x80\x99t", "dont"},  // right single quote
        {"No M\xC3\x81S", "no mas"},   // No MÁS
        {"Stra\xC3\x9F"
         "e",
         "strasse"},
        {"\xC5\x81\xC3\xB3"
         "d\xC5\xBA",
         "lodz"},  // Łódź
        {"a\xC2\xA0\xC2\xA0"
         "b\t\n c",
         "a b c"},              // NBSP, tabs, newline
        {"\xE2\x91\xA0", "1"},  // ① → 1
        {"", ""},
        {"\xF0\x9F\x9B\x91\xF0\x9F\x9B\x91", ""},
        {"\xFF\xFESTOP", "stop"},  // invalid UTF-8 becomes a separator
    };
    for (const auto& [in_text, expect] : cases) {
        INFO("'" << in_text << "'");
        CHECK(normalize_keyword_text(in_text) == expect);
    }
}

TEST_CASE("exact keywords in every form", "[keywords]") {
    run({
        {"STOP", out, exact, "stop"},
        {"stop", out, exact, "stop"},
        {"Stop.", out, exact, "stop"},
        {"\xEF\xBC\xB3\xEF\xBC\xB4\xEF\xBC\xAF\xEF\xBC\xB0", out, exact, "stop"},
        {"S\xE2\x80\x8BTOP", out, exact, "stop"},
        {"\xF0\x9F\x9B\x91STOP\xF0\x9F\x9B\x91", out, exact, "stop"},
        {"UNSUBSCRIBE", out, exact, nullptr},
        {"unsub", out, exact, nullptr},
        {"Cancel", out, exact, nullptr},
        {"END", out, exact, "end"},
        {"quit!", out, exact, nullptr},
        {"REVOKE", out, exact, nullptr},
        {"OPTOUT", out, exact, "optout"},
        {"opt out", out, exact, "opt out"},
        {"OPT-OUT", out, exact, "opt out"},
        {"REMOVE", out, exact, nullptr},
        {"TD", out, exact, "td"},
        {"td.", out, exact, "td"},
        {"ARRET", out, exact, "arret"},
        {"Arr\xC3\xAAt", out, exact, "arret"},
        {"ALTO", out, exact, "alto"},
        {"baja", out, exact, "baja"},
        {"PARE", out, exact, "pare"},
        {"SAIR", out, exact, "sair"},
        {"STOPALL", all, exact, "stopall"},
        {"STOP ALL", all, exact, "stop all"},
        {"stop-all", all, exact, "stop all"},
        {"START", in, exact, "start"},
        {"UNSTOP", in, exact, "unstop"},
        {"Yes!", in, exact, "yes"},
        {"HELP", help, exact, "help"},
        {"help?", help, exact, "help"},
        {"INFO", help, exact, "info"},
        {"AIDE", help, exact, "aide"},
        {"AYUDA", help, exact, "ayuda"},
        // Spaces removed: OPT OUT → OPTOUT, spelled-out letters.
        {"O P T O U T", out, squashed, nullptr},
        {"S.T.O.P", out, squashed, "stop"},
        {"st op", out, squashed, "stop"},
        {"STOP   ALL", all, exact, "stop all"},
        {"STO PALL", all, squashed, "stop all"},
    });
    CHECK(classifier().classify("YES").confirms_double_opt_in);
    CHECK_FALSE(classifier().classify("START").confirms_double_opt_in);
    CHECK(classifier().classify("ARRET").language == "fr");
    CHECK(classifier().classify("AYUDA").language == "es");
    CHECK(classifier().classify("STOP").language == "en");
}

TEST_CASE("opt-out evidence: prefix, phrases, one-edit typos", "[keywords]") {
    run({
        {"STOP please", out, prefix, "stop"},
        {"Stop it now!!", out, prefix, "stop"},
        {"stop all these texts", all, prefix, "stop all"},
        {"Cancel my subscription", out, prefix, "cancel"},
        {"UNSUBSCRIBE ME NOW", out, prefix, nullptr},
        {"ARRET SVP", out, prefix, "arret"},
        {"End of story", out, prefix, "end"},  // deliberate: the reasonable-person side
        {"please stop texting me", out, phrase, "stop texting me"},
        {"Remove me from this list", out, prefix, "remove"},
        {"please remove me from this list", out, phrase, "remove me"},
        {"no more texts!!", out, phrase, "no more texts"},
        {"No m\xC3\xA1s", out, phrase, "no mas"},
        {"NO M\xC3\x81S MENSAJES POR FAVOR", out, phrase, nullptr},
        {"arr\xC3\xAAte", out, phrase, "arrete"},
        {"Arr\xC3\xAAtez de m'envoyer des messages", out, phrase, "arretez"},
        {"I want to unsubscribe", out, phrase, "unsubscribe"},
        {"how do I opt out?", out, phrase, "opt out"},
        {"quero sair", out, phrase, "quero sair"},
        {"STOPP", out, edit, "stop"},
        {"STPO", out, edit, "stop"},
        {"SOTP", out, edit, "stop"},
        {"stoop", out, edit, "stop"},
        {"STP", out, edit, "stop"},
        {"stop.p", out, prefix, "stop"},
        {"UNSUBSRIBE", out, edit, "unsubscribe"},
        {"CANCLE", out, edit, "cancel"},
        {"QUITT", out, edit, "quit"},
        {"quiet", out, edit, "quit"},
        {"REMOV", out, edit, "remove"},
        {"ARRER", out, edit, "arret"},
        {"STOPAL", all, edit, "stop all"},
        {"para", out, edit, "pare"},
    });
}

TEST_CASE("stop elsewhere in a sentence is ambiguous", "[keywords]") {
    run({
        {"don't stop the deals", amb, review, "stop"},
        {"Please don\xE2\x80\x99t stop!", amb, review, "stop"},
        {"I can't stop smiling", amb, review, "stop"},
        {"when does the sale stop?", amb, review, "stop"},
        {"how do I cancel my order", amb, review, "cancel"},
        {"Should I quit my job?", amb, review, "quit"},
        {"Help, how do I stop these", amb, review, "stop"},
        {"yes stop", amb, review, "stop"},
    });
}

TEST_CASE("words that must not trigger anything", "[keywords][false-positive]") {
    run({
        // END and TD are too short for the one-edit rule.
        {"ENDS", none, match_rule::none, nullptr},
        {"and", none, match_rule::none, nullptr},
        {"send", none, match_rule::none, nullptr},
        {"TDS", none, match_rule::none, nullptr},
        {"to", none, match_rule::none, nullptr},
        {"ending soon?", none, match_rule::none, nullptr},
        // One edit from a 4+ letter keyword, but ordinary words.
        {"shop", none, match_rule::none, nullptr},
        {"SHOP", none, match_rule::none, nullptr},
        {"step", none, match_rule::none, nullptr},
        {"quite", none, match_rule::none, nullptr},
        {"Alta", none, match_rule::none, nullptr},  // Spanish opt-IN word
        {"auto", none, match_rule::none, nullptr},
        {"also", none, match_rule::none, nullptr},
        {"care", none, match_rule::none, nullptr},
        {"said", none, match_rule::none, nullptr},
        {"arrest", none, match_rule::none, nullptr},
        // Keywords inside longer words are not keywords.
        {"Stopped by yesterday", none, match_rule::none, nullptr},
        {"Stopwatch", none, match_rule::none, nullptr},
        {"unstoppable", none, match_rule::none, nullptr},
        {"STARTING", none, match_rule::none, nullptr},
        {"yesterday", none, match_rule::none, nullptr},
        {"helpful", none, match_rule::none, nullptr},
        {"information please", none, match_rule::none, nullptr},
        {"quite good", none, match_rule::none, nullptr},
        // Opt-in words never match loosely.
        {"START me up", none, match_rule::none, nullptr},
        {"yes please", none, match_rule::none, nullptr},
        {"Thanks!", none, match_rule::none, nullptr},
        {"Hello, what time do you open?", none, match_rule::none, nullptr},
        {"12345", none, match_rule::none, nullptr},
        {"", none, match_rule::none, nullptr},
        {"\xF0\x9F\x9B\x91", none, match_rule::none, nullptr},
    });
}

TEST_CASE("help prefixes answer help", "[keywords]") {
    run({
        {"Help me please", help, prefix, "help"},
        {"INFO?? what is this", help, prefix, "info"},
    });
}

TEST_CASE("edit distance is Damerau (optimal string alignment)", "[keywords]") {
    CHECK(edit_distance("stop", "stop", 1) == 0);
    CHECK(edit_distance("stop", "stopp", 1) == 1);
    CHECK(edit_distance("stop", "stpo", 1) == 1);
    CHECK(edit_distance("stop", "shop", 1) == 1);
    CHECK(edit_distance("stop", "tops", 1) == 2);  // capped at limit + 1
    CHECK(edit_distance("stop", "soup", 3) == 2);
    CHECK(edit_distance("", "abc", 5) == 3);
}

TEST_CASE("keyword lists are configuration", "[keywords][config]") {
    keyword_config cfg;
    cfg.languages.push_back({"de", {"HALT"}, {}, {}, {}, {"HILFE"}, {}, {}, {}});
    cfg.fuzzy_min_letters = 100;  // one-edit rule off
    const keyword_classifier c(cfg);
    CHECK(c.classify("halt").kind == keyword_kind::opt_out);
    CHECK(c.classify("halt").language == "de");
    CHECK(c.classify("Hilfe").kind == keyword_kind::help);
    CHECK(c.classify("STOPP").kind == keyword_kind::none);
}
