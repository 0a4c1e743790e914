#pragma once
// One compliance change as the nodes exchange it: an opt-out put or lift, a consent event, a
// review hold put or release. A change is the value of its key in the bucket of its kind, so
// the bucket holds, per key, the last change written: what every node mirrors.
//
// The value is JSON (an operator can read it with `nats kv get`):
//   {"v":1,"kind":"optout","op":"put","node":"gw-a","at_us":..., "brand":..., "msisdn":...,
//    "when":<ms>, "keyword":..., "source":"mo", "reference":...}
// `at_us` is the publishing node's wall clock when it published (for the propagation lag);
// times are milliseconds since the Unix epoch, UTC.
//
// Pure values and functions; any thread.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "smppgw/policy/records.hpp"

namespace smppgw::store {
class batch;
}

namespace smppgw::cluster {

enum class change_kind : std::uint8_t { optout = 0, consent = 1, hold = 2 };
// put: an opt-out, consent event or hold in force; remove: an opt-out lifted, a hold released.
enum class change_op : std::uint8_t { put = 0, remove = 1 };

[[nodiscard]] std::string_view to_string(change_kind k) noexcept;

struct change {
    change_kind kind = change_kind::optout;
    change_op op = change_op::put;
    std::string node;          // the node that made it
    std::int64_t at_us = 0;    // when it was published (publisher's wall clock)
    // kind optout, op put; op remove uses brand, msisdn, when, source and reference.
    policy::optout_record optout;
    policy::consent_record consent;  // kind consent
    // kind hold, op put; op remove uses brand, msisdn and `when`.
    policy::hold_record hold;
    policy::time_point when{};  // remove: when it was lifted or released

    [[nodiscard]] const std::string& brand() const noexcept;
    [[nodiscard]] const std::string& msisdn() const noexcept;

    [[nodiscard]] static change optout_put(policy::optout_record r);
    [[nodiscard]] static change optout_lift(std::string brand, std::string msisdn,
                                            policy::time_point when, policy::record_source source,
                                            std::string reference);
    [[nodiscard]] static change consent_put(policy::consent_record r);
    [[nodiscard]] static change hold_put(policy::hold_record r);
    [[nodiscard]] static change hold_release(std::string brand, std::string msisdn,
                                             policy::time_point when);
};

// The bucket key of a change: brand.msisdn, or brand.msisdn.class for consents.
[[nodiscard]] std::string key_of(const change& c);

[[nodiscard]] std::string encode(const change& c);
// nullopt for a value that is not a change this version understands (logged by the caller,
// never applied half).
[[nodiscard]] std::optional<change> decode_change(std::string_view json);

// The same change written into a store batch, as the node that made it wrote it.
void write_change(store::batch& b, const change& c);

// Changes staged into a local batch (node::stage), each with the key of the pending side
// record that keeps it until the cluster acknowledged it.
struct staged_changes {
    std::vector<std::pair<std::string, change>> items;
    [[nodiscard]] bool empty() const noexcept { return items.empty(); }
};

}  // namespace smppgw::cluster
