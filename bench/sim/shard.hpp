#pragma once
// One simulator thread: the connections accepted onto it, the accounts (system_ids) whose
// receipts and MOs it queues, and the timing wheels that delay responses and receipts.
//
// Everything here runs on the shard's io_context thread. Other threads reach a shard only by
// posting to it (forwarded deliveries, shutdown). Work is batched per tick: due responses are
// encoded into the sessions' coalescing write buffers together, due receipts are queued per
// account and then sent through each receiver's window in one pass.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "common/rng.hpp"
#include "sim/delivery.hpp"
#include "sim/message_ids.hpp"
#include "sim/sim_stats.hpp"
#include "sim/timer_wheel.hpp"
#include "smppgw/smpp/session.hpp"

namespace smppgw::bench::sim {

class smsc_server;
struct connection;

// A system_id's receipts and MOs waiting for a receiver, and its receivers on this shard.
struct account {
    std::string system_id;
    ring_queue<delivery> queue;
    std::vector<connection*> receivers;
    std::size_t next = 0;
    bool dirty = false;
};

class shard {
public:
    using clock = std::chrono::steady_clock;

    // `shards`: how many there will be (ids are interleaved across them).
    shard(smsc_server& server, std::size_t index, std::size_t shards,
          boost::asio::io_context& context);
    ~shard();
    shard(const shard&) = delete;
    shard& operator=(const shard&) = delete;

    [[nodiscard]] boost::asio::io_context& context() noexcept { return context_; }
    [[nodiscard]] const sim_stats& stats() const noexcept { return stats_; }

    // All of these run on the shard's thread (post to it).
    void start();
    void adopt(boost::asio::ip::tcp::socket socket);
    void accept_forwarded(const std::string& system_id, std::vector<delivery> items);
    // Unbinds every session and stops timers; the recorder buffer is flushed.
    void shutdown();

    // Called by connection (session callbacks).
    void on_request(connection& c, smpp::pdu& request);
    void on_delivery_response(connection& c, std::uint64_t cookie, const smpp::pdu* response,
                              std::error_code ec);
    void on_closed(connection& c);

private:
    // A submit response held back by the ack latency.
    struct pending_response {
        std::uint32_t conn_slot = 0;
        std::uint32_t conn_generation = 0;
        std::uint32_t sequence = 0;
        smpp::command_id id = smpp::command_id::submit_sm_resp;
        std::uint32_t status = 0;
        fixed_text<48> message_id;
    };

    struct scheduled_delivery {
        account* to = nullptr;
        delivery item;
    };

    void handle_bind(connection& c, smpp::pdu& request);
    void handle_submit(connection& c, smpp::pdu& request);
    // One accepted destination: pick an outcome, record, schedule the receipt if asked for.
    void accept_destination(connection& c, std::string_view message_id, std::string_view source,
                            std::string_view destination, std::uint8_t registered_delivery,
                            std::uint8_t esm_class, std::uint8_t data_coding,
                            std::span<const std::uint8_t> user_data, const smpp::tlv_list& tlvs,
                            clock::time_point receipt_due);
    void respond(connection& c, std::uint32_t sequence, smpp::command_id response_id,
                 std::uint32_t status, std::string_view message_id, std::chrono::nanoseconds delay,
                 clock::time_point now);
    void send_response_now(connection& c, std::uint32_t sequence, smpp::command_id response_id,
                           std::uint32_t status, std::string_view message_id);
    void maybe_inject_garbage(connection& c);

    account& account_for(const std::string& system_id);
    void mark_dirty(account& a);
    void pump(account& a);
    bool send_delivery(connection& r, const delivery& d);
    void build_receipt(const delivery& d);
    void build_mo(const delivery& d);

    void arm(clock::time_point when);
    void on_tick();
    void generate_mo(clock::time_point now);
    void forward_stuck_accounts();
    void housekeeping(clock::time_point now);
    void flush_record();
    [[nodiscard]] bool throttling(clock::time_point now) const noexcept;

    smsc_server& server_;
    const sim_config& config_;
    std::size_t index_;
    boost::asio::io_context& context_;
    rng rng_;
    message_id_source ids_;
    weighted_choice outcome_choice_;
    weighted_choice variant_choice_;
    weighted_choice mo_choice_;
    sim_stats stats_;

    std::vector<std::shared_ptr<connection>> conns_;
    std::vector<std::uint32_t> free_conn_slots_;
    std::uint32_t next_generation_ = 1;
    std::unordered_map<std::string, std::unique_ptr<account>> accounts_;
    std::vector<account*> dirty_;

    timer_wheel<pending_response> responses_;
    timer_wheel<scheduled_delivery> deliveries_;

    boost::asio::steady_timer timer_;
    bool armed_ = false;
    clock::time_point armed_at_{};
    bool stopping_ = false;

    clock::time_point next_housekeeping_{};
    clock::time_point next_forward_{};
    clock::time_point next_disconnect_{};
    clock::time_point last_mo_{};
    double mo_credit_ = 0;
    std::vector<std::string> mo_targets_;  // system_ids with a receiver, refreshed each second
    std::size_t mo_next_target_ = 0;

    smpp::pdu out_;   // scratch deliver_sm, reused: no per-PDU allocation once TLVs have room
    smpp::pdu resp_;  // scratch response
    std::vector<std::uint8_t> encoded_;  // scratch MO text
    std::string record_buffer_;
};

}  // namespace smppgw::bench::sim
