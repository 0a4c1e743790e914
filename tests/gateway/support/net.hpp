#pragma once
// Blocking loopback clients for the tests, on plain POSIX sockets with poll() deadlines: a
// minimal HTTP/1.1 client (Content-Length or streamed chunked bodies) and an SMPP ESME built on
// the project's codec. Every read and write has a deadline.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "smppgw/smpp/pdu.hpp"

namespace smppgw::test {

class tcp_connection {
public:
    tcp_connection(std::uint16_t port, std::chrono::milliseconds timeout);
    ~tcp_connection();
    tcp_connection(const tcp_connection&) = delete;
    tcp_connection& operator=(const tcp_connection&) = delete;

    // False when the peer closed or reset (the caller decides whether that is an error).
    bool write_all(const void* data, std::size_t n, std::chrono::milliseconds timeout);
    // Up to `capacity` bytes; 0 at EOF. Throws on timeout.
    std::size_t read_some(void* out, std::size_t capacity, std::chrono::milliseconds timeout);
    [[nodiscard]] int fd() const noexcept { return fd_; }

private:
    int fd_ = -1;
};

struct http_reply {
    int status = 0;
    std::map<std::string, std::string> headers;  // names lower-case
    std::string body;

    [[nodiscard]] boost::json::value json() const;
    [[nodiscard]] std::string header(const std::string& name) const;
};

struct http_client {
    std::uint16_t port = 0;
    std::string token;  // sent as "Authorization: Bearer <token>" when not empty
    std::chrono::milliseconds timeout{30'000};

    [[nodiscard]] http_reply request(
        const std::string& method, const std::string& target, const std::string& body = {},
        const std::string& content_type = "application/json",
        std::vector<std::pair<std::string, std::string>> extra = {}) const;
    // A chunked request body produced by `next` (an empty string ends it).
    [[nodiscard]] http_reply stream(const std::string& method, const std::string& target,
                                    const std::string& content_type,
                                    const std::function<std::string()>& next) const;
    [[nodiscard]] http_reply get(const std::string& target) const { return request("GET", target); }
    // Sends `bytes` as they are (request line, headers, body: whatever the test wrote) and
    // reads the answer.
    [[nodiscard]] http_reply raw(const std::string& bytes) const;
};

// Prometheus text format, parsed into series.
struct metric_sample {
    std::string name;
    std::map<std::string, std::string> labels;
    double value = 0;
};
[[nodiscard]] std::vector<metric_sample> parse_metrics(const std::string& text);
// The sum over every series of `name` whose labels include `match`.
[[nodiscard]] double metric_sum(const std::vector<metric_sample>& samples, const std::string& name,
                                const std::map<std::string, std::string>& match = {});
[[nodiscard]] bool has_metric(const std::vector<metric_sample>& samples, const std::string& name);

// A blocking SMPP client (transceiver) that answers enquire_link and deliver_sm itself and keeps
// the deliver_sm it received.
class esme {
public:
    esme(std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(20));

    smpp::command_status bind(const std::string& system_id, const std::string& password);

    struct submit_result {
        smpp::command_status status = 0;
        std::string message_id;
    };
    submit_result submit(const std::string& destination, const std::string& text,
                         std::uint8_t registered_delivery = 0,
                         const std::string& service_type = {});
    // Pipelined: send now, collect with next_response().
    std::uint32_t send_submit(const std::string& destination, const std::string& text,
                              std::uint8_t registered_delivery = 0,
                              const std::string& service_type = {});
    // The next submit_sm_resp (sequence, result); deliver_sm and enquire_link are handled.
    std::pair<std::uint32_t, submit_result> next_response();
    // Reads until `count` deliver_sm have arrived in total.
    void wait_deliveries(std::size_t count);
    void unbind();

    [[nodiscard]] const std::vector<smpp::pdu>& deliveries() const noexcept { return deliveries_; }

private:
    smpp::pdu read_pdu();
    void send(const smpp::pdu& p);
    void handle_unsolicited(smpp::pdu& p);
    smpp::pdu make_submit(const std::string& destination, const std::string& text,
                          std::uint8_t registered_delivery, const std::string& service_type);

    tcp_connection conn_;
    std::chrono::milliseconds timeout_;
    std::vector<std::uint8_t> in_;
    std::uint32_t next_seq_ = 1;
    std::vector<smpp::pdu> deliveries_;
};

}  // namespace smppgw::test
