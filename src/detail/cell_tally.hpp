#pragma once
// Counting events into a large table of cells (per person, per person and kind, ...) from
// several threads without atomics. Each thread's chunk of events notes its cells' numbers in a
// CellTally, in buckets by range; add_cell_tallies then adds them up bucket by bucket. No two
// threads add into one bucket's cells, and a bucket's cells fit a core's L2 while they are
// added: a locked add straight into a table of a hundred megabytes waits for memory every
// time, with nothing overlapping it. Integer sums, so the counts are the same for any thread
// count. Cell numbers are 32 bits: callers check that their tables have fewer than 2^32 cells.
#include <cstdint>
#include <vector>

#include "detail/parallel.hpp"

namespace socialrx::detail {

class CellTally {
 public:
  explicit CellTally(std::size_t cells) : buckets_((cells >> kBucketShift) + 1) {}
  void add(std::uint32_t cell) { buckets_[cell >> kBucketShift].push_back(cell); }
  std::size_t buckets() const { return buckets_.size(); }
  const std::vector<std::uint32_t>& bucket(std::size_t b) const { return buckets_[b]; }

 private:
  static constexpr unsigned kBucketShift = 16;  // 64k cells of 8 bytes: 512 KiB a bucket
  std::vector<std::vector<std::uint32_t>> buckets_;
};

// counts[cell] += the times each tally noted the cell; the tallies made for one table.
template <class Count>
void add_cell_tallies(const std::vector<CellTally>& tallies, Count* counts, unsigned threads) {
  if (tallies.empty()) return;
  for_each_chunk(tallies.front().buckets(), 1, threads,
                 [&](std::size_t b, std::size_t, std::size_t) {
                   for (const CellTally& tally : tallies)
                     for (const std::uint32_t cell : tally.bucket(b)) ++counts[cell];
                 });
}

}  // namespace socialrx::detail
