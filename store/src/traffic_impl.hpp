#pragma once
// What the materializer adds to the traffic counters in one batch (traffic.hpp): its finished
// messages' final states, summed per (hour received, account, brand, campaign, state), written
// as merge operands into the stats family next to the family's watermark.

#include <compare>
#include <cstdint>
#include <map>
#include <vector>

#include <rocksdb/write_batch.h>

#include "smppgw/store/journal.hpp"
#include "smppgw/store/traffic.hpp"

namespace smppgw::store::detail {

class traffic_tally {
public:
    // Items at or below `counted_through` (the stats family's watermark) are already counted.
    explicit traffic_tally(lsn_t counted_through) : counted_through_(counted_through) {}

    void add(lsn_t lsn, const traffic_sample& s);
    [[nodiscard]] bool empty() const noexcept { return counts_.empty(); }
    void write(rocksdb::WriteBatch& wb, rocksdb::ColumnFamilyHandle* cf) const;
    // The batch's counts per (key, state), for store::on_traffic.
    [[nodiscard]] std::vector<traffic_event> events() const;

private:
    struct counter {
        time_point hour{};
        traffic_key key;
        traffic_measure measure = traffic_measure::delivered;

        friend auto operator<=>(const counter&, const counter&) = default;
        friend bool operator==(const counter&, const counter&) = default;
    };
    static message_state state_of(traffic_measure m) noexcept;

    lsn_t counted_through_;
    std::map<counter, std::uint64_t> counts_;
};

}  // namespace smppgw::store::detail
