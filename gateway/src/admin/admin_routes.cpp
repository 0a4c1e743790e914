#include "admin/admin_routes.hpp"

#include <prometheus/text_serializer.h>
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include "daemon/core.hpp"

namespace smppgw::gateway {
namespace {

namespace http = boost::beast::http;
namespace json = boost::json;

// A route pattern's segments ("/v1/optouts/{brand}/{msisdn}"); patterns are ours and clean.
std::vector<std::string> pattern_segments(std::string_view pattern) {
    std::vector<std::string> out;
    while (!pattern.empty()) {
        const auto slash = pattern.find('/');
        if (slash != 0) {
            out.emplace_back(pattern.substr(0, slash));
        }
        if (slash == std::string_view::npos) {
            break;
        }
        pattern.remove_prefix(slash + 1);
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
    auto segments = pattern_segments(pattern);
    routes_.push_back(
        {std::move(method), std::move(pattern), std::move(segments), needs_token, std::move(h)});
}

http_response admin_router::handle(const admin_request& r) const {
    // The path as RFC 3986 reads it: every segment percent-decoded on its own, '+' a plus sign
    // (a brand "a+b" is not "a b"), and empty segments kept, so "//v1/binds" is not another
    // spelling of "/v1/binds". The query keeps the HTML form convention ('+' is a space) that
    // clients encode it with. The absolute form ("http://host/v1/binds") is accepted too, as
    // RFC 9112 §3.2.2 asks of servers.
    auto target = boost::urls::parse_origin_form(r.target);
    if (!target) {
        target = boost::urls::parse_absolute_uri(r.target);
    }
    if (!target) {
        return error_response(400, "bad request target: " + r.target, r.keep_alive);
    }
    const std::string path(target->encoded_path());
    route_match m;
    for (const auto& param : target->params()) {
        m.query[param.key] = param.value;
    }
    std::vector<std::string> segments;
    for (const auto& segment : target->segments()) {
        segments.push_back(segment);
    }
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
                m.params[s.substr(1, s.size() - 2)] = segments[i];
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
            405, r.method + " is not allowed on " + path + "; allowed: " + allowed, r.keep_alive);
        res.set(http::field::allow, allowed);
        return res;
    }
    return error_response(404, "no such endpoint: " + path, r.keep_alive);
}

}  // namespace smppgw::gateway
