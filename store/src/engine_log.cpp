#include "engine_log.hpp"

#include <array>
#include <cstdarg>
#include <cstdio>
#include <string>
#include <string_view>

namespace smppgw::store::detail {
namespace {

engine_log_level level_of(rocksdb::InfoLogLevel l) {
    switch (l) {
        case rocksdb::InfoLogLevel::DEBUG_LEVEL:
            return engine_log_level::debug;
        case rocksdb::InfoLogLevel::WARN_LEVEL:
            return engine_log_level::warn;
        case rocksdb::InfoLogLevel::ERROR_LEVEL:
        case rocksdb::InfoLogLevel::FATAL_LEVEL:
            return engine_log_level::error;
        default:  // INFO, HEADER (the options dump at open)
            return engine_log_level::info;
    }
}

rocksdb::InfoLogLevel rocksdb_level(engine_log_level l) {
    switch (l) {
        case engine_log_level::debug:
            return rocksdb::InfoLogLevel::DEBUG_LEVEL;
        case engine_log_level::info:
            return rocksdb::InfoLogLevel::INFO_LEVEL;
        case engine_log_level::warn:
            return rocksdb::InfoLogLevel::WARN_LEVEL;
        case engine_log_level::error:
            break;
    }
    return rocksdb::InfoLogLevel::ERROR_LEVEL;
}

class engine_logger final : public rocksdb::Logger {
public:
    engine_logger(std::function<void(engine_log_level, std::string_view)> sink,
                  engine_log_level min)
        : rocksdb::Logger(rocksdb_level(min)), sink_(std::move(sink)) {}

    // Lines logged without a level count as info, as in RocksDB's own loggers.
    void Logv(const char* format, va_list ap) override {
        Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap);
    }

    void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
        if (level < GetInfoLogLevel() || !sink_) {
            return;
        }
        // Most lines fit on the stack; the periodic statistics dump does not.
        std::array<char, 512> small{};
        va_list again;
        va_copy(again, ap);
        const int n = std::vsnprintf(small.data(), small.size(), format, ap);
        if (n < 0) {
            va_end(again);
            return;
        }
        const auto length = static_cast<std::size_t>(n);
        if (length < small.size()) {
            va_end(again);
            sink_(level_of(level), trimmed({small.data(), length}));
            return;
        }
        std::string large(length + 1, '\0');
        std::vsnprintf(large.data(), large.size(), format, again);
        va_end(again);
        large.resize(length);
        sink_(level_of(level), trimmed(large));
    }

private:
    static std::string_view trimmed(std::string_view line) {
        while (!line.empty() && (line.back() == '\n' || line.back() == ' ')) {
            line.remove_suffix(1);
        }
        return line;
    }

    std::function<void(engine_log_level, std::string_view)> sink_;
};

}  // namespace

std::shared_ptr<rocksdb::Logger> make_engine_logger(const store_options& opts) {
    return std::make_shared<engine_logger>(opts.on_engine_log, opts.engine_log_min);
}

}  // namespace smppgw::store::detail
