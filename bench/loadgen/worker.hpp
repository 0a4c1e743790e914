#pragma once
// One load-generator thread: its io_context, its clients, its share of the rate and of the
// message budget, and its statistics. Workers share only the receipt tracker, the timeline and
// the record file; counters other threads read are relaxed atomics on the worker's own cache
// lines, histograms are per worker and merged after the threads have stopped.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "common/histogram.hpp"
#include "common/rng.hpp"
#include "loadgen/gen_config.hpp"
#include "loadgen/message_factory.hpp"
#include "loadgen/receipt_tracker.hpp"
#include "loadgen/timeline.hpp"
#include "smppgw/smpp/bind_state.hpp"
#include "smppgw/smpp/pdu.hpp"

namespace smppgw::bench::loadgen {

class client;

// What every worker shares, owned by the run.
struct shared_state {
    shared_state(const gen_config& c, const message_factory& f, receipt_tracker& t, timeline& s)
        : config(c), factory(f), tracker(t), seconds(s), start(std::chrono::steady_clock::now()) {}

    const gen_config& config;
    const message_factory& factory;
    receipt_tracker& tracker;
    timeline& seconds;
    std::chrono::steady_clock::time_point start;
    std::size_t workers = 1;
    // now_ns() when the measured phase began: per-second samples count from here.
    std::atomic<std::int64_t> send_origin_ns{0};
    std::FILE* record = nullptr;  // --record, written under record_mutex
    std::mutex record_mutex;
    std::atomic<bool> fatal{false};
    std::mutex fatal_mutex;
    std::string fatal_message;
};

struct alignas(64) worker_counters {
    using counter = std::atomic<std::uint64_t>;
    counter submits{0};
    counter messages{0};
    counter responses{0};
    counter errors{0};
    counter receipts{0};          // every receipt received
    counter receipts_matched{0};  // ... that matched an expected one
    counter receipts_expected{0};
    counter mo{0};
    counter bound{0};  // clients currently bound
    counter reconnects{0};
    std::atomic<std::int64_t> first_submit_ns{-1};
    std::atomic<std::int64_t> last_response_ns{0};
    std::atomic<std::int64_t> last_receipt_ns{0};
    std::atomic<bool> budget_spent{false};
};

// Read after the worker's thread has stopped.
struct worker_results {
    histogram response_latency;
    histogram receipt_latency;
    std::map<std::uint32_t, std::uint64_t> responses_by_status;
    std::map<std::string, std::uint64_t> failures;      // no response: timeout, closed, ...
    std::array<std::uint64_t, 11> receipts_by_state{};  // message_state 0-9, 10 = unreadable
    std::uint64_t receipts_intermediate = 0;
    std::uint64_t optout_sent = 0;
    std::uint64_t optout_rejected = 0;
    std::uint64_t promo_sent = 0;
};

class worker {
public:
    struct client_spec {
        std::size_t id;
        smpp::bind_type type;
    };

    worker(shared_state& shared, std::size_t index, boost::asio::io_context& io,
           std::vector<client_spec> clients, std::uint64_t budget, double rate);
    ~worker();
    worker(const worker&) = delete;
    worker& operator=(const worker&) = delete;

    // Posted to the worker's thread by the run.
    void start();          // connect and bind every client
    void begin_sending();  // the measured phase starts
    void stop_sending();
    void unbind_all();
    void finish();  // final timeline bucket and record flush; after the clients are closed

    [[nodiscard]] const worker_counters& counters() const noexcept { return counters_; }
    [[nodiscard]] const worker_results& results() const noexcept { return results_; }
    [[nodiscard]] std::size_t open_connections() const noexcept {
        return open_.load(std::memory_order_relaxed);
    }
    [[nodiscard]] std::int64_t in_flight() const noexcept;

    // ---- for clients (worker thread only)
    [[nodiscard]] boost::asio::io_context& io() noexcept { return io_; }
    [[nodiscard]] const gen_config& config() const noexcept { return shared_.config; }
    [[nodiscard]] std::int64_t now_ns() const noexcept {
        return std::chrono::duration_cast<std::chrono::nanoseconds>(
                   std::chrono::steady_clock::now() - shared_.start)
            .count();
    }
    [[nodiscard]] bool sending() const noexcept { return sending_; }
    [[nodiscard]] bool stopping() const noexcept { return stopping_; }
    // Reserves a new message of `parts` submits against the budget; false when none is left.
    bool claim_message(planned_message& m);
    bool take_token();
    void starve(client& c);
    [[nodiscard]] smpp::pdu& scratch() noexcept { return scratch_; }

    [[nodiscard]] const message_factory& factory() const noexcept { return shared_.factory; }
    void on_submitted(const planned_message& m, std::size_t part, std::int64_t sent_ns);
    void on_submit_outcome(std::int64_t sent_ns, std::uint64_t token, std::string_view destination,
                           bool receipt, bool opted_out, const smpp::pdu* response,
                           std::error_code ec);
    void on_deliver(const smpp::pdu& request);
    void on_bound(bool now_bound);
    void on_connection(bool opened);
    void on_reconnect() { counters_.reconnects.fetch_add(1, std::memory_order_relaxed); }
    void fail(std::string message);

private:
    void roll(std::int64_t now_ns);
    void arm_token_timer();
    void on_token_timer();
    void arm_housekeeping();
    void flush_record(bool force);

    shared_state& shared_;
    std::size_t index_;
    boost::asio::io_context& io_;
    std::vector<std::shared_ptr<client>> clients_;
    rng rng_;
    std::uint64_t budget_;  // submits left; only meaningful when limited_
    bool limited_;          // --count given
    std::uint64_t next_token_;

    // Token bucket (rate_ == 0: unlimited).
    double rate_;
    double tokens_ = 0;
    double burst_ = 1;
    std::int64_t refilled_ns_ = 0;
    std::vector<client*> starved_;
    bool token_timer_armed_ = false;
    bool in_token_timer_ = false;
    boost::asio::steady_timer token_timer_;
    boost::asio::steady_timer housekeeping_timer_;

    bool sending_ = false;
    bool stopping_ = false;
    std::int64_t origin_ns_ = 0;  // copy of shared_.send_origin_ns, set by begin_sending
    bool measuring_ = false;
    smpp::pdu scratch_;

    worker_counters counters_;
    std::atomic<std::size_t> open_{0};
    worker_results results_;
    second_bucket bucket_;
    std::string record_buffer_;
};

}  // namespace smppgw::bench::loadgen
