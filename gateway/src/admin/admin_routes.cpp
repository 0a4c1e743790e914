#include "admin/admin_routes.hpp"

#include <prometheus/text_serializer.h>
#include <boost/json/serialize.hpp>

#include "daemon/core.hpp"

namespace smppgw::gateway {
namespace {

namespace http = boost::beast::http;
namespace json = boost::json;

std::vector<std::string> split_path(std::string_view path) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= path.size()) {
        const auto slash = path.find('/', start);
        const auto part =
            path.substr(start, slash == std::string_view::npos ? path.npos : slash - start);
        if (!part.empty()) {
            out.emplace_back(part);
        }
        if (slash == std::string_view::npos) {
            break;
        }
        start = slash + 1;
    }
    return out;
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

std::string percent_decode(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size() && hex_digit(s[i + 1]) >= 0 &&
            hex_digit(s[i + 2]) >= 0) {
            out.push_back(static_cast<char>(hex_digit(s[i + 1]) * 16 + hex_digit(s[i + 2])));
            i += 2;
        } else if (s[i] == '+') {
            out.push_back(' ');
        } else {
            out.push_back(s[i]);
        }
    }
    return out;
}

}  // namespace

std::string admin_request::body() const {
    std::string out;
    char chunk[16 * 1024];
    for (;;) {
        const std::size_t n = read_body(chunk, sizeof chunk);
        if (n == 0) {
            return out;
        }
        if (out.size() + n > max_body) {
            throw std::length_error("request body too large");
        }
        out.append(chunk, n);
    }
}

http_response json_response(unsigned status, const json::value& body, bool keep_alive) {
    http_response res{static_cast<http::status>(status), 11};
    res.set(http::field::content_type, "application/json");
    res.body() = json::serialize(body);
    res.body().push_back('\n');
    res.keep_alive(keep_alive);
    return res;
}

http_response error_response(unsigned status, std::string_view message, bool keep_alive) {
    json::object o;
    o["error"] = message;
    return json_response(status, o, keep_alive);
}

admin_router::admin_router(core& c) : core_(c) {
    register_admin_routes(*this, c);
}

void admin_router::add(std::string method, std::string pattern, bool needs_token, handler h) {
    auto segments = split_path(pattern);
    routes_.push_back(
        {std::move(method), std::move(pattern), std::move(segments), needs_token, std::move(h)});
}

http_response admin_router::handle(const admin_request& r) const {
    const auto q = r.target.find('?');
    const std::string_view path = std::string_view(r.target).substr(0, q);
    route_match m;
    if (q != std::string::npos) {
        std::string_view query = std::string_view(r.target).substr(q + 1);
        while (!query.empty()) {
            const auto amp = query.find('&');
            const auto pair = query.substr(0, amp);
            const auto eq = pair.find('=');
            m.query[percent_decode(pair.substr(0, eq))] =
                eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1));
            query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
        }
    }
    const auto segments = split_path(path);
    std::string allowed;  // methods of the routes whose pattern matches the path
    for (const auto& candidate : routes_) {
        if (candidate.segments.size() != segments.size()) {
            continue;
        }
        m.params.clear();
        bool match = true;
        for (std::size_t i = 0; i < segments.size() && match; ++i) {
            const auto& s = candidate.segments[i];
            if (s.size() > 2 && s.front() == '{' && s.back() == '}') {
                m.params[s.substr(1, s.size() - 2)] = percent_decode(segments[i]);
            } else {
                match = s == segments[i];
            }
        }
        if (!match) {
            continue;
        }
        if (candidate.method != r.method) {
            if (allowed.find(candidate.method) == std::string::npos) {
                allowed += allowed.empty() ? candidate.method : ", " + candidate.method;
            }
            continue;
        }
        if (candidate.needs_token && !r.authorized) {
            auto res = error_response(401, "missing or wrong bearer token", r.keep_alive);
            res.set(http::field::www_authenticate, "Bearer");
            return res;
        }
        try {
            auto res = candidate.h(r, m);
            res.keep_alive(res.keep_alive() && r.keep_alive);
            return res;
        } catch (const api_error& e) {
            return error_response(e.status(), e.what(), r.keep_alive);
        } catch (const body_read_error& e) {
            return error_response(400, e.what(), false);
        } catch (const std::length_error& e) {
            return error_response(413, e.what(), false);
        } catch (const std::exception& e) {
            return error_response(500, e.what(), false);
        }
    }
    if (!allowed.empty()) {
        auto res = error_response(
            405, r.method + " is not allowed on " + std::string(path) + "; allowed: " + allowed,
            r.keep_alive);
        res.set(http::field::allow, allowed);
        return res;
    }
    return error_response(404, "no such endpoint: " + std::string(path), r.keep_alive);
}

}  // namespace smppgw::gateway
