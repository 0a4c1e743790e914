// Operations: carriers (list, pause, resume), config reload and store checkpoints.

#include <filesystem>
#include <mutex>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "admin/admin_handlers.hpp"
#include "admin/admin_routes.hpp"
#include "admin/admin_support.hpp"
#include "daemon/core.hpp"
#include "infra/log.hpp"

namespace smppgw::gateway {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using namespace admin;

json::object describe(const carrier& car) {
    return json::object{{"name", car.name()},
                        {"up", car.up()},
                        {"paused", car.paused()},
                        {"bound_sessions", car.bound_sessions()},
                        {"queued", car.queued()}};
}

std::shared_ptr<carrier> carrier_of(core& c, const route_match& m) {
    const auto& name = m.params.at("name");
    auto car = c.find_carrier(name);
    if (!car) {
        throw api_error(404, fmt::format("no carrier \"{}\" in the running config", name));
    }
    return car;
}

http_response list_carriers(core& c, const route_match& m) {
    check_query(m, {});
    json::array list;
    for (const auto& car : c.carriers()) {
        list.push_back(describe(*car));
    }
    return json_response(200, json::object{{"carriers", std::move(list)}});
}

http_response pause_carrier(core& c, const route_match& m, bool pause) {
    check_query(m, {});
    auto car = carrier_of(c, m);
    if (pause) {
        car->pause();
    } else {
        car->resume();
    }
    log::info("admin API: carrier {} {}", car->name(), pause ? "paused" : "resumed");
    return json_response(200, json::object{{"carrier", describe(*car)}});
}

http_response reload(core& c, const route_match& m) {
    check_query(m, {});
    // Two API reloads never interleave; SIGHUP reloads go through core::reload as well.
    static std::mutex reload_mutex;
    std::lock_guard lock(reload_mutex);
    std::string error;
    if (!c.reload(error)) {
        throw api_error(422, "config reload refused, the running config stays: " + error);
    }
    return json_response(200, json::object{{"reloaded", true}, {"generation", c.generation()}});
}

std::uint64_t tree_bytes(const fs::path& dir) {
    std::uint64_t total = 0;
    std::error_code ec;
    for (fs::recursive_directory_iterator it{dir, ec}, end; !ec && it != end; it.increment(ec)) {
        if (it->is_regular_file(ec)) {
            total += it->file_size(ec);
        }
    }
    return total;
}

http_response checkpoint(core& c, const admin_request& r, const route_match& m) {
    check_query(m, {});
    const auto body = read_json_object(r, {"dir"}, false);
    const auto dir_text = string_member(body, "dir");
    if (!dir_text || dir_text->empty()) {
        throw api_error(400, "dir: the directory to create the checkpoint in is required");
    }
    const fs::path dir(*dir_text);
    if (!dir.is_absolute()) {
        throw api_error(400, fmt::format("dir: must be an absolute path, got \"{}\"", *dir_text));
    }
    std::error_code ec;
    if (fs::exists(fs::symlink_status(dir, ec))) {
        throw api_error(409, fmt::format("dir: {} exists; a checkpoint goes into a new directory",
                                         dir.string()));
    }
    const auto parent = dir.parent_path();
    if (!fs::is_directory(parent, ec)) {
        throw api_error(
            400, fmt::format("dir: the parent {} is not an existing directory", parent.string()));
    }
    if (const auto err = c.db().backup(dir)) {
        throw api_error(500,
                        fmt::format("checkpoint into {} failed: {}", dir.string(), err.message()));
    }
    log::info("admin API: store checkpoint written to {}", dir.string());
    return json_response(201, json::object{{"dir", dir.string()}, {"bytes", tree_bytes(dir)}});
}

}  // namespace

void register_ops_routes(admin_router& router, core& c) {
    router.add("GET", "/v1/carriers", true,
               [&c](const admin_request&, const route_match& m) { return list_carriers(c, m); });
    router.add(
        "POST", "/v1/carriers/{name}/pause", true,
        [&c](const admin_request&, const route_match& m) { return pause_carrier(c, m, true); });
    router.add(
        "POST", "/v1/carriers/{name}/resume", true,
        [&c](const admin_request&, const route_match& m) { return pause_carrier(c, m, false); });
    router.add("POST", "/v1/reload", true,
               [&c](const admin_request&, const route_match& m) { return reload(c, m); });
    router.add("POST", "/v1/checkpoint", true,
               [&c](const admin_request& r, const route_match& m) { return checkpoint(c, r, m); });
}

}  // namespace smppgw::gateway
