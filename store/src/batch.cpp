#include "smppgw/store/batch.hpp"

#include "batch_ops.hpp"
#include "keys.hpp"
#include "message_codec.hpp"
#include "record_codec.hpp"
#include "smppgw/store/error.hpp"

namespace smppgw::store {

using detail::op_kind;

namespace {

constexpr auto cf_byte(column_family cf) noexcept {
    return static_cast<std::uint8_t>(cf);
}
constexpr auto kind_byte(op_kind k) noexcept {
    return static_cast<std::uint8_t>(k);
}

// Which message states keep an id in the pending index; see batch::set_state.
enum class pending_effect : std::uint8_t { add, remove, keep };

pending_effect pending_for(message_state s) noexcept {
    switch (s) {
        case message_state::accepted:
        case message_state::queued:
            return pending_effect::add;
        case message_state::enroute:
        case message_state::unknown:
            return pending_effect::keep;
        default:
            return pending_effect::remove;
    }
}

}  // namespace

bool batch::check_key_part(std::string_view part, bool allow_empty) {
    if ((part.empty() && !allow_empty) || part.size() > max_key_part ||
        part.find('\0') != std::string_view::npos) {
        if (!error_) {
            error_ = make_error_code(store_errc::invalid_argument);
        }
        return false;
    }
    return true;
}

void batch::add(std::uint8_t cf, std::uint8_t kind, std::string_view key, std::string_view value) {
    last_op_ = ops_.size();
    last_is_merge_ = false;
    detail::put_u8(ops_, cf);
    detail::put_u8(ops_, kind);
    detail::put_bytes(ops_, key);
    detail::put_bytes(ops_, value);
    ++count_;
}

void batch::clear() noexcept {
    ops_.clear();
    count_ = 0;
    last_is_merge_ = false;
    error_.clear();
}

void batch::merge_message(message_id id, std::string_view operand) {
    if (last_is_merge_ && last_merge_id_ == id) {
        // Re-read the previous operation's value, drop the operation and write it again with
        // both operands.
        detail::op_reader r{std::string_view{ops_}.substr(last_op_)};
        detail::op prev;
        if (r.next(prev)) {
            std::string combined{prev.value};
            combined.append(operand);
            ops_.resize(last_op_);
            --count_;
            detail::message_key(key_scratch_, id);
            add(cf_byte(column_family::messages), kind_byte(op_kind::merge), key_scratch_,
                combined);
            last_is_merge_ = true;
            last_merge_id_ = id;
            return;
        }
    }
    detail::message_key(key_scratch_, id);
    add(cf_byte(column_family::messages), kind_byte(op_kind::merge), key_scratch_, operand);
    last_is_merge_ = true;
    last_merge_id_ = id;
}

// --- messages ---------------------------------------------------------------------------------

void batch::put_message(const message_record& rec) {
    if (rec.parts.size() > detail::max_message_parts) {
        check_key_part({});  // records invalid_argument
        return;
    }
    detail::encode_message(rec, scratch_);
    detail::message_key(key_scratch_, rec.id);
    add(cf_byte(column_family::messages), kind_byte(op_kind::put), key_scratch_, scratch_);
    if (pending_for(rec.state) == pending_effect::add) {
        add(cf_byte(column_family::pending), kind_byte(op_kind::put), key_scratch_, {});
    }
}

void batch::set_state(message_id id, message_state state, time_point when) {
    scratch_.clear();
    detail::encode_state_op(scratch_, state, when);
    merge_message(id, scratch_);  // leaves the message key in key_scratch_
    switch (pending_for(state)) {
        case pending_effect::add:
            add(cf_byte(column_family::pending), kind_byte(op_kind::put), key_scratch_, {});
            break;
        case pending_effect::remove:
            add(cf_byte(column_family::pending), kind_byte(op_kind::del), key_scratch_, {});
            break;
        case pending_effect::keep:
            break;
    }
}

void batch::set_part(message_id id, std::uint16_t part, message_state state, time_point when,
                     std::string_view carrier_message_id, std::uint32_t error) {
    if (part >= detail::max_message_parts || !check_key_part(carrier_message_id, true)) {
        check_key_part({});
        return;
    }
    scratch_.clear();
    detail::encode_part_op(scratch_, part, state, when, carrier_message_id, error);
    merge_message(id, scratch_);
}

void batch::set_carrier(message_id id, std::string_view carrier) {
    if (!check_key_part(carrier)) {
        return;
    }
    scratch_.clear();
    detail::encode_carrier_op(scratch_, carrier);
    merge_message(id, scratch_);
}

void batch::map_carrier_id(std::string_view carrier, std::string_view carrier_message_id,
                           message_id id, std::uint16_t part) {
    if (!check_key_part(carrier) || !check_key_part(carrier_message_id)) {
        return;
    }
    detail::encode_carrier_mapping(carrier_mapping{id, part}, scratch_);
    detail::carrier_key(key_scratch_, carrier, carrier_message_id);
    add(cf_byte(column_family::carrier_ids), kind_byte(op_kind::put), key_scratch_, scratch_);
}

void batch::part_submitted(message_id id, std::uint16_t part, std::string_view carrier,
                           std::string_view carrier_message_id, time_point when,
                           bool message_submitted) {
    if (!check_key_part(carrier) || !check_key_part(carrier_message_id) ||
        part >= detail::max_message_parts) {
        check_key_part({});
        return;
    }
    // One operand for all message changes: one merge entry instead of three.
    scratch_.clear();
    detail::encode_carrier_op(scratch_, carrier);
    detail::encode_part_op(scratch_, part, message_state::submitted, when, carrier_message_id, 0);
    if (message_submitted) {
        detail::encode_state_op(scratch_, message_state::submitted, when);
    }
    merge_message(id, scratch_);  // leaves the message key in key_scratch_
    if (message_submitted) {
        add(cf_byte(column_family::pending), kind_byte(op_kind::del), key_scratch_, {});
    }
    map_carrier_id(carrier, carrier_message_id, id, part);
}

// --- opt-outs ---------------------------------------------------------------------------------

void batch::put_optout(const policy::optout_record& rec) {
    if (!check_key_part(rec.brand) || !check_key_part(rec.msisdn)) {
        return;
    }
    detail::encode_optout(rec, scratch_);
    detail::optout_key(key_scratch_, rec.brand, rec.msisdn);
    add(cf_byte(column_family::optouts), kind_byte(op_kind::put), key_scratch_, scratch_);
    detail::encode_optout_history(detail::optout_history_kind::put, rec.when, rec.keyword,
                                  rec.source, rec.reference, scratch_);
    detail::optout_history_key(key_scratch_, rec.brand, rec.msisdn, rec.when, detail::next_uniq());
    add(cf_byte(column_family::optouts), kind_byte(op_kind::put), key_scratch_, scratch_);
}

void batch::lift_optout(std::string_view brand, std::string_view msisdn, time_point when,
                        policy::record_source source, std::string_view reference) {
    if (!check_key_part(brand) || !check_key_part(msisdn)) {
        return;
    }
    detail::optout_key(key_scratch_, brand, msisdn);
    add(cf_byte(column_family::optouts), kind_byte(op_kind::del), key_scratch_, {});
    detail::encode_optout_history(detail::optout_history_kind::lift, when, {}, source, reference,
                                  scratch_);
    detail::optout_history_key(key_scratch_, brand, msisdn, when, detail::next_uniq());
    add(cf_byte(column_family::optouts), kind_byte(op_kind::put), key_scratch_, scratch_);
}

// --- consents ---------------------------------------------------------------------------------

void batch::put_consent(const policy::consent_record& rec) {
    if (!check_key_part(rec.brand) || !check_key_part(rec.msisdn)) {
        return;
    }
    const auto uniq = detail::next_uniq();
    detail::encode_consent(rec, scratch_);
    detail::consent_event_key(key_scratch_, rec.brand, rec.msisdn, rec.klass,
                              detail::consent_effective_time(rec), uniq);
    add(cf_byte(column_family::consents), kind_byte(op_kind::put), key_scratch_, scratch_);
    detail::encode_consent_state(rec, uniq, scratch_);
    detail::consent_prefix(key_scratch_, detail::consent_state_tag, rec.brand, rec.msisdn,
                           rec.klass);
    add(cf_byte(column_family::consents), kind_byte(op_kind::merge), key_scratch_, scratch_);
}

// --- deferred ---------------------------------------------------------------------------------

void batch::put_deferred(time_point release, message_id id) {
    detail::deferred_key(key_scratch_, release, id);
    add(cf_byte(column_family::deferred), kind_byte(op_kind::put), key_scratch_, {});
}

void batch::remove_deferred(time_point release, message_id id) {
    detail::deferred_key(key_scratch_, release, id);
    add(cf_byte(column_family::deferred), kind_byte(op_kind::del), key_scratch_, {});
}

// --- outbox -----------------------------------------------------------------------------------

void batch::append_outbox(std::string_view account, outbox_kind kind, std::string_view bytes,
                          time_point created) {
    if (!check_key_part(account)) {
        return;
    }
    detail::encode_outbox_value(kind, created, bytes, scratch_);
    add(cf_byte(column_family::outbox), kind_byte(op_kind::outbox_append), account, scratch_);
}

void batch::ack_outbox(std::string_view account, std::uint64_t seq) {
    if (!check_key_part(account)) {
        return;
    }
    scratch_.clear();
    detail::put_be64(scratch_, seq);
    add(cf_byte(column_family::outbox), kind_byte(op_kind::outbox_ack), account, scratch_);
}

// --- frequency --------------------------------------------------------------------------------

void batch::record_send(std::string_view brand, std::string_view msisdn, time_point when) {
    if (!check_key_part(brand) || !check_key_part(msisdn)) {
        return;
    }
    detail::encode_send_times({when}, scratch_);
    detail::freq_key(key_scratch_, brand, msisdn);
    add(cf_byte(column_family::freq), kind_byte(op_kind::merge), key_scratch_, scratch_);
}

// --- audit ------------------------------------------------------------------------------------

void batch::put_audit(const audit_record& rec) {
    if (!check_key_part(rec.msisdn, true)) {
        return;
    }
    const auto uniq = detail::next_uniq();
    detail::encode_audit(rec, scratch_);
    detail::audit_time_key(key_scratch_, rec.when, rec.id, uniq);
    add(cf_byte(column_family::audit), kind_byte(op_kind::put), key_scratch_, scratch_);
    if (!rec.msisdn.empty()) {
        detail::audit_msisdn_key(key_scratch_, rec.msisdn, rec.when, rec.id, uniq);
        add(cf_byte(column_family::audit), kind_byte(op_kind::put), key_scratch_, {});
    }
}

}  // namespace smppgw::store
