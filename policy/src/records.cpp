#include "smppgw/policy/records.hpp"

#include <array>
#include <utility>

namespace smppgw::policy {
namespace {

template <typename Enum, std::size_t N>
std::optional<Enum> parse_by_name(const std::array<std::pair<Enum, std::string_view>, N>& names,
                                  std::string_view s) noexcept {
    for (const auto& [value, name] : names) {
        if (name == s) {
            return value;
        }
    }
    return std::nullopt;
}

template <typename Enum, std::size_t N>
std::string_view name_of(const std::array<std::pair<Enum, std::string_view>, N>& names,
                         Enum e) noexcept {
    for (const auto& [value, name] : names) {
        if (value == e) {
            return name;
        }
    }
    return "unknown";
}

constexpr std::array<std::pair<message_class, std::string_view>, 3> class_names{{
    {message_class::transactional, "transactional"},
    {message_class::promotional, "promotional"},
    {message_class::conversational, "conversational"},
}};

constexpr std::array<std::pair<record_source, std::string_view>, 6> source_names{{
    {record_source::mo, "mo"},
    {record_source::api, "api"},
    {record_source::import, "import"},
    {record_source::web, "web"},
    {record_source::keyword, "keyword"},
    {record_source::paper, "paper"},
}};

constexpr std::array<std::pair<consent_status, std::string_view>, 3> status_names{{
    {consent_status::granted, "granted"},
    {consent_status::pending, "pending"},
    {consent_status::revoked, "revoked"},
}};

constexpr std::array<std::pair<consent_type, std::string_view>, 2> type_names{{
    {consent_type::express, "express"},
    {consent_type::express_written, "express_written"},
}};

}  // namespace

std::string_view to_string(message_class c) noexcept {
    return name_of(class_names, c);
}
std::optional<message_class> parse_message_class(std::string_view s) noexcept {
    return parse_by_name(class_names, s);
}
std::string_view to_string(record_source s) noexcept {
    return name_of(source_names, s);
}
std::optional<record_source> parse_record_source(std::string_view s) noexcept {
    return parse_by_name(source_names, s);
}
std::string_view to_string(consent_status s) noexcept {
    return name_of(status_names, s);
}
std::optional<consent_status> parse_consent_status(std::string_view s) noexcept {
    return parse_by_name(status_names, s);
}
std::string_view to_string(consent_type t) noexcept {
    return name_of(type_names, t);
}
std::optional<consent_type> parse_consent_type(std::string_view s) noexcept {
    return parse_by_name(type_names, s);
}

}  // namespace smppgw::policy
