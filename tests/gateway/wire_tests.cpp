// The wire translations the relays use towards upstream applications: receipt text, the
// reassembled MO, PDUs adapted to a peer's interface version, and split delivery bookkeeping.

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "smppgw/smpp/codec.hpp"
#include "smppgw/smpp/message_view.hpp"
#include "smppgw/smpp/segmentation.hpp"
#include "smppgw/smpp/text.hpp"
#include "wire/wire.hpp"

namespace smpp = smppgw::smpp;
namespace store = smppgw::store;
using namespace smppgw::gateway;

namespace {

std::vector<std::uint8_t> bytes_of(std::string_view s) {
    return {s.begin(), s.end()};
}

std::vector<std::uint8_t> ucs2_of(std::string_view utf8) {
    std::vector<std::uint8_t> out;
    REQUIRE_FALSE(smpp::encode_ucs2(utf8, out));
    return out;
}

std::string gsm_text(std::size_t n) {
    std::string text;
    for (int i = 0; text.size() < n; ++i) {
        text += "Line " + std::to_string(i) + " of a long reply. ";
    }
    text.resize(n);
    return text;
}

store::message_record record(std::vector<std::uint8_t> payload, std::uint8_t data_coding,
                             std::uint8_t esm_class = 0) {
    store::message_record rec;
    rec.id = 42;
    rec.payload = std::string(payload.begin(), payload.end());
    rec.data_coding = data_coding;
    rec.esm_class = esm_class;
    return rec;
}

std::string receipt_text(std::string_view original) {
    store::sme_address from{1, 1, "15550001000"};
    store::sme_address to{1, 1, "12125551000"};
    receipt_facts f;
    f.id = 7;
    f.source = &from;
    f.destination = &to;
    f.text = original;
    const auto p = build_upstream_receipt(f);
    return std::string(std::get<smpp::deliver_sm>(p.body).short_message.chars());
}

// A carrier MO: deliver_sm from a handset, the content in short_message or message_payload.
smpp::pdu mo(const std::vector<std::uint8_t>& content, std::uint8_t data_coding, bool in_payload,
             std::uint8_t esm_class = 0) {
    smpp::deliver_sm d;
    d.source_addr_ton = 1;
    d.source_addr_npi = 1;
    (void)d.source_addr.assign("12125551000");
    d.dest_addr_ton = 1;
    d.dest_addr_npi = 1;
    (void)d.destination_addr.assign("15550001000");
    d.esm_class = esm_class;
    d.data_coding = data_coding;
    d.protocol_id = 0x7F;
    smpp::pdu p;
    p.sequence_number = 9;
    if (in_payload) {
        p.tlvs.set<smpp::tlv::message_payload>(content);
    } else {
        REQUIRE(d.short_message.assign(std::span<const std::uint8_t>(content)));
    }
    p.tlvs.set<smpp::tlv::user_message_reference>(0x1234);
    p.body = d;
    return p;
}

const smpp::deliver_sm& deliver(const smpp::pdu& p) {
    return std::get<smpp::deliver_sm>(p.body);
}

// Every part's concatenation header checked; the parts' user data joined.
std::vector<std::uint8_t> rejoin(const std::vector<smpp::pdu>& parts, std::uint8_t reference) {
    std::vector<std::uint8_t> out;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        const auto& d = deliver(parts[i]);
        CHECK((d.esm_class & smpp::esm::udhi) != 0);
        CHECK(parts[i].tlvs.empty());
        const auto udh = smpp::parse_udh(d.short_message.bytes());
        REQUIRE_FALSE(udh.ec);
        REQUIRE(udh.concat);
        CHECK(udh.concat->reference == reference);
        CHECK_FALSE(udh.concat->reference_16bit);
        CHECK(udh.concat->total == parts.size());
        CHECK(udh.concat->seqnum == i + 1);
        // Never more than one SMS of user data (140 octets, GSM septets unpacked: 6 + 153).
        CHECK(d.short_message.size() <= 6U + 153U);
        out.insert(out.end(), udh.payload.begin(), udh.payload.end());
    }
    return out;
}

}  // namespace

TEST_CASE("receipt text: the first 20 characters of the message", "[wire][receipt]") {
    SECTION("decoded per data_coding, UDH skipped") {
        CHECK(receipt_text_of(record(bytes_of("Your code 123456 expires in 10 minutes"), 0)) ==
              "Your code 123456 exp");
        CHECK(receipt_text_of(record(bytes_of("Short"), 0)) == "Short");
        CHECK(receipt_text_of(record(bytes_of("Caf\xE9 au lait, s'il vous pla\xEEt"), 0x03)) ==
              "Café au lait, s'il v");
        CHECK(receipt_text_of(record(ucs2_of("Привет, мир! Как дела сегодня?"), 0x08)) ==
              "Привет, мир! Как дел");
        // GSM 03.38: 0x00 is '@', 0x1B 0x65 is '€' (one character, two septets).
        CHECK(receipt_text_of(record({0x00, 0x1B, 0x65, 'x'}, 0)) == "@€x");
        std::vector<std::uint8_t> udh{0x05, 0x00, 0x03, 0x42, 0x02, 0x01};
        const auto text = bytes_of("After the header, the text");
        udh.insert(udh.end(), text.begin(), text.end());
        CHECK(receipt_text_of(record(udh, 0, smpp::esm::udhi)) == "After the header, th");
        // A long message in one record: only its head is read.
        CHECK(receipt_text_of(record(bytes_of(gsm_text(5000)), 0)) == gsm_text(20));
    }
    SECTION("binary data and unknown character sets have no text") {
        CHECK(receipt_text_of(record({0x01, 0x02, 0x03}, 0x04)).empty());
        CHECK(receipt_text_of(record(bytes_of("kanji"), 0x06)).empty());
        CHECK(receipt_text_of(record({}, 0)).empty());
    }
    SECTION("the receipt's text field, safe for ASCII and GSM readers alike") {
        CHECK_THAT(receipt_text("Your code 123456 expires in 10 minutes"),
                   Catch::EndsWith(" err:000 text:Your code 123456 exp"));
        CHECK_THAT(receipt_text(""), Catch::EndsWith(" err:000 text:"));
        // '@', '$', '_' and non-ASCII read differently (or not at all): '?'; line breaks: ' '.
        CHECK_THAT(receipt_text("me@x.io\npay $5_now é"),
                   Catch::EndsWith(" text:me?x.io pay ?5?now ?"));
        CHECK_THAT(receipt_text("Привет"), Catch::EndsWith(" text:??????"));
        CHECK_THAT(receipt_text("a!\"#%&'()*+,-./:;<=>?z"),
                   Catch::EndsWith(" text:a!\"#%&'()*+,-./:;<=>"));
        // Whatever the original, the receipt stays one short_message.
        CHECK(receipt_text(gsm_text(500)).size() <= smpp::short_message_t::spec_max);
    }
}

TEST_CASE("a reassembled MO goes in short_message when it fits", "[wire][mo]") {
    smpp::deliver_sm last;
    (void)last.service_type.assign("CMT");
    last.source_addr_ton = 1;
    last.source_addr_npi = 1;
    (void)last.source_addr.assign("12125551000");
    last.dest_addr_ton = 2;
    last.dest_addr_npi = 1;
    (void)last.destination_addr.assign("5550001000");
    last.esm_class = smpp::esm::udhi;
    smpp::pdu part;
    part.body = last;
    part.tlvs.set<smpp::tlv::sar_msg_ref_num>(7);
    part.tlvs.set<smpp::tlv::sar_total_segments>(2);
    part.tlvs.set<smpp::tlv::sar_segment_seqnum>(2);
    part.tlvs.set<smpp::tlv::user_message_reference>(0x77);
    const auto view = smpp::view_message(part);
    REQUIRE(view);

    smpp::reassembled_message whole;
    whole.esm_class = 0;
    whole.data_coding = 0x08;
    for (const std::size_t size :
         {std::size_t{200}, std::size_t{254}, std::size_t{255}, std::size_t{600}}) {
        INFO("payload of " << size << " octets");
        whole.payload.assign(size, 0x41);
        const auto p = build_reassembled_mo(*view, part.tlvs, whole);
        const auto& d = deliver(p);
        CHECK(d.service_type.view() == "CMT");
        CHECK(d.source_addr.view() == "12125551000");
        CHECK(d.dest_addr_ton == 2);
        CHECK(d.destination_addr.view() == "5550001000");
        CHECK(d.esm_class == 0);
        CHECK(d.data_coding == 0x08);
        CHECK_FALSE(p.tlvs.contains(smpp::tlv::sar_msg_ref_num::tag));
        CHECK_FALSE(p.tlvs.contains(smpp::tlv::sar_total_segments::tag));
        CHECK_FALSE(p.tlvs.contains(smpp::tlv::sar_segment_seqnum::tag));
        CHECK(p.tlvs.get<smpp::tlv::user_message_reference>() == std::uint16_t{0x77});
        const auto content = smpp::view_message(p);
        REQUIRE(content);
        CHECK(std::vector<std::uint8_t>(content->content.begin(), content->content.end()) ==
              whole.payload);
        CHECK(content->content_in_payload == (size > 254));
        auto numbered = p;
        numbered.sequence_number = 1;  // as the outbox writes it
        std::vector<std::uint8_t> encoded;
        CHECK_FALSE(smpp::encode(numbered, encoded));  // valid 3.4 either way
    }
}

TEST_CASE("outbox PDUs adapted to the peer's interface version", "[wire][mo][smpp33]") {
    const auto long_text = bytes_of(gsm_text(400));

    SECTION("3.4 peers get the PDU as it is") {
        const auto p = mo(long_text, 0, true);
        const auto out = adapt_for_peer(p, 0x34, 1);
        CHECK_FALSE(out.ec);
        REQUIRE(out.parts.size() == 1);
        CHECK(out.parts[0] == p);
        CHECK(adapt_for_peer(p, 0x50, 1).parts[0] == p);
    }
    SECTION("3.3: content in message_payload that fits moves to short_message") {
        for (const std::size_t size : {std::size_t{1}, std::size_t{160}, std::size_t{254}}) {
            INFO(size << " octets");
            const auto content = bytes_of(gsm_text(size));
            const auto out = adapt_for_peer(mo(content, 0, true, 0x80), 0x33, 1);
            CHECK_FALSE(out.ec);
            REQUIRE(out.parts.size() == 1);
            const auto& d = deliver(out.parts[0]);
            CHECK(out.parts[0].tlvs.empty());
            CHECK(d.esm_class == 0x80);  // reply_path kept, no UDHI added
            CHECK(d.protocol_id == 0x7F);
            CHECK(d.source_addr.view() == "12125551000");
            CHECK(std::vector<std::uint8_t>(d.short_message.bytes().begin(),
                                            d.short_message.bytes().end()) == content);
        }
    }
    SECTION("3.3: longer content is re-split with a concatenation UDH") {
        const auto out = adapt_for_peer(mo(long_text, 0, true), 0x33, 0xA5);
        CHECK_FALSE(out.ec);
        REQUIRE(out.parts.size() == 3);  // 153 + 153 + 94 GSM septets
        CHECK(rejoin(out.parts, 0xA5) == long_text);
        CHECK(deliver(out.parts[0]).short_message.size() == 6 + 153);
        CHECK(deliver(out.parts[0]).data_coding == 0);
        // Interface versions below 3.3 (0x00 in old clients) are treated the same way.
        CHECK(adapt_for_peer(mo(long_text, 0, true), 0x00, 0xA5).parts.size() == 3);
    }
    SECTION("3.3: GSM escape pairs and UTF-16 surrogate pairs are never cut") {
        // 152 plain septets, then '€' (0x1B 0x65) would straddle the first cut at 153.
        std::vector<std::uint8_t> gsm(152, 'a');
        gsm.push_back(0x1B);
        gsm.push_back(0x65);
        gsm.insert(gsm.end(), 150, 'b');
        auto out = adapt_for_peer(mo(gsm, 0, true), 0x33, 2);
        REQUIRE(out.parts.size() == 2);
        CHECK(smpp::parse_udh(deliver(out.parts[0]).short_message.bytes()).payload.size() == 152);
        CHECK(rejoin(out.parts, 2) == gsm);

        // UCS-2: 66 BMP characters, then a surrogate pair at the cut of 67 units.
        std::string text(66, 'x');
        text += "\xF0\x9F\x98\x80";  // U+1F600
        text += std::string(70, 'y');
        const auto ucs2 = ucs2_of(text);
        REQUIRE(ucs2.size() > 254);
        out = adapt_for_peer(mo(ucs2, 0x08, true), 0x33, 3);
        REQUIRE(out.parts.size() == 3);
        CHECK(smpp::parse_udh(deliver(out.parts[0]).short_message.bytes()).payload.size() ==
              66 * 2);
        CHECK(rejoin(out.parts, 3) == ucs2);
        for (const auto& part : out.parts) {
            CHECK(deliver(part).data_coding == 0x08);
        }
    }
    SECTION("3.3: other UDH elements travel in every part") {
        // Application ports (IE 0x05: destination 0x0B84, source 0x23F0), then 300 octets.
        std::vector<std::uint8_t> content{0x06, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0};
        const std::vector<std::uint8_t> data(300, 0x5A);
        content.insert(content.end(), data.begin(), data.end());
        const auto out = adapt_for_peer(mo(content, 0x04, true, smpp::esm::udhi), 0x33, 9);
        CHECK_FALSE(out.ec);
        REQUIRE(out.parts.size() == 3);  // 128 octets per part beside an 12-octet UDH
        std::vector<std::uint8_t> joined;
        for (const auto& part : out.parts) {
            const auto udh = smpp::parse_udh(deliver(part).short_message.bytes());
            REQUIRE_FALSE(udh.ec);
            REQUIRE(udh.ports);
            CHECK(udh.ports->destination == 0x0B84);
            CHECK(udh.ports->source == 0x23F0);
            REQUIRE(udh.concat);
            CHECK(udh.concat->total == 3);
            CHECK(deliver(part).short_message.size() <= smpp::sms_user_data_octets);
            joined.insert(joined.end(), udh.payload.begin(), udh.payload.end());
        }
        CHECK(joined == data);
    }
    SECTION("3.3: content already in short_message is untouched (receipts)") {
        const auto receipt =
            mo(bytes_of(gsm_text(200)), 0, false, smpp::esm::smsc_delivery_receipt);
        const auto out = adapt_for_peer(receipt, 0x33, 4);
        CHECK_FALSE(out.ec);
        REQUIRE(out.parts.size() == 1);
        CHECK(out.parts[0].body == receipt.body);
        CHECK(out.parts[0].tlvs.empty());
    }
    SECTION("3.3: a data_sm becomes a deliver_sm") {
        smpp::data_sm d;
        (void)d.service_type.assign("WAP");
        d.source_addr_ton = 1;
        (void)d.source_addr.assign("12125551000");
        d.dest_addr_ton = 1;
        (void)d.destination_addr.assign("15550001000");
        d.esm_class = 0;
        d.registered_delivery = 1;
        d.data_coding = 0x03;
        smpp::pdu p;
        p.body = d;
        p.tlvs.set<smpp::tlv::message_payload>(bytes_of("Latin-1 in a data_sm"));
        auto out = adapt_for_peer(p, 0x33, 5);
        CHECK_FALSE(out.ec);
        REQUIRE(out.parts.size() == 1);
        REQUIRE(std::holds_alternative<smpp::deliver_sm>(out.parts[0].body));
        const auto& got = deliver(out.parts[0]);
        CHECK(got.service_type.view() == "WAP");
        CHECK(got.source_addr.view() == "12125551000");
        CHECK(got.destination_addr.view() == "15550001000");
        CHECK(got.registered_delivery == 1);
        CHECK(got.data_coding == 0x03);
        CHECK(got.short_message.chars() == "Latin-1 in a data_sm");

        // An address deliver_sm cannot hold: reported, and the PDU is left as it was.
        (void)d.source_addr.assign("123456789012345678901234567890");
        p.body = d;
        out = adapt_for_peer(p, 0x33, 5);
        CHECK(out.ec);
        REQUIRE(out.parts.size() == 1);
        CHECK(out.parts[0] == p);
    }
    SECTION("3.3: content beyond 255 parts is reported, not cut") {
        const auto huge = bytes_of(gsm_text(60'000));
        const auto out = adapt_for_peer(mo(huge, 0, true), 0x33, 6);
        CHECK(out.ec == smpp::text_errc::too_many_segments);
        REQUIRE(out.parts.size() == 1);
        CHECK(out.parts[0].tlvs.contains(smpp::tlv::message_payload::tag));
    }
    SECTION("3.3: a broken UDH is reported") {
        // UDHL 16, but its first element claims 32 octets.
        std::vector<std::uint8_t> content{0x10, 0x24, 0x20};
        content.resize(300, 0x01);
        const auto out = adapt_for_peer(mo(content, 0x04, true, smpp::esm::udhi), 0x33, 7);
        CHECK(out.ec);
        REQUIRE(out.parts.size() == 1);
    }
}

TEST_CASE("split deliveries settle once every part is answered", "[wire][smpp33]") {
    split_deliveries s;
    const std::vector<std::uint64_t> parts{10, 11, 12};
    s.add(10, parts, true);
    CHECK_FALSE(s.empty());
    CHECK_FALSE(s.answered(99, smpp::status::ESME_ROK));  // not a part

    SECTION("all acknowledged") {
        auto o = s.answered(11, smpp::status::ESME_ROK);
        REQUIRE(o);
        CHECK_FALSE(o->complete);
        o = s.answered(10, smpp::status::ESME_ROK);
        REQUIRE(o);
        CHECK_FALSE(o->complete);
        o = s.answered(12, smpp::status::ESME_ROK);
        REQUIRE(o);
        CHECK(o->complete);
        CHECK(o->entry == 10);
        CHECK(o->status == smpp::status::ESME_ROK);
        CHECK(s.empty());
        CHECK_FALSE(s.answered(12, smpp::status::ESME_ROK));  // answered once only
    }
    SECTION("one part refused: the first refusal settles the entry") {
        CHECK_FALSE(s.answered(10, smpp::status::ESME_ROK)->complete);
        CHECK_FALSE(s.answered(11, smpp::status::ESME_RX_T_APPN)->complete);
        const auto o = s.answered(12, smpp::status::ESME_RX_P_APPN);
        REQUIRE(o);
        CHECK(o->complete);
        CHECK(o->status == smpp::status::ESME_RX_T_APPN);
    }
    SECTION("a part that could not be sent fails the entry") {
        split_deliveries t;
        const std::vector<std::uint64_t> sent{20};
        t.add(20, sent, false);
        const auto o = t.answered(20, smpp::status::ESME_ROK);
        REQUIRE(o);
        CHECK(o->complete);
        CHECK(o->status == smpp::status::ESME_RSYSERR);
    }
    SECTION("cleared with the connection") {
        s.clear();
        CHECK(s.empty());
        CHECK_FALSE(s.answered(10, smpp::status::ESME_ROK));
    }
}

TEST_CASE("the campaign TLV 0x1402: bounded by the account's list, never forwarded",
          "[wire][campaign]") {
    account_config acct;
    acct.system_id = "acct";
    acct.brand = "acme";
    acct.campaigns = {"spring", "fall-2026"};
    const auto tlvs_with = [](std::string_view value) {
        smpp::tlv_list t;
        t.set_raw(tlv_campaign, {reinterpret_cast<const std::uint8_t*>(value.data()), value.size()});
        return t;
    };
    using namespace std::string_view_literals;
    CHECK(campaign_of(tlvs_with("spring\0"sv), acct) == "spring");  // C-Octet String
    CHECK(campaign_of(tlvs_with("fall-2026"sv), acct) == "fall-2026");  // NUL left out
    CHECK(campaign_of(tlvs_with("summer"sv), acct) == "other");
    CHECK(campaign_of(tlvs_with("Spring"sv), acct) == "other");  // names are exact
    CHECK(campaign_of(tlvs_with("spr\0ing"sv), acct) == "other");
    CHECK(campaign_of(tlvs_with(""sv), acct).empty());
    CHECK(campaign_of(tlvs_with("\0"sv), acct).empty());
    CHECK(campaign_of(smpp::tlv_list{}, acct).empty());
    account_config none = acct;
    none.campaigns.clear();
    CHECK(campaign_of(tlvs_with("spring"sv), none) == "other");

    // Through the journal record to the carrier's submit_sm: kept in the record, stripped from
    // the TLVs forwarded (as 0x1401 is); other TLVs pass.
    smpp::submit_sm s;
    s.dest_addr_ton = 1;
    s.dest_addr_npi = 1;
    (void)s.destination_addr.assign("12125551000");
    (void)s.source_addr.assign("15550001000");
    (void)s.short_message.assign("hello");
    smpp::pdu p;
    p.body = s;
    p.tlvs = tlvs_with("spring\0"sv);
    p.tlvs.set<smpp::tlv::user_message_reference>(0x0102);
    const auto view = smpp::view_message(p);
    REQUIRE(view);
    const auto rec = make_record(p, *view, 1, 1, "12125551000", acct,
                                 smppgw::policy::message_class::promotional, {}, {});
    CHECK(rec.campaign == "spring");
    carrier_config carrier;
    carrier.name = "sim";
    const auto parts = build_carrier_parts(rec, carrier, 1);
    REQUIRE(parts.size() == 1);
    CHECK_FALSE(parts[0].tlvs.contains(tlv_campaign));
    CHECK(parts[0].tlvs.get<smpp::tlv::user_message_reference>() == 0x0102);
}
