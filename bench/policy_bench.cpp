// Whole-chain MT policy evaluation time per message on one core, over in-memory lookups sized
// like a large deployment (default 10 million opt-outs and 10 million consents in compact
// open-addressing tables), with a realistic message mix: promotional, transactional and
// conversational, destinations spread over every NANP area code plus some international numbers,
// a share of opted-out recipients and of recipients without consent, and submit instants spread
// over a week (so quiet hours defer part of the promotional traffic).
//
//   taskset -c 1 build/h-policy/bench/policy_bench [data-dir] [messages] [optouts] [consents]
//
// data-dir defaults to etc/data (run from the repository root). Prints the decision mix, median,
// p90, p99 and p99.9 per-message latency (each message timed on its own with steady_clock; the
// clock's own cost is measured and printed), throughput, and heap allocations per message.

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "smppgw/policy/engine.hpp"

namespace {
std::atomic<std::size_t> allocations{0};
}  // namespace

void* operator new(std::size_t size) {
    allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(size == 0 ? 1 : size)) {
        return p;
    }
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}

namespace {

using namespace smppgw::policy;
using std::chrono::milliseconds;

constexpr std::size_t brand_count = 32;
constexpr std::uint64_t all_brands_index = 63;

std::uint64_t mix(std::uint64_t x) noexcept {  // splitmix64 finalizer
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

// Open addressing with linear probing over parallel key/value arrays; key 0 is empty. Keys
// pack msisdn (< 10^15 < 2^50), brand index (6 bits) and class (2 bits).
class compact_map {
public:
    explicit compact_map(std::size_t expected) {
        std::size_t cap = 1;
        while (cap < expected + expected / 2) {
            cap <<= 1;
        }
        mask_ = cap - 1;
        keys_.assign(cap, 0);
        values_.assign(cap, 0);
    }
    void put(std::uint64_t key, std::uint64_t value) {
        if (size_ + 1 > (mask_ + 1) / 4 * 3) {
            std::fprintf(stderr, "compact_map over 75%% full\n");
            std::abort();
        }
        for (std::size_t i = mix(key) & mask_;; i = (i + 1) & mask_) {
            if (keys_[i] == 0 || keys_[i] == key) {
                size_ += keys_[i] == 0 ? 1 : 0;
                keys_[i] = key;
                values_[i] = value;
                return;
            }
        }
    }
    [[nodiscard]] const std::uint64_t* find(std::uint64_t key) const noexcept {
        for (std::size_t i = mix(key) & mask_;; i = (i + 1) & mask_) {
            if (keys_[i] == key) {
                return &values_[i];
            }
            if (keys_[i] == 0) {
                return nullptr;
            }
        }
    }
    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    [[nodiscard]] std::size_t bytes() const noexcept {
        return (keys_.size() + values_.size()) * sizeof(std::uint64_t);
    }

private:
    std::vector<std::uint64_t> keys_;
    std::vector<std::uint64_t> values_;
    std::size_t mask_ = 0;
    std::size_t size_ = 0;
};

std::uint64_t msisdn_value(std::string_view digits) noexcept {
    std::uint64_t v = 0;
    for (char c : digits) {
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return v;
}

// "b07" → 7; all_brands → 63.
std::uint64_t brand_index(std::string_view brand) noexcept {
    if (brand == all_brands) {
        return all_brands_index;
    }
    return static_cast<std::uint64_t>((brand[1] - '0') * 10 + (brand[2] - '0'));
}

std::uint64_t key_of(std::uint64_t msisdn, std::uint64_t brand, std::uint64_t klass) noexcept {
    return msisdn | (brand << 50) | (klass << 56) | (1ULL << 63);
}

// Consent summary packed in 64 bits: granted (seconds, 40 bits) | status | type | proof.
std::uint64_t pack(const consent_summary& c) noexcept {
    const auto secs = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::seconds>(c.granted.time_since_epoch()).count());
    return (secs << 8) | (static_cast<std::uint64_t>(c.status) << 4) |
           (static_cast<std::uint64_t>(c.type) << 2) | (c.has_proof ? 1U : 0U);
}
consent_summary unpack(std::uint64_t v) noexcept {
    consent_summary c;
    c.granted = time_point{std::chrono::seconds{static_cast<std::int64_t>(v >> 8)}};
    c.status = static_cast<consent_status>((v >> 4) & 3U);
    c.type = static_cast<consent_type>((v >> 2) & 3U);
    c.has_proof = (v & 1U) != 0;
    return c;
}

class bench_store final : public optout_lookup,
                          public consent_lookup,
                          public frequency_lookup,
                          public hold_lookup {
public:
    bench_store(std::size_t optouts, std::size_t consents, std::size_t histories)
        : optouts_(optouts), consents_(consents), history_index_(histories) {}

    std::optional<optout_summary> find_optout(std::string_view brand,
                                              std::string_view msisdn) const override {
        const auto m = msisdn_value(msisdn);
        if (const auto* v = optouts_.find(key_of(m, brand_index(brand), 0))) {
            return optout_summary{time_point{milliseconds{static_cast<std::int64_t>(*v)}}, false};
        }
        if (const auto* v = optouts_.find(key_of(m, all_brands_index, 0))) {
            return optout_summary{time_point{milliseconds{static_cast<std::int64_t>(*v)}}, true};
        }
        return std::nullopt;
    }
    std::optional<consent_summary> find_consent(std::string_view brand, std::string_view msisdn,
                                                message_class klass) const override {
        const auto k =
            key_of(msisdn_value(msisdn), brand_index(brand), static_cast<std::uint64_t>(klass));
        if (const auto* v = consents_.find(k)) {
            return unpack(*v);
        }
        return std::nullopt;
    }
    send_history recent_sends(std::string_view brand, std::string_view msisdn,
                              time_point since) const override {
        send_history h;
        const auto* idx = history_index_.find(key_of(msisdn_value(msisdn), brand_index(brand), 0));
        if (idx == nullptr) {
            return h;
        }
        for (const auto t : histories_[*idx]) {
            if (t != time_point{} && t >= since) {
                h.sends[h.count++] = t;
            }
        }
        return h;
    }
    std::optional<hold_summary> find_hold(std::string_view brand,
                                          std::string_view msisdn) const override {
        if (holds_.find(key_of(msisdn_value(msisdn), brand_index(brand), 0)) != nullptr) {
            return hold_summary{};
        }
        return std::nullopt;
    }

    void opt_out(std::uint64_t msisdn, std::uint64_t brand, time_point when) {
        optouts_.put(key_of(msisdn, brand, 0),
                     static_cast<std::uint64_t>(when.time_since_epoch().count()));
    }
    void consent(std::uint64_t msisdn, std::uint64_t brand, message_class k,
                 const consent_summary& c) {
        consents_.put(key_of(msisdn, brand, static_cast<std::uint64_t>(k)), pack(c));
    }
    void sends(std::uint64_t msisdn, std::uint64_t brand, std::array<time_point, 3> t) {
        history_index_.put(key_of(msisdn, brand, 0), histories_.size());
        histories_.push_back(t);
    }
    void hold(std::uint64_t msisdn, std::uint64_t brand) {
        holds_.put(key_of(msisdn, brand, 0), 1);
    }

    [[nodiscard]] std::size_t bytes() const noexcept {
        return optouts_.bytes() + consents_.bytes() + history_index_.bytes() +
               histories_.size() * sizeof(histories_[0]) + holds_.bytes();
    }
    [[nodiscard]] std::size_t optouts() const noexcept { return optouts_.size(); }
    [[nodiscard]] std::size_t consents() const noexcept { return consents_.size(); }

private:
    compact_map optouts_;
    compact_map consents_;
    compact_map history_index_;
    std::vector<std::array<time_point, 3>> histories_;
    compact_map holds_{16384};
};

struct message {
    std::string brand;
    std::string dest;
    message_class klass;
    type_of_number ton;
    time_point at;
};

struct number_pool {
    std::vector<std::uint16_t> npas;
    std::mt19937_64 rng{20260610};

    // A random E.164 number: 92 % NANP over every area code in the data, 8 % FR/GB/IN/MX.
    std::uint64_t draw() {
        const auto r = rng() % 100;
        if (r < 92) {
            const auto npa = npas[rng() % npas.size()];
            const auto nxx = 200 + rng() % 800;
            const auto line = rng() % 10000;
            return 10000000000ULL + npa * 10000000ULL + nxx * 10000ULL + line;
        }
        static constexpr std::uint64_t bases[] = {33600000000ULL, 447700000000ULL, 919800000000ULL,
                                                  525500000000ULL};
        return bases[r % 4] + rng() % 99999999ULL;
    }
};

double percentile(const std::vector<std::uint64_t>& sorted, double p) {
    const auto i = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1));
    return static_cast<double>(sorted[i]);
}

}  // namespace

int main(int argc, char** argv) {
    const std::string dir = argc > 1 ? argv[1] : "etc/data";
    const std::size_t n_messages = argc > 2 ? std::stoul(argv[2]) : 2'000'000;
    const std::size_t n_optouts = argc > 3 ? std::stoul(argv[3]) : 10'000'000;
    const std::size_t n_consents = argc > 4 ? std::stoul(argv[4]) : 10'000'000;
    const std::size_t n_histories = 1'000'000;

    policy_config cfg;
    cfg.data.map_data = dir + "/timezones/map_data.txt";
    cfg.data.area_codes = dir + "/nanp/area_codes.csv";
    cfg.data.overlays = dir + "/nanp/overlays.csv";
    for (auto& h : cfg.data.holidays) {
        h.path = dir + "/holidays/" + h.name + ".txt";
    }
    const auto build_start = std::chrono::steady_clock::now();
    const auto data = load_policy_data(cfg.data);
    const auto policy = build_engine(cfg, data);
    const auto build_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - build_start)
            .count();

    number_pool pool;
    for (const auto& row : data.area_codes.rows) {
        pool.npas.push_back(row.npa);
    }
    auto& rng = pool.rng;
    const time_point week_start{std::chrono::sys_days{std::chrono::year{2026} / 6 / 8}};
    const auto random_instant = [&] {
        return week_start + milliseconds{static_cast<std::int64_t>(rng() % (7ULL * 86'400'000ULL))};
    };
    const auto brand_name = [](std::uint64_t b) { return fmt::format("b{:02}", b); };

    std::fprintf(stderr, "populating %zu opt-outs, %zu consents...\n", n_optouts, n_consents);
    bench_store store(n_optouts, n_consents, n_histories);
    struct key {
        std::uint64_t msisdn;
        std::uint64_t brand;
        message_class klass;
    };
    std::vector<key> optout_keys;
    std::vector<key> consent_keys;
    optout_keys.reserve(n_optouts);
    consent_keys.reserve(n_consents);
    for (std::size_t i = 0; i < n_optouts; ++i) {
        const auto m = pool.draw();
        // 5 % of opt-outs are STOPALL.
        const auto b = rng() % 20 == 0 ? all_brands_index : rng() % brand_count;
        store.opt_out(m, b, week_start - std::chrono::hours{24 * static_cast<int>(rng() % 700)});
        optout_keys.push_back({m, b, message_class::promotional});
    }
    for (std::size_t i = 0; i < n_consents; ++i) {
        const auto m = pool.draw();
        const auto b = rng() % brand_count;
        consent_summary c;
        c.granted = week_start - std::chrono::hours{24 * static_cast<int>(1 + rng() % 700)};
        message_class k = message_class::promotional;
        if (rng() % 10 < 7) {
            c.type = consent_type::express_written;
            c.has_proof = rng() % 50 != 0;
            c.status = rng() % 40 == 0 ? consent_status::pending : consent_status::granted;
        } else {
            k = message_class::transactional;
            c.type = consent_type::express;
        }
        store.consent(m, b, k, c);
        consent_keys.push_back({m, b, k});
    }
    // Recent promotional sends for a slice of consented recipients (frequency caps bite in
    // FL/OK/MD), and a few review holds.
    for (std::size_t i = 0; i < n_histories; ++i) {
        const auto& k = consent_keys[rng() % consent_keys.size()];
        const auto base = week_start + std::chrono::hours{24 * 3};
        store.sends(k.msisdn, k.brand,
                    {base - std::chrono::hours{1 + static_cast<int>(rng() % 20)},
                     base - std::chrono::hours{1 + static_cast<int>(rng() % 20)},
                     base - std::chrono::hours{1 + static_cast<int>(rng() % 20)}});
    }
    for (std::size_t i = 0; i < 10'000; ++i) {
        const auto& k = consent_keys[rng() % consent_keys.size()];
        store.hold(k.msisdn, k.brand);
    }

    // Messages: 5 % to opted-out (brand, number), 85 % to consented ones (class follows the
    // consent), 10 % to random numbers (mostly no consent). 60/35/5 promotional, transactional,
    // conversational where the draw is free; 10 % arrive as national numbers.
    std::vector<message> msgs;
    msgs.reserve(n_messages);
    for (std::size_t i = 0; i < n_messages; ++i) {
        message m;
        const auto r = rng() % 100;
        std::uint64_t msisdn = 0;
        std::uint64_t b = rng() % brand_count;
        const auto c = rng() % 100;
        m.klass = c < 60 ? message_class::promotional
                         : (c < 95 ? message_class::transactional : message_class::conversational);
        if (r < 5) {
            const auto& k = optout_keys[rng() % optout_keys.size()];
            msisdn = k.msisdn;
            b = k.brand == all_brands_index ? rng() % brand_count : k.brand;
        } else if (r < 90) {
            const auto& k = consent_keys[rng() % consent_keys.size()];
            msisdn = k.msisdn;
            b = k.brand;
            m.klass = k.klass;
        } else {
            msisdn = pool.draw();
        }
        m.brand = brand_name(b);
        m.dest = std::to_string(msisdn);
        m.ton = type_of_number::international;
        if (m.dest.size() == 11 && m.dest.front() == '1' && rng() % 10 == 0) {
            m.dest = m.dest.substr(1);
            m.ton = type_of_number::national;
        }
        m.at = random_instant();
        msgs.push_back(std::move(m));
    }

    const lookups lk{&store, &store, &store, &store};
    const auto facts_of = [](const message& m) {
        message_facts f;
        f.account = "acct";
        f.brand = m.brand;
        f.klass = m.klass;
        f.source = {type_of_number::international, numbering_plan::isdn, "15550001111"};
        f.destination = {m.ton, numbering_plan::isdn, m.dest};
        f.text = "Sale today. Reply STOP to opt out.";
        f.received = m.at;
        return f;
    };

    // Warm-up pass over the first tenth (untimed), then every message timed on its own.
    for (std::size_t i = 0; i < msgs.size() / 10; ++i) {
        (void)policy->evaluate(facts_of(msgs[i]), lk, msgs[i].at);
    }
    std::vector<std::uint64_t> clock_cost(100'000);
    for (auto& c : clock_cost) {
        const auto a = std::chrono::steady_clock::now();
        const auto b = std::chrono::steady_clock::now();
        c = static_cast<std::uint64_t>((b - a).count());
    }
    std::sort(clock_cost.begin(), clock_cost.end());

    std::vector<std::uint64_t> ns(msgs.size());
    std::array<std::size_t, 3> kinds{};
    std::array<std::size_t, reason_count> reasons{};
    const auto allocs_before = allocations.load();
    const auto wall_start = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < msgs.size(); ++i) {
        const message_facts f = facts_of(msgs[i]);
        const auto a = std::chrono::steady_clock::now();
        const decision d = policy->evaluate(f, lk, msgs[i].at);
        const auto b = std::chrono::steady_clock::now();
        ns[i] = static_cast<std::uint64_t>((b - a).count());
        ++kinds[static_cast<std::size_t>(d.kind)];
        ++reasons[static_cast<std::size_t>(d.why)];
    }
    const double wall_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    const auto allocs = allocations.load() - allocs_before;
    std::sort(ns.begin(), ns.end());

    const double total = static_cast<double>(msgs.size());
    std::printf("policy_bench: %zu messages, %zu opt-outs, %zu consents, %zu send histories\n",
                msgs.size(), store.optouts(), store.consents(), n_histories);
    std::printf("  engine build (load data + compile): %.0f ms; lookup tables: %.0f MiB\n",
                build_ms, static_cast<double>(store.bytes()) / (1024.0 * 1024.0));
    std::printf("  decisions: accept %.1f%%, reject %.1f%%, defer %.1f%%\n",
                100.0 * static_cast<double>(kinds[0]) / total,
                100.0 * static_cast<double>(kinds[1]) / total,
                100.0 * static_cast<double>(kinds[2]) / total);
    for (std::size_t r = 1; r < reason_count; ++r) {
        if (reasons[r] != 0) {
            std::printf("    %-26s %6.2f%%\n",
                        std::string(reason_code(static_cast<reason>(r))).c_str(),
                        100.0 * static_cast<double>(reasons[r]) / total);
        }
    }
    std::printf("  per message (ns): median %.0f  p90 %.0f  p99 %.0f  p99.9 %.0f  max %.0f\n",
                percentile(ns, 0.5), percentile(ns, 0.9), percentile(ns, 0.99),
                percentile(ns, 0.999), static_cast<double>(ns.back()));
    std::printf("  clock pair cost (ns, included above): median %.0f\n",
                percentile(clock_cost, 0.5));
    std::printf("  throughput incl. timing: %.2f M msg/s; heap allocations per message: %.3f\n",
                total / wall_s / 1e6, static_cast<double>(allocs) / total);
    return 0;
}
