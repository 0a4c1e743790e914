#include "merge_operators.hpp"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "message_codec.hpp"
#include "record_codec.hpp"
#include "smppgw/policy/lookups.hpp"
#include "traffic_codec.hpp"

namespace smppgw::store::detail {
namespace {

std::string_view view(const rocksdb::Slice& s) noexcept {
    return {s.data(), s.size()};
}

class message_merge final : public rocksdb::MergeOperator {
public:
    const char* Name() const override { return "smppgw.messages.v1"; }

    bool FullMergeV2(const MergeOperationInput& in, MergeOperationOutput* out) const override {
        try {
            message_record rec;
            const auto status = in.existing_value != nullptr
                                    ? decode_message(view(*in.existing_value), rec)
                                    : decode_status::stub;
            if (status == decode_status::malformed) {
                // Keep the damaged base as it is; reads report it as corruption.
                out->existing_operand = *in.existing_value;
                return true;
            }
            if (status == decode_status::stub) {
                out->new_value.clear();
                if (in.existing_value != nullptr) {
                    out->new_value.assign(in.existing_value->data(), in.existing_value->size());
                } else {
                    out->new_value.push_back(static_cast<char>(message_format_stub));
                }
                for (const auto& op : in.operand_list) {
                    out->new_value.append(op.data(), op.size());
                }
                return true;
            }
            for (const auto& op : in.operand_list) {
                (void)apply_message_ops(rec, view(op));
            }
            encode_message(rec, out->new_value);
            return true;
        } catch (...) {
            if (in.existing_value != nullptr) {
                out->existing_operand = *in.existing_value;
                return true;
            }
            return false;
        }
    }

    bool PartialMerge(const rocksdb::Slice& /*key*/, const rocksdb::Slice& left,
                      const rocksdb::Slice& right, std::string* new_value,
                      rocksdb::Logger* /*logger*/) const override {
        new_value->assign(left.data(), left.size());
        new_value->append(right.data(), right.size());
        return true;
    }
};

class consent_merge final : public rocksdb::MergeOperator {
public:
    const char* Name() const override { return "smppgw.consents.v1"; }

    bool FullMergeV2(const MergeOperationInput& in, MergeOperationOutput* out) const override {
        const rocksdb::Slice* best = in.existing_value;
        for (const auto& op : in.operand_list) {
            if (best == nullptr || !newer(*best, op)) {
                best = &op;
            }
        }
        if (best == nullptr) {
            return false;  // unreachable: RocksDB passes at least one operand
        }
        out->existing_operand = *best;
        return true;
    }

    bool PartialMerge(const rocksdb::Slice& /*key*/, const rocksdb::Slice& left,
                      const rocksdb::Slice& right, std::string* new_value,
                      rocksdb::Logger* /*logger*/) const override {
        const auto& winner = newer(left, right) ? left : right;
        new_value->assign(winner.data(), winner.size());
        return true;
    }

private:
    // True if `a` strictly outranks `b`; equal prefixes go to the later operand (b).
    static bool newer(const rocksdb::Slice& a, const rocksdb::Slice& b) noexcept {
        if (a.size() < 16 || b.size() < 16) {
            return a.size() >= 16;  // a well-formed value beats a damaged one
        }
        return std::memcmp(a.data(), b.data(), 16) > 0;
    }
};

class freq_merge final : public rocksdb::MergeOperator {
public:
    freq_merge(std::shared_ptr<const clock> clk, std::chrono::milliseconds window)
        : clock_(std::move(clk)), window_(window) {}

    const char* Name() const override { return "smppgw.freq.v1"; }

    bool FullMergeV2(const MergeOperationInput& in, MergeOperationOutput* out) const override {
        try {
            std::vector<time_point> times;
            if (in.existing_value != nullptr) {
                (void)decode_send_times(view(*in.existing_value), times);
            }
            for (const auto& op : in.operand_list) {
                if (const auto removed = decode_send_removal(view(op))) {
                    // A reservation given back: one send at that time no longer counts.
                    if (auto it = std::find(times.begin(), times.end(), *removed);
                        it != times.end()) {
                        times.erase(it);
                    }
                    continue;
                }
                (void)decode_send_times(view(op), times);
            }
            normalize(times);
            encode_send_times(times, out->new_value);
            return true;
        } catch (...) {
            return false;
        }
    }

    bool PartialMerge(const rocksdb::Slice& /*key*/, const rocksdb::Slice& left,
                      const rocksdb::Slice& right, std::string* new_value,
                      rocksdb::Logger* /*logger*/) const override {
        if (decode_send_removal(view(left)) || decode_send_removal(view(right))) {
            return false;  // removals apply in order against the full list only
        }
        try {
            std::vector<time_point> times;
            (void)decode_send_times(view(left), times);
            (void)decode_send_times(view(right), times);
            normalize(times);
            encode_send_times(times, *new_value);
            return true;
        } catch (...) {
            return false;
        }
    }

private:
    void normalize(std::vector<time_point>& times) const {
        std::sort(times.begin(), times.end());
        if (window_.count() > 0) {
            const auto cutoff = clock_->now() - window_;
            times.erase(times.begin(), std::lower_bound(times.begin(), times.end(), cutoff));
        }
        constexpr auto cap = policy::send_history::capacity;
        if (times.size() > cap) {
            times.erase(times.begin(), times.end() - static_cast<std::ptrdiff_t>(cap));
        }
    }

    std::shared_ptr<const clock> clock_;
    std::chrono::milliseconds window_;
};

// Associative: RocksDB may combine operands in any grouping. Sums wrap rather than throw (2^64
// messages do not happen).
class counter_merge final : public rocksdb::AssociativeMergeOperator {
public:
    const char* Name() const override { return "smppgw.counter.v1"; }

    bool Merge(const rocksdb::Slice& /*key*/, const rocksdb::Slice* existing,
               const rocksdb::Slice& value, std::string* new_value,
               rocksdb::Logger* /*logger*/) const override {
        std::uint64_t sum = decode_count(view(value)).value_or(0);
        if (existing != nullptr) {
            sum += decode_count(view(*existing)).value_or(0);
        }
        encode_count(sum, *new_value);
        return true;
    }
};

}  // namespace

std::shared_ptr<rocksdb::MergeOperator> make_message_merge_operator() {
    return std::make_shared<message_merge>();
}

std::shared_ptr<rocksdb::MergeOperator> make_consent_merge_operator() {
    return std::make_shared<consent_merge>();
}

std::shared_ptr<rocksdb::MergeOperator> make_freq_merge_operator(std::shared_ptr<const clock> clk,
                                                                 std::chrono::milliseconds window) {
    return std::make_shared<freq_merge>(std::move(clk), window);
}

std::shared_ptr<rocksdb::MergeOperator> make_counter_merge_operator() {
    return std::make_shared<counter_merge>();
}

}  // namespace smppgw::store::detail
