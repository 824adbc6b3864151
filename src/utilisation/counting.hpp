#pragma once
// What the files of the utilisation counting share (src/utilisation, not installed): the
// histogram every event is counted into, a person as the event loop reads them, and the plans
// and tallies the event loops work to. Counting goes plan.cpp (the request checked, the
// histogram laid out, the people placed), then event_loop.cpp or regrouped.cpp (the events
// counted through a lookup of lookups.hpp, with the kernels of vector_loop.hpp), then
// histogram.cpp and person_counts.cpp (the result read from the tallies); windows.cpp
// decides which.
#include <algorithm>
#include <bit>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "detail/cell_tally.hpp"
#include "socialrx/core/dates.hpp"
#include "socialrx/core/large_table.hpp"
#include "socialrx/utilisation/windows.hpp"

namespace socialrx::detail::utilisation {

constexpr std::size_t kMaxWindows = 6;
constexpr std::int32_t kMaxGroups = (1 << 24) - 1;
// The longest data range counted: 1900-01-01 to 2100-12-31, the dates the front door accepts.
// The plan holds a byte per day of the range (up to the longest window), so this bounds it.
constexpr std::int64_t kLongestDataRangeDays = 73'414;

// Every event is counted once, in one cell of a histogram [slot][kind][side][band], and the
// windows' counts and the accounting of every event are read from it afterwards.
//
// The slot says whose event it is: nobody known, a comparison patient, a client who never
// connected, an event outside the data range, or a connected client's (group, level), where
// the level is how many windows (shortest first) the data cover for that client. Coverage is
// monotone in the window length, so a client counts in window w exactly when w's rank among
// the windows sorted by length is below its level.
constexpr std::uint32_t kUnknownSlot = 0;
constexpr std::uint32_t kComparisonSlot = 1;
constexpr std::uint32_t kUnconnectedSlot = 2;
constexpr std::uint32_t kOutsideDataSlot = 3;
constexpr std::uint32_t kFirstClientSlot = 4;
// The band says how far from the index date: 0 on the index day, b in 1..W within the b-th
// shortest window and no shorter one, W + 1 beyond every window.

// What the event loop needs of a person, in 8 bytes so that one load fetches it. Counting
// per person, the slot's low 4 bits are the slot and the rest the client's row.
struct Person {
  Days index;
  std::uint32_t slot;
  friend bool operator==(const Person&, const Person&) = default;
};
static_assert(sizeof(Person) == 8);
constexpr Person kNobody{kNoDate, kUnknownSlot};
constexpr Person kComparisonPatient{kNoDate, kComparisonSlot};
using People = LargeTable<Person>;
constexpr unsigned kRowShift = 4;
static_assert(kFirstClientSlot + kMaxWindows + 1 <= 1u << kRowShift);
constexpr std::uint32_t kSlotMask = (1u << kRowShift) - 1;

// The histogram's shape, from the request.
struct Layout {
  explicit Layout(const UtilisationRequest& request);
  std::uint32_t client_slot(std::size_t group, std::size_t level) const {
    return static_cast<std::uint32_t>(kFirstClientSlot + group * (windows + 1) + level);
  }
  std::size_t cell(std::size_t slot, std::size_t kind, std::size_t side, std::size_t band) const {
    return ((slot * kEventKinds + kind) * 2 + side) * bands + band;
  }
  // Room for a wrong kind code (up to 255) in the last slot: it is counted, then reported.
  std::size_t histogram_cells() const { return cell(slots, 255, 1, bands); }

  std::size_t windows;
  std::size_t bands;
  bool per_person;
  std::size_t slots = 0;
  Days sorted[kMaxWindows] = {};       // window lengths, shortest first
  std::size_t rank[kMaxWindows] = {};  // rank[w]: window w's place in sorted
  // An event's side and band from its offset to the index date, clamped to +-reach.
  std::int64_t reach = 0;
  std::vector<std::uint8_t> place;  // [offset + reach]: side * bands + band
  // Counting per person: a histogram cell's place among its client's [kind][side][band - 1]
  // counts, or -1 when the event is in none of the client's windows.
  std::vector<std::int32_t> person_part;
};

// Checks the people's side of the request (InputError naming table, column and row).
void validate_people(const UtilisationRequest& request);
// Checks the events' columns line up, but not their rows, which the event loops check as they
// pass.
void validate_events(const UtilisationRequest& request);

// One Person per client (the comparison patients are all kComparisonPatient); counts who is in each
// window and why not.
People place_people(const UtilisationRequest& request, const Layout& layout,
                    UtilisationResult& result);

[[noreturn]] void unknown_person(const EventsView& events, std::size_t row);

// A block had a bad row: report its first one, as the rows are in the table. date(row) is the
// row's day (turned from its ticks where the events' dates are ticks).
template <class Lookup, class DateOf>
[[noreturn]] void report_bad_row(const EventsView& events, std::size_t first, std::size_t size,
                                 const Lookup& lookup, const DateOf& date) {
  for (std::size_t row = first; row < first + size; ++row) {
    if (lookup(events.person_id[row]).slot == kUnknownSlot) unknown_person(events, row);
    const Days day = date(row);
    if (day == kNoDate || events.kind[row] >= kEventKinds) [[unlikely]]
      bad_event_row(row, day, events.kind[row]);
  }
  throw std::logic_error("report_bad_row: no bad row in the block");
}

// The dense lookup's tables with packed records, as the vector loop reads them.
template <class Word>
struct DenseTables {
  const Word* clients;  // by id - clients_min; then a comparison patient, nobody, padding
  const std::uint64_t* others;
  std::int64_t clients_min, others_min;
  std::uint64_t clients_size, others_size;
  unsigned slot_bits;
  bool others_without_gaps;  // every id in the comparison pool's range is one of theirs
};

// The events' timestamps (UtilisationRequest::event_ticks) to days in the vector loop, for the
// days from data_start to data_end: the ticks since data_start shifted right by the day's power
// of two, times the reciprocal of its odd part, plus half a step, truncated. Exact while the
// data range is under 2^16 days: the quotient is then under 2^16 and off by less than 2^-35,
// well inside the half step (0.5 / the odd part: 3.8e-10 for nanoseconds) that keeps it from
// crossing a whole number. Any other tick is marked outside the range, or missing.
struct TicksToDays {
  static constexpr unsigned kMaxDayBits = 16;
  const std::int64_t* ticks = nullptr;  // null: the dates are days (events.date)
  std::int64_t start_ticks = 0, range_ticks = 0;
  unsigned shift = 0;
  double inverse = 0, half_step = 0;

  TicksToDays() = default;
  // `ticks` stays null when the range is too long or its ends overflow the ticks.
  explicit TicksToDays(const UtilisationRequest& request) {
    const std::int64_t per_day = request.ticks_per_day;
    const std::int64_t days = std::int64_t{request.data_end} - request.data_start + 1;
    if (per_day <= 0 || std::bit_width(static_cast<std::uint64_t>(days - 1)) > kMaxDayBits ||
        __builtin_mul_overflow(std::int64_t{request.data_start}, per_day, &start_ticks) ||
        __builtin_mul_overflow(days, per_day, &range_ticks))
      return;
    ticks = request.event_ticks.data();
    shift = static_cast<unsigned>(std::countr_zero(static_cast<std::uint64_t>(per_day)));
    inverse = 1.0 / static_cast<double>(per_day >> shift);
    half_step = 0.5 * inverse;
  }
};

// What turns a looked-up person and an event into its histogram cell.
struct CellArithmetic {
  Days start, stop;
  std::int32_t reach;
  const std::uint8_t* place;
  std::uint32_t kind_cells;
  const Days* sorted;  // the window lengths, shortest first (the vector loops' bands)
  std::size_t windows;
  TicksToDays from_ticks = {};

  std::uint32_t cell(std::uint32_t slot, Days index, Days date, std::uint32_t kind) const {
    const bool in_range = (date >= start) & (date <= stop);
    const std::int64_t offset = std::clamp<std::int64_t>(std::int64_t{date} - index, -reach, reach);
    return ((in_range ? slot : kOutsideDataSlot) * kEventKinds + kind) * kind_cells +
           place[offset + reach];
  }
};

// How events are regrouped: clients' ids in groups of 2^group_bits (each group's part of the
// table fits a core's L2), `round` events at a time.
struct RegroupPlan {
  unsigned group_bits = 0, day_bits = 0;
  std::size_t groups = 0, round = 0;
  TicksToDays from_ticks;  // when the events' dates are ticks
};

// A chunk's events split as they pass: the records of clients' in-range events, a block's at a
// time, put aside to be counted with their id group's part of the table in cache; the others
// only counted (which slot holds them is all that is read of them).
struct Regrouped {
  const RegroupPlan& plan;
  std::uint32_t* records;  // client id's place in its group, day - data_start, kind
  std::uint32_t* groups;   // its id group
  std::size_t deferred = 0;
  std::size_t others = 0, outside = 0;  // the comparison pool's events; any outside the range
};

// Per-person cell numbers fit a CellTally's 32 bits.
static_assert(std::uint64_t{kMaxGroups} * kEventKinds * 2 * kMaxWindows <= UINT32_MAX);

// What one chunk of events adds up to.
struct ChunkTally {
  ChunkTally(const Layout& layout, std::size_t person_cells)
      : histogram(layout.histogram_cells()), person(person_cells) {}
  std::vector<std::uint32_t> histogram;  // 32 bits: a chunk has fewer than 2^30 events
  CellTally person;                      // per person
  std::vector<std::int64_t> other_rows;  // collect_other_rows: ascending
};

// Counts every event into one histogram (per chunk, then added up in chunk order: integer
// sums, so the same for any thread count), per person into `person_counts` when asked, and
// collects the comparison pool's event rows when asked; regrouped as `plan` says (groups 0:
// not). For the lookups of lookups.hpp (event_loop.cpp).
template <class Lookup>
std::vector<std::int64_t> tally_all(const UtilisationRequest& request, const Layout& layout,
                                    const Lookup& lookup, const RegroupPlan& plan,
                                    std::span<std::int64_t> person_counts,
                                    std::vector<std::int64_t>& other_rows);

// Whether and how to regroup (groups 0: not), for the packed records' tables (regrouped.cpp).
template <class Word>
RegroupPlan regroup_plan(const UtilisationRequest& request, const DenseTables<Word>& tables);

// The same for any lookup: only the packed records' tables can be regrouped.
template <class Lookup>
RegroupPlan plan_regrouping(const UtilisationRequest& request, const Lookup& lookup) {
  if constexpr (requires { lookup.tables(); })
    return regroup_plan(request, lookup.tables());
  else
    return {};
}

#if defined(__x86_64__)
// One chunk of events counted regrouped, through the vector loop, for the packed records of
// lookups.hpp (regrouped.cpp).
template <class Record>
class DensePeople;
template <class Word>
struct PackedRecord;
template <class Word>
void tally_regrouped(const UtilisationRequest& request, const Layout& layout, std::size_t begin,
                     std::size_t end, const DensePeople<PackedRecord<Word>>& lookup,
                     const RegroupPlan& plan, ChunkTally& out);
#endif

// person_counts.cpp and histogram.cpp.
void spread_person_counts(const UtilisationRequest& request, const Layout& layout,
                          const People& people, UtilisationResult& result);
void read_histogram(const Layout& layout, const std::vector<std::int64_t>& histogram,
                    UtilisationResult& result);
void complete_window_events(UtilisationResult& result);

}  // namespace socialrx::detail::utilisation
