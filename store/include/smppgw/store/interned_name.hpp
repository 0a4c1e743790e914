#pragma once
// smppgw::store::interned_name — a name from a small, bounded set (account, brand, carrier,
// campaign) held as a pointer to the one copy of its spelling this process keeps.
//
// Every message in flight carries four such names; as std::string they cost 32 bytes each, and
// a heap block for any longer than 15 characters. Interned, they cost 8 bytes and compare by
// pointer. Spellings are kept for the life of the process, which is right for names that come
// from the configuration and the store, and wrong for anything a peer may choose freely: keep
// those in std::string.
//
// Thread rule: any thread; interning takes a process-wide lock only for a spelling this thread
// has not used recently.

#include <string>
#include <string_view>

#include "smppgw/store/string_like.hpp"

namespace smppgw::store {

class interned_name : public string_like<interned_name> {
public:
    interned_name() noexcept;
    interned_name(std::string_view s);  // NOLINT(google-explicit-constructor): a drop-in for string
    interned_name(const std::string& s) : interned_name(std::string_view{s}) {}  // NOLINT
    interned_name(const char* s) : interned_name(std::string_view{s}) {}         // NOLINT

    [[nodiscard]] const std::string& str() const noexcept { return *spelling_; }
    [[nodiscard]] std::string_view view() const noexcept { return *spelling_; }
    operator const std::string&() const noexcept { return *spelling_; }  // NOLINT
    operator std::string_view() const noexcept { return *spelling_; }    // NOLINT

    [[nodiscard]] bool empty() const noexcept { return spelling_->empty(); }
    [[nodiscard]] std::size_t size() const noexcept { return spelling_->size(); }
    [[nodiscard]] const char* data() const noexcept { return spelling_->data(); }
    [[nodiscard]] const char* c_str() const noexcept { return spelling_->c_str(); }
    void clear() noexcept;

    // One copy per spelling: equal names are the same pointer.
    friend bool operator==(const interned_name& a, const interned_name& b) noexcept {
        return a.spelling_ == b.spelling_;
    }

private:
    const std::string* spelling_;
};

}  // namespace smppgw::store
