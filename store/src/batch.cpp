#include "smppgw/store/batch.hpp"

#include "batch_ops.hpp"
#include "keys.hpp"
#include "message_codec.hpp"
#include "record_codec.hpp"
#include "smppgw/store/error.hpp"
#include "traffic_codec.hpp"

namespace smppgw::store {

using detail::op_kind;

namespace {

constexpr auto cf_byte(column_family cf) noexcept {
    return static_cast<std::uint8_t>(cf);
}
constexpr auto kind_byte(op_kind k) noexcept {
    return static_cast<std::uint8_t>(k);
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
    detail::put_u8(ops_, cf);
    detail::put_u8(ops_, kind);
    detail::put_bytes(ops_, key);
    detail::put_bytes(ops_, value);
    ++count_;
}

void batch::clear() noexcept {
    ops_.clear();
    count_ = 0;
    error_.clear();
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

// --- review holds -----------------------------------------------------------------------------

void batch::put_hold(const policy::hold_record& rec) {
    if (!check_key_part(rec.brand) || !check_key_part(rec.msisdn)) {
        return;
    }
    detail::encode_hold(rec, scratch_);
    detail::freq_key(key_scratch_, rec.brand, rec.msisdn);  // same brand \0 msisdn layout
    add(cf_byte(column_family::holds), kind_byte(op_kind::put), key_scratch_, scratch_);
}

void batch::release_hold(std::string_view brand, std::string_view msisdn) {
    if (!check_key_part(brand) || !check_key_part(msisdn)) {
        return;
    }
    detail::freq_key(key_scratch_, brand, msisdn);
    add(cf_byte(column_family::holds), kind_byte(op_kind::del), key_scratch_, {});
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

void batch::release_send(std::string_view brand, std::string_view msisdn, time_point when) {
    if (!check_key_part(brand) || !check_key_part(msisdn)) {
        return;
    }
    detail::encode_send_removal(when, scratch_);
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

// --- traffic statistics -----------------------------------------------------------------------

void batch::count_traffic(const traffic_key& key, traffic_measure measure, time_point when,
                          std::uint64_t n) {
    if (!check_key_part(key.account) || !check_key_part(key.brand) ||
        !check_key_part(key.campaign, true)) {
        return;
    }
    detail::encode_count(n, scratch_);
    detail::stats_key(key_scratch_, floor_hour(when), key.account, key.brand, key.campaign,
                      static_cast<std::uint8_t>(measure));
    add(cf_byte(column_family::stats), kind_byte(op_kind::merge), key_scratch_, scratch_);
}

// --- side records -----------------------------------------------------------------------------

void batch::put_side_record(std::string_view owner, std::string_view key, std::string_view value) {
    if (!check_key_part(owner) || !check_key_part(key)) {
        return;
    }
    detail::side_record_key(key_scratch_, owner, key);
    add(cf_byte(column_family::meta), kind_byte(op_kind::put), key_scratch_, value);
}

void batch::erase_side_record(std::string_view owner, std::string_view key) {
    if (!check_key_part(owner) || !check_key_part(key)) {
        return;
    }
    detail::side_record_key(key_scratch_, owner, key);
    add(cf_byte(column_family::meta), kind_byte(op_kind::del), key_scratch_, {});
}

}  // namespace smppgw::store
