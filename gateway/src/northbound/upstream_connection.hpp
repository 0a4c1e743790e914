#pragma once
// One upstream bind: the SMSC side of an SMPP session. It authenticates the bind, hands every
// submit to acceptance and answers once the message is durable (re-checking opt-outs right
// before an ESME_ROK), answers query/cancel/replace from the live state, and, when bound as a
// receiver, delivers its account's outbox within its window (outbox_relay.hpp).
//
// Thread rule: everything runs on the session's io_context thread, except describe() (any
// thread: it reads a snapshot kept under a mutex) and kick()/shutdown() (post to the thread).
// Journal completions come back through the thread's mailbox.

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <boost/asio/steady_timer.hpp>

#include "inbound/outbox_relay.hpp"
#include "northbound/accounts.hpp"
#include "northbound/services.hpp"
#include "smppgw/smpp/session.hpp"
#include "smppgw/store/live_state.hpp"
#include "wire/wire.hpp"

namespace smppgw::gateway {

class account_counters;
class listener;
class mailbox;

class upstream_connection : public smpp::session_handler,
                            public receiver,
                            public std::enable_shared_from_this<upstream_connection> {
public:
    upstream_connection(northbound_services& services, std::shared_ptr<listener> l,
                        std::string ip, std::string tls_common_name,
                        boost::asio::io_context& thread);
    ~upstream_connection() override;

    void attach(std::shared_ptr<smpp::session> s) { session_ = std::move(s); }

    // Unbind for shutdown or account removal (posted to the session's thread).
    void shutdown();

    struct info {
        std::uint64_t session_id = 0;
        std::string account;
        std::string bind_type;
        std::string ip;
        std::string listener;
        bool tls = false;
        std::size_t outstanding_submits = 0;
        std::size_t deliveries_in_flight = 0;
        std::uint64_t submits = 0;
    };
    [[nodiscard]] info describe() const;
    // The bound account's system_id (empty before a bind); any thread.
    [[nodiscard]] std::string account_id() const;

    // receiver
    [[nodiscard]] bool deliver(std::string_view bytes, std::uint64_t cookie) override;
    void kick() override;

    // smpp::session_handler
    void on_request(smpp::session& s, smpp::pdu& request) override;
    void on_response(smpp::session& s, std::uint64_t cookie, const smpp::pdu* response,
                     std::error_code ec) override;
    void on_closed(smpp::session& s, std::error_code reason) override;
    void on_decode_error(smpp::session& s, const smpp::decode_result& r) override;

private:
    // A submit whose message waits for its journal write.
    struct pending_submit {
        std::uint32_t sequence = 0;
        smpp::command_id command = smpp::command_id::submit_sm;
        store::message_ptr message;
        bool deferred = false;
        std::chrono::steady_clock::time_point started;
        std::uint64_t multi = 0;  // a submit_multi's destination: which one (0: none)
    };
    // A submit_multi waiting for all of its destinations.
    struct pending_multi {
        smpp::pdu request;  // for the response's sequence and the refused destinations
        smpp::submit_multi_resp response;
        std::size_t waiting = 0;
        std::string first_id;
        std::chrono::steady_clock::time_point started;
    };

    void handle_bind(smpp::pdu& request);
    void finish_bind(smpp::pdu request, account_entry acct, bool ok);
    void handle_submit(smpp::pdu& request);
    void handle_submit_multi(smpp::pdu& request);
    void handle_query(smpp::pdu& request);
    void handle_cancel(smpp::pdu& request);
    void handle_replace(smpp::pdu& request);
    // Back on this thread once a submit's message is durable (or its write failed).
    void submit_durable(std::uint64_t slot, std::error_code ec);
    void multi_destination_done(pending_multi& multi, std::uint64_t id);
    void reply(const smpp::pdu& response);
    void reply_status(std::uint32_t sequence, smpp::command_id command, smpp::command_status st,
                      std::string_view message_id = {});
    // Admission: the status to refuse with, or ESME_ROK.
    [[nodiscard]] smpp::command_status admit();
    void pump_outbox();
    void publish_info();
    store::completion back_here(std::uint64_t slot);

    northbound_services& services_;
    std::shared_ptr<listener> listener_;
    const std::string ip_;
    const std::string tls_cn_;
    mailbox& mailbox_;
    std::shared_ptr<smpp::session> session_;
    std::optional<account_entry> account_;
    // The bound account's answer counters, resolved at bind (infra/account_counters.hpp).
    std::shared_ptr<const account_counters> counters_;
    smpp::bind_type bind_type_ = smpp::bind_type::transceiver;
    bool binding_ = false;
    std::size_t outstanding_submits_ = 0;  // submits awaiting our response
    std::uint64_t submits_ = 0;
    std::uint64_t next_slot_ = 1;
    std::map<std::uint64_t, pending_submit> pending_;
    std::map<std::uint64_t, pending_multi> multis_;
    std::uint64_t next_multi_ = 1;

    // Receiver side.
    std::unique_ptr<outbox_delivery> delivery_;
    // Entries a peer bound below 3.4 gets as several deliver_sm (wire.hpp adapt_for_peer):
    // the outbox relay hears about the entry once every part is answered.
    split_deliveries splits_;
    std::uint64_t next_part_cookie_ = std::uint64_t{1} << 63U;  // apart from the relay's
    std::atomic<bool> kick_pending_{false};
    std::unique_ptr<boost::asio::steady_timer> deliver_timer_;

    // describe()'s view, written on the session thread, read by the admin API.
    mutable std::mutex info_mutex_;
    info info_;
};

}  // namespace smppgw::gateway
