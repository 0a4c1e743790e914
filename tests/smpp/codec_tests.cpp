// Codec behaviour beyond the shared vectors: the error matrix, TLV handling, submit_multi,
// encoder refusals, and the no-allocation promise for PDUs without TLVs.

#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <new>

#include "smppgw/smpp/codec.hpp"
#include "smppgw/smpp/pdu_json.hpp"

namespace smpp = smppgw::smpp;

// Counts every heap allocation in this test binary; only deltas around a call are meaningful.
// AddressSanitizer owns operator new/delete (its own allocations freed by ours would be reported
// as mismatched), so counting is only done in ordinary builds, as in tests/policy.
#if !defined(__SANITIZE_ADDRESS__)
namespace {
std::atomic<std::size_t> allocations{0};
}  // namespace

// GCC 12 flags free() in a replaced operator delete as mismatched; the pairing is ours and right.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t size) {
    allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(size == 0 ? 1 : size)) {
        return p;
    }
    throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return operator new(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
#endif  // !__SANITIZE_ADDRESS__

namespace {

std::vector<std::uint8_t> hex(std::string_view h) {
    std::vector<std::uint8_t> out;
    REQUIRE(smpp::from_hex(h, out));
    return out;
}

// A well-formed submit_sm with the given body bytes after the header.
std::vector<std::uint8_t> with_header(std::uint32_t id, std::uint32_t seq,
                                      const std::vector<std::uint8_t>& body,
                                      std::uint32_t status = 0) {
    std::vector<std::uint8_t> out;
    const auto len = static_cast<std::uint32_t>(16 + body.size());
    for (std::uint32_t v : {len, id, status, seq}) {
        for (int shift = 24; shift >= 0; shift -= 8) {
            out.push_back(static_cast<std::uint8_t>(v >> shift));
        }
    }
    out.insert(out.end(), body.begin(), body.end());
    return out;
}

smpp::pdu sample_submit() {
    smpp::pdu p;
    p.sequence_number = 7;
    smpp::submit_sm s;
    s.source_addr_ton = 1;
    s.source_addr_npi = 1;
    REQUIRE(s.source_addr.assign("15550001111"));
    s.dest_addr_ton = 1;
    s.dest_addr_npi = 1;
    REQUIRE(s.destination_addr.assign("15550002222"));
    s.registered_delivery = 1;
    REQUIRE(s.short_message.assign(std::string_view("Hello from smppgw")));
    p.body = s;
    return p;
}

std::vector<std::uint8_t> encoded(const smpp::pdu& p) {
    std::vector<std::uint8_t> out;
    REQUIRE_FALSE(smpp::encode(p, out));
    return out;
}

}  // namespace

TEST_CASE("framing errors are fatal and need-more is not an error", "[codec][framing]") {
    smpp::pdu p;
    SECTION("fewer than four octets: need more") {
        for (std::size_t n = 0; n < 4; ++n) {
            const std::vector<std::uint8_t> partial(n, 0);
            const auto r = smpp::decode(partial, p);
            CHECK(r.need_more());
            CHECK(r.consumed == 0);
        }
    }
    SECTION("command_length below 16") {
        const auto r = smpp::decode(hex("0000000f000000150000000000000001"), p);
        CHECK(r.fatal());
        CHECK(r.error == smpp::errc::length_too_small);
        CHECK(r.response_status == smpp::status::ESME_RINVCMDLEN);
        CHECK(r.consumed == 0);
    }
    SECTION("command_length above the ceiling closes before the body arrives") {
        const auto r = smpp::decode(hex("00010001"), p, {.max_command_length = 65536});
        CHECK(r.fatal());
        CHECK(r.error == smpp::errc::length_too_large);
    }
    SECTION("the ceiling is configurable") {
        const auto bytes = encoded(sample_submit());
        CHECK(smpp::decode(bytes, p, {.max_command_length = bytes.size()}).ok());
        CHECK(smpp::decode(bytes, p, {.max_command_length = bytes.size() - 1}).fatal());
    }
}

TEST_CASE("body errors are recoverable and name the status to answer", "[codec][errors]") {
    smpp::pdu p;
    const auto good = encoded(sample_submit());

    SECTION("a mandatory field runs past command_length") {
        // Keep the header, cut the body after service_type and the two TON/NPI octets.
        std::vector<std::uint8_t> body(good.begin() + 16, good.begin() + 16 + 3);
        const auto r = smpp::decode(with_header(4, 9, body), p);
        CHECK(r.error == smpp::errc::truncated_body);
        CHECK(r.response_status == smpp::status::ESME_RINVCMDLEN);
        CHECK(r.consumed == 19);
        CHECK(r.sequence_number == 9);
    }
    SECTION("source_addr with no NUL within 21 octets") {
        std::vector<std::uint8_t> body = {0x00, 0x01, 0x01};
        body.insert(body.end(), 30, '5');
        body.push_back(0);
        const auto r = smpp::decode(with_header(4, 3, body), p);
        CHECK(r.error == smpp::errc::field_too_long);
        CHECK(r.field == "source_addr");
        CHECK(r.response_status == smpp::status::ESME_RINVSRCADR);
    }
    SECTION("destination_addr too long") {
        std::vector<std::uint8_t> body = {0x00, 0x01, 0x01, '1', 0x00, 0x01, 0x01};
        body.insert(body.end(), 25, '6');
        body.push_back(0);
        const auto r = smpp::decode(with_header(4, 3, body), p);
        CHECK(r.response_status == smpp::status::ESME_RINVDSTADR);
    }
    SECTION("system_id too long in a bind") {
        std::vector<std::uint8_t> body(20, 'a');
        body.push_back(0);
        const auto r = smpp::decode(with_header(9, 1, body), p);
        CHECK(r.response_status == smpp::status::ESME_RINVSYSID);
    }
    SECTION("a TLV length past the end of the PDU") {
        // The shape of a vendor capture: TLV length 0x41 with only 5 octets present.
        auto bytes = good;
        for (auto b : {0x14, 0x03, 0x00, 0x41, 1, 2, 3, 4, 5}) {
            bytes.push_back(static_cast<std::uint8_t>(b));
        }
        bytes[3] = static_cast<std::uint8_t>(bytes.size());
        const auto r = smpp::decode(bytes, p);
        CHECK(r.error == smpp::errc::tlv_overrun);
        CHECK(r.response_status == smpp::status::ESME_RINVOPTPARSTREAM);
        CHECK(r.consumed == bytes.size());
        CHECK_FALSE(r.fatal());
    }
    SECTION("a stray tail shorter than a TLV header is tolerated") {
        auto bytes = good;
        bytes.push_back(0);
        bytes[3] = static_cast<std::uint8_t>(bytes.size());
        const auto r = smpp::decode(bytes, p);
        REQUIRE(r.ok());
        CHECK(r.consumed == bytes.size());
        CHECK(std::get<smpp::submit_sm>(p.body).short_message.chars() == "Hello from smppgw");
        CHECK(p.tlvs.empty());
    }
    SECTION("a fieldless response with a stray tail is the header-only response") {
        // generic_nack, status 5, with one byte after the header: decodes, and re-encoding
        // gives the same PDU the 16-octet form decodes to.
        const auto bytes = hex("0000001180000000000000050000002a00");
        REQUIRE(smpp::decode(bytes, p).ok());
        CHECK(p.omit_body);
        std::vector<std::uint8_t> again_bytes;
        REQUIRE_FALSE(smpp::encode(p, again_bytes, {.strict = false}));
        CHECK(again_bytes == hex("0000001080000000000000050000002a"));
        smpp::pdu again;
        REQUIRE(smpp::decode(again_bytes, again).ok());
        CHECK(again == p);
    }
    SECTION("the stream goes on after a recoverable error") {
        std::vector<std::uint8_t> stream = hex("0000001000000110000000000a342ee7");  // unknown id
        stream.insert(stream.end(), good.begin(), good.end());
        auto r = smpp::decode(stream, p);
        CHECK(r.error == smpp::errc::unknown_command_id);
        r = smpp::decode(std::span(stream).subspan(r.consumed), p);
        CHECK(r.ok());
        CHECK(p.command_id() == smpp::command_id::submit_sm);
    }
}

TEST_CASE("responses with and without a body", "[codec][responses]") {
    smpp::pdu p;
    SECTION("header-only error response") {
        REQUIRE(smpp::decode(hex("00000010800000090000000e00000d80"), p).ok());
        CHECK(p.omit_body);
        CHECK(p.command_status == smpp::status::ESME_RINVPASWD);
    }
    SECTION("error response whose body is an empty system_id") {
        REQUIRE(smpp::decode(hex("00000011800000090000000e0000000100"), p).ok());
        CHECK_FALSE(p.omit_body);
        CHECK(std::get<smpp::bind_transceiver_resp>(p.body).system_id.empty());
    }
    SECTION("error response with a broken body: header kept, body ignored") {
        // message_id "000" without its NUL
        const auto bytes = with_header(0x80000004, 2, {'0', '0', '0'}, 0x0A);
        const auto r = smpp::decode(bytes, p);
        REQUIRE(r.ok());
        CHECK(p.omit_body);
        CHECK(p.command_status == smpp::status::ESME_RINVSRCADR);
    }
    SECTION("success response without a body is tolerated") {
        const auto r = smpp::decode(with_header(0x80000004, 5, {}), p);
        REQUIRE(r.ok());
        CHECK(p.omit_body);
        CHECK(std::get<smpp::submit_sm_resp>(p.body).message_id.empty());
    }
    SECTION("make_response writes error responses with their (empty) body") {
        auto resp = smpp::make_response(sample_submit(), smpp::status::ESME_RTHROTTLED);
        CHECK(resp.command_id() == smpp::command_id::submit_sm_resp);
        CHECK(resp.sequence_number == 7);
        CHECK_FALSE(resp.omit_body);
        const auto bytes = encoded(resp);
        CHECK(smpp::to_hex(bytes) == "0000001180000004000000580000000700");
        // And what it writes decodes as the form with a body.
        smpp::pdu back;
        REQUIRE(smpp::decode(bytes, back).ok());
        CHECK_FALSE(back.omit_body);
        CHECK(back == resp);
    }
    SECTION("make_response: the body of every error response") {
        struct expected {
            smpp::pdu request;
            const char* hex;
        };
        smpp::pdu bind;
        bind.sequence_number = 3;
        bind.body = smpp::bind_transceiver{};
        smpp::pdu query;
        query.sequence_number = 4;
        query.body = smpp::query_sm{};
        smpp::pdu multi;
        multi.sequence_number = 5;
        multi.body = smpp::submit_multi{};
        smpp::pdu data;
        data.sequence_number = 6;
        data.body = smpp::data_sm{};
        smpp::pdu cancel;
        cancel.sequence_number = 8;
        cancel.body = smpp::cancel_sm{};
        smpp::pdu deliver;
        deliver.sequence_number = 9;
        deliver.body = smpp::deliver_sm{};
        const std::vector<expected> cases{
            // system_id "" (libsmpp34 1.14 cannot decode a bind_transceiver_resp without it)
            {bind, "00000011800000090000000e0000000300"},
            // message_id "", final_date "", message_state 0, error_code 0
            {query, "00000014800000030000000e0000000400000000"},
            // message_id "", no_unsuccess 0
            {multi, "00000012800000210000000e000000050000"},
            {data, "00000011800001030000000e0000000600"},
            {deliver, "00000011800000050000000e0000000900"},
            // cancel_sm_resp has no body in any form
            {cancel, "00000010800000080000000e00000008"},
        };
        for (const auto& c : cases) {
            const auto resp = smpp::make_response(c.request, smpp::status::ESME_RINVPASWD);
            CAPTURE(resp.command_name());
            CHECK(smpp::to_hex(encoded(resp)) == c.hex);
        }
    }
    SECTION("make_response for a request without a response is a generic_nack") {
        smpp::pdu alert;
        alert.sequence_number = 4;
        alert.body = smpp::alert_notification{};
        CHECK(smpp::make_response(alert, smpp::status::ESME_RINVCMDID).command_id() ==
              smpp::command_id::generic_nack);
    }
}

TEST_CASE("TLVs: typed access, unknown tags kept byte for byte", "[codec][tlv]") {
    auto p = sample_submit();
    p.tlvs.set<smpp::tlv::user_message_reference>(0x1234);
    p.tlvs.set<smpp::tlv::receipted_message_id>("abc");
    const std::uint8_t vendor[] = {0xde, 0xad, 0xbe, 0xef};
    p.tlvs.append_raw(0x1454, vendor);
    p.tlvs.set<smpp::tlv::alert_on_message_delivery>(true);

    const auto bytes = encoded(p);
    smpp::pdu back;
    REQUIRE(smpp::decode(bytes, back).ok());
    CHECK(back == p);
    CHECK(back.tlvs.count() == 4);
    CHECK(back.tlvs.get<smpp::tlv::user_message_reference>() == 0x1234);
    CHECK(back.tlvs.get<smpp::tlv::receipted_message_id>() == "abc");
    CHECK(back.tlvs.get<smpp::tlv::alert_on_message_delivery>() == true);
    CHECK_FALSE(back.tlvs.get<smpp::tlv::message_state>().has_value());
    const auto raw = back.tlvs.find(0x1454);
    REQUIRE(raw);
    CHECK(std::ranges::equal(*raw, vendor));

    SECTION("set replaces in place, erase removes") {
        back.tlvs.set<smpp::tlv::user_message_reference>(7);
        CHECK(back.tlvs.count() == 4);
        CHECK((*back.tlvs.begin()).tag == smpp::tlv::user_message_reference::tag);
        CHECK(back.tlvs.get<smpp::tlv::user_message_reference>() == 7);
        CHECK(back.tlvs.erase(0x1454));
        CHECK_FALSE(back.tlvs.erase(0x1454));
        CHECK(back.tlvs.count() == 3);
    }
    SECTION("a known tag with the wrong shape reads as absent, the PDU still decodes") {
        smpp::pdu odd = sample_submit();
        const std::uint8_t two[] = {0, 2};
        odd.tlvs.append_raw(smpp::tlv::message_state::tag, two);
        smpp::pdu decoded;
        REQUIRE(smpp::decode(encoded(odd), decoded).ok());
        CHECK_FALSE(decoded.tlvs.get<smpp::tlv::message_state>().has_value());
        CHECK(decoded.tlvs.find(smpp::tlv::message_state::tag)->size() == 2);
    }
}

TEST_CASE("submit_multi and its response", "[codec][submit_multi]") {
    smpp::pdu p;
    p.sequence_number = 11;
    smpp::submit_multi m;
    REQUIRE(m.source_addr.assign("ACME"));
    m.source_addr_ton = 5;
    m.dest_addresses.push_back({.dest_flag = 1, .dest_addr_ton = 1, .dest_addr_npi = 1,
                                .destination_addr = "15550001111", .dl_name = {}});
    m.dest_addresses.push_back({.dest_flag = 2, .dest_addr_ton = 0, .dest_addr_npi = 0,
                                .destination_addr = {}, .dl_name = "friends"});
    REQUIRE(m.short_message.assign(std::string_view("hi all")));
    p.body = m;
    const auto bytes = encoded(p);
    smpp::pdu back;
    REQUIRE(smpp::decode(bytes, back).ok());
    CHECK(back == p);

    SECTION("dest_flag other than 1 or 2") {
        auto broken = bytes;
        // service_type(1) ton npi source_addr("ACME\0") number_of_dests -> first dest_flag
        const std::size_t dest_flag_at = 16 + 1 + 2 + 5 + 1;
        REQUIRE(broken[dest_flag_at] == 1);
        broken[dest_flag_at] = 3;
        const auto r = smpp::decode(broken, back);
        CHECK(r.response_status == smpp::status::ESME_RINVDESTFLAG);
    }
    SECTION("number_of_dests 0") {
        auto broken = bytes;
        broken[16 + 1 + 2 + 5] = 0;
        CHECK(smpp::decode(broken, back).response_status == smpp::status::ESME_RINVNUMDESTS);
    }
    SECTION("response with unsuccessful destinations") {
        smpp::pdu r;
        r.sequence_number = 11;
        smpp::submit_multi_resp resp;
        REQUIRE(resp.message_id.assign("42"));
        resp.unsuccess_smes.push_back({.dest_addr_ton = 1, .dest_addr_npi = 1,
                                       .destination_addr = "15550003333",
                                       .error_status_code = 0x401});
        r.body = resp;
        smpp::pdu decoded;
        REQUIRE(smpp::decode(encoded(r), decoded).ok());
        CHECK(decoded == r);
    }
}

TEST_CASE("the encoder refuses invalid PDUs and leaves the buffer alone", "[codec][encode]") {
    std::vector<std::uint8_t> out{1, 2, 3};
    auto p = sample_submit();
    auto& s = std::get<smpp::submit_sm>(p.body);

    SECTION("schedule_delivery_time of the wrong length") {
        REQUIRE(s.schedule_delivery_time.assign("2601011200"));
        CHECK(smpp::encode(p, out) == smpp::errc::invalid_time_format);
    }
    SECTION("255-octet short_message") {
        const std::vector<std::uint8_t> big(255, 'x');
        REQUIRE(s.short_message.assign(big));
        CHECK(smpp::encode(p, out) == smpp::errc::short_message_too_long);
    }
    SECTION("short_message together with message_payload") {
        const std::uint8_t payload[] = {'x'};
        p.tlvs.set<smpp::tlv::message_payload>(payload);
        CHECK(smpp::encode(p, out) == smpp::errc::payload_conflict);
    }
    SECTION("request with sequence 0") {
        p.sequence_number = 0;
        CHECK(smpp::encode(p, out) == smpp::errc::sequence_out_of_range);
    }
    SECTION("request with a status") {
        p.command_status = smpp::status::ESME_RSYSERR;
        CHECK(smpp::encode(p, out) == smpp::errc::status_on_request);
    }
    CHECK(out == std::vector<std::uint8_t>{1, 2, 3});
}

TEST_CASE("lenient encoding writes a 255-octet short_message as peers do", "[codec][encode]") {
    auto p = sample_submit();
    const std::vector<std::uint8_t> big(255, 'x');
    REQUIRE(std::get<smpp::submit_sm>(p.body).short_message.assign(big));
    std::vector<std::uint8_t> out;
    REQUIRE_FALSE(smpp::encode(p, out, {.strict = false}));
    smpp::pdu back;
    REQUIRE(smpp::decode(out, back).ok());
    CHECK(std::get<smpp::submit_sm>(back.body).short_message.size() == 255);
}

TEST_CASE("decoding a PDU without TLVs does not allocate", "[codec][allocation]") {
#if defined(__SANITIZE_ADDRESS__)
    WARN("allocation counting is disabled under AddressSanitizer");
#else
    const auto bytes = encoded(sample_submit());
    smpp::pdu p;
    REQUIRE(smpp::decode(bytes, p).ok());  // first use may size the variant's storage
    std::vector<std::uint8_t> out;
    out.reserve(512);
    const auto before = allocations.load();
    for (int i = 0; i < 1000; ++i) {
        REQUIRE(smpp::decode(bytes, p).ok());
        out.clear();
        REQUIRE_FALSE(smpp::encode(p, out));
    }
    CHECK(allocations.load() - before == 0);
#endif
}

TEST_CASE("command and status names", "[codec][names]") {
    CHECK(smpp::command_name(smpp::command_id::submit_multi_resp) == "submit_multi_resp");
    CHECK(smpp::command_from_name("data_sm") == smpp::command_id::data_sm);
    CHECK(smpp::response_for(0x00000004) == smpp::command_id::submit_sm_resp);
    CHECK(smpp::response_for(0x0000000B) == smpp::command_id::generic_nack);
    CHECK(smpp::response_for(0x00000110) == smpp::command_id::generic_nack);
    CHECK(smpp::status_name(0x58) == "ESME_RTHROTTLED");
    CHECK(smpp::status_name(0x401).empty());
    CHECK(smpp::status_from_name("ESME_RINVOPTPARSTREAM") == 0xC0U);
}
