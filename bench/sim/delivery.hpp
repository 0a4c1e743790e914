#pragma once
// A deliver_sm the simulator owes an ESME: a delivery receipt or an MO message. Fixed-size and
// trivially copyable so queues of them are plain memory, with no per-entry allocation.

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "sim/sim_config.hpp"
#include "smppgw/smpp/receipt.hpp"

namespace smppgw::bench::sim {

template <std::size_t N>
struct fixed_text {
    std::array<char, N> data;
    std::uint8_t size = 0;

    void assign(std::string_view s) noexcept {
        size = static_cast<std::uint8_t>(std::min(s.size(), N));
        std::memcpy(data.data(), s.data(), size);
    }
    [[nodiscard]] std::string_view view() const noexcept { return {data.data(), size}; }
};

struct delivery {
    enum class kind : std::uint8_t { receipt, mo };

    kind what = kind::receipt;
    smpp::message_state state = smpp::message_state::delivered;
    receipt_variant variant = receipt_variant::canonical;
    std::uint16_t err = 0;
    std::int64_t submit_unix_s = 0;
    fixed_text<40> message_id;  // receipts; the simulator's ids are at most 36 characters
    fixed_text<20> source;      // receipts: the handset (original destination); MO: the sender
    fixed_text<20> destination;
    fixed_text<70> text;  // receipts: first 20 characters of the message; MO: the message
};

// A growable ring buffer (FIFO). Unlike std::deque it keeps its memory when drained, so a
// steady stream of receipts costs no allocation once the ring is large enough.
template <typename T>
class ring_queue {
public:
    [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
    [[nodiscard]] std::size_t size() const noexcept { return size_; }

    void push_back(const T& v) {
        if (size_ == buf_.size()) {
            grow();
        }
        buf_[(head_ + size_) & (buf_.size() - 1)] = v;
        ++size_;
    }
    // Puts a failed delivery back at the front: it was the oldest.
    void push_front(const T& v) {
        if (size_ == buf_.size()) {
            grow();
        }
        head_ = (head_ + buf_.size() - 1) & (buf_.size() - 1);
        buf_[head_] = v;
        ++size_;
    }
    T& front() noexcept { return buf_[head_]; }
    void pop_front() noexcept {
        head_ = (head_ + 1) & (buf_.size() - 1);
        --size_;
    }

private:
    void grow() {
        std::vector<T> bigger(std::max<std::size_t>(64, buf_.size() * 2));
        for (std::size_t i = 0; i < size_; ++i) {
            bigger[i] = buf_[(head_ + i) & (buf_.size() - 1)];
        }
        buf_.swap(bigger);
        head_ = 0;
    }

    std::vector<T> buf_;
    std::size_t head_ = 0;
    std::size_t size_ = 0;
};

}  // namespace smppgw::bench::sim
