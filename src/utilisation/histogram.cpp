// The result read from the histogram every event was counted into.
#include <numeric>

#include "utilisation/counting.hpp"

namespace socialrx::detail::utilisation {

// The windows' counts (unless counted per person as the events passed), their totals and where
// every event of a connected client went, from the histogram.
void read_histogram(const Layout& layout, const std::vector<std::int64_t>& histogram,
                    UtilisationResult& result) {
  const auto slot_total = [&](std::size_t slot) {
    return std::accumulate(histogram.begin() + layout.cell(slot, 0, 0, 0),
                           histogram.begin() + layout.cell(slot + 1, 0, 0, 0), std::int64_t{0});
  };
  result.events_of_other_people = slot_total(kComparisonSlot);
  result.events_of_unconnected = slot_total(kUnconnectedSlot);
  result.events_outside_data = slot_total(kOutsideDataSlot);
  const std::size_t levels = layout.windows + 1;
  for (std::size_t slot = kFirstClientSlot; slot < layout.slots; ++slot) {
    const std::size_t group = (slot - kFirstClientSlot) / levels;
    const std::size_t level = (slot - kFirstClientSlot) % levels;
    for (std::size_t kind = 0; kind < kEventKinds; ++kind)
      for (std::size_t side = 0; side < 2; ++side)
        for (std::size_t band = 0; band < layout.bands; ++band) {
          const std::int64_t n = histogram[layout.cell(slot, kind, side, band)];
          for (std::size_t w = 0; n != 0 && w < layout.windows; ++w) {
            const std::size_t rank = layout.rank[w];
            if (rank >= level) {
              result.events[w].of_excluded_clients += n;
            } else if (band == 0) {
              result.events[w].on_index_day += n;
            } else if (band - 1 <= rank) {
              (side ? result.events[w].post : result.events[w].pre) += n;
              if (!layout.per_person) result.counts[result.cell(w, group, kind, side)] += n;
            }
          }
        }
  }
}

// outside_window: what is left of the in-range events of connected clients.
void complete_window_events(UtilisationResult& result) {
  const std::int64_t connected_in_range = result.events_total - result.events_outside_data -
                                          result.events_of_other_people -
                                          result.events_of_unconnected;
  for (WindowEvents& seen : result.events)
    seen.outside_window =
        connected_in_range - seen.pre - seen.post - seen.on_index_day - seen.of_excluded_clients;
}

}  // namespace socialrx::detail::utilisation
