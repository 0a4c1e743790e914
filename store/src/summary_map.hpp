#pragma once
// An open-addressing hash table from 64-bit key hashes to `Words` 64-bit words, built for the
// policy lookups: one writer (the committer's completion thread, or open() before anyone reads) and any
// number of lock-free readers.
//
// Invariants:
// - A slot's key goes from 0 (empty) to its final value exactly once and is never cleared, so a
//   reader that finds a key can trust it; entries are never deleted (callers overwrite their
//   words, e.g. to mark an opt-out lifted).
// - Words of a new slot are written before its key is published (release); updates of an
//   existing slot's words go through a striped seqlock, so readers never see a torn value.
// - Growth builds a new table and publishes it with a release store; retired tables stay
//   allocated until the map is destroyed because a reader may still be probing one (tables
//   double, so retired memory is at most the live table's size). A reader on a retired table
//   can miss only writes that happened concurrently with its lookup, never ones that
//   completed before it started.
// - Linear probing, load kept <= 0.7.

#include <array>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace smppgw::store::detail {

template <std::size_t Words>
class summary_map {
public:
    using value_type = std::array<std::uint64_t, Words>;

    explicit summary_map(std::size_t expected = 0) {
        std::size_t cap = 1024;
        while (cap * 7 / 10 < expected) {
            cap *= 2;
        }
        auto t = std::make_unique<table>(cap);
        bytes_.store(table_bytes(cap), std::memory_order_relaxed);
        current_.store(t.get(), std::memory_order_release);
        tables_.push_back(std::move(t));
    }

    summary_map(const summary_map&) = delete;
    summary_map& operator=(const summary_map&) = delete;

    // Reader side: any thread.
    [[nodiscard]] bool find(std::uint64_t key, value_type* out = nullptr) const noexcept {
        key = normalize(key);
        const table* t = current_.load(std::memory_order_acquire);
        for (std::size_t i = t->index(key);; i = (i + 1) & t->mask) {
            const auto k = t->keys[i].load(std::memory_order_acquire);
            if (k == 0) {
                return false;
            }
            if (k == key) {
                if constexpr (Words > 0) {
                    if (out != nullptr) {
                        read_words(*t, i, *out);
                    }
                }
                return true;
            }
        }
    }

    // Writer side: one thread at a time (the caller serialises). Inserts or overwrites.
    void upsert(std::uint64_t key, const value_type& value = {}) {
        key = normalize(key);
        table* t = current_.load(std::memory_order_relaxed);
        for (std::size_t i = t->index(key);; i = (i + 1) & t->mask) {
            const auto k = t->keys[i].load(std::memory_order_relaxed);
            if (k == key) {
                write_words(*t, i, value, true);
                return;
            }
            if (k == 0) {
                write_words(*t, i, value, false);
                t->keys[i].store(key, std::memory_order_release);
                const auto n = size_.load(std::memory_order_relaxed) + 1;
                size_.store(n, std::memory_order_relaxed);
                if (n * 10 > (t->mask + 1) * 7) {
                    grow();
                }
                return;
            }
        }
    }

    // Writer side: pulls the slot `key` hashes to into the cache ahead of an upsert, so a bulk
    // load (open) can overlap the memory misses of several inserts.
    void prefetch(std::uint64_t key) const noexcept {
        key = normalize(key);
        const table* t = current_.load(std::memory_order_relaxed);
        const auto i = t->index(key);
        __builtin_prefetch(&t->keys[i], 1);
        if constexpr (Words > 0) {
            __builtin_prefetch(&t->words[i * Words], 1);
        }
    }

    [[nodiscard]] std::size_t size() const noexcept {
        return size_.load(std::memory_order_relaxed);
    }
    [[nodiscard]] std::size_t capacity() const noexcept {
        return current_.load(std::memory_order_acquire)->mask + 1;
    }
    // Live and retired tables.
    [[nodiscard]] std::size_t memory_bytes() const noexcept {
        return bytes_.load(std::memory_order_relaxed);
    }

private:
    static constexpr std::size_t stripes = 1024;

    struct table {
        explicit table(std::size_t cap)
            : mask(cap - 1),
              shift(static_cast<unsigned>(64 - std::countr_zero(cap))),
              keys(std::make_unique<std::atomic<std::uint64_t>[]>(cap)),
              words(Words > 0 ? std::make_unique<std::atomic<std::uint64_t>[]>(cap * Words)
                              : nullptr) {}

        [[nodiscard]] std::size_t index(std::uint64_t key) const noexcept {
            // Fibonacci hashing on top of an already mixed key: cheap insurance.
            return static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ULL) >> shift) & mask;
        }

        std::size_t mask;
        unsigned shift;
        std::unique_ptr<std::atomic<std::uint64_t>[]> keys;
        std::unique_ptr<std::atomic<std::uint64_t>[]> words;
    };

    static std::size_t table_bytes(std::size_t cap) noexcept {
        return cap * (1 + Words) * sizeof(std::uint64_t);
    }

    static std::uint64_t normalize(std::uint64_t key) noexcept { return key == 0 ? 1 : key; }

    void read_words(const table& t, std::size_t i, value_type& out) const noexcept {
        const auto& seq = seq_[i % stripes];
        for (;;) {
            const auto s1 = seq.load(std::memory_order_acquire);
            if ((s1 & 1U) == 0) {
                for (std::size_t w = 0; w < Words; ++w) {
                    out[w] = t.words[i * Words + w].load(std::memory_order_relaxed);
                }
                std::atomic_thread_fence(std::memory_order_acquire);
                if (seq.load(std::memory_order_relaxed) == s1) {
                    return;
                }
            }
        }
    }

    void write_words([[maybe_unused]] table& t, [[maybe_unused]] std::size_t i,
                     [[maybe_unused]] const value_type& v,
                     [[maybe_unused]] bool published) noexcept {
        if constexpr (Words > 0) {
            if (!published) {
                for (std::size_t w = 0; w < Words; ++w) {
                    t.words[i * Words + w].store(v[w], std::memory_order_relaxed);
                }
                return;  // the key's release store publishes these
            }
            auto& seq = seq_[i % stripes];
            const auto s = seq.load(std::memory_order_relaxed);
            seq.store(s + 1, std::memory_order_relaxed);
            std::atomic_thread_fence(std::memory_order_release);
            for (std::size_t w = 0; w < Words; ++w) {
                t.words[i * Words + w].store(v[w], std::memory_order_relaxed);
            }
            seq.store(s + 2, std::memory_order_release);
        }
    }

    void grow() {
        const table* old = current_.load(std::memory_order_relaxed);
        auto bigger = std::make_unique<table>((old->mask + 1) * 2);
        for (std::size_t i = 0; i <= old->mask; ++i) {
            const auto k = old->keys[i].load(std::memory_order_relaxed);
            if (k == 0) {
                continue;
            }
            std::size_t j = bigger->index(k);
            while (bigger->keys[j].load(std::memory_order_relaxed) != 0) {
                j = (j + 1) & bigger->mask;
            }
            if constexpr (Words > 0) {
                for (std::size_t w = 0; w < Words; ++w) {
                    bigger->words[j * Words + w].store(
                        old->words[i * Words + w].load(std::memory_order_relaxed),
                        std::memory_order_relaxed);
                }
            }
            bigger->keys[j].store(k, std::memory_order_relaxed);
        }
        bytes_.fetch_add(table_bytes(bigger->mask + 1), std::memory_order_relaxed);
        current_.store(bigger.get(), std::memory_order_release);
        tables_.push_back(std::move(bigger));
    }

    std::atomic<table*> current_{nullptr};
    std::vector<std::unique_ptr<table>> tables_;  // writer-owned; [back] is current
    std::atomic<std::size_t> size_{0};            // written by the writer only
    std::atomic<std::size_t> bytes_{0};
    mutable std::array<std::atomic<std::uint32_t>, stripes> seq_{};
};

}  // namespace smppgw::store::detail
