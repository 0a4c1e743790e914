#include "northbound/accounts.hpp"

namespace smppgw::gateway {

bool account_runtime::add_bind(std::size_t max_binds) {
    std::lock_guard lock(mutex_);
    if (binds_ >= max_binds) {
        return false;
    }
    ++binds_;
    return true;
}

void account_runtime::remove_bind() {
    std::lock_guard lock(mutex_);
    if (binds_ > 0) {
        --binds_;
    }
}

std::size_t account_runtime::binds() const {
    std::lock_guard lock(mutex_);
    return binds_;
}

bool account_runtime::take_rate() {
    std::lock_guard lock(mutex_);
    return rate_.try_take();
}

void account_runtime::set_rate(double per_second) {
    std::lock_guard lock(mutex_);
    rate_.reset(per_second);
}

std::vector<std::string> account_registry::configure(const std::vector<account_config>& configured) {
    std::lock_guard lock(configure_mutex_);
    const auto old = table_.load();
    auto next = std::make_shared<table>();
    for (const auto& a : configured) {
        account_entry e;
        e.cfg = std::make_shared<const account_config>(a);
        if (old) {
            if (const auto it = old->by_id.find(a.system_id); it != old->by_id.end()) {
                e.runtime = it->second.runtime;
                if (it->second.cfg->rate != a.rate) {
                    e.runtime->set_rate(a.rate);
                }
            }
        }
        if (!e.runtime) {
            e.runtime = std::make_shared<account_runtime>(a);
        }
        for (const auto& n : a.mo_numbers) {
            next->by_number[n] = e.cfg;
        }
        next->by_id.emplace(a.system_id, std::move(e));
    }
    std::vector<std::string> removed;
    if (old) {
        for (const auto& [id, e] : old->by_id) {
            if (!next->by_id.contains(id)) {
                removed.push_back(id);
            }
        }
    }
    table_.store(std::move(next));
    return removed;
}

std::optional<account_entry> account_registry::find(std::string_view system_id) const {
    const auto t = table_.load();
    if (!t) {
        return std::nullopt;
    }
    const auto it = t->by_id.find(system_id);
    if (it == t->by_id.end()) {
        return std::nullopt;
    }
    return it->second;
}

std::shared_ptr<const account_config> account_registry::mo_owner(std::string_view number) const {
    const auto t = table_.load();
    if (!t) {
        return nullptr;
    }
    auto it = t->by_number.find(number);
    if (it == t->by_number.end() && number.starts_with('+')) {
        it = t->by_number.find(number.substr(1));
    }
    return it == t->by_number.end() ? nullptr : it->second;
}

std::vector<account_entry> account_registry::all() const {
    std::vector<account_entry> out;
    if (const auto t = table_.load()) {
        for (const auto& [id, e] : t->by_id) {
            out.push_back(e);
        }
    }
    return out;
}

}  // namespace smppgw::gateway
