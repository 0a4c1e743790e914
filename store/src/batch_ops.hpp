#pragma once
// The operation log inside a store::batch, read by the committer.
//
//   op := cf:u8 kind:u8 key_len:varint key value_len:varint value
//
// put/merge/del map to RocksDB operations on family `cf`; delete_range deletes the keys in
// [key, value).

#include <cstdint>
#include <string_view>

#include "codec.hpp"
#include "smppgw/store/batch.hpp"
#include "smppgw/store/column_family.hpp"

namespace smppgw::store::detail {

enum class op_kind : std::uint8_t {
    put = 1,
    merge = 2,
    del = 3,
    delete_range = 4,
};

struct op {
    column_family cf = column_family::meta;
    op_kind kind = op_kind::put;
    std::string_view key;
    std::string_view value;
};

// Walks an operation log; next() returns false at the end or on a malformed log (which only a
// bug can produce: batch writes it and nothing else does).
class op_reader {
public:
    explicit op_reader(std::string_view log) noexcept : r_(log) {}

    bool next(op& o) noexcept {
        if (r_.remaining() == 0) {
            return false;
        }
        const auto cf = r_.u8();
        const auto kind = r_.u8();
        o.key = r_.bytes();
        o.value = r_.bytes();
        if (!r_.ok() || cf >= column_family_count || kind < 1 || kind > 4) {
            r_.fail();
            return false;
        }
        o.cf = static_cast<column_family>(cf);
        o.kind = static_cast<op_kind>(kind);
        return true;
    }

    [[nodiscard]] bool ok() const noexcept { return r_.ok(); }

private:
    reader r_;
};

struct batch_access {
    [[nodiscard]] static std::string_view log(const batch& b) noexcept { return b.ops_; }
    // Store-internal operations that the public builder does not offer (checkpoint commits,
    // trims, the upgrade).
    static void raw(batch& b, column_family cf, op_kind kind, std::string_view key,
                    std::string_view value) {
        b.add(static_cast<std::uint8_t>(cf), static_cast<std::uint8_t>(kind), key, value);
    }
};

}  // namespace smppgw::store::detail
