#pragma once
// Shared helpers for the store tests: a temporary directory that removes itself, options with
// small caches and a manual clock, and record builders.

#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <rocksdb/db.h>

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

// RocksDB under a store directory, without the store: to build a store of an older format by
// hand, or to look at what the store wrote. Read-only instances take no lock, so the store may
// be open meanwhile (they see what was flushed or is in the WAL when they open). Families with
// merge operands cannot be read here (no merge operators are configured).
class raw_db {
public:
    // Opens every family the directory has; `create` adds families (and the database) when
    // writable.
    raw_db(const std::filesystem::path& p, bool read_only, std::vector<std::string> create = {}) {
        rocksdb::DBOptions o;
        o.create_if_missing = !read_only;
        o.create_missing_column_families = !read_only;
        std::vector<std::string> names;
        if (!rocksdb::DB::ListColumnFamilies(o, p.string(), &names).ok()) {
            names = {rocksdb::kDefaultColumnFamilyName};
        }
        for (auto& c : create) {
            if (std::find(names.begin(), names.end(), c) == names.end()) {
                names.push_back(std::move(c));
            }
        }
        std::vector<rocksdb::ColumnFamilyDescriptor> desc;
        for (const auto& n : names) {
            desc.emplace_back(n, rocksdb::ColumnFamilyOptions{});
        }
        rocksdb::DB* db = nullptr;
        const auto s = read_only ? rocksdb::DB::OpenForReadOnly(o, p.string(), desc, &handles_, &db)
                                 : rocksdb::DB::Open(o, p.string(), desc, &handles_, &db);
        if (!s.ok()) {
            throw std::runtime_error("raw_db: " + s.ToString());
        }
        db_.reset(db);
        names_ = std::move(names);
    }
    ~raw_db() {
        for (auto* h : handles_) {
            (void)db_->DestroyColumnFamilyHandle(h);
        }
        (void)db_->Close();
    }
    raw_db(const raw_db&) = delete;
    raw_db& operator=(const raw_db&) = delete;

    [[nodiscard]] rocksdb::DB& db() { return *db_; }
    [[nodiscard]] bool has(std::string_view family) const {
        return std::find(names_.begin(), names_.end(), family) != names_.end();
    }
    [[nodiscard]] rocksdb::ColumnFamilyHandle* cf(std::string_view family) {
        for (std::size_t i = 0; i < names_.size(); ++i) {
            if (names_[i] == family) {
                return handles_[i];
            }
        }
        throw std::runtime_error("raw_db: no family " + std::string(family));
    }
    void put(std::string_view family, std::string_view key, std::string_view value) {
        rocksdb::WriteOptions wo;
        wo.sync = true;
        if (!db_->Put(wo, cf(family), {key.data(), key.size()}, {value.data(), value.size()})
                 .ok()) {
            throw std::runtime_error("raw_db: put failed");
        }
    }
    [[nodiscard]] std::optional<std::string> get(std::string_view family, std::string_view key) {
        std::string v;
        const auto s = db_->Get(rocksdb::ReadOptions{}, cf(family), {key.data(), key.size()}, &v);
        if (s.IsNotFound()) {
            return std::nullopt;
        }
        if (!s.ok()) {
            throw std::runtime_error("raw_db: get failed: " + s.ToString());
        }
        return v;
    }
    // Every (key, value) of a family, in key order.
    [[nodiscard]] std::vector<std::pair<std::string, std::string>> rows(std::string_view family) {
        std::vector<std::pair<std::string, std::string>> out;
        std::unique_ptr<rocksdb::Iterator> it{db_->NewIterator(rocksdb::ReadOptions{}, cf(family))};
        for (it->SeekToFirst(); it->Valid(); it->Next()) {
            out.emplace_back(it->key().ToString(), it->value().ToString());
        }
        if (!it->status().ok()) {
            throw std::runtime_error("raw_db: scan failed: " + it->status().ToString());
        }
        return out;
    }

private:
    std::vector<std::string> names_;
    std::vector<rocksdb::ColumnFamilyHandle*> handles_;
    std::unique_ptr<rocksdb::DB> db_;
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
