#include "socialrx/core/large_table.hpp"

#include <cstdlib>
#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace socialrx {

namespace {
constexpr std::size_t kHugePage = std::size_t{2} << 20;
}  // namespace

void* allocate_large_table(std::size_t bytes) {
  if (bytes < kHugePage) return ::operator new(bytes);
  void* memory = std::aligned_alloc(kHugePage, (bytes + kHugePage - 1) / kHugePage * kHugePage);
  if (memory == nullptr) throw std::bad_alloc();
#if defined(MADV_HUGEPAGE)
  madvise(memory, bytes, MADV_HUGEPAGE);  // advice only: without it the table still works
#endif
  return memory;
}

void free_large_table(void* memory, std::size_t bytes) noexcept {
  if (bytes < kHugePage) return ::operator delete(memory);
  std::free(memory);
}

}  // namespace socialrx
