// Pure encoding tests (no RocksDB): message record and operands, other record values, keys,
// the id generator, text formats.

#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "codec.hpp"
#include "keys.hpp"
#include "message_codec.hpp"
#include "record_codec.hpp"
#include "smppgw/store/id_generator.hpp"
#include "test_util.hpp"
#include "text_formats.hpp"

using namespace smppgw::store;
using namespace smppgw::store::test;
namespace pol = smppgw::policy;

TEST_CASE("message record round-trips through the binary encoding", "[codec]") {
    auto rec = sample_message(123456789);
    rec.validity = test_start + 48h;
    rec.parts[1].carrier_message_id = "abc";
    rec.parts[1].state = message_state::submitted;
    rec.parts[1].error = 7;
    rec.carrier = "carrier-a";

    std::string bytes;
    detail::encode_message(rec, bytes);
    message_record back;
    REQUIRE(detail::decode_message(bytes, back) == detail::decode_status::ok);
    CHECK(back == rec);

    SECTION("every truncation is rejected, never read past the end") {
        for (std::size_t n = 0; n < bytes.size(); ++n) {
            message_record tmp;
            CHECK(detail::decode_message(std::string_view{bytes}.substr(0, n), tmp) !=
                  detail::decode_status::ok);
        }
    }
    SECTION("an unknown format byte is rejected") {
        bytes[0] = 0x02;
        message_record tmp;
        CHECK(detail::decode_message(bytes, tmp) == detail::decode_status::malformed);
    }
}

TEST_CASE("message operands fold state, parts and carrier", "[codec][merge]") {
    auto rec = sample_message(1);
    std::string op;
    detail::encode_carrier_op(op, "carrier-b");
    detail::encode_part_op(op, 0, message_state::submitted, test_start + 1s, "X1", 0);
    detail::encode_state_op(op, message_state::submitted, test_start + 1s);
    REQUIRE(detail::apply_message_ops(rec, op));
    CHECK(rec.carrier == "carrier-b");
    CHECK(rec.state == message_state::submitted);
    CHECK(rec.parts[0].carrier_message_id == "X1");
    CHECK(rec.parts[0].state == message_state::submitted);

    op.clear();
    detail::encode_state_op(op, message_state::delivered, test_start + 2s);
    detail::encode_state_op(op, message_state::enroute, test_start + 3s);  // late intermediate
    detail::encode_part_op(op, 4, message_state::delivered, test_start + 2s, {}, 0);  // grows
    REQUIRE(detail::apply_message_ops(rec, op));
    CHECK(rec.state == message_state::delivered);  // final states are sticky
    REQUIRE(rec.history.size() == 4);
    CHECK(rec.history.back() == state_event{message_state::enroute, test_start + 3s});
    CHECK(rec.parts.size() == 5);

    SECTION("history is capped, keeping the first event") {
        op.clear();
        for (int i = 0; i < 100; ++i) {
            detail::encode_state_op(op, message_state::unknown,
                                    test_start + std::chrono::seconds{i});
        }
        REQUIRE(detail::apply_message_ops(rec, op));
        CHECK(rec.history.size() == message_history_cap);
        CHECK(rec.history.front().state == message_state::accepted);
        CHECK(rec.history.back().when == test_start + 99s);
    }
    SECTION("a malformed operand is reported") {
        CHECK_FALSE(detail::apply_message_ops(rec, std::string("\x01", 1)));
        CHECK_FALSE(detail::apply_message_ops(rec, std::string("\x09\x00", 2)));
    }
}

TEST_CASE("record values round-trip", "[codec]") {
    SECTION("opt-out") {
        pol::optout_record r{"acme", "15551234567",          test_start,
                             "STOP", pol::record_source::mo, "mo-42"};
        std::string v;
        detail::encode_optout(r, v);
        pol::optout_record back;
        REQUIRE(detail::decode_optout(v, back));
        CHECK(back.when == r.when);
        CHECK(back.keyword == "STOP");
        CHECK(back.source == pol::record_source::mo);
        CHECK(back.reference == "mo-42");
        CHECK(detail::decode_optout_when(v) == test_start);
    }
    SECTION("consent, state prefix orders by effective time") {
        pol::consent_record c;
        c.brand = "acme";
        c.msisdn = "15551234567";
        c.klass = pol::message_class::promotional;
        c.status = pol::consent_status::granted;
        c.type = pol::consent_type::express_written;
        c.program = "spring";
        c.granted = test_start;
        c.source = pol::record_source::web;
        c.proof = "I agree to receive marketing texts";
        c.proof_url = "https://acme.example/signup";
        c.ip = "192.0.2.1";
        c.user_agent = "Mozilla";
        c.double_opt_in = test_start + 5min;
        c.jurisdiction = "US-FL";
        c.expires = test_start + 24h * 365;
        std::string v;
        detail::encode_consent(c, v);
        pol::consent_record back;
        REQUIRE(detail::decode_consent(v, back));
        CHECK(back.proof == c.proof);
        CHECK(back.double_opt_in == c.double_opt_in);
        CHECK(back.expires == c.expires);
        CHECK_FALSE(back.revoked.has_value());
        CHECK(detail::consent_effective_time(c) == test_start + 5min);

        std::string s1;
        std::string s2;
        detail::encode_consent_state(c, 1, s1);
        c.revoked = test_start + 1h;
        c.status = pol::consent_status::revoked;
        detail::encode_consent_state(c, 0, s2);
        CHECK(std::string_view{s2}.substr(0, 16) > std::string_view{s1}.substr(0, 16));
        REQUIRE(detail::decode_consent_state(s2, back));
        CHECK(back.status == pol::consent_status::revoked);
    }
    SECTION("audit") {
        audit_record a{test_start,
                       99,
                       "15551234567",
                       "acct",
                       "acme",
                       "optout",
                       audit_verdict::reject,
                       0x401,
                       "opted out via STOP",
                       std::nullopt};
        std::string v;
        detail::encode_audit(a, v);
        audit_record back;
        REQUIRE(detail::decode_audit(v, back));
        CHECK(back == a);
        a.defer_until = test_start + 8h;
        detail::encode_audit(a, v);
        REQUIRE(detail::decode_audit(v, back));
        CHECK(back == a);
    }
    SECTION("outbox, carrier mapping, send times") {
        std::string v;
        detail::encode_outbox_value(outbox_kind::mo, test_start, std::string("\0\1\2", 3), v);
        outbox_entry e;
        REQUIRE(detail::decode_outbox_value(v, e));
        CHECK(e.kind == outbox_kind::mo);
        CHECK(e.bytes == std::string("\0\1\2", 3));
        CHECK(detail::outbox_value_kind(v) == outbox_kind::mo);

        detail::encode_carrier_mapping({77, 3}, v);
        CHECK(detail::decode_carrier_mapping(v) == carrier_mapping{77, 3});

        std::vector<time_point> times{test_start, test_start + 1s, test_start + 1s};
        detail::encode_send_times(times, v);
        std::vector<time_point> back;
        REQUIRE(detail::decode_send_times(v, back));
        CHECK(back == times);
    }
}

TEST_CASE("time keys sort in time order, negatives first", "[codec]") {
    std::vector<std::string> keys;
    for (auto ms : {-5'000LL, -1LL, 0LL, 1LL, 1'717'243'200'000LL}) {
        std::string k;
        detail::put_be64(k, detail::time_to_key(time_point{std::chrono::milliseconds{ms}}));
        CHECK(detail::time_from_key(detail::get_be64(k.data())).time_since_epoch().count() == ms);
        keys.push_back(k);
    }
    CHECK(std::is_sorted(keys.begin(), keys.end()));
}

TEST_CASE("key parsers recover their parts", "[codec]") {
    std::string k;
    detail::consent_event_key(k, "acme", "1555", pol::message_class::conversational, test_start, 9);
    auto parts = detail::parse_consent_key(k);
    REQUIRE(parts);
    CHECK(parts->brand == "acme");
    CHECK(parts->msisdn == "1555");
    CHECK(parts->klass == pol::message_class::conversational);
    CHECK(detail::consent_event_time(k) == test_start);

    detail::optout_history_key(k, "*", "1555", test_start, 1);
    CHECK(detail::optout_history_time(k) == test_start);
    detail::audit_msisdn_key(k, "1555", test_start, 5, 6);
    CHECK(detail::audit_key_time(k) == test_start);
    detail::audit_time_key(k, test_start, 5, 6);
    CHECK(detail::audit_key_time(k) == test_start);
}

TEST_CASE("id generator: time-ordered, unique, monotonic when the clock steps back", "[ids]") {
    auto clk = std::make_shared<manual_clock>(test_start);
    id_generator gen{7, clk};
    const auto a = gen.next();
    const auto b = gen.next();
    CHECK(b > a);
    CHECK(id_node(a) == 7);
    CHECK(id_time(a) == test_start);
    CHECK(format_id(a).size() <= 20);
    CHECK(a < (1ULL << 63U));

    clk->set(test_start - 10min);  // the clock steps back
    const auto c = gen.next();
    CHECK(c > b);
    CHECK(id_node(c) == 7);

    clk->set(test_start + 1s);
    const auto d = gen.next();
    CHECK(d > c);
    CHECK(id_time(d) == test_start + 1s);

    SECTION("observe keeps later ids above a stored one") {
        id_generator fresh{7, clk};
        fresh.observe(d + (1000ULL << id_time_shift));
        CHECK(fresh.next() > d + (1000ULL << id_time_shift));
        fresh.observe((d & ~static_cast<message_id>(id_max_node)) | 3);  // another node: ignored
    }
    SECTION("more than 4096 ids in one millisecond borrow the next one") {
        message_id last = 0;
        for (int i = 0; i < 10'000; ++i) {
            const auto id = gen.next();
            REQUIRE(id > last);
            last = id;
        }
        CHECK(id_time(last) > test_start + 1s);
    }
    SECTION("node ids above 1023 are refused") {
        CHECK_THROWS_AS(id_generator(1024, clk), std::invalid_argument);
    }
}

TEST_CASE("id generator is unique across threads", "[ids]") {
    id_generator gen{1, system_clock()};
    constexpr int threads = 4;
    constexpr int per_thread = 50'000;
    std::vector<std::vector<message_id>> got(threads);
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t) {
        ts.emplace_back([&, t] {
            auto& v = got[static_cast<std::size_t>(t)];
            v.reserve(per_thread);
            for (int i = 0; i < per_thread; ++i) {
                v.push_back(gen.next());
            }
        });
    }
    for (auto& t : ts) {
        t.join();
    }
    std::set<message_id> all;
    for (const auto& v : got) {
        CHECK(std::is_sorted(v.begin(), v.end()));
        all.insert(v.begin(), v.end());
    }
    CHECK(all.size() == static_cast<std::size_t>(threads * per_thread));
}

TEST_CASE("ISO 8601 instants", "[text]") {
    CHECK(detail::format_time(test_start) == "2024-06-01T12:00:00.000Z");
    CHECK(detail::parse_time("2024-06-01T12:00:00.000Z") == test_start);
    CHECK(detail::parse_time("2024-06-01T12:00:00Z") == test_start);
    CHECK(detail::parse_time("2024-06-01T14:00:00+02:00") == test_start);
    CHECK(detail::parse_time("2024-06-01T12:00:00.1234567Z") == test_start + 123ms);
    CHECK(detail::parse_time("1969-12-31T23:59:59.999Z") ==
          time_point{std::chrono::milliseconds{-1}});
    CHECK(detail::format_time(time_point{std::chrono::milliseconds{-1}}) ==
          "1969-12-31T23:59:59.999Z");
    for (auto bad : {"", "2024-06-01", "2024-06-01 12:00:00Z", "2024-02-30T00:00:00Z",
                     "2024-06-01T12:00:00", "2024-06-01T12:00:00.Z", " 2024-06-01T12:00:00Z",
                     "2024-06-01T24:00:00Z", "2024-06-01T12:00:00+2:00"}) {
        CAPTURE(bad);
        CHECK_FALSE(detail::parse_time(bad).has_value());
    }
}

TEST_CASE("CSV reader: quotes, embedded newlines, CRLF, errors", "[text]") {
    std::istringstream in{
        "a,b,c\r\n\"x,1\",\"he said \"\"hi\"\"\",\"two\nlines\"\n\nq\"x,1\n"
        "1,2,3\n\"open"};
    detail::csv_reader r{in};
    std::vector<std::string> f;
    REQUIRE(r.next(f));
    CHECK(f == std::vector<std::string>{"a", "b", "c"});
    REQUIRE(r.next(f));
    CHECK(r.record_line() == 2);
    CHECK(f == std::vector<std::string>{"x,1", "he said \"hi\"", "two\nlines"});
    REQUIRE(r.next(f));
    CHECK(r.blank());
    CHECK_FALSE(r.next(f));
    CHECK(r.record_line() == 5);
    CHECK_FALSE(r.error().empty());
    REQUIRE(r.next(f));
    CHECK(f == std::vector<std::string>{"1", "2", "3"});
    CHECK_FALSE(r.next(f));
    CHECK(r.error() == "unterminated quoted field at end of input");
    CHECK_FALSE(r.next(f));
    CHECK(r.at_end());

    std::string out;
    detail::write_csv_field(out, "plain");
    out.push_back(',');
    detail::write_csv_field(out, "a \"q\",\nb");
    CHECK(out == "plain,\"a \"\"q\"\",\nb\"");
}
