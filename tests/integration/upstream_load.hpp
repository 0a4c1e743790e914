#pragma once
// Upstream load for the drills: one TRX bind submitting tokened messages at a steady rate with a
// window of outstanding submits, recording every answer (status, our message id, when it was
// sent), collecting receipts, and rebinding whenever the daemon goes away (kill -9) until stop().
//
// Submits that get no answer (the daemon died with them outstanding) are recorded with
// no_reply: the application would resend them, and nothing is promised about them.

#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "test_esme.hpp"

namespace smppgw::integration {

inline constexpr std::uint32_t no_reply = 0xFFFFFFFFU;

struct upstream_submit {
    std::string token;
    std::string destination;
    steady::time_point sent_at;
    std::uint32_t status = no_reply;
    std::string id;  // our message id when ESME_ROK
};

class upstream_load {
public:
    struct options {
        std::uint16_t port = 0;
        std::string tag = "load";
        std::string source = "15550001000";
        double rate = 200;  // submits per second
        unsigned window = 32;
        std::uint8_t registered_delivery = 1;
        unsigned handsets = 4000;  // destinations cycle over 1212555{1000..}
    };

    explicit upstream_load(options o) : opt_(std::move(o)) {}
    ~upstream_load() { stop(); }
    upstream_load(const upstream_load&) = delete;
    upstream_load& operator=(const upstream_load&) = delete;

    void start() {
        thread_ = std::thread([this] { run(); });
    }

    // Stops submitting and waits (bounded) for the answers still owed. The bind stays up for
    // receipts until the object goes away.
    void stop() {
        sending_ = false;
        if (thread_.joinable()) {
            thread_.join();
        }
    }

    [[nodiscard]] std::vector<upstream_submit> submits() const {
        std::lock_guard lock(mutex_);
        return submits_;
    }
    [[nodiscard]] unsigned binds() const noexcept { return binds_; }

    // Receipts received so far, by receipted_message_id (our id), with counts.
    [[nodiscard]] std::map<std::string, unsigned> receipts() {
        std::lock_guard lock(mutex_);
        auto out = old_receipts_;
        if (esme_) {
            for (const auto& [id, n] : receipts_by_id_of(esme_->deliveries())) {
                out[id] += n;
            }
        }
        return out;
    }

    // Waits until every id in `ids` has at least one receipt.
    bool wait_receipts(const std::vector<std::string>& ids, std::chrono::milliseconds timeout) {
        return eventually(
            [&] {
                const auto got = receipts();
                return std::all_of(ids.begin(), ids.end(),
                                   [&](const std::string& id) { return got.contains(id); });
            },
            timeout, 100ms);
    }

    // Replaces the bind (after the daemon restarted and the old session is gone).
    [[nodiscard]] bool bound() {
        std::lock_guard lock(mutex_);
        return esme_ && !esme_->closed();
    }

private:
    static std::map<std::string, unsigned> receipts_by_id_of(const std::vector<smpp::pdu>& ds) {
        std::map<std::string, unsigned> out;
        for (const auto& d : ds) {
            if (smpp::is_receipt(d)) {
                if (auto v = d.tlvs.get<smpp::tlv::receipted_message_id>()) {
                    ++out[std::string(*v)];
                }
            }
        }
        return out;
    }

    // Binds a fresh session, retrying until it works or sending stops. Receipts the old one
    // collected are kept.
    bool rebind() {
        for (;;) {
            auto fresh = std::make_unique<test_esme>(opt_.port);
            const auto r = fresh->bind(smpp::bind_type::transceiver, "demo", demo_password, 2s);
            {
                std::lock_guard lock(mutex_);
                if (esme_) {
                    for (const auto& [id, n] : receipts_by_id_of(esme_->deliveries())) {
                        old_receipts_[id] += n;
                    }
                }
                esme_ = std::move(fresh);
            }
            if (r.status() == smpp::status::ESME_ROK) {
                ++binds_;
                return true;
            }
            if (!sending_) {
                return false;
            }
            std::this_thread::sleep_for(100ms);
        }
    }

    void record(std::size_t index, const esme_reply& r) {
        std::lock_guard lock(mutex_);
        auto& s = submits_[index];
        if (r.pdu) {
            s.status = r.pdu->command_status;
            s.id = r.message_id();
        }
    }

    void run() {
        if (!rebind()) {
            return;
        }
        std::deque<std::pair<std::uint64_t, std::size_t>> inflight;  // cookie, submits_ index
        const auto interval = std::chrono::duration_cast<steady::duration>(
            std::chrono::duration<double>(1.0 / opt_.rate));
        auto next_send = steady::now();
        unsigned n = 0;
        test_esme* esme = nullptr;
        {
            std::lock_guard lock(mutex_);
            esme = esme_.get();
        }
        while (sending_) {
            if (esme->closed()) {
                // The daemon went away: what is outstanding will never be answered.
                for (const auto& [cookie, index] : inflight) {
                    record(index, esme->wait_reply(cookie, 1s));
                }
                inflight.clear();
                if (!rebind()) {
                    break;
                }
                std::lock_guard lock(mutex_);
                esme = esme_.get();
                next_send = steady::now();
                continue;
            }
            const auto now = steady::now();
            while (inflight.size() < opt_.window && now >= next_send) {
                upstream_submit s;
                s.token = fmt::format("#{}-{:05}", opt_.tag, ++n);
                s.destination = fmt::format("1212555{:04}", 1000 + n % opt_.handsets);
                s.sent_at = steady::now();
                const auto text = "Drill " + s.token + " message";
                std::size_t index = 0;
                {
                    std::lock_guard lock(mutex_);
                    submits_.push_back(s);
                    index = submits_.size() - 1;
                }
                inflight.emplace_back(esme->send(make_submit(opt_.source, s.destination, text,
                                                             opt_.registered_delivery)),
                                      index);
                next_send += interval;
            }
            if (now > next_send + 1s) {
                next_send = now;  // the window held us back: do not burst to catch up
            }
            if (inflight.empty()) {
                std::this_thread::sleep_for(2ms);
                continue;
            }
            const auto r = esme->wait_reply(inflight.front().first, 2ms);
            if (r.ec == std::errc::timed_out && !r.pdu) {
                continue;  // not yet
            }
            record(inflight.front().second, r);
            inflight.pop_front();
        }
        // Answers still owed, each bounded.
        for (const auto& [cookie, index] : inflight) {
            record(index, esme->wait_reply(cookie, 10s));
        }
    }

    options opt_;
    std::atomic<bool> sending_{true};
    std::atomic<unsigned> binds_{0};
    mutable std::mutex mutex_;
    std::vector<upstream_submit> submits_;
    std::map<std::string, unsigned> old_receipts_;
    std::unique_ptr<test_esme> esme_;
    std::thread thread_;
};

}  // namespace smppgw::integration
