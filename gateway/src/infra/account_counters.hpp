#pragma once
// The counters one account's upstream messages bump, resolved once per bind: the answer a
// submit got (smppgw_messages_total and smppgw_message_decisions_total by brand, class and
// campaign) costs an array index, a short scan of the account's campaign list and two atomic
// adds, with no label strings built and no map looked up per message (the gateway's CPU per
// message is a tracked figure).
//
// Thread rule: immutable after make(); any thread. The counters are the registry's, which
// never removes a metric, so the pointers live as long as the metrics object.

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "smppgw/gateway/config.hpp"
#include "smppgw/policy/records.hpp"

namespace prometheus {
class Counter;
}

namespace smppgw::gateway {

class metrics;

class account_counters {
public:
    // The answers an upstream message gets; the decision label spells them out.
    enum class answer : std::uint8_t { accepted = 0, deferred = 1, rejected = 2 };

    // Resolves (creating at zero where missing) every series of `account`'s label sets.
    [[nodiscard]] static std::shared_ptr<const account_counters> make(metrics& m,
                                                                      const account_config& account);

    // One message of class `klass` and campaign `campaign` (store::message_record::campaign:
    // "" none, "other", or a name of the account's list as it was at make()) got `a`.
    void count(policy::message_class klass, std::string_view campaign, answer a) const noexcept;

private:
    static constexpr std::size_t classes = 3;
    static constexpr std::size_t answers = 3;
    using per_campaign = std::array<std::array<prometheus::Counter*, answers>, classes>;

    // 0: no campaign, 1: "other", 2 + i: campaigns[i].
    [[nodiscard]] std::size_t slot(std::string_view campaign) const noexcept;

    std::vector<std::string> campaigns_;
    std::array<prometheus::Counter*, answers> messages_{};
    std::vector<per_campaign> decisions_;
};

}  // namespace smppgw::gateway
