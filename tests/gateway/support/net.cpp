#include "support/net.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <boost/json/parse.hpp>

#include "smppgw/smpp/codec.hpp"

namespace smppgw::test {
namespace {

using steady = std::chrono::steady_clock;

int remaining_ms(steady::time_point deadline) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now());
    return static_cast<int>(std::max<std::int64_t>(0, left.count()));
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

}  // namespace

// ---- tcp ------------------------------------------------------------------------------------

tcp_connection::tcp_connection(std::uint16_t port, std::chrono::milliseconds timeout) {
    const auto deadline = steady::now() + timeout;
    for (;;) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd_ < 0) {
            throw std::runtime_error("socket() failed");
        }
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
            const int one = 1;
            ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            return;
        }
        ::close(fd_);
        fd_ = -1;
        if (steady::now() >= deadline) {
            throw std::runtime_error("cannot connect to 127.0.0.1:" + std::to_string(port));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

tcp_connection::~tcp_connection() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

bool tcp_connection::write_all(const void* data, std::size_t n, std::chrono::milliseconds timeout) {
    const auto deadline = steady::now() + timeout;
    const auto* p = static_cast<const char*>(data);
    while (n > 0) {
        pollfd pfd{fd_, POLLOUT, 0};
        const int r = ::poll(&pfd, 1, remaining_ms(deadline));
        if (r == 0) {
            throw std::runtime_error("write timed out");
        }
        if (r < 0 && errno == EINTR) {
            continue;
        }
        const auto w = ::send(fd_, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0) {
            if (errno == EAGAIN || errno == EINTR) {
                continue;
            }
            return false;  // EPIPE / ECONNRESET: the peer is gone
        }
        p += w;
        n -= static_cast<std::size_t>(w);
    }
    return true;
}

std::size_t tcp_connection::read_some(void* out, std::size_t capacity,
                                      std::chrono::milliseconds timeout) {
    const auto deadline = steady::now() + timeout;
    for (;;) {
        pollfd pfd{fd_, POLLIN, 0};
        const int r = ::poll(&pfd, 1, remaining_ms(deadline));
        if (r == 0) {
            throw std::runtime_error("read timed out");
        }
        if (r < 0 && errno == EINTR) {
            continue;
        }
        const auto n = ::recv(fd_, out, capacity, MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) {
                continue;
            }
            if (errno == ECONNRESET) {
                return 0;
            }
            throw std::runtime_error(std::string("recv: ") + std::strerror(errno));
        }
        return static_cast<std::size_t>(n);
    }
}

// ---- http -----------------------------------------------------------------------------------

boost::json::value http_reply::json() const {
    return boost::json::parse(body);
}

std::string http_reply::header(const std::string& name) const {
    const auto it = headers.find(lower(name));
    return it == headers.end() ? std::string() : it->second;
}

namespace {

std::string request_head(const http_client& c, const std::string& method, const std::string& target,
                         const std::string& content_type,
                         const std::vector<std::pair<std::string, std::string>>& extra) {
    std::string head = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    head += "Connection: close\r\n";
    if (!c.token.empty()) {
        head += "Authorization: Bearer " + c.token + "\r\n";
    }
    if (!content_type.empty()) {
        head += "Content-Type: " + content_type + "\r\n";
    }
    for (const auto& [k, v] : extra) {
        head += k + ": " + v + "\r\n";
    }
    return head;
}

http_reply read_reply(tcp_connection& conn, std::chrono::milliseconds timeout) {
    std::string data;
    char buf[64 * 1024];
    std::size_t header_end = std::string::npos;
    for (;;) {
        header_end = data.find("\r\n\r\n");
        if (header_end != std::string::npos) {
            // Skip interim responses (100 Continue).
            if (data.rfind("HTTP/1.1 1", 0) == 0) {
                data.erase(0, header_end + 4);
                continue;
            }
            break;
        }
        const auto n = conn.read_some(buf, sizeof buf, timeout);
        if (n == 0) {
            throw std::runtime_error("connection closed before a response: " + data);
        }
        data.append(buf, n);
    }
    http_reply reply;
    std::istringstream head(data.substr(0, header_end));
    std::string line;
    std::getline(head, line);
    if (line.size() < 12) {
        throw std::runtime_error("bad status line: " + line);
    }
    reply.status = std::stoi(line.substr(9, 3));
    while (std::getline(head, line)) {
        if (!line.empty() && line.back() == '\r') {
            line.pop_back();
        }
        const auto colon = line.find(':');
        if (colon == std::string::npos) {
            continue;
        }
        auto value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(' '));
        reply.headers[lower(line.substr(0, colon))] = value;
    }
    reply.body = data.substr(header_end + 4);
    const auto length_text = reply.header("content-length");
    const std::size_t length = length_text.empty() ? 0 : std::stoul(length_text);
    while (reply.body.size() < length) {
        const auto n = conn.read_some(buf, sizeof buf, timeout);
        if (n == 0) {
            throw std::runtime_error("connection closed inside the response body");
        }
        reply.body.append(buf, n);
    }
    reply.body.resize(length);
    return reply;
}

}  // namespace

http_reply http_client::request(const std::string& method, const std::string& target,
                                const std::string& body, const std::string& content_type,
                                std::vector<std::pair<std::string, std::string>> extra) const {
    tcp_connection conn(port, timeout);
    auto head = request_head(*this, method, target, body.empty() ? "" : content_type, extra);
    head += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
    head += body;
    (void)conn.write_all(head.data(), head.size(), timeout);
    return read_reply(conn, timeout);
}

http_reply http_client::raw(const std::string& bytes) const {
    tcp_connection conn(port, timeout);
    (void)conn.write_all(bytes.data(), bytes.size(), timeout);
    return read_reply(conn, timeout);
}

http_reply http_client::stream(const std::string& method, const std::string& target,
                               const std::string& content_type,
                               const std::function<std::string()>& next) const {
    tcp_connection conn(port, timeout);
    auto head = request_head(*this, method, target, content_type, {});
    head += "Transfer-Encoding: chunked\r\n\r\n";
    bool open = conn.write_all(head.data(), head.size(), timeout);
    while (open) {
        const auto chunk = next();
        std::ostringstream frame;
        frame << std::hex << chunk.size() << "\r\n" << chunk << "\r\n";
        const auto bytes = frame.str();
        // The server may answer early (an error) and stop reading: then read its answer.
        open = conn.write_all(bytes.data(), bytes.size(), timeout);
        if (chunk.empty()) {
            break;
        }
    }
    return read_reply(conn, timeout);
}

// ---- metrics --------------------------------------------------------------------------------

std::vector<metric_sample> parse_metrics(const std::string& text) {
    std::vector<metric_sample> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') {
            continue;
        }
        metric_sample s;
        std::size_t pos = line.find_first_of("{ ");
        s.name = line.substr(0, pos);
        if (pos != std::string::npos && line[pos] == '{') {
            ++pos;
            while (pos < line.size() && line[pos] != '}') {
                const auto eq = line.find('=', pos);
                const auto key = line.substr(pos, eq - pos);
                std::string value;
                std::size_t i = eq + 2;  // past ="
                for (; i < line.size() && line[i] != '"'; ++i) {
                    if (line[i] == '\\' && i + 1 < line.size()) {
                        ++i;
                    }
                    value.push_back(line[i]);
                }
                s.labels[key] = value;
                pos = i + 1;
                if (pos < line.size() && line[pos] == ',') {
                    ++pos;
                }
            }
            pos = line.find(' ', pos);
        }
        s.value = std::strtod(line.c_str() + pos + 1, nullptr);
        out.push_back(std::move(s));
    }
    return out;
}

double metric_sum(const std::vector<metric_sample>& samples, const std::string& name,
                  const std::map<std::string, std::string>& match) {
    double sum = 0;
    for (const auto& s : samples) {
        if (s.name != name) {
            continue;
        }
        bool ok = true;
        for (const auto& [k, v] : match) {
            const auto it = s.labels.find(k);
            ok = ok && it != s.labels.end() && it->second == v;
        }
        if (ok) {
            sum += s.value;
        }
    }
    return sum;
}

bool has_metric(const std::vector<metric_sample>& samples, const std::string& name) {
    return std::any_of(samples.begin(), samples.end(),
                       [&](const metric_sample& s) { return s.name == name; });
}

// ---- esme -----------------------------------------------------------------------------------

esme::esme(std::uint16_t port, std::chrono::milliseconds timeout)
    : conn_(port, timeout), timeout_(timeout) {}

void esme::send(const smpp::pdu& p) {
    std::vector<std::uint8_t> bytes;
    if (const auto ec = smpp::encode(p, bytes)) {
        throw std::runtime_error("encode: " + ec.message());
    }
    if (!conn_.write_all(bytes.data(), bytes.size(), timeout_)) {
        throw std::runtime_error("the gateway closed the SMPP connection");
    }
}

smpp::pdu esme::read_pdu() {
    for (;;) {
        if (!in_.empty()) {
            smpp::pdu p;
            const auto r = smpp::decode(in_, p);
            if (r.ok()) {
                in_.erase(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(r.consumed));
                return p;
            }
            if (!r.need_more()) {
                throw std::runtime_error("undecodable PDU from the gateway: " + r.error.message());
            }
        }
        std::uint8_t buf[16 * 1024];
        const auto n = conn_.read_some(buf, sizeof buf, timeout_);
        if (n == 0) {
            throw std::runtime_error("the gateway closed the SMPP connection");
        }
        in_.insert(in_.end(), buf, buf + n);
    }
}

void esme::handle_unsolicited(smpp::pdu& p) {
    const auto id = p.command_id();
    if (id == smpp::command_id::enquire_link) {
        send(smpp::make_response(p, smpp::status::ESME_ROK));
    } else if (id == smpp::command_id::deliver_sm) {
        send(smpp::make_response(p, smpp::status::ESME_ROK));
        deliveries_.push_back(std::move(p));
    } else if (id == smpp::command_id::unbind) {
        send(smpp::make_response(p, smpp::status::ESME_ROK));
    }
}

smpp::command_status esme::bind(const std::string& system_id, const std::string& password) {
    smpp::pdu p;
    p.sequence_number = next_seq_++;
    smpp::bind_transceiver b;
    (void)b.system_id.assign(system_id);
    (void)b.password.assign(password);
    p.body = b;
    send(p);
    for (;;) {
        auto r = read_pdu();
        if (r.command_id() == smpp::command_id::bind_transceiver_resp) {
            return r.command_status;
        }
        handle_unsolicited(r);
    }
}

smpp::pdu esme::make_submit(const std::string& destination, const std::string& text,
                            std::uint8_t registered_delivery, const std::string& service_type) {
    smpp::pdu p;
    p.sequence_number = next_seq_++;
    smpp::submit_sm s;
    (void)s.service_type.assign(service_type);
    s.source_addr_ton = 1;
    s.source_addr_npi = 1;
    (void)s.source_addr.assign("15550001000");
    s.dest_addr_ton = 1;
    s.dest_addr_npi = 1;
    if (!s.destination_addr.assign(destination) || !s.short_message.assign(text)) {
        throw std::invalid_argument("destination or text too long");
    }
    s.registered_delivery = registered_delivery;
    p.body = s;
    return p;
}

std::uint32_t esme::send_submit(const std::string& destination, const std::string& text,
                                std::uint8_t registered_delivery, const std::string& service_type) {
    auto p = make_submit(destination, text, registered_delivery, service_type);
    send(p);
    return p.sequence_number;
}

std::pair<std::uint32_t, esme::submit_result> esme::next_response() {
    for (;;) {
        auto r = read_pdu();
        if (r.command_id() == smpp::command_id::submit_sm_resp) {
            submit_result out;
            out.status = r.command_status;
            if (const auto* b = std::get_if<smpp::submit_sm_resp>(&r.body)) {
                out.message_id = std::string(b->message_id.view());
            }
            return {r.sequence_number, out};
        }
        if (r.command_id() == smpp::command_id::generic_nack) {
            return {r.sequence_number, submit_result{r.command_status, {}}};
        }
        handle_unsolicited(r);
    }
}

esme::submit_result esme::submit(const std::string& destination, const std::string& text,
                                 std::uint8_t registered_delivery,
                                 const std::string& service_type) {
    const auto seq = send_submit(destination, text, registered_delivery, service_type);
    for (;;) {
        auto [got, result] = next_response();
        if (got == seq) {
            return result;
        }
    }
}

void esme::wait_deliveries(std::size_t count) {
    while (deliveries_.size() < count) {
        auto p = read_pdu();
        handle_unsolicited(p);
    }
}

void esme::unbind() {
    smpp::pdu p;
    p.sequence_number = next_seq_++;
    p.body = smpp::unbind{};
    send(p);
    for (;;) {
        auto r = read_pdu();
        if (r.command_id() == smpp::command_id::unbind_resp) {
            return;
        }
        handle_unsolicited(r);
    }
}

}  // namespace smppgw::test
