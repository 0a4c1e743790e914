#pragma once
// A carrier SMSC inside the test, on smppgw::smpp::session, for precise fault control: it
// records every submit_sm the daemon sends (with the steady-clock time it arrived), answers each
// as the test's policy says (at once, after a delay, later on demand, with an error, or by
// dropping the connection), sends receipts with its own ids and MOs when asked, and records how
// the daemon answered each of those (what the durability contract is about). It can speak TLS on
// the accept side (smpp::stream wraps the ssl::stream; optional client-certificate check) and
// stop and resume listening on the same port (carrier outages in the drills).
//
// All session work happens on its io_thread; the test thread reads snapshots under a mutex.

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
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
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>

#include "io_thread.hpp"
#include "process.hpp"
#include "smppgw/smpp/message_view.hpp"
#include "smppgw/smpp/receipt.hpp"
#include "smppgw/smpp/segmentation.hpp"
#include "smppgw/smpp/session.hpp"

namespace smppgw::integration {

// One submit_sm as the carrier saw it.
struct carrier_submit {
    steady::time_point at;       // when it arrived
    // Its place among everything the carrier received (submits and deliver_sm_resp, one
    // counter): on one connection this is the order of the daemon's own writes.
    std::uint64_t arrival = 0;
    std::size_t connection = 0;  // which TCP connection (1-based, in accept order)
    std::uint32_t sequence = 0;
    std::string source;
    std::string destination;
    std::uint8_t registered_delivery = 0;
    std::uint8_t esm_class = 0;
    std::uint8_t data_coding = 0;
    std::vector<std::uint8_t> user_data;  // short_message or message_payload, UDH included
    std::string text;                     // decoded, UDH skipped
    std::optional<smpp::udh_concat> concat;
    std::optional<std::uint32_t> answered;  // status sent back, once sent
    std::string carrier_id;                 // the id we gave it, when answered ESME_ROK
};

// What to do with one submit_sm.
struct submit_action {
    enum class kind : std::uint8_t {
        answer,           // respond with `status` after `delay`
        hold,             // keep it unanswered until release_held()
        drop_connection,  // close the TCP connection at once (no unbind, no response)
        ignore,           // never answer (the daemon's response_timeout decides)
    };
    kind what = kind::answer;
    std::uint32_t status = smpp::status::ESME_ROK;
    std::chrono::milliseconds delay{0};
    // With `answer` ESME_ROK: the id is chosen on receipt and the receipt sent at once, so it
    // overtakes the submit_sm_resp that `delay` holds back (carriers do this).
    bool receipt_first = false;
    // An error answer as its 16-octet header alone, as SMPP 3.4 allows and some SMSCs send.
    bool header_only = false;
};

// One deliver_sm we sent (receipt or MO) and how the daemon answered it.
struct carrier_delivery {
    bool receipt = false;
    std::string carrier_id;  // receipts: the id receipted
    std::string text;
    std::optional<std::uint32_t> answered;  // deliver_sm_resp status (the last one)
    std::size_t attempts = 0;
    bool acked = false;  // ESME_ROK seen at least once
    // The first ESME_ROK deliver_sm_resp: when it arrived, its place among everything the
    // carrier received (as carrier_submit::arrival) and on which connection.
    steady::time_point acked_at{};
    std::uint64_t acked_arrival = 0;
    std::size_t acked_connection = 0;
};

class fake_smsc {
public:
    struct options {
        std::uint16_t port = 0;  // 0: any free port (kept by start_listening())
        std::shared_ptr<boost::asio::ssl::context> tls;  // null: plain TCP
        // Carrier ids look like CX3-000001, never like ours; empty: "CX<instance>", so a carrier
        // restarted within a test never reuses an id.
        std::string id_prefix;
        std::string system_id;  // empty: accept any credentials
        std::string password;
        bool auto_receipts = true;  // a receipt for each ESME_ROK'd submit that asks for one
        std::chrono::milliseconds receipt_delay{10};
        std::string receipt_stat = "DELIVRD";
        // How long a deliver_sm waits for the daemon's deliver_sm_resp before it goes out again.
        std::chrono::milliseconds response_timeout{10'000};
    };

    explicit fake_smsc(options o) : opt_(std::move(o)), port_(opt_.port) {
        if (opt_.id_prefix.empty()) {
            static std::atomic<int> instances{0};
            opt_.id_prefix = "CX" + std::to_string(++instances);
        }
        io_.call([this] { open_acceptor(); });
    }
    fake_smsc() : fake_smsc(options{}) {}
    ~fake_smsc() {
        try {
            stop();
        } catch (...) {
        }
        io_.stop();
    }
    fake_smsc(const fake_smsc&) = delete;
    fake_smsc& operator=(const fake_smsc&) = delete;

    [[nodiscard]] std::uint16_t port() const noexcept { return port_; }

    // Decides the fate of each submit_sm from now on (runs on the SMSC thread, under no lock).
    void set_policy(std::function<submit_action(const carrier_submit&)> p) {
        std::lock_guard lock(mutex_);
        policy_ = std::move(p);
    }
    void set_auto_receipts(bool on) {
        std::lock_guard lock(mutex_);
        opt_.auto_receipts = on;
    }

    // Answers every held submit_sm (on connections still open) with `status`.
    void release_held(std::uint32_t status = smpp::status::ESME_ROK) {
        io_.call([this, status] {
            auto held = std::move(held_);
            held_.clear();
            for (auto& h : held) {
                answer(h.conn.lock(), h.index, status);
            }
        });
    }

    // Closes every connection at once (no unbind), as a crashing SMSC or a broken link would;
    // keeps listening.
    void drop_connections() {
        io_.call([this] { drop_all(); });
    }

    // Carrier outage: stops accepting (connects are refused) and drops every connection. Receipts
    // still due go out once the daemon is bound again.
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

    // The carrier goes away for good: as stop_listening(), and nothing still due (delayed
    // answers and receipts) goes out.
    void stop() {
        io_.call([this] {
            close_acceptor();
            drop_all();
            for (auto& t : timers_) {
                t->cancel();
            }
            timers_.clear();
        });
    }

    // Queues an MO for the daemon, sent on a bound RX/TRX connection as soon as there is one and
    // again until the daemon answers it ESME_ROK. Returns its index in deliveries().
    std::size_t send_mo(const std::string& from, const std::string& to, const std::string& text) {
        smpp::deliver_sm d;
        d.source_addr_ton = 1;
        d.source_addr_npi = 1;
        (void)d.source_addr.assign(from);
        d.dest_addr_ton = 1;
        d.dest_addr_npi = 1;
        (void)d.destination_addr.assign(to);
        d.esm_class = 0;
        d.data_coding = 0;
        (void)d.short_message.assign(text);
        smpp::pdu p;
        p.body = d;
        carrier_delivery rec;
        rec.receipt = false;
        rec.text = text;
        const std::size_t index = record_delivery(std::move(rec));
        io_.post(
            [this, p = std::move(p), index]() mutable { queue_delivery(std::move(p), index); });
        return index;
    }

    // Queues a receipt for one of our ids, as the carrier would send it.
    void send_receipt(const std::string& carrier_id, const std::string& stat = "DELIVRD") {
        io_.post([this, carrier_id, stat] { queue_receipt(carrier_id, stat); });
    }

    // Queues any deliver_sm the test built (e.g. one part of a concatenated MO).
    void send_deliver(smpp::pdu p, const std::string& note) {
        carrier_delivery rec;
        rec.receipt = smpp::is_receipt(p);
        rec.text = note;
        const std::size_t index = record_delivery(std::move(rec));
        io_.post(
            [this, p = std::move(p), index]() mutable { queue_delivery(std::move(p), index); });
    }

    // ---- observation (snapshots) -------------------------------------------------------------

    [[nodiscard]] std::vector<carrier_submit> submits() const {
        std::lock_guard lock(mutex_);
        return submits_;
    }
    [[nodiscard]] std::vector<carrier_delivery> deliveries() const {
        std::lock_guard lock(mutex_);
        return deliveries_;
    }
    [[nodiscard]] std::size_t bound_now() const {
        std::lock_guard lock(mutex_);
        return bound_now_;
    }
    [[nodiscard]] std::size_t binds_total() const {
        std::lock_guard lock(mutex_);
        return binds_total_;
    }
    [[nodiscard]] std::size_t held_count() {
        return io_.call([this] { return held_.size(); });
    }
    [[nodiscard]] std::size_t tls_failures() const {
        std::lock_guard lock(mutex_);
        return tls_failures_;
    }
    // Subject CN of the client certificate on the latest TLS connection ("" without one).
    [[nodiscard]] std::string last_client_cn() const {
        std::lock_guard lock(mutex_);
        return last_client_cn_;
    }

    // Waits until `pred(*this)` holds; pred runs under the lock on snapshots' fields.
    template <typename Pred>
    bool wait(Pred pred, std::chrono::milliseconds timeout = default_wait) {
        std::unique_lock lock(mutex_);
        return cv_.wait_for(lock, timeout, [&] { return pred(state_view{*this}); });
    }

    // Read access for wait() predicates (the lock is held).
    struct state_view {
        const fake_smsc& s;
        [[nodiscard]] const std::vector<carrier_submit>& submits() const { return s.submits_; }
        [[nodiscard]] const std::vector<carrier_delivery>& deliveries() const {
            return s.deliveries_;
        }
        [[nodiscard]] std::size_t bound_now() const { return s.bound_now_; }
        [[nodiscard]] std::size_t binds_total() const { return s.binds_total_; }
        [[nodiscard]] std::size_t tls_failures() const { return s.tls_failures_; }
        // Counted as they happen: the drills wait on it with thousands of submits recorded.
        [[nodiscard]] std::size_t answered_ok() const { return s.answered_ok_; }
        // An MO (or any delivery) with this text was answered ESME_ROK.
        [[nodiscard]] bool acked(const std::string& text) const {
            return std::any_of(s.deliveries_.begin(), s.deliveries_.end(), [&](const auto& d) {
                return d.text == text && d.answered && *d.answered == 0;
            });
        }
        [[nodiscard]] std::size_t deliveries_acked() const {
            return static_cast<std::size_t>(
                std::count_if(s.deliveries_.begin(), s.deliveries_.end(),
                              [](const auto& d) { return d.answered && *d.answered == 0; }));
        }
    };

private:
    struct connection;

    class handler final : public smpp::session_handler {
    public:
        handler(fake_smsc& owner, std::shared_ptr<connection> c) : owner_(owner), conn_(c) {}
        void on_request(smpp::session& s, smpp::pdu& request) override {
            owner_.on_request(conn_.lock(), s, request);
        }
        void on_response(smpp::session&, std::uint64_t cookie, const smpp::pdu* response,
                         std::error_code) override {
            owner_.on_delivery_response(conn_.lock(), cookie, response);
        }
        void on_closed(smpp::session&, std::error_code) override { owner_.on_closed(conn_.lock()); }

    private:
        fake_smsc& owner_;
        std::weak_ptr<connection> conn_;
    };

    struct connection {
        std::size_t index = 0;
        std::shared_ptr<smpp::session> session;
        bool bound = false;
        bool receiver = false;
        std::map<std::uint64_t, std::size_t> inflight;  // cookie -> deliveries_ index
    };

    struct held_submit {
        std::weak_ptr<connection> conn;
        std::size_t index = 0;  // into submits_
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
        for (const auto& tls : handshakes_) {
            boost::system::error_code ignored;
            tls->next_layer().close(ignored);
        }
        handshakes_.clear();
    }

    void accept() {
        acceptor_->async_accept(
            [this](boost::system::error_code ec, boost::asio::ip::tcp::socket sock) {
                if (ec) {
                    return;  // closed by stop() or stop_listening()
                }
                sock.set_option(boost::asio::ip::tcp::no_delay(true), ec);
                if (opt_.tls) {
                    start_tls(std::move(sock));
                } else {
                    start_session(smpp::stream(std::move(sock)));
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
                                 const std::string cn = peer_common_name(*tls);
                                 {
                                     std::lock_guard lock(mutex_);
                                     last_client_cn_ = cn;
                                 }
                                 start_session(smpp::stream(std::move(*tls)));
                             });
    }

    static std::string peer_common_name(smpp::tls_stream& tls) {
        X509* cert = SSL_get1_peer_certificate(tls.native_handle());
        if (cert == nullptr) {
            return {};
        }
        char buf[256] = {};
        const int n =
            X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buf, sizeof buf);
        X509_free(cert);
        return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
    }

    void start_session(smpp::stream stream) {
        auto c = std::make_shared<connection>();
        c->index = ++connections_;
        smpp::session_config sc;
        sc.window = 256;
        sc.response_timeout = opt_.response_timeout;
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
                // Like a real SMSC: only a bound transmitter or transceiver may submit.
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
        const smpp::bind_fields* f = nullptr;
        smpp::bind_state state = smpp::bind_state::bound_trx;
        if (const auto* tx = std::get_if<smpp::bind_transmitter>(&request.body)) {
            f = tx;
            state = smpp::bind_state::bound_tx;
        } else if (const auto* rx = std::get_if<smpp::bind_receiver>(&request.body)) {
            f = rx;
            state = smpp::bind_state::bound_rx;
        } else {
            f = &std::get<smpp::bind_transceiver>(request.body);
        }
        if (!opt_.system_id.empty() &&
            (f->system_id.view() != opt_.system_id || f->password.view() != opt_.password)) {
            (void)s.send_response(smpp::make_response(request, smpp::status::ESME_RINVPASWD));
            s.close_after_flush();
            return;
        }
        auto resp = smpp::make_response(request, smpp::status::ESME_ROK);
        std::visit(
            [](auto& b) {
                if constexpr (std::is_base_of_v<smpp::bind_resp_fields,
                                                std::decay_t<decltype(b)>>) {
                    (void)b.system_id.assign("fakesmsc");
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
        pump_deliveries();
    }

    void on_submit(const std::shared_ptr<connection>& c, smpp::session& s, smpp::pdu& request) {
        const auto& sm = std::get<smpp::submit_sm>(request.body);
        carrier_submit rec;
        rec.at = steady::now();
        rec.connection = c->index;
        rec.sequence = request.sequence_number;
        rec.source = std::string(sm.source_addr.view());
        rec.destination = std::string(sm.destination_addr.view());
        rec.registered_delivery = sm.registered_delivery;
        rec.esm_class = sm.esm_class;
        rec.data_coding = sm.data_coding;
        if (const auto mv = smpp::view_message(request)) {
            rec.user_data.assign(mv->content.begin(), mv->content.end());
        }
        rec.text = smpp::message_text(request).text;
        if ((sm.esm_class & smpp::esm::udhi) != 0) {
            const auto udh = smpp::parse_udh(rec.user_data);
            rec.concat = udh.concat;
        }
        std::function<submit_action(const carrier_submit&)> policy;
        std::size_t index = 0;
        {
            std::lock_guard lock(mutex_);
            policy = policy_;
            rec.arrival = ++arrivals_;
            submits_.push_back(rec);
            index = submits_.size() - 1;
        }
        cv_.notify_all();
        requests_[index] = request;
        const submit_action act = policy ? policy(rec) : submit_action{};
        if (act.what == submit_action::kind::answer && act.receipt_first &&
            act.status == smpp::status::ESME_ROK) {
            const auto id = next_carrier_id();
            preassigned_[index] = id;
            queue_receipt(id, opt_.receipt_stat);
        }
        switch (act.what) {
            case submit_action::kind::answer:
                if (act.delay.count() == 0) {
                    answer(c, index, act.status, act.header_only);
                } else {
                    after(act.delay, [this, w = std::weak_ptr<connection>(c), index,
                                      st = act.status, header_only = act.header_only] {
                        answer(w.lock(), index, st, header_only);
                    });
                }
                return;
            case submit_action::kind::hold:
                held_.push_back({c, index});
                return;
            case submit_action::kind::drop_connection:
                s.close();
                return;
            case submit_action::kind::ignore:
                return;
        }
    }

    // Answers submits_[index] on connection `c` (if it is still open).
    void answer(const std::shared_ptr<connection>& c, std::size_t index, std::uint32_t status,
                bool header_only = false) {
        auto it = requests_.find(index);
        if (!c || !c->session || c->session->is_closed() || it == requests_.end()) {
            return;  // the daemon never sees an answer: an unknown outcome on its side
        }
        auto resp = smpp::make_response(it->second, status);
        resp.omit_body = header_only && status != smpp::status::ESME_ROK;
        std::string id;
        bool receipt_sent = false;
        if (status == smpp::status::ESME_ROK) {
            if (auto pre = preassigned_.find(index); pre != preassigned_.end()) {
                id = pre->second;
                receipt_sent = true;
            } else {
                id = next_carrier_id();
            }
            (void)std::get<smpp::submit_sm_resp>(resp.body).message_id.assign(id);
        }
        if (c->session->send_response(resp)) {
            return;
        }
        bool want_receipt = false;
        std::string stat;
        std::chrono::milliseconds delay{};
        {
            std::lock_guard lock(mutex_);
            auto& rec = submits_[index];
            rec.answered = status;
            rec.carrier_id = id;
            if (status == smpp::status::ESME_ROK) {
                ++answered_ok_;
            }
            want_receipt = status == smpp::status::ESME_ROK && opt_.auto_receipts &&
                           !receipt_sent && (rec.registered_delivery & 0x03) != 0;
            stat = opt_.receipt_stat;
            delay = opt_.receipt_delay;
        }
        cv_.notify_all();
        requests_.erase(it);
        if (want_receipt) {
            after(delay, [this, id, stat] { queue_receipt(id, stat); });
        }
    }

    std::string next_carrier_id() {
        char buf[32];
        std::snprintf(buf, sizeof buf, "-%06zu", ++next_id_);
        return opt_.id_prefix + buf;
    }

    void queue_receipt(const std::string& carrier_id, const std::string& stat) {
        // Appendix B text as a typical SMSC writes it, plus the 3.4 TLVs.
        char date[16];
        const std::time_t now = std::time(nullptr);
        std::tm tm{};
        gmtime_r(&now, &tm);
        std::strftime(date, sizeof date, "%y%m%d%H%M", &tm);
        const std::string text =
            "id:" + carrier_id + " sub:001 dlvrd:" + (stat == "DELIVRD" ? "001" : "000") +
            " submit date:" + date + " done date:" + date + " stat:" + stat + " err:000 text:";
        smpp::deliver_sm d;
        d.source_addr_ton = 1;
        d.source_addr_npi = 1;
        d.esm_class = smpp::esm::smsc_delivery_receipt;
        (void)d.short_message.assign(text);
        smpp::pdu p;
        p.body = d;
        p.tlvs.set<smpp::tlv::receipted_message_id>(carrier_id);
        const auto state = smpp::message_state_from_stat(stat);
        p.tlvs.set<smpp::tlv::message_state>(
            static_cast<std::uint8_t>(state ? *state : smpp::message_state::unknown));
        carrier_delivery rec;
        rec.receipt = true;
        rec.carrier_id = carrier_id;
        rec.text = text;
        queue_delivery(std::move(p), record_delivery(std::move(rec)));
    }

    // Any thread; returns the index into deliveries_.
    std::size_t record_delivery(carrier_delivery rec) {
        std::lock_guard lock(mutex_);
        deliveries_.push_back(std::move(rec));
        return deliveries_.size() - 1;
    }

    void queue_delivery(smpp::pdu p, std::size_t index) {
        outgoing_.push_back({std::move(p), index});
        pump_deliveries();
    }

    // Sends queued deliveries round-robin over bound receivers; what cannot go now waits for the
    // next bind or response.
    void pump_deliveries() {
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
            {
                std::lock_guard lock(mutex_);
                ++deliveries_[index].attempts;
            }
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
                auto& d = deliveries_[index];
                d.answered = response->command_status;
                const auto arrival = ++arrivals_;
                if (response->command_status == smpp::status::ESME_ROK && !d.acked) {
                    d.acked = true;
                    d.acked_at = steady::now();
                    d.acked_arrival = arrival;
                    d.acked_connection = c->index;
                }
            }
            cv_.notify_all();
            if (response->command_status != smpp::status::ESME_ROK) {
                // A temporary refusal: a carrier delivers it again a little later.
                after(std::chrono::milliseconds(100), [this, p = std::move(p), index]() mutable {
                    outgoing_.push_back({std::move(p), index});
                    pump_deliveries();
                });
                return;
            }
        } else {
            outgoing_.push_front({std::move(p), index});  // no answer: deliver again
        }
        pump_deliveries();
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
        // Unanswered deliveries on this connection go out again on another one.
        for (auto& [cookie, index] : c->inflight) {
            auto node = inflight_pdus_.extract(cookie);
            if (!node.empty()) {
                outgoing_.push_front({std::move(node.mapped()), index});
            }
        }
        c->inflight.clear();
        std::erase_if(held_, [&](const held_submit& h) {
            auto hc = h.conn.lock();
            return !hc || hc == c;
        });
        std::erase(conns_, c);
        // The session is released once its own handlers have run (we are inside one now).
        boost::asio::post(io_.context(), [c] { c->session.reset(); });
        pump_deliveries();
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
    std::vector<carrier_submit> submits_;
    std::vector<carrier_delivery> deliveries_;
    std::size_t bound_now_ = 0;
    std::size_t binds_total_ = 0;
    std::size_t answered_ok_ = 0;
    std::uint64_t arrivals_ = 0;  // submits and deliver_sm_resp received, in processing order
    std::size_t tls_failures_ = 0;
    std::string last_client_cn_;
    std::function<submit_action(const carrier_submit&)> policy_;

    // SMSC thread only.
    std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
    std::vector<std::shared_ptr<connection>> conns_;
    std::set<std::shared_ptr<smpp::tls_stream>> handshakes_;
    std::size_t connections_ = 0;
    std::size_t rr_ = 0;
    std::size_t next_id_ = 0;
    std::uint64_t next_cookie_ = 0;
    std::map<std::size_t, smpp::pdu> requests_;       // unanswered submits by submits_ index
    std::map<std::size_t, std::string> preassigned_;  // receipt_first ids by submits_ index
    std::vector<held_submit> held_;
    std::deque<std::pair<smpp::pdu, std::size_t>> outgoing_;
    std::map<std::uint64_t, smpp::pdu> inflight_pdus_;
    std::set<std::shared_ptr<boost::asio::steady_timer>> timers_;

    io_thread io_;  // last: stops (and joins) before the state above goes away
};

}  // namespace smppgw::integration
