// The compact fields of a message in memory: interned_name (one copy per spelling,
// string-like comparisons, any thread), compact_bytes (a byte string in 8 bytes),
// short_string (24 bytes, short ones inline), compact_vector (a vector in 8 bytes) and
// optional_time (std::optional in 8 bytes).

#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "smppgw/store/compact_bytes.hpp"
#include "smppgw/store/compact_vector.hpp"
#include "smppgw/store/interned_name.hpp"
#include "smppgw/store/live_state.hpp"
#include "smppgw/store/message_record.hpp"
#include "smppgw/store/short_string.hpp"

using smppgw::store::compact_bytes;
using smppgw::store::interned_name;
using smppgw::store::optional_time;
using smppgw::store::time_point;

TEST_CASE("interned names: equal spellings share one copy", "[interned_name]") {
    const std::string built = std::string("acct-") + "long-enough-to-leave-sso";
    const interned_name a{"acct-long-enough-to-leave-sso"};
    const interned_name b{built};
    CHECK(&a.str() == &b.str());
    CHECK(a == b);
    const interned_name c{"acct-other"};
    CHECK(a != c);
    CHECK(&a.str() != &c.str());
}

TEST_CASE("interned names: compare and print like strings", "[interned_name]") {
    const interned_name n{"carrier-b"};
    CHECK(n == "carrier-b");
    CHECK(n == std::string("carrier-b"));
    CHECK(n == std::string_view("carrier-b"));
    CHECK(n != "carrier-a");
    CHECK(interned_name{"carrier-a"} < n);
    CHECK(n.size() == 9);
    CHECK(std::string(n.c_str()) == "carrier-b");
    CHECK(fmt::format("[{}]", n) == "[carrier-b]");
    const std::string& as_string = n;
    CHECK(as_string == "carrier-b");

    interned_name empty;
    CHECK(empty.empty());
    CHECK(empty == "");
    CHECK(empty == interned_name{std::string_view{}});
    interned_name assigned;
    assigned = std::string("carrier-b");
    CHECK(assigned == n);
    assigned.clear();
    CHECK(assigned.empty());

    // Usable as a key of ordered and hashed containers, ordered by spelling.
    std::set<interned_name> names{"b", "c", "a"};
    std::vector<std::string> order(names.begin(), names.end());
    CHECK(order == std::vector<std::string>{"a", "b", "c"});
    std::map<std::string, int, std::less<>> counts{{"carrier-b", 1}};
    CHECK(counts.find(n.view()) != counts.end());
}

TEST_CASE("interned names: threads interning the same spellings get the same copies",
          "[interned_name]") {
    constexpr int threads = 4;
    constexpr int names = 200;
    std::vector<std::vector<const std::string*>> seen(threads);
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([t, &seen] {
            for (int round = 0; round < 20; ++round) {
                for (int i = 0; i < names; ++i) {
                    const interned_name n{fmt::format("account-number-{:04}", (i * 7 + t) % names)};
                    if (round == 0) {
                        seen[t].push_back(&n.str());
                    }
                }
            }
        });
    }
    for (auto& w : workers) {
        w.join();
    }
    std::set<const std::string*> distinct;
    for (const auto& s : seen) {
        distinct.insert(s.begin(), s.end());
    }
    CHECK(distinct.size() == names);
}

TEST_CASE("optional_time behaves like std::optional<time_point>", "[optional_time]") {
    static_assert(sizeof(optional_time) == sizeof(time_point));
    optional_time t;
    CHECK_FALSE(t.has_value());
    CHECK_FALSE(static_cast<bool>(t));
    CHECK(t == std::nullopt);
    CHECK(std::optional<time_point>(t) == std::nullopt);

    // Every representable instant but the sentinel is a value, the epoch and negative ones too.
    for (const auto when : {time_point{}, time_point{std::chrono::milliseconds{-1}},
                            time_point{std::chrono::milliseconds{1'767'225'600'000}},
                            time_point::max()}) {
        t = when;
        REQUIRE(t.has_value());
        CHECK(*t == when);
        CHECK(t.value_or(time_point{}) == when);
        CHECK(std::optional<time_point>(t) == when);
        CHECK(optional_time{std::optional<time_point>{when}} == t);
    }
    t.reset();
    CHECK_FALSE(t.has_value());
    CHECK(t.value_or(time_point{std::chrono::milliseconds{5}}) ==
          time_point{std::chrono::milliseconds{5}});
    CHECK(optional_time{std::optional<time_point>{}} == optional_time{});
}

TEST_CASE("compact_bytes holds any bytes in one pointer", "[compact_bytes]") {
    static_assert(sizeof(compact_bytes) == sizeof(void*));
    compact_bytes b;
    CHECK(b.empty());
    CHECK(b.size() == 0);
    CHECK(b.view().empty());
    CHECK(b == "");

    const std::string binary("\x00\x01\xff payload with a NUL\x00 inside", 31);
    b = binary;
    CHECK_FALSE(b.empty());
    CHECK(b.size() == binary.size());
    CHECK(b.view() == binary);
    CHECK(b == binary);
    CHECK(b.str() == binary);

    // Copies are deep; moves leave the source empty.
    compact_bytes copy = b;
    CHECK(copy == b);
    CHECK(copy.data() != b.data());
    b = "other";
    CHECK(copy == binary);
    CHECK(b == "other");
    compact_bytes moved = std::move(copy);
    CHECK(moved == binary);
    CHECK(copy.empty());  // NOLINT(bugprone-use-after-move): the state a move leaves is the point

    moved = std::string_view{};
    CHECK(moved.empty());
    CHECK(fmt::format("[{}]", compact_bytes{"CMT"}) == "[CMT]");
    const std::string big(70'000, 'x');  // message_payload can exceed 64 KiB in principle
    CHECK(compact_bytes{big}.size() == big.size());
}

TEST_CASE("short strings: inline up to 23 characters, on the heap beyond", "[short_string]") {
    using smppgw::store::short_string;
    static_assert(sizeof(short_string) == 24);
    const short_string empty;
    CHECK(empty.empty());
    CHECK(empty.size() == 0);
    CHECK(empty == "");

    const std::string longest_inline(short_string::inline_capacity, '7');
    const short_string in{longest_inline};
    CHECK_FALSE(in.on_heap());
    CHECK(in == longest_inline);
    CHECK(in.size() == 23);

    const std::string heap_one = longest_inline + "8";
    short_string out{heap_one};
    CHECK(out.on_heap());
    CHECK(out == heap_one);
    CHECK(out.size() == 24);

    // Binary-safe, like the carrier ids and addresses it holds.
    const std::string with_nul("a\0b", 3);
    CHECK(short_string{with_nul}.view() == with_nul);

    // Copies are deep, moves hand the block over and leave the source empty.
    short_string copy = out;
    CHECK(copy == out);
    CHECK(copy.data() != out.data());
    short_string moved = std::move(out);
    CHECK(moved == heap_one);
    CHECK(out.empty());  // NOLINT(bugprone-use-after-move): a moved-from string is empty
    moved = in;
    CHECK(moved == in);
    CHECK_FALSE(moved.on_heap());
    moved = std::string(40, 'z');
    CHECK(moved.size() == 40);
    moved.assign(moved.view().substr(10, 5));  // from its own characters
    CHECK(moved == "zzzzz");
    moved.clear();
    CHECK(moved.empty());

    CHECK(short_string{"+15551234567"} < short_string{"+15559999999"});
    CHECK(fmt::format("<{}>", short_string{"ACME"}) == "<ACME>");
    std::set<short_string> ordered{"b", "a"};
    CHECK(ordered.begin()->view() == "a");
    CHECK(std::hash<short_string>{}(short_string{"x"}) == std::hash<std::string_view>{}("x"));
}

TEST_CASE("an address is its TON, NPI and short string, with no padding", "[short_string]") {
    static_assert(sizeof(smppgw::store::sme_address) == 26);
    const smppgw::store::sme_address a{1, 1, "15550001000"};
    CHECK(a.addr == "15550001000");
    CHECK(a == smppgw::store::sme_address{1, 1, "15550001000"});
    CHECK_FALSE(a == smppgw::store::sme_address{1, 2, "15550001000"});
}

TEST_CASE("compact vectors: a vector in one pointer, growing one element at a time",
          "[compact_vector]") {
    using smppgw::store::compact_vector;
    static_assert(sizeof(compact_vector<std::string>) == sizeof(void*));
    compact_vector<std::string> v;
    CHECK(v.empty());
    CHECK(v.capacity() == 0);
    CHECK(v.begin() == v.end());

    v.push_back("a");
    v.emplace_back(std::size_t{30}, 'b');  // beyond std::string's inline buffer: moves must carry it
    v.push_back(v.front());   // an element of its own, while it grows
    CHECK(v.size() == 3);
    CHECK(v.capacity() == 3);  // short lists hold no spare room
    CHECK(v[0] == "a");
    CHECK(v[1] == std::string(30, 'b'));
    CHECK(v.back() == "a");

    auto copy = v;
    CHECK(copy == v);
    copy[0] = "changed";
    CHECK(v[0] == "a");

    v.erase(v.begin() + 1);
    CHECK(v == compact_vector<std::string>{"a", "a"});
    v.pop_back();
    CHECK(v.size() == 1);
    v.resize(3);
    CHECK(v == compact_vector<std::string>{"a", "", ""});
    v.resize(1);
    CHECK(v == compact_vector<std::string>{"a"});
    v.assign(2, "x");
    CHECK(v == compact_vector<std::string>{"x", "x"});
    v.resize(4, "y");
    CHECK(v == compact_vector<std::string>{"x", "x", "y", "y"});
    v.erase(v.begin() + 1, v.end());
    CHECK(v == compact_vector<std::string>{"x"});

    auto moved = std::move(copy);
    CHECK(moved.size() == 3);
    CHECK(copy.empty());  // NOLINT(bugprone-use-after-move): a moved-from vector is empty
    moved.clear();
    CHECK(moved.empty());
    CHECK(moved.capacity() == 0);  // clearing frees the block

    // Beyond eight elements it grows by half, not by one.
    compact_vector<int> many;
    for (int i = 0; i < 100; ++i) {
        many.push_back(i);
    }
    CHECK(many.size() == 100);
    CHECK(many.capacity() < 150);
    CHECK(many[99] == 99);
    CHECK(std::span<const int>(many).size() == 100);  // contiguous: views and algorithms work
}

TEST_CASE("digit strings: a normalized number inline in 16 bytes", "[short_string]") {
    using smppgw::store::digit_string;
    const digit_string e164{"491701234567890"};  // E.164's longest: 15 digits
    CHECK_FALSE(e164.on_heap());
    CHECK(e164 == "491701234567890");
    const digit_string longer{"4917012345678901"};  // not a number E.164 allows, kept anyway
    CHECK(longer.on_heap());
    CHECK(longer == "4917012345678901");
    digit_string copy = longer;
    CHECK(copy == longer);
    copy = e164;
    CHECK(copy == e164);
}

TEST_CASE("a message in flight: its age since acceptance, for the latency metrics",
          "[live_message]") {
    using namespace std::chrono_literals;
    smppgw::store::live_message m;
    const auto now = smppgw::store::time_point{std::chrono::milliseconds{1'700'000'000'000}};
    m.rec.received = now;
    CHECK_FALSE(m.seconds_since_accepted(now).has_value());  // never stamped: no sample
    m.stamp_accepted();
    const auto age = m.seconds_since_accepted(now);
    REQUIRE(age.has_value());
    CHECK(*age >= 0.0);
    CHECK(*age < 5.0);
    // Beyond a day the steady ticks may have wrapped: the receive time answers instead.
    CHECK(m.seconds_since_accepted(now + 48h).value_or(0) == Approx(48 * 3600.0));
}
