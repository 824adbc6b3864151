#include "socialrx/utilisation/windows.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>

#include "socialrx/core/id_index.hpp"
#include "socialrx/core/parallel.hpp"

namespace socialrx {

namespace {

constexpr std::size_t kMaxWindows = 6;
constexpr std::int32_t kMaxGroups = (1 << 24) - 1;

// Who an event's id belongs to. The values index the per-chunk event classes, where 0
// is "outside the data range" (an unknown id never reaches that count: it is an error).
enum Role : std::uint8_t { kUnknown = 0, kComparison = 1, kUnconnected = 2, kConnected = 3 };

// What the event loop needs of a person, in 8 bytes so that one load fetches it.
struct Person {
  Days index;
  std::uint32_t group : 24;    // the client's group, or its row when counting per person
  std::uint32_t included : 6;  // bit w set: the client counts in window w
  std::uint32_t role : 2;      // a Role
};
static_assert(sizeof(Person) == 8);
constexpr Person kNobody{kNoDate, 0, 0, kUnknown};

void validate_request(const UtilisationRequest& request) {
  validate(request.clients);
  validate(request.events);
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

// One Person per row of clients then comparison; counts who is in each window and why not.
std::vector<Person> place_people(const UtilisationRequest& request, UtilisationResult& result) {
  const auto& clients = request.clients;
  std::vector<Person> people(clients.rows() + request.other_ids.size(),
                             Person{kNoDate, 0, 0, kComparison});
  for (std::size_t row = 0; row < clients.rows(); ++row) {
    const Days index = clients.index_date[row];
    const std::int32_t group = request.per_person             ? static_cast<std::int32_t>(row)
                               : request.client_group.empty() ? 0
                                                              : request.client_group[row];
    std::uint32_t included = 0;
    for (std::size_t w = 0; w < request.windows.size(); ++w) {
      const Days days = request.windows[w];
      auto& excluded = result.excluded[w];
      if (index == kNoDate) {
        ++excluded.not_connected;
      } else if (index - days < request.data_start) {
        ++excluded.starts_before_data;
      } else if (index + days > request.data_end) {
        ++excluded.ends_after_data;
      } else {
        included |= 1u << w;
        ++result.clients_included[w * result.groups + group];
      }
    }
    people[row] = {index, static_cast<std::uint32_t>(group), included,
                   index == kNoDate ? kUnconnected : kConnected};
  }
  return people;
}

// Per-chunk tallies, merged into the result under a lock (integer sums: order-free).
// Events of connected clients in the data range are also counted by the client's window
// pattern (which windows include the client) and whether they fall on the index day: one
// increment per event, from which the per-window exclusions follow at merge time.
struct Tally {
  Tally(std::size_t cells, std::size_t windows)
      : counts(cells), by_pattern(std::size_t{2} << windows), windows(windows) {}
  std::vector<std::int64_t> counts;
  std::vector<std::int64_t> by_pattern;  // [pattern][on the index day]
  std::size_t windows;
  std::int64_t by_class[4] = {};  // [Role], with 0 for events outside the data range

  void merge_into(UtilisationResult& result) const {
    for (std::size_t i = 0; i < counts.size(); ++i) result.counts[i] += counts[i];
    for (std::size_t pattern = 0; pattern < by_pattern.size() / 2; ++pattern)
      for (std::size_t w = 0; w < windows; ++w) {
        if (pattern >> w & 1u) {
          result.events[w].on_index_day += by_pattern[2 * pattern + 1];
        } else {
          result.events[w].of_excluded_clients +=
              by_pattern[2 * pattern] + by_pattern[2 * pattern + 1];
        }
      }
    result.events_outside_data += by_class[0];
    result.events_of_other_people += by_class[kComparison];
    result.events_of_unconnected += by_class[kUnconnected];
  }
};

[[noreturn]] void unknown_person(const EventsView& events, std::size_t row) {
  throw InputError("events", "person_id", static_cast<std::int64_t>(row),
                   "id " + std::to_string(events.person_id[row]) +
                       " is in neither the clients nor the comparison table");
}

// The event loop, over any id -> Person lookup, a block at a time: first the lookups alone
// (a tight loop, so that the core keeps many cache misses in flight), then the counting over
// the block from L1. Counting is branch-free (where an event goes is data-dependent and
// unpredictable); counters are locals so that they cannot alias the inputs. kWindows > 0
// fixes the window count at compile time; 0 takes it from the request. kShared: counts is
// the result's own (per-person) array, shared by the threads, so it is added to atomically.
template <std::size_t kWindows, bool kShared, class Lookup>
void tally_events(const UtilisationRequest& request, std::size_t begin, std::size_t end,
                  const Lookup& lookup, std::int64_t* counts, Tally& tally) {
  constexpr std::size_t kBlock = 256;
  const EventsView& events = request.events;
  const Days* dates = events.date.data();
  const std::uint8_t* kinds = events.kind.data();
  const Days start = request.data_start, stop = request.data_end;
  const std::size_t windows = kWindows ? kWindows : request.windows.size();
  const std::size_t groups = request.per_person ? request.clients.rows() : request.groups;
  const std::size_t window_stride = groups * kEventKinds * 2;
  Days window_days[kMaxWindows];
  std::copy(request.windows.begin(), request.windows.end(), window_days);
  std::int64_t* by_pattern = tally.by_pattern.data();
  Person block[kBlock];
  for (std::size_t first = begin; first < end; first += kBlock) {
    const std::size_t size = std::min(kBlock, end - first);
    for (std::size_t i = 0; i < size; ++i) block[i] = lookup(events.person_id[first + i]);
    for (std::size_t i = 0; i < size; ++i) {
      const std::size_t row = first + i;
      const Person person = block[i];
      if (person.role == kUnknown) [[unlikely]]
        unknown_person(events, row);
      check_event_row(events, row);
      const Days date = dates[row];
      const bool in_range = (date >= start) & (date <= stop);
      ++tally.by_class[in_range * person.role];
      const bool counted = in_range & (person.role == kConnected);
      const std::int64_t offset = std::int64_t{date} - person.index;  // no int32 overflow
      const std::int64_t distance = offset < 0 ? -offset : offset;
      const std::size_t cell = (person.group * kEventKinds + kinds[row]) * 2 + (offset > 0);
      for (std::size_t w = 0; w < windows; ++w) {
        const bool in_window =
            (person.included >> w & 1u) & counted & (offset != 0) & (distance <= window_days[w]);
        if constexpr (kShared) {
          if (in_window)
            std::atomic_ref(counts[w * window_stride + cell])
                .fetch_add(1, std::memory_order_relaxed);
        } else {
          counts[w * window_stride + cell] += in_window;
        }
      }
      by_pattern[2 * person.included + (offset == 0)] += counted;
    }
  }
}

// Ids numbered in a narrow range per table (the usual case: clients numbered from 1, a
// comparison pool from some offset): one dense array of Person per table, indexed by
// id - min, small enough to stay in cache. Ids that are already consecutive and in order
// index the people array itself. Unusable when a table's ids are scattered or the two
// tables' ranges interleave.
class DensePeople {
 public:
  DensePeople(const UtilisationRequest& request, const std::vector<Person>& people) {
    const Column<std::int64_t> parts[] = {request.clients.client_id, request.other_ids};
    const Person* next = people.data();
    for (std::size_t part = 0; part < 2; ++part) {
      usable_ = usable_ && segments_[part].fill(parts[part], next);
      next += parts[part].size();
    }
    usable_ = usable_ && !segments_[0].overlaps(segments_[1]);
    if (usable_ && (segments_[0].repeats || segments_[1].repeats))
      IdIndex({{"clients", "client_id", parts[0]}, {"comparison", "patient_id", parts[1]}});
  }
  bool usable() const { return usable_; }
  // One load from an address chosen by the id's range alone (selects, not branches), so the
  // load issues as soon as the id is read.
  Person operator()(std::int64_t id) const {
    const Segment& first = segments_[0];
    const Segment& second = segments_[1];
    const std::uint64_t in_first = first.offset(id), in_second = second.offset(id);
    const Person* at = in_second < second.size ? second.base + in_second : &kNobody;
    return *(in_first < first.size ? first.base + in_first : at);
  }

 private:
  struct Segment {
    std::int64_t min = 0;
    std::uint64_t size = 0;
    const Person* base = nullptr;
    std::vector<Person> own;  // when the ids are not consecutive
    bool repeats = false;

    std::uint64_t offset(std::int64_t id) const {
      return static_cast<std::uint64_t>(id) - static_cast<std::uint64_t>(min);
    }
    bool fill(Column<std::int64_t> ids, const Person* people) {
      if (ids.empty()) return true;
      const auto [lo, hi] = std::minmax_element(ids.begin(), ids.end());
      min = *lo;
      size = offset(*hi) + 1;
      if (size > 8 * static_cast<std::uint64_t>(ids.size()) + (1u << 20)) return false;
      bool consecutive = size == ids.size();
      for (std::size_t row = 0; consecutive && row < ids.size(); ++row)
        consecutive = offset(ids[row]) == row;
      if (consecutive) {
        base = people;
        return true;
      }
      own.assign(size, kNobody);
      std::size_t filled = 0;
      for (std::size_t row = 0; row < ids.size(); ++row) {
        Person& slot = own[offset(ids[row])];
        filled += slot.role == kUnknown;
        slot = people[row];
      }
      repeats = filled != ids.size();
      base = own.data();
      return true;
    }
    bool overlaps(const Segment& other) const {
      return size > 0 && other.size > 0 && min < other.min + std::int64_t(other.size) &&
             other.min < min + std::int64_t(size);
    }
  };

  Segment segments_[2];
  bool usable_ = true;
};

// Scattered ids: the hashed IdIndex, then the Person at that position.
struct HashedPeople {
  const IdIndex& index;
  const std::vector<Person>& people;
  Person operator()(std::int64_t id) const {
    const std::int32_t position = index.find(id);
    return position == IdIndex::kAbsent ? kNobody : people[position];
  }
};

template <class Lookup>
void tally_all(const UtilisationRequest& request, const Lookup& lookup, UtilisationResult& result) {
  std::mutex merge_mutex;
  const std::size_t rows = request.events.rows();
  const unsigned threads = resolve_threads(request.threads);
  const std::size_t chunk = std::max<std::size_t>(1 << 18, rows / (4 * threads) + 1);
  for_each_chunk(rows, chunk, threads, [&](std::size_t, std::size_t begin, std::size_t end) {
    // Per-group counts are small: each chunk keeps its own. Per-person ones are not.
    Tally tally(request.per_person ? 0 : result.counts.size(), request.windows.size());
    if (request.per_person) {
      tally_events<0, true>(request, begin, end, lookup, result.counts.data(), tally);
    } else if (request.windows.size() == 1) {
      tally_events<1, false>(request, begin, end, lookup, tally.counts.data(), tally);
    } else if (request.windows.size() == 2) {
      tally_events<2, false>(request, begin, end, lookup, tally.counts.data(), tally);
    } else {
      tally_events<0, false>(request, begin, end, lookup, tally.counts.data(), tally);
    }
    std::lock_guard lock(merge_mutex);
    tally.merge_into(result);
  });
}

// pre and post from the counts; outside_window is what is left of the in-range events of
// connected clients.
void complete_window_events(UtilisationResult& result) {
  const std::int64_t connected_in_range = result.events_total - result.events_outside_data -
                                          result.events_of_other_people -
                                          result.events_of_unconnected;
  const std::size_t per_window = result.counts.size() / result.windows.size();
  for (std::size_t w = 0; w < result.windows.size(); ++w) {
    WindowEvents& seen = result.events[w];
    for (std::size_t i = 0; i < per_window; i += 2) {
      seen.pre += result.counts[w * per_window + i];
      seen.post += result.counts[w * per_window + i + 1];
    }
    seen.outside_window =
        connected_in_range - seen.pre - seen.post - seen.on_index_day - seen.of_excluded_clients;
  }
}

}  // namespace

UtilisationResult count_utilisation(const UtilisationRequest& request) {
  validate_request(request);
  const std::size_t windows = request.windows.size();
  UtilisationResult result;
  result.windows = request.windows;
  result.groups =
      request.per_person ? static_cast<std::int32_t>(request.clients.rows()) : request.groups;
  result.counts.assign(windows * result.groups * kEventKinds * 2, 0);
  result.clients_included.assign(windows * result.groups, 0);
  result.excluded.assign(windows, {});
  result.events.assign(windows, {});
  result.events_total = static_cast<std::int64_t>(request.events.rows());

  const std::vector<Person> people = place_people(request, result);
  if (const DensePeople dense(request, people); dense.usable()) {
    tally_all(request, dense, result);  // also rejects repeated ids
  } else {
    const IdIndex index({{"clients", "client_id", request.clients.client_id},
                         {"comparison", "patient_id", request.other_ids}});
    tally_all(request, HashedPeople{index, people}, result);
  }
  complete_window_events(result);
  return result;
}

}  // namespace socialrx
