#pragma once
// Work for one io_context thread, handed over in batches: any thread may push; the first push
// after the thread drained the box posts one handler, which runs everything pushed until then.
// Under load one post carries hundreds of tasks (a commit group's responses for the sessions of
// that thread), instead of one post, one allocation and one wake-up per message.
//
// Thread rule: push() from any thread; tasks run on the io_context's thread, in push order.

#include <mutex>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "smppgw/store/inplace_function.hpp"

namespace smppgw::gateway {

class mailbox {
public:
    using task = store::inplace_function<void(), 80>;

    explicit mailbox(boost::asio::io_context& ctx) : ctx_(ctx) {}
    mailbox(const mailbox&) = delete;
    mailbox& operator=(const mailbox&) = delete;

    void push(task t) {
        bool post = false;
        {
            std::lock_guard lock(mutex_);
            incoming_.push_back(std::move(t));
            post = !scheduled_;
            scheduled_ = true;
        }
        if (post) {
            boost::asio::post(ctx_, [this] { drain(); });
        }
    }

    [[nodiscard]] boost::asio::io_context& context() noexcept { return ctx_; }

private:
    void drain() {
        {
            std::lock_guard lock(mutex_);
            running_.swap(incoming_);
            scheduled_ = false;
        }
        for (auto& t : running_) {
            t();
        }
        running_.clear();
    }

    boost::asio::io_context& ctx_;
    std::mutex mutex_;
    std::vector<task> incoming_;  // guarded by mutex_
    bool scheduled_ = false;      // guarded by mutex_: a drain is posted and has not started
    std::vector<task> running_;   // the io_context thread's
};

}  // namespace smppgw::gateway
