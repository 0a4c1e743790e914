// Every PDU vector taken from other implementations: decodes to the fields its comment lists,
// re-encodes to the same bytes, survives every split of the byte stream, and the malformed ones
// fail the documented way.

#include <catch2/catch.hpp>

#include <map>
#include <optional>
#include <string>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "smppgw/smpp/codec.hpp"
#include "smppgw/smpp/pdu_json.hpp"
#include "vector_file.hpp"

namespace smpp = smppgw::smpp;
namespace json = boost::json;
using smppgw::test::load_vectors;
using smppgw::test::pdu_vector;

namespace {

struct expected_tlv {
    std::uint16_t tag = 0;
    std::size_t length = 0;
    std::optional<std::string> hex;  // when the comment quotes the value
};

struct expected_pdu {
    std::string command;
    std::uint32_t length = 0;
    std::uint32_t status = 0;
    std::uint32_t sequence = 0;
    std::map<std::string, std::string> fields;  // name -> raw value text from the comment
    std::vector<expected_tlv> tlvs;
};

std::string hex_of_text(std::string_view text) {
    return smpp::to_hex(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

// A quoted value 'text' optionally followed by +NUL, as the vector comments write them.
std::optional<std::string> quoted_octets(std::string_view v) {
    if (!v.starts_with('\'')) {
        return std::nullopt;
    }
    std::string text;
    bool nul = false;
    if (v.ends_with("'+NUL")) {
        text = std::string(v.substr(1, v.size() - 6));
        nul = true;
    } else {
        REQUIRE(v.ends_with('\''));
        text = std::string(v.substr(1, v.size() - 2));
    }
    return hex_of_text(text) + (nul ? "00" : "");
}

std::uint32_t parse_number(std::string_view s) {
    return static_cast<std::uint32_t>(std::stoul(std::string(s), nullptr, s.starts_with("0x") ? 16 : 10));
}

// Splits "a='x; y'; b=2; tlv name(0x0001) len=1 value=3" at the semicolons between items.
std::vector<std::string> split_items(std::string_view s) {
    std::vector<std::string> items;
    std::size_t start = 0;
    bool quoted = false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\'') {
            // A quote opens after '=' and closes before ';', '+' or the end.
            const bool opens = !quoted && i > 0 && s[i - 1] == '=';
            const bool closes = quoted && (i + 1 == s.size() || s[i + 1] == ';' || s[i + 1] == '+');
            if (opens || closes) {
                quoted = !quoted;
            }
        } else if (s[i] == ';' && !quoted) {
            items.emplace_back(s.substr(start, i - start));
            start = i + 1;
        }
    }
    items.emplace_back(s.substr(start));
    for (auto& item : items) {
        const auto first = item.find_first_not_of(' ');
        item = first == std::string::npos ? "" : item.substr(first);
    }
    return items;
}

expected_pdu parse_comment(const pdu_vector& v) {
    expected_pdu e;
    const std::string& c = v.comment;
    const auto bar = c.find(" | ");
    REQUIRE(bar != std::string::npos);
    const std::string head = c.substr(0, bar);
    e.command = head.substr(0, head.find(' '));
    auto header_value = [&](const std::string& key) {
        const auto at = head.find(" " + key + "=");
        REQUIRE(at != std::string::npos);
        const auto begin = at + key.size() + 2;
        return parse_number(head.substr(begin, head.find(' ', begin) - begin));
    };
    e.length = header_value("len");
    e.status = header_value("status");
    e.sequence = header_value("seq");

    const auto next_bar = c.find(" | ", bar + 3);
    const std::string body = c.substr(bar + 3, next_bar == std::string::npos ? std::string::npos
                                                                            : next_bar - bar - 3);
    if (body == "(header only)") {
        return e;
    }
    for (const auto& item : split_items(body)) {
        if (item.starts_with("tlv ")) {
            expected_tlv t;
            const auto open = item.find("(0x");
            REQUIRE(open != std::string::npos);
            t.tag = static_cast<std::uint16_t>(std::stoul(item.substr(open + 3, 4), nullptr, 16));
            const auto len_at = item.find(" len=");
            REQUIRE(len_at != std::string::npos);
            t.length = std::stoul(item.substr(len_at + 5));
            const auto value_at = item.find(" value=");
            if (value_at != std::string::npos) {
                t.hex = quoted_octets(std::string_view(item).substr(value_at + 7));
            }
            e.tlvs.push_back(t);
            continue;
        }
        const auto eq = item.find('=');
        REQUIRE(eq != std::string::npos);
        e.fields[item.substr(0, eq)] = item.substr(eq + 1);
    }
    return e;
}

void check_fields(const expected_pdu& e, const json::object& actual) {
    const auto& fields = actual.at("fields").as_object();
    for (const auto& [name, raw] : e.fields) {
        INFO("field " << name << " expected " << raw);
        const json::value* got = fields.if_contains(name);
        REQUIRE(got != nullptr);
        if (name == "short_message") {
            const std::string expected =
                raw.starts_with("0x") ? raw.substr(2) : quoted_octets(raw).value();
            std::string lower = expected;
            for (auto& ch : lower) {
                ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            }
            CHECK(std::string_view(got->as_string()) == lower);
        } else if (raw.starts_with('\'')) {
            REQUIRE(got->is_string());
            CHECK(std::string_view(got->as_string()) == raw.substr(1, raw.size() - 2));
        } else {
            REQUIRE(got->is_number());
            CHECK(got->to_number<std::uint64_t>() == parse_number(raw));
        }
    }
    const auto& tlvs = actual.at("tlvs").as_array();
    REQUIRE(tlvs.size() == e.tlvs.size());
    for (std::size_t i = 0; i < tlvs.size(); ++i) {
        const auto& t = tlvs[i].as_object();
        INFO("tlv #" << i);
        CHECK(std::stoul(std::string(t.at("tag").as_string()), nullptr, 16) == e.tlvs[i].tag);
        CHECK(t.at("length").to_number<std::size_t>() == e.tlvs[i].length);
        if (e.tlvs[i].hex) {
            CHECK(std::string_view(t.at("hex").as_string()) == *e.tlvs[i].hex);
        }
    }
}

// Strict encoding refuses what 3.4 forbids on the wire; these captures carry exactly that.
const std::map<std::string, smpp::errc> strict_refusals = {
    {"submit_sm_with_message_payload", smpp::errc::payload_conflict},  // both payload forms
    {"data_sm", smpp::errc::sequence_out_of_range},                    // request with sequence 0
    {"alert_notification", smpp::errc::sequence_out_of_range},         // request with sequence 0
    {"outbind", smpp::errc::value_out_of_range},  // 9-character password in a C(9) field
    {"deliver_sm_mo_latin1", smpp::errc::sequence_out_of_range},  // sequence 0x9F88F124
};

}  // namespace

TEST_CASE("the vector file is complete", "[vectors]") {
    const auto vectors = load_vectors();
    CHECK(vectors.size() == 54);
    for (const auto& v : vectors) {
        INFO(v.name);
        CHECK(!v.comment.empty());
        CHECK(v.bytes.size() >= 16);
    }
}

TEST_CASE("valid vectors decode to the fields in their comment", "[vectors]") {
    for (const auto& v : load_vectors()) {
        if (v.negative()) {
            continue;
        }
        INFO(v.name << ": " << v.comment);
        const expected_pdu e = parse_comment(v);
        smpp::pdu p;
        const auto r = smpp::decode(v.bytes, p);
        REQUIRE(r.ok());
        CHECK(r.consumed == v.bytes.size());
        CHECK(r.command_length == e.length);
        CHECK(p.command_name() == e.command);
        CHECK(p.command_status == e.status);
        CHECK(p.sequence_number == e.sequence);
        check_fields(e, smpp::to_json(p));
    }
}

TEST_CASE("valid vectors re-encode to the same bytes", "[vectors]") {
    for (const auto& v : load_vectors()) {
        if (v.negative()) {
            continue;
        }
        INFO(v.name);
        smpp::pdu p;
        REQUIRE(smpp::decode(v.bytes, p).ok());

        std::vector<std::uint8_t> lenient;
        REQUIRE_FALSE(smpp::encode(p, lenient, {.strict = false}));
        CHECK(smpp::to_hex(lenient) == smpp::to_hex(v.bytes));

        std::vector<std::uint8_t> strict{0xAA};  // encode appends; the prefix must survive
        const auto ec = smpp::encode(p, strict, {.strict = true});
        if (auto refusal = strict_refusals.find(v.name); refusal != strict_refusals.end()) {
            CHECK(ec == refusal->second);
            CHECK(strict.size() == 1);
        } else {
            REQUIRE_FALSE(ec);
            CHECK(smpp::to_hex(std::span(strict).subspan(1)) == smpp::to_hex(v.bytes));
        }
    }
}

TEST_CASE("valid vectors survive the JSON view both ways", "[vectors][json]") {
    for (const auto& v : load_vectors()) {
        if (v.negative()) {
            continue;
        }
        INFO(v.name);
        smpp::pdu p;
        REQUIRE(smpp::decode(v.bytes, p).ok());
        const auto text = json::serialize(smpp::to_json(p));
        smpp::pdu back;
        std::string error;
        REQUIRE(smpp::from_json(json::parse(text), back, error));
        CHECK(error.empty());
        CHECK(back == p);
        std::vector<std::uint8_t> bytes;
        REQUIRE_FALSE(smpp::encode(back, bytes, {.strict = false}));
        CHECK(bytes == v.bytes);
    }
}

TEST_CASE("every byte split of every valid vector decodes the same", "[vectors][framing]") {
    for (const auto& v : load_vectors()) {
        if (v.negative()) {
            continue;
        }
        INFO(v.name);
        smpp::pdu whole;
        REQUIRE(smpp::decode(v.bytes, whole).ok());
        for (std::size_t cut = 0; cut < v.bytes.size(); ++cut) {
            INFO("cut at " << cut);
            // What a session sees: the first read ends at `cut`, the second brings the rest.
            std::vector<std::uint8_t> stream(v.bytes.begin(), v.bytes.begin() + static_cast<long>(cut));
            smpp::pdu p;
            const auto first = smpp::decode(stream, p);
            CHECK(first.need_more());
            stream.insert(stream.end(), v.bytes.begin() + static_cast<long>(cut), v.bytes.end());
            const auto second = smpp::decode(stream, p);
            REQUIRE(second.ok());
            CHECK(second.consumed == v.bytes.size());
            CHECK(p == whole);
        }
    }
}

TEST_CASE("all vectors back to back in one stream decode one by one", "[vectors][framing]") {
    std::vector<std::uint8_t> stream;
    std::vector<std::string> names;
    for (const auto& v : load_vectors()) {
        stream.insert(stream.end(), v.bytes.begin(), v.bytes.end());
        names.push_back(v.name);
    }
    std::span<const std::uint8_t> rest(stream);
    std::size_t index = 0;
    smpp::pdu p;  // reused, as a session does
    while (!rest.empty()) {
        INFO(names.at(index));
        const auto r = smpp::decode(rest, p);
        REQUIRE(r.consumed > 0);
        REQUIRE_FALSE(r.fatal());
        rest = rest.subspan(r.consumed);
        ++index;
    }
    CHECK(index == names.size());
}

TEST_CASE("negative vectors fail the documented way", "[vectors][errors]") {
    std::map<std::string, pdu_vector> by_name;
    for (auto& v : load_vectors()) {
        by_name[v.name] = v;
    }
    smpp::pdu p;

    SECTION("unknown command_id: consumed whole, generic_nack ESME_RINVCMDID, same sequence") {
        const auto& v = by_name.at("NEGATIVE_unknown_command_id");
        const auto r = smpp::decode(v.bytes, p);
        CHECK(r.error == smpp::errc::unknown_command_id);
        CHECK_FALSE(r.fatal());
        CHECK(r.consumed == 16);
        CHECK(r.command_id == 0x00000110);
        CHECK(r.sequence_number == 171192039);
        CHECK(r.response_status == smpp::status::ESME_RINVCMDID);
    }
    SECTION("sm_length past the end: refused without reading beyond the PDU") {
        const auto& v = by_name.at("NEGATIVE_deliver_sm_sm_length_overrun");
        // Copy into a buffer that ends exactly at the PDU so ASan catches any over-read.
        std::vector<std::uint8_t> exact(v.bytes);
        const auto r = smpp::decode(exact, p);
        CHECK(r.error == smpp::errc::sm_length_overrun);
        CHECK_FALSE(r.fatal());
        CHECK(r.consumed == exact.size());
        CHECK(r.sequence_number == 1);
        CHECK(r.field == "short_message");
        CHECK(r.response_status == smpp::status::ESME_RINVMSGLEN);
    }
    SECTION("sequence 0x80000000 is read leniently but never written") {
        const auto& v = by_name.at("NEGATIVE_enquire_link_seq_high_bit");
        const auto r = smpp::decode(v.bytes, p);
        REQUIRE(r.ok());
        CHECK(p.sequence_number == 0x80000000U);
        std::vector<std::uint8_t> out;
        CHECK(smpp::encode(p, out) == smpp::errc::sequence_out_of_range);
        CHECK(out.empty());
    }
}
