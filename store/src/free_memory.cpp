#include "free_memory.hpp"

#include <dlfcn.h>
#include <malloc.h>

#include <cstddef>
#include <string>

namespace smppgw::store::detail {

void give_back_free_memory() noexcept {
    using mallctl_fn = int (*)(const char*, void*, std::size_t*, void*, std::size_t);
    if (auto* mallctl = reinterpret_cast<mallctl_fn>(::dlsym(RTLD_DEFAULT, "mallctl"))) {
        // MALLCTL_ARENAS_ALL (4096) names every arena at once.
        (void)mallctl("arena.4096.purge", nullptr, nullptr, nullptr, 0);
        return;
    }
    (void)::malloc_trim(0);
}

}  // namespace smppgw::store::detail
