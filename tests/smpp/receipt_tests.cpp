#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "smppgw/smpp/message_id.hpp"
#include "smppgw/smpp/receipt.hpp"

using namespace std::chrono;
using namespace std::string_view_literals;
using smppgw::smpp::id_encoding;
using smppgw::smpp::id_format;
using smppgw::smpp::id_source;
using smppgw::smpp::message_id_normalizer;
using smppgw::smpp::message_state;
using smppgw::smpp::network_error;
using smppgw::smpp::outbound_receipt;
using smppgw::smpp::parse_receipt;
using smppgw::smpp::parse_receipt_text;
using smppgw::smpp::receipt;
using smppgw::smpp::receipt_field;
using smppgw::smpp::receipt_tlvs;

namespace {

sys_seconds at(int y, unsigned mo, unsigned d, int h, int mi, int s = 0) {
    return sys_days{year{y} / month{mo} / day{d}} + hours{h} + minutes{mi} + seconds{s};
}

std::string unhex(std::string_view hex) {
    const auto nibble = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        out += static_cast<char>(nibble(hex[i]) * 16 + nibble(hex[i + 1]));
    }
    return out;
}

// Just enough of deliver_sm to pull the receipt inputs out of the vectors, so these tests read
// the captured bytes rather than a transcription and stay independent of the PDU codec.
struct deliver_sm_receipt_inputs {
    std::uint8_t esm_class = 0;
    std::string short_message;
    std::optional<std::string> message_payload;
    std::optional<std::string> receipted_message_id;
    std::optional<std::uint8_t> message_state;
    std::optional<std::string> network_error_code;

    [[nodiscard]] std::string_view text() const {
        return short_message.empty() && message_payload ? std::string_view(*message_payload)
                                                        : std::string_view(short_message);
    }
    [[nodiscard]] receipt_tlvs tlvs() const {
        receipt_tlvs t;
        if (receipted_message_id) {
            t.receipted_message_id = *receipted_message_id;
        }
        t.message_state = message_state;
        if (network_error_code) {
            t.network_error_code = *network_error_code;
        }
        return t;
    }
};

deliver_sm_receipt_inputs decode_deliver_sm(std::string_view hex) {
    const std::string pdu = unhex(hex);
    std::size_t pos = 16;
    const auto skip_c_string = [&] { pos = pdu.find('\0', pos) + 1; };
    const auto octet = [&](std::size_t at) { return static_cast<std::uint8_t>(pdu.at(at)); };
    deliver_sm_receipt_inputs in;
    skip_c_string();  // service_type
    pos += 2;         // source_addr_ton, source_addr_npi
    skip_c_string();  // source_addr
    pos += 2;
    skip_c_string();  // destination_addr
    in.esm_class = octet(pos);
    pos += 3;         // esm_class, protocol_id, priority_flag
    skip_c_string();  // schedule_delivery_time
    skip_c_string();  // validity_period
    pos += 4;  // registered_delivery, replace_if_present_flag, data_coding, sm_default_msg_id
    const std::size_t sm_length = octet(pos++);
    in.short_message = pdu.substr(pos, sm_length);
    pos += sm_length;
    while (pos + 4 <= pdu.size()) {
        const unsigned tag = octet(pos) * 256U + octet(pos + 1);
        const std::size_t length = octet(pos + 2) * 256U + octet(pos + 3);
        std::string value = pdu.substr(pos + 4, length);
        pos += 4 + length;
        switch (tag) {
            case 0x001E:
                in.receipted_message_id = std::move(value);
                break;
            case 0x0427:
                in.message_state = static_cast<std::uint8_t>(value.at(0));
                break;
            case 0x0423:
                in.network_error_code = std::move(value);
                break;
            case 0x0424:
                in.message_payload = std::move(value);
                break;
            default:
                break;
        }
    }
    REQUIRE(pos == pdu.size());
    return in;
}

receipt must_parse(std::string_view text) {
    auto r = parse_receipt_text(text);
    REQUIRE(r.has_value());
    return *r;
}

// Vectors from /work/shared/smpp/vectors.txt (names as there).
constexpr std::string_view deliver_sm_dlr =
    "000000ba000000050000000000000002000101343439353133363139323000010134303430340004000000000000"
    "00006e69643a30303539313133393738207375623a30303120646c7672643a303031207375626d69742064617465"
    "3a3130303231303137333020646f6e6520646174653a3130303231303137333120737461743a44454c4956524420"
    "6572723a30303020746578743a4024232125262f3a000e0001010006000101001e00083338363031666100042700"
    "0102";
constexpr std::string_view deliver_sm_dlr_2 =
    "000000b900000005000000000000000a434d54000100363531353535353637380001003132330004000000000000"
    "00007669643a31383931323733333231207375623a30303120646c7672643a303031207375626d69742064617465"
    "3a3133303530353038323620646f6e6520646174653a3133303530353038323620737461743a44454c4956524420"
    "6572723a30303020546578743a444c56524420544f204d4f42494c45000427000102001e00093730424138413639"
    "00";
constexpr std::string_view deliver_sm_dlr_no_tlvs =
    "000000a2000000050000000000116ad500010134343935313336313932303537000501475442616e6b0004000000"
    "00010000006e69643a3934323531343330393233207375623a30303120646c7672643a303031207375626d697420"
    "646174653a3039313130343031323420646f6e6520646174653a3039313130343031323420737461743a41434345"
    "505444206572723a31303720746578743a20323646313032";
constexpr std::string_view deliver_sm_dlr_vendor_tlvs =
    "000000c9000000050000000003088101000101393731353634313034303934000500534b5954454c45434f4d0004"
    "00000000000000007b69643a313435313030333135333230323234393537207375623a30303120646c7672643a30"
    "3031207375626d697420646174653a3135313030333137333220646f6e6520646174653a31353130303331373332"
    "20737461743a44454c49565244206572723a3030303020746578743a5465737420286d6568646929042300030300"
    "0014540004000000011418000400000030";
constexpr std::string_view deliver_sm_dlr_smpp5_tlvs =
    "000000de0000000500000000569d3e36000000333532363931363030343033000000300004000000000000000085"
    "69643a3444313943383343207375623a30303120646c7672643a303031207375626d697420646174653a31353130"
    "30393031303520646f6e6520646174653a3135313030393031303520737461743a44454c49565244206572723a30"
    "30303020746578743a4757323530204d43433d323730204d4e433d312042696c6c696e674d4e433d31001e000934"
    "4431394338334300000e000101060d000731323730303100060f000532373030310427000102";
constexpr std::string_view deliver_sm_dlr_vendor_tlvs_2 =
    "000000a800000005000000002f70c69a000000323235343939303930323800010000040000000000000000696964"
    "3a373935393230303236207375623a30303120646c7672643a303031207375626d697420646174653a3230303331"
    "3931333139313320646f6e6520646174653a32303033313931333139313320737461743a44454c49565244206572"
    "723a30303020746578743a14030007286e756c6c29001402000436313200";

// Named in SMPP.md §10 but absent from vectors.txt; these are the captures the index cites
// (jookies/jasmin tests/protocols/smpp/test_pdu_decoding.py, tests
// test_deliver_sm_unknown_param_network_error_code, test_any_network_error_code,
// test_deliver_sm_with_message_payload).
constexpr std::string_view deliver_sm_dlr_undeliv_ascii_nec =
    "000000e40000000500000000542e0f21312e303030000101323434393335353535300005005a4150000400000000"
    "000000008069643a3661336564393861363634343465386162616333616364396262613836353666207375623a30"
    "303120646c7672643a303030207375626d697420646174653a31343130313630303336353020646f6e6520646174"
    "653a31343130313630303338303020737461743a554e44454c4956206572723a30303020746578743a0423000330"
    "30300427000105001e0021366133656439386136363434346538616261633361636439626261383635366600";
constexpr std::string_view deliver_sm_dlr_uuid =
    "000000f3000000050000000000000001000101343931353235363739343838370001013034303531333036393939"
    "000400000000000000008569643a62633539623861612d326664322d343033352d383131332d3139333031653035"
    "30303739207375623a30303120646c7672643a303031207375626d697420646174653a3135303530383134343035"
    "3820646f6e6520646174653a31353035303831343430353820737461743a44454c49565244206572723a30303020"
    "746578743a2d042300030300000427000102001e002562633539623861612d326664322d343033352d383131332d"
    "31393330316530353030373900";
constexpr std::string_view deliver_sm_dlr_in_message_payload =
    "0000009200000005000000000001693c000000323136353335323037303300000037373838000400000000010000"
    "00000424004f69643a30303030343336393439207375626d697420646174653a3135303432313135303820646f6e"
    "6520646174653a3135303432313135303820737461743a44454c49565244206572723a30303000001e0006366161"
    "6435000427000102";

}  // namespace

TEST_CASE("message_state values and stat words", "[receipt]") {
    for (std::uint8_t v = 0; v <= 9; ++v) {
        const auto state = smppgw::smpp::to_message_state(v);
        REQUIRE(state.has_value());
        CHECK(static_cast<std::uint8_t>(*state) == v);
        // Every state's stat word maps back to it.
        CHECK(smppgw::smpp::message_state_from_stat(stat_text(*state)) == state);
        CHECK(stat_text(*state).size() == 7);
    }
    CHECK_FALSE(smppgw::smpp::to_message_state(10).has_value());
    CHECK_FALSE(smppgw::smpp::to_message_state(255).has_value());

    CHECK(stat_text(message_state::delivered) == "DELIVRD");
    CHECK(stat_text(message_state::undeliverable) == "UNDELIV");
    CHECK(stat_text(message_state::scheduled) == "SCHEDLD");
    CHECK(stat_text(message_state::skipped) == "SKIPPED");

    using smppgw::smpp::message_state_from_stat;
    CHECK(message_state_from_stat("delivrd") == message_state::delivered);
    CHECK(message_state_from_stat("Rejectd") == message_state::rejected);
    CHECK(message_state_from_stat("FAILED") == message_state::undeliverable);
    CHECK(message_state_from_stat("failed") == message_state::undeliverable);
    CHECK(message_state_from_stat("ACKED") == message_state::enroute);
    CHECK(message_state_from_stat("BUFFRED") == message_state::enroute);
    CHECK(message_state_from_stat("BUFFERD") == message_state::enroute);
    CHECK(message_state_from_stat("DELIVERED") == message_state::delivered);
    CHECK_FALSE(message_state_from_stat("DELIV").has_value());
    CHECK_FALSE(message_state_from_stat("DELIVRDX").has_value());
    CHECK_FALSE(message_state_from_stat("").has_value());
    CHECK_FALSE(message_state_from_stat("OK").has_value());
}

TEST_CASE("final and success classes", "[receipt]") {
    using smppgw::smpp::is_final;
    using smppgw::smpp::is_success;
    CHECK(is_success(message_state::delivered));
    CHECK(is_final(message_state::delivered));
    for (const auto failed :
         {message_state::expired, message_state::deleted, message_state::undeliverable,
          message_state::unknown, message_state::rejected, message_state::skipped}) {
        CHECK(is_final(failed));
        CHECK_FALSE(is_success(failed));
    }
    // Intermediate: a later receipt carries the outcome.
    for (const auto pending :
         {message_state::scheduled, message_state::enroute, message_state::accepted}) {
        CHECK_FALSE(is_final(pending));
        CHECK_FALSE(is_success(pending));
    }
}

TEST_CASE("esm_class receipt mask", "[receipt]") {
    using smppgw::smpp::esm_class_marks_receipt;
    CHECK(esm_class_marks_receipt(0x04));
    CHECK(esm_class_marks_receipt(0x08));
    CHECK(esm_class_marks_receipt(0x20));
    CHECK(esm_class_marks_receipt(0x44));  // receipt with UDHI
    CHECK_FALSE(esm_class_marks_receipt(0x00));
    CHECK_FALSE(esm_class_marks_receipt(0x40));  // UDH MO
    CHECK_FALSE(esm_class_marks_receipt(0x80));  // reply path MO
    CHECK_FALSE(esm_class_marks_receipt(0x03));  // mode bits only
    CHECK_FALSE(esm_class_marks_receipt(0x10));  // manual/user ack
    static_assert(esm_class_marks_receipt(0x04));
}

TEST_CASE("vector deliver_sm_dlr: zero-padded decimal text id, hex TLV id", "[receipt]") {
    const auto in = decode_deliver_sm(deliver_sm_dlr);
    CHECK(smppgw::smpp::esm_class_marks_receipt(in.esm_class));

    const receipt text_only = must_parse(in.text());
    CHECK(text_only.id == "0059113978");
    CHECK(text_only.id_origin == id_source::receipt_text);
    CHECK(text_only.sub == 1U);
    CHECK(text_only.dlvrd == 1U);
    CHECK(text_only.submit_date == at(2010, 2, 10, 17, 30));
    CHECK(text_only.done_date == at(2010, 2, 10, 17, 31));
    CHECK(text_only.stat == "DELIVRD");
    CHECK(text_only.state == message_state::delivered);
    CHECK_FALSE(text_only.state_from_tlv);
    CHECK(text_only.err == "000");
    CHECK(text_only.err_code == 0U);
    CHECK(text_only.text == "@$#!%&/:");
    CHECK(text_only.present == 0xFF);

    const auto combined = parse_receipt(in.text(), in.tlvs());
    REQUIRE(combined);
    CHECK(combined->id == "38601fa");
    CHECK(combined->id_origin == id_source::receipted_message_id);
    CHECK(combined->text_id == "0059113978");
    CHECK(combined->state == message_state::delivered);
    CHECK(combined->state_from_tlv);
    CHECK(combined->done_date == at(2010, 2, 10, 17, 31));

    // The carrier sends hex in the TLV and decimal in the text; both find the submission.
    id_format format;
    format.response_id = id_encoding::decimal;
    format.receipted_message_id = id_encoding::hex;
    format.receipt_text = id_encoding::decimal;
    const message_id_normalizer carrier(format);
    const auto submitted = carrier.normalize("59113978", id_source::response);
    CHECK(carrier.normalize(combined->id, combined->id_origin) == submitted);
    CHECK(carrier.normalize(combined->text_id, id_source::receipt_text) == submitted);
}

TEST_CASE("vector deliver_sm_dlr_2: Text: label, trailing NUL, hex TLV id", "[receipt]") {
    const auto in = decode_deliver_sm(deliver_sm_dlr_2);
    CHECK(in.esm_class == 0x04);
    const receipt r = must_parse(in.text());
    CHECK(r.id == "1891273321");
    CHECK(r.submit_date == at(2013, 5, 5, 8, 26));
    CHECK(r.done_date == at(2013, 5, 5, 8, 26));
    CHECK(r.state == message_state::delivered);
    CHECK(r.err_code == 0U);
    CHECK(r.has(receipt_field::text));
    CHECK(r.text == "DLVRD TO MOBILE");

    const auto combined = parse_receipt(in.text(), in.tlvs());
    REQUIRE(combined);
    CHECK(combined->id == "70BA8A69");
    CHECK(combined->id_origin == id_source::receipted_message_id);
    CHECK(combined->text_id == "1891273321");
    CHECK(combined->state == message_state::delivered);

    id_format format;
    format.receipted_message_id = id_encoding::hex;
    format.receipt_text = id_encoding::decimal;
    const message_id_normalizer carrier(format);
    CHECK(carrier.normalize(combined->id, combined->id_origin) ==
          carrier.normalize(combined->text_id, id_source::receipt_text));
}

TEST_CASE("vector deliver_sm_dlr_no_tlvs: ACCEPTD, err 107, text with a leading space",
          "[receipt]") {
    const auto in = decode_deliver_sm(deliver_sm_dlr_no_tlvs);
    const auto r = parse_receipt(in.text(), in.tlvs());
    REQUIRE(r);
    CHECK(r->id == "94251430923");
    CHECK(r->id_origin == id_source::receipt_text);
    CHECK(r->submit_date == at(2009, 11, 4, 1, 24));
    CHECK(r->done_date == at(2009, 11, 4, 1, 24));
    CHECK(r->stat == "ACCEPTD");
    CHECK(r->state == message_state::accepted);
    CHECK_FALSE(is_final(*r->state));
    CHECK(r->err == "107");
    CHECK(r->err_code == 107U);
    CHECK(r->error_code() == 107U);
    CHECK(r->text == " 26F102");
    CHECK_FALSE(r->network_error_code.has_value());
}

TEST_CASE("vector deliver_sm_dlr_vendor_tlvs: 18-digit id, err:0000, network_error_code",
          "[receipt]") {
    const auto in = decode_deliver_sm(deliver_sm_dlr_vendor_tlvs);
    const auto r = parse_receipt(in.text(), in.tlvs());
    REQUIRE(r);
    CHECK(r->id == "145100315320224957");
    CHECK(r->submit_date == at(2015, 10, 3, 17, 32));
    CHECK(r->state == message_state::delivered);
    CHECK(r->err == "0000");
    CHECK(r->err_code == 0U);
    CHECK(r->text == "Test (mehdi)");
    CHECK(r->network_error_code == network_error{3, 0});
    CHECK(r->error_code() == 0U);
}

TEST_CASE("vector deliver_sm_dlr_smpp5_tlvs: 8-hex id in text and TLV", "[receipt]") {
    const auto in = decode_deliver_sm(deliver_sm_dlr_smpp5_tlvs);
    const auto r = parse_receipt(in.text(), in.tlvs());
    REQUIRE(r);
    CHECK(r->id == "4D19C83C");
    CHECK(r->text_id == "4D19C83C");
    CHECK(r->id_origin == id_source::receipted_message_id);
    CHECK(r->submit_date == at(2015, 10, 9, 1, 5));
    CHECK(r->state == message_state::delivered);
    CHECK(r->err_code == 0U);
    CHECK(r->text == "GW250 MCC=270 MNC=1 BillingMNC=1");
}

TEST_CASE("vector deliver_sm_dlr_vendor_tlvs_2: 12-digit dates, empty text", "[receipt]") {
    const auto in = decode_deliver_sm(deliver_sm_dlr_vendor_tlvs_2);
    const auto r = parse_receipt(in.text(), in.tlvs());
    REQUIRE(r);
    CHECK(r->id == "795920026");
    CHECK(r->id_origin == id_source::receipt_text);  // no receipted_message_id
    CHECK(r->submit_date == at(2020, 3, 19, 13, 19, 13));
    CHECK(r->done_date == at(2020, 3, 19, 13, 19, 13));
    CHECK(r->state == message_state::delivered);
    CHECK(r->has(receipt_field::text));
    CHECK(r->text.empty());
}

TEST_CASE("capture deliver_sm_dlr_undeliv_ascii_nec: 32-hex id, ASCII network_error_code",
          "[receipt]") {
    const auto in = decode_deliver_sm(deliver_sm_dlr_undeliv_ascii_nec);
    const auto r = parse_receipt(in.text(), in.tlvs());
    REQUIRE(r);
    CHECK(r->id == "6a3ed98a66444e8abac3acd9bba8656f");
    CHECK(r->text_id == r->id);
    CHECK(r->sub == 1U);
    CHECK(r->dlvrd == 0U);
    CHECK(r->submit_date == at(2014, 10, 16, 0, 36, 50));
    CHECK(r->done_date == at(2014, 10, 16, 0, 38, 0));
    CHECK(r->stat == "UNDELIV");
    CHECK(r->state == message_state::undeliverable);
    CHECK(r->state_from_tlv);
    CHECK(is_final(*r->state));
    CHECK_FALSE(is_success(*r->state));
    // The TLV holds the three ASCII characters "000" instead of type + code.
    CHECK(r->network_error_code == network_error{0, 0});
}

TEST_CASE("capture deliver_sm_dlr_uuid: UUID id", "[receipt]") {
    const auto in = decode_deliver_sm(deliver_sm_dlr_uuid);
    const auto r = parse_receipt(in.text(), in.tlvs());
    REQUIRE(r);
    CHECK(r->id == "bc59b8aa-2fd2-4035-8113-19301e050079");
    CHECK(r->submit_date == at(2015, 5, 8, 14, 40, 58));
    CHECK(r->state == message_state::delivered);
    CHECK(r->text == "-");
    CHECK(r->network_error_code == network_error{3, 0});
    const message_id_normalizer carrier;
    CHECK(carrier.normalize(r->id, r->id_origin) ==
          carrier.normalize("BC59B8AA-2FD2-4035-8113-19301E050079", id_source::response));
}

TEST_CASE("capture deliver_sm_dlr_in_message_payload: no sub/dlvrd/text, hex TLV id", "[receipt]") {
    const auto in = decode_deliver_sm(deliver_sm_dlr_in_message_payload);
    CHECK(in.short_message.empty());
    REQUIRE(in.message_payload);
    const receipt text_only = must_parse(in.text());
    CHECK(text_only.id == "0000436949");
    CHECK_FALSE(text_only.has(receipt_field::sub));
    CHECK_FALSE(text_only.has(receipt_field::dlvrd));
    CHECK_FALSE(text_only.has(receipt_field::text));
    CHECK_FALSE(text_only.sub.has_value());
    CHECK(text_only.submit_date == at(2015, 4, 21, 15, 8));
    CHECK(text_only.stat == "DELIVRD");
    CHECK(text_only.err == "000");  // the payload's trailing NUL is not part of err

    const auto r = parse_receipt(in.text(), in.tlvs());
    REQUIRE(r);
    CHECK(r->id == "6aad5");
    id_format format;
    format.receipted_message_id = id_encoding::hex;
    format.receipt_text = id_encoding::decimal;
    const message_id_normalizer carrier(format);
    CHECK(carrier.normalize(r->id, r->id_origin) ==
          carrier.normalize(r->text_id, id_source::receipt_text));
}

TEST_CASE("labels in any order and case", "[receipt]") {
    const receipt r = must_parse(
        "STAT:delivrd ERR:5 Done Date:2401021030 ID:AbC123 Dlvrd:1 SUB:1 "
        "submit DATE:2401021029 TEXT:hello");
    CHECK(r.id == "AbC123");
    CHECK(r.stat == "delivrd");
    CHECK(r.state == message_state::delivered);
    CHECK(r.err_code == 5U);
    CHECK(r.sub == 1U);
    CHECK(r.dlvrd == 1U);
    CHECK(r.submit_date == at(2024, 1, 2, 10, 29));
    CHECK(r.done_date == at(2024, 1, 2, 10, 30));
    CHECK(r.text == "hello");
    CHECK(r.present == 0xFF);
}

TEST_CASE("text need not be last and may hold spaces", "[receipt]") {
    // larvitsmpp operator fixtures put text before stat.
    const receipt r = must_parse("id:77 text:Your code is 1234 stat:UNDELIV err:021");
    CHECK(r.id == "77");
    CHECK(r.text == "Your code is 1234");
    CHECK(r.state == message_state::undeliverable);
    CHECK(r.err_code == 21U);
}

TEST_CASE("text containing label words keeps its words", "[receipt]") {
    const receipt r = must_parse(
        "id:123 sub:001 dlvrd:001 submit date:2401021029 done date:2401021030 stat:DELIVRD "
        "err:000 text:Your id: 999 stat: ok");
    CHECK(r.id == "123");
    CHECK(r.stat == "DELIVRD");
    CHECK(r.text == "Your id: 999 stat: ok");

    // A word ending in a label is no label.
    CHECK_FALSE(parse_receipt_text("paid:5 stat:DELIVRD").has_value());
    const receipt r2 = must_parse("id:9 err:0 text:paid:5 orderid:7");
    CHECK(r2.id == "9");
    CHECK(r2.text == "paid:5 orderid:7");
}

TEST_CASE("missing, unpadded and noisy fields", "[receipt]") {
    const receipt bare = must_parse("id:abc stat:DELIVRD");
    CHECK(bare.id == "abc");
    CHECK(bare.state ==
          message_state::delivered);  // last value, no trailing space (Kannel loses it)
    CHECK_FALSE(bare.has(receipt_field::sub));
    CHECK_FALSE(bare.has(receipt_field::err));
    CHECK_FALSE(bare.has(receipt_field::text));
    CHECK_FALSE(bare.err_code.has_value());
    CHECK_FALSE(bare.submit_date.has_value());

    const receipt unpadded = must_parse("id:1 sub:1 dlvrd:13 err:7");
    CHECK(unpadded.sub == 1U);
    CHECK(unpadded.dlvrd == 13U);
    CHECK(unpadded.err_code == 7U);

    // Present but unreadable values: flagged present, no value.
    const receipt odd = must_parse("id:1 sub:x dlvrd: submit date:2413011200 stat:WHATEVER err:zz");
    CHECK(odd.has(receipt_field::sub));
    CHECK_FALSE(odd.sub.has_value());
    CHECK(odd.has(receipt_field::dlvrd));
    CHECK_FALSE(odd.dlvrd.has_value());
    CHECK(odd.has(receipt_field::submit_date));
    CHECK_FALSE(odd.submit_date.has_value());  // month 13
    CHECK(odd.stat == "WHATEVER");
    CHECK_FALSE(odd.state.has_value());
    CHECK(odd.err == "zz");
    CHECK_FALSE(odd.err_code.has_value());

    // An unknown vendor field after a value does not spoil it.
    const receipt vendor = must_parse("id:42 stat:DELIVRD err:000 mccmnc:27001 text:x");
    CHECK(vendor.err_code == 0U);
    CHECK(vendor.err == "000");
}

TEST_CASE("FAILED and hex or wide err values", "[receipt]") {
    const receipt failed = must_parse("id:A1 stat:FAILED err:4A6");
    CHECK(failed.stat == "FAILED");
    CHECK(failed.state == message_state::undeliverable);
    CHECK(failed.err_code == 0x4A6U);
    CHECK(must_parse("id:A1 err:21b").err_code == 0x21BU);
    CHECK(must_parse("id:A1 err:0000").err_code == 0U);
    CHECK(must_parse("id:A1 err:1").err_code == 1U);
    // Decimal wins when both readings work.
    CHECK(must_parse("id:A1 err:100").err_code == 100U);
    CHECK_FALSE(must_parse("id:A1 err:123456789012").err_code.has_value());
}

TEST_CASE("receipt dates: 10, 12 and 14 digits", "[receipt]") {
    using smppgw::smpp::parse_receipt_date;
    CHECK(parse_receipt_date("1002101730") == at(2010, 2, 10, 17, 30));
    CHECK(parse_receipt_date("100210173059") == at(2010, 2, 10, 17, 30, 59));
    CHECK(parse_receipt_date("20100210173059") == at(2010, 2, 10, 17, 30, 59));
    CHECK(parse_receipt_date("19991231235959") == at(1999, 12, 31, 23, 59, 59));
    CHECK_FALSE(parse_receipt_date("").has_value());
    CHECK_FALSE(parse_receipt_date("100210173").has_value());
    CHECK_FALSE(parse_receipt_date("10021017305").has_value());
    CHECK_FALSE(parse_receipt_date("1002101730a").has_value());
    CHECK_FALSE(parse_receipt_date("1002301730").has_value());    // 30 February
    CHECK_FALSE(parse_receipt_date("1002102430").has_value());    // hour 24
    CHECK_FALSE(parse_receipt_date("100210173060").has_value());  // second 60
    CHECK_FALSE(parse_receipt_date("09110210173059").has_value());  // year 911
    CHECK_FALSE(parse_receipt_date("22000101000000").has_value());  // year 2200
    CHECK(parse_receipt_date("21991231235959") == at(2199, 12, 31, 23, 59, 59));

    const receipt r = must_parse("id:1 submit date:20240229120000 done date:240229120105");
    CHECK(r.submit_date == at(2024, 2, 29, 12, 0));
    CHECK(r.done_date == at(2024, 2, 29, 12, 1, 5));
}

TEST_CASE("padding, NULs and 8-bit text", "[receipt]") {
    const receipt padded = must_parse("id:55 stat:DELIVRD text:hi   \0\0\0"sv);
    CHECK(padded.text == "hi");
    CHECK(padded.state == message_state::delivered);

    const receipt nul_separated = must_parse("id:55\0stat:EXPIRED\0err:3"sv);
    CHECK(nul_separated.id == "55");
    CHECK(nul_separated.state == message_state::expired);
    CHECK(nul_separated.err_code == 3U);

    // Raw Latin-1 text octets pass through untouched.
    const receipt latin1 = must_parse("id:7f3a9c21 stat:DELIVRD err:000 text:caf\xe9 cr\xe8me"sv);
    CHECK(latin1.id == "7f3a9c21");
    CHECK(latin1.text == "caf\xe9 cr\xe8me"sv);
}

TEST_CASE("a receipt sent whole as UTF-16BE", "[receipt]") {
    std::string ucs2;
    const std::u16string text = u"id:88 stat:DELIVRD err:000 text:\u00e9t\u00e9 \U0001F600";
    for (const char16_t unit : text) {
        ucs2 += static_cast<char>(unit >> 8U);
        ucs2 += static_cast<char>(unit & 0xFFU);
    }
    const receipt r = must_parse(ucs2);
    CHECK(r.id == "88");
    CHECK(r.state == message_state::delivered);
    CHECK(r.text == "\xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80");
}

TEST_CASE("text without an id is not a receipt", "[receipt]") {
    CHECK_FALSE(parse_receipt_text("").has_value());
    CHECK_FALSE(parse_receipt_text("Hello, see you at 10").has_value());
    CHECK_FALSE(parse_receipt_text("sub:001 dlvrd:001 stat:DELIVRD err:000 text:x").has_value());
    CHECK_FALSE(parse_receipt_text("id: sub:001 stat:DELIVRD").has_value());
    CHECK_FALSE(parse_receipt_text("id:").has_value());
    CHECK_FALSE(parse_receipt_text("\0\0\0"sv).has_value());
    CHECK_FALSE(parse_receipt("stat:DELIVRD", receipt_tlvs{}).has_value());
}

TEST_CASE("TLVs win over the text", "[receipt]") {
    // Telesign: stat UNKNOWN with message_state 9.
    receipt_tlvs tlvs;
    tlvs.message_state = 9;
    tlvs.receipted_message_id = "ABC\0"sv;
    auto r = parse_receipt("id:abc stat:UNKNOWN err:000", tlvs);
    REQUIRE(r);
    CHECK(r->state == message_state::skipped);
    CHECK(r->state_from_tlv);
    CHECK(r->stat == "UNKNOWN");
    CHECK(r->id == "ABC");

    // A message_state outside 0-9 is ignored in favour of the text.
    tlvs.message_state = 42;
    r = parse_receipt("id:abc stat:UNDELIV", tlvs);
    REQUIRE(r);
    CHECK(r->state == message_state::undeliverable);
    CHECK_FALSE(r->state_from_tlv);

    // An empty receipted_message_id does not hide the text's id.
    receipt_tlvs empty_id;
    empty_id.receipted_message_id = "\0"sv;
    r = parse_receipt("id:777 stat:DELIVRD", empty_id);
    REQUIRE(r);
    CHECK(r->id == "777");
    CHECK(r->id_origin == id_source::receipt_text);

    // TLVs alone make a receipt; the text may be empty or carry no id.
    receipt_tlvs only;
    only.receipted_message_id = "x-1"sv;
    only.message_state = 2;
    only.network_error_code = "\x01\x02\x03"sv;
    r = parse_receipt("", only);
    REQUIRE(r);
    CHECK(r->id == "x-1");
    CHECK(r->text_id.empty());
    CHECK(r->state == message_state::delivered);
    CHECK(r->network_error_code == network_error{1, 0x0203});
    CHECK(r->present == 0);
    r = parse_receipt("stat:EXPIRED err:12 text:hi", only);
    REQUIRE(r);
    CHECK(r->id == "x-1");
    CHECK(r->state == message_state::delivered);
    CHECK(r->err_code == 12U);
    CHECK(r->text == "hi");
    CHECK(r->error_code() == 0x0203U);  // the TLV's code wins
}

TEST_CASE("network_error_code shapes", "[receipt]") {
    using smppgw::smpp::parse_network_error_code;
    CHECK(parse_network_error_code("\x03\x00\x00"sv) == network_error{3, 0});
    CHECK(parse_network_error_code("\x03\x04\xA6"sv) == network_error{3, 0x04A6});
    CHECK(parse_network_error_code("\x08\xFF\xFF"sv) == network_error{8, 0xFFFF});
    CHECK(parse_network_error_code("000") == network_error{0, 0});
    CHECK(parse_network_error_code("612") == network_error{0, 612});
    CHECK(parse_network_error_code("612\0"sv) == network_error{0, 612});
    CHECK(parse_network_error_code("1") == network_error{0, 1});
    CHECK(parse_network_error_code("\x04\xA6"sv) == network_error{0, 0x04A6});
    CHECK(parse_network_error_code("\x11"sv) == network_error{0, 0x11});
    CHECK(parse_network_error_code("\0\0\0"sv) == network_error{0, 0});
    CHECK_FALSE(parse_network_error_code("").has_value());
    CHECK_FALSE(parse_network_error_code("\x03\x00\x00\x00"sv).has_value());
    CHECK_FALSE(parse_network_error_code("99999").has_value());  // above 16 bits
}

TEST_CASE("formatting the canonical receipt", "[receipt]") {
    outbound_receipt out;
    out.id = "8142236512311885824";
    out.submit_date = at(2024, 3, 5, 9, 7, 59);
    out.done_date = at(2024, 3, 5, 9, 8, 1);
    out.state = message_state::delivered;
    out.text = "Your verification code is 123456";
    CHECK(format_receipt_text(out) ==
          "id:8142236512311885824 sub:001 dlvrd:001 submit date:2403050907 done date:2403050908 "
          "stat:DELIVRD err:000 text:Your verification co");

    out.state = message_state::undeliverable;
    out.err = 21;
    out.text = "";
    CHECK(format_receipt_text(out) ==
          "id:8142236512311885824 sub:001 dlvrd:000 submit date:2403050907 done date:2403050908 "
          "stat:UNDELIV err:021 text:");

    // 3-digit fields clamp.
    out.err = 1190;
    out.submitted = 1000;
    out.delivered = 5;
    const std::string clamped = format_receipt_text(out);
    CHECK(clamped.find(" sub:999 dlvrd:005 ") != std::string::npos);
    CHECK(clamped.find(" err:999 ") != std::string::npos);

    // 20 characters, not 20 octets, and never half a character.
    out.text =
        "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
        "abcdefghij\xe2\x82\xac"  // 10 é + 10 ASCII = 20 characters, then €
        "tail";
    const std::string utf8 = format_receipt_text(out);
    CHECK(utf8.substr(utf8.find("text:") + 5) ==
          "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
          "abcdefghij");
}

TEST_CASE("formatted receipts parse back to the same facts", "[receipt]") {
    for (const auto state :
         {message_state::delivered, message_state::expired, message_state::deleted,
          message_state::undeliverable, message_state::accepted, message_state::unknown,
          message_state::rejected, message_state::enroute}) {
        outbound_receipt out;
        out.id = "000123";
        out.submit_date = at(2031, 12, 31, 23, 59, 42);
        out.done_date = at(2032, 1, 1, 0, 1);
        out.state = state;
        out.err = 88;
        out.text = "id: stat: words and spaces";
        const std::string text = format_receipt_text(out);
        INFO(text);
        const receipt r = must_parse(text);
        CHECK(r.id == "000123");
        CHECK(r.sub == 1U);
        CHECK(r.dlvrd == (is_success(state) ? 1U : 0U));
        CHECK(r.submit_date == at(2031, 12, 31, 23, 59));  // minute precision on the wire
        CHECK(r.done_date == at(2032, 1, 1, 0, 1));
        CHECK(r.state == state);
        CHECK(r.stat == stat_text(state));
        CHECK(r.err == "088");
        CHECK(r.err_code == 88U);
        // The 20th character is a space, which reads back as padding.
        CHECK(r.text == "id: stat: words and");
        CHECK(r.present == 0xFF);
    }
}
