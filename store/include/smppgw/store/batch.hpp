#pragma once
// The typed batch builder: everything one logical step of the gateway writes, applied
// atomically (one RocksDB WriteBatch) by store::commit.
//
//   store::batch b;
//   b.put_message(rec);
//   b.put_audit(decision);
//   st.commit(std::move(b), [](std::error_code ec) { ... });
//
// Building a batch does the encoding work on the caller's thread and never touches the
// database. Invalid input (a key string that is empty where a key needs it, contains a NUL
// byte or is longer than max_key_part) is remembered: the batch then commits nothing and its
// callback gets store_errc::invalid_argument.
//
// Hot-path operations are blind writes: state changes are merge operands, never
// read-modify-write.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

#include "smppgw/policy/records.hpp"
#include "smppgw/store/message_record.hpp"
#include "smppgw/store/records.hpp"

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

    // --- messages -------------------------------------------------------------------------
    // Writes the whole record. If rec.state is accepted or queued the id also enters the
    // pending index (recovery lists it until it is submitted).
    void put_message(const message_record& rec);

    // A message-level state event. Maintains the pending index: accepted/queued add the id;
    // deferred, submitted and every final state remove it; enroute and unknown (which only
    // follow a submission) leave it alone.
    void set_state(message_id id, message_state state, time_point when);

    // A per-part update; an empty carrier_message_id keeps the part's current one.
    void set_part(message_id id, std::uint16_t part, message_state state, time_point when,
                  std::string_view carrier_message_id = {}, std::uint32_t error = 0);

    void set_carrier(message_id id, std::string_view carrier);

    // carrier_ids: (carrier, normalized carrier message id) -> (id, part).
    void map_carrier_id(std::string_view carrier, std::string_view carrier_message_id,
                        message_id id, std::uint16_t part);

    // One carrier submit_sm_resp OK, as one atomic step: part `part` becomes submitted with its
    // carrier message id, the carrier is recorded, the carrier_ids mapping is written and, when
    // `message_submitted` (the last part went out), the message-level state becomes submitted
    // (which removes it from the pending index).
    void part_submitted(message_id id, std::uint16_t part, std::string_view carrier,
                        std::string_view carrier_message_id, time_point when,
                        bool message_submitted = true);

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

    // --- deferred -------------------------------------------------------------------------
    void put_deferred(time_point release, message_id id);
    void remove_deferred(time_point release, message_id id);

    // --- outbox ---------------------------------------------------------------------------
    // The store assigns the account's next sequence when the batch is committed (in commit
    // order, so sequences are increasing in durable order); store_options::on_outbox_append
    // reports it.
    void append_outbox(std::string_view account, outbox_kind kind, std::string_view bytes,
                       time_point created);
    void ack_outbox(std::string_view account, std::uint64_t seq);

    // --- frequency ------------------------------------------------------------------------
    // Counts one (promotional) send for (brand, msisdn) at `when`.
    void record_send(std::string_view brand, std::string_view msisdn, time_point when);

    // --- audit ----------------------------------------------------------------------------
    // Stored under its time with a secondary (msisdn, time) index entry.
    void put_audit(const audit_record& rec);

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
    // A messages merge; folded into the previous operation when that is a merge of the same
    // message (operands concatenate), so "part delivered + message delivered" is one entry.
    void merge_message(message_id id, std::string_view operand);

    std::string ops_;  // encoded operation log, see store/src/batch_ops.hpp
    std::size_t count_ = 0;
    std::size_t last_op_ = 0;       // where the last operation starts in ops_
    message_id last_merge_id_ = 0;  // valid when last_is_merge_
    bool last_is_merge_ = false;    // the last operation is a messages merge
    std::error_code error_;
    std::string scratch_;  // reused encoding buffer (values)
    std::string key_scratch_;
};

}  // namespace smppgw::store
