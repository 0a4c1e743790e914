#include "config/toml_reader.hpp"

#include <charconv>
#include <limits>

#include <fmt/format.h>

#include "smppgw/gateway/config_keys.hpp"

namespace smppgw::gateway::detail {

std::optional<std::chrono::milliseconds> parse_duration(std::string_view s) {
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc{} || value < 0) {
        return std::nullopt;
    }
    const std::string_view unit(end, static_cast<std::size_t>(s.data() + s.size() - end));
    std::int64_t factor = 0;
    if (unit == "ms") {
        factor = 1;
    } else if (unit == "s" || unit.empty()) {
        factor = 1000;
    } else if (unit == "m") {
        factor = 60'000;
    } else if (unit == "h") {
        factor = 3'600'000;
    } else if (unit == "d") {
        factor = 86'400'000;
    } else if (unit == "y") {
        factor = 365LL * 86'400'000;
    } else {
        return std::nullopt;
    }
    if (value > std::numeric_limits<std::int64_t>::max() / factor) {
        return std::nullopt;
    }
    return std::chrono::milliseconds(value * factor);
}

const toml::node* toml_reader::node(std::string_view key) {
    seen_.emplace(key);
    const auto* n = table_.get(key);
    if (n != nullptr && lines_ != nullptr) {
        (*lines_)[key_path(key)] = n->source().begin.line;
    }
    return n;
}

std::string toml_reader::key_path(std::string_view key) const {
    return path_.empty() ? std::string(key) : fmt::format("{}.{}", path_, key);
}

std::size_t toml_reader::line_of(std::string_view key) const {
    if (const auto* n = table_.get(key)) {
        return n->source().begin.line;
    }
    return line();
}

void toml_reader::fail(std::string_view key, std::string message) {
    out_.push_back({key_path(key), line_of(key), std::move(message)});
}

bool toml_reader::require(std::string_view key) {
    if (!has(key)) {
        seen_.emplace(key);
        out_.push_back({key_path(key), line(), "required key is missing"});
        return false;
    }
    return true;
}

void toml_reader::get(std::string_view key, std::string& out) {
    const auto* n = node(key);
    if (n == nullptr) {
        return;
    }
    if (const auto* v = n->as_string()) {
        out = v->get();
    } else {
        fail(key, "expected a string");
    }
}

void toml_reader::get(std::string_view key, bool& out) {
    const auto* n = node(key);
    if (n == nullptr) {
        return;
    }
    if (const auto* v = n->as_boolean()) {
        out = v->get();
    } else {
        fail(key, "expected true or false");
    }
}

void toml_reader::get(std::string_view key, double& out) {
    const auto* n = node(key);
    if (n == nullptr) {
        return;
    }
    if (const auto* f = n->as_floating_point()) {
        out = f->get();
    } else if (const auto* i = n->as_integer()) {
        out = static_cast<double>(i->get());
    } else {
        fail(key, "expected a number");
        return;
    }
    if (out < 0) {
        fail(key, "must not be negative");
    }
}

namespace {

template <typename T>
bool read_integer(toml_reader& r, std::string_view key, const toml::node* n, T& out) {
    if (n == nullptr) {
        return false;
    }
    const auto* i = n->as_integer();
    if (i == nullptr) {
        r.fail(key, "expected an integer");
        return false;
    }
    const std::int64_t v = i->get();
    if (v < static_cast<std::int64_t>(std::numeric_limits<T>::min()) ||
        static_cast<std::uint64_t>(v) > static_cast<std::uint64_t>(std::numeric_limits<T>::max()) ||
        (std::numeric_limits<T>::is_signed == false && v < 0)) {
        r.fail(key, fmt::format("out of range {}..{}", std::numeric_limits<T>::min(),
                                std::numeric_limits<T>::max()));
        return false;
    }
    out = static_cast<T>(v);
    return true;
}

}  // namespace

void toml_reader::get(std::string_view key, std::uint16_t& out) {
    read_integer(*this, key, node(key), out);
}
void toml_reader::get(std::string_view key, std::uint32_t& out) {
    read_integer(*this, key, node(key), out);
}
void toml_reader::get(std::string_view key, std::size_t& out) {
    read_integer(*this, key, node(key), out);
}
void toml_reader::get(std::string_view key, int& out) {
    read_integer(*this, key, node(key), out);
}

void toml_reader::get(std::string_view key, std::chrono::milliseconds& out) {
    const auto* n = node(key);
    if (n == nullptr) {
        return;
    }
    if (const auto* i = n->as_integer()) {
        if (i->get() < 0) {
            fail(key, "must not be negative");
            return;
        }
        out = std::chrono::seconds(i->get());
        return;
    }
    const auto* s = n->as_string();
    const auto d = s != nullptr ? parse_duration(s->get()) : std::nullopt;
    if (!d) {
        fail(key, "expected a duration such as \"250ms\", \"30s\", \"5m\", \"12h\", \"7d\"");
        return;
    }
    out = *d;
}

void toml_reader::get(std::string_view key, std::chrono::hours& out) {
    if (!has(key)) {
        seen_.emplace(key);
        return;
    }
    std::chrono::milliseconds ms{0};
    get(key, ms);
    if (ms.count() % 3'600'000 != 0) {
        fail(key, "must be a whole number of hours");
        return;
    }
    out = std::chrono::duration_cast<std::chrono::hours>(ms);
}

void toml_reader::get(std::string_view key, std::vector<std::string>& out) {
    const auto* n = node(key);
    if (n == nullptr) {
        return;
    }
    const auto* a = n->as_array();
    if (a == nullptr) {
        fail(key, "expected an array of strings");
        return;
    }
    std::vector<std::string> values;
    for (const auto& item : *a) {
        const auto* s = item.as_string();
        if (s == nullptr) {
            fail(key, "expected an array of strings");
            return;
        }
        values.push_back(s->get());
    }
    out = std::move(values);
}

void toml_reader::get(std::string_view key, std::vector<std::size_t>& out) {
    const auto* n = node(key);
    if (n == nullptr) {
        return;
    }
    const auto* a = n->as_array();
    std::vector<std::size_t> values;
    for (std::size_t i = 0; a != nullptr && i < a->size(); ++i) {
        const auto* v = a->get(i)->as_integer();
        if (v == nullptr || v->get() < 0) {
            a = nullptr;
            break;
        }
        values.push_back(static_cast<std::size_t>(v->get()));
    }
    if (a == nullptr) {
        fail(key, "expected an array of non-negative integers");
        return;
    }
    out = std::move(values);
}

void toml_reader::get_time_of_day(std::string_view key, std::uint16_t& out) {
    std::string s;
    if (!has(key)) {
        seen_.emplace(key);
        return;
    }
    get(key, s);
    unsigned h = 0;
    unsigned m = 0;
    if (s.size() != 5 || s[2] != ':' ||
        std::from_chars(s.data(), s.data() + 2, h).ec != std::errc{} ||
        std::from_chars(s.data() + 3, s.data() + 5, m).ec != std::errc{} || m > 59 ||
        h * 60 + m > 1440) {
        fail(key, "expected a time of day \"HH:MM\" (00:00 .. 24:00)");
        return;
    }
    out = static_cast<std::uint16_t>(h * 60 + m);
}

void toml_reader::table(std::string_view key, const std::function<void(toml_reader&)>& fn) {
    const auto* n = node(key);
    if (n == nullptr) {
        return;
    }
    const auto* t = n->as_table();
    if (t == nullptr) {
        fail(key, "expected a table");
        return;
    }
    toml_reader sub(*t, key_path(key), out_, lines_);
    fn(sub);
    sub.finish();
}

void toml_reader::tables(std::string_view key,
                         const std::function<void(toml_reader&, std::size_t)>& fn) {
    const auto* n = node(key);
    if (n == nullptr) {
        return;
    }
    const auto* a = n->as_array();
    if (a == nullptr || !a->is_array_of_tables()) {
        fail(key, fmt::format("expected an array of tables ([[{}]])", key));
        return;
    }
    for (std::size_t i = 0; i < a->size(); ++i) {
        toml_reader sub(*a->get(i)->as_table(), fmt::format("{}[{}]", key_path(key), i), out_,
                        lines_);
        fn(sub, i);
        sub.finish();
    }
}

void toml_reader::strings(std::string_view key,
                          const std::function<void(const std::string&, std::size_t)>& fn) {
    std::vector<std::string> values;
    get(key, values);
    for (std::size_t i = 0; i < values.size(); ++i) {
        fn(values[i], i);
    }
}

void toml_reader::finish() {
    for (const auto& [k, v] : table_) {
        const auto path = key_path(k.str());
        if (seen_.find(k.str()) == seen_.end()) {
            out_.push_back({path, k.source().begin.line, "unknown key"});
        } else if (find_config_key(config_key_pattern(path)) == nullptr) {
            // A getter reads it but the key table does not list it: undocumented, so refused.
            out_.push_back({path, k.source().begin.line,
                            "unknown key (read by the parser but missing from the key table, "
                            "gateway/src/config/keys.cpp)"});
        }
    }
}

}  // namespace smppgw::gateway::detail
