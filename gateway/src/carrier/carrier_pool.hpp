#pragma once
// The configured carriers by name: started, reconfigured in place, retired when they leave the
// config (what they hold is routed again). The router finds its targets here.
//
// Thread rule: any thread; the name -> carrier map is under the pool's mutex.

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "carrier/carrier.hpp"
#include "mt/router.hpp"

namespace smppgw::gateway {

class carrier_pool final : public route_directory {
public:
    carrier_pool(io_pool& io, metrics& stats, carrier_events& events);

    // Applies the configured carriers; removed ones hand their work to `reroute`.
    void configure(const std::vector<carrier_config>& configured,
                   const std::function<void(dispatch)>& reroute);
    void stop_all();

    [[nodiscard]] std::shared_ptr<carrier> find(std::string_view name) const;
    [[nodiscard]] std::vector<std::shared_ptr<carrier>> all() const;

    // route_directory
    [[nodiscard]] std::shared_ptr<route_target> find_target(std::string_view name) const override;
    [[nodiscard]] std::vector<std::shared_ptr<route_target>> all_targets() const override;

private:
    io_pool& io_;
    metrics& stats_;
    carrier_events& events_;
    mutable std::mutex mutex_;
    std::map<std::string, std::shared_ptr<carrier>, std::less<>> carriers_;
};

}  // namespace smppgw::gateway
