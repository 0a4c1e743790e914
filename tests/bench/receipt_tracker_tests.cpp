// The generator's receipt matching: the open-addressing table and early (parked) receipts.

#include <catch2/catch.hpp>

#include <random>
#include <unordered_map>

#include "loadgen/receipt_tracker.hpp"

using namespace smppgw::bench::loadgen;

TEST_CASE("flat_time_map agrees with std::unordered_map under inserts and removals") {
    flat_time_map m(16);
    std::unordered_map<std::uint64_t, std::int64_t> ref;
    std::mt19937_64 gen(11);
    // Small key space so probe runs collide, wrap and get shifted back on removal.
    for (int i = 0; i < 200000; ++i) {
        const std::uint64_t key = 1 + gen() % 5000;
        if (gen() % 3 != 0) {
            const auto v = static_cast<std::int64_t>(gen() % 1000000);
            m.insert(key, v);
            ref[key] = v;
        } else {
            const auto got = m.take(key);
            const auto it = ref.find(key);
            if (it == ref.end()) {
                REQUIRE_FALSE(got.has_value());
            } else {
                REQUIRE(got.has_value());
                REQUIRE(*got == it->second);
                ref.erase(it);
            }
        }
        REQUIRE(m.size() == ref.size());
    }
    for (const auto& [k, v] : ref) {
        REQUIRE(m.take(k) == v);
    }
    REQUIRE(m.size() == 0);
}

TEST_CASE("receipt_tracker matches in either order") {
    receipt_tracker t;
    const auto a = message_id_key("1700000000000001");
    const auto b = message_id_key("1700000000000002");
    REQUIRE(a != b);

    // Normal order: response first, receipt later.
    REQUIRE_FALSE(t.expect(a, 100).has_value());
    REQUIRE(t.outstanding() == 1);
    REQUIRE(t.arrive(a, 500) == 100);
    REQUIRE(t.outstanding() == 0);

    // The receipt overtakes its response: parked, then found by expect().
    REQUIRE_FALSE(t.arrive(b, 300).has_value());
    REQUIRE(t.parked() == 1);
    REQUIRE(t.expect(b, 200) == 300);
    REQUIRE(t.parked() == 0);
    REQUIRE(t.outstanding() == 0);

    // A duplicate receipt matches nothing and stays parked (reported as unmatched).
    REQUIRE_FALSE(t.arrive(a, 600).has_value());
    REQUIRE(t.parked() == 1);
}

TEST_CASE("message_id_key never yields the empty key") {
    REQUIRE(message_id_key("") != 0);
    REQUIRE(message_id_key("abc") != message_id_key("abd"));
}
