// Clear startup errors for directories that are not a usable store (foreign, damaged, locked,
// newer format) and for a journal or checkpoint that cannot be read back. Recovery of the live
// state itself: restart_tests.cpp, upgrade_tests.cpp.

#include <catch2/catch.hpp>

#include <fstream>
#include <mutex>

#include <rocksdb/db.h>

#include "codec.hpp"
#include "engine_log.hpp"
#include "keys.hpp"
#include "live_util.hpp"
#include "smppgw/store/batch.hpp"
#include "smppgw/store/store.hpp"
#include "test_util.hpp"

using namespace smppgw::store;
using namespace smppgw::store::test;
namespace fs = std::filesystem;
namespace pol = smppgw::policy;

namespace {

// open must throw open_error whose message names the path and contains `problem`.
void require_open_error(const store_options& o, const std::string& problem) {
    try {
        auto st = store::open(o);
        FAIL("open succeeded for " << o.path);
    } catch (const open_error& e) {
        const std::string what = e.what();
        INFO(what);
        CHECK(what.find(o.path.string()) != std::string::npos);
        CHECK(what.find(problem) != std::string::npos);
    }
}

void write_file(const fs::path& p, std::string_view content) {
    std::ofstream f{p, std::ios::binary | std::ios::trunc};
    f << content;
}

void make_raw_rocksdb(const fs::path& p, const std::vector<std::string>& families) {
    rocksdb::Options o;
    o.create_if_missing = true;
    o.create_missing_column_families = true;
    std::vector<rocksdb::ColumnFamilyDescriptor> desc;
    desc.emplace_back(rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions{});
    for (const auto& f : families) {
        desc.emplace_back(f, rocksdb::ColumnFamilyOptions{});
    }
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    REQUIRE(rocksdb::DB::Open(o, p.string(), desc, &handles, &db).ok());
    REQUIRE(db->Put(rocksdb::WriteOptions{}, handles.back(), "some", "data").ok());
    for (auto* h : handles) {
        REQUIRE(db->DestroyColumnFamilyHandle(h).ok());
    }
    REQUIRE(db->Close().ok());
    delete db;
}

}  // namespace

TEST_CASE("a new store is created, create_if_missing=false refuses", "[recovery][open]") {
    temp_dir dir;
    auto o = test_options(dir / "new" / "nested");
    o.create_if_missing = false;
    require_open_error(o, "create_if_missing is off");
    o.create_if_missing = true;
    auto st = store::open(o);
    CHECK(st->recovery().created);
}

TEST_CASE("RocksDB's own log goes to on_engine_log, not to a LOG file in the store's folder",
          "[recovery][open]") {
    // A LOG file shares the store's file system, and a full disk made its writer abort the
    // daemon (engine_log.hpp); the lines go to the owner's log instead, filtered by level.
    temp_dir dir;
    auto o = test_options(dir / "db");
    std::mutex m;
    std::vector<std::pair<engine_log_level, std::string>> lines;
    o.on_engine_log = [&](engine_log_level level, std::string_view line) {
        const std::lock_guard lock(m);
        lines.emplace_back(level, line);
    };
    SECTION("at info, RocksDB's informational lines arrive, without trailing newlines") {
        o.engine_log_min = engine_log_level::info;
        { auto st = store::open(o); }
        const std::lock_guard lock(m);
        REQUIRE(!lines.empty());
        for (const auto& [level, line] : lines) {
            CHECK(level >= engine_log_level::info);
            CHECK((line.empty() || line.back() != '\n'));
        }
    }
    SECTION("at warn, a clean open and close logs nothing") {
        o.engine_log_min = engine_log_level::warn;
        { auto st = store::open(o); }
        const std::lock_guard lock(m);
        CHECK(lines.empty());
    }
    for (const auto& entry : fs::directory_iterator(dir / "db")) {
        const auto name = entry.path().filename().string();
        CHECK(name.rfind("LOG", 0) != 0);
    }
}

TEST_CASE("a RocksDB line that repeats is counted, not passed on each time", "[recovery][open]") {
    // While the disk is full RocksDB reports the same background error for every write attempt.
    std::vector<std::pair<engine_log_level, std::string>> lines;
    store_options o;
    o.engine_log_min = engine_log_level::warn;
    o.on_engine_log = [&](engine_log_level level, std::string_view line) {
        lines.emplace_back(level, line);
    };
    const auto logger = detail::make_engine_logger(o);
    for (int i = 0; i < 5; ++i) {
        rocksdb::Log(rocksdb::InfoLogLevel::WARN_LEVEL, logger, "Background IO error %s",
                     "No space left on device");
    }
    rocksdb::Log(rocksdb::InfoLogLevel::ERROR_LEVEL, logger, "something else");
    rocksdb::Log(rocksdb::InfoLogLevel::ERROR_LEVEL, logger, "something else");
    rocksdb::Log(rocksdb::InfoLogLevel::WARN_LEVEL, logger, "Background IO error %s",
                 "No space left on device");
    rocksdb::Log(rocksdb::InfoLogLevel::INFO_LEVEL, logger, "below the level: not counted");
    const std::vector<std::pair<engine_log_level, std::string>> expected{
        {engine_log_level::warn, "Background IO error No space left on device"},
        {engine_log_level::warn, "(the previous RocksDB line repeated 4 more times)"},
        {engine_log_level::error, "something else"},
        {engine_log_level::error, "(the previous RocksDB line repeated 1 more time)"},
        {engine_log_level::warn, "Background IO error No space left on device"}};
    CHECK(lines == expected);
}

TEST_CASE("foreign and damaged directories give clear startup errors", "[recovery][open]") {
    temp_dir dir;
    const auto p = dir / "db";

    SECTION("a regular file") {
        write_file(p, "hello");
        require_open_error(test_options(p), "not a directory");
    }
    SECTION("a non-empty directory without a database") {
        fs::create_directories(p);
        write_file(p / "notes.txt", "hello");
        require_open_error(test_options(p), "no CURRENT file");
    }
    SECTION("somebody else's RocksDB") {
        make_raw_rocksdb(p, {"users"});
        require_open_error(test_options(p), "foreign column family 'users'");
        make_raw_rocksdb(dir / "plain", {});
        require_open_error(test_options(dir / "plain"), "without the smppgw column families");
    }
    SECTION("our family names but no marker") {
        make_raw_rocksdb(p, {"messages", "optouts"});
        require_open_error(test_options(p), "marker is missing");
    }
    SECTION("a newer format") {
        { auto st = store::open(test_options(p)); }
        rocksdb::DB* db = nullptr;
        std::vector<rocksdb::ColumnFamilyDescriptor> desc;
        std::vector<std::string> names;
        REQUIRE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions{}, p.string(), &names).ok());
        for (const auto& n : names) {
            desc.emplace_back(n, rocksdb::ColumnFamilyOptions{});
        }
        std::vector<rocksdb::ColumnFamilyHandle*> handles;
        REQUIRE(rocksdb::DB::Open(rocksdb::DBOptions{}, p.string(), desc, &handles, &db).ok());
        REQUIRE(
            db->Put(rocksdb::WriteOptions{}, handles[0], "smppgw.store.marker", "smppgw-store:99")
                .ok());
        for (auto* h : handles) {
            REQUIRE(db->DestroyColumnFamilyHandle(h).ok());
        }
        delete db;
        require_open_error(test_options(p), "newer smppgw");
    }
    SECTION("garbage in CURRENT") {
        { auto st = store::open(test_options(p)); }
        write_file(p / "CURRENT", "garbage\n");
        require_open_error(test_options(p), "damaged");
    }
    SECTION("a missing MANIFEST") {
        { auto st = store::open(test_options(p)); }
        for (const auto& e : fs::directory_iterator(p)) {
            if (e.path().filename().string().rfind("MANIFEST-", 0) == 0) {
                fs::remove(e.path());
            }
        }
        require_open_error(test_options(p), "damaged");
    }
    SECTION("a truncated table file") {
        {
            auto st = store::open(test_options(p));
            batch b;
            for (int i = 0; i < 100; ++i) {
                b.put_optout({"acme", std::to_string(15550000000 + i), test_start, "STOP",
                              pol::record_source::mo, ""});
            }
            REQUIRE_FALSE(st->commit_sync(std::move(b)));
            REQUIRE_FALSE(st->flush());
        }
        bool truncated = false;
        for (const auto& e : fs::directory_iterator(p)) {
            if (e.path().extension() == ".sst") {
                fs::resize_file(e.path(), fs::file_size(e.path()) / 2);
                truncated = true;
            }
        }
        REQUIRE(truncated);
        require_open_error(test_options(p), "damaged");
    }
    SECTION("already open (LOCK held)") {
        auto first = store::open(test_options(p));
        require_open_error(test_options(p), "in use by another process");
    }
    SECTION("invalid options") {
        auto o = test_options(p);
        o.node_id = 5000;
        require_open_error(o, "node_id");
    }
}

TEST_CASE("a journal or checkpoint that cannot be read back gives a clear startup error",
          "[recovery][open]") {
    temp_dir dir;
    const auto p = dir / "db";
    {
        auto st = store::open(test_options(p));
        completions done;
        (void)st->live().accept(make_accepted(st->next_id()), nullptr, done.make());
        REQUIRE(done.wait_for(1));
        REQUIRE_FALSE(st->checkpoint_now());
        (void)st->live().accept(make_accepted(st->next_id()), nullptr, done.make());
        REQUIRE(done.wait_for(2));
    }
    std::string key;

    SECTION("a journal record that does not decode") {
        {
            raw_db raw(p, false);
            detail::journal_key(key, 100);
            // Group format 2, one record: kind accepted, a one-byte payload.
            raw.put("journal", key, std::string("\x02\x01\x01x", 4));
        }
        require_open_error(test_options(p), "journal record 100 (accepted) does not decode");
    }
    SECTION("a journal group in an unknown format") {
        {
            raw_db raw(p, false);
            detail::journal_key(key, 100);
            raw.put("journal", key, std::string("\x09\x01\x01x", 4));
        }
        require_open_error(test_options(p), "damaged data");
    }
    SECTION("a checkpoint chunk that does not decode") {
        {
            raw_db raw(p, false);
            detail::checkpoint_chunk_key(key, 1, 0);
            raw.put("checkpoint", key, "\x07garbage");
        }
        require_open_error(test_options(p), "malformed checkpoint chunk");
    }
    SECTION("a checkpoint missing a chunk its pointer names") {
        {
            raw_db raw(p, false);
            auto pointer = raw.get("default", "smppgw.checkpoint");
            REQUIRE(pointer);
            REQUIRE(pointer->size() == 32);
            std::string more = pointer->substr(0, 16);
            detail::put_be64(more, detail::get_be64(pointer->data() + 16) + 1);
            more.append(pointer->substr(24));
            raw.put("default", "smppgw.checkpoint", more);
        }
        require_open_error(test_options(p), "checkpoint 1 has 1 of its 2 chunks");
    }
}
