// MO text normalization with ICU (COMPLIANCE.md: NFKC, case-fold, strip diacritics, drop
// zero-width characters, emoji and punctuation, collapse spaces).
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf16.h>

#include <stdexcept>
#include <string>

#include "smppgw/policy/keywords.hpp"

namespace smppgw::policy {
namespace {

const icu::Normalizer2& instance(const icu::Normalizer2* (*get)(UErrorCode&)) {
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* n = get(status);
    if (U_FAILURE(status) || n == nullptr) {
        throw std::runtime_error("ICU normalizer data unavailable");
    }
    return *n;
}

// Letters without a canonical decomposition that people nonetheless read as a base letter
// plus a mark. Input is already case-folded.
const char* fold_letter(UChar32 c) noexcept {
    switch (c) {
        case 0x00F8:
            return "o";  // ø
        case 0x0111:
            return "d";  // đ
        case 0x0142:
            return "l";  // ł
        case 0x0127:
            return "h";  // ħ
        case 0x0167:
            return "t";  // ŧ
        case 0x0131:
            return "i";  // dotless ı
        case 0x00E6:
            return "ae";  // æ
        case 0x0153:
            return "oe";  // œ
        case 0x00F0:
            return "d";  // ð
        case 0x00FE:
            return "th";  // þ
        default:
            return nullptr;
    }
}

bool is_apostrophe(UChar32 c) noexcept {
    return c == 0x0027 || c == 0x2019 || c == 0x2018 || c == 0x02BC || c == 0x0060 || c == 0x00B4;
}

}  // namespace

std::string normalize_keyword_text(std::string_view utf8) {
    static const icu::Normalizer2& nfkc = instance(&icu::Normalizer2::getNFKCInstance);
    static const icu::Normalizer2& nfd = instance(&icu::Normalizer2::getNFDInstance);

    UErrorCode status = U_ZERO_ERROR;
    icu::UnicodeString s = icu::UnicodeString::fromUTF8(
        icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())));
    s = nfkc.normalize(s, status);
    s.foldCase(U_FOLD_CASE_DEFAULT);
    // NFKC again: case folding can produce sequences that are not in normal form.
    s = nfkc.normalize(s, status);
    s = nfd.normalize(s, status);
    if (U_FAILURE(status)) {
        return {};
    }

    std::string out;
    out.reserve(utf8.size());
    bool pending_space = false;
    const auto emit = [&](UChar32 c) {
        if (pending_space && !out.empty()) {
            out.push_back(' ');
        }
        pending_space = false;
        icu::UnicodeString one(c);
        one.toUTF8String(out);
    };
    for (int32_t i = 0; i < s.length();) {
        const UChar32 c = s.char32At(i);
        i += U16_LENGTH(c);
        const auto type = static_cast<UCharCategory>(u_charType(c));
        if (type == U_NON_SPACING_MARK || type == U_ENCLOSING_MARK || type == U_FORMAT_CHAR ||
            is_apostrophe(c) || u_hasBinaryProperty(c, UCHAR_VARIATION_SELECTOR) ||
            u_hasBinaryProperty(c, UCHAR_EMOJI_MODIFIER)) {
            // Marks (the stripped diacritics), zero-width and other format characters (ZWSP,
            // ZWJ, BOM, bidi controls), variation selectors, skin tones: gone without a trace,
            // so "ST\u200BOP" is "stop".
            continue;
        }
        if (const char* folded = fold_letter(c)) {
            if (pending_space && !out.empty()) {
                out.push_back(' ');
            }
            pending_space = false;
            out.append(folded);
            continue;
        }
        if (u_isalpha(c) || u_isdigit(c) || type == U_COMBINING_SPACING_MARK) {
            emit(c);
            continue;
        }
        // Whitespace, punctuation, symbols, emoji, controls, U+FFFD: word separators.
        pending_space = true;
    }
    return out;
}

}  // namespace smppgw::policy
