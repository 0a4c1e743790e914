#include "smppgw/store/live_state.hpp"

#include <algorithm>

#include "codec.hpp"
#include "message_codec.hpp"

namespace smppgw::store {
namespace {

using detail::put_bytes;
using detail::put_time;
using detail::put_u8;
using detail::put_varint;
using detail::reader;

// Checkpoint chunk entries.
enum class entry_type : std::uint8_t { message = 1, outbox = 2, audit = 3, unmatched = 4 };

constexpr std::uint8_t flag_counts_toward_frequency = 0x01;
constexpr std::uint8_t flag_keyword_reply = 0x02;

bool all_submitted(std::span<const message_part> parts) {
    return !parts.empty() && std::all_of(parts.begin(), parts.end(), [](const auto& p) {
        return !p.carrier_message_id.empty();
    });
}

void push_history(message_record& rec, message_state s, time_point when) {
    rec.history.push_back(state_event{s, when});
    if (rec.history.size() > message_history_cap) {
        rec.history.erase(rec.history.begin() + 1);  // keep acceptance and the newest
    }
}

// A send that no longer counts: the reservation made at acceptance is given back.
void release_reservation(const live_message& m, batch& b) {
    if (m.counts_toward_frequency) {
        b.release_send(m.rec.brand, m.rec.msisdn, m.reserved_at);
    }
}

}  // namespace

std::string_view to_string(message_phase p) noexcept {
    switch (p) {
        case message_phase::queued: return "queued";
        case message_phase::deferred: return "deferred";
        case message_phase::submitting: return "submitting";
        case message_phase::awaiting_receipt: return "awaiting_receipt";
        case message_phase::finished: return "finished";
    }
    return "unknown";
}

namespace {

constexpr std::chrono::microseconds accept_tick{100};

std::uint32_t steady_ticks() noexcept {
    const auto ticks = std::chrono::steady_clock::now().time_since_epoch() / accept_tick;
    return static_cast<std::uint32_t>(ticks);  // modulo 2^32: ages are differences
}

}  // namespace

void live_message::stamp_accepted() noexcept {
    const auto now = steady_ticks();
    accepted_ticks = now == 0 ? 1 : now;  // 0 means "not known"
}

std::optional<double> live_message::seconds_since_accepted(time_point now) const noexcept {
    if (accepted_ticks == 0) {
        return std::nullopt;
    }
    if (const auto wall = now - rec.received; wall > std::chrono::hours(24)) {
        return std::chrono::duration<double>(wall).count();
    }
    const std::uint32_t elapsed = steady_ticks() - accepted_ticks;  // wraps correctly
    return std::chrono::duration<double>(elapsed * accept_tick).count();
}

live_state::live_state(journal& j, std::shared_ptr<const clock> clk)
    : journal_(j), clock_(std::move(clk)) {}

live_state::~live_state() = default;

void live_state::on_outbox_ready(std::function<void(std::string_view)> fn) {
    std::lock_guard lock(mu_);
    outbox_ready_ = std::move(fn);
}

std::string live_state::correlation_key(std::string_view carrier, std::string_view id) {
    std::string k;
    k.reserve(carrier.size() + 1 + id.size());
    k.append(carrier);
    k.push_back('\0');
    k.append(id);
    return k;
}

std::uint64_t live_state::correlation_hash(std::string_view carrier,
                                           std::string_view id) noexcept {
    const auto a = std::hash<std::string_view>{}(carrier);
    const auto b = std::hash<std::string_view>{}(id);
    return a ^ (b + 0x9E3779B97F4A7C15ULL + (a << 6U) + (a >> 2U));
}

const live_state::correlation* live_state::correlated(std::string_view carrier,
                                                      std::string_view id) const {
    auto [first, last] = correlation_.equal_range(correlation_hash(carrier, id));
    for (auto it = first; it != last; ++it) {
        const auto& m = *it->second.message;
        if (m.rec.carrier == carrier && it->second.part < m.rec.parts.size() &&
            m.rec.parts[it->second.part].carrier_message_id == id) {
            return &it->second;
        }
    }
    return nullptr;
}

lsn_t live_state::append(record_kind kind, std::string_view payload, batch* extra,
                         completion done) {
    const record_ref r{kind, payload};
    return journal_.append({&r, 1}, extra, std::move(done));
}

lsn_t live_state::append_many(std::span<const record_ref> records, batch* extra,
                              completion done) {
    return journal_.append(records, extra, std::move(done));
}

message_ptr live_state::lookup(message_id id) const {
    const auto it = messages_.find(id);
    return it == messages_.end() ? nullptr : *it;
}

message_ptr live_state::target(message_id id, lsn_t lsn) const {
    auto m = lookup(id);
    if (m && m->lsn >= lsn) {
        return nullptr;  // the checkpoint's copy already reflects this record
    }
    return m;
}

void live_state::insert_deferred(const message_ptr& m) {
    deferred_.emplace(m->release, m->rec.id);
}

void live_state::erase_deferred(const live_message& m) {
    deferred_.erase({m.release, m.rec.id});
}

void live_state::map_part(const message_ptr& m, std::uint16_t part) {
    const auto& cmid = m->rec.parts[part].carrier_message_id;
    if (cmid.empty() || m->rec.carrier.empty()) {
        return;
    }
    const auto h = correlation_hash(m->rec.carrier, cmid);
    auto [first, last] = correlation_.equal_range(h);
    for (auto it = first; it != last; ++it) {
        const auto& other = *it->second.message;
        if (other.rec.carrier == m->rec.carrier && it->second.part < other.rec.parts.size() &&
            other.rec.parts[it->second.part].carrier_message_id == cmid) {
            it->second = correlation{m, part};  // the carrier reused an id: the newest wins
            return;
        }
    }
    correlation_.emplace(h, correlation{m, part});
}

void live_state::unmap_parts(const live_message& m) {
    for (std::uint16_t p = 0; p < m.rec.parts.size(); ++p) {
        const auto& cmid = m.rec.parts[p].carrier_message_id;
        if (cmid.empty()) {
            continue;
        }
        auto [first, last] = correlation_.equal_range(correlation_hash(m.rec.carrier, cmid));
        for (auto it = first; it != last; ++it) {
            if (it->second.message.get() == &m && it->second.part == p) {
                correlation_.erase(it);
                break;
            }
        }
    }
}

void live_state::remove_message(const message_ptr& m) {
    unmap_parts(*m);
    if (m->phase == message_phase::deferred) {
        erase_deferred(*m);
    }
    if (messages_.erase(m->rec.id) > 0) {
        phase_counts_[static_cast<std::size_t>(m->phase)].fetch_sub(1, std::memory_order_relaxed);
    }
    m->in_book = false;
}

void live_state::set_phase(live_message& m, message_phase p) {
    phase_counts_[static_cast<std::size_t>(m.phase)].fetch_sub(1, std::memory_order_relaxed);
    m.phase = p;
    phase_counts_[static_cast<std::size_t>(p)].fetch_add(1, std::memory_order_relaxed);
}

void live_state::count_in(const live_message& m) {
    phase_counts_[static_cast<std::size_t>(m.phase)].fetch_add(1, std::memory_order_relaxed);
}

void live_state::finish(live_message& m, message_ptr self, lsn_t lsn) {
    // The carrier ids stay mapped until the message leaves memory: a carrier repeating a
    // receipt it already gave (our answer was lost with its link) is then told apart from an
    // unknown one, and answered as a repeat.
    if (m.phase == message_phase::deferred) {
        erase_deferred(m);
    }
    set_phase(m, message_phase::finished);
    m.lsn = lsn;
    finished_.emplace_back(lsn, std::move(self));
}

void live_state::add_outbox_entry(lsn_t lsn, const std::string& account, outbox_kind kind,
                                  time_point created, std::string bytes, bool replaying) {
    auto& box = outboxes_[account];
    outbox_entry_state e{lsn, kind, created, std::move(bytes)};
    if (replaying) {
        box.ready.emplace(lsn, std::move(e));
    } else {
        box.pending.emplace(lsn, std::move(e));
    }
}

// ---- apply: one function per record kind -----------------------------------------------------

message_ptr live_state::apply(lsn_t lsn, accepted_record r, bool replaying) {
    const auto id = r.message.id;
    if (auto existing = lookup(id)) {
        return replaying ? nullptr : existing;  // replay of a record the checkpoint reflects
    }
    auto m = make_message();
    m->rec = std::move(r.message);
    m->lsn = lsn;
    m->counts_toward_frequency = r.counts_toward_frequency;
    m->reserved_at = m->rec.received;  // acceptance counts the send at the receive time
    m->keyword_reply = r.keyword_reply;
    m->stamp_accepted();
    if (m->rec.state == message_state::deferred) {
        m->phase = message_phase::deferred;
        m->release = r.release;
        insert_deferred(m);
    } else {
        m->phase = message_phase::queued;
    }
    max_id_ = std::max(max_id_, id);
    messages_.insert(m);
    count_in(*m);
    return m;
}

void live_state::apply(lsn_t lsn, const released_record& r) {
    auto m = target(r.id, lsn);
    if (!m || m->phase != message_phase::deferred) {
        return;
    }
    erase_deferred(*m);
    set_phase(*m, message_phase::queued);
    m->rec.state = message_state::queued;
    if (r.counts_toward_frequency) {
        m->counts_toward_frequency = true;
        m->reserved_at = r.when;
    }
    push_history(m->rec, message_state::queued, r.when);
    m->lsn = lsn;
}

void live_state::apply(lsn_t lsn, const deferred_record& r) {
    auto m = target(r.id, lsn);
    if (!m || m->phase == message_phase::finished) {
        return;
    }
    if (m->phase == message_phase::deferred) {
        erase_deferred(*m);
    }
    set_phase(*m, message_phase::deferred);
    m->release = r.until;
    m->rec.state = message_state::deferred;
    insert_deferred(m);
    m->lsn = lsn;
}

void live_state::apply(lsn_t lsn, const submitted_record& r) {
    auto m = target(r.id, lsn);
    if (!m || m->phase == message_phase::finished || r.part >= r.parts) {
        return;
    }
    auto& rec = m->rec;
    if (rec.parts.size() != r.parts || (!rec.carrier.empty() && rec.carrier != r.carrier)) {
        // First acknowledgement, or the message went to a carrier that splits it differently:
        // the parts start over with this carrier's.
        unmap_parts(*m);
        rec.parts.assign(r.parts, message_part{});
    }
    rec.carrier = r.carrier;
    auto& part = rec.parts[r.part];
    if (!part.carrier_message_id.empty() && part.carrier_message_id != r.carrier_message_id) {
        // The part went out again and got a new id: the old one no longer leads here.
        auto [first, last] =
            correlation_.equal_range(correlation_hash(rec.carrier, part.carrier_message_id));
        for (auto it = first; it != last; ++it) {
            if (it->second.message == m && it->second.part == r.part) {
                correlation_.erase(it);
                break;
            }
        }
    }
    part.carrier_message_id = r.carrier_message_id;
    if (!is_final(part.state)) {
        part.state = message_state::submitted;
    }
    part.updated = r.when;
    map_part(m, r.part);
    if (all_submitted(rec.parts) && m->phase != message_phase::awaiting_receipt) {
        set_phase(*m, message_phase::awaiting_receipt);
        if (!is_final(rec.state)) {
            rec.state = message_state::submitted;
        }
        push_history(rec, message_state::submitted, r.when);
    }
    m->lsn = lsn;
}

bool live_state::apply(lsn_t lsn, const receipt_record& r, bool replaying) {
    bool finished_now = false;
    if (auto m = target(r.id, lsn); m && m->phase != message_phase::finished) {
        auto& rec = m->rec;
        if (r.part >= rec.parts.size()) {
            rec.parts.resize(r.part + 1U);
        }
        auto& part = rec.parts[r.part];
        // Final states are sticky: a late intermediate receipt does not undo a final one.
        if (!(is_final(part.state) && !is_final(r.state))) {
            part.state = r.state;
            part.error = r.error;
            part.updated = r.when;
        }
        if (all_final(rec.parts)) {
            rec.state = aggregate_state(rec.parts);
            push_history(rec, rec.state, r.when);
            finish(*m, m, lsn);
            finished_now = true;
        } else {
            if (!is_final(r.state) && r.state != message_state::submitted) {
                rec.state = r.state;  // enroute, unknown: the message is on its way
            }
            m->lsn = lsn;
        }
    }
    if (!r.dlr.empty()) {
        add_outbox_entry(lsn, r.account, outbox_kind::dlr, r.when, r.dlr, replaying);
    }
    return finished_now;
}

void live_state::apply(lsn_t lsn, const ended_record& r, bool replaying) {
    if (auto m = target(r.id, lsn); m && m->phase != message_phase::finished) {
        m->rec.state = r.state;
        for (auto& p : m->rec.parts) {
            if (!is_final(p.state)) {
                p.error = r.status;
            }
        }
        push_history(m->rec, r.state, r.when);
        finish(*m, m, lsn);
    }
    if (!r.dlr.empty()) {
        add_outbox_entry(lsn, r.account, outbox_kind::dlr, r.when, r.dlr, replaying);
    }
}

void live_state::apply(lsn_t lsn, const replaced_record& r) {
    auto m = target(r.id, lsn);
    if (!m || (m->phase != message_phase::queued && m->phase != message_phase::deferred)) {
        return;
    }
    m->rec.payload = r.payload;
    if (r.registered_delivery != 0) {
        m->rec.registered_delivery = r.registered_delivery;
    }
    m->lsn = lsn;
}

void live_state::apply(lsn_t lsn, mo_record r, bool replaying) {
    add_outbox_entry(lsn, r.account, r.kind, r.when, std::move(r.bytes), replaying);
}

void live_state::apply_delivered(lsn_t, const outbox_done_record& r) {
    const auto it = outboxes_.find(r.account);
    if (it == outboxes_.end()) {
        return;
    }
    it->second.in_flight.erase(r.entry);
    it->second.ready.erase(r.entry);
    it->second.pending.erase(r.entry);
}

void live_state::apply(lsn_t lsn, audit_entry_record r) {
    audits_.emplace_back(lsn, std::move(r.audit));
}

void live_state::apply(lsn_t lsn, restored_record r) {
    const auto id = r.message.id;
    if (lookup(id)) {
        return;
    }
    auto m = make_message();
    m->rec = std::move(r.message);
    m->lsn = lsn;
    m->phase = message_phase::awaiting_receipt;
    max_id_ = std::max(max_id_, id);
    messages_.insert(m);
    count_in(*m);
    for (std::uint16_t p = 0; p < m->rec.parts.size(); ++p) {
        map_part(m, p);
    }
}

void live_state::apply(lsn_t lsn, unmatched_record r) {
    auto key = correlation_key(r.carrier, r.carrier_message_id);
    unmatched_by_id_[key].push_back(lsn);
    unmatched_.emplace(lsn, unmatched_receipt{std::move(r.carrier),
                                              std::move(r.carrier_message_id), r.when,
                                              std::move(r.pdu), lsn});
}

void live_state::apply(lsn_t, const unmatched_resolved_record& r) {
    const auto it = unmatched_.find(r.entry);
    if (it == unmatched_.end()) {
        return;
    }
    const auto key = correlation_key(it->second.carrier, it->second.carrier_message_id);
    if (auto ids = unmatched_by_id_.find(key); ids != unmatched_by_id_.end()) {
        std::erase(ids->second, r.entry);
        if (ids->second.empty()) {
            unmatched_by_id_.erase(ids);
        }
    }
    unmatched_.erase(it);
}

// ---- durability ----------------------------------------------------------------------------

void live_state::group_completed(lsn_t first, std::size_t count, std::error_code ec) {
    if (count == 0) {
        return;
    }
    const lsn_t last = first + count - 1;
    std::vector<std::string> ready_accounts;
    std::function<void(std::string_view)> notify;
    {
        std::lock_guard lock(mu_);
        if (!ec) {
            durable_through_ = std::max(durable_through_, last);
        }
        std::vector<pending_effect> undone;
        while (!pending_.empty() && pending_.front().lsn <= last) {
            auto e = std::move(pending_.front());
            pending_.pop_front();
            const bool kept = !ec || (e.kind != record_kind::accepted &&
                                      e.kind != record_kind::released &&
                                      e.kind != record_kind::receipt && e.kind != record_kind::mo);
            if (!kept) {
                undone.push_back(std::move(e));
                continue;
            }
            if (e.account.empty()) {
                continue;
            }
            // An outbox entry this record made is deliverable from now on.
            auto& box = outboxes_[e.account];
            if (auto node = box.pending.extract(e.lsn)) {
                box.ready.insert(std::move(node));
                if (std::find(ready_accounts.begin(), ready_accounts.end(), e.account) ==
                    ready_accounts.end()) {
                    ready_accounts.push_back(e.account);
                }
            }
        }
        // Newest first: each effect is undone on the state its record left.
        for (auto it = undone.rbegin(); it != undone.rend(); ++it) {
            rollback(*it);
        }
        notify = outbox_ready_;
    }
    if (notify) {
        for (const auto& a : ready_accounts) {
            notify(a);
        }
    }
}

void live_state::rollback(const pending_effect& e) {
    if (!e.account.empty()) {
        if (auto it = outboxes_.find(e.account); it != outboxes_.end()) {
            it->second.pending.erase(e.lsn);
        }
    }
    auto& m = e.message;
    if (!m || !m->in_book) {
        return;
    }
    switch (e.kind) {
        case record_kind::accepted:
            // Refused upstream with ESME_RSYSERR: as if it never came.
            remove_message(m);
            break;
        case record_kind::released:
            if (m->phase == message_phase::queued) {
                set_phase(*m, message_phase::deferred);
                m->rec.state = message_state::deferred;
                m->release = e.previous_release;
                // Its reservation failed with the release: it counts no send.
                m->counts_toward_frequency = e.previous_counts;
                insert_deferred(m);
            }
            break;
        case record_kind::receipt: {
            // The carrier was refused and will deliver the receipt again: it must then look
            // new, not like a repeat of one we never kept.
            auto& rec = m->rec;
            if (e.part < rec.parts.size()) {
                rec.parts[e.part].state = e.previous_state;
                rec.parts[e.part].error = e.previous_error;
                rec.parts[e.part].updated = e.previous_updated;
            }
            // The message as a whole goes back only if no later record changed it (rollbacks
            // run newest first, so a failed group's own receipts unwind one after the other);
            // a later record's effects stay.
            if (m->lsn != e.lsn) {
                break;
            }
            if (e.finished_message && m->phase == message_phase::finished) {
                std::erase_if(finished_, [&](const auto& f) { return f.first == e.lsn; });
                set_phase(*m, e.previous_phase);
                // The event the ending added. At the history cap that push also dropped the
                // oldest event after the first, which stays dropped.
                if (!rec.history.empty() && rec.history.size() >= e.previous_history) {
                    rec.history.pop_back();
                }
            }
            rec.state = e.previous_message_state;
            m->lsn = e.previous_lsn;
            break;
        }
        default:
            break;
    }
}

// ---- MT transitions ------------------------------------------------------------------------

message_ptr live_state::accept(accepted_record r, batch* extra, completion done) {
    std::lock_guard lock(mu_);
    scratch_.clear();
    encode(r, scratch_);
    const auto lsn = append(record_kind::accepted, scratch_, extra, std::move(done));
    auto m = apply(lsn, std::move(r), false);
    pending_.push_back({lsn, record_kind::accepted, m});
    return m;
}

std::vector<message_ptr> live_state::take_due(time_point now, std::size_t limit) {
    std::vector<message_ptr> out;
    std::lock_guard lock(mu_);
    while (!deferred_.empty() && out.size() < limit && deferred_.begin()->first <= now) {
        const auto id = deferred_.begin()->second;
        deferred_.erase(deferred_.begin());
        if (auto m = lookup(id)) {
            out.push_back(std::move(m));
        }
    }
    return out;
}

bool live_state::release(const message_ptr& m, time_point when, bool counts, batch* extra,
                         completion done) {
    std::lock_guard lock(mu_);
    if (!m->in_book || m->phase != message_phase::deferred) {
        return false;
    }
    const auto previous_release = m->release;
    const auto previous_counts = m->counts_toward_frequency;
    const released_record r{m->rec.id, when, counts};
    scratch_.clear();
    encode(r, scratch_);
    const auto lsn = append(record_kind::released, scratch_, extra, std::move(done));
    apply(lsn, r);
    pending_effect e{lsn, record_kind::released, m};
    e.previous_release = previous_release;
    e.previous_counts = previous_counts;
    pending_.push_back(std::move(e));
    return true;
}

bool live_state::defer_again(const message_ptr& m, time_point until, time_point when,
                             completion done) {
    std::lock_guard lock(mu_);
    if (!m->in_book || m->phase != message_phase::deferred) {
        return false;
    }
    const deferred_record r{m->rec.id, until, when};
    scratch_.clear();
    encode(r, scratch_);
    const auto lsn = append(record_kind::deferred, scratch_, nullptr, std::move(done));
    apply(lsn, r);
    return true;
}

bool live_state::begin_submit(const message_ptr& m) {
    std::lock_guard lock(mu_);
    if (!m->in_book || m->phase != message_phase::queued) {
        return false;
    }
    set_phase(*m, message_phase::submitting);
    return true;
}

void live_state::requeue(const message_ptr& m) {
    std::lock_guard lock(mu_);
    if (m->in_book && m->phase == message_phase::submitting) {
        set_phase(*m, message_phase::queued);
    }
}

std::vector<unmatched_receipt> live_state::submitted(const message_ptr& m, submitted_record r,
                                                     completion done) {
    std::vector<unmatched_receipt> waiting;
    std::lock_guard lock(mu_);
    if (!m->in_book || m->phase == message_phase::finished) {
        return waiting;  // ended meanwhile (e.g. another part was refused for good)
    }
    scratch_.clear();
    encode(r, scratch_);
    const auto lsn = append(record_kind::submitted, scratch_, nullptr, std::move(done));
    apply(lsn, r);
    if (!unmatched_by_id_.empty()) {
        const auto it = unmatched_by_id_.find(correlation_key(r.carrier, r.carrier_message_id));
        if (it != unmatched_by_id_.end()) {
            for (const auto entry : it->second) {
                waiting.push_back(unmatched_.at(entry));
            }
        }
    }
    return waiting;
}

bool live_state::end(const message_ptr& m, ended_record r, completion done) {
    std::lock_guard lock(mu_);
    if (!m->in_book || m->phase == message_phase::finished) {
        return false;
    }
    batch extra;
    if (r.state != message_state::delivered) {
        release_reservation(*m, extra);
    }
    r.id = m->rec.id;
    r.account = m->rec.account;
    scratch_.clear();
    encode(r, scratch_);
    const auto kind = r.state == message_state::expired     ? record_kind::expired
                      : r.state == message_state::cancelled ? record_kind::cancelled
                                                            : record_kind::failed;
    const bool dlr = !r.dlr.empty();
    const auto lsn = append(kind, scratch_, extra.empty() ? nullptr : &extra, std::move(done));
    apply(lsn, r, false);
    if (dlr) {
        pending_.push_back({lsn, kind, m, m->rec.account});
    }
    return true;
}

namespace {

// When the message was last heard of: its last state change or any part's last receipt
// (intermediate ones included: a carrier still reporting is not a carrier that forgot).
time_point last_news(const message_record& rec) {
    auto t = rec.history.empty() ? rec.received : rec.history.back().when;
    for (const auto& p : rec.parts) {
        t = std::max(t, p.updated);
    }
    return t;
}

// A message that has waited for its receipts with no news since `before`.
bool overdue_since(const live_message& m, time_point before) {
    return m.phase == message_phase::awaiting_receipt && last_news(m.rec) < before;
}

}  // namespace

void live_state::set_receipt_timeout(std::chrono::milliseconds timeout) {
    std::lock_guard lock(mu_);
    receipt_timeout_ = timeout;
}

std::vector<message_ptr> live_state::take_overdue(std::size_t max) {
    std::lock_guard lock(mu_);
    std::vector<message_ptr> out;
    while (!overdue_.empty() && out.size() < max) {
        auto m = std::move(overdue_.back());
        overdue_.pop_back();
        if (m->in_book && m->phase == message_phase::awaiting_receipt) {
            out.push_back(std::move(m));  // still waiting: a receipt did not come meanwhile
        }
    }
    return out;
}

live_state::change_result live_state::cancel(message_id id, std::string_view account,
                                             ended_record r, completion done) {
    std::lock_guard lock(mu_);
    auto m = lookup(id);
    if (!m || m->rec.account != account) {
        return change_result::not_found;
    }
    if (m->phase != message_phase::queued && m->phase != message_phase::deferred) {
        return change_result::not_allowed;  // a carrier bind has it: on its way
    }
    r.id = id;
    r.state = message_state::cancelled;
    r.account = m->rec.account;
    batch extra;
    release_reservation(*m, extra);
    scratch_.clear();
    encode(r, scratch_);
    const bool dlr = !r.dlr.empty();
    const auto lsn = append(record_kind::cancelled, scratch_, extra.empty() ? nullptr : &extra,
                            std::move(done));
    apply(lsn, r, false);
    if (dlr) {
        pending_.push_back({lsn, record_kind::cancelled, m, m->rec.account});
    }
    return change_result::done;
}

live_state::change_result live_state::replace(message_id id, std::string_view account,
                                              replaced_record r, completion done) {
    std::lock_guard lock(mu_);
    auto m = lookup(id);
    if (!m || m->rec.account != account) {
        return change_result::not_found;
    }
    if (m->phase != message_phase::queued && m->phase != message_phase::deferred) {
        return change_result::not_allowed;
    }
    r.id = id;
    scratch_.clear();
    encode(r, scratch_);
    const auto lsn = append(record_kind::replaced, scratch_, nullptr, std::move(done));
    apply(lsn, r);
    return change_result::done;
}

std::vector<message_ptr> live_state::queued() const {
    std::vector<message_ptr> out;
    std::lock_guard lock(mu_);
    for (const auto& m : messages_) {
        if (m->phase == message_phase::queued) {
            out.push_back(m);
        }
    }
    std::sort(out.begin(), out.end(),
              [](const message_ptr& a, const message_ptr& b) { return a->rec.id < b->rec.id; });
    return out;
}

std::optional<message_record> live_state::find(message_id id) const {
    std::lock_guard lock(mu_);
    if (auto m = lookup(id)) {
        return m->rec;
    }
    return std::nullopt;
}

message_ptr live_state::get(message_id id) const {
    std::lock_guard lock(mu_);
    return lookup(id);
}

// ---- receipts ------------------------------------------------------------------------------

live_state::receipt_result live_state::receipt(std::string_view carrier,
                                               std::string_view carrier_message_id,
                                               const receipt_fold& fold, completion&& done,
                                               std::span<const lsn_t> resolves) {
    std::lock_guard lock(mu_);
    const auto* found = correlated(carrier, carrier_message_id);
    if (found == nullptr) {
        return receipt_result::unknown;
    }
    auto m = found->message;
    const auto part = found->part;
    if (m->phase == message_phase::finished) {
        // It ended already (every part final, or failed or expired as a whole): whatever the
        // carrier says now changes nothing and owes nothing.
        return receipt_result::repeat;
    }
    auto r = fold(*m, part);
    if (!r) {
        if (resolves.empty()) {
            return receipt_result::repeat;
        }
        r.emplace();  // nothing new to say, but the unmatched entries are settled
        r->id = m->rec.id;
        r->part = part;
        r->state = m->rec.parts[part].state;
        r->error = m->rec.parts[part].error;
        r->when = clock_->now();
    }
    r->id = m->rec.id;
    r->part = part;
    r->account = m->rec.account;
    pending_effect e{0, record_kind::receipt, m};
    e.part = part;
    e.previous_state = part < m->rec.parts.size() ? m->rec.parts[part].state
                                                   : message_state::submitted;
    e.previous_error = part < m->rec.parts.size() ? m->rec.parts[part].error : 0;
    e.previous_updated = part < m->rec.parts.size() ? m->rec.parts[part].updated : time_point{};
    e.previous_phase = m->phase;
    e.previous_message_state = m->rec.state;
    e.previous_history = m->rec.history.size();
    e.previous_lsn = m->lsn;
    if (!r->dlr.empty()) {
        e.account = m->rec.account;
    }
    // Records: the unmatched entries it settles, then the receipt itself (last: its LSN is
    // the one the rollback and the outbox entry use).
    std::vector<std::string> payloads;
    std::vector<record_ref> records;
    payloads.reserve(resolves.size() + 1);
    for (const auto entry : resolves) {
        auto& p = payloads.emplace_back();
        encode(unmatched_resolved_record{entry}, p);
    }
    auto& rp = payloads.emplace_back();
    encode(*r, rp);
    for (std::size_t i = 0; i < resolves.size(); ++i) {
        records.push_back({record_kind::unmatched_resolved, payloads[i]});
    }
    records.push_back({record_kind::receipt, payloads.back()});
    batch extra;
    const bool will_finish = [&] {
        auto parts = m->rec.parts;
        if (part < parts.size() && !(is_final(parts[part].state) && !is_final(r->state))) {
            parts[part].state = r->state;
        }
        return all_final(parts);
    }();
    if (will_finish) {
        auto parts = m->rec.parts;
        parts[part].state = r->state;
        if (aggregate_state(parts) != message_state::delivered) {
            release_reservation(*m, extra);
        }
    }
    const auto first =
        append_many(records, extra.empty() ? nullptr : &extra, std::move(done));
    for (std::size_t i = 0; i < resolves.size(); ++i) {
        apply(first + i, unmatched_resolved_record{resolves[i]});
    }
    const auto lsn = first + resolves.size();
    e.lsn = lsn;
    e.finished_message = apply(lsn, *r, false);
    pending_.push_back(std::move(e));
    return receipt_result::applied;
}

bool live_state::keep_unmatched(unmatched_record r, std::size_t limit, completion done) {
    std::lock_guard lock(mu_);
    bool dropped = false;
    std::vector<std::string> payloads;
    std::vector<record_ref> records;
    std::vector<lsn_t> evict;
    // Evict the oldest until the new one fits: what stays (size - evicted) must be below the
    // limit. (Counting the evicted ones in, as this once did, emptied the whole set at the
    // limit.)
    while (limit > 0 && unmatched_.size() - evict.size() >= limit &&
           evict.size() < unmatched_.size()) {
        auto it = unmatched_.begin();
        std::advance(it, static_cast<std::ptrdiff_t>(evict.size()));
        evict.push_back(it->first);
        dropped = true;
    }
    payloads.reserve(evict.size() + 1);
    for (const auto entry : evict) {
        auto& p = payloads.emplace_back();
        encode(unmatched_resolved_record{entry}, p);
        records.push_back({record_kind::unmatched_resolved, {}});
    }
    auto& rp = payloads.emplace_back();
    encode(r, rp);
    records.push_back({record_kind::unmatched_receipt, {}});
    for (std::size_t i = 0; i < records.size(); ++i) {
        records[i].payload = payloads[i];
    }
    const auto first = append_many(records, nullptr, std::move(done));
    for (std::size_t i = 0; i < evict.size(); ++i) {
        apply(first + i, unmatched_resolved_record{evict[i]});
    }
    apply(first + evict.size(), std::move(r));
    return !dropped;
}

std::vector<unmatched_receipt> live_state::list_unmatched(std::size_t limit, lsn_t after) const {
    std::vector<unmatched_receipt> out;
    std::lock_guard lock(mu_);
    for (auto it = unmatched_.upper_bound(after); it != unmatched_.end() && out.size() < limit;
         ++it) {
        out.push_back(it->second);
    }
    return out;
}

bool live_state::drop_unmatched(lsn_t entry, completion done) {
    std::lock_guard lock(mu_);
    if (!unmatched_.contains(entry)) {
        return false;
    }
    const unmatched_resolved_record r{entry};
    scratch_.clear();
    encode(r, scratch_);
    const auto lsn = append(record_kind::unmatched_resolved, scratch_, nullptr, std::move(done));
    apply(lsn, r);
    return true;
}

// ---- outbox ----------------------------------------------------------------------------------

void live_state::mo(mo_record r, std::vector<accepted_record> replies, batch* extra,
                    std::vector<message_ptr>* accepted, completion done) {
    std::lock_guard lock(mu_);
    std::vector<std::string> payloads(replies.size() + 1);
    std::vector<record_ref> records;
    encode(r, payloads[0]);
    records.push_back({record_kind::mo, payloads[0]});
    for (std::size_t i = 0; i < replies.size(); ++i) {
        encode(replies[i], payloads[i + 1]);
        records.push_back({record_kind::accepted, payloads[i + 1]});
    }
    const auto first = append_many(records, extra, std::move(done));
    const auto account = r.account;
    apply(first, std::move(r), false);
    pending_.push_back({first, record_kind::mo, nullptr, account});
    for (std::size_t i = 0; i < replies.size(); ++i) {
        auto m = apply(first + 1 + i, std::move(replies[i]), false);
        pending_.push_back({first + 1 + i, record_kind::accepted, m});
        if (accepted != nullptr) {
            accepted->push_back(std::move(m));
        }
    }
}

void live_state::outbox_entries(std::vector<mo_record> rs, completion done) {
    if (rs.empty()) {
        if (done) {
            done({});
        }
        return;
    }
    std::lock_guard lock(mu_);
    std::vector<std::string> payloads(rs.size());
    std::vector<record_ref> records;
    records.reserve(rs.size());
    for (std::size_t i = 0; i < rs.size(); ++i) {
        encode(rs[i], payloads[i]);
        records.push_back({record_kind::mo, payloads[i]});
    }
    const auto first = append_many(records, nullptr, std::move(done));
    for (std::size_t i = 0; i < rs.size(); ++i) {
        auto account = rs[i].account;
        apply(first + i, std::move(rs[i]), false);
        pending_.push_back({first + i, record_kind::mo, nullptr, std::move(account)});
    }
}

std::size_t live_state::take_outbox(std::string_view account, std::size_t max,
                                    const outbox_sender& send) {
    std::lock_guard lock(mu_);
    const auto it = outboxes_.find(account);
    if (it == outboxes_.end()) {
        return 0;
    }
    auto& box = it->second;
    std::size_t n = 0;
    while (n < max && !box.ready.empty()) {
        auto first = box.ready.begin();
        if (!send(first->first, first->second.kind, first->second.bytes)) {
            break;
        }
        box.in_flight.insert(box.ready.extract(first));
        ++n;
    }
    return n;
}

void live_state::delivered(std::string_view account, lsn_t entry, completion done) {
    std::lock_guard lock(mu_);
    const outbox_done_record r{std::string(account), entry, clock_->now()};
    scratch_.clear();
    encode(r, scratch_);
    const auto lsn = append(record_kind::delivered_upstream, scratch_, nullptr, std::move(done));
    apply_delivered(lsn, r);
}

void live_state::delivered(std::string_view account, std::span<const lsn_t> entries) {
    if (entries.empty()) {
        return;
    }
    std::lock_guard lock(mu_);
    const auto now = clock_->now();
    std::vector<outbox_done_record> done_records;
    std::vector<std::string> payloads(entries.size());
    std::vector<record_ref> records;
    done_records.reserve(entries.size());
    records.reserve(entries.size());
    for (std::size_t i = 0; i < entries.size(); ++i) {
        done_records.push_back({std::string(account), entries[i], now});
        encode(done_records.back(), payloads[i]);
        records.push_back({record_kind::delivered_upstream, payloads[i]});
    }
    const auto first = append_many(records, nullptr, {});
    for (std::size_t i = 0; i < done_records.size(); ++i) {
        apply_delivered(first + i, done_records[i]);
    }
}

void live_state::returned(std::string_view account, lsn_t entry) {
    std::lock_guard lock(mu_);
    const auto it = outboxes_.find(account);
    if (it == outboxes_.end()) {
        return;
    }
    if (auto node = it->second.in_flight.extract(entry)) {
        it->second.ready.insert(std::move(node));
    }
}

std::vector<std::pair<std::string, std::size_t>> live_state::expire_outbox(time_point before,
                                                                          std::size_t max) {
    std::vector<std::pair<std::string, std::size_t>> out;
    std::lock_guard lock(mu_);
    std::vector<lsn_t> gone;
    for (auto& [account, box] : outboxes_) {
        if (max == 0) {
            break;
        }
        // Entries are keyed by LSN, which grows with time: the old ones come first.
        gone.clear();
        for (const auto& [id, e] : box.ready) {
            if (gone.size() == max || e.created >= before) {
                break;
            }
            gone.push_back(id);
        }
        for (const auto id : gone) {
            const outbox_done_record r{account, id, clock_->now()};
            scratch_.clear();
            encode(r, scratch_);
            const auto lsn = append(record_kind::delivered_upstream, scratch_, nullptr, {});
            apply_delivered(lsn, r);
        }
        if (!gone.empty()) {
            out.emplace_back(account, gone.size());
            max -= gone.size();
        }
    }
    return out;
}

std::vector<outbox_depth> live_state::outboxes() const {
    std::vector<outbox_depth> out;
    std::lock_guard lock(mu_);
    for (const auto& [account, box] : outboxes_) {
        out.push_back({account, box.ready.size(), box.in_flight.size(), box.pending.size()});
    }
    return out;
}

bool live_state::has_deliverable(std::string_view account) const {
    std::lock_guard lock(mu_);
    const auto it = outboxes_.find(account);
    return it != outboxes_.end() && !it->second.ready.empty();
}

// ---- audit -----------------------------------------------------------------------------------

void live_state::audit(audit_record a) {
    std::lock_guard lock(mu_);
    audit_entry_record r{std::move(a)};
    scratch_.clear();
    encode(r, scratch_);
    const auto lsn = append(record_kind::audit, scratch_, nullptr, {});
    apply(lsn, std::move(r));
}

// ---- materializer ----------------------------------------------------------------------------

std::vector<materialize_item> live_state::materializable(std::size_t max) const {
    // Under the lock only the references are taken; the rows are encoded after it is let go,
    // so the committer's completions and the next submits do not wait for a batch's encoding.
    // That is safe because what is referenced is frozen: a finished message whose record is
    // durable takes no more transitions (only a rollback changes a finished message, and only
    // while its record is not durable), and both it and the audit entry stay where they are
    // until materialized() — which only the caller of this function calls — lets them go.
    struct reference {
        lsn_t lsn;
        const audit_record* audit;
        const live_message* message;
    };
    std::vector<reference> refs;
    {
        std::lock_guard lock(mu_);
        refs.reserve(std::min(max, audits_.size() + finished_.size()));
        auto a = audits_.begin();
        auto f = finished_.begin();
        while (refs.size() < max) {
            const lsn_t next_audit = a != audits_.end() ? a->first : UINT64_MAX;
            const lsn_t next_finished = f != finished_.end() ? f->first : UINT64_MAX;
            const lsn_t next = std::min(next_audit, next_finished);
            if (next == UINT64_MAX || next > durable_through_) {
                break;
            }
            if (next_audit <= next_finished) {
                refs.push_back({next, &a->second, nullptr});
                ++a;
            } else {
                refs.push_back({next, nullptr, f->second.get()});
                ++f;
            }
        }
    }
    std::vector<materialize_item> out(refs.size());
    for (std::size_t i = 0; i < refs.size(); ++i) {
        auto& item = out[i];
        item.lsn = refs[i].lsn;
        if (refs[i].audit != nullptr) {
            item.audit = *refs[i].audit;
            continue;
        }
        const auto& rec = refs[i].message->rec;
        item.message = rec.id;
        detail::encode_message(rec, item.row);
        for (std::uint16_t p = 0; p < rec.parts.size(); ++p) {
            if (!rec.parts[p].carrier_message_id.empty()) {
                item.carrier_ids.emplace_back(
                    correlation_key(rec.carrier, rec.parts[p].carrier_message_id), p);
            }
        }
        // How it ended, for the audit trail by number and time.
        auto& ended = item.audit.emplace();
        ended.when = rec.history.empty() ? rec.received : rec.history.back().when;
        ended.id = rec.id;
        ended.msisdn = rec.msisdn;
        ended.account = rec.account;
        ended.brand = rec.brand;
        ended.check = "final";
        ended.verdict = audit_verdict::final_state;
        for (const auto& p : rec.parts) {
            if (p.error != 0) {
                ended.command_status = p.error;
            }
        }
        ended.reason = std::string(to_string(rec.state));
        if (!refs[i].message->keyword_reply) {
            item.traffic = traffic_sample{{rec.account, rec.brand, rec.campaign}, rec.received,
                                          rec.state};
        }
    }
    return out;
}

void live_state::materialized(lsn_t through) {
    std::lock_guard lock(mu_);
    while (!audits_.empty() && audits_.front().first <= through) {
        audits_.pop_front();
    }
    while (!finished_.empty() && finished_.front().first <= through) {
        if (finished_.front().second->in_book) {
            remove_message(finished_.front().second);
        }
        finished_.pop_front();
    }
    materialized_through_ = std::max(materialized_through_, through);
}

bool live_state::materialized_up_to(lsn_t lsn) const {
    std::lock_guard lock(mu_);
    if (durable_through_ < lsn) {
        return false;
    }
    const bool audits_done = audits_.empty() || audits_.front().first > lsn;
    const bool finished_done = finished_.empty() || finished_.front().first > lsn;
    return audits_done && finished_done;
}

lsn_t live_state::materialized_through() const {
    std::lock_guard lock(mu_);
    return materialized_through_;
}

// ---- checkpoints and recovery ----------------------------------------------------------------

lsn_t live_state::snapshot(const std::function<void(std::string_view)>& sink,
                           std::size_t chunk_entries) {
    std::vector<message_ptr> messages;
    std::string chunk;
    std::size_t in_chunk = 0;
    // Chunks completed while the lock is held (the copy at P) are kept here and handed to the
    // sink only after it is let go: the sink writes to RocksDB (and may call back into this
    // object), which must not happen under the lock every transition takes.
    bool locked = false;
    std::vector<std::string> made_locked;
    auto flush = [&] {
        if (in_chunk > 0) {
            if (locked) {
                made_locked.push_back(std::move(chunk));
            } else {
                sink(chunk);
            }
            chunk.clear();
            in_chunk = 0;
        }
    };
    auto counted = [&] {
        if (++in_chunk >= chunk_entries) {
            flush();
        }
    };
    lsn_t at = 0;
    {
        // Everything but the messages is copied at P, consistently: outbox entries, audits and
        // unmatched receipts replay exactly from P. Messages are written one chunk at a time
        // afterwards, each as it is then; their own LSN tells replay which records they
        // already reflect.
        std::lock_guard lock(mu_);
        locked = true;
        at = journal_.next_lsn();
        messages.reserve(messages_.size());
        for (const auto& m : messages_) {
            messages.push_back(m);
        }
        for (const auto& [account, box] : outboxes_) {
            for (const auto* entries : {&box.ready, &box.in_flight, &box.pending}) {
                for (const auto& [lsn, e] : *entries) {
                    put_u8(chunk, static_cast<std::uint8_t>(entry_type::outbox));
                    put_bytes(chunk, account);
                    put_varint(chunk, e.id);
                    put_u8(chunk, static_cast<std::uint8_t>(e.kind));
                    put_time(chunk, e.created);
                    put_bytes(chunk, e.bytes);
                    counted();
                }
            }
        }
        std::string audit;
        for (const auto& [lsn, a] : audits_) {
            put_u8(chunk, static_cast<std::uint8_t>(entry_type::audit));
            put_varint(chunk, lsn);
            audit_entry_record r{a};
            audit.clear();
            encode(r, audit);
            put_bytes(chunk, audit);
            counted();
        }
        for (const auto& [lsn, u] : unmatched_) {
            put_u8(chunk, static_cast<std::uint8_t>(entry_type::unmatched));
            put_varint(chunk, lsn);
            put_bytes(chunk, u.carrier);
            put_bytes(chunk, u.carrier_message_id);
            put_time(chunk, u.when);
            put_bytes(chunk, u.pdu);
            counted();
        }
        locked = false;
    }
    for (const auto& c : made_locked) {
        sink(c);
    }
    flush();
    std::string encoded;
    // Overdue receipts are noted on the way (set_receipt_timeout), bounded per checkpoint.
    std::vector<message_ptr> overdue;
    std::optional<time_point> overdue_before;
    {
        std::lock_guard lock(mu_);
        if (receipt_timeout_.count() > 0) {
            overdue_before = clock_->now() - receipt_timeout_;
        }
    }
    for (std::size_t i = 0; i < messages.size();) {
        {
            std::lock_guard lock(mu_);
            for (std::size_t n = 0; n < chunk_entries && i < messages.size(); ++n, ++i) {
                const auto& m = *messages[i];
                if (!m.in_book && m.phase != message_phase::finished) {
                    continue;  // rolled back: it never was
                }
                if (overdue_before && overdue.size() < overdue_per_walk &&
                    overdue_since(m, *overdue_before)) {
                    overdue.push_back(messages[i]);
                }
                put_u8(chunk, static_cast<std::uint8_t>(entry_type::message));
                put_varint(chunk, m.lsn);
                // Submitting is this process's business: after a restart the message is queued.
                const auto phase =
                    m.phase == message_phase::submitting ? message_phase::queued : m.phase;
                put_u8(chunk, static_cast<std::uint8_t>(phase));
                put_u8(chunk, static_cast<std::uint8_t>(
                                  (m.counts_toward_frequency ? flag_counts_toward_frequency : 0) |
                                  (m.keyword_reply ? flag_keyword_reply : 0)));
                put_time(chunk, m.release);
                put_time(chunk, m.reserved_at);
                detail::encode_message(m.rec, encoded);
                put_bytes(chunk, encoded);
                ++in_chunk;
            }
        }
        flush();
    }
    if (!overdue.empty()) {
        std::lock_guard lock(mu_);
        overdue_ = std::move(overdue);
    }
    return at;
}

std::size_t live_state::find_overdue(std::size_t max, std::size_t per_lock) {
    std::vector<message_ptr> messages;
    time_point before{};
    {
        std::lock_guard lock(mu_);
        if (receipt_timeout_.count() == 0) {
            return 0;
        }
        before = clock_->now() - receipt_timeout_;
        messages.reserve(messages_.size());
        for (const auto& m : messages_) {
            messages.push_back(m);
        }
    }
    std::vector<message_ptr> overdue;
    for (std::size_t i = 0; i < messages.size() && overdue.size() < max;) {
        std::lock_guard lock(mu_);
        for (std::size_t n = 0; n < per_lock && i < messages.size() && overdue.size() < max;
             ++n, ++i) {
            if (overdue_since(*messages[i], before)) {
                overdue.push_back(messages[i]);
            }
        }
    }
    const auto found = overdue.size();
    if (found > 0) {
        std::lock_guard lock(mu_);
        overdue_ = std::move(overdue);
    }
    return found;
}

bool live_state::load_chunk(std::string_view chunk) {
    std::lock_guard lock(mu_);
    reader r{chunk};
    while (r.remaining() > 0) {
        switch (static_cast<entry_type>(r.u8())) {
            case entry_type::message: {
                auto m = make_message();
                m->lsn = r.varint();
                const auto phase = r.u8();
                const auto flags = r.u8();
                m->release = r.time();
                m->reserved_at = r.time();
                const auto bytes = r.bytes();
                if (!r.ok() || phase > static_cast<std::uint8_t>(message_phase::finished) ||
                    detail::decode_message(bytes, m->rec) != detail::decode_status::ok) {
                    return false;
                }
                m->phase = static_cast<message_phase>(phase);
                m->counts_toward_frequency = (flags & flag_counts_toward_frequency) != 0;
                m->keyword_reply = (flags & flag_keyword_reply) != 0;
                m->stamp_accepted();
                max_id_ = std::max(max_id_, m->rec.id);
                if (auto [at, fresh] = messages_.insert(m); !fresh) {
                    messages_.erase(at);  // a later chunk's copy of the same message wins
                    messages_.insert(m);
                }
                count_in(*m);
                switch (m->phase) {
                    case message_phase::deferred: insert_deferred(m); break;
                    case message_phase::finished: finished_.emplace_back(m->lsn, m); break;
                    default:
                        for (std::uint16_t p = 0; p < m->rec.parts.size(); ++p) {
                            map_part(m, p);
                        }
                        break;
                }
                break;
            }
            case entry_type::outbox: {
                const std::string account{r.bytes()};
                outbox_entry_state e;
                e.id = r.varint();
                const auto kind = r.u8();
                e.created = r.time();
                e.bytes = r.bytes();
                if (!r.ok() || kind > static_cast<std::uint8_t>(outbox_kind::mo)) {
                    return false;
                }
                e.kind = static_cast<outbox_kind>(kind);
                outboxes_[account].ready.emplace(e.id, std::move(e));
                break;
            }
            case entry_type::audit: {
                const auto lsn = r.varint();
                audit_entry_record a;
                if (!r.ok() || !decode(r.bytes(), a)) {
                    return false;
                }
                audits_.emplace_back(lsn, std::move(a.audit));
                break;
            }
            case entry_type::unmatched: {
                unmatched_record u;
                const auto lsn = r.varint();
                u.carrier = r.bytes();
                u.carrier_message_id = r.bytes();
                u.when = r.time();
                u.pdu = r.bytes();
                if (!r.ok()) {
                    return false;
                }
                apply(lsn, std::move(u));
                break;
            }
            default:
                return false;
        }
    }
    return r.ok();
}

bool live_state::replay(lsn_t lsn, record_kind kind, std::string_view payload) {
    std::lock_guard lock(mu_);
    switch (kind) {
        case record_kind::accepted: {
            accepted_record r;
            if (!decode(payload, r)) {
                return false;
            }
            (void)apply(lsn, std::move(r), true);
            break;
        }
        case record_kind::released: {
            released_record r;
            if (!decode(payload, r)) {
                return false;
            }
            apply(lsn, r);
            break;
        }
        case record_kind::deferred: {
            deferred_record r;
            if (!decode(payload, r)) {
                return false;
            }
            apply(lsn, r);
            break;
        }
        case record_kind::submitted: {
            submitted_record r;
            if (!decode(payload, r)) {
                return false;
            }
            apply(lsn, r);
            break;
        }
        case record_kind::receipt: {
            receipt_record r;
            if (!decode(payload, r)) {
                return false;
            }
            (void)apply(lsn, r, true);
            break;
        }
        case record_kind::failed:
        case record_kind::expired:
        case record_kind::cancelled: {
            ended_record r;
            if (!decode(payload, r)) {
                return false;
            }
            apply(lsn, r, true);
            break;
        }
        case record_kind::replaced: {
            replaced_record r;
            if (!decode(payload, r)) {
                return false;
            }
            apply(lsn, r);
            break;
        }
        case record_kind::mo: {
            mo_record r;
            if (!decode(payload, r)) {
                return false;
            }
            apply(lsn, std::move(r), true);
            break;
        }
        case record_kind::delivered_upstream:
        case record_kind::outbox_dropped: {
            outbox_done_record r;
            if (!decode(payload, r)) {
                return false;
            }
            apply_delivered(lsn, r);
            break;
        }
        case record_kind::audit: {
            audit_entry_record r;
            if (!decode(payload, r)) {
                return false;
            }
            apply(lsn, std::move(r));
            break;
        }
        case record_kind::restored: {
            restored_record r;
            if (!decode(payload, r)) {
                return false;
            }
            apply(lsn, std::move(r));
            break;
        }
        case record_kind::unmatched_receipt: {
            unmatched_record r;
            if (!decode(payload, r)) {
                return false;
            }
            if (!unmatched_.contains(lsn)) {
                apply(lsn, std::move(r));
            }
            break;
        }
        case record_kind::unmatched_resolved: {
            unmatched_resolved_record r;
            if (!decode(payload, r)) {
                return false;
            }
            apply(lsn, r);
            break;
        }
    }
    durable_through_ = std::max(durable_through_, lsn);
    return true;
}

void live_state::finish_recovery(lsn_t materialized_watermark) {
    std::lock_guard lock(mu_);
    materialized_through_ = materialized_watermark;
    while (!audits_.empty() && audits_.front().first <= materialized_watermark) {
        audits_.pop_front();
    }
    std::sort(finished_.begin(), finished_.end(),
              [](const auto& x, const auto& y) { return x.first < y.first; });
    while (!finished_.empty() && finished_.front().first <= materialized_watermark) {
        if (finished_.front().second->in_book) {
            remove_message(finished_.front().second);
        }
        finished_.pop_front();
    }
    durable_through_ = std::max(durable_through_, journal_.next_lsn() - 1);
}

live_counts live_state::counts() const {
    live_counts c;
    auto phase = [&](message_phase p) {
        return phase_counts_[static_cast<std::size_t>(p)].load(std::memory_order_relaxed);
    };
    c.queued = phase(message_phase::queued);
    c.deferred = phase(message_phase::deferred);
    c.submitting = phase(message_phase::submitting);
    c.awaiting_receipt = phase(message_phase::awaiting_receipt);
    c.finished = phase(message_phase::finished);
    std::lock_guard lock(mu_);
    for (const auto& [account, box] : outboxes_) {
        c.outbox_entries += box.ready.size() + box.in_flight.size() + box.pending.size();
    }
    c.unmatched_receipts = unmatched_.size();
    c.materializer_queue = audits_.size() + finished_.size();
    return c;
}

std::uint64_t live_state::waiting_for_carrier() const noexcept {
    return phase_counts_[static_cast<std::size_t>(message_phase::queued)].load(
               std::memory_order_relaxed) +
           phase_counts_[static_cast<std::size_t>(message_phase::submitting)].load(
               std::memory_order_relaxed);
}

message_id live_state::max_id() const {
    std::lock_guard lock(mu_);
    return max_id_;
}

}  // namespace smppgw::store
