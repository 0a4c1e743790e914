#pragma once
// Per-account outbox bookkeeping in memory: the next sequence to assign and the sorted list of
// unacknowledged sequences (8 bytes each), rebuilt on open from the outbox family.
//
// Sequences are assigned by the committer in commit order and survive restarts through the
// 's' account record written in the same batch as the entries. A sequence whose write failed
// is skipped (gaps are allowed; order is what the deliverer relies on).

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "smppgw/store/records.hpp"

namespace smppgw::store::detail {

class outbox_tracker {
public:
    [[nodiscard]] std::uint64_t assign(std::string_view account);
    void appended(std::string_view account, std::uint64_t seq);
    void acked(std::string_view account, std::uint64_t seq);

    // Open-time restoration.
    void restore_last_assigned(std::string_view account, std::uint64_t seq);
    void restore_live(std::string_view account, std::uint64_t seq);

    [[nodiscard]] outbox_status status(std::string_view account) const;
    [[nodiscard]] std::vector<outbox_status> all() const;

private:
    struct state {
        std::uint64_t next = 1;
        std::deque<std::uint64_t> live;  // ascending
    };
    state& get(std::string_view account);
    static outbox_status describe(std::string_view account, const state& st);

    mutable std::mutex mu_;
    std::map<std::string, state, std::less<>> accounts_;
};

}  // namespace smppgw::store::detail
