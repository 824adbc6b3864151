#pragma once
// Counts of health-service use in windows of D days before and after each client's index
// date, by client group (practice, locality, ... or one group for the whole service).
//
// pre  = index - D <= date < index;  post = index < date <= index + D.
// Events on the index day fall in neither window and are counted apart. A client counts in a
// window only when the data cover it: data_start <= index - D and index + D <= data_end.
#include <cstdint>
#include <memory>
#include <vector>

#include "socialrx/core/large_table.hpp"
#include "socialrx/model/event_kinds.hpp"
#include "socialrx/model/tables.hpp"

namespace socialrx {

enum class Side : std::uint8_t { pre = 0, post = 1 };

struct UtilisationRequest {
  ClientsView clients;
  EventsView events;
  Column<std::int32_t> client_group;  // empty: every client in group 0
  std::int32_t groups = 1;            // at most 2^24 - 1
  bool per_person = false;            // every client its own group (its row); no client_group
  bool before_only = false;         // per person: only the pre side is counted (post counts stay 0)
  Column<std::int64_t> other_ids;   // comparison pool: their events are counted apart
  bool collect_other_rows = false;  // their events' rows in the data range, in the result
  Days data_start = kNoDate;
  Days data_end = kNoDate;
  std::vector<Days> windows;  // lengths in days; at most 6
  unsigned threads = 0;       // 0: all hardware threads
  // The events' dates as timestamps instead (events.date then empty): ticks since 1970 (numpy
  // datetime64), ticks_per_day of them a day, kMissingTicks for none. They are turned into days
  // as the events pass when the counting allows it, all at once before it otherwise.
  Column<std::int64_t> event_ticks;
  std::int64_t ticks_per_day = 0;
};

// Why a client is left out of a window; each client is counted under its first reason.
struct WindowExclusions {
  std::int64_t not_connected = 0;       // no index date
  std::int64_t starts_before_data = 0;  // index - D < data_start
  std::int64_t ends_after_data = 0;     // index + D > data_end
};

// Where each event of a connected client inside the data range went, for one window.
struct WindowEvents {
  std::int64_t pre = 0;
  std::int64_t post = 0;
  std::int64_t on_index_day = 0;
  std::int64_t outside_window = 0;
  std::int64_t of_excluded_clients = 0;
};

struct UtilisationResult {
  std::vector<Days> windows;
  std::int32_t groups = 1;  // at most 65535
  // [group][kind][side][window]: a person's windows side by side, so that counting per person
  // touches one cache line per event. cell() gives the position.
  LargeTable<std::int64_t> counts;
  std::vector<std::int64_t> clients_included;  // [window][group]
  std::vector<WindowExclusions> excluded;      // [window]
  std::vector<WindowEvents> events;            // [window]
  std::int64_t events_total = 0;
  std::int64_t events_outside_data = 0;     // date outside [data_start, data_end]
  std::int64_t events_of_unconnected = 0;   // clients with no index date
  std::int64_t events_of_other_people = 0;  // ids in other_ids
  std::vector<std::int64_t> other_rows;     // collect_other_rows: those rows, ascending

  std::size_t cell(std::size_t window, std::size_t group, std::size_t kind,
                   std::size_t side) const {
    return ((group * kEventKinds + kind) * 2 + side) * windows.size() + window;
  }
  std::int64_t count(std::size_t window, std::int32_t group, EventKind kind, Side side) const {
    return counts[cell(window, static_cast<std::size_t>(group), static_cast<std::size_t>(kind),
                       static_cast<std::size_t>(side))];
  }
  std::int64_t included(std::size_t window, std::int32_t group) const {
    return clients_included[window * groups + group];
  }
};

// Validates the request (InputError naming table, column and row) and counts. Events may be
// in any order; the result is the same for any thread count.
UtilisationResult count_utilisation(const UtilisationRequest& request);

namespace detail::utilisation {
struct PlacedPeople;
}

// count_utilisation for many parts of the events against the same people: the people's side
// of the request (clients, groups, comparison ids, data range, windows, per_person,
// before_only) is checked, placed and indexed once, when the counter is made, and each
// count() then costs only its events. The counter copies what it keeps of the people, so
// their columns need not outlive it. count() may be called from several threads at once.
class UtilisationCounter {
 public:
  explicit UtilisationCounter(const UtilisationRequest& people);
  ~UtilisationCounter();
  UtilisationCounter(UtilisationCounter&&) noexcept;
  UtilisationCounter& operator=(UtilisationCounter&&) noexcept;

  // Counts one part: of `part`, only the events' side is read (events, event_ticks,
  // ticks_per_day, threads, collect_other_rows). The same result as count_utilisation of the
  // people's request with these events.
  UtilisationResult count(const UtilisationRequest& part) const;

  // What each count holds: its windows, and its groups (per person, a group a client).
  const std::vector<Days>& windows() const;
  std::int32_t groups() const;
  bool per_person() const;

 private:
  std::unique_ptr<const detail::utilisation::PlacedPeople> placed_;
};

}  // namespace socialrx
