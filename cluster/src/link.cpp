#include "link.hpp"

#include <stdexcept>

#include "log.hpp"

namespace smppgw::cluster::detail {

std::string describe(natsStatus s) {
    std::string text = natsStatus_GetText(s);
    natsStatus last = NATS_OK;
    if (const char* detail = nats_GetLastError(&last); detail != nullptr && *detail != '\0') {
        text += ": ";
        text += detail;
    }
    return text;
}

namespace {

void check(natsStatus s, std::string_view what) {
    if (s != NATS_OK) {
        throw std::runtime_error(fmt::format("cluster: {}: {}", what, describe(s)));
    }
}

}  // namespace

link::link(const options& o, std::function<void(bool up)> on_change)
    : opts_(o), on_change_(std::move(on_change)) {}

link::~link() {
    close();
    if (js_ != nullptr) {
        jsCtx_Destroy(js_);
    }
    if (nc_ != nullptr) {
        natsConnection_Destroy(nc_);
    }
    if (nopts_ != nullptr) {
        natsOptions_Destroy(nopts_);
    }
}

void link::start() {
    // Subscriptions share a small pool of delivery threads instead of one thread each: an
    // account feed per bound account would otherwise cost a thread per account.
    check(nats_Open(-1), "nats_Open");
    check(nats_SetMessageDeliveryPoolSize(2), "delivery pool");
    check(natsOptions_Create(&nopts_), "options");
    std::vector<const char*> servers;
    servers.reserve(opts_.servers.size());
    for (const auto& s : opts_.servers) {
        servers.push_back(s.c_str());
    }
    check(natsOptions_SetServers(nopts_, servers.data(), static_cast<int>(servers.size())),
          "servers");
    check(natsOptions_SetName(nopts_, ("smppgw " + opts_.node).c_str()), "name");
    check(natsOptions_UseGlobalMessageDelivery(nopts_, true), "delivery");
    // Never give up: a node without NATS serves in degraded mode and catches up when it returns.
    check(natsOptions_SetMaxReconnect(nopts_, -1), "reconnect");
    check(natsOptions_SetReconnectWait(nopts_, 250), "reconnect wait");
    check(natsOptions_SetReconnectJitter(nopts_, 100, 500), "reconnect jitter");
    check(natsOptions_SetTimeout(nopts_, 2000), "connect timeout");
    // Pings find a dead server a TCP connection does not notice (kill -9 of a peer on another
    // host): two missed pings at 2 s.
    check(natsOptions_SetPingInterval(nopts_, 2000), "ping interval");
    check(natsOptions_SetMaxPingsOut(nopts_, 2), "pings out");
    // What is published while disconnected waits here (bounded) and goes out on reconnect;
    // its owner also retries it when the acknowledgement does not come in time.
    check(natsOptions_SetReconnectBufSize(nopts_, 4 << 20), "reconnect buffer");
    check(natsOptions_SetDisconnectedCB(nopts_, &link::on_disconnected, this), "callbacks");
    check(natsOptions_SetReconnectedCB(nopts_, &link::on_reconnected, this), "callbacks");
    check(natsOptions_SetClosedCB(nopts_, &link::on_closed, this), "callbacks");
    check(natsOptions_SetErrorHandler(nopts_, &link::on_error, this), "callbacks");
    check(natsOptions_SetRetryOnFailedConnect(nopts_, true, &link::on_connected, this),
          "retry on failed connect");
    if (!opts_.credentials_file.empty()) {
        check(natsOptions_SetUserCredentialsFromFiles(nopts_, opts_.credentials_file.c_str(),
                                                      nullptr),
              "credentials_file");
    }
    if (opts_.tls.enabled) {
        check(natsOptions_SetSecure(nopts_, true), "tls");
        if (!opts_.tls.ca_file.empty()) {
            check(natsOptions_LoadCATrustedCertificates(nopts_, opts_.tls.ca_file.c_str()),
                  "tls.ca_file");
        }
        if (!opts_.tls.certificate.empty()) {
            check(natsOptions_LoadCertificatesChain(nopts_, opts_.tls.certificate.c_str(),
                                                    opts_.tls.private_key.c_str()),
                  "tls.certificate");
        }
        if (!opts_.tls.server_name.empty()) {
            check(natsOptions_SetExpectedHostname(nopts_, opts_.tls.server_name.c_str()),
                  "tls.server_name");
        }
    }
    const auto s = natsConnection_Connect(&nc_, nopts_);
    if (s != NATS_OK && s != NATS_NOT_YET_CONNECTED) {
        check(s, "connect");
    }
    jsOptions jo;
    check(jsOptions_Init(&jo), "jetstream options");
    jo.Wait = opts_.write_timeout.count();
    jo.PublishAsync.AckHandler = &link::on_pub_ack;
    jo.PublishAsync.AckHandlerClosure = this;
    jo.PublishAsync.MaxPending = 65536;
    jo.PublishAsync.StallWait = 50;
    check(natsConnection_JetStream(&js_, nc_, &jo), "jetstream");
    if (s == NATS_OK) {
        set_up(true);
    }
}

void link::close() {
    if (closing_.exchange(true) || nc_ == nullptr) {
        return;
    }
    natsConnection_Close(nc_);
    set_up(false);
}

void link::set_up(bool up) {
    const bool was = up_.exchange(up, std::memory_order_acq_rel);
    if (was != up && on_change_ && !(up && closing_.load())) {
        on_change_(up);
    }
}

void link::on_connected(natsConnection*, void* self) {
    static_cast<link*>(self)->set_up(true);
}

void link::on_reconnected(natsConnection*, void* self) {
    auto* l = static_cast<link*>(self);
    l->reconnects_.fetch_add(1, std::memory_order_relaxed);
    l->set_up(true);
}

void link::on_disconnected(natsConnection*, void* self) {
    static_cast<link*>(self)->set_up(false);
}

void link::on_closed(natsConnection*, void* self) {
    static_cast<link*>(self)->set_up(false);
}

void link::on_error(natsConnection*, natsSubscription*, natsStatus err, void*) {
    log(log_level::warn, "NATS reported an asynchronous error: {}", natsStatus_GetText(err));
}

bool link::publish(const std::string& subject, std::string_view data, publish_done done,
                   std::chrono::milliseconds max_wait, const headers& h) {
    if (js_ == nullptr || closing_.load()) {
        return false;
    }
    natsMsg* raw = nullptr;
    if (natsMsg_Create(&raw, subject.c_str(), nullptr, data.data(), static_cast<int>(data.size())) !=
        NATS_OK) {
        return false;
    }
    for (const auto& [k, v] : h) {
        (void)natsMsgHeader_Set(raw, k.c_str(), v.c_str());
    }
    {
        std::lock_guard lock(pending_mu_);
        pending_.emplace(raw, std::move(done));
    }
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MaxWait = max_wait.count();
    natsMsg* handed = raw;
    const auto s = js_PublishMsgAsync(js_, &handed, &po);
    if (s != NATS_OK) {
        // Not taken (disconnected, too many in flight): nats.c left the message with us.
        std::lock_guard lock(pending_mu_);
        pending_.erase(raw);
        natsMsg_Destroy(handed);
        return false;
    }
    return true;
}

void link::on_pub_ack(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* self) {
    auto* l = static_cast<link*>(self);
    publish_done done;
    {
        std::lock_guard lock(l->pending_mu_);
        const auto it = l->pending_.find(msg);
        if (it != l->pending_.end()) {
            done = std::move(it->second);
            l->pending_.erase(it);
        }
    }
    published result;
    if (pa != nullptr) {
        result.ok = true;
        result.sequence = pa->Sequence;
        result.duplicate = pa->Duplicate;
    } else if (pae != nullptr) {
        result.error = pae->ErrText != nullptr ? pae->ErrText : natsStatus_GetText(pae->Err);
    }
    natsMsg_Destroy(msg);  // ours once the ack handler has it
    if (done) {
        done(result);
    }
}

std::string link::connected_url() const {
    if (nc_ == nullptr || !up()) {
        return {};
    }
    char buf[256] = {};
    if (natsConnection_GetConnectedUrl(nc_, buf, sizeof buf) != NATS_OK) {
        return {};
    }
    return buf;
}

std::chrono::microseconds link::rtt() const {
    int64_t ns = 0;
    if (nc_ == nullptr || !up() || natsConnection_GetRTT(nc_, &ns) != NATS_OK) {
        return std::chrono::microseconds{0};
    }
    return std::chrono::microseconds{ns / 1000};
}

std::size_t link::publishes_in_flight() const {
    std::lock_guard lock(pending_mu_);
    return pending_.size();
}

}  // namespace smppgw::cluster::detail
