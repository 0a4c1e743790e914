#pragma once
// The simulator: a listening socket, one shard per thread, and the small amount of state the
// shards share — which shard has a receiver bound for which system_id (so receipts queued on one
// thread can reach a receiver on another), and the record file.

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "common/io_pool.hpp"
#include "sim/recorder.hpp"
#include "sim/shard.hpp"
#include "sim/sim_config.hpp"

namespace smppgw::bench::sim {

class smsc_server {
public:
    using clock = std::chrono::steady_clock;

    smsc_server(sim_config config, io_pool& pool);
    ~smsc_server();

    // Opens the listener (throws on failure: startup) and starts accepting and the shards.
    void start();
    [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
    // Stops accepting and unbinds every session; the caller stops the pool after a grace period.
    void shutdown();
    [[nodiscard]] std::string stats_line() const;

    [[nodiscard]] const sim_config& config() const noexcept { return config_; }
    [[nodiscard]] recorder& records() noexcept { return recorder_; }
    [[nodiscard]] clock::time_point origin() const noexcept { return origin_; }
    [[nodiscard]] std::uint64_t id_base() const noexcept { return id_base_; }
    [[nodiscard]] std::size_t shard_count() const noexcept { return shards_.size(); }
    [[nodiscard]] shard& shard_at(std::size_t i) noexcept { return *shards_[i]; }

    // Receiver directory, touched on bind/close and by shards with undeliverable queues.
    void receiver_added(const std::string& system_id, std::size_t shard_index);
    void receiver_removed(const std::string& system_id, std::size_t shard_index);
    [[nodiscard]] std::optional<std::size_t> shard_with_receiver(const std::string& system_id,
                                                                 std::size_t exclude);
    [[nodiscard]] std::vector<std::string> receiver_system_ids();

private:
    void accept_next();

    sim_config config_;
    io_pool& pool_;
    clock::time_point origin_;
    std::uint64_t id_base_;
    recorder recorder_;
    std::vector<std::unique_ptr<shard>> shards_;
    boost::asio::ip::tcp::acceptor acceptor_;
    std::uint16_t port_ = 0;
    std::size_t next_shard_ = 0;

    std::mutex directory_mutex_;
    std::unordered_map<std::string, std::vector<std::uint32_t>> receivers_;  // per shard count
};

}  // namespace smppgw::bench::sim
