// Planning the count: the request checked, the histogram laid out, each client placed in it.
#include <numeric>

#include "utilisation/counting.hpp"

namespace socialrx::detail::utilisation {

Layout::Layout(const UtilisationRequest& request)

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

void validate_events(const UtilisationRequest& request) {
  if (request.ticks_per_day == 0) {
    validate(request.events);
  } else {
    require_rows("events", "date", request.event_ticks, request.events.rows());
    require_rows("events", "kind", request.events.kind, request.events.rows());
  }
}

void validate_people(const UtilisationRequest& request) {
  validate(request.clients);
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
  if (std::int64_t{request.data_end} - request.data_start > kLongestDataRangeDays)
    throw InputError("evaluation", "data_end", kNoRow,
                     "the data range is longer than " + std::to_string(kLongestDataRangeDays) +
                         " days (1900 to 2100)");
  if (request.windows.empty() || request.windows.size() > kMaxWindows)
    throw InputError("evaluation", "windows", kNoRow,
                     "between 1 and " + std::to_string(kMaxWindows) + " windows are needed");
  for (Days days : request.windows)
    if (days < 1)
      throw InputError("evaluation", "windows", kNoRow,
                       "a window must be at least one day, got " + std::to_string(days));
}

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

}  // namespace socialrx::detail::utilisation
