#include "infra/account_counters.hpp"

#include <prometheus/counter.h>

#include "infra/metrics.hpp"

namespace smppgw::gateway {
namespace {

constexpr std::string_view answer_names[] = {"accepted", "deferred", "rejected"};
constexpr policy::message_class all_classes[] = {policy::message_class::transactional,
                                                 policy::message_class::promotional,
                                                 policy::message_class::conversational};

}  // namespace

std::shared_ptr<const account_counters> account_counters::make(metrics& m,
                                                               const account_config& account) {
    auto out = std::make_shared<account_counters>();
    out->campaigns_ = account.campaigns;
    for (std::size_t a = 0; a < answers; ++a) {
        out->messages_[a] = &m.messages(account.system_id, answer_names[a]);
    }
    out->decisions_.resize(2 + account.campaigns.size());
    for (std::size_t s = 0; s < out->decisions_.size(); ++s) {
        const std::string_view campaign = s == 0   ? std::string_view()
                                          : s == 1 ? std::string_view("other")
                                                   : std::string_view(account.campaigns[s - 2]);
        for (const auto k : all_classes) {
            for (std::size_t a = 0; a < answers; ++a) {
                out->decisions_[s][static_cast<std::size_t>(k)][a] =
                    &m.decision(account.system_id, account.brand, policy::to_string(k), campaign,
                                answer_names[a]);
            }
        }
    }
    return out;
}

std::size_t account_counters::slot(std::string_view campaign) const noexcept {
    if (campaign.empty()) {
        return 0;
    }
    for (std::size_t i = 0; i < campaigns_.size(); ++i) {
        if (campaigns_[i] == campaign) {
            return 2 + i;
        }
    }
    // "other", or a name a reload took off the list since this bind's make(): bounded either way.
    return 1;
}

void account_counters::count(policy::message_class klass, std::string_view campaign,
                             answer a) const noexcept {
    const auto ai = static_cast<std::size_t>(a);
    const auto k = static_cast<std::size_t>(klass);
    messages_[ai]->Increment();
    if (k < classes) {
        decisions_[slot(campaign)][k][ai]->Increment();
    }
}

}  // namespace smppgw::gateway
