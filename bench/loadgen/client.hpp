#pragma once
// One ESME connection of the load generator: connects, binds (TX, RX or TRX), keeps its window
// of submit_sm full within the worker's token and message budget, answers deliver_sm, and
// reconnects if the peer drops it mid-run.
//
// Lives on its worker's thread, like its session. Per outstanding request it keeps a small
// slot (send time, token, destination) indexed by the session cookie, so responses and
// timeouts cost no lookup and no allocation.

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "loadgen/message_factory.hpp"
#include "smppgw/smpp/bind_state.hpp"
#include "smppgw/smpp/session.hpp"

namespace smppgw::bench::loadgen {

class worker;

class client final : public smpp::session_handler, public std::enable_shared_from_this<client> {
public:
    client(worker& w, std::size_t id, smpp::bind_type type);

    void start();
    // Sends up to `max_parts` submit_sm; what stopped it. Out of tokens, the client queues
    // itself with the worker unless `queue_when_starved` is false (the worker's own turn-taking).
    enum class fill_result { sent_all, blocked, no_tokens };
    fill_result fill(std::size_t max_parts = SIZE_MAX, bool queue_when_starved = true);
    void unbind();

    [[nodiscard]] bool transmits() const noexcept { return type_ != smpp::bind_type::receiver; }
    [[nodiscard]] bool bound() const noexcept { return bound_; }
    [[nodiscard]] bool open() const noexcept { return session_ && !session_->is_closed(); }
    [[nodiscard]] std::size_t outstanding() const noexcept {
        return session_ ? session_->outstanding() : 0;
    }
    [[nodiscard]] std::size_t id() const noexcept { return id_; }
    bool starving = false;  // in the worker's list of clients waiting for tokens

    void on_request(smpp::session& s, smpp::pdu& request) override;
    void on_response(smpp::session& s, std::uint64_t cookie, const smpp::pdu* response,
                     std::error_code ec) override;
    void on_closed(smpp::session& s, std::error_code reason) override;

private:
    struct request_slot {
        std::int64_t sent_ns = 0;
        std::uint64_t token = 0;
        char destination[24]{};
        std::uint8_t destination_length = 0;
        bool is_bind = false;
        bool receipt = false;
        bool opted_out = false;
        bool promotional = false;
    };

    void connect();
    void connect_failed(boost::system::error_code ec);
    void bind(boost::asio::ip::tcp::socket socket);
    void schedule_reconnect();
    bool send_part();

    worker& worker_;
    std::size_t id_;
    smpp::bind_type type_;
    std::shared_ptr<smpp::session> session_;
    boost::asio::ip::tcp::resolver resolver_;
    boost::asio::steady_timer retry_timer_;
    std::chrono::steady_clock::time_point connect_deadline_{};
    bool deadline_set_ = false;
    bool bound_ = false;
    bool ever_bound_ = false;
    bool stopping_ = false;

    std::vector<request_slot> slots_;
    std::vector<std::uint32_t> free_slots_;

    planned_message current_;
    std::size_t next_part_ = 0;
    bool has_current_ = false;
};

}  // namespace smppgw::bench::loadgen
