#include "sim/smsc_server.hpp"

#include <fmt/format.h>
#include <boost/asio/post.hpp>

namespace smppgw::bench::sim {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

smsc_server::smsc_server(sim_config config, io_pool& pool)
    : config_(std::move(config)),
      pool_(pool),
      origin_(clock::now()),
      // Ids start from the wall clock (ms * 1000) so a restarted simulator never reuses one.
      id_base_(static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                              std::chrono::system_clock::now().time_since_epoch())
                                              .count()) *
               1000),
      acceptor_(pool.context(0)) {
    if (!config_.record_path.empty()) {
        recorder_.open(config_.record_path, config_.record_text);
    }
    for (std::size_t i = 0; i < pool_.size(); ++i) {
        shards_.push_back(std::make_unique<shard>(*this, i, pool_.size(), pool_.context(i)));
    }
}

smsc_server::~smsc_server() = default;

void smsc_server::start() {
    const auto address = asio::ip::make_address(config_.listen_host);
    const tcp::endpoint endpoint(address, config_.listen_port);
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(asio::socket_base::max_listen_connections);
    port_ = acceptor_.local_endpoint().port();
    for (auto& s : shards_) {
        asio::post(s->context(), [sh = s.get()] { sh->start(); });
    }
    asio::post(acceptor_.get_executor(), [this] { accept_next(); });
}

void smsc_server::accept_next() {
    shard& target = *shards_[next_shard_++ % shards_.size()];
    acceptor_.async_accept(
        target.context(), [this, &target](boost::system::error_code ec, tcp::socket socket) {
            if (ec == asio::error::operation_aborted || !acceptor_.is_open()) {
                return;
            }
            if (!ec) {
                asio::post(target.context(), [&target, s = std::move(socket)]() mutable {
                    target.adopt(std::move(s));
                });
            }
            accept_next();
        });
}

void smsc_server::shutdown() {
    asio::post(acceptor_.get_executor(), [this] {
        boost::system::error_code ignored;
        acceptor_.close(ignored);
    });
    for (auto& s : shards_) {
        asio::post(s->context(), [sh = s.get()] { sh->shutdown(); });
    }
}

std::string smsc_server::stats_line() const {
    std::vector<const sim_stats*> all;
    for (const auto& s : shards_) {
        all.push_back(&s->stats());
    }
    return format_stats_line(all);
}

void smsc_server::receiver_added(const std::string& system_id, std::size_t shard_index) {
    const std::lock_guard lock(directory_mutex_);
    auto& counts = receivers_[system_id];
    counts.resize(shards_.size());
    ++counts[shard_index];
}

void smsc_server::receiver_removed(const std::string& system_id, std::size_t shard_index) {
    const std::lock_guard lock(directory_mutex_);
    auto it = receivers_.find(system_id);
    if (it != receivers_.end() && it->second[shard_index] > 0) {
        --it->second[shard_index];
    }
}

std::optional<std::size_t> smsc_server::shard_with_receiver(const std::string& system_id,
                                                            std::size_t exclude) {
    const std::lock_guard lock(directory_mutex_);
    auto it = receivers_.find(system_id);
    if (it == receivers_.end()) {
        return std::nullopt;
    }
    for (std::size_t i = 0; i < it->second.size(); ++i) {
        if (i != exclude && it->second[i] > 0) {
            return i;
        }
    }
    return std::nullopt;
}

std::vector<std::string> smsc_server::receiver_system_ids() {
    const std::lock_guard lock(directory_mutex_);
    std::vector<std::string> out;
    for (const auto& [name, counts] : receivers_) {
        for (auto c : counts) {
            if (c > 0) {
                out.push_back(name);
                break;
            }
        }
    }
    return out;
}

}  // namespace smppgw::bench::sim
