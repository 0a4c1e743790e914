#pragma once
// The typed batch builder: everything one logical step of the gateway writes, applied
// atomically (one RocksDB WriteBatch) by store::commit.
//
//   store::batch b;
//   b.put_optout(rec);
//   b.put_audit(decision);
//   st.commit(std::move(b), [](std::error_code ec) { ... });
//
// Message transitions do not go through a batch: they are journal records (live_state); a
// batch can ride along with one (journal::append's `extra`) when it must be atomic with it.
//
// Building a batch does the encoding work on the caller's thread and never touches the
// database. Invalid input (a key string that is empty where a key needs it, contains a NUL
// byte or is longer than max_key_part) is remembered: the batch then commits nothing and its
// callback gets store_errc::invalid_argument.


#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

#include "smppgw/policy/records.hpp"
#include "smppgw/store/message_record.hpp"
#include "smppgw/store/records.hpp"
#include "smppgw/store/traffic.hpp"

namespace smppgw::store {

namespace detail {
struct batch_access;
}

class batch {
public:
    static constexpr std::size_t max_key_part = 512;

    batch() = default;
    batch(batch&&) noexcept = default;
    batch& operator=(batch&&) noexcept = default;
    batch(const batch&) = delete;
    batch& operator=(const batch&) = delete;
    ~batch() = default;

    // --- messages ---------------------------------------------------------------------------
    // Writes the whole record of a finished message (the materializer's row, an import).
    void put_message(const message_record& rec);

    // carrier_ids: (carrier, normalized carrier message id) -> (id, part).
    void map_carrier_id(std::string_view carrier, std::string_view carrier_message_id,
                        message_id id, std::uint16_t part);

    // --- opt-outs -------------------------------------------------------------------------
    // Stores the full record (a STOPALL uses brand policy::all_brands) and appends a put event
    // to the opt-out history. Opt-outs never expire.
    void put_optout(const policy::optout_record& rec);
    // Removes the opt-out for (brand, msisdn) and appends a lift event to the history.
    void lift_optout(std::string_view brand, std::string_view msisdn, time_point when,
                     policy::record_source source, std::string_view reference);

    // --- consents -------------------------------------------------------------------------
    // Appends the event (with its proof) and folds it into the current state for
    // (brand, msisdn, class): the event with the latest effective time wins, where effective
    // time = max(granted, double_opt_in, revoked); ties go to the later commit. Importing old
    // evidence therefore never overrides a newer revocation.
    void put_consent(const policy::consent_record& rec);

    // --- review holds ---------------------------------------------------------------------
    // An ambiguous STOP holds promotional traffic of the brand to the number until an operator
    // or a clear keyword releases it.
    void put_hold(const policy::hold_record& rec);
    void release_hold(std::string_view brand, std::string_view msisdn);

    // --- frequency ------------------------------------------------------------------------
    // Counts one (promotional) send for (brand, msisdn) at `when`. The gateway counts a send
    // when it accepts the message (store::reserve_send), so concurrent submits cannot pass a
    // cap together.
    void record_send(std::string_view brand, std::string_view msisdn, time_point when);
    // Gives back the send counted at `when`: the message finally failed or was cancelled.
    void release_send(std::string_view brand, std::string_view msisdn, time_point when);

    // --- audit ----------------------------------------------------------------------------
    // Stored under its time with a secondary (msisdn, time) index entry.
    void put_audit(const audit_record& rec);

    // --- traffic statistics (traffic.hpp) ---------------------------------------------------
    // Adds `n` to the counter of `measure` for `key` in the UTC hour holding `when`.
    void count_traffic(const traffic_key& key, traffic_measure measure, time_point when,
                       std::uint64_t n = 1);

    // --- side records -----------------------------------------------------------------------
    // A small key-value space for components above the store whose own state must commit
    // atomically with the store's (the cluster keeps its unpublished compliance changes and its
    // mirror positions here, in the same batch as the records they describe). `owner` names
    // the component; neither part may be empty or hold a NUL byte.
    void put_side_record(std::string_view owner, std::string_view key, std::string_view value);
    void erase_side_record(std::string_view owner, std::string_view key);

    // --- introspection --------------------------------------------------------------------
    [[nodiscard]] bool empty() const noexcept { return count_ == 0 && !error_; }
    [[nodiscard]] std::size_t operations() const noexcept { return count_; }
    [[nodiscard]] std::size_t byte_size() const noexcept { return ops_.size(); }
    [[nodiscard]] std::error_code error() const noexcept { return error_; }
    void clear() noexcept;

private:
    friend struct detail::batch_access;

    bool check_key_part(std::string_view part, bool allow_empty = false);
    void add(std::uint8_t cf, std::uint8_t kind, std::string_view key, std::string_view value);

    std::string ops_;  // encoded operation log, see store/src/batch_ops.hpp
    std::size_t count_ = 0;
    std::error_code error_;
    std::string scratch_;  // reused encoding buffer (values)
    std::string key_scratch_;
};

}  // namespace smppgw::store
