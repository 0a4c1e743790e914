#pragma once

// Reassembly of concatenated mobile-originated messages (SMPP.md §9.4): parts carrying a UDH
// concatenation element (IE 0x00 or 0x08) or the three sar_* TLVs are grouped by
// (source, destination, scheme, reference, total) and released as one payload once every part is
// in. Memory is bounded and incomplete groups are handed back (never silently dropped) when they
// time out or are evicted, so the caller can forward their parts as they came. Pure: no clock, no
// I/O; the caller passes "now" from a steady clock.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <vector>

namespace smppgw::smpp {

enum class concat_scheme : std::uint8_t { udh_8bit, udh_16bit, sar };

// One received deliver_sm / data_sm, as raw field values. Spans and views are only read during
// reassembler::add().
struct incoming_part {
    std::string_view source_addr;
    std::string_view destination_addr;
    std::uint8_t esm_class = 0;
    std::uint8_t data_coding = 0;
    // short_message, or the message_payload value when that carried the content.
    std::span<const std::uint8_t> short_message;
    std::optional<std::uint16_t> sar_msg_ref_num;
    std::optional<std::uint8_t> sar_total_segments;
    std::optional<std::uint8_t> sar_segment_seqnum;
};

// A part kept as it arrived, so an incomplete group can be forwarded unchanged.
struct buffered_part {
    std::uint8_t seqnum = 0;
    std::uint8_t esm_class = 0;
    std::uint8_t data_coding = 0;
    std::vector<std::uint8_t> short_message;  // UDH included when esm_class has 0x40
};

struct reassembled_message {
    std::string source_addr;
    std::string destination_addr;
    concat_scheme scheme = concat_scheme::udh_8bit;
    std::uint16_t reference = 0;
    std::uint8_t total = 0;
    std::uint8_t esm_class = 0;      // part 1's, with 0x40 cleared: the payload has no header
    std::uint8_t data_coding = 0;    // part 1's
    bool mixed_data_coding = false;  // parts disagreed; payload is still the plain concatenation
    // Part 1's UDH elements other than concatenation, raw (IEI, length, data)..., e.g. ports or a
    // national language shift the text must be read with.
    std::vector<std::uint8_t> other_ies;
    // Every part's content without its UDH, in sequence order.
    std::vector<std::uint8_t> payload;
};

enum class release_reason : std::uint8_t { expired, evicted };

struct incomplete_group {
    release_reason reason = release_reason::expired;
    std::string source_addr;
    std::string destination_addr;
    concat_scheme scheme = concat_scheme::udh_8bit;
    std::uint16_t reference = 0;  // for SAR, re-send with sar_msg_ref_num = reference
    std::uint8_t total = 0;
    std::chrono::steady_clock::time_point first_seen;
    std::vector<buffered_part> parts;  // the parts received, in sequence order
};

enum class reassembly_status : std::uint8_t {
    not_concatenated,  // no usable concatenation info: forward the part as it is
    malformed,         // UDHI set but the header overruns the message (`ec`): reject or forward
    too_large,         // the part alone exceeds max_buffered_bytes: forward it as it is
    buffered,          // kept, waiting for more parts
    duplicate,         // this sequence number was already buffered; the part was ignored
    complete,          // `message` holds the reassembled message
};

struct reassembly_result {
    reassembly_status status = reassembly_status::not_concatenated;
    std::error_code ec;
    std::optional<reassembled_message> message;
    // Groups evicted, oldest first, to make room for this part. Forward their parts as they are.
    std::vector<incomplete_group> evicted;
};

struct reassembly_limits {
    std::size_t max_groups = 10'000;
    // Counted as the octets of buffered short_message values plus the two addresses per group.
    std::size_t max_buffered_bytes = 8 * 1024 * 1024;
    // Measured from a group's first part; operators expect all parts within minutes.
    std::chrono::steady_clock::duration timeout = std::chrono::minutes(3);
};

struct reassembly_stats {
    std::uint64_t completed = 0;
    std::uint64_t duplicates = 0;
    std::uint64_t expired_groups = 0;
    std::uint64_t evicted_groups = 0;
};

class reassembler {
public:
    using clock = std::chrono::steady_clock;

    explicit reassembler(reassembly_limits limits = {});

    // Takes one part. Not thread-safe: one reassembler per strand or behind the caller's lock.
    [[nodiscard]] reassembly_result add(const incoming_part& part, clock::time_point now);

    // Releases every group whose first part is at least `timeout` old at `now`, oldest first.
    [[nodiscard]] std::vector<incomplete_group> expire(clock::time_point now);

    // When the oldest group times out, for scheduling the next expire() call.
    [[nodiscard]] std::optional<clock::time_point> next_deadline() const noexcept;

    [[nodiscard]] std::size_t pending_groups() const noexcept { return groups_.size(); }
    [[nodiscard]] std::size_t buffered_bytes() const noexcept { return buffered_bytes_; }
    [[nodiscard]] const reassembly_stats& stats() const noexcept { return stats_; }
    [[nodiscard]] const reassembly_limits& limits() const noexcept { return limits_; }

private:
    struct group_key {
        std::string source;
        std::string destination;
        concat_scheme scheme;
        std::uint16_t reference;
        std::uint8_t total;
    };
    struct key_view {
        std::string_view source;
        std::string_view destination;
        concat_scheme scheme;
        std::uint16_t reference;
        std::uint8_t total;
    };
    struct key_hash {
        using is_transparent = void;
        std::size_t operator()(const key_view& k) const noexcept;
        std::size_t operator()(const group_key& k) const noexcept;
    };
    struct key_equal {
        using is_transparent = void;
        bool operator()(const key_view& a, const key_view& b) const noexcept;
        bool operator()(const group_key& a, const key_view& b) const noexcept;
        bool operator()(const key_view& a, const group_key& b) const noexcept;
        bool operator()(const group_key& a, const group_key& b) const noexcept;
    };
    struct group {
        group_key key;
        clock::time_point first_seen;
        std::vector<buffered_part> parts;  // indexed by seqnum - 1; empty bytes = not received
        std::vector<bool> received;
        std::size_t received_count = 0;
        std::size_t bytes = 0;
    };
    using group_list = std::list<group>;  // arrival order of first parts: oldest at the front

    static key_view view_of(const group_key& k) noexcept;
    incomplete_group release(group_list::iterator it, release_reason reason);

    reassembly_limits limits_;
    group_list order_;
    std::unordered_map<group_key, group_list::iterator, key_hash, key_equal> groups_;
    std::size_t buffered_bytes_ = 0;
    reassembly_stats stats_;
};

}  // namespace smppgw::smpp
