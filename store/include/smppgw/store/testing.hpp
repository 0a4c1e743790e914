#pragma once
// Test hooks. Production code leaves store_options::fault empty.

#include <atomic>
#include <cstdint>

namespace smppgw::store {

// While armed, every append, flush or sync of a file the store's RocksDB instance writes fails
// with IOStatus::NoSpace and the file system reports no free space: a full disk, as RocksDB
// sees it (creating files still works, as it usually does on a full ext4/xfs).
class write_fault {
public:
    void arm() noexcept { armed_.store(true, std::memory_order_release); }
    void disarm() noexcept { armed_.store(false, std::memory_order_release); }
    [[nodiscard]] bool armed() const noexcept { return armed_.load(std::memory_order_acquire); }

    void count_injected() noexcept { injected_.fetch_add(1, std::memory_order_relaxed); }
    [[nodiscard]] std::uint64_t injected() const noexcept {
        return injected_.load(std::memory_order_relaxed);
    }

private:
    std::atomic<bool> armed_{false};
    std::atomic<std::uint64_t> injected_{0};
};

}  // namespace smppgw::store
