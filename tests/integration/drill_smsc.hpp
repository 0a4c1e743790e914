#pragma once
// A carrier SMSC for the TLS tests and the drills, on smppgw::smpp::session like fake_smsc, with
// what those need on top: TLS on the accept side (smpp::stream wraps the ssl::stream; optional
// client-certificate check), a timeline (every submit_sm carries the steady-clock time it
// arrived, every return to listening is timestamped), stopping and resuming listening on the same
// port, a status policy per submit (throttling phases), and receipts and MOs whose acknowledgement
// by the daemon is recorded (what the durability contract is about).
//
// All session work happens on its io_thread; the test thread reads snapshots under a mutex.

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>

#include "io_thread.hpp"
#include "process.hpp"
#include "smppgw/smpp/message_view.hpp"
#include "smppgw/smpp/receipt.hpp"
#include "smppgw/smpp/session.hpp"

namespace smppgw::integration {

// The "#tag-0001" / "#0123456789" token inside a message text ("" when there is none).
inline std::string text_token(const std::string& text) {
    const auto hash = text.find('#');
    if (hash == std::string::npos) {
        return {};
    }
    const auto end = text.find(' ', hash);
    return text.substr(hash, end == std::string::npos ? std::string::npos : end - hash);
}

struct smsc_submit {
    steady::time_point at;
    std::size_t connection = 0;
    std::string token;
    std::string destination;
    std::uint8_t registered_delivery = 0;
    std::optional<std::uint32_t> answered;
    std::string carrier_id;  // when answered ESME_ROK
};

// A receipt or MO we sent, and how the daemon answered it (last answer wins).
struct smsc_delivery {
    bool receipt = false;
    std::string carrier_id;  // receipts
    std::string from;        // MOs
    std::string text;
    std::optional<std::uint32_t> answered;
    std::size_t attempts = 0;
    bool acked = false;  // ESME_ROK seen at least once
};

class drill_smsc {
public:
    struct options {
        std::uint16_t port = 0;
        std::shared_ptr<boost::asio::ssl::context> tls;  // null: plain TCP
        std::string id_prefix = "DS";
        bool auto_receipts = true;
        std::chrono::milliseconds ack_delay{0};
        std::chrono::milliseconds receipt_delay{5};
    };

    explicit drill_smsc(options o) : opt_(std::move(o)) {
        io_.call([this] { open_acceptor(); });
    }
    drill_smsc() : drill_smsc(options{}) {}
    ~drill_smsc() {
        try {
            io_.call([this] {
                close_acceptor();
                drop_all();
                for (auto& t : timers_) {
                    t->cancel();
                }
                timers_.clear();
            });
        } catch (...) {
        }
        io_.stop();
    }
    drill_smsc(const drill_smsc&) = delete;
    drill_smsc& operator=(const drill_smsc&) = delete;

    [[nodiscard]] std::uint16_t port() const noexcept { return port_; }

    // The status each submit_sm gets from now on (ESME_ROK when unset). Runs on the SMSC thread.
    void set_status(std::function<std::uint32_t(const smsc_submit&)> f) {
        std::lock_guard lock(mutex_);
        status_ = std::move(f);
    }

    // Carrier outage: stop accepting (connects are refused) and drop every connection.
    void stop_listening() {
        io_.call([this] {
            close_acceptor();
            drop_all();
        });
    }
    // Back: listening again on the same port. Returns the moment it was.
    steady::time_point start_listening() {
        return io_.call([this] {
            open_acceptor();
            return steady::now();
        });
    }
    // A broken link: every connection closed without unbind; listening goes on.
    void drop_connections() {
        io_.call([this] { drop_all(); });
    }

    // An MO (e.g. "STOP") for the daemon, sent on a bound receiver as soon as there is one and
    // again until the daemon acknowledges it. Returns its index in deliveries().
    std::size_t send_mo(const std::string& from, const std::string& to, const std::string& text) {
        smpp::deliver_sm d;
        d.source_addr_ton = 1;
        d.source_addr_npi = 1;
        (void)d.source_addr.assign(from);
        d.dest_addr_ton = 1;
        d.dest_addr_npi = 1;
        (void)d.destination_addr.assign(to);
        (void)d.short_message.assign(text);
        smpp::pdu p;
        p.body = d;
        smsc_delivery rec;
        rec.from = from;
        rec.text = text;
        std::size_t index = 0;
        {
            std::lock_guard lock(mutex_);
            deliveries_.push_back(rec);
            index = deliveries_.size() - 1;
        }
        io_.post([this, p, index]() mutable {
            outgoing_.push_back({std::move(p), index});
            pump();
        });
        return index;
    }

    // ---- observation --------------------------------------------------------------------------

    [[nodiscard]] std::vector<smsc_submit> submits() const {
        std::lock_guard lock(mutex_);
        return submits_;
    }
    [[nodiscard]] std::vector<smsc_delivery> deliveries() const {
        std::lock_guard lock(mutex_);
        return deliveries_;
    }
    [[nodiscard]] std::size_t binds_total() const {
        std::lock_guard lock(mutex_);
        return binds_total_;
    }
    [[nodiscard]] std::size_t bound_now() const {
        std::lock_guard lock(mutex_);
        return bound_now_;
    }
    [[nodiscard]] std::size_t tls_failures() const {
        std::lock_guard lock(mutex_);
        return tls_failures_;
    }
    [[nodiscard]] std::size_t accepted_connections() const {
        std::lock_guard lock(mutex_);
        return connections_;
    }
    // Subject CN of the client certificate on the latest TLS connection ("" without one).
    [[nodiscard]] std::string last_client_cn() const {
        std::lock_guard lock(mutex_);
        return last_client_cn_;
    }

    struct view {
        const drill_smsc& s;
        [[nodiscard]] const std::vector<smsc_submit>& submits() const { return s.submits_; }
        [[nodiscard]] std::size_t binds_total() const { return s.binds_total_; }
        [[nodiscard]] std::size_t bound_now() const { return s.bound_now_; }
        [[nodiscard]] std::size_t tls_failures() const { return s.tls_failures_; }
        [[nodiscard]] std::size_t answered_ok() const { return s.answered_ok_; }
    };
    // Waits until pred(view) holds (evaluated under the lock on every change).
    template <typename Pred>
    bool wait(Pred pred, std::chrono::milliseconds timeout = default_wait) {
        std::unique_lock lock(mutex_);
        return cv_.wait_for(lock, timeout, [&] { return pred(view{*this}); });
    }

private:
    struct connection;

    class handler final : public smpp::session_handler {
    public:
        handler(drill_smsc& owner, std::shared_ptr<connection> c) : owner_(owner), conn_(c) {}
        void on_request(smpp::session& s, smpp::pdu& request) override {
            owner_.on_request(conn_.lock(), s, request);
        }
        void on_response(smpp::session&, std::uint64_t cookie, const smpp::pdu* response,
                         std::error_code) override {
            owner_.on_delivery_response(conn_.lock(), cookie, response);
        }
        void on_closed(smpp::session&, std::error_code) override { owner_.on_closed(conn_.lock()); }

    private:
        drill_smsc& owner_;
        std::weak_ptr<connection> conn_;
    };

    struct connection {
        std::size_t index = 0;
        std::shared_ptr<smpp::session> session;
        bool bound = false;
        bool receiver = false;
        std::map<std::uint64_t, std::size_t> inflight;  // cookie -> deliveries_ index
    };

    void open_acceptor() {
        acceptor_ = std::make_unique<boost::asio::ip::tcp::acceptor>(io_.context());
        const boost::asio::ip::tcp::endpoint ep(boost::asio::ip::make_address("127.0.0.1"), port_);
        acceptor_->open(ep.protocol());
        acceptor_->set_option(boost::asio::socket_base::reuse_address(true));
        acceptor_->bind(ep);
        acceptor_->listen();
        port_ = acceptor_->local_endpoint().port();
        accept();
    }

    void close_acceptor() {
        if (acceptor_ && acceptor_->is_open()) {
            boost::system::error_code ignored;
            acceptor_->close(ignored);
        }
    }

    void drop_all() {
        const auto conns = conns_;  // close() calls on_closed, which edits conns_
        for (const auto& c : conns) {
            if (c->session && !c->session->is_closed()) {
                c->session->close();
            }
        }
        for (auto& t : handshakes_) {
            boost::system::error_code ignored;
            t->next_layer().close(ignored);
        }
        handshakes_.clear();
    }

    void accept() {
        acceptor_->async_accept(
            [this](boost::system::error_code ec, boost::asio::ip::tcp::socket sock) {
                if (ec) {
                    return;  // closed by stop_listening()
                }
                sock.set_option(boost::asio::ip::tcp::no_delay(true), ec);
                if (!opt_.tls) {
                    start_session(smpp::stream(std::move(sock)));
                } else {
                    start_tls(std::move(sock));
                }
                accept();
            });
    }

    void start_tls(boost::asio::ip::tcp::socket sock) {
        auto tls = std::make_shared<smpp::tls_stream>(std::move(sock), *opt_.tls);
        handshakes_.insert(tls);
        auto timer = std::make_shared<boost::asio::steady_timer>(io_.context(), 5s);
        timer->async_wait([tls](boost::system::error_code ec) {
            if (!ec) {
                boost::system::error_code ignored;
                tls->next_layer().close(ignored);
            }
        });
        tls->async_handshake(boost::asio::ssl::stream_base::server,
                             [this, tls, timer](const boost::system::error_code& ec) {
                                 timer->cancel();
                                 handshakes_.erase(tls);
                                 if (ec) {
                                     {
                                         std::lock_guard lock(mutex_);
                                         ++tls_failures_;
                                     }
                                     cv_.notify_all();
                                     return;
                                 }
                                 std::string cn;
                                 if (X509* cert = SSL_get1_peer_certificate(tls->native_handle())) {
                                     char buf[256] = {};
                                     const int n =
                                         X509_NAME_get_text_by_NID(X509_get_subject_name(cert),
                                                                   NID_commonName, buf, sizeof buf);
                                     if (n > 0) {
                                         cn.assign(buf, static_cast<std::size_t>(n));
                                     }
                                     X509_free(cert);
                                 }
                                 {
                                     std::lock_guard lock(mutex_);
                                     last_client_cn_ = cn;
                                 }
                                 start_session(smpp::stream(std::move(*tls)));
                             });
    }

    void start_session(smpp::stream stream) {
        auto c = std::make_shared<connection>();
        {
            std::lock_guard lock(mutex_);
            c->index = ++connections_;
        }
        smpp::session_config sc;
        sc.window = 256;
        sc.response_timeout = std::chrono::milliseconds(5'000);
        sc.tick = std::chrono::milliseconds(20);
        c->session =
            smpp::session::create(std::move(stream), sc, std::make_shared<handler>(*this, c));
        conns_.push_back(c);
        c->session->start();
    }

    void on_request(const std::shared_ptr<connection>& c, smpp::session& s, smpp::pdu& request) {
        if (!c) {
            return;
        }
        switch (request.command_id()) {
            case smpp::command_id::bind_transmitter:
            case smpp::command_id::bind_receiver:
            case smpp::command_id::bind_transceiver:
                on_bind(c, s, request);
                return;
            case smpp::command_id::submit_sm:
                if (!c->bound || s.state() == smpp::bind_state::bound_rx) {
                    (void)s.send_response(
                        smpp::make_response(request, smpp::status::ESME_RINVBNDSTS));
                    return;
                }
                on_submit(c, s, request);
                return;
            default:
                (void)s.send_response(smpp::make_response(request, smpp::status::ESME_RINVCMDID));
                return;
        }
    }

    void on_bind(const std::shared_ptr<connection>& c, smpp::session& s, smpp::pdu& request) {
        smpp::bind_state state = smpp::bind_state::bound_trx;
        if (std::holds_alternative<smpp::bind_transmitter>(request.body)) {
            state = smpp::bind_state::bound_tx;
        } else if (std::holds_alternative<smpp::bind_receiver>(request.body)) {
            state = smpp::bind_state::bound_rx;
        }
        auto resp = smpp::make_response(request, smpp::status::ESME_ROK);
        std::visit(
            [](auto& b) {
                if constexpr (std::is_base_of_v<smpp::bind_resp_fields,
                                                std::decay_t<decltype(b)>>) {
                    (void)b.system_id.assign("drillsmsc");
                }
            },
            resp.body);
        (void)s.send_response(resp);
        s.set_state(state);
        c->bound = true;
        c->receiver = smpp::can_receive(state);
        {
            std::lock_guard lock(mutex_);
            ++bound_now_;
            ++binds_total_;
        }
        cv_.notify_all();
        pump();
    }

    void on_submit(const std::shared_ptr<connection>& c, smpp::session&, smpp::pdu& request) {
        const auto& sm = std::get<smpp::submit_sm>(request.body);
        smsc_submit rec;
        rec.at = steady::now();
        rec.connection = c->index;
        rec.destination = std::string(sm.destination_addr.view());
        rec.registered_delivery = sm.registered_delivery;
        rec.token = text_token(smpp::message_text(request).text);
        std::function<std::uint32_t(const smsc_submit&)> status_of;
        std::size_t index = 0;
        {
            std::lock_guard lock(mutex_);
            status_of = status_;
            submits_.push_back(rec);
            index = submits_.size() - 1;
        }
        cv_.notify_all();
        const std::uint32_t status = status_of ? status_of(rec) : smpp::status::ESME_ROK;
        if (opt_.ack_delay.count() == 0) {
            answer(c, request, index, status);
        } else {
            after(opt_.ack_delay, [this, w = std::weak_ptr<connection>(c), request, index, status] {
                answer(w.lock(), request, index, status);
            });
        }
    }

    void answer(const std::shared_ptr<connection>& c, const smpp::pdu& request, std::size_t index,
                std::uint32_t status) {
        if (!c || !c->session || c->session->is_closed()) {
            return;  // the daemon never sees an answer: an unknown outcome on its side
        }
        auto resp = smpp::make_response(request, status);
        std::string id;
        if (status == smpp::status::ESME_ROK) {
            char buf[32];
            std::snprintf(buf, sizeof buf, "-%07zu", ++next_id_);
            id = opt_.id_prefix + buf;
            (void)std::get<smpp::submit_sm_resp>(resp.body).message_id.assign(id);
        }
        if (c->session->send_response(resp)) {
            return;
        }
        bool want_receipt = false;
        {
            std::lock_guard lock(mutex_);
            auto& rec = submits_[index];
            rec.answered = status;
            rec.carrier_id = id;
            if (status == smpp::status::ESME_ROK) {
                ++answered_ok_;
            }
            want_receipt = status == smpp::status::ESME_ROK && opt_.auto_receipts &&
                           (rec.registered_delivery & 0x03) != 0;
        }
        cv_.notify_all();
        if (want_receipt) {
            after(opt_.receipt_delay, [this, id] { queue_receipt(id); });
        }
    }

    void queue_receipt(const std::string& carrier_id) {
        char date[16];
        const std::time_t now = std::time(nullptr);
        std::tm tm{};
        gmtime_r(&now, &tm);
        std::strftime(date, sizeof date, "%y%m%d%H%M", &tm);
        const std::string text = "id:" + carrier_id + " sub:001 dlvrd:001 submit date:" + date +
                                 " done date:" + date + " stat:DELIVRD err:000 text:";
        smpp::deliver_sm d;
        d.source_addr_ton = 1;
        d.source_addr_npi = 1;
        d.esm_class = smpp::esm::smsc_delivery_receipt;
        (void)d.short_message.assign(text);
        smpp::pdu p;
        p.body = d;
        p.tlvs.set<smpp::tlv::receipted_message_id>(carrier_id);
        p.tlvs.set<smpp::tlv::message_state>(
            static_cast<std::uint8_t>(smpp::message_state::delivered));
        smsc_delivery rec;
        rec.receipt = true;
        rec.carrier_id = carrier_id;
        rec.text = text;
        std::size_t index = 0;
        {
            std::lock_guard lock(mutex_);
            deliveries_.push_back(std::move(rec));
            index = deliveries_.size() - 1;
        }
        outgoing_.push_back({std::move(p), index});
        pump();
    }

    // Sends queued deliveries round-robin over bound receivers with room in their window.
    void pump() {
        while (!outgoing_.empty()) {
            std::shared_ptr<connection> target;
            for (std::size_t i = 0; i < conns_.size(); ++i) {
                auto& c = conns_[(rr_ + i) % conns_.size()];
                if (c->bound && c->receiver && c->session && !c->session->is_closed() &&
                    !c->session->window_full()) {
                    target = c;
                    rr_ = (rr_ + i + 1) % conns_.size();
                    break;
                }
            }
            if (!target) {
                return;
            }
            auto [p, index] = std::move(outgoing_.front());
            outgoing_.pop_front();
            const std::uint64_t cookie = ++next_cookie_;
            smpp::pdu copy = p;
            if (target->session->send_request(copy, cookie)) {
                outgoing_.push_front({std::move(p), index});
                return;
            }
            target->inflight[cookie] = index;
            inflight_pdus_[cookie] = std::move(p);
            std::lock_guard lock(mutex_);
            ++deliveries_[index].attempts;
        }
    }

    void on_delivery_response(const std::shared_ptr<connection>& c, std::uint64_t cookie,
                              const smpp::pdu* response) {
        if (!c) {
            return;
        }
        auto it = c->inflight.find(cookie);
        if (it == c->inflight.end()) {
            return;
        }
        const std::size_t index = it->second;
        c->inflight.erase(it);
        auto node = inflight_pdus_.extract(cookie);
        if (node.empty()) {
            return;
        }
        auto p = std::move(node.mapped());
        if (response != nullptr) {
            {
                std::lock_guard lock(mutex_);
                deliveries_[index].answered = response->command_status;
                if (response->command_status == smpp::status::ESME_ROK) {
                    deliveries_[index].acked = true;
                }
            }
            cv_.notify_all();
            if (response->command_status != smpp::status::ESME_ROK) {
                // A temporary refusal: a carrier delivers it again a little later.
                after(100ms, [this, p = std::move(p), index]() mutable {
                    outgoing_.push_back({std::move(p), index});
                    pump();
                });
                return;
            }
        } else {
            outgoing_.push_front({std::move(p), index});  // no answer: deliver again
        }
        pump();
    }

    void on_closed(const std::shared_ptr<connection>& c) {
        if (!c) {
            return;
        }
        if (c->bound) {
            c->bound = false;
            std::lock_guard lock(mutex_);
            --bound_now_;
        }
        cv_.notify_all();
        for (auto& [cookie, index] : c->inflight) {
            auto node = inflight_pdus_.extract(cookie);
            if (!node.empty()) {
                outgoing_.push_front({std::move(node.mapped()), index});
            }
        }
        c->inflight.clear();
        std::erase(conns_, c);
        // The session is released once its own handlers have run (we are inside one now).
        boost::asio::post(io_.context(), [c] { c->session.reset(); });
        pump();
    }

    template <typename F>
    void after(std::chrono::milliseconds d, F f) {
        auto t = std::make_shared<boost::asio::steady_timer>(io_.context(), d);
        timers_.insert(t);
        t->async_wait([this, t, f = std::move(f)](boost::system::error_code ec) mutable {
            timers_.erase(t);
            if (!ec) {
                f();
            }
        });
    }

    options opt_;
    std::uint16_t port_ = 0;

    mutable std::mutex mutex_;  // guards what the test thread reads
    std::condition_variable cv_;
    std::vector<smsc_submit> submits_;
    std::vector<smsc_delivery> deliveries_;
    std::size_t bound_now_ = 0;
    std::size_t binds_total_ = 0;
    std::size_t tls_failures_ = 0;
    std::size_t connections_ = 0;
    std::size_t answered_ok_ = 0;
    std::string last_client_cn_;
    std::function<std::uint32_t(const smsc_submit&)> status_;

    // SMSC thread only.
    std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
    std::vector<std::shared_ptr<connection>> conns_;
    std::set<std::shared_ptr<smpp::tls_stream>> handshakes_;
    std::size_t rr_ = 0;
    std::size_t next_id_ = 0;
    std::uint64_t next_cookie_ = 0;
    std::deque<std::pair<smpp::pdu, std::size_t>> outgoing_;
    std::map<std::uint64_t, smpp::pdu> inflight_pdus_;
    std::set<std::shared_ptr<boost::asio::steady_timer>> timers_;

    io_thread io_;  // last: stops (and joins) before the state above goes away
};

}  // namespace smppgw::integration
