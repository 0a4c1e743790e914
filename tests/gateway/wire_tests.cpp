// The wire translations the relays use towards upstream applications: receipt text.

#include <catch2/catch.hpp>

#include <string>
#include <vector>

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
    rec.payload.assign(payload.begin(), payload.end());
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
