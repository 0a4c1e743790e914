#include "engine_log.hpp"

#include <array>
#include <cstdarg>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>

#include <fmt/format.h>

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
            forward(level_of(level), trimmed({small.data(), length}));
            return;
        }
        std::string large(length + 1, '\0');
        std::vsnprintf(large.data(), large.size(), format, again);
        va_end(again);
        large.resize(length);
        forward(level_of(level), trimmed(large));
    }

private:
    // Under mu_, so that the repeat count and the order of lines hold across RocksDB's threads.
    void forward(engine_log_level level, std::string_view line) {
        std::lock_guard lock(mu_);
        const auto now = std::chrono::steady_clock::now();
        if (line == last_ && now - last_passed_ < engine_log_repeat_window) {
            ++repeats_;
            return;
        }
        if (repeats_ > 0) {
            sink_(last_level_, fmt::format("(the previous RocksDB line repeated {} more time{})",
                                           repeats_, repeats_ == 1 ? "" : "s"));
            repeats_ = 0;
        }
        last_.assign(line);
        last_level_ = level;
        last_passed_ = now;
        sink_(level, line);
    }

    static std::string_view trimmed(std::string_view line) {
        while (!line.empty() && (line.back() == '\n' || line.back() == ' ')) {
            line.remove_suffix(1);
        }
        return line;
    }

    std::function<void(engine_log_level, std::string_view)> sink_;
    std::mutex mu_;
    std::string last_;  // the last line passed on
    engine_log_level last_level_ = engine_log_level::info;
    std::chrono::steady_clock::time_point last_passed_{};
    std::size_t repeats_ = 0;  // of last_, since it was passed on
};

}  // namespace

std::shared_ptr<rocksdb::Logger> make_engine_logger(const store_options& opts) {
    return std::make_shared<engine_logger>(opts.on_engine_log, opts.engine_log_min);
}

}  // namespace smppgw::store::detail
