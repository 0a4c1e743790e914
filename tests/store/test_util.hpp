#pragma once
// Shared helpers for the store tests: a temporary directory that removes itself, options with
// small caches and a manual clock, and record builders.

#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include "smppgw/store/clock.hpp"
#include "smppgw/store/message_record.hpp"
#include "smppgw/store/options.hpp"
#include "smppgw/store/store.hpp"

namespace smppgw::store::test {

using namespace std::chrono_literals;

class temp_dir {
public:
    temp_dir() {
        auto tmpl = (std::filesystem::temp_directory_path() / "smppgw-store-XXXXXX").string();
        if (::mkdtemp(tmpl.data()) == nullptr) {
            throw std::runtime_error("mkdtemp failed");
        }
        path_ = tmpl;
    }
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;

    [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
    [[nodiscard]] std::filesystem::path operator/(const std::string& s) const { return path_ / s; }

private:
    std::filesystem::path path_;
};

// 2024-06-01T12:00:00Z
inline constexpr time_point test_start{std::chrono::milliseconds{1'717'243'200'000}};

inline store_options test_options(const std::filesystem::path& p,
                                  std::shared_ptr<const clock> clk = nullptr) {
    store_options o;
    o.path = p;
    o.block_cache_bytes = 8U << 20U;
    o.write_buffer_total_bytes = 32U << 20U;
    o.group_max_delay = std::chrono::microseconds{200};
    o.clk = clk ? std::move(clk) : std::make_shared<manual_clock>(test_start);
    return o;
}

inline message_record sample_message(message_id id, time_point when = test_start) {
    message_record r;
    r.id = id;
    r.account = "acct-1";
    r.brand = "acme";
    r.klass = policy::message_class::promotional;
    r.source = {5, 0, "ACME"};
    r.destination = {1, 1, "+15551234567"};
    r.msisdn = "15551234567";
    r.service_type = "CMT";
    r.esm_class = 0x40;
    r.protocol_id = 0;
    r.priority_flag = 1;
    r.registered_delivery = 1;
    r.data_coding = 8;
    r.payload = std::string("\x00\x48\x00\x69\x00\x00\xff", 7);  // binary with NULs
    r.tlvs = std::string("\x04\x24\x00\x02\x00\x00", 6);
    r.received = when;
    r.schedule_delivery = when + 1h;
    r.parts.resize(2);
    r.state = message_state::accepted;
    r.history.push_back({message_state::accepted, when});
    return r;
}

}  // namespace smppgw::store::test
