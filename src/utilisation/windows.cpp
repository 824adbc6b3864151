#include "socialrx/utilisation/windows.hpp"

#include <algorithm>
#include <limits>
#include <vector>

#include "detail/id_index.hpp"
#include "detail/memory.hpp"
#include "detail/parallel.hpp"
#include "socialrx/core/dates.hpp"
#include "utilisation/counting.hpp"
#include "utilisation/lookups.hpp"

namespace socialrx {

namespace {

using namespace detail::utilisation;

// Counts through one lookup, with the dates as the plan decided before counting: events given
// as ticks are turned into days as they pass only by the regrouped vector loop; for any other
// counting they are turned into days all at once first, and counted as days.
template <class Lookup>
std::vector<std::int64_t> tally_planned(const UtilisationRequest& request, const Layout& layout,
                                        const Lookup& lookup, UtilisationResult& result) {
  const RegroupPlan plan = plan_regrouping(request, lookup);
  if (request.ticks_per_day == 0 || plan.groups)
    return tally_all(request, layout, lookup, plan, result.counts, result.other_rows);
  std::vector<Days> days(request.event_ticks.size());
  days_from_ticks(request.event_ticks, request.ticks_per_day, days, request.threads);
  UtilisationRequest by_days = request;
  by_days.events.date = days;
  by_days.event_ticks = {};
  by_days.ticks_per_day = 0;
  return tally_all(by_days, layout, lookup, plan_regrouping(by_days, lookup), result.counts,
                   result.other_rows);
}

// Counts through the dense lookup when the ids allow it (it also rejects repeated ids).
template <class Record>
bool tally_dense(const UtilisationRequest& request, const Layout& layout, const People& people,
                 Record record, UtilisationResult& result, std::vector<std::int64_t>& histogram) {
  const DensePeople<Record> dense(request, people, record);
  if (!dense.usable()) return false;
  histogram = tally_planned(request, layout, dense, result);
  return true;
}

// An estimate of the large tables' bytes: the counts, a Person per client, the id lookup (a
// dense table of up to 9 records a client, or the hashed index, and a comparison patient's
// bits or slot), a histogram per thread, and the events' days when they come as ticks.
std::uint64_t table_bytes(const UtilisationRequest& request, const Layout& layout,
                          std::uint64_t cells) {
  const std::uint64_t clients = request.clients.rows(), others = request.other_ids.size();
  const std::uint64_t threads = detail::resolve_threads(request.threads);
  return cells * sizeof(std::int64_t) + clients * 10 * sizeof(Person) + others * 16 +
         threads * layout.histogram_cells() * sizeof(std::int64_t) +
         (request.ticks_per_day != 0 ? request.event_ticks.size() * sizeof(Days) : 0);
}

}  // namespace

UtilisationResult count_utilisation(const UtilisationRequest& request) {
  validate_request(request);
  const Layout layout(request);
  UtilisationResult result;
  result.windows = request.windows;
  result.groups =
      request.per_person ? static_cast<std::int32_t>(request.clients.rows()) : request.groups;
  const std::size_t cells = layout.windows * result.groups * kEventKinds * 2;
  detail::require_memory("counting utilisation", table_bytes(request, layout, cells));
  result.counts.resize(cells);
  detail::for_each_chunk(cells, 1 << 22, request.threads,
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
  const bool rows_in_id_order =
      std::adjacent_find(ids.begin(), ids.end(), [](auto a, auto b) {
        // a == INT64_MAX has no successor (and a + 1 would overflow)
        return a == std::numeric_limits<std::int64_t>::max() || b != a + 1;
      }) == ids.end();
  const PackedRecord<std::uint16_t> small(request, layout, rows_in_id_order);
  const PackedRecord<std::uint32_t> medium(request, layout, rows_in_id_order);
  const bool dense = small.fits ? tally_dense(request, layout, people, small, result, histogram)
                     : medium.fits
                         ? tally_dense(request, layout, people, medium, result, histogram)
                         : tally_dense(request, layout, people, FullRecord{}, result, histogram);
  if (!dense) {
    const detail::IdIndex index({{"clients", "client_id", request.clients.client_id},
                                 {"comparison", "patient_id", request.other_ids}});
    histogram = tally_planned(request, layout, HashedPeople{index, people}, result);
  }
  if (request.per_person) spread_person_counts(request, layout, people, result);
  read_histogram(layout, histogram, result);
  complete_window_events(result);
  return result;
}

}  // namespace socialrx
