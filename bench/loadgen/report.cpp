#include "loadgen/report.hpp"

#include <fstream>

#include <fmt/format.h>

namespace smppgw::bench::loadgen {
namespace {

double ms(std::uint64_t ns) {
    return static_cast<double>(ns) / 1e6;
}

std::string json_escape(std::string_view s) {
    std::string out;
    out.reserve(s.size() + 2);
    out += '"';
    for (char c : s) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
                } else {
                    out += c;
                }
        }
    }
    out += '"';
    return out;
}

// JSON has no NaN/Inf; our numbers are finite, but guard anyway.
std::string num(double v) {
    if (!(v == v) || v > 1e300 || v < -1e300) {
        return "0";
    }
    return fmt::format("{:.3f}", v);
}

std::string latency_json(const latency_summary& l) {
    return fmt::format(
        "{{\"count\": {}, \"p50\": {}, \"p90\": {}, \"p99\": {}, \"p99_9\": {}, \"max\": {}, "
        "\"mean\": {}}}",
        l.count, num(l.p50_ms), num(l.p90_ms), num(l.p99_ms), num(l.p999_ms), num(l.max_ms),
        num(l.mean_ms));
}

std::string map_json(const std::map<std::string, std::uint64_t>& m) {
    std::string out = "{";
    bool first = true;
    for (const auto& [k, v] : m) {
        out += fmt::format("{}{}: {}", first ? "" : ", ", json_escape(k), v);
        first = false;
    }
    return out + "}";
}

std::string latency_row(std::string_view name, const latency_summary& l) {
    if (l.count == 0) {
        return fmt::format("  {:<18}{:>10}\n", name, "-");
    }
    return fmt::format("  {:<18}{:>10.2f}{:>10.2f}{:>10.2f}{:>10.2f}{:>10.2f}{:>10.2f}{:>11}\n",
                       name, l.p50_ms, l.p90_ms, l.p99_ms, l.p999_ms, l.max_ms, l.mean_ms, l.count);
}

}  // namespace

latency_summary summarize(const histogram& h) {
    latency_summary s;
    s.count = h.count();
    s.p50_ms = ms(h.value_at_quantile(0.50));
    s.p90_ms = ms(h.value_at_quantile(0.90));
    s.p99_ms = ms(h.value_at_quantile(0.99));
    s.p999_ms = ms(h.value_at_quantile(0.999));
    s.max_ms = ms(h.max());
    s.mean_ms = h.mean() / 1e6;
    return s;
}

std::string format_table(const run_report& r) {
    std::string out;
    out += fmt::format(
        "smppgw-bench{}: {} {} bind(s) ({} connections) x window {} -> {}, {}, "
        "receipts {}, {} thread(s)\n",
        r.label.empty() ? "" : " [" + r.label + "]", r.binds, r.bind_mode, r.connections, r.window,
        r.target,
        r.target_rate > 0 ? fmt::format("rate {:g}/s", r.target_rate)
                          : std::string("rate unlimited"),
        r.receipts_requested ? "on" : "off", r.threads);
    out += fmt::format("  started {} (load avg {:.2f} -> {:.2f})\n\n", r.started_at,
                       r.loadavg_start, r.loadavg_end);
    out += fmt::format("  {:<18}{:>12}{:>12}\n", "", "count", "per second");
    out += fmt::format("  {:<18}{:>12}\n", "messages", r.messages);
    out += fmt::format("  {:<18}{:>12}{:>12.1f}\n", "submits", r.submits, r.submits_per_second());
    out += fmt::format("  {:<18}{:>12}{:>12.1f}\n", "responses", r.responses,
                       r.responses_per_second());
    out += fmt::format("  {:<18}{:>12}\n", "  ok", r.responses_ok);
    out += fmt::format("  {:<18}{:>12}\n", "  errors", r.errors);
    if (r.receipts_requested) {
        out += fmt::format("  {:<18}{:>12}{:>12.1f}\n", "receipts matched", r.receipts_matched,
                           r.receipts_per_second());
        out += fmt::format("  {:<18}{:>12}\n", "  expected", r.receipts_expected);
        out += fmt::format("  {:<18}{:>12}\n", "  received", r.receipts_received);
        if (r.receipts_intermediate > 0) {
            out += fmt::format("  {:<18}{:>12}\n", "  intermediate", r.receipts_intermediate);
        }
        if (r.receipts_unmatched > 0) {
            out += fmt::format("  {:<18}{:>12}\n", "  unmatched", r.receipts_unmatched);
        }
        if (!r.drain_complete) {
            out += fmt::format(
                "  {:<18}{:>12}  (drain timed out)\n", "  missing",
                r.receipts_expected - std::min(r.receipts_expected, r.receipts_matched));
        }
    }
    if (r.mo_received > 0) {
        out += fmt::format("  {:<18}{:>12}\n", "MO received", r.mo_received);
    }
    if (r.reconnects > 0) {
        out += fmt::format("  {:<18}{:>12}\n", "reconnects", r.reconnects);
    }
    out += fmt::format("  send phase {:.2f} s, with receipt drain {:.2f} s\n\n", r.send_seconds,
                       r.total_seconds);

    out += fmt::format("  {:<18}{:>10}{:>10}{:>10}{:>10}{:>10}{:>10}{:>11}\n", "latency (ms)",
                       "p50", "p90", "p99", "p99.9", "max", "mean", "count");
    out += latency_row("submit -> resp", r.response_latency);
    if (r.receipts_requested) {
        out += latency_row("submit -> receipt", r.receipt_latency);
    }
    if (!r.errors_by_status.empty()) {
        out += "\n  errors by status:";
        for (const auto& [k, v] : r.errors_by_status) {
            out += fmt::format(" {}={}", k, v);
        }
        out += '\n';
    }
    if (!r.receipts_by_state.empty()) {
        out += "  receipts by state:";
        for (const auto& [k, v] : r.receipts_by_state) {
            out += fmt::format(" {}={}", k, v);
        }
        out += '\n';
    }
    if (r.optout_sent > 0) {
        out += fmt::format("  opt-out destinations: {} sent, {} rejected\n", r.optout_sent,
                           r.optout_rejected);
    }
    if (r.promo_sent > 0) {
        out += fmt::format("  promotional (MKT): {} of {} messages\n", r.promo_sent, r.messages);
    }
    const double per_million =
        r.submits > 0 ? r.usage.cpu_seconds() * 1e6 / static_cast<double>(r.submits) : 0;
    out +=
        fmt::format("  generator: cpu {:.2f} s ({:.1f} s per million submits), peak rss {} MiB\n",
                    r.usage.cpu_seconds(), per_million, r.usage.max_rss_kib / 1024);
    return out;
}

std::string format_json(const run_report& r) {
    std::string out = "{\n";
    out += fmt::format("  \"label\": {},\n", json_escape(r.label));
    out += fmt::format("  \"started_at\": {},\n", json_escape(r.started_at));
    out += fmt::format(
        "  \"config\": {{\"target\": {}, \"bind_mode\": {}, \"binds\": {}, \"connections\": {}, "
        "\"window\": {}, \"threads\": {}, \"target_rate\": {}, \"receipts\": {}}},\n",
        json_escape(r.target), json_escape(r.bind_mode), r.binds, r.connections, r.window,
        r.threads, num(r.target_rate), r.receipts_requested ? "true" : "false");
    out += fmt::format("  \"send_seconds\": {},\n  \"total_seconds\": {},\n", num(r.send_seconds),
                       num(r.total_seconds));
    out += fmt::format(
        "  \"counts\": {{\"messages\": {}, \"submits\": {}, \"responses\": {}, \"responses_ok\": "
        "{}, \"errors\": {}, \"receipts_expected\": {}, \"receipts_received\": {}, "
        "\"receipts_matched\": {}, \"receipts_intermediate\": {}, \"receipts_unmatched\": {}, "
        "\"mo_received\": {}, \"reconnects\": {}, \"optout_sent\": {}, \"optout_rejected\": {}, "
        "\"promo_sent\": {}}},\n",
        r.messages, r.submits, r.responses, r.responses_ok, r.errors, r.receipts_expected,
        r.receipts_received, r.receipts_matched, r.receipts_intermediate, r.receipts_unmatched,
        r.mo_received, r.reconnects, r.optout_sent, r.optout_rejected, r.promo_sent);
    out += fmt::format("  \"drain_complete\": {},\n", r.drain_complete ? "true" : "false");
    out += fmt::format(
        "  \"throughput\": {{\"submits_per_s\": {}, \"responses_per_s\": {}, \"receipts_per_s\": "
        "{}}},\n",
        num(r.submits_per_second()), num(r.responses_per_second()), num(r.receipts_per_second()));
    out += fmt::format("  \"latency_ms\": {{\"submit_resp\": {}, \"submit_receipt\": {}}},\n",
                       latency_json(r.response_latency), latency_json(r.receipt_latency));
    out += fmt::format("  \"errors_by_status\": {},\n", map_json(r.errors_by_status));
    out += fmt::format("  \"receipts_by_state\": {},\n", map_json(r.receipts_by_state));
    out += fmt::format(
        "  \"process\": {{\"cpu_user_s\": {}, \"cpu_system_s\": {}, \"max_rss_kib\": {}}},\n",
        num(r.usage.user_seconds), num(r.usage.system_seconds), r.usage.max_rss_kib);
    out += fmt::format("  \"loadavg\": {{\"start\": {}, \"end\": {}}},\n", num(r.loadavg_start),
                       num(r.loadavg_end));
    out += "  \"timeline\": [";
    for (std::size_t i = 0; i < r.timeline.size(); ++i) {
        const auto& s = r.timeline[i];
        out += fmt::format(
            "{}\n    {{\"t\": {}, \"submits\": {}, \"responses\": {}, \"errors\": {}, "
            "\"receipts\": "
            "{}, \"resp_p50_ms\": {}, \"resp_p99_ms\": {}, \"resp_max_ms\": {}, "
            "\"receipt_p50_ms\": {}, \"receipt_p99_ms\": {}}}",
            i == 0 ? "" : ",", s.second, s.submits, s.responses, s.errors, s.receipts,
            num(s.response_p50_ms), num(s.response_p99_ms), num(s.response_max_ms),
            num(s.receipt_p50_ms), num(s.receipt_p99_ms));
    }
    out += r.timeline.empty() ? "]\n" : "\n  ]\n";
    out += "}\n";
    return out;
}

double read_loadavg() {
    std::ifstream in("/proc/loadavg");
    double v = 0;
    in >> v;
    return in ? v : 0;
}

}  // namespace smppgw::bench::loadgen
