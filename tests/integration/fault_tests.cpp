// Faults on either face of the real daemon: an upstream that exceeds its window, a carrier that
// throttles, goes down, drops its connection mid-window, and the daemon itself killed with -9
// mid-traffic. The common assertion: every submit that got ESME_ROK reaches a carrier at least
// once (duplicates are counted, not forbidden: at-least-once).

#include <atomic>
#include <deque>

#include "scenario.hpp"

using namespace smppgw::integration;
namespace smpp = smppgw::smpp;

namespace {

std::set<std::string> accepted_tokens(const std::vector<submitted>& sent) {
    std::set<std::string> out;
    for (const auto& s : sent) {
        if (s.reply.status() == smpp::status::ESME_ROK) {
            out.insert(token_in(s.text));
        }
    }
    return out;
}

std::set<std::string> accepted_ids(const std::vector<submitted>& sent) {
    std::set<std::string> out;
    for (const auto& s : sent) {
        if (s.reply.status() == smpp::status::ESME_ROK) {
            out.insert(s.reply.message_id());
        }
    }
    return out;
}

// Every token in `want` was answered ESME_ROK by one of the carriers.
bool all_reached(const std::set<std::string>& want, const std::vector<const fake_smsc*>& carriers) {
    std::set<std::string> got;
    for (const auto* c : carriers) {
        for (const auto& [t, n] : carrier_accepted_tokens(c->submits())) {
            got.insert(t);
        }
    }
    return std::includes(got.begin(), got.end(), want.begin(), want.end());
}

std::set<std::string> keys(const std::map<std::string, unsigned>& m) {
    std::set<std::string> out;
    for (const auto& [k, v] : m) {
        out.insert(k);
    }
    return out;
}

}  // namespace

TEST_CASE("submits beyond the account's window are throttled", "[integration][throttle]") {
    fake_smsc carrier;
    auto spec = one_carrier_spec(carrier);
    spec.accounts[0].max_outstanding = 2;
    gateway_process gw(spec);
    gw.start();
    REQUIRE(gw.wait_ready());
    test_esme esme(gw.smpp_port());
    bind_ok(esme, smpp::bind_type::transceiver);

    // One burst, read by the daemon in one go: far more than 2 are outstanding at once.
    constexpr unsigned n = 40;
    const auto texts = tokened_texts("thr", n);
    std::vector<smpp::pdu> burst;
    for (unsigned i = 0; i < n; ++i) {
        burst.push_back(make_submit(account_number, handset(i), texts[i], 0));
    }
    const auto cookies = esme.send_burst(std::move(burst));
    unsigned ok = 0;
    unsigned throttled = 0;
    std::set<std::string> ok_tokens;
    std::set<std::string> throttled_tokens;
    for (unsigned i = 0; i < n; ++i) {
        const auto r = esme.wait_reply(cookies[i]);
        REQUIRE(r.pdu);
        if (r.pdu->command_status == smpp::status::ESME_ROK) {
            ++ok;
            ok_tokens.insert(token_in(texts[i]));
        } else {
            CHECK(r.pdu->command_status == smpp::status::ESME_RTHROTTLED);
            ++throttled;
            throttled_tokens.insert(token_in(texts[i]));
        }
    }
    INFO("accepted " << ok << ", throttled " << throttled);
    CHECK(ok >= 1);
    CHECK(throttled >= 1);
    CHECK(ok + throttled == n);

    // What was accepted reaches the carrier; what was throttled never does.
    REQUIRE(carrier.wait([&](auto v) { return v.answered_ok() >= ok; }));
    const auto at_carrier = keys(carrier_accepted_tokens(carrier.submits()));
    CHECK(at_carrier == ok_tokens);
    CHECK(gw.wait_metric_at_least("smppgw_messages_total",
                                  {{"account", "demo"}, {"outcome", "throttled"}}, throttled));
    CHECK(gw.metric("smppgw_messages_total", {{"account", "demo"}, {"outcome", "throttled"}}) ==
          throttled);

    // Within the window again, submits are accepted.
    const auto later = esme.call(make_submit(account_number, handset(99), "after the burst"));
    REQUIRE(later.pdu);
    CHECK(later.pdu->command_status == smpp::status::ESME_ROK);
}

TEST_CASE("a carrier that throttles beyond its window gets the work again, nothing lost",
          "[integration][throttle]") {
    // The carrier allows 2 outstanding submits, answers them after 30 ms, and refuses anything
    // beyond with ESME_RTHROTTLED.
    fake_smsc carrier;
    auto due = std::make_shared<std::deque<steady::time_point>>();  // SMSC thread only
    carrier.set_policy([due](const carrier_submit&) {
        const auto now = steady::now();
        while (!due->empty() && due->front() <= now) {
            due->pop_front();
        }
        if (due->size() >= 2) {
            return submit_action{submit_action::kind::answer, smpp::status::ESME_RTHROTTLED, 0ms};
        }
        due->push_back(now + 30ms);
        return submit_action{submit_action::kind::answer, smpp::status::ESME_ROK, 30ms};
    });
    auto spec = one_carrier_spec(carrier);
    // Three times what the carrier allows. Wider windows only make the daemon's backoff after a
    // burst of refusals longer (it doubles per refused submit), not the test stronger.
    spec.carriers[0].window = 6;
    gateway_process gw(spec);
    gw.start();
    REQUIRE(gw.wait_ready());
    test_esme esme(gw.smpp_port());
    bind_ok(esme, smpp::bind_type::transceiver);

    constexpr unsigned n = 30;
    const auto sent = submit_all(esme, tokened_texts("cthr", n));
    const auto want = accepted_tokens(sent);
    REQUIRE(want.size() == n);
    REQUIRE(carrier.wait([&](auto v) { return v.answered_ok() >= n; }, 60s));
    CHECK(all_reached(want, {&carrier}));

    std::size_t refused = 0;
    for (const auto& s : carrier.submits()) {
        refused += s.answered && *s.answered == smpp::status::ESME_RTHROTTLED ? 1 : 0;
    }
    INFO("carrier answered ESME_RTHROTTLED " << refused << " times");
    CHECK(refused >= 1);
    CHECK(gw.wait_metric_at_least("smppgw_carrier_throttled_total", {{"carrier", "sim"}},
                                  static_cast<double>(refused), 5s));
    CHECK(
        gw.metric("smppgw_carrier_submits_total", {{"carrier", "sim"}, {"outcome", "throttled"}}) ==
        static_cast<double>(refused));
    // Throttling is not a connection problem: the one bind stays up.
    CHECK(carrier.binds_total() == 1);
    // The first connect is not a reconnect: the counter exists and stays at zero.
    CHECK(gw.metric("smppgw_carrier_reconnects_total", {{"carrier", "sim"}}) == 0);

    // Every accepted message gets its receipt under our id.
    REQUIRE(esme.wait_deliveries(n, 60s));
    CHECK(keys(receipts_by_id(esme.deliveries())) == accepted_ids(sent));
}

TEST_CASE("carrier down: new traffic fails over to the next carrier of the route",
          "[integration][failover]") {
    fake_smsc primary;
    fake_smsc backup;
    gateway_spec spec;
    spec.accounts[0].mo_numbers = {account_number};
    carrier_spec a;
    a.name = "a";
    a.port = primary.port();
    carrier_spec b;
    b.name = "b";
    b.port = backup.port();
    spec.carriers = {a, b};
    gateway_process gw(spec);
    gw.start();
    REQUIRE(gw.wait_ready());
    REQUIRE(primary.wait([](auto v) { return v.bound_now() == 1; }));
    REQUIRE(backup.wait([](auto v) { return v.bound_now() == 1; }));
    test_esme esme(gw.smpp_port());
    bind_ok(esme, smpp::bind_type::transceiver);

    // Both up: the route's first carrier takes everything.
    const auto first = submit_all(esme, tokened_texts("fo1", 5));
    REQUIRE(accepted_tokens(first).size() == 5);
    REQUIRE(primary.wait([](auto v) { return v.answered_ok() == 5; }));
    CHECK(backup.submits().empty());
    // Its receipts are in before it goes: this test is about new traffic.
    REQUIRE(primary.wait([](auto v) { return v.deliveries_acked() == 5; }));

    // The primary goes away (connections dropped, connects refused).
    primary.stop();
    CHECK(eventually([&] { return gw.metric("smppgw_carrier_binds", {{"carrier", "a"}}) == 0; }));

    const auto second = submit_all(esme, tokened_texts("fo2", 5), 10);
    const auto want = accepted_tokens(second);
    REQUIRE(want.size() == 5);
    REQUIRE(backup.wait([](auto v) { return v.answered_ok() >= 5; }));
    CHECK(all_reached(want, {&backup}));

    // Receipts for both batches, each from the carrier that took the message.
    REQUIRE(esme.wait_deliveries(10));
    auto ids = accepted_ids(first);
    const auto more = accepted_ids(second);
    ids.insert(more.begin(), more.end());
    CHECK(keys(receipts_by_id(esme.deliveries())) == ids);

    // The readiness probe still reports ready: one carrier of the route is up.
    CHECK(http_get(gw.admin_port(), "/readyz").status == 200);
}

TEST_CASE("carrier down with submits in its window: they fail over too",
          "[integration][failover]") {
    fake_smsc primary;
    primary.set_policy(
        [](const carrier_submit&) { return submit_action{submit_action::kind::hold}; });
    fake_smsc backup;
    gateway_spec spec;
    carrier_spec a;
    a.name = "a";
    a.port = primary.port();
    carrier_spec b;
    b.name = "b";
    b.port = backup.port();
    spec.carriers = {a, b};
    gateway_process gw(spec);
    gw.start();
    REQUIRE(gw.wait_ready());
    REQUIRE(primary.wait([](auto v) { return v.bound_now() == 1; }));
    REQUIRE(backup.wait([](auto v) { return v.bound_now() == 1; }));
    test_esme esme(gw.smpp_port());
    bind_ok(esme, smpp::bind_type::transceiver);

    // Accepted upstream, sent to the primary, never answered by it.
    const auto sent = submit_all(esme, tokened_texts("fow", 4));
    const auto want = accepted_tokens(sent);
    REQUIRE(want.size() == 4);
    REQUIRE(primary.wait([](auto v) { return v.submits().size() == 4; }));

    primary.stop();  // and it never comes back
    const bool reached = backup.wait([](auto v) { return v.answered_ok() >= 4; }, 15s);
    INFO("submits at the backup: " << backup.submits().size()
                                   << "; the daemon must resend what the dead carrier held");
    CHECK(reached);
    CHECK(all_reached(want, {&backup}));
}

TEST_CASE("carrier drops the connection mid-window: nothing is lost", "[integration][disconnect]") {
    fake_smsc carrier;
    auto seen = std::make_shared<std::atomic<unsigned>>(0);
    // Answers after 20 ms, so a window's worth is outstanding; the 12th submit ever received
    // makes the carrier drop the TCP connection with everything unanswered.
    carrier.set_policy([seen](const carrier_submit&) {
        if (++*seen == 12) {
            return submit_action{submit_action::kind::drop_connection};
        }
        return submit_action{submit_action::kind::answer, smpp::status::ESME_ROK, 20ms};
    });
    gateway_process gw(one_carrier_spec(carrier));
    gw.start();
    REQUIRE(gw.wait_ready());
    test_esme esme(gw.smpp_port());
    bind_ok(esme, smpp::bind_type::transceiver);

    constexpr unsigned n = 40;
    const auto sent = submit_all(esme, tokened_texts("drop", n));
    const auto want = accepted_tokens(sent);
    REQUIRE(want.size() == n);

    REQUIRE(carrier.wait([&](auto v) { return v.answered_ok() >= n; }, 30s));
    const auto counts = carrier_accepted_tokens(carrier.submits());
    CHECK(keys(counts) == want);
    CHECK(carrier.binds_total() >= 2);  // it reconnected
    const auto dups = duplicates(counts);
    INFO("duplicates at the carrier (at-least-once allows them): " << dups);
    CHECK(gw.wait_metric_at_least("smppgw_carrier_submits_total",
                                  {{"carrier", "sim"}, {"outcome", "unknown_outcome"}}, 1));

    REQUIRE(esme.wait_deliveries(n, 30s));
    CHECK(keys(receipts_by_id(esme.deliveries())) == accepted_ids(sent));
}

namespace {

// kill -9 while `hold` keeps part of the accepted traffic away from the carrier; restart on the
// same store; everything accepted must reach the carrier and get its receipt.
void restart_scenario(bool carrier_down_before_kill) {
    fake_smsc carrier;
    auto answered = std::make_shared<std::atomic<unsigned>>(0);
    // Slow carrier: the first 5 are answered, the rest held unanswered.
    carrier.set_policy([answered](const carrier_submit&) {
        if (++*answered <= 5) {
            return submit_action{};
        }
        return submit_action{submit_action::kind::hold};
    });
    auto spec = one_carrier_spec(carrier);
    spec.carriers[0].window = 8;
    gateway_process gw(spec);
    gw.start();
    REQUIRE(gw.wait_ready());

    constexpr unsigned n = 30;
    std::vector<submitted> sent;
    std::vector<smpp::pdu> before_receipts;
    {
        test_esme esme(gw.smpp_port());
        bind_ok(esme, smpp::bind_type::transceiver);
        if (carrier_down_before_kill) {
            carrier.stop();  // no carrier at all while these are accepted
            CHECK(eventually([&] {
                return gw.metric("smppgw_carrier_binds", {{"carrier", "sim"}}) == 0;
            }));
        }
        sent = submit_all(esme, tokened_texts("rst", n));
        if (!carrier_down_before_kill) {
            REQUIRE(carrier.wait([](auto v) { return v.submits().size() >= 8; }));
        }
        gw.kill_hard();
        CHECK(esme.wait_closed());
        before_receipts = esme.deliveries();
    }
    const auto want = accepted_tokens(sent);
    REQUIRE(want.size() == n);

    // The carrier is healthy from now on (a fresh one on the same port if it was stopped).
    std::unique_ptr<fake_smsc> replacement;
    if (carrier_down_before_kill) {
        fake_smsc::options o;
        o.port = carrier.port();
        replacement = std::make_unique<fake_smsc>(o);
    } else {
        carrier.set_policy({});
    }

    gw.start();  // same store directory
    REQUIRE(gw.wait_ready());
    test_esme esme(gw.smpp_port());
    bind_ok(esme, smpp::bind_type::transceiver);

    std::vector<const fake_smsc*> carriers{&carrier};
    if (replacement) {
        carriers.push_back(replacement.get());
    }
    CHECK(eventually([&] { return all_reached(want, carriers); }, 30s));
    unsigned dups = 0;
    for (const auto* c : carriers) {
        dups += duplicates(carrier_accepted_tokens(c->submits()));
    }
    INFO("duplicates at the carrier (at-least-once allows them): " << dups);
    CHECK(gw.log_text().find("resumed") != std::string::npos);

    // Every accepted message gets a receipt with our id, before or after the restart.
    const auto ids = accepted_ids(sent);
    auto receipted = [&] {
        auto got = keys(receipts_by_id(esme.deliveries()));
        const auto early = keys(receipts_by_id(before_receipts));
        got.insert(early.begin(), early.end());
        return got;
    };
    CHECK(eventually(
        [&] {
            const auto got = receipted();
            return std::includes(got.begin(), got.end(), ids.begin(), ids.end());
        },
        30s));
    const auto got = receipted();
    std::vector<std::string> missing;
    std::set_difference(ids.begin(), ids.end(), got.begin(), got.end(),
                        std::back_inserter(missing));
    INFO("receipts missing for " << missing.size() << " accepted messages");
    CHECK(missing.empty());
}

}  // namespace

TEST_CASE("restart mid-traffic with a slow carrier: pending work resumes",
          "[integration][restart]") {
    restart_scenario(false);
}

TEST_CASE("restart mid-traffic with the carrier down: pending work resumes",
          "[integration][restart]") {
    restart_scenario(true);
}

TEST_CASE("deliveries unanswered when the receiver drops are delivered again",
          "[integration][outbox]") {
    fake_smsc carrier;
    gateway_process gw(one_carrier_spec(carrier));
    gw.start();
    REQUIRE(gw.wait_ready());
    test_esme tx(gw.smpp_port());
    bind_ok(tx, smpp::bind_type::transmitter);

    constexpr unsigned n = 6;
    const auto sent = submit_all(tx, tokened_texts("redo", n));
    const auto ids = accepted_ids(sent);
    REQUIRE(ids.size() == n);

    {
        // This receiver takes the receipts and never answers, then the link breaks.
        test_esme silent(gw.smpp_port());
        silent.answer_deliveries_with(test_esme::no_answer);
        bind_ok(silent, smpp::bind_type::receiver);
        REQUIRE(silent.wait_deliveries(n));
        CHECK(keys(receipts_by_id(silent.deliveries())) == ids);
        silent.drop();
        REQUIRE(silent.wait_closed());
    }
    test_esme rx(gw.smpp_port());
    bind_ok(rx, smpp::bind_type::receiver);
    REQUIRE(rx.wait_deliveries(n));
    CHECK(keys(receipts_by_id(rx.deliveries())) == ids);
    CHECK(gw.wait_metric_at_least("smppgw_outbox_delivered_total",
                                  {{"account", "demo"}, {"kind", "dlr"}}, n));
}

TEST_CASE("receipts in the outbox survive kill -9", "[integration][outbox][restart]") {
    fake_smsc carrier;
    gateway_process gw(one_carrier_spec(carrier));
    gw.start();
    REQUIRE(gw.wait_ready());

    constexpr unsigned n = 6;
    std::set<std::string> ids;
    {
        test_esme tx(gw.smpp_port());
        bind_ok(tx, smpp::bind_type::transmitter);
        ids = accepted_ids(submit_all(tx, tokened_texts("okill", n)));
        REQUIRE(ids.size() == n);
        REQUIRE(tx.unbind());
    }
    // Acknowledged to the carrier means journaled in the outbox.
    REQUIRE(carrier.wait([](auto v) { return v.deliveries_acked() == n; }));
    gw.kill_hard();
    gw.start();
    REQUIRE(gw.wait_ready());

    test_esme rx(gw.smpp_port());
    bind_ok(rx, smpp::bind_type::receiver);
    REQUIRE(rx.wait_deliveries(n));
    CHECK(keys(receipts_by_id(rx.deliveries())) == ids);
}

TEST_CASE("SIGTERM mid-traffic: a graceful stop and restart lose nothing",
          "[integration][restart]") {
    fake_smsc carrier;
    auto seen = std::make_shared<std::atomic<unsigned>>(0);
    carrier.set_policy([seen](const carrier_submit&) {
        if (++*seen <= 5) {
            return submit_action{};
        }
        return submit_action{submit_action::kind::hold};
    });
    auto spec = one_carrier_spec(carrier);
    spec.carriers[0].window = 8;
    gateway_process gw(spec);
    gw.start();
    REQUIRE(gw.wait_ready());

    constexpr unsigned n = 20;
    std::vector<submitted> sent;
    {
        test_esme esme(gw.smpp_port());
        bind_ok(esme, smpp::bind_type::transceiver);
        sent = submit_all(esme, tokened_texts("term", n));
        REQUIRE(carrier.wait([](auto v) { return v.submits().size() >= 8; }));
        // The daemon unbinds its sessions and stops within its shutdown grace (2 s here).
        CHECK(gw.terminate());
        CHECK(esme.wait_closed());
    }
    const auto want = accepted_tokens(sent);
    REQUIRE(want.size() == n);
    carrier.set_policy({});
    gw.start();
    REQUIRE(gw.wait_ready());
    CHECK(eventually([&] { return all_reached(want, {&carrier}); }, 30s));
}

TEST_CASE("work awaiting a stalled carrier is capped: ESME_RMSGQFUL beyond the limit",
          "[integration][throttle]") {
    fake_smsc carrier;
    carrier.set_policy(
        [](const carrier_submit&) { return submit_action{submit_action::kind::hold}; });
    auto spec = one_carrier_spec(carrier);
    spec.max_pending_messages = 5;
    gateway_process gw(spec);
    gw.start();
    REQUIRE(gw.wait_ready());
    test_esme esme(gw.smpp_port());
    bind_ok(esme, smpp::bind_type::transceiver);

    std::vector<std::uint32_t> statuses;
    for (unsigned i = 0; i < 8; ++i) {
        statuses.push_back(esme.call(make_submit(account_number, handset(i), "held")).status());
    }
    const std::vector<std::uint32_t> expected{0,
                                              0,
                                              0,
                                              0,
                                              0,
                                              smpp::status::ESME_RMSGQFUL,
                                              smpp::status::ESME_RMSGQFUL,
                                              smpp::status::ESME_RMSGQFUL};
    CHECK(statuses == expected);

    // The carrier answers: the backlog clears and submits are accepted again.
    REQUIRE(carrier.wait([](auto v) { return v.submits().size() == 5; }));
    carrier.set_policy({});
    carrier.release_held();
    CHECK(eventually([&] {
        return esme.call(make_submit(account_number, handset(9), "again")).status() ==
               smpp::status::ESME_ROK;
    }));
    CHECK(gw.metric("smppgw_messages_total", {{"account", "demo"}, {"outcome", "throttled"}}) >= 3);
}

TEST_CASE("receipts after a restart are correlated from the journal and parts aggregated once",
          "[integration][restart][receipt]") {
    fake_smsc carrier;
    carrier.set_auto_receipts(false);
    gateway_process gw(one_carrier_spec(carrier));
    gw.start();
    REQUIRE(gw.wait_ready());

    // One single-part message and one long one (GSM, 3 parts), both acknowledged by the carrier.
    std::string long_text;
    while (long_text.size() < 400) {
        long_text += "A long message that needs three parts. ";
    }
    long_text.resize(400);
    std::string short_id;
    std::string long_id;
    {
        test_esme esme(gw.smpp_port());
        bind_ok(esme, smpp::bind_type::transmitter);
        const auto a = esme.call(make_submit(account_number, handset(1), "short one"));
        REQUIRE(a.status() == smpp::status::ESME_ROK);
        short_id = a.message_id();
        auto p = make_submit(account_number, handset(2), "");
        std::get<smpp::submit_sm>(p.body).short_message.clear();
        p.tlvs.set<smpp::tlv::message_payload>(std::span<const std::uint8_t>(
            reinterpret_cast<const std::uint8_t*>(long_text.data()), long_text.size()));
        const auto b = esme.call(p);
        REQUIRE(b.status() == smpp::status::ESME_ROK);
        long_id = b.message_id();
        REQUIRE(carrier.wait([](auto v) { return v.answered_ok() == 4; }));
        REQUIRE(esme.unbind());
    }
    // A clean stop: every carrier id mapping is journaled; the in-memory correlator is gone.
    REQUIRE(gw.terminate());
    gw.start();
    REQUIRE(gw.wait_ready());
    test_esme rx(gw.smpp_port());
    bind_ok(rx, smpp::bind_type::receiver);

    // The carrier reports every part back to back.
    for (const auto& s : carrier.submits()) {
        carrier.send_receipt(s.carrier_id);
    }
    REQUIRE(carrier.wait([](auto v) { return v.deliveries_acked() == 4; }));
    CHECK(rx.wait_delivery([&](const smpp::pdu& d) { return receipted_id_of(d) == short_id; }));
    const bool aggregated =
        rx.wait_delivery([&](const smpp::pdu& d) { return receipted_id_of(d) == long_id; }, 10s);
    INFO("receipts upstream: " << rx.deliveries().size());
    CHECK(aggregated);

    // Barrier, then count: exactly one receipt per upstream submit.
    {
        test_esme tx(gw.smpp_port());
        bind_ok(tx, smpp::bind_type::transmitter);
        const auto m = tx.call(make_submit(account_number, handset(3), "marker"));
        REQUIRE(m.status() == smpp::status::ESME_ROK);
        REQUIRE(carrier.wait([](auto v) { return v.answered_ok() == 5; }));
        carrier.send_receipt(carrier.submits().back().carrier_id);
        REQUIRE(rx.wait_delivery(
            [&](const smpp::pdu& d) { return receipted_id_of(d) == m.message_id(); }));
        // Every part was delivered: so was the message.
        const auto q = tx.call(make_query(long_id, account_number));
        REQUIRE(q.pdu);
        REQUIRE(q.pdu->command_status == smpp::status::ESME_ROK);
        CHECK(std::get<smpp::query_sm_resp>(q.pdu->body).message_state == 2);
    }
    const auto got = receipts_by_id(rx.deliveries());
    CHECK(got.count(short_id) == 1);
    CHECK(got.count(long_id) == 1);
    for (const auto& d : rx.deliveries()) {
        if (receipted_id_of(d) == long_id) {
            CHECK(text_of(d).find("sub:003 dlvrd:003") != std::string::npos);
        }
    }
    CHECK(gw.metric("smppgw_receipt_match_failures_total") == 0);
}

TEST_CASE("a receiver's temporary refusal of deliver_sm is retried, not dropped",
          "[integration][outbox]") {
    fake_smsc carrier;
    gateway_process gw(one_carrier_spec(carrier));
    gw.start();
    REQUIRE(gw.wait_ready());
    test_esme esme(gw.smpp_port());
    esme.answer_deliveries_with(smpp::status::ESME_RX_T_APPN);
    bind_ok(esme, smpp::bind_type::transceiver);

    const auto r = esme.call(make_submit(account_number, handset(1), "refused for a while"));
    REQUIRE(r.status() == smpp::status::ESME_ROK);
    REQUIRE(esme.wait_deliveries(2));  // refused once, offered again
    std::this_thread::sleep_for(500ms);
    const auto refused_attempts = esme.deliveries().size();
    esme.answer_deliveries_with(smpp::status::ESME_ROK);
    INFO("deliver_sm attempts while refusing for ~0.5 s: " << refused_attempts);
    CHECK(eventually([&] {
        return gw.metric("smppgw_outbox_delivered_total", {{"account", "demo"}, {"kind", "dlr"}}) ==
               1;
    }));
    for (const auto& d : esme.deliveries()) {
        CHECK(receipted_id_of(d) == r.message_id());
    }
    // Retrying is right; retrying without a pause floods a receiver that is already struggling.
    CHECK(refused_attempts < 50);
}

TEST_CASE("a submit_sm the carrier never answers is sent again after the response timeout",
          "[integration][disconnect]") {
    fake_smsc carrier;
    auto first_seen = std::make_shared<std::set<std::string>>();  // SMSC thread only
    carrier.set_policy([first_seen](const carrier_submit& s) {
        if (first_seen->insert(token_in(s.text)).second) {
            return submit_action{submit_action::kind::ignore};
        }
        return submit_action{};
    });
    auto spec = one_carrier_spec(carrier);
    spec.carriers[0].response_timeout = "500ms";
    gateway_process gw(spec);
    gw.start();
    REQUIRE(gw.wait_ready());
    test_esme esme(gw.smpp_port());
    bind_ok(esme, smpp::bind_type::transceiver);

    constexpr unsigned n = 4;
    const auto sent = submit_all(esme, tokened_texts("tmo", n));
    REQUIRE(accepted_tokens(sent).size() == n);
    REQUIRE(carrier.wait([](auto v) { return v.answered_ok() == n; }));
    const auto all = carrier.submits();
    CHECK(all.size() == 2 * n);  // each one ignored once, then answered
    CHECK(keys(carrier_accepted_tokens(all)) == accepted_tokens(sent));
    REQUIRE(esme.wait_deliveries(n));
    CHECK(keys(receipts_by_id(esme.deliveries())) == accepted_ids(sent));
    CHECK(gw.metric("smppgw_carrier_submits_total",
                    {{"carrier", "sim"}, {"outcome", "unknown_outcome"}}) == n);
}

TEST_CASE("a carrier that refuses the daemon's bind: not ready, work waits for a good bind",
          "[integration][failover]") {
    fake_smsc::options strict;
    strict.system_id = "other";
    strict.password = "nope";
    auto refusing = std::make_unique<fake_smsc>(strict);
    const auto port = refusing->port();
    gateway_process gw(one_carrier_spec(*refusing));
    gw.start();

    test_esme esme(gw.smpp_port());
    bind_ok(esme, smpp::bind_type::transceiver);
    CHECK(http_get(gw.admin_port(), "/readyz").status == 503);
    // Accepted and journaled even though no carrier is bound.
    const auto sent = submit_all(esme, tokened_texts("nobind", 3));
    const auto want = accepted_tokens(sent);
    REQUIRE(want.size() == 3);
    CHECK(refusing->binds_total() == 0);
    CHECK(refusing->submits().empty());

    // The carrier fixes its side (same address): the daemon binds and sends everything.
    refusing.reset();
    fake_smsc::options same_port;
    same_port.port = port;
    fake_smsc carrier(same_port);
    REQUIRE(gw.wait_ready());
    REQUIRE(carrier.wait([](auto v) { return v.answered_ok() == 3; }));
    CHECK(keys(carrier_accepted_tokens(carrier.submits())) == want);
    REQUIRE(esme.wait_deliveries(3));
    CHECK(keys(receipts_by_id(esme.deliveries())) == accepted_ids(sent));
}

TEST_CASE("all carriers down, then only the backup comes back: queued work goes to it",
          "[integration][failover]") {
    // Two carrier addresses with nobody listening yet.
    std::uint16_t port_a = 0;
    std::uint16_t port_b = 0;
    {
        fake_smsc a;
        fake_smsc b;
        port_a = a.port();
        port_b = b.port();
    }
    gateway_spec spec;
    carrier_spec a;
    a.name = "a";
    a.port = port_a;
    carrier_spec b;
    b.name = "b";
    b.port = port_b;
    spec.carriers = {a, b};
    gateway_process gw(spec);
    gw.start();
    test_esme esme(gw.smpp_port());
    bind_ok(esme, smpp::bind_type::transceiver);
    CHECK(http_get(gw.admin_port(), "/readyz").status == 503);

    // Accepted while every carrier of the route is down: they wait for one.
    const auto sent = submit_all(esme, tokened_texts("alldown", 3));
    const auto want = accepted_tokens(sent);
    REQUIRE(want.size() == 3);

    // Only the backup comes back.
    fake_smsc::options o;
    o.port = port_b;
    fake_smsc backup(o);
    REQUIRE(gw.wait_ready());
    const bool reached = backup.wait([](auto v) { return v.answered_ok() >= 3; }, 10s);
    INFO("submits at the backup: " << backup.submits().size());
    CHECK(reached);
    CHECK(all_reached(want, {&backup}));

    // New traffic goes there in any case (the primary is down).
    const auto later = accepted_tokens(submit_all(esme, tokened_texts("alldown2", 2), 10));
    REQUIRE(later.size() == 2);
    CHECK(eventually([&] { return all_reached(later, {&backup}); }));
}

TEST_CASE("restart with the primary carrier gone: resumed work goes to the backup",
          "[integration][failover][restart]") {
    auto primary = std::make_unique<fake_smsc>();
    primary->set_policy(
        [](const carrier_submit&) { return submit_action{submit_action::kind::hold}; });
    fake_smsc backup;
    gateway_spec spec;
    carrier_spec a;
    a.name = "a";
    a.port = primary->port();
    carrier_spec b;
    b.name = "b";
    b.port = backup.port();
    spec.carriers = {a, b};
    gateway_process gw(spec);
    gw.start();
    REQUIRE(gw.wait_ready());
    REQUIRE(primary->wait([](auto v) { return v.bound_now() == 1; }));

    std::set<std::string> want;
    {
        test_esme esme(gw.smpp_port());
        bind_ok(esme, smpp::bind_type::transceiver);
        want = accepted_tokens(submit_all(esme, tokened_texts("gone", 4)));
        REQUIRE(want.size() == 4);
        REQUIRE(primary->wait([](auto v) { return v.submits().size() == 4; }));
    }
    // The daemon dies with the messages unanswered in the primary's window; the primary is gone
    // for good by the time it is back.
    gw.kill_hard();
    primary.reset();
    gw.start();
    REQUIRE(gw.wait_ready());
    const bool reached = backup.wait([](auto v) { return v.answered_ok() >= 4; }, 10s);
    INFO("submits at the backup after the restart: " << backup.submits().size());
    CHECK(reached);
    CHECK(all_reached(want, {&backup}));
}
