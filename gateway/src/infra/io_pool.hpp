#pragma once
// One io_context per thread: a session and everything it touches stay on one thread, so the
// per-message path needs no strand and no lock. Work is spread by handing out contexts
// round-robin.

#include <atomic>
#include <cstddef>
#include <memory>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "infra/mailbox.hpp"

namespace smppgw::gateway {

class io_pool {
public:
    explicit io_pool(std::size_t threads);
    ~io_pool();
    io_pool(const io_pool&) = delete;
    io_pool& operator=(const io_pool&) = delete;

    void start();
    // Lets the contexts run out of work and joins the threads.
    void stop();

    [[nodiscard]] boost::asio::io_context& next() noexcept;
    [[nodiscard]] boost::asio::io_context& at(std::size_t i) noexcept { return *contexts_[i]; }
    [[nodiscard]] std::size_t size() const noexcept { return contexts_.size(); }
    // The batched hand-over box of the thread that runs `ctx` (one of ours).
    [[nodiscard]] mailbox& mailbox_of(const boost::asio::io_context& ctx) noexcept;

private:
    using guard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
    std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
    std::vector<std::unique_ptr<mailbox>> mailboxes_;  // one per context, same index
    std::vector<guard> guards_;
    std::vector<std::thread> threads_;
    std::atomic<std::size_t> next_{0};
};

}  // namespace smppgw::gateway
