#pragma once
// Storage for large tables read or written at random (id -> person lookups, per-person
// counts): the library allocates those of 2 MiB or more on transparent huge pages where Linux
// offers them, so that an access into a table of many megabytes does not also miss the TLB
// (with 4 KiB pages a 16 MB table spans 4,096 pages, more than the TLB holds), and filling it
// takes one page fault per 2 MiB, not per 4 KiB.
// Elements are default-initialised: resize(n) leaves numbers unset for the caller to fill
// (in parallel, or with values it has anyway); assign(n, 0) zeroes them.
#include <cstddef>
#include <new>
#include <utility>
#include <vector>

namespace socialrx {

// The allocator's two halves, defined in the library: memory aligned for any fundamental
// type; free_large_table takes the size allocate_large_table was given.
void* allocate_large_table(std::size_t bytes);
void free_large_table(void* memory, std::size_t bytes) noexcept;

template <class T>
struct LargeTableAllocator {
  static_assert(alignof(T) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__);
  using value_type = T;

  LargeTableAllocator() = default;
  template <class U>
  LargeTableAllocator(const LargeTableAllocator<U>&) noexcept {}

  T* allocate(std::size_t n) { return static_cast<T*>(allocate_large_table(n * sizeof(T))); }
  template <class U>
  void construct(U* at) noexcept {
    ::new (static_cast<void*>(at)) U;
  }
  template <class U, class... Args>
  void construct(U* at, Args&&... args) {
    ::new (static_cast<void*>(at)) U(std::forward<Args>(args)...);
  }
  void deallocate(T* memory, std::size_t n) noexcept { free_large_table(memory, n * sizeof(T)); }
  friend bool operator==(const LargeTableAllocator&, const LargeTableAllocator&) { return true; }
};

template <class T>
using LargeTable = std::vector<T, LargeTableAllocator<T>>;

}  // namespace socialrx
