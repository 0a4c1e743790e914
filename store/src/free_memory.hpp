#pragma once
// Hands the heap's free pages back to the operating system.
//
// Recovery decodes the checkpoint and the journal through temporary buffers several times the
// size of what stays live. The allocator keeps freed pages for reuse (jemalloc for ten seconds
// by default, glibc until the top of the heap is free), so the daemon would report hundreds of
// MiB of RSS it is not using just when an operator looks at it after a restart.
//
// Thread rule: any thread; meant for the end of recovery, before traffic.

namespace smppgw::store::detail {

// Purges every jemalloc arena when the process runs on jemalloc (found at run time: the store
// does not link it, the daemon does), else trims glibc's heap.
void give_back_free_memory() noexcept;

}  // namespace smppgw::store::detail
