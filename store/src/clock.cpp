#include "smppgw/store/clock.hpp"

namespace smppgw::store {
namespace {

class system_clock_impl final : public clock {
public:
    time_point now() const noexcept override {
        return std::chrono::time_point_cast<std::chrono::milliseconds>(
            std::chrono::system_clock::now());
    }
};

}  // namespace

std::shared_ptr<const clock> system_clock() {
    static const auto instance = std::make_shared<const system_clock_impl>();
    return instance;
}

}  // namespace smppgw::store
