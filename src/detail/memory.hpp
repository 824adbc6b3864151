#pragma once
// A guard for the engines' large tables: a job whose tables will not fit in the memory left
// is refused before it allocates (NotEnoughMemory, a MemoryError in Python), rather than
// being killed by the kernel halfway, or thrashing the machine.
//
// The memory available is the least of: what the cgroup (v2) allows less what it uses,
// MemAvailable in /proc/meminfo, and SOCIALRX_MEMORY_LIMIT_BYTES when that is set (an
// operations and testing knob: a smaller budget than the machine's).
#include <cstdint>
#include <optional>

namespace socialrx::detail {

// Bytes available to this process now; nullopt when nothing says (no check is made then).
std::optional<std::uint64_t> available_memory();

// NotEnoughMemory naming `job` when `bytes` (an estimate of its large tables) exceed what is
// available.
void require_memory(const char* job, std::uint64_t bytes);

}  // namespace socialrx::detail
