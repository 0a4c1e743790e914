#include "smppgw/store/interned_name.hpp"

#include <array>
#include <mutex>
#include <unordered_set>

namespace smppgw::store {
namespace {

struct spelling_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
        return std::hash<std::string_view>{}(s);
    }
};

const std::string empty_spelling;

// Node-based, so a spelling's address never changes; never shrinks (see the header).
const std::string* intern(std::string_view s) {
    if (s.empty()) {
        return &empty_spelling;
    }
    // A thread sees the same few names over and over (its binds' accounts, their carriers):
    // those are found without the lock.
    thread_local std::array<const std::string*, 8> recent{};
    thread_local std::size_t next = 0;
    for (const auto* p : recent) {
        if (p != nullptr && *p == s) {
            return p;
        }
    }
    static std::mutex mu;
    static std::unordered_set<std::string, spelling_hash, std::equal_to<>> spellings;
    const std::string* found = nullptr;
    {
        std::lock_guard lock(mu);
        auto it = spellings.find(s);
        if (it == spellings.end()) {
            it = spellings.emplace(s).first;
        }
        found = &*it;
    }
    recent[next++ % recent.size()] = found;
    return found;
}

}  // namespace

interned_name::interned_name() noexcept : spelling_(&empty_spelling) {}

interned_name::interned_name(std::string_view s) : spelling_(intern(s)) {}

void interned_name::clear() noexcept { spelling_ = &empty_spelling; }

}  // namespace smppgw::store
