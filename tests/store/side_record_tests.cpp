// Side records (batch::put_side_record): a component above the store (the cluster) keeps its own
// small state in the store's commits, atomically with the records it describes; and an import
// lets such a caller stage its writes into each chunk's batch and hear each chunk's outcome.

#include <catch2/catch.hpp>

#include <sstream>
#include <string>
#include <vector>

#include "smppgw/store/batch.hpp"
#include "smppgw/store/import_export.hpp"
#include "smppgw/store/store.hpp"
#include "test_util.hpp"

using namespace smppgw::store;
using namespace smppgw::store::test;
namespace pol = smppgw::policy;

TEST_CASE("side records: put, read, list by owner, erase, survive reopen", "[store][side]") {
    temp_dir dir;
    {
        auto st = store::open(test_options(dir.path()));
        batch b;
        b.put_side_record("cluster", "pending/2", "two");
        b.put_side_record("cluster", "pending/1", "one");
        b.put_side_record("cluster", "cursor/x", "7");
        b.put_side_record("other", "pending/1", "not ours");
        REQUIRE_FALSE(st->commit_sync(std::move(b)));

        auto got = st->get_side_record("cluster", "cursor/x");
        REQUIRE(got);
        REQUIRE(got->has_value());
        CHECK(**got == "7");
        auto none = st->get_side_record("cluster", "cursor/y");
        REQUIRE(none);
        CHECK_FALSE(none->has_value());

        batch e;
        e.erase_side_record("cluster", "pending/2");
        REQUIRE_FALSE(st->commit_sync(std::move(e)));
    }
    auto st = store::open(test_options(dir.path()));
    std::vector<std::string> seen;
    REQUIRE_FALSE(st->for_each_side_record("cluster", [&](std::string_view k, std::string_view v) {
        seen.push_back(std::string(k) + "=" + std::string(v));
        return true;
    }));
    CHECK(seen == std::vector<std::string>{"cursor/x=7", "pending/1=one"});
}

TEST_CASE("side records refuse empty or NUL-bearing names", "[store][side]") {
    batch b;
    b.put_side_record("", "k", "v");
    CHECK_FALSE(b.empty());  // an error is recorded: the whole batch is refused
    temp_dir dir;
    auto st = store::open(test_options(dir.path()));
    CHECK(st->commit_sync(std::move(b)));
}

TEST_CASE("an import stages a caller's writes into each chunk and reports each commit",
          "[store][side][import]") {
    temp_dir dir;
    auto st = store::open(test_options(dir.path()));
    std::string jsonl;
    for (int i = 0; i < 5; ++i) {
        jsonl += R"({"brand":"acme","msisdn":"1212555100)" + std::to_string(i) +
                 R"(","when":"2024-05-01T12:00:00Z","source":"import"})" + "\n";
    }
    import_options o;
    o.format = file_format::jsonl;
    o.chunk_rows = 2;
    std::vector<std::size_t> staged;
    std::size_t committed = 0;
    o.stage_optouts = [&](batch& b, std::span<const pol::optout_record> records) {
        staged.push_back(records.size());
        b.put_side_record("cluster", "chunk/" + std::to_string(staged.size()),
                          std::string(records.front().msisdn));
    };
    o.chunk_committed = [&](std::error_code ec) {
        CHECK_FALSE(ec);
        ++committed;
    };
    std::istringstream in(jsonl);
    const auto rep = import_optouts(*st, in, o);
    CHECK(rep.imported == 5);
    CHECK(staged == std::vector<std::size_t>{2, 2, 1});
    CHECK(committed == 3);
    auto first = st->get_side_record("cluster", "chunk/1");
    REQUIRE(first);
    REQUIRE(first->has_value());
    CHECK(**first == "12125551000");
    CHECK(st->get_side_record("cluster", "chunk/3")->has_value());
}
