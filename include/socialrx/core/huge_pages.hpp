#pragma once
// An allocator for large tables read or written at random (id -> person lookups, per-person
// counts): on Linux it asks for transparent huge pages, so that an access into a table of many
// megabytes does not also miss the TLB (with 4 KiB pages a 16 MB table spans 4,096 pages, more
// than the TLB holds), and filling it takes one page fault per 2 MiB, not per 4 KiB.
// Elements are default-initialised: resize(n) leaves numbers unset for the caller to fill
// (in parallel, or with values it has anyway); assign(n, 0) zeroes them.
#include <cstddef>
#include <cstdlib>
#include <new>
#include <utility>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace socialrx {

template <class T>
struct HugePageAllocator {
  using value_type = T;
  static constexpr std::size_t kHugePage = std::size_t{2} << 20;

  HugePageAllocator() = default;
  template <class U>
  HugePageAllocator(const HugePageAllocator<U>&) noexcept {}

  T* allocate(std::size_t n) {
    const std::size_t bytes = n * sizeof(T);
    if (bytes < kHugePage) return std::allocator<T>().allocate(n);
    void* memory = std::aligned_alloc(kHugePage, (bytes + kHugePage - 1) / kHugePage * kHugePage);
    if (memory == nullptr) throw std::bad_alloc();
#if defined(MADV_HUGEPAGE)
    madvise(memory, bytes, MADV_HUGEPAGE);  // advice only: without it the table still works
#endif
    return static_cast<T*>(memory);
  }
  template <class U>
  void construct(U* at) noexcept {
    ::new (static_cast<void*>(at)) U;
  }
  template <class U, class... Args>
  void construct(U* at, Args&&... args) {
    ::new (static_cast<void*>(at)) U(std::forward<Args>(args)...);
  }
  void deallocate(T* memory, std::size_t n) noexcept {
    if (n * sizeof(T) < kHugePage) return std::allocator<T>().deallocate(memory, n);
    std::free(memory);
  }
  friend bool operator==(const HugePageAllocator&, const HugePageAllocator&) { return true; }
};

}  // namespace socialrx
