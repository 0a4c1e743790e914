#pragma once
// Shared building blocks of the integration scenarios: the usual gateway in front of a fake
// carrier, numbers, tokens that tie an upstream submit to what the carrier received.

#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "fake_smsc.hpp"
#include "gateway.hpp"
#include "test_esme.hpp"

namespace smppgw::integration {

// The account's own number (also an MO number it owns) and a handset range that passes the
// gateway's NANP checks (area code 212, exchange 555).
inline constexpr const char* account_number = "15550001000";
inline std::string handset(unsigned i) {
    return fmt::format("1212555{:04}", 1000 + i);
}

// One carrier called "sim" pointing at `carrier`, and the demo account owning account_number.
inline gateway_spec one_carrier_spec(const fake_smsc& carrier) {
    gateway_spec s;
    s.accounts[0].mo_numbers = {account_number};
    carrier_spec c;
    c.port = carrier.port();
    s.carriers.push_back(c);
    return s;
}

// Message texts carry a token ("#tag-0007") so the carrier side can be joined to the upstream
// side without relying on ids.
inline std::string token(const std::string& tag, unsigned i) {
    return fmt::format("#{}-{:04}", tag, i);
}

inline std::string token_in(const std::string& text) {
    const auto hash = text.find('#');
    if (hash == std::string::npos) {
        return {};
    }
    const auto end = text.find(' ', hash);
    return text.substr(hash, end == std::string::npos ? std::string::npos : end - hash);
}

// Tokens the carrier answered with ESME_ROK, with how many times each (at-least-once allows >1).
inline std::map<std::string, unsigned> carrier_accepted_tokens(
    const std::vector<carrier_submit>& v) {
    std::map<std::string, unsigned> out;
    for (const auto& s : v) {
        if (s.answered && *s.answered == smpp::status::ESME_ROK) {
            ++out[token_in(s.text)];
        }
    }
    return out;
}

inline unsigned duplicates(const std::map<std::string, unsigned>& counts) {
    unsigned d = 0;
    for (const auto& [t, n] : counts) {
        d += n > 1 ? n - 1 : 0;
    }
    return d;
}

// Receipts among an ESME's deliveries, by our message id (receipted_message_id).
inline std::map<std::string, unsigned> receipts_by_id(const std::vector<smpp::pdu>& deliveries) {
    std::map<std::string, unsigned> out;
    for (const auto& d : deliveries) {
        if (smpp::is_receipt(d)) {
            ++out[receipted_id_of(d)];
        }
    }
    return out;
}

// A bound ESME, failing the test if the bind does not succeed.
inline void bind_ok(test_esme& e, smpp::bind_type type, const std::string& system_id = "demo") {
    const auto r = e.bind(type, system_id, demo_password);
    INFO("bind status " << r.status() << " ec " << r.ec.message());
    REQUIRE(r.pdu);
    REQUIRE(r.pdu->command_status == smpp::status::ESME_ROK);
}

// Submits `texts` (one per destination) in one burst and waits for every response.
struct submitted {
    std::string text;
    std::string destination;
    esme_reply reply;
};
inline std::vector<submitted> submit_all(test_esme& e, const std::vector<std::string>& texts,
                                         unsigned first_handset = 0,
                                         std::uint8_t registered_delivery = 1) {
    std::vector<std::uint64_t> cookies;
    std::vector<submitted> out;
    for (std::size_t i = 0; i < texts.size(); ++i) {
        const auto dest = handset(first_handset + static_cast<unsigned>(i));
        cookies.push_back(e.send(make_submit(account_number, dest, texts[i], registered_delivery)));
        out.push_back({texts[i], dest, {}});
    }
    for (std::size_t i = 0; i < cookies.size(); ++i) {
        out[i].reply = e.wait_reply(cookies[i]);
    }
    return out;
}

inline std::vector<std::string> tokened_texts(const std::string& tag, unsigned n) {
    std::vector<std::string> out;
    for (unsigned i = 0; i < n; ++i) {
        out.push_back("Your code " + token(tag, i) + " expires soon");
    }
    return out;
}

}  // namespace smppgw::integration
