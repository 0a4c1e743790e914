#include "support.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "smppgw/smpp/codec.hpp"
#include "smppgw/smpp/message_view.hpp"
#include "smppgw/smpp/receipt.hpp"
#include "wire/wire.hpp"

namespace component_test {
namespace {

std::span<const std::uint8_t> bytes_of(std::string_view s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

template <typename Fields>
void fill_common(Fields& f, std::string_view destination, const submit_options& o) {
    (void)f.service_type.assign(o.service_type);
    f.source_addr_ton = 1;
    f.source_addr_npi = 1;
    (void)f.source_addr.assign("15550001111");
    f.dest_addr_ton = 1;
    f.dest_addr_npi = 1;
    (void)f.destination_addr.assign(destination);
    f.registered_delivery = o.registered_delivery;
    f.data_coding = 0x00;
}

}  // namespace

time_point eastern(int day, int hour, int minute) {
    return policy_test::local("America/New_York", 2026, 6, static_cast<unsigned>(day), hour,
                              minute);
}

const gateway::account_config& account() {
    static const gateway::account_config a = [] {
        gateway::account_config c;
        c.system_id = "acct1";
        c.brand = "acme";
        c.default_class = policy::message_class::transactional;
        return c;
    }();
    return a;
}

smpp::pdu submit_sm_pdu(std::string_view destination, const submit_options& o) {
    smpp::submit_sm s;
    fill_common(s, destination, o);
    (void)s.short_message.assign(o.text);
    smpp::pdu p;
    p.sequence_number = 7;
    p.body = s;
    return p;
}

smpp::pdu data_sm_pdu(std::string_view destination, const submit_options& o) {
    smpp::data_sm d;
    fill_common(d, destination, o);
    smpp::pdu p;
    p.sequence_number = 8;
    p.body = d;
    p.tlvs.set<smpp::tlv::message_payload>(bytes_of(o.text));
    return p;
}

smpp::pdu submit_multi_pdu(const std::vector<std::string_view>& destinations,
                           const submit_options& o) {
    smpp::submit_multi m;
    (void)m.service_type.assign(o.service_type);
    m.source_addr_ton = 1;
    m.source_addr_npi = 1;
    (void)m.source_addr.assign("15550001111");
    for (const auto d : destinations) {
        smpp::dest_address a;
        a.dest_addr_ton = 1;
        a.dest_addr_npi = 1;
        (void)a.destination_addr.assign(d);
        m.dest_addresses.push_back(a);
    }
    m.registered_delivery = o.registered_delivery;
    (void)m.short_message.assign(o.text);
    smpp::pdu p;
    p.sequence_number = 9;
    p.body = m;
    return p;
}

store::message_record record_of(const smpp::pdu& p, time_point now) {
    const auto view = smpp::view_message(p);
    REQUIRE(view);
    const auto fields = gateway::check_submit_fields(p, *view, now);
    REQUIRE(fields.status == smpp::status::ESME_ROK);
    const auto klass = gateway::message_class_of(*view, p.tlvs, account().default_class);
    return gateway::make_record(p, *view, view->dest_addr_ton, view->dest_addr_npi,
                                view->destination_addr, account(), klass, fields, now);
}

std::vector<store::message_record> records_of_multi(const smpp::pdu& p, time_point now) {
    const auto view = smpp::view_message(p);
    REQUIRE(view);
    const auto fields = gateway::check_submit_fields(p, *view, now);
    REQUIRE(fields.status == smpp::status::ESME_ROK);
    const auto klass = gateway::message_class_of(*view, p.tlvs, account().default_class);
    std::vector<store::message_record> out;
    for (const auto& d : std::get<smpp::submit_multi>(p.body).dest_addresses) {
        out.push_back(gateway::make_record(p, *view, d.dest_addr_ton, d.dest_addr_npi,
                                           d.destination_addr.view(), account(), klass, fields,
                                           now));
    }
    return out;
}

// ---- fake_acceptance_store -------------------------------------------------------------------

fake_acceptance_store::fake_acceptance_store(std::shared_ptr<const store::clock> clock)
    : clock_(std::move(clock)) {
    // Consent has its own tests (policy_tests); here every number consented in writing.
    data_.default_consent = policy_test::written_consent();
}

void fake_acceptance_store::reserve_send(std::string_view brand, std::string_view msisdn,
                                         time_point when, store::batch& b) {
    b.record_send(brand, msisdn, when);
    std::lock_guard lock(mutex_);
    data_.sent(std::string(brand), std::string(msisdn), when);
    reservations_.push_back({std::string(brand), std::string(msisdn), when});
}

std::optional<policy::optout_summary> fake_acceptance_store::find_optout(
    std::string_view brand, std::string_view msisdn) const {
    optout_lookups_.fetch_add(1);
    std::lock_guard lock(mutex_);
    return data_.find_optout(brand, msisdn);
}

std::optional<policy::consent_summary> fake_acceptance_store::find_consent(
    std::string_view brand, std::string_view msisdn, policy::message_class klass) const {
    std::lock_guard lock(mutex_);
    return data_.find_consent(brand, msisdn, klass);
}

policy::send_history fake_acceptance_store::recent_sends(std::string_view brand,
                                                         std::string_view msisdn,
                                                         time_point since) const {
    policy::send_history h;
    {
        std::lock_guard lock(mutex_);
        h = data_.recent_sends(brand, msisdn, since);
    }
    if (after_frequency_lookup) {
        after_frequency_lookup();
    }
    return h;
}

std::optional<policy::hold_summary> fake_acceptance_store::find_hold(
    std::string_view brand, std::string_view msisdn) const {
    std::lock_guard lock(mutex_);
    return data_.find_hold(brand, msisdn);
}

void fake_acceptance_store::opt_out(std::string_view msisdn, std::string_view brand) {
    std::lock_guard lock(mutex_);
    data_.opt_out(std::string(brand), std::string(msisdn), clock_->now());
}

std::vector<fake_acceptance_store::reservation> fake_acceptance_store::reservations() const {
    std::lock_guard lock(mutex_);
    return reservations_;
}

// ---- live_fixture ----------------------------------------------------------------------------

live_fixture::live_fixture(time_point start)
    : clock(std::make_shared<store::manual_clock>(start)), live(journal, clock) {
    journal.set_listener([this](store::lsn_t first, std::size_t n, std::error_code ec) {
        live.group_completed(first, n, ec);
    });
    live.on_outbox_ready([this](std::string_view a) { outbox_ready.emplace_back(a); });
}

std::size_t live_fixture::count(record_kind kind) const {
    const auto all = journal.records();
    return static_cast<std::size_t>(
        std::count_if(all.begin(), all.end(), [&](const auto& r) { return r.kind == kind; }));
}

std::vector<record_kind> live_fixture::kinds() const {
    std::vector<record_kind> out;
    for (const auto& r : journal.records()) {
        out.push_back(r.kind);
    }
    return out;
}

store::outbox_depth live_fixture::outbox(std::string_view account) const {
    for (const auto& d : live.outboxes()) {
        if (d.account == account) {
            return d;
        }
    }
    return {std::string(account), 0, 0, 0};
}

store::message_ptr live_fixture::accept_durable(store::message_record rec) {
    store::accepted_record r;
    r.message = std::move(rec);
    auto m = live.accept(std::move(r), nullptr, {});
    REQUIRE(journal.complete() > 0);
    return m;
}

store::message_ptr live_fixture::submitted_durable(store::message_record rec,
                                                   std::string_view carrier,
                                                   const std::vector<std::string>& carrier_ids) {
    auto m = accept_durable(std::move(rec));
    REQUIRE(live.begin_submit(m));
    for (std::size_t i = 0; i < carrier_ids.size(); ++i) {
        store::submitted_record s;
        s.id = m->rec.id;
        s.part = static_cast<std::uint16_t>(i);
        s.parts = static_cast<std::uint16_t>(carrier_ids.size());
        s.carrier = std::string(carrier);
        s.carrier_message_id = carrier_ids[i];
        s.when = clock->now();
        REQUIRE(live.submitted(m, std::move(s), {}).empty());
    }
    REQUIRE(journal.complete() == carrier_ids.size());
    REQUIRE(m->phase == store::message_phase::awaiting_receipt);
    return m;
}

store::message_record plain_record(store::message_id id, std::string_view msisdn,
                                   std::uint8_t registered_delivery) {
    store::message_record rec;
    rec.id = id;
    rec.account = account().system_id;
    rec.brand = account().brand;
    rec.source = {1, 1, "15550001111"};
    rec.destination = {1, 1, std::string(msisdn)};
    rec.msisdn = std::string(msisdn);
    rec.registered_delivery = registered_delivery;
    rec.payload = "hello";
    rec.received = eastern(10, 14);
    rec.history.push_back({store::message_state::accepted, rec.received});
    return rec;
}

// ---- engines ---------------------------------------------------------------------------------

std::shared_ptr<const policy::engine> default_engine() {
    static const auto e = engine_with([](policy::policy_config&) {});
    return e;
}

std::shared_ptr<const policy::engine> engine_with(
    const std::function<void(policy::policy_config&)>& tweak) {
    return policy_test::make_engine(tweak);
}

acceptance_fixture::acceptance_fixture(time_point start, std::shared_ptr<const policy::engine> e)
    : live_fixture(start), db(clock), engine(std::move(e)), acceptor(live, db, engine, stats) {}

gateway::accept_outcome acceptance_fixture::submit(const smpp::pdu& p, store::completion done) {
    return acceptor.accept(record_of(p, clock->now()), {}, std::move(done));
}

// ---- receipts --------------------------------------------------------------------------------

smpp::pdu carrier_receipt_pdu(const carrier_receipt& r) {
    smpp::deliver_sm d;
    d.source_addr_ton = 1;
    d.source_addr_npi = 1;
    (void)d.source_addr.assign("13055550123");
    (void)d.destination_addr.assign("15550001111");
    d.esm_class = smpp::esm::smsc_delivery_receipt;
    const auto text = fmt::format(
        "id:{} sub:001 dlvrd:{} submit date:2606101400 done date:2606101401 stat:{} err:{:03} "
        "text:hello",
        r.id, r.stat == "DELIVRD" ? "001" : "000", r.stat, r.err);
    REQUIRE(d.short_message.assign(text));
    smpp::pdu p;
    p.sequence_number = 42;
    p.body = d;
    if (r.with_tlvs) {
        p.tlvs.set<smpp::tlv::receipted_message_id>(r.id);
        const auto state = smpp::message_state_from_stat(r.stat);
        REQUIRE(state);
        p.tlvs.set<smpp::tlv::message_state>(static_cast<std::uint8_t>(*state));
    }
    return p;
}

std::optional<upstream_receipt> read_upstream_receipt(std::string_view bytes) {
    smpp::pdu p;
    if (!smpp::decode(bytes_of(bytes), p).ok()) {
        return std::nullopt;
    }
    const auto* d = std::get_if<smpp::deliver_sm>(&p.body);
    if (d == nullptr) {
        return std::nullopt;
    }
    upstream_receipt out;
    out.receipted_message_id =
        std::string(p.tlvs.get<smpp::tlv::receipted_message_id>().value_or(""));
    out.message_state = p.tlvs.get<smpp::tlv::message_state>();
    out.esm_class = d->esm_class;
    out.text = std::string(d->short_message.chars());
    return out;
}

double value_of(gateway::metrics& m, std::string_view family,
                const std::vector<std::pair<std::string, std::string>>& labels) {
    for (const auto& f : m.registry().Collect()) {
        if (f.name != family) {
            continue;
        }
        for (const auto& metric : f.metric) {
            const bool match = std::all_of(labels.begin(), labels.end(), [&](const auto& want) {
                return std::any_of(metric.label.begin(), metric.label.end(), [&](const auto& l) {
                    return l.name == want.first && l.value == want.second;
                });
            });
            if (!match) {
                continue;
            }
            switch (f.type) {
                case prometheus::MetricType::Counter:
                    return metric.counter.value;
                case prometheus::MetricType::Gauge:
                    return metric.gauge.value;
                case prometheus::MetricType::Histogram:
                    return static_cast<double>(metric.histogram.sample_count);
                default:
                    return 0;
            }
        }
    }
    return 0;
}

}  // namespace component_test
