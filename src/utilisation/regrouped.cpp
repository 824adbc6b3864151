// Regrouped counting: for a client table larger than a core's L2, the clients' in-range events
// put aside by id range as they pass and counted range by range, each range's part of the
// table then in cache.
#include "detail/cpu.hpp"
#include "utilisation/counting.hpp"
#include "utilisation/lookups.hpp"
#include "utilisation/vector_loop.hpp"

namespace socialrx::detail::utilisation {

// Whether and how to regroup (groups 0: not): for packed records in the vector loop, when the
// table is larger than a core's L2 would hold beside the events passing through, and the
// records put aside fit 32 bits (4 for the kind, the day in the data range, the id's place).
template <class Word>
RegroupPlan regroup_plan(const UtilisationRequest& request, const DenseTables<Word>& tables) {
  RegroupPlan plan;
#if defined(__x86_64__)
  {
    constexpr std::size_t kPartBytes = 256 << 10, kTableBytes = 1 << 20;
    plan.day_bits = static_cast<unsigned>(std::bit_width(
        static_cast<std::uint64_t>(std::int64_t{request.data_end} - request.data_start)));
    plan.group_bits = std::min<unsigned>(28 - std::min(28u, plan.day_bits),
                                         std::bit_width(kPartBytes / sizeof(Word)) - 1);
    plan.groups = (tables.clients_size >> plan.group_bits) + 1;
    if (!has_avx512() || request.per_person || request.collect_other_rows ||
        tables.clients_size * sizeof(Word) < kTableBytes || plan.group_bits < 10)
      return {};
    plan.round = std::clamp<std::size_t>((std::size_t{1} << 24) / plan.groups, 1 << 14, 1 << 20);
    if (request.ticks_per_day) {
      plan.from_ticks = TicksToDays(request);
      if (!plan.from_ticks.ticks) return {};
    }
  }
#endif
  return plan;
}

#if defined(__x86_64__)
namespace {

// tally_events for packed records too many for a core's L2, through the vector loop: the
// clients' in-range events are not looked up as they pass but put aside by id group, and each
// group's events counted after `round` events, its part of the table then in cache.
template <std::size_t kWindows, class Lookup>
void tally_regrouped(const UtilisationRequest& request, const Layout& layout, std::size_t begin,
                     std::size_t end, const Lookup& lookup, const RegroupPlan& plan,
                     ChunkTally& out) {
  constexpr std::size_t kBlock = 256;
  const EventsView& events = request.events;
  const auto tables = lookup.tables();
  const std::size_t windows = kWindows ? kWindows : layout.windows;
  const CellArithmetic arithmetic{request.data_start,
                                  request.data_end,
                                  static_cast<std::int32_t>(layout.reach),
                                  layout.place.data(),
                                  static_cast<std::uint32_t>(2 * (windows + 2)),
                                  layout.sorted,
                                  windows,
                                  plan.from_ticks};
  const auto date = [&](std::size_t row) {
    return request.ticks_per_day ? day_of_ticks(request.event_ticks[row], request.ticks_per_day)
                                 : events.date[row];
  };
  // Per thread, kept for the thread's next chunks: most of it is never touched.
  thread_local LargeTable<std::uint32_t> scratch;
  if (scratch.size() < plan.groups * plan.round) scratch.resize(plan.groups * plan.round);
  std::vector<std::uint32_t*> tail(plan.groups);
  for (std::size_t g = 0; g < plan.groups; ++g) tail[g] = scratch.data() + g * plan.round;
  std::uint32_t cells[kBlock], records[kBlock], groups[kBlock];
  std::uint32_t bad = 0;
  const auto report = [&] { report_bad_row(events, begin, end - begin, lookup, date); };
  const std::uint32_t slot_mask = (1u << tables.slot_bits) - 1;
  Regrouped split{plan, records, groups};
  for (std::size_t round = begin; round < end; round += plan.round) {
    const std::size_t round_end = std::min(end, round + plan.round);
    for (std::size_t first = round; first < round_end; first += kBlock) {
      const std::size_t size = std::min(kBlock, round_end - first);
      split.deferred = 0;
      const std::size_t done =
          cells_avx512<true>(tables, arithmetic, events, first, size, cells, bad, &split);
      for (std::size_t row = first + done; row < first + size; ++row) {
        const Person person = lookup(events.person_id[row]);
        const Days day = date(row);
        bad |= (person.slot == kUnknownSlot) | (day == kNoDate) | (events.kind[row] >= kEventKinds);
        ++out.histogram[arithmetic.cell(person.slot, person.index, day, events.kind[row])];
      }
      if (bad) [[unlikely]]
        report();
      for (std::size_t i = 0; i < split.deferred; ++i) *tail[groups[i]]++ = records[i];
    }
    for (std::size_t group = 0; group < plan.groups; ++group) {
      const auto* part = tables.clients + (group << plan.group_bits);
      const std::uint32_t* aside = scratch.data() + group * plan.round;
      const auto count = static_cast<std::size_t>(tail[group] - aside);
      for (std::size_t first = 0; first < count; first += kBlock) {
        const std::size_t size = std::min(kBlock, count - first);
        std::size_t i = group_cells_avx512(part, tables.slot_bits, arithmetic, plan, aside + first,
                                           size, cells, bad);
        for (; i < size; ++i) {
          const std::uint32_t record = aside[first + i];
          const std::uint32_t stored = part[record >> (plan.day_bits + 4)];
          const std::uint32_t slot = stored & slot_mask;
          bad |= slot == kUnknownSlot;
          cells[i] = arithmetic.cell(
              slot, static_cast<Days>(request.data_start + (stored >> tables.slot_bits)),
              static_cast<Days>(request.data_start + (record >> 4 & ((1u << plan.day_bits) - 1))),
              record & 15);
        }
        for (std::size_t j = 0; j < size; ++j) ++out.histogram[cells[j]];
      }
      tail[group] = scratch.data() + group * plan.round;
    }
    if (bad) [[unlikely]]
      report();
  }
  out.histogram[layout.cell(kComparisonSlot, 0, 0, 0)] += static_cast<std::uint32_t>(split.others);
  out.histogram[layout.cell(kOutsideDataSlot, 0, 0, 0)] +=
      static_cast<std::uint32_t>(split.outside);
}

}  // namespace

template <class Word>
void tally_regrouped(const UtilisationRequest& request, const Layout& layout, std::size_t begin,
                     std::size_t end, const DensePeople<PackedRecord<Word>>& lookup,
                     const RegroupPlan& plan, ChunkTally& out) {
  if (layout.windows == 2)
    return tally_regrouped<2>(request, layout, begin, end, lookup, plan, out);
  tally_regrouped<0>(request, layout, begin, end, lookup, plan, out);
}

template void tally_regrouped(const UtilisationRequest&, const Layout&, std::size_t, std::size_t,
                              const DensePeople<PackedRecord<std::uint16_t>>&, const RegroupPlan&,
                              ChunkTally&);
template void tally_regrouped(const UtilisationRequest&, const Layout&, std::size_t, std::size_t,
                              const DensePeople<PackedRecord<std::uint32_t>>&, const RegroupPlan&,
                              ChunkTally&);
#endif

template RegroupPlan regroup_plan(const UtilisationRequest&, const DenseTables<std::uint16_t>&);
template RegroupPlan regroup_plan(const UtilisationRequest&, const DenseTables<std::uint32_t>&);

}  // namespace socialrx::detail::utilisation
