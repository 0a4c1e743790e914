#include "outbox_tracker.hpp"

#include <algorithm>

namespace smppgw::store::detail {

outbox_tracker::state& outbox_tracker::get(std::string_view account) {
    auto it = accounts_.find(account);
    if (it == accounts_.end()) {
        it = accounts_.emplace(std::string{account}, state{}).first;
    }
    return it->second;
}

std::uint64_t outbox_tracker::assign(std::string_view account) {
    std::lock_guard lk(mu_);
    return get(account).next++;
}

void outbox_tracker::appended(std::string_view account, std::uint64_t seq) {
    std::lock_guard lk(mu_);
    auto& live = get(account).live;
    // Appends arrive in sequence order (assigned and applied in commit order), so this is a
    // push_back; the general case keeps the list sorted anyway.
    if (live.empty() || live.back() < seq) {
        live.push_back(seq);
    } else {
        const auto pos = std::lower_bound(live.begin(), live.end(), seq);
        if (pos == live.end() || *pos != seq) {
            live.insert(pos, seq);
        }
    }
}

void outbox_tracker::acked(std::string_view account, std::uint64_t seq) {
    std::lock_guard lk(mu_);
    auto it = accounts_.find(account);
    if (it == accounts_.end()) {
        return;
    }
    auto& live = it->second.live;
    const auto pos = std::lower_bound(live.begin(), live.end(), seq);
    if (pos != live.end() && *pos == seq) {
        live.erase(pos);  // acks come mostly from the front: cheap on a deque
    }
}

void outbox_tracker::restore_last_assigned(std::string_view account, std::uint64_t seq) {
    std::lock_guard lk(mu_);
    auto& st = get(account);
    st.next = std::max(st.next, seq + 1);
}

void outbox_tracker::restore_live(std::string_view account, std::uint64_t seq) {
    std::lock_guard lk(mu_);
    auto& st = get(account);
    if (st.live.empty() || st.live.back() < seq) {
        st.live.push_back(seq);
    }
    st.next = std::max(st.next, seq + 1);
}

outbox_status outbox_tracker::describe(std::string_view account, const state& st) {
    outbox_status s;
    s.account = account;
    s.depth = st.live.size();
    s.first_seq = st.live.empty() ? 0 : st.live.front();
    s.next_seq = st.next;
    return s;
}

outbox_status outbox_tracker::status(std::string_view account) const {
    std::lock_guard lk(mu_);
    const auto it = accounts_.find(account);
    if (it == accounts_.end()) {
        outbox_status s;
        s.account = account;
        return s;
    }
    return describe(account, it->second);
}

std::vector<outbox_status> outbox_tracker::all() const {
    std::lock_guard lk(mu_);
    std::vector<outbox_status> out;
    out.reserve(accounts_.size());
    for (const auto& [account, st] : accounts_) {
        out.push_back(describe(account, st));
    }
    return out;
}

}  // namespace smppgw::store::detail
