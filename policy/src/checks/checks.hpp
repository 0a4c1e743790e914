#pragma once
// The checks of the MT chain, in chain order. Private: the gateway sees them through `check`.
// Each holds only immutable config compiled at construction.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "smppgw/policy/chain.hpp"
#include "smppgw/policy/config.hpp"
#include "smppgw/policy/data.hpp"
#include "smppgw/policy/quiet_hours.hpp"
#include "smppgw/policy/zones.hpp"

namespace smppgw::policy::checks {

// Whether a class is switched on in a {promotional, transactional, conversational} triple.
[[nodiscard]] constexpr bool applies(message_class k, bool promotional, bool transactional,
                                     bool conversational) noexcept {
    switch (k) {
        case message_class::promotional:
            return promotional;
        case message_class::transactional:
            return transactional;
        case message_class::conversational:
            return conversational;
    }
    return true;
}

// The rule for a region: its own entry, else its country's ("US" for "US-FL"), else "*".
template <typename T, typename KeyOf>
[[nodiscard]] const T* most_specific(const std::vector<T>& entries, std::string_view region,
                                     KeyOf key) {
    const auto find = [&](std::string_view k) -> const T* {
        for (const auto& e : entries) {
            if (key(e) == k) {
                return &e;
            }
        }
        return nullptr;
    };
    if (const T* e = find(region)) {
        return e;
    }
    if (const auto dash = region.find('-'); dash != std::string_view::npos) {
        if (const T* e = find(region.substr(0, dash))) {
            return e;
        }
    }
    return find("*");
}

class destination_check final : public check {
public:
    destination_check(const destination_config& cfg, const number_index& numbers);
    [[nodiscard]] check_verdict decide(evaluation& ev) const override;

private:
    destination_config cfg_;
    const number_index& numbers_;
};

class optout_check final : public check {
public:
    explicit optout_check(const optout_config& cfg);
    [[nodiscard]] check_verdict decide(evaluation& ev) const override;

private:
    optout_config cfg_;
};

class consent_check final : public check {
public:
    explicit consent_check(const consent_config& cfg);
    [[nodiscard]] check_verdict decide(evaluation& ev) const override;

private:
    consent_config cfg_;
};

class frequency_check final : public check {
public:
    frequency_check(const frequency_config& cfg, const number_index& numbers);
    [[nodiscard]] check_verdict decide(evaluation& ev) const override;
    [[nodiscard]] bool counts_send(const message_facts& facts) const noexcept override;

private:
    struct cap {
        std::uint32_t max_messages;
        std::chrono::milliseconds window;
    };
    frequency_config cfg_;
    std::vector<std::optional<cap>> by_region_;  // indexed by region_id
};

class quiet_hours_check final : public check {
public:
    quiet_hours_check(const quiet_hours_config& cfg, const number_index& numbers,
                      const policy_data& data);
    [[nodiscard]] check_verdict decide(evaluation& ev) const override;

private:
    quiet_hours_config cfg_;
    const number_index& numbers_;
    std::vector<std::unique_ptr<rule_set>> rule_sets_;
    std::vector<std::vector<const rule_set*>> by_region_;  // indexed by region_id
};

class content_check final : public check {
public:
    explicit content_check(const content_config& cfg);
    [[nodiscard]] check_verdict decide(evaluation& ev) const override;
    [[nodiscard]] bool counts_send(const message_facts& facts) const noexcept override;

private:
    content_config cfg_;
    std::map<std::string, std::string, std::less<>> prefixes_;
};

}  // namespace smppgw::policy::checks
