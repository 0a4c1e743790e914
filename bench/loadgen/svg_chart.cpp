#include "loadgen/svg_chart.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include <fmt/format.h>

namespace smppgw::bench::loadgen {
namespace {

constexpr double width = 960;
constexpr double panel_height = 240;
constexpr double left = 80;
constexpr double right = 20;
constexpr double top = 50;
constexpr double gap = 60;
constexpr double plot_width = width - left - right;

struct series {
    std::string name;
    std::string colour;
    std::function<double(const second_sample&)> value;
};

std::string escape(std::string_view s) {
    std::string out;
    for (char c : s) {
        switch (c) {
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '&':
                out += "&amp;";
                break;
            case '"':
                out += "&quot;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

std::string format_tick(double v) {
    if (v >= 1e6) {
        return fmt::format("{:g}M", v / 1e6);
    }
    if (v >= 1e4) {
        return fmt::format("{:g}k", v / 1e3);
    }
    return fmt::format("{:g}", v);
}

// One panel: axes, grid, ticks, a polyline per series, a legend.
void panel(std::string& out, const std::vector<second_sample>& samples, double y0,
           const std::string& title, const std::string& unit, const std::vector<series>& lines) {
    double max_v = 0;
    for (const auto& s : samples) {
        for (const auto& l : lines) {
            max_v = std::max(max_v, l.value(s));
        }
    }
    const double step = nice_step(max_v > 0 ? max_v : 1, 5);
    const double y_max = std::max(step, std::ceil((max_v > 0 ? max_v : 1) / step) * step);
    const double x_max = samples.empty() ? 1 : static_cast<double>(samples.back().second + 1);
    const double x_step = nice_step(x_max, 10);
    const auto x_of = [&](double t) { return left + plot_width * t / x_max; };
    const auto y_of = [&](double v) { return y0 + panel_height - panel_height * v / y_max; };

    out += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"14\" font-weight=\"bold\">{}</text>\n",
                       left, y0 - 12, escape(title));
    for (double v = 0; v <= y_max + step / 2; v += step) {
        const double y = y_of(v);
        out += fmt::format(
            "<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#ddd\"/>\n",
            left, y, left + plot_width, y);
        out += fmt::format(
            "<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"11\" text-anchor=\"end\">{}</text>\n",
            left - 6, y + 4, format_tick(v));
    }
    for (double t = 0; t <= x_max + x_step / 2; t += x_step) {
        const double x = x_of(t);
        out += fmt::format(
            "<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#eee\"/>\n", x,
            y0, x, y0 + panel_height);
        out += fmt::format(
            "<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"11\" text-anchor=\"middle\">{}s</text>\n",
            x, y0 + panel_height + 16, format_tick(t));
    }
    out += fmt::format(
        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#888\"/>\n",
        left, y0, plot_width, panel_height);
    out += fmt::format(
        "<text x=\"{}\" y=\"{}\" font-size=\"11\" transform=\"rotate(-90 {} {})\" "
        "text-anchor=\"middle\">{}</text>\n",
        18, y0 + panel_height / 2, 18, y0 + panel_height / 2, escape(unit));

    double legend_x = left + plot_width;
    for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
        const double w = 14 + 7.0 * static_cast<double>(it->name.size());
        legend_x -= w + 16;
        out += fmt::format(
            "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"10\" height=\"10\" fill=\"{}\"/>"
            "<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"12\">{}</text>\n",
            legend_x, y0 - 22, it->colour, legend_x + 14, y0 - 13, escape(it->name));
    }
    for (const auto& l : lines) {
        std::string points;
        for (const auto& s : samples) {
            // Plot each second's value at the middle of its second.
            points += fmt::format("{:.1f},{:.1f} ", x_of(static_cast<double>(s.second) + 0.5),
                                  y_of(l.value(s)));
        }
        out += fmt::format(
            "<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\" points=\"{}\"/>\n",
            l.colour, points);
    }
}

}  // namespace

double nice_step(double max, int ticks) {
    if (!(max > 0) || ticks <= 0) {
        return 1;
    }
    const double raw = max / ticks;
    const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    const double fraction = raw / magnitude;
    double nice = 10;
    if (fraction <= 1) {
        nice = 1;
    } else if (fraction <= 2) {
        nice = 2;
    } else if (fraction <= 5) {
        nice = 5;
    }
    return nice * magnitude;
}

std::string render_svg(const run_report& r) {
    const double height = top + 2 * panel_height + gap + 50;
    std::string out = fmt::format(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} "
        "{}\" font-family=\"sans-serif\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
        width, height, width, height);
    const std::string heading = fmt::format(
        "smppgw-bench{} — {} {} binds x window {} -> {}, receipts {}, {:.0f} submits/s avg",
        r.label.empty() ? "" : " [" + r.label + "]", r.binds, r.bind_mode, r.window, r.target,
        r.receipts_requested ? "on" : "off", r.submits_per_second());
    out +=
        fmt::format("<text x=\"{}\" y=\"20\" font-size=\"13\">{}</text>\n", left, escape(heading));

    std::vector<series> rates = {
        {"submits/s", "#1f77b4", [](const second_sample& s) { return double(s.submits); }},
        {"responses/s", "#2ca02c", [](const second_sample& s) { return double(s.responses); }},
    };
    std::vector<series> latency = {
        {"p99 submit->resp", "#d62728", [](const second_sample& s) { return s.response_p99_ms; }},
    };
    if (r.receipts_requested) {
        rates.push_back(
            {"receipts/s", "#ff7f0e", [](const second_sample& s) { return double(s.receipts); }});
        latency.push_back({"p99 submit->receipt", "#9467bd",
                           [](const second_sample& s) { return s.receipt_p99_ms; }});
    }
    if (std::any_of(r.timeline.begin(), r.timeline.end(),
                    [](const second_sample& s) { return s.errors > 0; })) {
        rates.push_back(
            {"errors/s", "#7f7f7f", [](const second_sample& s) { return double(s.errors); }});
    }
    panel(out, r.timeline, top + 20, "Throughput per second", "per second", rates);
    panel(out, r.timeline, top + 20 + panel_height + gap, "p99 latency per second", "ms", latency);
    out += "</svg>\n";
    return out;
}

}  // namespace smppgw::bench::loadgen
