#pragma once
// Admin API routes: one table of (method, path pattern, handler). Handlers get the path
// parameters, query string and a pull-style body reader (so imports stream), and return a JSON
// response. Errors are 4xx with {"error": "..."}; nothing is half-applied.

#include <cstddef>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/value.hpp>

namespace smppgw::gateway {

class core;

struct admin_request {
    std::string method;
    std::string target;  // path and query
    std::string content_type;
    bool keep_alive = true;
    bool authorized = false;
    // Reads up to `capacity` body bytes into `out`; 0 at the end. Throws on a broken stream.
    std::function<std::size_t(char* out, std::size_t capacity)> read_body;
    std::size_t max_body = 0;  // for handlers that read the whole body

    // The whole body, at most max_body bytes (else std::length_error).
    [[nodiscard]] std::string body() const;
};

using http_response = boost::beast::http::response<boost::beast::http::string_body>;

// Thrown by a handler (or its helpers) to answer `status` with {"error": what()}. Handlers throw
// it only before they write anything, so an error never leaves a request half-applied.
class api_error : public std::runtime_error {
public:
    api_error(unsigned status, const std::string& message)
        : std::runtime_error(message), status_(status) {}
    [[nodiscard]] unsigned status() const noexcept { return status_; }

private:
    unsigned status_;
};

// The request body could not be read (client gone, timeout, server stopping): 400, close.
class body_read_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct route_match {
    std::map<std::string, std::string, std::less<>> params;  // {name} segments
    std::map<std::string, std::string, std::less<>> query;
};

class admin_router {
public:
    explicit admin_router(core& c);

    [[nodiscard]] http_response handle(const admin_request& r) const;

    using handler = std::function<http_response(const admin_request&, const route_match&)>;
    void add(std::string method, std::string pattern, bool needs_token, handler h);

private:
    struct route {
        std::string method;
        std::string pattern;
        std::vector<std::string> segments;  // "{name}" captures
        bool needs_token;
        handler h;
    };
    core& core_;
    std::vector<route> routes_;
};

// Helpers for handlers.
[[nodiscard]] http_response json_response(unsigned status, const boost::json::value& body,
                                          bool keep_alive = true);
[[nodiscard]] http_response error_response(unsigned status, std::string_view message,
                                           bool keep_alive = true);

// Registers every route (admin_api.cpp).
void register_admin_routes(admin_router& router, core& c);

}  // namespace smppgw::gateway
