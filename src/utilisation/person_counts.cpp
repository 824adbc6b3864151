// Counting per person: each client's counts by band turned into its window counts.
#include <numeric>

#include "detail/parallel.hpp"
#include "utilisation/counting.hpp"

namespace socialrx::detail::utilisation {

// Per person, each client's counts by band to its window counts, in place: a window holds the
// bands up to its own (the shortest window's band first), where the data cover it.
void spread_person_counts(const UtilisationRequest& request, const Layout& layout,
                          const People& people, UtilisationResult& result) {
  const std::size_t windows = layout.windows;
  for_each_chunk(people.size(), 1 << 14, request.threads,
                 [&](std::size_t, std::size_t begin, std::size_t end) {
                   for (std::size_t row = begin; row < end; ++row) {
                     const std::uint32_t slot = people[row].slot & kSlotMask;
                     const std::size_t level =
                         slot >= kFirstClientSlot ? slot - kFirstClientSlot : 0;
                     for (std::size_t cell = row * kEventKinds * 2;
                          cell < (row + 1) * kEventKinds * 2; ++cell) {
                       std::int64_t* counts = result.counts.data() + cell * windows;
                       std::int64_t within[kMaxWindows];  // [rank]: within the rank-th shortest
                       std::partial_sum(counts, counts + windows, within);
                       for (std::size_t w = 0; w < windows; ++w)
                         counts[w] = layout.rank[w] < level ? within[layout.rank[w]] : 0;
                     }
                   }
                 });
}

}  // namespace socialrx::detail::utilisation
