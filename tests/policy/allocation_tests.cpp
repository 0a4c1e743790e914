// The per-message path must not allocate in the common case. Global operator new is replaced
// for this test binary with a counter that is armed only around the calls under test.
#include <atomic>
#include <cstdlib>
#include <new>

#include <catch2/catch.hpp>

#include "support.hpp"

// AddressSanitizer owns operator new/delete; counting is only done in ordinary builds.
#if !defined(__SANITIZE_ADDRESS__)

namespace {

thread_local bool counting = false;
std::atomic<long> allocations{0};

void* counted_alloc(std::size_t n) {
    if (counting) {
        allocations.fetch_add(1);
    }
    if (void* p = std::malloc(n == 0 ? 1 : n)) {
        return p;
    }
    throw std::bad_alloc();
}

template <typename F>
long allocations_during(F&& f) {
    allocations = 0;
    counting = true;
    f();
    counting = false;
    return allocations.load();
}

}  // namespace

void* operator new(std::size_t n) {
    return counted_alloc(n);
}
void* operator new[](std::size_t n) {
    return counted_alloc(n);
}
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete[](void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
    std::free(p);
}

#endif  // !__SANITIZE_ADDRESS__

using namespace policy_test;

TEST_CASE("evaluate does not allocate: accept, defer and reject paths", "[chain][alloc]") {
#if defined(__SANITIZE_ADDRESS__)
    WARN("allocation counting is disabled under AddressSanitizer");
#else
    const auto& e = default_engine();
    memory_store s;  // keys are short enough for the small-string buffer: no allocation either
    s.default_consent = written_consent();
    s.opt_out("acme", "12125550123");
    const auto lk = s.view();
    const auto noon = local("America/New_York", 2026, 6, 10, 12, 0);
    const auto night = local("America/New_York", 2026, 6, 10, 23, 0);
    const auto accept_msg = promo("13055550123");
    const auto multi_zone = promo("12085550123");
    const auto opted_out = promo("12125550123");
    (void)e.evaluate(accept_msg, lk, noon);  // warm up any lazy library state

    decision d1;
    decision d2;
    decision d3;
    decision d4;
    const long n = allocations_during([&] {
        d1 = e.evaluate(accept_msg, lk, noon);
        d2 = e.evaluate(accept_msg, lk, night);
        d3 = e.evaluate(multi_zone, lk, night);
        d4 = e.evaluate(opted_out, lk, noon);
    });
    CHECK(n == 0);
    CHECK(d1.accepted());
    CHECK(d2.deferred());
    CHECK(d3.deferred());
    CHECK(d4.rejected());
#endif
}
