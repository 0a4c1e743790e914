#pragma once
// MO keyword normalization and classification (COMPLIANCE.md, "Inbound (MO) keywords").
//
// Input is MO text already decoded to UTF-8 by the gateway (data_coding, message_payload,
// reassembled concatenation). Delivery receipts must never be passed here: their `text:` field
// echoes the MT ("Reply STOP to opt out") and would opt the recipient out; the gateway routes
// receipts to DLR handling before keyword classification.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "smppgw/policy/config.hpp"

namespace smppgw::policy {

// NFKC (folds fullwidth ＳＴＯＰ), full case folding, diacritics stripped (ARRÊT → arret, and
// ø/ł/đ/æ/œ which have no decomposition), zero-width and other format characters dropped,
// apostrophes dropped (don't → dont), every other non-letter non-digit (punctuation, symbols,
// emoji) turned into a space, spaces collapsed and trimmed. Invalid UTF-8 becomes U+FFFD, which
// is a symbol, hence a space. Output is lower-case UTF-8.
[[nodiscard]] std::string normalize_keyword_text(std::string_view utf8);

enum class keyword_kind : std::uint8_t {
    none = 0,         // not a keyword: forward only
    opt_out = 1,      // brand scope
    opt_out_all = 2,  // STOPALL: every brand on the number
    opt_in = 3,       // START, UNSTOP, YES
    help = 4,
    ambiguous = 5,  // an opt-out word elsewhere in a sentence: review, hold promotional
};

enum class match_rule : std::uint8_t {
    none = 0,
    exact = 1,            // the whole text is a keyword
    exact_no_spaces = 2,  // the whole text without spaces is a keyword ("OPT OUT" → optout)
    prefix = 3,           // starts with a keyword (whole words)
    phrase = 4,           // contains an opt-out phrase (whole words) anywhere
    one_edit = 5,         // whole text one edit from a 4+ letter opt-out keyword
    review_word = 6,      // an opt-out word elsewhere in the text
};

[[nodiscard]] std::string_view to_string(keyword_kind k) noexcept;
[[nodiscard]] std::string_view to_string(match_rule r) noexcept;

struct keyword_match {
    keyword_kind kind = keyword_kind::none;
    match_rule rule = match_rule::none;
    std::string keyword;   // normalized keyword or phrase that matched ("stop", "opt out")
    std::string language;  // the keyword list it came from ("en", "fr", ...)
    bool confirms_double_opt_in = false;  // a `confirm` word (YES)
    std::string normalized;               // the normalized text, for audit
};

// Tiers, first that applies wins:
//  1. exact, then exact with spaces removed → that list's kind (opt-out, STOPALL, opt-in, help);
//  2. opt-out evidence → opt_out / opt_out_all: starts with an opt-out keyword (longest wins, so
//     "stop all texts" is STOPALL), contains a phrase, or is one edit from a 4+ letter opt-out
//     keyword that is not a listed real word;
//  3. a review word anywhere else → ambiguous;
//  4. starts with a help keyword → help;
//  5. none. Opt-in needs an exact match: re-subscribing someone by accident is the unsafe side.
class keyword_classifier {
public:
    // Throws config_error if one normalized keyword is in two lists with different meanings.
    explicit keyword_classifier(const keyword_config& cfg);

    [[nodiscard]] keyword_match classify(std::string_view utf8) const;
    // Same, for text already passed through normalize_keyword_text().
    [[nodiscard]] keyword_match classify_normalized(std::string normalized) const;

private:
    struct entry {
        std::string text;      // normalized, words separated by single spaces
        std::string squashed;  // spaces removed
        keyword_kind kind;
        bool confirm;
        std::string language;
    };
    std::vector<entry> exact_;    // opt-out, opt-out-all, opt-in, help
    std::vector<entry> phrases_;  // opt-out phrases
    std::vector<entry> review_;   // review words
    std::vector<std::string> fuzzy_exceptions_;
    std::size_t fuzzy_min_letters_;
    bool prefix_match_;
};

// Optimal string alignment distance (Damerau–Levenshtein without repeated edits of one
// substring), over bytes, stopping early once it exceeds `limit`. Exposed for tests.
[[nodiscard]] std::size_t edit_distance(std::string_view a, std::string_view b,
                                        std::size_t limit) noexcept;

}  // namespace smppgw::policy
