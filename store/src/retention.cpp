#include "retention.hpp"

#include <optional>
#include <string_view>
#include <vector>

#include "codec.hpp"
#include "keys.hpp"
#include "record_codec.hpp"
#include "smppgw/store/id_generator.hpp"

namespace smppgw::store::detail {
namespace {

std::string_view view(const rocksdb::Slice& s) noexcept {
    return {s.data(), s.size()};
}

class retention_filter final : public rocksdb::CompactionFilter {
public:
    retention_filter(column_family cf, std::chrono::milliseconds ttl,
                     std::shared_ptr<const clock> clk)
        : cf_(cf), ttl_(ttl), clock_(std::move(clk)) {}

    const char* Name() const override { return "smppgw.retention"; }

    Decision FilterV2(int /*level*/, const rocksdb::Slice& key, ValueType type,
                      const rocksdb::Slice& value, std::string* /*new_value*/,
                      std::string* /*skip_until*/) const override {
        if (type != kValue && type != kMergeOperand) {
            return Decision::kKeep;
        }
        const auto cutoff = clock_->now() - ttl_;
        if (cf_ == column_family::freq) {
            return all_older(view(value), cutoff) ? Decision::kRemove : Decision::kKeep;
        }
        const auto t = record_time(view(key), view(value), type == kMergeOperand);
        return t && *t < cutoff ? Decision::kRemove : Decision::kKeep;
    }

private:
    std::optional<time_point> record_time(std::string_view key, std::string_view value,
                                          bool operand) const noexcept {
        switch (cf_) {
            case column_family::messages:
            case column_family::pending:
                if (auto id = parse_message_key(key)) {
                    return id_time(*id);
                }
                return std::nullopt;
            case column_family::deferred:
                if (key.size() == 16) {
                    return id_time(get_be64(key.data() + 8));
                }
                return std::nullopt;
            case column_family::carrier_ids:
                if (auto m = decode_carrier_mapping(value)) {
                    return id_time(m->id);
                }
                return std::nullopt;
            case column_family::optouts:
                return optout_history_time(key);
            case column_family::consents:
                return operand ? std::nullopt : consent_event_time(key);
            case column_family::audit:
                return audit_key_time(key);
            case column_family::stats:
                return stats_key_time(key);
            default:
                return std::nullopt;
        }
    }

    static bool all_older(std::string_view value, time_point cutoff) {
        std::vector<time_point> times;
        if (!decode_send_times(value, times)) {
            return false;
        }
        for (const auto t : times) {
            if (t >= cutoff) {
                return false;
            }
        }
        return true;
    }

    column_family cf_;
    std::chrono::milliseconds ttl_;
    std::shared_ptr<const clock> clock_;
};

}  // namespace

std::unique_ptr<rocksdb::CompactionFilter> make_retention_filter(column_family cf,
                                                                 const retention_options& r,
                                                                 std::shared_ptr<const clock> clk) {
    std::chrono::milliseconds ttl{0};
    switch (cf) {
        case column_family::messages:
        case column_family::pending:
        case column_family::deferred:
            ttl = r.messages;
            break;
        case column_family::carrier_ids:
            ttl = r.carrier_ids;
            break;
        case column_family::optouts:
        case column_family::consents:
            ttl = r.evidence;
            break;
        case column_family::audit:
            ttl = r.audit;
            break;
        case column_family::freq:
            ttl = r.freq_window;
            break;
        case column_family::stats:
            ttl = r.stats;
            break;
        case column_family::meta:
        case column_family::outbox:  // format 1 leftovers: the upgrade moves them to the journal
        case column_family::journal:
        case column_family::checkpoint:
        case column_family::holds:  // in force until released
            break;
    }
    if (ttl.count() <= 0) {
        return nullptr;
    }
    return std::make_unique<retention_filter>(cf, ttl, std::move(clk));
}

}  // namespace smppgw::store::detail
