#pragma once
// What the SMSC face (listeners, upstream connections) uses of the rest of the gateway: the
// composition root (daemon/core) fills it once; the northbound components hold a reference.

#include <memory>
#include <mutex>
#include <vector>

#include <boost/asio/thread_pool.hpp>

#include "infra/snapshot.hpp"
#include "smppgw/gateway/config.hpp"

namespace smppgw::store {
class store;
}

namespace smppgw::gateway {

class account_registry;
class acceptance;
class io_pool;
class metrics;
class outbox_relay;
class router;
class upstream_connection;

// Every upstream connection, for the admin API's bind list, account removal and shutdown.
// Thread rule: any thread, under its mutex.
class connection_registry {
public:
    void opened(const std::shared_ptr<upstream_connection>& c);
    void closed(const upstream_connection& c);
    [[nodiscard]] std::vector<std::shared_ptr<upstream_connection>> all() const;

private:
    mutable std::mutex mutex_;
    std::vector<std::weak_ptr<upstream_connection>> connections_;
};

struct northbound_services {
    const snapshot<config>& cfg;
    account_registry& accounts;
    acceptance& acceptor;
    router& routes;
    store::store& db;
    outbox_relay& outbox;
    metrics& stats;
    io_pool& io;
    boost::asio::thread_pool& auth_pool;
    connection_registry& connections;
};

}  // namespace smppgw::gateway
