#include "smppgw/cluster/names.hpp"

#include <algorithm>

namespace smppgw::cluster {
namespace {

constexpr char hex_digits[] = "0123456789ABCDEF";

bool plain(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_';
}

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;  // lower case is not ours: one string, one encoding
}

bool valid_name(std::string_view name, std::size_t max) noexcept {
    return !name.empty() && name.size() <= max && std::all_of(name.begin(), name.end(), plain);
}

}  // namespace

std::string encode_token(std::string_view raw) {
    if (raw.empty()) {
        return "=";
    }
    std::string out;
    out.reserve(raw.size());
    for (char c : raw) {
        if (plain(c)) {
            out.push_back(c);
        } else {
            const auto b = static_cast<unsigned char>(c);
            out.push_back('=');
            out.push_back(hex_digits[b >> 4U]);
            out.push_back(hex_digits[b & 0x0FU]);
        }
    }
    return out;
}

std::optional<std::string> decode_token(std::string_view token) {
    if (token == "=") {
        return std::string();
    }
    if (token.empty()) {
        return std::nullopt;
    }
    std::string out;
    out.reserve(token.size());
    for (std::size_t i = 0; i < token.size(); ++i) {
        const char c = token[i];
        if (plain(c)) {
            out.push_back(c);
            continue;
        }
        if (c != '=' || i + 2 >= token.size()) {
            return std::nullopt;
        }
        const int hi = hex_value(token[i + 1]);
        const int lo = hex_value(token[i + 2]);
        if (hi < 0 || lo < 0) {
            return std::nullopt;
        }
        const auto byte = static_cast<char>(hi * 16 + lo);
        if (plain(byte)) {
            return std::nullopt;  // would have been written plain
        }
        out.push_back(byte);
        i += 2;
    }
    return out;
}

std::string make_key(std::initializer_list<std::string_view> parts) {
    std::string key;
    for (const auto part : parts) {
        if (!key.empty()) {
            key.push_back('.');
        }
        key += encode_token(part);
    }
    return key;
}

std::optional<std::vector<std::string>> split_key(std::string_view key) {
    std::vector<std::string> out;
    std::size_t start = 0;
    for (;;) {
        const auto dot = key.find('.', start);
        const auto token = key.substr(start, dot == std::string_view::npos ? dot : dot - start);
        auto decoded = decode_token(token);
        if (!decoded) {
            return std::nullopt;
        }
        out.push_back(std::move(*decoded));
        if (dot == std::string_view::npos) {
            return out;
        }
        start = dot + 1;
    }
}

bool valid_node_name(std::string_view name) noexcept {
    return valid_name(name, 32);
}

bool valid_object_name(std::string_view name) noexcept {
    return valid_name(name, 64);
}

}  // namespace smppgw::cluster
