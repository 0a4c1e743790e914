// MO keyword classification tiers (COMPLIANCE.md). See keywords.hpp for the rules.
#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "smppgw/policy/data.hpp"
#include "smppgw/policy/keywords.hpp"

namespace smppgw::policy {
namespace {

std::string squash(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        if (c != ' ') {
            out.push_back(c);
        }
    }
    return out;
}

// `text` starts with `words` followed by the end or a space.
bool starts_with_words(std::string_view text, std::string_view words) noexcept {
    return !words.empty() && text.substr(0, words.size()) == words &&
           (text.size() == words.size() || text[words.size()] == ' ');
}

// `padded` is " text ", so a whole-word occurrence of `words` is " words ".
bool contains_words(std::string_view padded, std::string_view words) {
    if (words.empty()) {
        return false;
    }
    std::string needle;
    needle.reserve(words.size() + 2);
    needle.push_back(' ');
    needle.append(words);
    needle.push_back(' ');
    return padded.find(needle) != std::string_view::npos;
}

bool is_opt_out(keyword_kind k) noexcept {
    return k == keyword_kind::opt_out || k == keyword_kind::opt_out_all;
}

}  // namespace

std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t limit) noexcept {
    const std::size_t n = a.size();
    const std::size_t m = b.size();
    if ((n > m ? n - m : m - n) > limit) {
        return limit + 1;
    }
    // Three rolling rows of the optimal-string-alignment table. Strings beyond 64 bytes are
    // never keywords; cap them rather than allocate.
    constexpr std::size_t max_len = 64;
    if (m > max_len || n > max_len) {
        return limit + 1;
    }
    std::array<std::size_t, max_len + 1> prev2{};
    std::array<std::size_t, max_len + 1> prev{};
    std::array<std::size_t, max_len + 1> cur{};
    for (std::size_t j = 0; j <= m; ++j) {
        prev[j] = j;
    }
    for (std::size_t i = 1; i <= n; ++i) {
        cur[0] = i;
        std::size_t row_min = cur[0];
        for (std::size_t j = 1; j <= m; ++j) {
            const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            std::size_t v = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
                v = std::min(v, prev2[j - 2] + 1);
            }
            cur[j] = v;
            row_min = std::min(row_min, v);
        }
        if (row_min > limit) {
            return limit + 1;
        }
        prev2 = prev;
        prev = cur;
    }
    return std::min(prev[m], limit + 1);
}

keyword_classifier::keyword_classifier(const keyword_config& cfg)
    : fuzzy_min_letters_(cfg.fuzzy_min_letters), prefix_match_(cfg.prefix_match) {
    const auto add = [](std::vector<entry>& to, const std::string& raw, keyword_kind kind,
                        bool confirm, const std::string& language) {
        std::string text = normalize_keyword_text(raw);
        if (text.empty()) {
            throw config_error(
                fmt::format("keywords.{}: '{}' normalizes to nothing", language, raw));
        }
        std::string squashed = squash(text);
        for (auto& e : to) {
            if (e.text == text || e.squashed == squashed) {
                if (e.kind != kind) {
                    throw config_error(
                        fmt::format("keywords: '{}' ({}) is also '{}' ({}) with another meaning",
                                    raw, language, e.text, e.language));
                }
                e.confirm = e.confirm || confirm;
                if (e.text == text) {
                    return;
                }
            }
        }
        to.push_back({std::move(text), std::move(squashed), kind, confirm, language});
    };
    for (const auto& lang : cfg.languages) {
        for (const auto& k : lang.opt_out) {
            add(exact_, k, keyword_kind::opt_out, false, lang.language);
        }
        for (const auto& k : lang.opt_out_all) {
            add(exact_, k, keyword_kind::opt_out_all, false, lang.language);
        }
        for (const auto& k : lang.opt_in) {
            const bool confirm =
                std::find(lang.confirm.begin(), lang.confirm.end(), k) != lang.confirm.end();
            add(exact_, k, keyword_kind::opt_in, confirm, lang.language);
        }
        for (const auto& k : lang.confirm) {
            add(exact_, k, keyword_kind::opt_in, true, lang.language);
        }
        for (const auto& k : lang.help) {
            add(exact_, k, keyword_kind::help, false, lang.language);
        }
        for (const auto& p : lang.phrases) {
            add(phrases_, p, keyword_kind::opt_out, false, lang.language);
        }
        for (const auto& w : lang.review_words) {
            add(review_, w, keyword_kind::ambiguous, false, lang.language);
        }
        for (const auto& x : lang.fuzzy_exceptions) {
            fuzzy_exceptions_.push_back(squash(normalize_keyword_text(x)));
        }
    }
    // Longest first, so "stop all" wins over "stop" as a prefix and "stop texting me" over
    // "stop texting" as a phrase (the audit record names the most specific match).
    const auto longest_first = [](const entry& a, const entry& b) {
        return a.text.size() > b.text.size();
    };
    std::stable_sort(exact_.begin(), exact_.end(), longest_first);
    std::stable_sort(phrases_.begin(), phrases_.end(), longest_first);
}

keyword_match keyword_classifier::classify(std::string_view utf8) const {
    return classify_normalized(normalize_keyword_text(utf8));
}

keyword_match keyword_classifier::classify_normalized(std::string normalized) const {
    keyword_match m;
    m.normalized = std::move(normalized);
    const std::string_view text = m.normalized;
    if (text.empty()) {
        return m;
    }
    const auto hit = [&](const entry& e, keyword_kind kind, match_rule rule) {
        m.kind = kind;
        m.rule = rule;
        m.keyword = e.text;
        m.language = e.language;
        m.confirms_double_opt_in = kind == keyword_kind::opt_in && e.confirm;
        return m;
    };
    const std::string squashed = squash(text);

    // 1. The whole message is a keyword.
    for (const auto& e : exact_) {
        if (e.text == text) {
            return hit(e, e.kind, match_rule::exact);
        }
    }
    for (const auto& e : exact_) {
        if (e.squashed == squashed) {
            return hit(e, e.kind, match_rule::exact_no_spaces);
        }
    }

    // 2. Opt-out evidence: the reasonable-person test makes opt-out the safe direction.
    if (prefix_match_) {
        for (const auto& e : exact_) {  // longest first
            if (is_opt_out(e.kind) && starts_with_words(text, e.text)) {
                return hit(e, e.kind, match_rule::prefix);
            }
        }
    }
    std::string padded;
    padded.reserve(text.size() + 2);
    padded.push_back(' ');
    padded.append(text);
    padded.push_back(' ');
    for (const auto& p : phrases_) {
        if (contains_words(padded, p.text)) {
            return hit(p, keyword_kind::opt_out, match_rule::phrase);
        }
    }
    if (std::find(fuzzy_exceptions_.begin(), fuzzy_exceptions_.end(), squashed) ==
        fuzzy_exceptions_.end()) {
        const entry* best = nullptr;
        for (const auto& e : exact_) {
            if (is_opt_out(e.kind) && e.squashed.size() >= fuzzy_min_letters_ &&
                edit_distance(squashed, e.squashed, 1) == 1) {
                // Prefer the brand-scoped keyword when a typo is near both (STOPP vs STOPALL).
                if (best == nullptr ||
                    (best->kind == keyword_kind::opt_out_all && e.kind == keyword_kind::opt_out)) {
                    best = &e;
                }
            }
        }
        if (best != nullptr) {
            return hit(*best, best->kind, match_rule::one_edit);
        }
    }

    // 3. An opt-out word elsewhere: a person has to read it.
    for (const auto& r : review_) {
        if (contains_words(padded, r.text)) {
            return hit(r, keyword_kind::ambiguous, match_rule::review_word);
        }
    }

    // 4. Starts with a help keyword: answering help is harmless.
    if (prefix_match_) {
        for (const auto& e : exact_) {
            if (e.kind == keyword_kind::help && starts_with_words(text, e.text)) {
                return hit(e, keyword_kind::help, match_rule::prefix);
            }
        }
    }
    return m;
}

}  // namespace smppgw::policy
