#include "infra/io_pool.hpp"

#include <pthread.h>

#include <algorithm>
#include <string>

namespace smppgw::gateway {

io_pool::io_pool(std::size_t threads) {
    const std::size_t n =
        threads == 0 ? std::max(1U, std::thread::hardware_concurrency()) : threads;
    for (std::size_t i = 0; i < n; ++i) {
        // Concurrency hint 1: each context is driven by exactly one thread, so Asio can skip
        // its internal locking.
        contexts_.push_back(std::make_unique<boost::asio::io_context>(1));
        guards_.emplace_back(contexts_.back()->get_executor());
        mailboxes_.push_back(std::make_unique<mailbox>(*contexts_.back()));
    }
}

io_pool::~io_pool() {
    stop();
}

void io_pool::start() {
    for (std::size_t i = 0; i < contexts_.size(); ++i) {
        threads_.emplace_back([ctx = contexts_[i].get(), i] {
            const auto name = "smppgw-io-" + std::to_string(i);
            pthread_setname_np(pthread_self(), name.c_str());
            ctx->run();
        });
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

mailbox& io_pool::mailbox_of(const boost::asio::io_context& ctx) noexcept {
    for (std::size_t i = 0; i < contexts_.size(); ++i) {
        if (contexts_[i].get() == &ctx) {
            return *mailboxes_[i];
        }
    }
    return *mailboxes_.front();  // not ours: never happens, and the first thread is safe
}

boost::asio::io_context& io_pool::next() noexcept {
    return *contexts_[next_.fetch_add(1, std::memory_order_relaxed) % contexts_.size()];
}

}  // namespace smppgw::gateway
