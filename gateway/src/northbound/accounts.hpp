#pragma once
// Accounts: who may bind, as configured, and what each has at runtime (binds, submit rate).
// The configuration side is an immutable snapshot (by system_id, and MO receiving numbers to
// their account) swapped whole on reload; the runtime side of each account lives as long as
// the account is configured and keeps its counters across reloads.
//
// Thread rule: any thread. Lookups read the snapshot without a lock; an account's runtime
// counters are under that account's own mutex.

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "infra/snapshot.hpp"
#include "infra/token_bucket.hpp"
#include "smppgw/gateway/config.hpp"

namespace smppgw::gateway {

class account_runtime {
public:
    explicit account_runtime(const account_config& cfg) : rate_(cfg.rate) {}

    // A bind asks for a slot: false when the account already has max_binds.
    [[nodiscard]] bool add_bind(std::size_t max_binds);
    void remove_bind();
    [[nodiscard]] std::size_t binds() const;
    // One message's worth of the account's rate: false when over it.
    [[nodiscard]] bool take_rate();
    void set_rate(double per_second);

private:
    mutable std::mutex mutex_;
    std::size_t binds_ = 0;
    token_bucket rate_;
};

struct account_entry {
    std::shared_ptr<const account_config> cfg;
    std::shared_ptr<account_runtime> runtime;
};

class account_registry {
public:
    // Applies a configuration: new accounts appear, changed ones keep their runtime, removed
    // ones disappear (their sessions are ended by the caller). Returns the removed system_ids.
    std::vector<std::string> configure(const std::vector<account_config>& configured);

    [[nodiscard]] std::optional<account_entry> find(std::string_view system_id) const;
    // The account owning an MO receiving number ("+" optional), if any.
    [[nodiscard]] std::shared_ptr<const account_config> mo_owner(std::string_view number) const;
    [[nodiscard]] std::vector<account_entry> all() const;

private:
    struct table {
        std::map<std::string, account_entry, std::less<>> by_id;
        std::map<std::string, std::shared_ptr<const account_config>, std::less<>> by_number;
    };
    snapshot<table> table_;
    std::mutex configure_mutex_;  // reloads one at a time
};

}  // namespace smppgw::gateway
