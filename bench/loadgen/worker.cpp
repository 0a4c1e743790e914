#include "loadgen/worker.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <boost/asio/post.hpp>

#include "common/status_label.hpp"
#include "loadgen/client.hpp"
#include "smppgw/smpp/receipt.hpp"

namespace smppgw::bench::loadgen {

namespace asio = boost::asio;
namespace status = smpp::status;

namespace {

constexpr std::int64_t ns_per_second = 1'000'000'000;
constexpr auto housekeeping_period = std::chrono::milliseconds(250);

void max_into(std::atomic<std::int64_t>& a, std::int64_t v) noexcept {
    // Only this worker's thread writes its own counters, so a plain compare is race-free.
    if (v > a.load(std::memory_order_relaxed)) {
        a.store(v, std::memory_order_relaxed);
    }
}

}  // namespace

worker::worker(shared_state& shared, std::size_t index, asio::io_context& io,
               std::vector<client_spec> clients, std::uint64_t budget, double rate)
    : shared_(shared),
      index_(index),
      io_(io),
      rng_(shared.config.seed * 0x9E3779B97F4A7C15ULL + index + 1),
      budget_(budget),
      limited_(shared.config.count > 0),
      // Tokens are unique across workers: worker i hands out i, i + n, i + 2n, ...
      next_token_(index + 1),
      rate_(rate),
      token_timer_(io),
      housekeeping_timer_(io) {
    for (const auto& spec : clients) {
        clients_.push_back(std::make_shared<client>(*this, spec.id, spec.type));
    }
    scratch_.body = smpp::submit_sm{};
    if (limited_ && budget_ == 0) {
        counters_.budget_spent.store(true, std::memory_order_relaxed);  // --count below threads
    }
    // A 10 ms burst keeps the bucket full enough between timer wake-ups (~1 ms apart).
    burst_ = std::max(1.0, rate_ / 100.0);
    if (!shared.config.record_path.empty()) {
        record_buffer_.reserve(1 << 20);
    }
}

worker::~worker() = default;

std::int64_t worker::in_flight() const noexcept {
    return static_cast<std::int64_t>(counters_.submits.load(std::memory_order_relaxed)) -
           static_cast<std::int64_t>(counters_.responses.load(std::memory_order_relaxed));
}

void worker::start() {
    for (auto& c : clients_) {
        c->start();
    }
}

void worker::begin_sending() {
    origin_ns_ = shared_.send_origin_ns.load(std::memory_order_relaxed);
    bucket_.clear(0);
    measuring_ = true;
    arm_housekeeping();
    sending_ = true;
    refilled_ns_ = now_ns();
    tokens_ = std::min(1.0, burst_);
    for (auto& c : clients_) {
        (void)c->fill();
    }
}

void worker::stop_sending() {
    // Clients still waiting for tokens keep their turn: they may be in the middle of a long
    // message; claim_message refuses anything new from now on.
    sending_ = false;
}

void worker::unbind_all() {
    stopping_ = true;
    sending_ = false;
    token_timer_.cancel();
    for (auto& c : clients_) {
        c->unbind();
    }
}

void worker::finish() {
    housekeeping_timer_.cancel();
    if (measuring_) {
        shared_.seconds.contribute(index_, bucket_);
    }
    flush_record(true);
}

// ---- sending

bool worker::claim_message(planned_message& m) {
    if (!sending_) {
        return false;
    }
    if (limited_ && budget_ == 0) {
        return false;
    }
    shared_.factory.plan(rng_, next_token_, m);
    next_token_ += shared_.workers;
    if (limited_) {
        const std::uint64_t parts = m.body->parts.size();
        budget_ = parts >= budget_ ? 0 : budget_ - parts;
        if (budget_ == 0) {
            counters_.budget_spent.store(true, std::memory_order_relaxed);
        }
    }
    counters_.messages.fetch_add(1, std::memory_order_relaxed);
    if (m.promotional) {
        ++results_.promo_sent;
    }
    return true;
}

bool worker::take_token() {
    if (rate_ <= 0) {
        return true;
    }
    // While clients wait for tokens, the timer hands them out in turn; a client refilling after
    // a response must queue behind them, or the first client would take every token.
    if (!starved_.empty() && !in_token_timer_) {
        return false;
    }
    if (tokens_ < 1.0) {
        const std::int64_t now = now_ns();
        tokens_ = std::min(burst_, tokens_ + static_cast<double>(now - refilled_ns_) * rate_ / 1e9);
        refilled_ns_ = now;
    }
    if (tokens_ >= 1.0) {
        tokens_ -= 1.0;
        return true;
    }
    return false;
}

void worker::starve(client& c) {
    if (!c.starving) {
        c.starving = true;
        starved_.push_back(&c);
    }
    arm_token_timer();
}

void worker::arm_token_timer() {
    if (token_timer_armed_ || stopping_) {
        return;
    }
    token_timer_armed_ = true;
    const double wait_s = std::max(0.001, (1.0 - tokens_) / rate_);
    token_timer_.expires_after(std::chrono::nanoseconds(static_cast<std::int64_t>(wait_s * 1e9)));
    token_timer_.async_wait([this](boost::system::error_code ec) {
        token_timer_armed_ = false;
        if (!ec) {
            on_token_timer();
        }
    });
}

void worker::on_token_timer() {
    if (starved_.empty()) {
        return;
    }
    std::vector<client*> queue;  // longest waiting first
    queue.swap(starved_);
    for (auto* c : queue) {
        c->starving = false;
    }
    // Round-robin, one submit per client per pass. The client that finds the bucket empty and
    // those not yet served this pass go first next time, then those that were served.
    in_token_timer_ = true;
    std::vector<client*> served;
    while (!queue.empty()) {
        served.clear();
        bool out_of_tokens = false;
        for (std::size_t k = 0; k < queue.size(); ++k) {
            const auto r = queue[k]->fill(1, false);
            if (r == client::fill_result::sent_all) {
                served.push_back(queue[k]);
            } else if (r == client::fill_result::no_tokens) {
                for (std::size_t j = k; j < queue.size(); ++j) {
                    starve(*queue[j]);
                }
                for (auto* c : served) {
                    starve(*c);
                }
                out_of_tokens = true;
                break;
            }
            // blocked (window full, no budget, closed): it comes back by itself on a response.
        }
        if (out_of_tokens) {
            break;
        }
        queue.swap(served);
    }
    in_token_timer_ = false;
    if (!starved_.empty()) {
        arm_token_timer();
    }
}

void worker::on_submitted(const planned_message& m, std::size_t part, std::int64_t sent_ns) {
    const auto n = counters_.submits.fetch_add(1, std::memory_order_relaxed);
    if (n == 0) {
        counters_.first_submit_ns.store(sent_ns, std::memory_order_relaxed);
    }
    if (m.opted_out && part == 0) {
        ++results_.optout_sent;
    }
    roll(sent_ns);
    ++bucket_.submits;
}

// ---- outcomes

void worker::on_submit_outcome(std::int64_t sent_ns, std::uint64_t token,
                               std::string_view destination, bool receipt, bool opted_out,
                               const smpp::pdu* response, std::error_code ec) {
    const std::int64_t now = now_ns();
    roll(now);
    counters_.responses.fetch_add(1, std::memory_order_relaxed);
    max_into(counters_.last_response_ns, now);
    ++bucket_.responses;

    std::string_view message_id;
    std::uint32_t result = status::ESME_ROK;
    if (response == nullptr) {
        // No response at all: timeout, lost connection, malformed response.
        ++results_.failures[ec ? ec.message() : std::string("no response")];
        counters_.errors.fetch_add(1, std::memory_order_relaxed);
        ++bucket_.errors;
        if (opted_out) {
            ++results_.optout_rejected;
        }
    } else {
        result = response->command_status;
        ++results_.responses_by_status[result];
        const auto latency = static_cast<std::uint64_t>(std::max<std::int64_t>(0, now - sent_ns));
        results_.response_latency.record(latency);
        bucket_.response_latency.record(latency);
        if (const auto* r = std::get_if<smpp::submit_sm_resp>(&response->body)) {
            message_id = r->message_id.view();
        }
        if (result != status::ESME_ROK) {
            counters_.errors.fetch_add(1, std::memory_order_relaxed);
            ++bucket_.errors;
        }
        if (opted_out && result != status::ESME_ROK) {
            ++results_.optout_rejected;
        }
        if (result == status::ESME_ROK && receipt && !message_id.empty()) {
            counters_.receipts_expected.fetch_add(1, std::memory_order_relaxed);
            if (auto arrived = shared_.tracker.expect(message_id_key(message_id), sent_ns)) {
                // The receipt overtook this response (another connection or thread).
                const auto l =
                    static_cast<std::uint64_t>(std::max<std::int64_t>(0, *arrived - sent_ns));
                results_.receipt_latency.record(l);
                bucket_.receipt_latency.record(l);
                counters_.receipts_matched.fetch_add(1, std::memory_order_relaxed);
            }
        }
    }
    if (shared_.record != nullptr) {
        record_buffer_ += response != nullptr ? status_label(result) : std::string("NO_RESPONSE");
        record_buffer_ += '\t';
        record_buffer_ += message_id.empty() ? std::string_view("-") : message_id;
        record_buffer_ += '\t';
        record_buffer_ += destination;
        record_buffer_ += '\t';
        record_buffer_ += message_factory::token_text(token);
        record_buffer_ += '\n';
        flush_record(false);
    }
}

void worker::on_deliver(const smpp::pdu& request) {
    std::uint8_t esm_class = 0;
    std::span<const std::uint8_t> text;
    if (const auto* d = std::get_if<smpp::deliver_sm>(&request.body)) {
        esm_class = d->esm_class;
        text = d->short_message.bytes();
    } else if (const auto* ds = std::get_if<smpp::data_sm>(&request.body)) {
        esm_class = ds->esm_class;
    }
    if (!smpp::esm_class_marks_receipt(esm_class)) {
        counters_.mo.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    const std::int64_t now = now_ns();
    roll(now);
    counters_.receipts.fetch_add(1, std::memory_order_relaxed);
    max_into(counters_.last_receipt_ns, now);
    ++bucket_.receipts;

    // Fast path: the TLVs say everything. Otherwise parse the text (allocates; rare).
    std::string_view id;
    std::optional<smpp::message_state> state;
    if (auto tlv = request.tlvs.get<smpp::tlv::receipted_message_id>()) {
        id = *tlv;
    }
    if (auto st = request.tlvs.get<smpp::tlv::message_state>()) {
        state = smpp::to_message_state(*st);
    }
    std::optional<smpp::receipt> parsed;
    if (id.empty() || !state) {
        if (text.empty()) {
            if (auto payload = request.tlvs.get<smpp::tlv::message_payload>()) {
                text = *payload;
            }
        }
        smpp::receipt_tlvs tlvs;
        if (auto tlv = request.tlvs.get<smpp::tlv::receipted_message_id>()) {
            tlvs.receipted_message_id = *tlv;
        }
        if (auto st = request.tlvs.get<smpp::tlv::message_state>()) {
            tlvs.message_state = *st;
        }
        parsed = smpp::parse_receipt(
            std::string_view(reinterpret_cast<const char*>(text.data()), text.size()), tlvs);
        if (parsed) {
            id = parsed->id;
            state = parsed->state;
        }
    }
    results_.receipts_by_state[state ? static_cast<std::size_t>(*state) : 10] += 1;
    if (id.empty()) {
        return;
    }
    if (state && !smpp::is_final(*state)) {
        // ENROUTE/ACCEPTD: the final receipt is still to come and is the one we time.
        ++results_.receipts_intermediate;
        return;
    }
    if (auto sent = shared_.tracker.arrive(message_id_key(id), now)) {
        const auto l = static_cast<std::uint64_t>(std::max<std::int64_t>(0, now - *sent));
        results_.receipt_latency.record(l);
        bucket_.receipt_latency.record(l);
        counters_.receipts_matched.fetch_add(1, std::memory_order_relaxed);
    }
}

void worker::on_bound(bool now_bound) {
    if (now_bound) {
        counters_.bound.fetch_add(1, std::memory_order_relaxed);
    } else {
        counters_.bound.fetch_sub(1, std::memory_order_relaxed);
    }
}

void worker::on_connection(bool opened) {
    if (opened) {
        open_.fetch_add(1, std::memory_order_relaxed);
    } else {
        open_.fetch_sub(1, std::memory_order_relaxed);
    }
}

void worker::fail(std::string message) {
    {
        const std::lock_guard lock(shared_.fatal_mutex);
        if (shared_.fatal_message.empty()) {
            shared_.fatal_message = std::move(message);
        }
    }
    shared_.fatal.store(true, std::memory_order_relaxed);
}

// ---- housekeeping

void worker::roll(std::int64_t now) {
    if (!measuring_) {
        return;  // the timeline starts with the send phase
    }
    const std::int64_t second = std::max<std::int64_t>(0, now - origin_ns_) / ns_per_second;
    if (second == bucket_.second) {
        return;
    }
    shared_.seconds.contribute(index_, bucket_);
    bucket_.clear(second);
    shared_.seconds.advance(index_, second);
}

void worker::arm_housekeeping() {
    housekeeping_timer_.expires_after(housekeeping_period);
    housekeeping_timer_.async_wait([this](boost::system::error_code ec) {
        if (ec) {
            return;
        }
        roll(now_ns());
        flush_record(true);
        arm_housekeeping();
    });
}

void worker::flush_record(bool force) {
    if (shared_.record == nullptr || record_buffer_.empty()) {
        return;
    }
    if (!force && record_buffer_.size() < (1U << 20)) {
        return;
    }
    const std::lock_guard lock(shared_.record_mutex);
    std::fwrite(record_buffer_.data(), 1, record_buffer_.size(), shared_.record);
    record_buffer_.clear();
}

}  // namespace smppgw::bench::loadgen
