#pragma once
// Work split into fixed chunks that do not depend on the thread count, so that results
// combined chunk by chunk are identical whatever the number of threads.
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace socialrx::detail {

// 0 means one thread per hardware thread.
inline unsigned resolve_threads(unsigned requested) {
  if (requested != 0) return requested;
  return std::max(1u, std::thread::hardware_concurrency());
}

// Rows per chunk for a pass whose chunks each keep their own tallies (added up afterwards, so
// the chunking may follow the thread count): about four chunks a thread, to even out the
// threads, but no fewer than 2^18 rows (the tallies' own cost) and under 2^30 (so that a
// chunk's counts fit 32 bits).
inline std::size_t tally_chunk_rows(std::size_t rows, unsigned threads) {
  return std::clamp<std::size_t>(rows / (std::size_t{4} * resolve_threads(threads)) + 1,
                                 std::size_t{1} << 18, std::size_t{1} << 30);
}

// Calls body(chunk, begin, end) once for every chunk of [0, n), on up to `threads` threads.
// If chunks throw, the exception of the lowest chunk is rethrown once all threads have
// stopped: chunks are claimed in order, so every chunk below a failing one has run, and the
// error reported is the same for any thread count.
template <class Body>
void for_each_chunk(std::size_t n, std::size_t chunk_size, unsigned threads, Body&& body) {
  const std::size_t chunks = (n + chunk_size - 1) / chunk_size;
  const unsigned workers =
      static_cast<unsigned>(std::min<std::size_t>(resolve_threads(threads), chunks));
  std::atomic<std::size_t> next{0};
  std::exception_ptr failure;
  std::size_t failed_chunk = chunks;
  std::mutex failure_mutex;
  auto work = [&] {
    for (std::size_t chunk; (chunk = next.fetch_add(1)) < chunks;) {
      try {
        body(chunk, chunk * chunk_size, std::min(n, (chunk + 1) * chunk_size));
      } catch (...) {
        std::lock_guard lock(failure_mutex);
        if (chunk < failed_chunk) {
          failed_chunk = chunk;
          failure = std::current_exception();
        }
        next = chunks;
      }
    }
  };
  if (workers <= 1) {
    work();
  } else {
    std::vector<std::jthread> pool;
    for (unsigned t = 1; t < workers; ++t) pool.emplace_back(work);
    work();
  }
  if (failure) std::rethrow_exception(failure);
}

}  // namespace socialrx::detail
