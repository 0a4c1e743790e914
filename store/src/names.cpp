// Names of the store's enums, as they appear in logs, metrics labels and exports.
#include <algorithm>
#include <array>
#include <utility>

#include "smppgw/store/message_record.hpp"
#include "smppgw/store/options.hpp"
#include "smppgw/store/records.hpp"

namespace smppgw::store {
namespace {

constexpr std::array<std::string_view, message_state_count> state_names{
    "accepted", "deferred",  "queued",   "submitted", "delivered",     "failed",
    "expired",  "cancelled", "rejected", "enroute",   "undeliverable", "unknown",
};

}  // namespace

std::string_view to_string(message_state s) noexcept {
    const auto i = static_cast<std::size_t>(s);
    return i < state_names.size() ? state_names[i] : "invalid";
}

std::optional<message_state> parse_message_state(std::string_view s) noexcept {
    for (std::size_t i = 0; i < state_names.size(); ++i) {
        if (state_names[i] == s) {
            return static_cast<message_state>(i);
        }
    }
    return std::nullopt;
}

message_state aggregate_state(std::span<const message_part> parts) noexcept {
    for (const auto& p : parts) {
        if (p.state != message_state::delivered) {
            return p.state;
        }
    }
    return message_state::delivered;
}

bool all_final(std::span<const message_part> parts) noexcept {
    return !parts.empty() &&
           std::all_of(parts.begin(), parts.end(), [](const auto& p) { return is_final(p.state); });
}

bool is_final(message_state s) noexcept {
    switch (s) {
        case message_state::delivered:
        case message_state::failed:
        case message_state::expired:
        case message_state::cancelled:
        case message_state::rejected:
        case message_state::undeliverable:
            return true;
        default:
            return false;
    }
}

std::string_view to_string(outbox_kind k) noexcept {
    return k == outbox_kind::dlr ? "dlr" : "mo";
}

std::string_view to_string(audit_verdict v) noexcept {
    switch (v) {
        case audit_verdict::accept:
            return "accept";
        case audit_verdict::reject:
            return "reject";
        case audit_verdict::defer:
            return "defer";
        case audit_verdict::shadow_reject:
            return "shadow_reject";
        case audit_verdict::shadow_defer:
            return "shadow_defer";
        case audit_verdict::final_state:
            return "final";
    }
    return "invalid";
}

std::string_view to_string(sync_mode m) noexcept {
    switch (m) {
        case sync_mode::always:
            return "always";
        case sync_mode::batch:
            return "batch";
        case sync_mode::none:
            return "none";
    }
    return "invalid";
}

std::optional<sync_mode> parse_sync_mode(std::string_view s) noexcept {
    for (auto m : {sync_mode::always, sync_mode::batch, sync_mode::none}) {
        if (to_string(m) == s) {
            return m;
        }
    }
    return std::nullopt;
}

}  // namespace smppgw::store
