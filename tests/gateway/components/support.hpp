#pragma once
// Fixtures for the component tests: the message logic (acceptance, scheduler, router, receipt
// and outbox relays) against a memory_journal, a manual_clock and fakes of its neighbours. No
// sockets, no daemon: every test drives events and reads effects (journal records, live-state
// phases and outboxes, metrics).

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "../../policy/support.hpp"
#include "infra/metrics.hpp"
#include "infra/snapshot.hpp"
#include "mt/acceptance.hpp"
#include "smppgw/gateway/config.hpp"
#include "smppgw/smpp/pdu.hpp"
#include "smppgw/store/clock.hpp"
#include "smppgw/store/error.hpp"
#include "smppgw/store/journal_records.hpp"
#include "smppgw/store/live_state.hpp"
#include "smppgw/store/testing.hpp"

namespace component_test {

using namespace smppgw;
using store::record_kind;
using store::time_point;

// What the journal reports when a group could not be written.
[[nodiscard]] inline std::error_code write_failure() {
    return store::make_error_code(store::store_errc::io_error);
}

// Numbers used throughout: the area code decides the region (and so the zone, the quiet-hours
// rules and the frequency cap).
inline constexpr std::string_view new_york = "12125550100";  // US-NY: federal hours, no cap
inline constexpr std::string_view florida = "13055550123";   // US-FL: 08-20 local, cap 3/24 h
inline constexpr std::string_view florida_2 = "17865550199";

// 2026-06-10 is a Wednesday, far from any DST change; Miami and New York are on EDT.
[[nodiscard]] time_point eastern(int day, int hour, int minute = 0);

// The account every test submits for.
[[nodiscard]] const gateway::account_config& account();

// ---- PDUs and their records ----------------------------------------------------------------

struct submit_options {
    std::string_view service_type;  // "MKT" promotional, "TXN" transactional, "" default class
    std::uint8_t registered_delivery = 0x01;
    std::string_view text = "Acme: your code is 1234";
};

[[nodiscard]] smpp::pdu submit_sm_pdu(std::string_view destination, const submit_options& o = {});
// The text travels in message_payload, as data_sm requires.
[[nodiscard]] smpp::pdu data_sm_pdu(std::string_view destination, const submit_options& o = {});
[[nodiscard]] smpp::pdu submit_multi_pdu(const std::vector<std::string_view>& destinations,
                                         const submit_options& o = {});

// The journal record of a submit_sm/data_sm the way the upstream session builds it.
[[nodiscard]] store::message_record record_of(const smpp::pdu& p, time_point now);
// One record per destination of a submit_multi.
[[nodiscard]] std::vector<store::message_record> records_of_multi(const smpp::pdu& p,
                                                                  time_point now);

// ---- the store side of acceptance ------------------------------------------------------------

// Opt-outs, consents, holds and sends in memory (policy_test::memory_store holds the data),
// with every lookup counted. A reservation is a send at once: recent_sends sees it, as the
// store's pending reservations are seen before they are written.
class fake_acceptance_store final : public gateway::acceptance_store,
                                    public policy::optout_lookup,
                                    public policy::consent_lookup,
                                    public policy::frequency_lookup,
                                    public policy::hold_lookup {
public:
    struct reservation {
        std::string brand;
        std::string msisdn;
        time_point when{};
    };

    explicit fake_acceptance_store(std::shared_ptr<const store::clock> clock);

    [[nodiscard]] policy::lookups lookups() const override { return {this, this, this, this}; }
    [[nodiscard]] store::message_id next_id() override { return ++last_id_; }
    [[nodiscard]] time_point now() const override { return clock_->now(); }
    void reserve_send(std::string_view brand, std::string_view msisdn, time_point when,
                      store::batch& b) override;

    [[nodiscard]] std::optional<policy::optout_summary> find_optout(
        std::string_view brand, std::string_view msisdn) const override;
    [[nodiscard]] std::optional<policy::consent_summary> find_consent(
        std::string_view brand, std::string_view msisdn,
        policy::message_class klass) const override;
    [[nodiscard]] policy::send_history recent_sends(std::string_view brand, std::string_view msisdn,
                                                    time_point since) const override;
    [[nodiscard]] std::optional<policy::hold_summary> find_hold(
        std::string_view brand, std::string_view msisdn) const override;

    // Seeding (the data every lookup answers from).
    void opt_out(std::string_view msisdn, std::string_view brand = "acme");

    [[nodiscard]] std::vector<reservation> reservations() const;
    [[nodiscard]] std::size_t optout_lookups() const noexcept { return optout_lookups_.load(); }

    // Runs in every recent_sends, after the answer is read and before it is returned, on the
    // caller's thread: lets a test run another submit inside a capped submit's look.
    std::function<void()> after_frequency_lookup;

private:
    std::shared_ptr<const store::clock> clock_;
    mutable std::mutex mutex_;  // concurrent submits look up and reserve at once
    policy_test::memory_store data_;
    std::vector<reservation> reservations_;
    std::atomic<store::message_id> last_id_{0};
    mutable std::atomic<std::size_t> optout_lookups_{0};
};

// ---- the live state over a memory journal ----------------------------------------------------

// A live_state whose journal completes only when the test says so.
struct live_fixture {
    explicit live_fixture(time_point start);

    // Decoded records of one kind, in LSN order.
    template <typename Record>
    [[nodiscard]] std::vector<Record> records(record_kind kind) const {
        std::vector<Record> out;
        for (const auto& r : journal.records()) {
            if (r.kind == kind) {
                Record decoded;
                if (store::decode(r.payload, decoded)) {
                    out.push_back(std::move(decoded));
                }
            }
        }
        return out;
    }
    [[nodiscard]] std::size_t count(record_kind kind) const;
    [[nodiscard]] std::vector<record_kind> kinds() const;
    // An outbox's depth (all zero when it has none).
    [[nodiscard]] store::outbox_depth outbox(std::string_view account) const;

    // A message accepted straight into the live state (for the components after acceptance),
    // made durable.
    store::message_ptr accept_durable(store::message_record rec);
    // Accepted, taken by a carrier bind and acknowledged part by part under these normalized
    // carrier ids, all durable: a message awaiting its receipts.
    store::message_ptr submitted_durable(store::message_record rec, std::string_view carrier,
                                         const std::vector<std::string>& carrier_ids);

    std::shared_ptr<store::manual_clock> clock;
    store::memory_journal journal;
    store::live_state live;
    std::vector<std::string> outbox_ready;  // on_outbox_ready calls, by account
};

// A plain message record for the components after acceptance.
[[nodiscard]] store::message_record plain_record(store::message_id id, std::string_view msisdn,
                                                 std::uint8_t registered_delivery = 0x01);

// ---- the policy engine -----------------------------------------------------------------------

// The shipped data with the default config, but with consent granted for every number (the
// consent check has tests of its own in policy_tests).
[[nodiscard]] std::shared_ptr<const policy::engine> default_engine();
[[nodiscard]] std::shared_ptr<const policy::engine> engine_with(
    const std::function<void(policy::policy_config&)>& tweak);

// acceptance over the fakes.
struct acceptance_fixture : live_fixture {
    explicit acceptance_fixture(time_point start,
                                std::shared_ptr<const policy::engine> e = default_engine());

    gateway::accept_outcome submit(const smpp::pdu& p, store::completion done = {});

    fake_acceptance_store db;
    gateway::snapshot<policy::engine> engine;
    gateway::metrics stats;
    gateway::acceptance acceptor;
};

// ---- receipts --------------------------------------------------------------------------------

struct carrier_receipt {
    std::string id;  // as the carrier writes it (TLV and text)
    std::string stat = "DELIVRD";
    std::uint32_t err = 0;
    bool with_tlvs = true;  // receipted_message_id and message_state, besides the text
};
[[nodiscard]] smpp::pdu carrier_receipt_pdu(const carrier_receipt& r);

// What the account gets: the deliver_sm kept as an outbox entry's bytes, decoded.
struct upstream_receipt {
    std::string receipted_message_id;
    std::optional<std::uint8_t> message_state;
    std::uint8_t esm_class = 0;
    std::string text;
};
[[nodiscard]] std::optional<upstream_receipt> read_upstream_receipt(std::string_view bytes);

// A metric's value, 0 if it does not exist.
[[nodiscard]] double value_of(gateway::metrics& m, std::string_view family,
                              const std::vector<std::pair<std::string, std::string>>& labels);

}  // namespace component_test
