// The STOP promise under load (issue 14 item 1; COMPLIANCE.md "A STOP is effective for every
// later send"): once smppgw has sent the deliver_sm_resp of a STOP for (brand, number), no
// message for that pair is forwarded to a carrier or acknowledged ESME_ROK.
//
// Thousands of submits per second go to the few numbers the carrier is about to send a STOP
// for, so that at every STOP some submits to its number are between their policy check and
// their ESME_ROK, or queued for the carrier. Both faces are observed where the order is exact:
//   * the carrier has one TRX session, so the STOP's deliver_sm_resp and every submit_sm come
//     on one TCP stream, in the order the daemon wrote them;
//   * the application has one TRX bind, so the STOP forwarded to it (written once the STOP is
//     durable, like the deliver_sm_resp) and every submit_sm_resp come on one stream too.
// The times of the deliver_sm_resp at the carrier and of each ESME_ROK upstream are printed as
// well: two streams read by two threads of this process, so their order is only as good as the
// test's own scheduling, which is why the assertions use the streams.

#include <atomic>
#include <deque>
#include <future>

#include "scenario.hpp"

using namespace smppgw::integration;
namespace smpp = smppgw::smpp;

namespace {

// The k-th number the carrier sends a STOP for.
std::string stop_target(unsigned k) {
    return fmt::format("1212555{:04}", 3000 + k);
}

struct race_submit {
    std::string token;
    std::string destination;
    std::uint64_t cookie = 0;
    esme_reply reply;
};

std::string deliver_source(const smpp::pdu& p) {
    const auto* d = std::get_if<smpp::deliver_sm>(&p.body);
    return d != nullptr ? std::string(d->source_addr.view()) : std::string();
}

double ms(steady::duration d) {
    return std::chrono::duration<double, std::milli>(d).count();
}

}  // namespace

TEST_CASE("STOP under load: nothing for the number is forwarded or acknowledged after it",
          "[integration][mo][optout][load]") {
    fake_smsc::options so;
    so.auto_receipts = false;
    fake_smsc carrier(so);
    // A carrier that takes a few milliseconds per submit: with the daemon's window of 16 some
    // accepted messages wait in its queue, the second place the promise must hold.
    carrier.set_policy([](const carrier_submit&) {
        return submit_action{.delay = std::chrono::milliseconds(5)};
    });
    auto spec = one_carrier_spec(carrier);
    spec.carriers[0].sessions = 1;
    spec.carriers[0].window = 16;
    gateway_process gw(spec);
    gw.start();
    REQUIRE(gw.wait_ready());
    test_esme esme(gw.smpp_port());
    bind_ok(esme, smpp::bind_type::transceiver);

    constexpr auto run_for = std::chrono::seconds(8);
    constexpr auto stop_every = std::chrono::milliseconds(20);  // 50 STOPs per second
    constexpr double rate = 2000;                               // submits per second
    constexpr unsigned window = 64;
    // Submits go to the next `hot` numbers to get a STOP and to the last two that got one.
    constexpr unsigned hot = 8;
    constexpr unsigned behind = 2;

    std::atomic<unsigned> stops_sent{0};
    std::atomic<bool> running{true};
    std::vector<std::size_t> stop_index;  // carrier delivery index of STOP k
    auto stopper = std::async(std::launch::async, [&] {
        auto next = steady::now() + stop_every;
        while (running) {
            std::this_thread::sleep_until(next);
            next += stop_every;
            const unsigned k = stops_sent.load();
            stop_index.push_back(carrier.send_mo(stop_target(k), account_number, "STOP"));
            stops_sent = k + 1;
        }
    });

    std::vector<race_submit> sent;
    const auto started = steady::now();
    {
        const auto interval = std::chrono::duration_cast<steady::duration>(
            std::chrono::duration<double>(1.0 / rate));
        std::deque<std::size_t> inflight;  // indexes into `sent`
        auto next_send = started;
        unsigned n = 0;
        while (steady::now() < started + run_for) {
            const auto now = steady::now();
            while (inflight.size() < window && now >= next_send) {
                const unsigned frontier = stops_sent.load();
                const unsigned first = frontier >= behind ? frontier - behind : 0;
                race_submit s;
                s.token = fmt::format("#sr-{:06}", ++n);
                s.destination = stop_target(first + n % (hot + behind));
                s.cookie = esme.send(
                    make_submit(account_number, s.destination, "Deals " + s.token + " today", 0));
                sent.push_back(std::move(s));
                inflight.push_back(sent.size() - 1);
                next_send += interval;
            }
            if (now > next_send + 1s) {
                next_send = now;  // held back by the window: no burst to catch up
            }
            if (inflight.empty()) {
                std::this_thread::sleep_for(1ms);
                continue;
            }
            auto r = esme.wait_reply(sent[inflight.front()].cookie, 2ms);
            if (!r.pdu && r.ec == std::errc::timed_out) {
                continue;
            }
            sent[inflight.front()].reply = std::move(r);
            inflight.pop_front();
        }
        running = false;
        for (const auto i : inflight) {
            sent[i].reply = esme.wait_reply(sent[i].cookie, 10s);
        }
    }
    stopper.get();
    const unsigned stops = stops_sent.load();

    // Everything settles: every STOP acknowledged and forwarded, nothing left for the carrier.
    REQUIRE(carrier.wait(
        [&](auto v) {
            return std::all_of(stop_index.begin(), stop_index.end(),
                               [&](std::size_t i) { return v.deliveries()[i].acked; });
        },
        30s));
    REQUIRE(esme.wait_delivery(
        [&, want = stop_target(stops - 1)](const smpp::pdu& d) {
            return !smpp::is_receipt(d) && deliver_source(d) == want;
        },
        30s));
    REQUIRE(eventually(
        [&] { return gw.metric("smppgw_queue_depth", {{"queue", "awaiting_carrier"}}) == 0; },
        30s, 100ms));
    REQUIRE(eventually([&] { return carrier.held_count() == 0; }));
    std::this_thread::sleep_for(200ms);  // the carrier's answers still on their timers

    const auto deliveries = carrier.deliveries();
    const auto submits = carrier.submits();
    const auto upstream = esme.deliveries();
    const auto upstream_arrivals = esme.delivery_arrivals();

    // Per STOP: the deliver_sm_resp at the carrier, and the STOP forwarded to the application.
    struct stop_seen {
        std::uint64_t resp_arrival = 0;
        std::size_t resp_connection = 0;
        steady::time_point resp_at{};
        std::uint64_t forwarded_arrival = 0;
    };
    std::map<std::string, stop_seen> by_number;
    for (unsigned k = 0; k < stops; ++k) {
        const auto& d = deliveries[stop_index[k]];
        by_number[stop_target(k)] = {d.acked_arrival, d.acked_connection, d.acked_at, 0};
    }
    for (std::size_t i = 0; i < upstream.size(); ++i) {
        if (smpp::is_receipt(upstream[i]) || text_of(upstream[i]) != "STOP") {
            continue;
        }
        if (auto it = by_number.find(deliver_source(upstream[i])); it != by_number.end()) {
            auto& f = it->second.forwarded_arrival;
            f = f == 0 ? upstream_arrivals[i] : std::min(f, upstream_arrivals[i]);
        }
    }
    REQUIRE(std::all_of(by_number.begin(), by_number.end(),
                        [](const auto& e) { return e.second.forwarded_arrival != 0; }));

    // Carrier face: no submit_sm of ours for a number after its STOP's deliver_sm_resp on the
    // same stream (the daemon's own confirmation carries no token and is exempt).
    std::size_t forwarded_after = 0;
    std::size_t to_stopped_numbers = 0;
    std::string first_forwarded_after;
    for (const auto& s : submits) {
        const auto it = by_number.find(s.destination);
        if (it == by_number.end() || token_in(s.text).empty()) {
            continue;
        }
        ++to_stopped_numbers;
        REQUIRE(s.connection == it->second.resp_connection);  // one session: one stream
        if (s.arrival > it->second.resp_arrival) {
            if (forwarded_after++ == 0) {
                first_forwarded_after = fmt::format(
                    "{} to {} arrived {:.3f} ms after the STOP's deliver_sm_resp", token_in(s.text),
                    s.destination, ms(s.at - it->second.resp_at));
            }
        }
    }

    // Application face: no ESME_ROK for a number after its STOP reached the application on the
    // same stream. Also, from the two threads' clocks: ESME_ROK after the carrier got the
    // deliver_sm_resp (printed, see the header comment).
    std::size_t ok = 0;
    std::size_t refused_opted_out = 0;
    std::size_t acked_after = 0;
    std::size_t acked_after_by_clock = 0;
    std::size_t near_the_stop = 0;  // ESME_ROK within 20 ms before the deliver_sm_resp
    double worst_by_clock_ms = 0;
    double closest_before_ms = 1e9;
    std::string first_acked_after;
    std::set<std::string> ok_tokens_to_stopped;
    for (const auto& s : sent) {
        if (!s.reply.pdu) {
            FAIL(s.token << " to " << s.destination << ": no answer, " << s.reply.ec.message());
        }
        const auto status = s.reply.pdu->command_status;
        if (status == 0x410) {
            ++refused_opted_out;
            continue;
        }
        if (status != smpp::status::ESME_ROK) {
            continue;
        }
        ++ok;
        const auto it = by_number.find(s.destination);
        if (it == by_number.end()) {
            continue;
        }
        ok_tokens_to_stopped.insert(s.token);
        const auto& seen = it->second;
        if (s.reply.arrival > seen.forwarded_arrival) {
            if (acked_after++ == 0) {
                first_acked_after = fmt::format(
                    "{} to {} got ESME_ROK {:.3f} ms after the carrier got the STOP's "
                    "deliver_sm_resp",
                    s.token, s.destination, ms(s.reply.at - seen.resp_at));
            }
        }
        const double gap = ms(s.reply.at - seen.resp_at);
        if (gap > 0) {
            ++acked_after_by_clock;
            worst_by_clock_ms = std::max(worst_by_clock_ms, gap);
        } else {
            closest_before_ms = std::min(closest_before_ms, -gap);
            near_the_stop += gap > -20.0 ? 1 : 0;
        }
    }
    std::size_t stopped_at_the_gate = 0;  // acknowledged before the STOP, never sent after it
    {
        std::set<std::string> at_carrier;
        for (const auto& s : submits) {
            at_carrier.insert(token_in(s.text));
        }
        for (const auto& t : ok_tokens_to_stopped) {
            stopped_at_the_gate += at_carrier.contains(t) ? 0 : 1;
        }
    }

    const double seconds = std::chrono::duration<double>(run_for).count();
    std::printf(
        "STOP race: %zu submits in %.0f s (%.0f/s), %u STOPs (%.0f/s); %zu ESME_ROK, %zu refused "
        "0x410; %zu ESME_ROK for STOPped numbers, %zu of them within 20 ms before the STOP's "
        "deliver_sm_resp (closest %.3f ms before); %zu accepted before a STOP and stopped at the "
        "carrier gate; carrier got %zu of ours for STOPped numbers. After the STOP: %zu forwarded "
        "to the carrier, %zu ESME_ROK after the forwarded STOP on the application's stream, %zu "
        "ESME_ROK timestamped after the carrier's deliver_sm_resp by this process's clocks "
        "(worst %.3f ms)\n",
        sent.size(), seconds, static_cast<double>(sent.size()) / seconds, stops,
        static_cast<double>(stops) / seconds, ok, refused_opted_out, ok_tokens_to_stopped.size(),
        near_the_stop, closest_before_ms, stopped_at_the_gate, to_stopped_numbers,
        forwarded_after, acked_after, acked_after_by_clock, worst_by_clock_ms);

    // The load did what it is for: many acknowledged, many refused by STOPs, and acknowledged
    // submits to numbers right before their STOP.
    CHECK(ok > 2000);
    CHECK(refused_opted_out > 200);
    CHECK(stops > 200);
    CHECK(near_the_stop > 50);
    // The promise.
    INFO(first_forwarded_after);
    CHECK(forwarded_after == 0);
    INFO(first_acked_after);
    CHECK(acked_after == 0);
}
