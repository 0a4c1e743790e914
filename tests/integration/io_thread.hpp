#pragma once
// One io_context on its own thread, for the in-test peers (fake SMSC, test ESME). The test thread
// talks to it with post() and call(); sessions live on it, as smpp::session requires.

#include <atomic>
#include <chrono>
#include <future>
#include <stdexcept>
#include <thread>
#include <type_traits>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

namespace smppgw::integration {

class io_thread {
public:
    io_thread()
        : guard_(boost::asio::make_work_guard(ctx_)), thread_([this] {
              ctx_.run();
              finished_ = true;
          }) {}
    ~io_thread() { stop(); }
    io_thread(const io_thread&) = delete;
    io_thread& operator=(const io_thread&) = delete;

    [[nodiscard]] boost::asio::io_context& context() noexcept { return ctx_; }

    template <typename F>
    void post(F f) {
        boost::asio::post(ctx_, std::move(f));
    }

    // Runs `f` on the loop thread and returns its result; throws if the loop does not get to it
    // in time (a hung peer must fail the test, not hang it).
    template <typename F>
    auto call(F f, std::chrono::milliseconds timeout = std::chrono::seconds(10))
        -> std::invoke_result_t<F> {
        using result = std::invoke_result_t<F>;
        auto task = std::make_shared<std::packaged_task<result()>>(std::move(f));
        auto fut = task->get_future();
        boost::asio::post(ctx_, [task] { (*task)(); });
        if (fut.wait_for(timeout) != std::future_status::ready) {
            throw std::runtime_error("io_thread::call timed out");
        }
        return fut.get();
    }

    // Lets the loop finish what is pending (closing sessions release their sockets on it), then
    // stops it regardless after `grace`.
    void stop(std::chrono::milliseconds grace = std::chrono::seconds(2)) {
        if (!thread_.joinable()) {
            return;
        }
        guard_.reset();
        const auto deadline = std::chrono::steady_clock::now() + grace;
        while (!finished_ && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        ctx_.stop();
        thread_.join();
    }

private:
    boost::asio::io_context ctx_;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
    std::atomic<bool> finished_{false};
    std::thread thread_;
};

}  // namespace smppgw::integration
