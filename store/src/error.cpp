#include "smppgw/store/error.hpp"

namespace smppgw::store {
namespace {

class category final : public std::error_category {
public:
    const char* name() const noexcept override { return "smppgw.store"; }

    std::string message(int ev) const override {
        switch (static_cast<store_errc>(ev)) {
            case store_errc::ok:
                return "success";
            case store_errc::io_error:
                return "store I/O error";
            case store_errc::no_space:
                return "no space left for the store";
            case store_errc::corruption:
                return "store data is corrupt";
            case store_errc::invalid_argument:
                return "invalid argument for the store";
            case store_errc::busy:
                return "store busy, retry";
            case store_errc::closed:
                return "store is closed";
            case store_errc::queue_full:
                return "store commit queue is full";
            case store_errc::would_deadlock:
                return "blocking store call from the committer thread";
            case store_errc::not_supported:
                return "operation not supported by the store";
            case store_errc::internal:
                return "internal store error";
        }
        return "unknown store error";
    }

    std::error_condition default_error_condition(int ev) const noexcept override {
        switch (static_cast<store_errc>(ev)) {
            case store_errc::no_space:
                return std::errc::no_space_on_device;
            case store_errc::io_error:
                return std::errc::io_error;
            case store_errc::invalid_argument:
                return std::errc::invalid_argument;
            case store_errc::busy:
                return std::errc::resource_unavailable_try_again;
            default:
                return {ev, *this};
        }
    }
};

}  // namespace

const std::error_category& store_category() noexcept {
    static const category instance;
    return instance;
}

}  // namespace smppgw::store
