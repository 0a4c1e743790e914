#include "common/io_pool.hpp"

#include <algorithm>

namespace smppgw::bench {

io_pool::io_pool(std::size_t threads) {
    threads = std::max<std::size_t>(threads, 1);
    for (std::size_t i = 0; i < threads; ++i) {
        // Concurrency hint 1: each context is run by exactly one thread (other threads only post
        // to it), which lets Asio's scheduler skip work it does for shared contexts.
        contexts_.push_back(std::make_unique<boost::asio::io_context>(1));
        guards_.emplace_back(contexts_.back()->get_executor());
    }
}

io_pool::~io_pool() {
    stop();
}

void io_pool::start() {
    for (auto& ctx : contexts_) {
        threads_.emplace_back([c = ctx.get()] { c->run(); });
    }
}

void io_pool::release() {
    for (auto& g : guards_) {
        g.reset();
    }
}

void io_pool::stop() {
    for (auto& ctx : contexts_) {
        ctx->stop();
    }
    join();
}

void io_pool::join() {
    for (auto& t : threads_) {
        if (t.joinable()) {
            t.join();
        }
    }
    threads_.clear();
}

}  // namespace smppgw::bench
