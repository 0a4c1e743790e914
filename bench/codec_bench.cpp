// Codec throughput on one core: decode + encode of a submit_sm without TLVs and of a delivery
// receipt deliver_sm with TLVs, plus heap allocations per PDU.
//
//   build/release/bench/codec_bench [seconds-per-case] [fixed-iterations]
//
// With fixed-iterations each case runs exactly that many round trips (for callgrind, whose
// instruction counts are repeatable where wall time on a shared 2-core machine is not).
// Prints one line per case and a JSON object at the end for BENCHMARKS.md.

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "smppgw/smpp/codec.hpp"
#include "smppgw/smpp/pdu_json.hpp"

namespace {
std::atomic<std::size_t> allocations{0};
}  // namespace

#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t size) {
    allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(size == 0 ? 1 : size)) {
        return p;
    }
    throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return operator new(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace {

namespace smpp = smppgw::smpp;

struct result {
    std::string name;
    double pdus_per_second = 0;
    double ns_per_pdu = 0;
    double allocations_per_pdu = 0;
};

// Vectors from tests/smpp/data/vectors.txt: `submit_sm` (cloudhopper, no TLVs) and
// `deliver_sm_dlr` (a receipt with four TLVs).
constexpr const char* submit_sm_hex =
    "00000039000000040000000000004fe80001013430343034000101343439353133363139323000000000000001"
    "000000084024232125262f3a";
constexpr const char* receipt_hex =
    "000000ba00000005000000000000000200010134343935313336313932300001013430343034000400000000"
    "000000006e69643a30303539313133393738207375623a30303120646c7672643a303031207375626d69742064"
    "6174653a3130303231303137333020646f6e6520646174653a3130303231303137333120737461743a44454c49"
    "565244206572723a30303020746578743a4024232125262f3a000e0001010006000101001e00083338363031"
    "6661000427000102";

result run(const char* name, const char* hex, double seconds, std::uint64_t fixed) {
    std::vector<std::uint8_t> input;
    if (!smpp::from_hex(hex, input)) {
        std::fprintf(stderr, "bad hex for %s\n", name);
        std::exit(1);
    }
    smpp::pdu p;
    std::vector<std::uint8_t> out;
    out.reserve(1024);
    // Warm up: first use sizes reusable buffers (the TLV vector, the output buffer).
    for (int i = 0; i < 1000; ++i) {
        (void)smpp::decode(input, p);
        out.clear();
        (void)smpp::encode(p, out, {.strict = false});
    }
    const auto allocs_before = allocations.load();
    std::uint64_t count = 0;
    std::size_t checksum = 0;
    const auto start = std::chrono::steady_clock::now();
    const auto deadline = start + std::chrono::duration<double>(seconds);
    auto now = start;
    while (fixed != 0 ? count < fixed : now < deadline) {
        for (int i = 0; i < 10000; ++i) {
            const auto r = smpp::decode(input, p);
            out.clear();
            const auto ec = smpp::encode(p, out, {.strict = false});
            checksum += r.consumed + out.size() + static_cast<std::size_t>(ec.value());
        }
        count += 10000;
        now = std::chrono::steady_clock::now();
    }
    const double elapsed = std::chrono::duration<double>(now - start).count();
    if (checksum != count * input.size() * 2) {
        std::fprintf(stderr, "%s: round trip changed the PDU\n", name);
        std::exit(1);
    }
    result r;
    r.name = name;
    r.pdus_per_second = static_cast<double>(count) / elapsed;
    r.ns_per_pdu = elapsed * 1e9 / static_cast<double>(count);
    r.allocations_per_pdu =
        static_cast<double>(allocations.load() - allocs_before) / static_cast<double>(count);
    return r;
}

}  // namespace

int main(int argc, char** argv) {
    const double seconds = argc > 1 ? std::atof(argv[1]) : 3.0;
    const std::uint64_t fixed = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 0;
    if (argc > 3 || !(seconds > 0)) {
        std::fprintf(stderr, "usage: codec_bench [seconds-per-case > 0] [fixed-iterations]\n");
        return 2;
    }
    const result results[] = {
        run("submit_sm decode+encode", submit_sm_hex, seconds, fixed),
        run("deliver_sm receipt (4 TLVs) decode+encode", receipt_hex, seconds, fixed),
    };
    std::string json = "[";
    for (const auto& r : results) {
        fmt::print("{:<45} {:>12.0f} PDU/s  {:>7.1f} ns/PDU  {:.3f} allocations/PDU\n", r.name,
                   r.pdus_per_second, r.ns_per_pdu, r.allocations_per_pdu);
        json += fmt::format(
            "{}{{\"case\":\"{}\",\"pdus_per_second\":{:.0f},\"ns_per_pdu\":{:.1f},"
            "\"allocations_per_pdu\":{:.3f}}}",
            json.size() > 1 ? "," : "", r.name, r.pdus_per_second, r.ns_per_pdu,
            r.allocations_per_pdu);
    }
    fmt::print("{}]\n", json);
    return 0;
}
