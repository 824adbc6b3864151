#include "socialrx/utilisation/windows.hpp"

#include <algorithm>
#include <limits>
#include <memory>
#include <type_traits>
#include <variant>
#include <vector>

#include "detail/id_index.hpp"
#include "detail/memory.hpp"
#include "detail/parallel.hpp"
#include "socialrx/core/dates.hpp"
#include "utilisation/counting.hpp"
#include "utilisation/lookups.hpp"

namespace socialrx::detail::utilisation {

namespace {

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

// The bytes of the people's tables: a Person per client, the id lookup (a dense table of up to
// 9 records a client, or the hashed index) and a comparison patient's bits or slot.
std::uint64_t people_bytes(const UtilisationRequest& request) {
  return request.clients.rows() * 10 * sizeof(Person) + request.other_ids.size() * 16;
}

// The bytes of a count's tables: the counts, a histogram per thread, and the events' days
// when they come as ticks.
std::uint64_t count_bytes(const UtilisationRequest& request, const Layout& layout,
                          std::uint64_t cells) {
  const std::uint64_t threads = detail::resolve_threads(request.threads);
  return cells * sizeof(std::int64_t) + threads * layout.histogram_cells() * sizeof(std::int64_t) +
         (request.ticks_per_day != 0 ? request.event_ticks.size() * sizeof(Days) : 0);
}

bool rows_in_id_order(Column<std::int64_t> ids) {
  return std::adjacent_find(ids.begin(), ids.end(), [](auto a, auto b) {
           // a == INT64_MAX has no successor (and a + 1 would overflow)
           return a == std::numeric_limits<std::int64_t>::max() || b != a + 1;
         }) == ids.end();
}

// The id -> Person lookup the events are counted through: a dense table of the narrowest
// record that fits where the ids allow it, else the hashed index.
using Lookup =
    std::variant<DensePeople<PackedRecord<std::uint16_t>>, DensePeople<PackedRecord<std::uint32_t>>,
                 DensePeople<FullRecord>, IdIndex>;

template <std::size_t kDense, class Record>
Lookup dense_or_hashed(const UtilisationRequest& request, const People& people, Record record) {
  Lookup lookup(std::in_place_index<kDense>, request, people, record);
  if (std::get<kDense>(lookup).usable()) return lookup;
  return Lookup(std::in_place_type<IdIndex>,
                std::vector<IdIndex::Part>{{"clients", "client_id", request.clients.client_id},
                                           {"comparison", "patient_id", request.other_ids}});
}

Lookup choose_lookup(const UtilisationRequest& request, const Layout& layout,
                     const People& people) {
  const bool in_order = rows_in_id_order(request.clients.client_id);
  const PackedRecord<std::uint16_t> small(request, layout, in_order);
  const PackedRecord<std::uint32_t> medium(request, layout, in_order);
  return small.fits    ? dense_or_hashed<0>(request, people, small)
         : medium.fits ? dense_or_hashed<1>(request, people, medium)
                       : dense_or_hashed<2>(request, people, FullRecord{});
}

// The people's side of a request, checked (before the layout reads it) and within memory.
const UtilisationRequest& checked_people(const UtilisationRequest& request) {
  validate_people(request);
  detail::require_memory("counting utilisation", people_bytes(request));
  return request;
}

// The people's side of a request without its columns: what is kept of them is placed below.
UtilisationRequest without_columns(UtilisationRequest request) {
  request.clients = {};
  request.client_group = {};
  request.other_ids = {};
  return request;
}

}  // namespace

struct PlacedPeople {
  explicit PlacedPeople(const UtilisationRequest& request)
      : layout(checked_people(request)),
        people(place(request)),
        lookup(choose_lookup(request, layout, people)),
        settings(without_columns(request)) {}

  // Fills in the people's part of `placed` (who is in each window, and why not).
  People place(const UtilisationRequest& request) {
    placed.windows = request.windows;
    placed.groups =
        request.per_person ? static_cast<std::int32_t>(request.clients.rows()) : request.groups;
    placed.clients_included.assign(layout.windows * placed.groups, 0);
    placed.excluded.assign(layout.windows, {});
    return place_people(request, layout, placed);
  }

  Layout layout;
  UtilisationResult placed;  // declared before `people`: place() fills it
  People people;
  Lookup lookup;
  UtilisationRequest settings;
};

}  // namespace socialrx::detail::utilisation

namespace socialrx {

UtilisationCounter::UtilisationCounter(const UtilisationRequest& people)
    : placed_(std::make_unique<const detail::utilisation::PlacedPeople>(people)) {}
UtilisationCounter::~UtilisationCounter() = default;
UtilisationCounter::UtilisationCounter(UtilisationCounter&&) noexcept = default;
UtilisationCounter& UtilisationCounter::operator=(UtilisationCounter&&) noexcept = default;

const std::vector<Days>& UtilisationCounter::windows() const {
  return placed_->placed.windows;
}
std::int32_t UtilisationCounter::groups() const {
  return placed_->placed.groups;
}
bool UtilisationCounter::per_person() const {
  return placed_->settings.per_person;
}

UtilisationResult UtilisationCounter::count(const UtilisationRequest& part) const {
  using namespace detail::utilisation;
  const PlacedPeople& placed = *placed_;
  UtilisationRequest request = placed.settings;
  request.events = part.events;
  request.event_ticks = part.event_ticks;
  request.ticks_per_day = part.ticks_per_day;
  request.threads = part.threads;
  request.collect_other_rows = part.collect_other_rows;
  validate_events(request);
  const Layout& layout = placed.layout;
  UtilisationResult result = placed.placed;
  const std::size_t cells = layout.windows * result.groups * kEventKinds * 2;
  detail::require_memory("counting utilisation", count_bytes(request, layout, cells));
  result.counts.resize(cells);
  detail::for_each_chunk(cells, 1 << 22, request.threads,
                         [&](std::size_t, std::size_t begin, std::size_t end) {
                           std::fill(result.counts.begin() + begin, result.counts.begin() + end,
                                     0);  // pages touched in parallel
                         });
  result.events.assign(layout.windows, {});
  result.events_total = static_cast<std::int64_t>(request.events.rows());
  const std::vector<std::int64_t> histogram = std::visit(
      [&](const auto& lookup) {
        if constexpr (std::is_same_v<std::decay_t<decltype(lookup)>, detail::IdIndex>)
          return tally_planned(request, layout, HashedPeople{lookup, placed.people}, result);
        else
          return tally_planned(request, layout, lookup, result);
      },
      placed.lookup);
  if (request.per_person) spread_person_counts(request, layout, placed.people, result);
  read_histogram(layout, histogram, result);
  complete_window_events(result);
  return result;
}

UtilisationResult count_utilisation(const UtilisationRequest& request) {
  return UtilisationCounter(request).count(request);
}

}  // namespace socialrx
