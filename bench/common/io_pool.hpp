#pragma once
// N io_contexts, one thread each. A session is single-threaded (it lives on its stream's
// executor), so multi-core means one io_context per thread with connections spread over them,
// not one io_context shared by many threads.

#include <cstddef>
#include <memory>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

namespace smppgw::bench {

class io_pool {
public:
    explicit io_pool(std::size_t threads);
    ~io_pool();
    io_pool(const io_pool&) = delete;
    io_pool& operator=(const io_pool&) = delete;

    [[nodiscard]] std::size_t size() const noexcept { return contexts_.size(); }
    [[nodiscard]] boost::asio::io_context& context(std::size_t i) { return *contexts_[i]; }

    void start();
    // Lets each context finish when it runs out of work (drops the work guards).
    void release();
    // Stops every context now and joins.
    void stop();
    void join();

private:
    using guard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
    std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
    std::vector<guard> guards_;
    std::vector<std::thread> threads_;
};

}  // namespace smppgw::bench
