#include "socialrx/utilisation/windows.hpp"

#include <algorithm>
#include <bit>
#include <numeric>
#include <span>
#include <type_traits>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "socialrx/core/cell_tally.hpp"
#include "socialrx/core/cpu.hpp"
#include "socialrx/core/dates.hpp"
#include "socialrx/core/huge_pages.hpp"
#include "socialrx/core/id_index.hpp"
#include "socialrx/core/parallel.hpp"

namespace socialrx {

namespace {

constexpr std::size_t kMaxWindows = 6;
constexpr std::int32_t kMaxGroups = (1 << 24) - 1;

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
using People = std::vector<Person, HugePageAllocator<Person>>;
constexpr unsigned kRowShift = 4;
static_assert(kFirstClientSlot + kMaxWindows + 1 <= 1u << kRowShift);
constexpr std::uint32_t kSlotMask = (1u << kRowShift) - 1;

// The histogram's shape, from the request.
struct Layout {
  explicit Layout(const UtilisationRequest& request)
      : windows(request.windows.size()), bands(windows + 2), per_person(request.per_person) {
    std::vector<std::size_t> order(windows);
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return request.windows[a] < request.windows[b];
    });
    for (std::size_t r = 0; r < windows; ++r) {
      sorted[r] = request.windows[order[r]];
      rank[order[r]] = r;
    }
    const std::size_t histogram_groups = per_person ? 1 : static_cast<std::size_t>(request.groups);
    slots = kFirstClientSlot + histogram_groups * (windows + 1);
    // Offsets beyond the data range's length are never those of an included client's event.
    reach = std::min<std::int64_t>(sorted[windows - 1],
                                   std::int64_t{request.data_end} - request.data_start) +
            1;
    for (std::int64_t offset = -reach; offset <= reach; ++offset) {
      const std::int64_t distance = offset < 0 ? -offset : offset;
      std::size_t band = distance != 0;
      for (std::size_t r = 0; r < windows; ++r) band += distance > sorted[r];
      place.push_back(static_cast<std::uint8_t>((offset > 0) * bands + band));
    }
    place.resize(place.size() + 3);  // the vector loop reads 4 bytes for each
    if (per_person) {
      person_part.assign(histogram_cells(), -1);
      for (std::size_t level = 1; level <= windows; ++level)
        for (std::size_t kind = 0; kind < kEventKinds; ++kind)
          for (std::size_t side = 0; side < (request.before_only ? 1 : 2); ++side)
            for (std::size_t band = 1; band <= level; ++band)
              person_part[cell(kFirstClientSlot + level, kind, side, band)] =
                  static_cast<std::int32_t>((kind * 2 + side) * windows + band - 1);
    }
  }
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

void validate_request(const UtilisationRequest& request) {
  validate(request.clients);
  if (request.ticks_per_day == 0) {
    validate(request.events);
  } else {
    require_rows("events", "date", request.event_ticks, request.events.rows());
    require_rows("events", "kind", request.events.kind, request.events.rows());
  }
  const auto rows = request.clients.rows();
  require_rows_if_given("clients", "group", request.client_group, rows);
  if (request.per_person && !request.client_group.empty())
    throw InputError("clients", "group", kNoRow, "counting per person takes no groups");
  if (request.per_person && rows > static_cast<std::size_t>(kMaxGroups))
    throw InputError("clients", "client_id", kNoRow,
                     "counting per person takes at most " + std::to_string(kMaxGroups) + " people");
  if (request.groups < 1 || request.groups > kMaxGroups)
    throw InputError("clients", "group", kNoRow,
                     "between 1 and " + std::to_string(kMaxGroups) + " groups are supported");
  for (std::size_t row = 0; row < request.client_group.size(); ++row)
    if (request.client_group[row] < 0 || request.client_group[row] >= request.groups)
      throw InputError("clients", "group", static_cast<std::int64_t>(row),
                       "group code " + std::to_string(request.client_group[row]) + " outside 0.." +
                           std::to_string(request.groups - 1));
  if (request.data_start == kNoDate || request.data_end == kNoDate)
    throw InputError("evaluation", "data_start/data_end", kNoRow, "both are required");
  if (request.data_end < request.data_start)
    throw InputError("evaluation", "data_end", kNoRow, "data_end is before data_start");
  if (request.windows.empty() || request.windows.size() > kMaxWindows)
    throw InputError("evaluation", "windows", kNoRow,
                     "between 1 and " + std::to_string(kMaxWindows) + " windows are needed");
  for (Days days : request.windows)
    if (days < 1)
      throw InputError("evaluation", "windows", kNoRow,
                       "a window must be at least one day, got " + std::to_string(days));
}

// One Person per client (the comparison patients are all kComparisonPatient); counts who is in each
// window and why not.
People place_people(const UtilisationRequest& request, const Layout& layout,
                    UtilisationResult& result) {
  const auto& clients = request.clients;
  People people(clients.rows());
  for (std::size_t row = 0; row < clients.rows(); ++row) {
    const Days index = clients.index_date[row];
    const std::size_t group = request.per_person             ? row
                              : request.client_group.empty() ? 0
                                                             : request.client_group[row];
    const auto covers = [&](Days days) {
      return std::int64_t{index} - days >= request.data_start &&
             std::int64_t{index} + days <= request.data_end;
    };
    std::size_t level = 0;
    while (index != kNoDate && level < layout.windows && covers(layout.sorted[level])) ++level;
    for (std::size_t w = 0; w < layout.windows; ++w) {
      auto& excluded = result.excluded[w];
      if (index == kNoDate) {
        ++excluded.not_connected;
      } else if (layout.rank[w] < level) {
        ++result.clients_included[w * result.groups + group];
      } else if (std::int64_t{index} - request.windows[w] < request.data_start) {
        ++excluded.starts_before_data;
      } else {
        ++excluded.ends_after_data;
      }
    }
    const std::uint32_t slot = index == kNoDate
                                   ? kUnconnectedSlot
                                   : layout.client_slot(request.per_person ? 0 : group, level);
    people[row] = {index,
                   request.per_person ? static_cast<std::uint32_t>(row) << kRowShift | slot : slot};
  }
  return people;
}

[[noreturn]] void unknown_person(const EventsView& events, std::size_t row) {
  throw InputError("events", "person_id", static_cast<std::int64_t>(row),
                   "id " + std::to_string(events.person_id[row]) +
                       " is in neither the clients nor the comparison table");
}

// A block had a bad row: report its first one, as the rows are in the table.
template <class Lookup>
[[noreturn]] void report_bad_row(const EventsView& events, std::size_t first, std::size_t size,
                                 const Lookup& lookup) {
  for (std::size_t row = first; row < first + size; ++row) {
    if (lookup(events.person_id[row]).slot == kUnknownSlot) unknown_person(events, row);
    check_event_row(events, row);
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

// Thrown where events given as ticks must be counted from days instead: by a counting that
// cannot turn them into days as the events pass, or to report a bad row.
struct NeedsDays {};

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

#if defined(__x86_64__)
// GCC 12's gather intrinsics read an undefined vector on purpose (their pass-through), which
// -Wmaybe-uninitialized reports wherever they are inlined.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
// The histogram cells of 8 events from their slots, kinds and offsets to the index date; the
// side and band by comparisons with the window lengths, as Layout::place holds them (beyond
// the data range's length an offset's band may differ, but only where no band is read).
[[gnu::target("avx512f,avx512vl,avx512bw,avx512dq")]] inline __m256i cell_avx512(
    __m256i slot, __m256i kind, __m256i offset, const CellArithmetic& c) {
  const __m256i one = _mm256_set1_epi32(1);
  const __m256i distance = _mm256_abs_epi32(offset);
  __m256i where = _mm256_maskz_mov_epi32(_mm256_test_epi32_mask(distance, distance), one);
  for (std::size_t r = 0; r < c.windows; ++r)
    where = _mm256_mask_add_epi32(
        where, _mm256_cmpgt_epi32_mask(distance, _mm256_set1_epi32(c.sorted[r])), where, one);
  where = _mm256_mask_add_epi32(where, _mm256_cmpgt_epi32_mask(offset, _mm256_setzero_si256()),
                                where, _mm256_set1_epi32(static_cast<int>(c.kind_cells / 2)));
  const __m256i slot_kind =
      _mm256_add_epi32(_mm256_mullo_epi32(slot, _mm256_set1_epi32(kEventKinds)), kind);
  return _mm256_add_epi32(
      _mm256_mullo_epi32(slot_kind, _mm256_set1_epi32(static_cast<int>(c.kind_cells))), where);
}

// The scalar loop's lookup and cell arithmetic for 8 events at a time (AVX-512), over the
// first multiple of 8 of the block's `size` events; returns how many it did and ORs into
// `bad` whether any was a bad row. Lanes follow the scalar code step by step; date - index is
// in 32 bits, which can wrap only for rows that are bad or outside the data range, whose
// clamped offset then still indexes `place` and whose band is not used.
template <bool kRegroup = false, class Word>
[[gnu::target("avx512f,avx512vl,avx512bw,avx512dq")]] std::size_t cells_avx512(
    const DenseTables<Word>& t, const CellArithmetic& c, const EventsView& events,
    std::size_t first, std::size_t size, std::uint32_t* cells, std::uint32_t& bad,
    Regrouped* regrouped = nullptr) {
  const __m512i clients_min = _mm512_set1_epi64(t.clients_min);
  const __m512i others_min = _mm512_set1_epi64(t.others_min);
  const __m512i clients_size = _mm512_set1_epi64(static_cast<std::int64_t>(t.clients_size));
  const __m512i others_size = _mm512_set1_epi64(static_cast<std::int64_t>(t.others_size));
  const __m512i nobody = _mm512_set1_epi64(static_cast<std::int64_t>(t.clients_size + 1));
  const __m512i one = _mm512_set1_epi64(1), bit_of_word = _mm512_set1_epi64(63);
  const __m256i record_mask = _mm256_set1_epi32(static_cast<int>(Word(~Word{0})));
  const __m256i slot_mask = _mm256_set1_epi32(static_cast<int>((1u << t.slot_bits) - 1));
  const __m128i slot_bits = _mm_cvtsi32_si128(static_cast<int>(t.slot_bits));
  const __m256i start = _mm256_set1_epi32(c.start), stop = _mm256_set1_epi32(c.stop);
  const __m256i no_date = _mm256_set1_epi32(kNoDate), kinds = _mm256_set1_epi32(kEventKinds);
  const __m256i outside = _mm256_set1_epi32(kOutsideDataSlot), unknown = _mm256_setzero_si256();
  [[maybe_unused]] __m256i group_mask{};
  [[maybe_unused]] __m128i group_shift{}, group_bits{};
  if constexpr (kRegroup) {
    group_mask = _mm256_set1_epi32(static_cast<int>((1u << regrouped->plan.group_bits) - 1));
    group_shift = _mm_cvtsi32_si128(static_cast<int>(regrouped->plan.day_bits + 4));
    group_bits = _mm_cvtsi32_si128(static_cast<int>(regrouped->plan.group_bits));
  }
  const TicksToDays& from = c.from_ticks;
  const __m512i start_ticks = _mm512_set1_epi64(from.start_ticks);
  const __m512i range_ticks = _mm512_set1_epi64(from.range_ticks);
  const __m128i tick_shift = _mm_cvtsi32_si128(static_cast<int>(from.shift));
  const __m512d inverse = _mm512_set1_pd(from.inverse), half_step = _mm512_set1_pd(from.half_step);
  const __m512i missing = _mm512_set1_epi64(kMissingTicks);
  const __m256i before_start = _mm256_set1_epi32(c.start - 1);
  __mmask8 bad_lanes = 0;
  std::size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    const std::size_t row = first + i;
    const __m512i id = _mm512_loadu_si512(events.person_id.data() + row);
    const __m512i client = _mm512_sub_epi64(id, clients_min);
    const __m512i other = _mm512_sub_epi64(id, others_min);
    const __mmask8 is_client = _mm512_cmplt_epu64_mask(client, clients_size);
    const __mmask8 in_others = _mm512_cmplt_epu64_mask(other, others_size);
    __mmask8 is_other = in_others;
    if (!t.others_without_gaps) {
      const __m512i words = _mm512_mask_i64gather_epi64(_mm512_setzero_si512(), in_others,
                                                        _mm512_srli_epi64(other, 6), t.others, 8);
      is_other = _mm512_mask_test_epi64_mask(
          in_others, _mm512_srlv_epi64(words, _mm512_and_si512(other, bit_of_word)), one);
    }
    const __m512i position = _mm512_mask_blend_epi64(
        is_client, _mm512_mask_sub_epi64(nobody, is_other, nobody, one), client);
    __m256i date;
    if (from.ticks) {
      const __m512i ticks = _mm512_loadu_si512(from.ticks + row);
      const __m512i since = _mm512_sub_epi64(ticks, start_ticks);
      const __m256i day = _mm256_add_epi32(
          start, _mm512_cvttpd_epi32(_mm512_fmadd_pd(
                     _mm512_cvtepi64_pd(_mm512_srl_epi64(since, tick_shift)), inverse, half_step)));
      date = _mm256_mask_blend_epi32(
          _mm512_cmpeq_epi64_mask(ticks, missing),
          _mm256_mask_blend_epi32(_mm512_cmplt_epu64_mask(since, range_ticks), before_start, day),
          no_date);
    } else {
      date = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(events.date.data() + row));
    }
    const __m256i kind = _mm256_cvtepu8_epi32(
        _mm_loadl_epi64(reinterpret_cast<const __m128i*>(events.kind.data() + row)));
    const __mmask8 in_range =
        _mm256_cmpge_epi32_mask(date, start) & _mm256_cmple_epi32_mask(date, stop);
    const __mmask8 kind_ok = _mm256_cmplt_epu32_mask(kind, kinds);
    bad_lanes |= _mm256_cmpeq_epi32_mask(date, no_date) | static_cast<__mmask8>(~kind_ok);
    if constexpr (kRegroup) {
      // Clients' in-range events are put aside. Of the others only the totals of the comparison
      // pool's and of those outside the data range are wanted: no cells. A client's record is
      // loaded only to check that an event outside the range is someone's.
      const __mmask8 deferred = is_client & in_range & kind_ok;
      const __mmask8 checked = is_client & ~in_range;
      // Events outside the range are rare: skip the (never free) gather when there are none.
      const __m256i record = checked
                                 ? _mm512_mask_i64gather_epi32(_mm256_setzero_si256(), checked,
                                                               position, t.clients, sizeof(Word))
                                 : _mm256_setzero_si256();
      bad_lanes |=
          static_cast<__mmask8>(~(is_client | is_other)) |
          _mm256_mask_cmpeq_epi32_mask(
              checked, _mm256_and_si256(_mm256_and_si256(record, record_mask), slot_mask), unknown);
      regrouped->others += static_cast<std::size_t>(__builtin_popcount(is_other & in_range));
      regrouped->outside += static_cast<std::size_t>(__builtin_popcount(~in_range & 0xFF));
      const __m256i low = _mm512_cvtepi64_epi32(client);
      const __m256i packed = _mm256_or_si256(
          _mm256_or_si256(_mm256_sll_epi32(_mm256_and_si256(low, group_mask), group_shift),
                          _mm256_slli_epi32(_mm256_sub_epi32(date, start), 4)),
          kind);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(regrouped->records + regrouped->deferred),
                          _mm256_maskz_compress_epi32(deferred, packed));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(regrouped->groups + regrouped->deferred),
                          _mm256_maskz_compress_epi32(deferred, _mm256_srl_epi32(low, group_bits)));
      regrouped->deferred += static_cast<std::size_t>(__builtin_popcount(deferred));
    } else {
      const __m256i record =
          _mm256_and_si256(_mm512_i64gather_epi32(position, t.clients, sizeof(Word)), record_mask);
      const __m256i own = _mm256_and_si256(record, slot_mask);
      bad_lanes |= _mm256_cmpeq_epi32_mask(own, unknown);
      const __m256i slot = _mm256_mask_blend_epi32(in_range, outside, own);
      const __m256i offset =
          _mm256_sub_epi32(_mm256_sub_epi32(date, start), _mm256_srl_epi32(record, slot_bits));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(cells + i),
                          cell_avx512(slot, kind, offset, c));
    }
  }
  bad |= bad_lanes != 0;
  return i;
}
#pragma GCC diagnostic pop
#endif

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
  const std::uint32_t kind_cells = static_cast<std::uint32_t>(2 * (windows + 2));
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
      report_bad_row(events, first, size, lookup);
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

#if defined(__x86_64__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
// The cells of one id group's put-aside records, 8 at a time; returns how many it did.
template <class Word>
[[gnu::target("avx512f,avx512vl,avx512bw,avx512dq")]] std::size_t group_cells_avx512(
    const Word* part, unsigned slot_bits, const CellArithmetic& c, const RegroupPlan& plan,
    const std::uint32_t* records, std::size_t size, std::uint32_t* cells, std::uint32_t& bad) {
  const __m256i slot_mask = _mm256_set1_epi32(static_cast<int>((1u << slot_bits) - 1));
  const __m256i record_mask = _mm256_set1_epi32(static_cast<int>(Word(~Word{0})));
  const __m128i index_shift = _mm_cvtsi32_si128(static_cast<int>(slot_bits));
  const __m128i place_shift = _mm_cvtsi32_si128(static_cast<int>(plan.day_bits + 4));
  const __m256i day_mask = _mm256_set1_epi32(static_cast<int>((1u << plan.day_bits) - 1));
  const __m256i kind_mask = _mm256_set1_epi32(15);
  const __m256i unknown = _mm256_setzero_si256();
  __mmask8 bad_lanes = 0;
  std::size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    const __m256i record = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(records + i));
    const __m256i stored = _mm256_and_si256(
        _mm256_i32gather_epi32(reinterpret_cast<const int*>(part),
                               _mm256_srl_epi32(record, place_shift), sizeof(Word)),
        record_mask);
    const __m256i slot = _mm256_and_si256(stored, slot_mask);
    bad_lanes |= _mm256_cmpeq_epi32_mask(slot, unknown);
    const __m256i offset =
        _mm256_sub_epi32(_mm256_and_si256(_mm256_srli_epi32(record, 4), day_mask),
                         _mm256_srl_epi32(stored, index_shift));
    const __m256i cell = cell_avx512(slot, _mm256_and_si256(record, kind_mask), offset, c);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(cells + i), cell);
  }
  bad |= bad_lanes != 0;
  return i;
}
#pragma GCC diagnostic pop

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
  thread_local std::vector<std::uint32_t, HugePageAllocator<std::uint32_t>> scratch;
  if (scratch.size() < plan.groups * plan.round) scratch.resize(plan.groups * plan.round);
  std::vector<std::uint32_t*> tail(plan.groups);
  for (std::size_t g = 0; g < plan.groups; ++g) tail[g] = scratch.data() + g * plan.round;
  std::uint32_t cells[kBlock], records[kBlock], groups[kBlock];
  std::uint32_t bad = 0;
  const auto report = [&] {
    if (request.ticks_per_day) throw NeedsDays{};  // counted again from days, which name the row
    report_bad_row(events, begin, end - begin, lookup);
  };
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
      const std::size_t count = static_cast<std::size_t>(tail[group] - aside);
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
#endif

// How the dense lookup stores a client: the Person itself, or packed into 2 or 4 bytes (the
// index date as days from data_start above the slot) when the slots and the data range fit.
// Fewer bytes: more of the table stays in cache, and the table's size is what the event
// loop's speed depends on (a million clients in 2 bytes each fit a core's L2).
struct FullRecord {
  using Stored = Person;
  Stored pack(Person person) const { return person; }
  Person unpack(Stored stored) const { return stored; }
};
template <class Word>
struct PackedRecord {
  using Stored = Word;
  // Per person, only when the clients' ids run in row order (the row is then the id's place).
  PackedRecord(const UtilisationRequest& request, const Layout& layout, bool rows_in_id_order)
      : start(request.data_start),
        slot_bits(static_cast<unsigned>(std::bit_width(layout.slots - 1))),
        slot_mask(request.per_person ? kSlotMask : ~0u),
        fits((!request.per_person || rows_in_id_order) &&
             slot_bits + std::bit_width(static_cast<std::uint64_t>(std::int64_t{request.data_end} -
                                                                   request.data_start)) <=
                 8 * sizeof(Word)) {}
  // Only an included client's index date matters, and it lies in the data range; others
  // keep 0.
  Stored pack(Person person) const {
    const std::int64_t days = std::int64_t{person.index} - start;
    const bool dated = days >= 0 && days <= std::int64_t{Word(~Word{0}) >> slot_bits};
    return static_cast<Stored>((dated ? days : 0) << slot_bits | (person.slot & slot_mask));
  }
  Person unpack(Stored stored) const {
    return {static_cast<Days>(start + (stored >> slot_bits)),
            static_cast<std::uint32_t>(stored & ((1u << slot_bits) - 1))};
  }
  Days start;
  unsigned slot_bits;
  std::uint32_t slot_mask;  // per person, the slot without the row
  bool fits;
};

// Ids numbered in a narrow range per table (the usual case: clients numbered from 1, a
// comparison pool from some offset): the clients' records in an array indexed by id - min,
// and the comparison as a bitmap of which ids are in it (they are all the same Person).
// Unusable when a table's ids are scattered or the two tables' ranges interleave.
template <class Record>
class DensePeople {
  using Stored = typename Record::Stored;

 public:
  DensePeople(const UtilisationRequest& request, const People& people, Record record)
      : record_(record) {
    const auto clients = request.clients.client_id;
    usable_ = fill_clients(clients, people) && fill_comparison(request.other_ids) &&
              !overlaps(clients_min_, clients_size_, others_min_, others_size_);
    if (usable_ && repeats_)
      IdIndex({{"clients", "client_id", clients}, {"comparison", "patient_id", request.other_ids}});
  }
  bool usable() const { return usable_; }

  // One load from a position computed by arithmetic on the id alone: no branch (which table
  // an id is in is unpredictable), so the load issues as soon as the id is read. Past the
  // clients' records sit a comparison patient and nobody.
  Person operator()(std::int64_t id) const {
    const std::uint64_t client = offset(id, clients_min_), other = offset(id, others_min_);
    const std::uint64_t in_others = other < others_size_;
    const std::uint64_t word = others_[(other >> 6) & -in_others];
    const std::uint64_t is_other = in_others & (word >> (other & 63));
    const std::uint64_t is_client = -std::uint64_t{client < clients_size_};
    const std::uint64_t position =
        (client & is_client) | ((clients_size_ + 1 - is_other) & ~is_client);
    return record_.unpack(clients_[position]);
  }
  DenseTables<Stored> tables() const
    requires(!std::is_same_v<Record, FullRecord>)
  {
    return {clients_.data(), others_.data(), clients_min_,      others_min_,
            clients_size_,   others_size_,   record_.slot_bits, others_count_ == others_size_};
  }
  // Brings a client's record towards the core ahead of its lookup.
  void prefetch(std::int64_t id) const {
    const std::uint64_t client = offset(id, clients_min_);
    __builtin_prefetch(clients_.data() + (client & -std::uint64_t{client < clients_size_}));
  }

 private:
  static std::uint64_t offset(std::int64_t id, std::int64_t min) {
    return static_cast<std::uint64_t>(id) - static_cast<std::uint64_t>(min);
  }
  static bool overlaps(std::int64_t a, std::uint64_t a_size, std::int64_t b, std::uint64_t b_size) {
    return a_size > 0 && b_size > 0 && (offset(b, a) < a_size || offset(a, b) < b_size);
  }
  // The range of a table's ids, or false when it is too sparse for a dense table.
  static bool range(Column<std::int64_t> ids, std::uint64_t per_id, std::int64_t& min,
                    std::uint64_t& size) {
    if (ids.empty()) return true;
    const auto [lo, hi] = std::minmax_element(ids.begin(), ids.end());
    min = *lo;
    size = offset(*hi, min) + 1;
    return size <= per_id * ids.size() + (1u << 20);
  }
  bool fill_clients(Column<std::int64_t> ids, const People& people) {
    if (!range(ids, 8, clients_min_, clients_size_)) return false;
    const Stored nobody = record_.pack(kNobody);
    clients_.assign(clients_size_ + 3, nobody);  // the last for the vector loop's 4-byte reads
    clients_[clients_size_] = record_.pack(kComparisonPatient);
    for (std::size_t row = 0; row < ids.size(); ++row) {
      Stored& slot = clients_[offset(ids[row], clients_min_)];
      repeats_ = repeats_ || slot != nobody;
      slot = record_.pack(people[row]);
    }
    return true;
  }
  bool fill_comparison(Column<std::int64_t> ids) {
    if (!range(ids, 64, others_min_, others_size_)) return false;
    others_.assign(others_size_ / 64 + 1, 0);
    others_count_ = ids.size();
    for (std::int64_t id : ids) {
      const std::uint64_t bit = offset(id, others_min_);
      repeats_ = repeats_ || (others_[bit >> 6] >> (bit & 63) & 1);
      others_[bit >> 6] |= std::uint64_t{1} << (bit & 63);
    }
    return true;
  }

  Record record_;
  std::int64_t clients_min_ = 0, others_min_ = 0;
  std::uint64_t clients_size_ = 0, others_size_ = 0, others_count_ = 0;
  std::vector<Stored, HugePageAllocator<Stored>> clients_;  // then a comparison patient, nobody
  std::vector<std::uint64_t> others_{0};                    // a bit per id from others_min_
  bool repeats_ = false;
  bool usable_ = true;
};

// Scattered ids: the hashed IdIndex (clients' positions, then the comparison's), then the
// Person at that position.
struct HashedPeople {
  const IdIndex& index;
  const People& people;
  void prefetch(std::int64_t) const {}
  Person operator()(std::int64_t id) const {
    const std::int32_t position = index.find(id);
    if (position == IdIndex::kAbsent) return kNobody;
    return static_cast<std::size_t>(position) < people.size() ? people[position]
                                                              : kComparisonPatient;
  }
};

// Whether and how to regroup (groups 0: not): for packed records in the vector loop, when the
// table is larger than a core's L2 would hold beside the events passing through, and the
// records put aside fit 32 bits (4 for the kind, the day in the data range, the id's place).
template <class Lookup>
RegroupPlan regroup_plan(const UtilisationRequest& request, const Lookup& lookup) {
  RegroupPlan plan;
#if defined(__x86_64__)
  if constexpr (requires { lookup.tables(); }) {
    const auto tables = lookup.tables();
    using Word = std::remove_cvref_t<decltype(*tables.clients)>;
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

// Counts every event into one histogram (per chunk, then added up in chunk order: integer
// sums, so the same for any thread count), per person into `person_counts` when asked, and
// collects the comparison pool's event rows when asked.
template <class Lookup>
std::vector<std::int64_t> tally_all(const UtilisationRequest& request, const Layout& layout,
                                    const Lookup& lookup, std::span<std::int64_t> person_counts,
                                    std::vector<std::int64_t>& other_rows) {
  const std::size_t rows = request.events.rows();
  const unsigned threads = resolve_threads(request.threads);
  const std::size_t chunk = tally_chunk_rows(rows, threads);
  std::vector<ChunkTally> chunks((rows + chunk - 1) / chunk,
                                 ChunkTally(layout, person_counts.size()));
  const RegroupPlan plan = regroup_plan(request, lookup);
  if (request.ticks_per_day && !plan.groups) throw NeedsDays{};
  for_each_chunk(rows, chunk, threads, [&](std::size_t c, std::size_t begin, std::size_t end) {
#if defined(__x86_64__)
    if constexpr (requires { lookup.tables(); })
      if (plan.groups) {
        if (layout.windows == 2)
          return tally_regrouped<2>(request, layout, begin, end, lookup, plan, chunks[c]);
        return tally_regrouped<0>(request, layout, begin, end, lookup, plan, chunks[c]);
      }
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

// Counts through the dense lookup when the ids allow it (it also rejects repeated ids).
template <class Record>
bool tally_dense(const UtilisationRequest& request, const Layout& layout, const People& people,
                 Record record, UtilisationResult& result, std::vector<std::int64_t>& histogram) {
  const DensePeople<Record> dense(request, people, record);
  if (!dense.usable()) return false;
  histogram = tally_all(request, layout, dense, result.counts, result.other_rows);
  return true;
}

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

}  // namespace

namespace {

UtilisationResult count(const UtilisationRequest& request) {
  validate_request(request);
  const Layout layout(request);
  UtilisationResult result;
  result.windows = request.windows;
  result.groups =
      request.per_person ? static_cast<std::int32_t>(request.clients.rows()) : request.groups;
  const std::size_t cells = layout.windows * result.groups * kEventKinds * 2;
  result.counts.resize(cells);
  for_each_chunk(cells, 1 << 22, request.threads,
                 [&](std::size_t, std::size_t begin, std::size_t end) {
                   std::fill(result.counts.begin() + begin, result.counts.begin() + end,
                             0);  // pages touched in parallel
                 });
  result.clients_included.assign(layout.windows * result.groups, 0);
  result.excluded.assign(layout.windows, {});
  result.events.assign(layout.windows, {});
  result.events_total = static_cast<std::int64_t>(request.events.rows());

  const People people = place_people(request, layout, result);
  std::vector<std::int64_t> histogram;
  const auto ids = request.clients.client_id;
  const bool rows_in_id_order = std::adjacent_find(ids.begin(), ids.end(), [](auto a, auto b) {
                                  return b != a + 1;
                                }) == ids.end();
  const PackedRecord<std::uint16_t> small(request, layout, rows_in_id_order);
  const PackedRecord<std::uint32_t> medium(request, layout, rows_in_id_order);
  const bool dense = small.fits ? tally_dense(request, layout, people, small, result, histogram)
                     : medium.fits
                         ? tally_dense(request, layout, people, medium, result, histogram)
                         : tally_dense(request, layout, people, FullRecord{}, result, histogram);
  if (!dense) {
    const IdIndex index({{"clients", "client_id", request.clients.client_id},
                         {"comparison", "patient_id", request.other_ids}});
    histogram =
        tally_all(request, layout, HashedPeople{index, people}, result.counts, result.other_rows);
  }
  if (request.per_person) spread_person_counts(request, layout, people, result);
  read_histogram(layout, histogram, result);
  complete_window_events(result);
  return result;
}

}  // namespace

UtilisationResult count_utilisation(const UtilisationRequest& request) {
  if (request.ticks_per_day == 0) return count(request);
  try {
    return count(request);
  } catch (const NeedsDays&) {
  }
  std::vector<Days> days(request.event_ticks.size());
  days_from_ticks(request.event_ticks, request.ticks_per_day, days, request.threads);
  UtilisationRequest by_days = request;
  by_days.events.date = days;
  by_days.event_ticks = {};
  by_days.ticks_per_day = 0;
  return count(by_days);
}

}  // namespace socialrx
