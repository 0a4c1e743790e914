#include "infra/io_pool.hpp"

#include <algorithm>

namespace smppgw::gateway {

io_pool::io_pool(std::size_t threads) {
    const std::size_t n =
        threads == 0 ? std::max(1U, std::thread::hardware_concurrency()) : threads;
    for (std::size_t i = 0; i < n; ++i) {
        // Concurrency hint 1: each context is driven by exactly one thread, so Asio can skip
        // its internal locking.
        contexts_.push_back(std::make_unique<boost::asio::io_context>(1));
        guards_.emplace_back(contexts_.back()->get_executor());
    }
}

io_pool::~io_pool() {
    stop();
}

void io_pool::start() {
    for (auto& c : contexts_) {
        threads_.emplace_back([ctx = c.get()] { ctx->run(); });
    }
}

void io_pool::stop() {
    guards_.clear();
    for (auto& c : contexts_) {
        c->stop();
    }
    for (auto& t : threads_) {
        if (t.joinable()) {
            t.join();
        }
    }
    threads_.clear();
}

boost::asio::io_context& io_pool::next() noexcept {
    return *contexts_[next_.fetch_add(1, std::memory_order_relaxed) % contexts_.size()];
}

}  // namespace smppgw::gateway
