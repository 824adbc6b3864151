// The event loop: every event into its histogram cell, a block at a time, through a lookup.
#include "detail/cpu.hpp"
#include "detail/parallel.hpp"
#include "utilisation/counting.hpp"
#include "utilisation/lookups.hpp"
#include "utilisation/vector_loop.hpp"

namespace socialrx::detail::utilisation {

namespace {

// The event loop, over any id -> Person lookup, a block at a time. First where each event
// goes: its histogram cell, by arithmetic and table loads only (no branches: where an event
// goes is data-dependent and unpredictable), bad rows flagged as they pass and reported per
// block. Then the increments. Meanwhile the next block's records are fetched towards the core.
// kWindows > 0 fixes the window count at compile time; 0 takes it from the layout.
// kPerPerson: an event in a window the client counts in is also noted in `out.person` as the
// client's [kind][side][band - 1] cell of the per-person counts (by band for now). The client's
// row is its record's (full records) or its id's place in the dense table (packed records,
// whose ids run in row order).
template <std::size_t kWindows, bool kPerPerson, class Lookup>
void tally_events(const UtilisationRequest& request, const Layout& layout, std::size_t begin,
                  std::size_t end, const Lookup& lookup, ChunkTally& out) {
  constexpr std::size_t kBlock = 256;
  const EventsView& events = request.events;
  const std::int64_t* ids = events.person_id.data();
  const Days* dates = events.date.data();
  const std::uint8_t* kinds = events.kind.data();
  const Days start = request.data_start, stop = request.data_end;
  const std::size_t windows = kWindows ? kWindows : layout.windows;
  const auto kind_cells = static_cast<std::uint32_t>(2 * (windows + 2));
  const std::uint8_t* place = layout.place.data();
  const std::int64_t reach = layout.reach;
  const std::size_t others_first = layout.cell(kComparisonSlot, 0, 0, 0);
  const std::size_t others_cells = layout.cell(kComparisonSlot + 1, 0, 0, 0) - others_first;
  const CellArithmetic arithmetic{
      start, stop, static_cast<std::int32_t>(reach), place, kind_cells, layout.sorted, windows};
  // The packed records' tables (0 for other lookups), and whether the vector loop reads them.
  [[maybe_unused]] const auto tables = [&] {
    if constexpr (requires { lookup.tables(); })
      return lookup.tables();
    else
      return 0;
  }();
  [[maybe_unused]] bool vectorised = false;
#if defined(__x86_64__)
  if constexpr (requires { lookup.tables(); }) vectorised = has_avx512();
#endif
  std::uint32_t cells[kBlock];
  std::uint32_t rows[kPerPerson ? kBlock : 1];
  for (std::size_t first = begin; first < end; first += kBlock) {
    const std::size_t size = std::min(kBlock, end - first);
    const std::size_t next = std::min(kBlock, end - std::min(end, first + kBlock));
    for (std::size_t i = 0; i < next; ++i) lookup.prefetch(ids[first + kBlock + i]);
    std::uint32_t bad = 0;
    std::size_t done = 0;
#if defined(__x86_64__)
    if constexpr (requires { lookup.tables(); })
      if (vectorised) done = cells_avx512(tables, arithmetic, events, first, size, cells, bad);
#endif
    for (std::size_t i = done; i < size; ++i) {
      const std::size_t row = first + i;
      const Person person = lookup(ids[row]);
      const Days date = dates[row];
      const std::uint32_t kind = kinds[row];
      bad |= (person.slot == kUnknownSlot) | (date == kNoDate) | (kind >= kEventKinds);
      const std::uint32_t own = kPerPerson ? person.slot & kSlotMask : person.slot;
      cells[i] = arithmetic.cell(own, person.index, date, kind);
      if constexpr (kPerPerson) rows[i] = person.slot >> kRowShift;
    }
    if (bad) [[unlikely]]
      report_bad_row(events, first, size, lookup, [&](std::size_t row) { return dates[row]; });
    for (std::size_t i = 0; i < size; ++i) ++out.histogram[cells[i]];
    if (request.collect_other_rows)
      for (std::size_t i = 0; i < size; ++i)
        if (cells[i] - others_first < others_cells) out.other_rows.push_back(first + i);
    if constexpr (kPerPerson) {
      const std::size_t per_row = kEventKinds * 2 * windows;
      for (std::size_t i = 0; i < size; ++i) {
        const std::int32_t part = layout.person_part[cells[i]];
        if (part < 0) continue;
        std::size_t row = rows[i];
        if constexpr (requires { lookup.tables(); })
          row = static_cast<std::size_t>(ids[first + i] - tables.clients_min);
        out.person.add(static_cast<std::uint32_t>(row * per_row + static_cast<std::size_t>(part)));
      }
    }
  }
}

}  // namespace

template <class Lookup>
std::vector<std::int64_t> tally_all(const UtilisationRequest& request, const Layout& layout,
                                    const Lookup& lookup, const RegroupPlan& plan,
                                    std::span<std::int64_t> person_counts,
                                    std::vector<std::int64_t>& other_rows) {
  const std::size_t rows = request.events.rows();
  const unsigned threads = resolve_threads(request.threads);
  const std::size_t chunk = tally_chunk_rows(rows, threads);
  std::vector<ChunkTally> chunks((rows + chunk - 1) / chunk,
                                 ChunkTally(layout, person_counts.size()));
  for_each_chunk(rows, chunk, threads, [&](std::size_t c, std::size_t begin, std::size_t end) {
#if defined(__x86_64__)
    if constexpr (requires { lookup.tables(); })
      if (plan.groups) return tally_regrouped(request, layout, begin, end, lookup, plan, chunks[c]);
#endif
    if (request.per_person && layout.windows == 1) {
      tally_events<1, true>(request, layout, begin, end, lookup, chunks[c]);
    } else if (request.per_person) {
      tally_events<0, true>(request, layout, begin, end, lookup, chunks[c]);
    } else if (layout.windows == 1) {
      tally_events<1, false>(request, layout, begin, end, lookup, chunks[c]);
    } else if (layout.windows == 2) {
      tally_events<2, false>(request, layout, begin, end, lookup, chunks[c]);
    } else {
      tally_events<0, false>(request, layout, begin, end, lookup, chunks[c]);
    }
  });
  std::vector<std::int64_t> total(layout.histogram_cells());
  std::vector<CellTally> person;
  for (ChunkTally& tally : chunks) {
    for (std::size_t i = 0; i < total.size(); ++i) total[i] += tally.histogram[i];
    other_rows.insert(other_rows.end(), tally.other_rows.begin(), tally.other_rows.end());
    if (request.per_person) person.push_back(std::move(tally.person));
  }
  add_cell_tallies(person, person_counts.data(), threads);
  return total;
}

template std::vector<std::int64_t> tally_all(const UtilisationRequest&, const Layout&,
                                             const DensePeople<FullRecord>&, const RegroupPlan&,
                                             std::span<std::int64_t>, std::vector<std::int64_t>&);
template std::vector<std::int64_t> tally_all(const UtilisationRequest&, const Layout&,
                                             const DensePeople<PackedRecord<std::uint16_t>>&,
                                             const RegroupPlan&, std::span<std::int64_t>,
                                             std::vector<std::int64_t>&);
template std::vector<std::int64_t> tally_all(const UtilisationRequest&, const Layout&,
                                             const DensePeople<PackedRecord<std::uint32_t>>&,
                                             const RegroupPlan&, std::span<std::int64_t>,
                                             std::vector<std::int64_t>&);
template std::vector<std::int64_t> tally_all(const UtilisationRequest&, const Layout&,
                                             const HashedPeople&, const RegroupPlan&,
                                             std::span<std::int64_t>, std::vector<std::int64_t>&);

}  // namespace socialrx::detail::utilisation
