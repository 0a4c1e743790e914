#include <cctype>

#include <fmt/format.h>

#include "checks.hpp"

namespace smppgw::policy::checks {
namespace {

char lower(char c) noexcept {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

bool word_char(char c) noexcept {
    return std::isalnum(static_cast<unsigned char>(c)) != 0;
}

bool iequal(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (lower(a[i]) != lower(b[i])) {
            return false;
        }
    }
    return true;
}

// `word` occurs in `text` with no letter or digit right before or after it.
bool contains_word(std::string_view text, std::string_view word) noexcept {
    if (word.empty() || word.size() > text.size()) {
        return false;
    }
    for (std::size_t i = 0; i + word.size() <= text.size(); ++i) {
        if ((i == 0 || !word_char(text[i - 1])) && iequal(text.substr(i, word.size()), word) &&
            (i + word.size() == text.size() || !word_char(text[i + word.size()]))) {
            return true;
        }
    }
    return false;
}

}  // namespace

content_check::content_check(const content_config& cfg)
    : check(check_id::content, cfg.shadow), cfg_(cfg) {
    for (const auto& b : cfg_.brand_prefixes) {
        if (b.prefix.empty()) {
            throw config_error(fmt::format("content.brand_prefixes[{}]: empty prefix", b.brand));
        }
        prefixes_[b.brand] = b.prefix;
    }
    if (cfg_.require_optout_instructions && cfg_.optout_markers.empty()) {
        throw config_error("content.optout_markers is empty");
    }
}

bool content_check::counts_send(const message_facts& facts) const noexcept {
    return cfg_.require_optout_instructions && facts.reply == keyword_reply::none &&
           facts.klass == message_class::promotional;
}

check_verdict content_check::decide(evaluation& ev) const {
    const auto& f = ev.facts;
    if (f.reply != keyword_reply::none) {
        return check_verdict::not_applicable();
    }
    bool applied = false;
    if (cfg_.require_brand_prefix &&
        applies(f.klass, cfg_.prefix_promotional, cfg_.prefix_transactional,
                cfg_.prefix_conversational)) {
        if (auto it = prefixes_.find(f.brand); it != prefixes_.end()) {
            applied = true;
            if (!iequal(f.text.substr(0, it->second.size()), it->second)) {
                return check_verdict::reject(reason::content_brand_missing);
            }
        }
    }
    if (cfg_.require_optout_instructions && f.klass == message_class::promotional) {
        applied = true;
        if (!ev.consent_fetched) {
            ev.consent = ev.lk.consents->find_consent(f.brand, ev.destination.digits(),
                                                      message_class::promotional);
            ev.consent_fetched = true;
        }
        // "First" = no promotional send recorded since the consent was granted.
        const time_point since = ev.consent ? ev.consent->granted : time_point{};
        const auto sends = ev.lk.frequency->recent_sends(f.brand, ev.destination.digits(), since);
        if (sends.count == 0) {
            bool has_marker = false;
            for (const auto& m : cfg_.optout_markers) {
                has_marker = has_marker || contains_word(f.text, m);
            }
            if (!has_marker) {
                return check_verdict::reject(reason::content_optout_missing);
            }
        }
    }
    return applied ? check_verdict::accept() : check_verdict::not_applicable();
}

}  // namespace smppgw::policy::checks
