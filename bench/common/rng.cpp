#include "common/rng.hpp"

#include <algorithm>

namespace smppgw::bench {

weighted_choice::weighted_choice(const std::vector<double>& weights) {
    double total = 0;
    for (double w : weights) {
        total += w > 0 ? w : 0;
    }
    double running = 0;
    cumulative_.reserve(weights.size());
    for (double w : weights) {
        running += w > 0 ? w : 0;
        cumulative_.push_back(total > 0 ? running / total : 0);
    }
    if (!cumulative_.empty()) {
        cumulative_.back() = 1.0;  // no rounding gap at the top
    }
}

std::size_t weighted_choice::pick(rng& r) const noexcept {
    if (cumulative_.size() <= 1) {
        return 0;
    }
    const double u = r.uniform();
    const auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), u);
    const auto i = static_cast<std::size_t>(it - cumulative_.begin());
    return std::min(i, cumulative_.size() - 1);
}

}  // namespace smppgw::bench
