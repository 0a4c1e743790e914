// Drills: the real daemon on loopback under steady upstream load while something goes wrong,
// checked against the durability contract (DESIGN.md) after the fact:
//   * kill -9 twice mid-traffic: every ESME_ROK reaches the carrier, every acknowledged STOP is
//     in force, every receipt reaches the application (duplicates counted and printed);
//   * the carrier drops every connection every few seconds: no loss, time to recover printed;
//   * the carrier answers only ESME_RTHROTTLED for a while: the daemon backs off, holds its
//     queue within limits and pushes back upstream, then delivers everything once it may;
//   * every store write fails (SMPPGW_FAULT_INJECTION_FILE): ESME_RSYSERR instead of ESME_ROK,
//     said in the log and the metrics, and back to normal when the fault clears; then the same
//     several times in a row at sync = batch and at sync = none; and the same on a real tmpfs
//     that the test fills and frees, six rounds (where a private mount namespace can be made).
// Each prints one summary line with its numbers; only the contract is asserted, plus generous
// bounds where a recovery time or a rate is the point.

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <future>

#include "daemon.hpp"
#include "fake_smsc.hpp"
#include "scenario.hpp"
#include "upstream_load.hpp"

using namespace smppgw::integration;
namespace smpp = smppgw::smpp;

namespace {

std::string drill_toml(const daemon_ports& p, const std::filesystem::path& dir,
                       std::uint16_t carrier_port, const carrier_timing& timing = {},
                       const std::string& server_extra = {}) {
    return fmt::format("[[listeners]]\nname = \"smpp\"\naddress = \"127.0.0.1:{}\"\n\n", p.smpp) +
           account_toml("demo",
                        fmt::format("mo_numbers = [\"{}\"]\nmax_binds = 8", account_number)) +
           carrier_toml("sim", carrier_port, {}, timing) +
           common_toml(p, dir, {"sim"}, "info", server_extra);
}

// How each upstream submit ended, and the join with what the carrier accepted.
struct ledger {
    std::size_t submitted = 0;
    std::size_t ok = 0;
    std::size_t unanswered = 0;
    std::map<std::uint32_t, std::size_t> refused;  // status -> count
    std::set<std::string> ok_tokens;
    std::vector<std::string> ok_ids;             // those that asked for a receipt
    std::map<std::string, unsigned> at_carrier;  // token -> times answered ESME_ROK

    [[nodiscard]] std::size_t missing() const {
        return static_cast<std::size_t>(
            std::count_if(ok_tokens.begin(), ok_tokens.end(),
                          [&](const std::string& t) { return !at_carrier.contains(t); }));
    }
    [[nodiscard]] std::size_t duplicates() const {
        std::size_t d = 0;
        for (const auto& t : ok_tokens) {
            if (auto it = at_carrier.find(t); it != at_carrier.end() && it->second > 1) {
                d += it->second - 1;
            }
        }
        return d;
    }
    [[nodiscard]] std::string refused_text() const {
        std::string out;
        for (const auto& [status, n] : refused) {
            out += fmt::format("{}{}x 0x{:02x}", out.empty() ? "" : ", ", n, status);
        }
        return out.empty() ? "none" : out;
    }
};

ledger tally(const std::vector<upstream_submit>& sent, const std::vector<carrier_submit>& carrier) {
    ledger l;
    l.submitted = sent.size();
    for (const auto& s : sent) {
        if (s.status == smpp::status::ESME_ROK) {
            ++l.ok;
            l.ok_tokens.insert(s.token);
            l.ok_ids.push_back(s.id);
        } else if (s.status == no_reply) {
            ++l.unanswered;
        } else {
            ++l.refused[s.status];
        }
    }
    for (const auto& c : carrier) {
        if (c.answered && *c.answered == smpp::status::ESME_ROK) {
            if (const auto t = token_in(c.text); !t.empty()) {
                ++l.at_carrier[t];
            }
        }
    }
    return l;
}

// Waits (bounded) until every token acknowledged upstream has been accepted by the carrier.
ledger settle(const upstream_load& load, const fake_smsc& carrier,
              std::chrono::milliseconds timeout = 60s) {
    ledger l;
    eventually(
        [&] {
            l = tally(load.submits(), carrier.submits());
            return l.missing() == 0;
        },
        timeout, 200ms);
    return l;
}

std::size_t duplicate_receipts(const std::map<std::string, unsigned>& r) {
    std::size_t d = 0;
    for (const auto& [id, n] : r) {
        d += n > 1 ? n - 1 : 0;
    }
    return d;
}

std::size_t missing_receipts(const std::vector<std::string>& ids,
                             const std::map<std::string, unsigned>& got) {
    return static_cast<std::size_t>(
        std::count_if(ids.begin(), ids.end(), [&](const auto& id) { return !got.contains(id); }));
}

std::size_t count_in(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
        ++n;
    }
    return n;
}

double ms_between(steady::time_point a, steady::time_point b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
}

// The drills' carrier sends a deliver_sm again 5 s after the daemon left it unanswered.
fake_smsc::options drill_carrier_options() {
    fake_smsc::options o;
    o.response_timeout = 5s;
    return o;
}

fake_smsc::options quick_receipts() {
    auto o = drill_carrier_options();
    o.receipt_delay = 20ms;
    return o;
}

// A daemon at `store.sync = sync` whose store writes fail, as on a full disk, while fault_file
// exists (SMPPGW_FAULT_INJECTION_FILE), and a carrier sending receipts after 20 ms.
struct fault_injected_daemon {
    explicit fault_injected_daemon(const std::string& sync = "batch")
        : gw(
              [this, sync](const daemon_ports& p, const std::filesystem::path& dir) {
                  auto toml = drill_toml(p, dir, carrier.port());
                  const std::string batch = "sync = \"batch\"";
                  toml.replace(toml.find(batch), batch.size(), "sync = \"" + sync + "\"");
                  return toml;
              },
              {{"SMPPGW_FAULT_INJECTION_FILE", fault_file.string()}}) {}

    temp_dir fault_dir{"smppgw-fault"};
    const std::filesystem::path fault_file = fault_dir / "store-writes-fail";
    fake_smsc carrier{quick_receipts()};
    daemon_process gw;
};

}  // namespace

TEST_CASE("drill: kill -9 twice under load - acknowledged work survives", "[drill]") {
    auto so = drill_carrier_options();
    so.receipt_delay = 20ms;
    fake_smsc carrier(so);
    daemon_process gw([&](const daemon_ports& p, const std::filesystem::path& dir) {
        return drill_toml(p, dir, carrier.port(), {.window = 32});
    });
    gw.start();
    REQUIRE(gw.wait_ready());

    upstream_load load({.port = gw.smpp_port(), .tag = "k9", .rate = 300, .window = 64});
    load.start();
    // Handsets opting out all along: 1212555 6000+ (the load sends to 1000..4999).
    std::atomic<bool> stopping{false};
    std::vector<std::pair<std::string, std::size_t>> stops;  // number, delivery index
    auto stop_sender = std::async(std::launch::async, [&] {
        for (unsigned i = 0; !stopping; ++i) {
            const auto number = fmt::format("1212555{:04}", 6000 + i);
            stops.emplace_back(number, carrier.send_mo(number, account_number, "STOP"));
            std::this_thread::sleep_for(40ms);
        }
    });

    constexpr int kills = 2;
    std::vector<double> restart_ms;
    for (int k = 0; k < kills; ++k) {
        std::this_thread::sleep_for(4s);
        gw.kill_hard();
        const auto t = steady::now();
        gw.restart();
        REQUIRE(gw.wait_ready());
        restart_ms.push_back(ms_between(t, steady::now()));
    }
    std::this_thread::sleep_for(3s);
    stopping = true;
    stop_sender.get();
    load.stop();

    const auto l = settle(load, carrier);
    CHECK(load.wait_receipts(l.ok_ids, 60s));
    const auto receipts = load.receipts();

    // Every STOP the daemon acknowledged to the carrier is in force: a submit is refused.
    const auto deliveries = carrier.deliveries();
    std::size_t acked_stops = 0;
    std::size_t in_force = 0;
    test_esme esme(gw.smpp_port());
    bind_ok(esme, smpp::bind_type::transmitter);
    for (const auto& [number, index] : stops) {
        if (!deliveries[index].acked) {
            continue;
        }
        ++acked_stops;
        const auto r = esme.call(make_submit(account_number, number, "Deals for you", 0));
        in_force += r.status() == 0x410 ? 1 : 0;  // opted_out
    }

    std::printf(
        "kill -9 drill: %d kills (restart to ready %.0f / %.0f ms), %u binds; upstream %zu "
        "submits: %zu ESME_ROK, %zu unanswered at the kills, refused %s; carrier: %zu of %zu "
        "acknowledged reached it, %zu duplicate submits; receipts: %zu of %zu messages, %zu "
        "duplicates; STOP: %zu sent, %zu acknowledged, %zu of those in force after restart\n",
        kills, restart_ms[0], restart_ms[1], load.binds(), l.submitted, l.ok, l.unanswered,
        l.refused_text().c_str(), l.ok - l.missing(), l.ok, l.duplicates(),
        l.ok_ids.size() - missing_receipts(l.ok_ids, receipts), l.ok_ids.size(),
        duplicate_receipts(receipts), stops.size(), acked_stops, in_force);
    CHECK(l.ok > 500);
    CHECK(l.missing() == 0);
    CHECK(missing_receipts(l.ok_ids, receipts) == 0);
    CHECK(acked_stops > 20);
    CHECK(in_force == acked_stops);
}

TEST_CASE("drill: the carrier drops every connection every few seconds - no loss, quick recovery",
          "[drill]") {
    fake_smsc carrier(drill_carrier_options());
    daemon_process gw([&](const daemon_ports& p, const std::filesystem::path& dir) {
        // The daemon's default reconnect timing (1 s doubling to 60 s) and two sessions.
        return drill_toml(
            p, dir, carrier.port(),
            {.sessions = 2, .window = 32, .reconnect_min = "1s", .reconnect_max = "60s"});
    });
    gw.start();
    REQUIRE(gw.wait_ready());
    upstream_load load({.port = gw.smpp_port(), .tag = "dc", .rate = 200, .window = 32});
    load.start();

    constexpr int outages = 4;
    std::vector<steady::time_point> back;
    for (int i = 0; i < outages; ++i) {
        std::this_thread::sleep_for(3s);
        carrier.stop_listening();  // every connection dropped, no unbind; connects refused
        std::this_thread::sleep_for(300ms);
        back.push_back(carrier.start_listening());
    }
    std::this_thread::sleep_for(3s);
    load.stop();

    const auto l = settle(load, carrier);
    CHECK(load.wait_receipts(l.ok_ids, 60s));
    const auto receipts = load.receipts();
    // Recovery: from listening again to the first submit_sm that arrives afterwards.
    const auto submits = carrier.submits();
    std::vector<double> recovery_ms;
    for (const auto t : back) {
        const auto first = std::find_if(submits.begin(), submits.end(),
                                        [&](const carrier_submit& s) { return s.at >= t; });
        recovery_ms.push_back(first == submits.end() ? 1e9 : ms_between(t, first->at));
    }
    std::string rec;
    for (const auto r : recovery_ms) {
        rec += fmt::format("{}{:.0f}", rec.empty() ? "" : ", ", r);
    }
    std::printf(
        "disconnect drill: %d outages of 300 ms; recovery (listening again -> first submit) %s "
        "ms; upstream %zu submits, %zu ESME_ROK, refused %s; carrier: %zu of %zu reached it, %zu "
        "duplicates, %zu binds; receipts %zu of %zu, %zu duplicates\n",
        outages, rec.c_str(), l.submitted, l.ok, l.refused_text().c_str(), l.ok - l.missing(), l.ok,
        l.duplicates(), carrier.binds_total(),
        l.ok_ids.size() - missing_receipts(l.ok_ids, receipts), l.ok_ids.size(),
        duplicate_receipts(receipts));
    CHECK(l.ok > 1000);
    CHECK(l.missing() == 0);
    CHECK(missing_receipts(l.ok_ids, receipts) == 0);
    for (const auto r : recovery_ms) {
        CHECK(r < 5000.0);  // generous; the printed values are the result
    }
}

TEST_CASE("drill: a carrier answering only ESME_RTHROTTLED - back-off, push-back, recovery",
          "[drill]") {
    auto throttling = std::make_shared<std::atomic<bool>>(false);
    auto so = drill_carrier_options();
    so.auto_receipts = false;
    fake_smsc carrier(so);
    carrier.set_policy([throttling](const carrier_submit&) {
        return submit_action{.status = throttling->load() ? smpp::status::ESME_RTHROTTLED
                                                          : smpp::status::ESME_ROK};
    });
    constexpr unsigned max_pending = 300;
    daemon_process gw([&](const daemon_ports& p, const std::filesystem::path& dir) {
        return drill_toml(p, dir, carrier.port(), {.window = 16},
                          fmt::format("max_pending_messages = {}", max_pending));
    });
    gw.start();
    REQUIRE(gw.wait_ready());
    upstream_load load(
        {.port = gw.smpp_port(), .tag = "th", .rate = 200, .window = 32, .registered_delivery = 0});
    load.start();

    std::this_thread::sleep_for(2s);
    const auto calm_start = carrier.submits().size();
    *throttling = true;
    const auto t_throttle = steady::now();
    // While throttled: sample the daemon's queue of work awaiting the carrier.
    double max_awaiting = 0;
    double max_carrier_queue = 0;
    const auto throttle_for = 8s;
    while (steady::now() < t_throttle + throttle_for) {
        const auto m = gw.metrics();
        max_awaiting = std::max(
            max_awaiting, metric_value(m, "smppgw_queue_depth", {{"queue", "awaiting_carrier"}}));
        max_carrier_queue = std::max(
            max_carrier_queue, metric_value(m, "smppgw_carrier_queue_depth", {{"carrier", "sim"}}));
        std::this_thread::sleep_for(200ms);
    }
    *throttling = false;
    const auto t_recover = steady::now();
    std::this_thread::sleep_for(3s);
    load.stop();
    const auto l = settle(load, carrier);

    const auto submits = carrier.submits();
    const auto sent = load.submits();
    std::size_t during = 0;
    std::size_t throttled_answers = 0;
    std::optional<steady::time_point> first_ok_after;
    for (const auto& s : submits) {
        if (s.at >= t_throttle && s.at < t_recover) {
            ++during;
        }
        if (s.answered && *s.answered == smpp::status::ESME_RTHROTTLED) {
            ++throttled_answers;
        }
        if (s.at >= t_recover && s.answered && *s.answered == smpp::status::ESME_ROK &&
            !first_ok_after) {
            first_ok_after = s.at;
        }
    }
    std::size_t pushed_back = 0;
    std::size_t offered_during = 0;
    for (const auto& s : sent) {
        if (s.sent_at >= t_throttle && s.sent_at < t_recover) {
            ++offered_during;
            pushed_back +=
                s.status == smpp::status::ESME_RMSGQFUL || s.status == smpp::status::ESME_RTHROTTLED
                    ? 1
                    : 0;
        }
    }
    const double throttle_s = std::chrono::duration<double>(t_recover - t_throttle).count();
    const double carrier_rate = static_cast<double>(during) / throttle_s;
    const double calm_rate = static_cast<double>(calm_start) / 2.0;
    const double throttled_metric =
        gw.metric("smppgw_carrier_throttled_total", {{"carrier", "sim"}});
    std::printf(
        "throttle drill: %.1f s of ESME_RTHROTTLED; carrier saw %.1f submit/s while throttled "
        "(%.1f before; upstream offered %.1f/s); %zu throttled answers (metric %.0f); upstream "
        "pushed back %zu of %zu offered meanwhile (refused: %s); awaiting carrier peaked at %.0f "
        "(limit %u), carrier queue %.0f; first ESME_ROK %.0f ms after the carrier recovered; all "
        "%zu accepted delivered: %s, %zu duplicates\n",
        throttle_s, carrier_rate, calm_rate, static_cast<double>(offered_during) / throttle_s,
        throttled_answers, throttled_metric, pushed_back, offered_during, l.refused_text().c_str(),
        max_awaiting, max_pending, max_carrier_queue,
        first_ok_after ? ms_between(t_recover, *first_ok_after) : -1.0, l.ok,
        l.missing() == 0 ? "yes" : "NO", l.duplicates());
    CHECK(throttled_answers > 0);
    CHECK(throttled_metric == static_cast<double>(throttled_answers));
    // Backed off: a small fraction of the offered load reaches the throttling carrier.
    CHECK(carrier_rate < 20.0);
    CHECK(pushed_back > 0);
    CHECK(max_awaiting <= max_pending + 32);  // the limit, plus submits admitted concurrently
    CHECK(first_ok_after.has_value());
    CHECK(l.missing() == 0);
}

TEST_CASE("drill: store writes fail (disk full) - ESME_RSYSERR, said why, recovers", "[drill]") {
    fault_injected_daemon d;
    const auto& fault_file = d.fault_file;
    auto& carrier = d.carrier;
    auto& gw = d.gw;
    gw.start();
    REQUIRE(gw.wait_ready());
    upstream_load load({.port = gw.smpp_port(), .tag = "df", .rate = 100, .window = 16});
    load.start();

    std::this_thread::sleep_for(2s);
    write_file(fault_file, "full\n");
    REQUIRE(eventually(
        [&] { return gw.log_text().find("fault injection armed") != std::string::npos; }));
    const auto t_armed = steady::now();
    std::this_thread::sleep_for(3s);
    std::filesystem::remove(fault_file);
    REQUIRE(eventually(
        [&] { return gw.log_text().find("fault injection disarmed") != std::string::npos; }));
    const auto t_disarmed = steady::now();
    std::this_thread::sleep_for(3s);
    load.stop();

    const auto sent = load.submits();
    std::size_t during = 0;
    std::size_t during_syserr = 0;
    std::size_t during_ok = 0;
    std::size_t after = 0;
    std::size_t after_ok = 0;
    std::size_t settled_after = 0;
    std::size_t settled_after_ok = 0;
    for (const auto& s : sent) {
        if (s.sent_at >= t_armed && s.sent_at < t_disarmed - 300ms) {
            ++during;
            during_syserr += s.status == smpp::status::ESME_RSYSERR ? 1 : 0;
            during_ok += s.status == smpp::status::ESME_ROK ? 1 : 0;
        }
        if (s.sent_at >= t_disarmed) {
            ++after;
            after_ok += s.status == smpp::status::ESME_ROK ? 1 : 0;
            if (s.sent_at >= t_disarmed + 1s) {
                ++settled_after;
                settled_after_ok += s.status == smpp::status::ESME_ROK ? 1 : 0;
            }
        }
    }
    const auto l = settle(load, carrier);
    const bool all_receipts = load.wait_receipts(l.ok_ids, 60s);
    const auto receipts = load.receipts();
    const auto m = gw.metrics();
    const double accept_errors =
        metric_value(m, "smppgw_store_errors_total", {{"operation", "accept"}});
    const double write_errors = metric_value(m, "smppgw_store_write_errors_total");
    const double all_store_errors = metric_value(m, "smppgw_store_errors_total");
    const auto log = gw.log_text();
    std::printf(
        "disk-full drill: while failing %zu submits, %zu ESME_RSYSERR, %zu ESME_ROK; after the "
        "fault cleared %zu of %zu ESME_ROK (%zu of %zu from 1 s on); store_errors_total "
        "accept=%.0f all=%.0f, store_write_errors_total=%.0f; accepted %zu, %zu reached the "
        "carrier, %zu duplicates; receipts %zu of %zu\n",
        during, during_syserr, during_ok, after_ok, after, settled_after_ok, settled_after,
        accept_errors, all_store_errors, write_errors, l.ok, l.ok - l.missing(), l.duplicates(),
        l.ok_ids.size() - missing_receipts(l.ok_ids, receipts), l.ok_ids.size());
    CHECK(during > 100);
    CHECK(during_ok == 0);  // never ESME_ROK for something not journaled
    CHECK(during_syserr == during);
    CHECK(accept_errors >= static_cast<double>(during_syserr));
    CHECK(write_errors > 0);
    CHECK(log.find("journal write failed, refusing submits with ESME_RSYSERR") !=
          std::string::npos);
    CHECK(after_ok > 0);
    CHECK(settled_after_ok == settled_after);
    CHECK(l.missing() == 0);  // nothing acknowledged before (or after) is lost
    CHECK(all_receipts);
}

TEST_CASE("drill: a fatal store error (the disk refilled under a resume) - restart in place, "
          "nothing acknowledged lost",
          "[drill]") {
    // "room" makes the injected full disk report free space: the committer resumes, the
    // memtable switch inside DB::Resume() fails, and RocksDB calls that fatal (only a reopen
    // clears it). The daemon must reopen its store by restarting in place, not refuse forever.
    fault_injected_daemon d;
    const auto& fault_file = d.fault_file;
    auto& carrier = d.carrier;
    auto& gw = d.gw;
    gw.start();
    REQUIRE(gw.wait_ready());
    const auto pid = gw.pid();
    upstream_load load({.port = gw.smpp_port(), .tag = "fr", .rate = 100, .window = 16});
    load.start();
    std::this_thread::sleep_for(2s);
    write_file(fault_file, "room\n");
    const bool restarting = eventually(
        [&] { return gw.log_text().find("restarts in place") != std::string::npos; }, 20s);
    std::filesystem::remove(fault_file);
    const bool ready = eventually(
        [&] {
            return gw.log_text().find("starting again to reopen the store") != std::string::npos &&
                   http_get(gw.admin_port(), "/readyz").status == 200;
        },
        30s, 50ms);
    const auto t_ready = steady::now();
    std::this_thread::sleep_for(3s);
    load.stop();
    const auto l = settle(load, carrier);
    const bool all_receipts = load.wait_receipts(l.ok_ids, 60s);
    std::size_t ok_after = 0;
    std::size_t after = 0;
    for (const auto& s : load.submits()) {
        if (s.sent_at >= t_ready + 1s) {
            ++after;
            ok_after += s.status == smpp::status::ESME_ROK ? 1 : 0;
        }
    }
    const auto log = gw.log_text();
    std::size_t opens = 0;
    for (auto at = log.find("store open at"); at != std::string::npos;
         at = log.find("store open at", at + 1)) {
        ++opens;
    }
    std::printf("fatal-store drill: %zu store opens, %u binds; %zu submits, %zu ESME_ROK, %s; "
                "%zu of %zu accepted reached the carrier; %zu of %zu ESME_ROK from 1 s after "
                "ready\n",
                opens, load.binds(), l.submitted, l.ok, l.refused_text().c_str(),
                l.ok - l.missing(), l.ok, ok_after, after);
    INFO(log.substr(log.size() > 6000 ? log.size() - 6000 : 0));
    CHECK(restarting);
    CHECK(log.find("DB::Resume() failed") != std::string::npos);
    CHECK(ready);
    CHECK(gw.running());
    CHECK(gw.pid() == pid);  // in place: a supervisor saw no exit
    CHECK(opens >= 2);
    CHECK(load.binds() >= 2);  // the upstream rebound to the restarted daemon
    CHECK(after > 0);
    CHECK(ok_after == after);
    CHECK(l.missing() == 0);  // nothing acknowledged before the fatal error is lost
    CHECK(all_receipts);
    CHECK(log.find("fatal signal") == std::string::npos);
}

TEST_CASE("drill: the disk fills again and again at sync = batch and none - no crash, no loss, "
          "recovery without a restart",
          "[drill]") {
    // The same fault as above, several short episodes per daemon, for each sync mode: the abort
    // this guards against (RocksDB's assertion when a sync met a failed append) came in 2 of 8
    // rounds, so one episode proves little.
    constexpr int episodes = 4;
    for (const std::string sync : {"batch", "none"}) {
        INFO("sync = " << sync);
        fault_injected_daemon d(sync);
        const auto& fault_file = d.fault_file;
    auto& carrier = d.carrier;
    auto& gw = d.gw;
        gw.start();
        REQUIRE(gw.wait_ready());
        upstream_load load(
            {.port = gw.smpp_port(), .tag = "dr" + sync, .rate = 150, .window = 16});
        load.start();
        std::this_thread::sleep_for(1s);

        // [armed, disarmed) as the test saw the daemon's log, per episode.
        std::vector<std::pair<steady::time_point, steady::time_point>> faulted;
        std::vector<double> ready_again_ms;
        bool crashed = false;
        for (int e = 1; e <= episodes && !crashed; ++e) {
            write_file(fault_file, "full\n");
            REQUIRE(eventually([&] {
                return count_in(gw.log_text(), "fault injection armed") ==
                       static_cast<std::size_t>(e);
            }));
            const auto armed = steady::now();
            std::this_thread::sleep_for(1s);
            const bool refused = http_get(gw.admin_port(), "/readyz").status == 503;
            std::filesystem::remove(fault_file);
            REQUIRE(eventually([&] {
                return count_in(gw.log_text(), "fault injection disarmed") ==
                       static_cast<std::size_t>(e);
            }));
            const auto disarmed = steady::now();
            faulted.emplace_back(armed, disarmed);
            CHECK(refused);  // not ready while writes fail
            const bool ready = eventually(
                [&] { return http_get(gw.admin_port(), "/readyz").status == 200; }, 10s, 25ms);
            ready_again_ms.push_back(ms_between(disarmed, steady::now()));
            CHECK(ready);
            crashed = !gw.running();
            std::this_thread::sleep_for(800ms);
        }
        load.stop();
        const auto log = gw.log_text();
        INFO(log.substr(log.size() > 4000 ? log.size() - 4000 : 0));
        REQUIRE(gw.running());

        const auto sent = load.submits();
        std::size_t during = 0;
        std::size_t during_ok = 0;
        for (const auto& s : sent) {
            for (const auto& [from, to] : faulted) {
                if (s.sent_at >= from && s.sent_at < to - 300ms) {
                    ++during;
                    during_ok += s.status == smpp::status::ESME_ROK ? 1 : 0;
                }
            }
        }
        const auto l = settle(load, carrier);
        const bool all_receipts = load.wait_receipts(l.ok_ids, 60s);
        const auto receipts = load.receipts();
        std::string ready_text;
        for (const auto r : ready_again_ms) {
            ready_text += fmt::format("{}{:.0f}", ready_text.empty() ? "" : ", ", r);
        }
        std::printf(
            "disk-full drill, sync = %s: %d episodes, ready again %s ms after each; %zu submits "
            "while failing, %zu ESME_ROK among them; %zu accepted in all, %zu reached the "
            "carrier, %zu duplicates; receipts %zu of %zu; refused %s; \"store writes fail\" "
            "logged %zu times\n",
            sync.c_str(), episodes, ready_text.c_str(), during, during_ok, l.ok,
            l.ok - l.missing(), l.duplicates(),
            l.ok_ids.size() - missing_receipts(l.ok_ids, receipts), l.ok_ids.size(),
            l.refused_text().c_str(), count_in(log, "store writes fail ("));
        CHECK(log.find("Assertion") == std::string::npos);
    CHECK(log.find("fatal signal") == std::string::npos);
        CHECK(during > 100);
        CHECK(during_ok == 0);
        CHECK(l.ok > 500);
        CHECK(l.missing() == 0);
        CHECK(all_receipts);
        CHECK(count_in(log, "store writes fail (") == static_cast<std::size_t>(episodes));
        CHECK(count_in(log, "store writes work again") == static_cast<std::size_t>(episodes));
    }
}

// Six rounds, three at each sync mode that acknowledges before a checkpoint (batch, none): the
// abort this drill found (RocksDB's info LOG writer in the store's folder meeting ENOSPC, then
// Debian's assertion `sync_without_flush_called_') came in about half of the runs on the
// 2-core box before its log moved to smppgw's own (store/src/engine_log.hpp).
TEST_CASE("drill: a real file system fills up (tmpfs) - refused, no crash, recovers with room",
          "[drill][tmpfs]") {
    const std::string mode = GENERATE(as<std::string>{}, "batch", "none", "batch", "none",
                                      "batch", "none");
    INFO("sync = " << mode);
    // The daemon gets a small tmpfs of its own (a private mount namespace: root, or an
    // unprivileged user namespace), the test fills it through /proc/<pid>/root and frees it
    // again: RocksDB meets a real ENOSPC wherever it writes (WAL, flushes, manifest), not the
    // injected one. Skipped where no such namespace can be made.
    temp_dir base("smppgw-tmpfs");
    const auto mnt = base / "fs";
    std::filesystem::create_directories(mnt);
    const std::vector<std::string> unshare{"/usr/bin/unshare", "--mount", "--map-root-user",
                                           "/bin/sh", "-c"};
    {
        auto probe_argv = unshare;
        probe_argv.insert(probe_argv.end(),
                          {"mount -t tmpfs -o size=1m smppgw-probe \"$0\"", mnt.string()});
        child_process probe(probe_argv, base / "probe.log");
        eventually([&] { return !probe.running(); }, 10s);
        const auto st = probe.exit_status();
        if (!st || !WIFEXITED(*st) || WEXITSTATUS(*st) != 0) {
            WARN("skipped: cannot mount a tmpfs in a private mount namespace here: "
                 << read_file(base / "probe.log"));
            return;
        }
    }
    constexpr std::uint64_t resume_at = 4U << 20U;
    fake_smsc carrier(drill_carrier_options());
    daemon_process gw([&](const daemon_ports& p, const std::filesystem::path&) {
        auto toml = drill_toml(p, mnt, carrier.port());  // the store inside the tmpfs
        const std::string batch = "sync = \"batch\"";
        toml.replace(toml.find(batch), batch.size(),
                     fmt::format("sync = \"{}\"\nresume_min_free_bytes = {}\n"
                                 "write_buffer_total_bytes = 4194304",
                                 mode, resume_at));
        return toml;
    });
    auto wrapper = unshare;
    wrapper.insert(wrapper.end(),
                   {"mount -t tmpfs -o size=48m smppgw-drill \"$0\" && exec \"$@\"", mnt.string()});
    gw.wrap_with(wrapper);
    gw.start();
    REQUIRE(gw.wait_ready());
    // The daemon's view of the mount point.
    const auto fs = std::filesystem::path("/proc") / std::to_string(gw.pid()) / "root" /
                    mnt.relative_path();
    const auto filler = fs / "filler";
    REQUIRE(std::filesystem::exists(fs / "store"));

    upstream_load load({.port = gw.smpp_port(), .tag = "tf", .rate = 150, .window = 16});
    load.start();
    std::this_thread::sleep_for(1s);
    const auto free_before = std::filesystem::space(fs).available;
    // Everything but 512 KiB goes to the filler: the traffic fills the rest. The daemon writes
    // meanwhile, so the free space read may be gone by the time of the fallocate: then read it
    // again and ask for less. The store also frees room by itself (a flush lets RocksDB delete
    // a WAL, a checkpoint trims the journal) and resumes: so while "full" the filler is topped
    // up again, as a disk that stays full would be.
    const int filler_fd = ::open(filler.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    REQUIRE(filler_fd >= 0);
    auto fill = [&] {
        int rc = ENOSPC;
        for (int attempt = 0; attempt < 20 && rc == ENOSPC; ++attempt) {
            const auto free = std::filesystem::space(fs).available;
            const auto keep = static_cast<std::uintmax_t>(512U << 10U) * (attempt + 1U);
            if (free <= keep) {
                return true;
            }
            struct stat st {};
            if (::fstat(filler_fd, &st) != 0) {
                return false;
            }
            rc = ::posix_fallocate(filler_fd, st.st_size, static_cast<off_t>(free - keep));
        }
        return rc == 0;
    };
    REQUIRE(fill());
    const auto t_filled = steady::now();
    const bool refusing = eventually(
        [&] { return http_get(gw.admin_port(), "/readyz").status == 503; }, 30s, 50ms);
    const auto t_refusing = steady::now();
    // The metrics of the full store: taken while refused, the filler topped up before each try.
    std::string m_full;
    const bool full_seen = eventually(
        [&] {
            fill();
            m_full = gw.metrics();
            return metric_value(m_full, "smppgw_store_writable") == 0;
        },
        10s, 50ms);
    for (int i = 0; i < 10; ++i) {
        fill();
        std::this_thread::sleep_for(100ms);
    }
    const bool alive_while_full = gw.running();
    ::close(filler_fd);
    std::filesystem::remove(filler);
    const auto t_freed = steady::now();
    const bool ready = eventually(
        [&] { return http_get(gw.admin_port(), "/readyz").status == 200; }, 20s, 50ms);
    const auto t_ready = steady::now();
    std::this_thread::sleep_for(2s);
    load.stop();
    const auto l = settle(load, carrier);
    const bool all_receipts = load.wait_receipts(l.ok_ids, 60s);
    const auto log = gw.log_text();
    const auto sent = load.submits();
    std::size_t syserr = 0;
    for (const auto& s : sent) {
        syserr += s.status == smpp::status::ESME_RSYSERR ? 1 : 0;
    }
    std::printf(
        "tmpfs drill (sync = %s): writes refused %.0f ms after the fill, ready %.0f ms after the room came "
        "back; %zu submits, %zu ESME_ROK, %zu ESME_RSYSERR, refused %s; %zu of %zu accepted "
        "reached the carrier; free bytes while full %.0f\n",
        mode.c_str(), ms_between(t_filled, t_refusing), ms_between(t_freed, t_ready), l.submitted, l.ok,
        syserr, l.refused_text().c_str(), l.ok - l.missing(), l.ok,
        metric_value(m_full, "smppgw_store_free_bytes"));
    INFO(log.substr(log.size() > 6000 ? log.size() - 6000 : 0));
    CHECK(refusing);
    CHECK(alive_while_full);
    CHECK(full_seen);
    // The metric shows the room gone (RocksDB may have deleted a WAL or two since the last
    // top-up, so not necessarily below the resume threshold).
    CHECK(metric_value(m_full, "smppgw_store_free_bytes") < static_cast<double>(free_before) / 4);
    CHECK(log.find(fmt::format("writes resume once {} bytes are free", resume_at)) !=
          std::string::npos);
    CHECK(ready);
    CHECK(gw.running());
    CHECK(log.find("store writes work again") != std::string::npos);
    CHECK(log.find("Assertion") == std::string::npos);
    CHECK(log.find("fatal signal") == std::string::npos);
    CHECK(syserr > 0);
    CHECK(l.missing() == 0);
    CHECK(all_receipts);
}
