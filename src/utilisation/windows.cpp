#include "socialrx/utilisation/windows.hpp"

#include <mutex>

#include "socialrx/core/id_index.hpp"
#include "socialrx/core/parallel.hpp"

namespace socialrx {

namespace {

constexpr std::size_t kMaxWindows = 32;

// What the event loop needs of a client, packed so that one load fetches it.
struct ClientWindows {
  Days index;
  std::int32_t group;
  std::uint32_t included;  // bit w set: the client counts in window w
};

void validate_request(const UtilisationRequest& request) {
  validate(request.clients);
  validate(request.events);
  const auto rows = request.clients.rows();
  require_rows_if_given("clients", "group", request.client_group, rows);
  if (request.groups < 1) throw InputError("clients", "group", kNoRow, "needs at least one group");
  for (std::size_t row = 0; row < request.client_group.size(); ++row)
    if (request.client_group[row] < 0 || request.client_group[row] >= request.groups)
      throw InputError("clients", "group", static_cast<std::int64_t>(row),
                       "group code " + std::to_string(request.client_group[row]) +
                           " outside 0.." + std::to_string(request.groups - 1));
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

std::vector<ClientWindows> place_clients(const UtilisationRequest& request,
                                         UtilisationResult& result) {
  const auto& clients = request.clients;
  std::vector<ClientWindows> placed(clients.rows());
  for (std::size_t row = 0; row < clients.rows(); ++row) {
    const Days index = clients.index_date[row];
    const std::int32_t group = request.client_group.empty() ? 0 : request.client_group[row];
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
        ++result.clients_included[w * request.groups + group];
      }
    }
    placed[row] = {index, group, included};
  }
  return placed;
}

// Per-chunk tallies, merged into the result under a lock (integer sums: order-free).
struct Tally {
  Tally(std::size_t cells, std::size_t windows) : counts(cells), events(windows) {}
  std::vector<std::int64_t> counts;
  std::vector<WindowEvents> events;
  std::int64_t outside_data = 0, unconnected = 0, other_people = 0;

  void merge_into(UtilisationResult& result) const {
    for (std::size_t i = 0; i < counts.size(); ++i) result.counts[i] += counts[i];
    for (std::size_t w = 0; w < events.size(); ++w) {
      auto& to = result.events[w];
      to.pre += events[w].pre;
      to.post += events[w].post;
      to.on_index_day += events[w].on_index_day;
      to.outside_window += events[w].outside_window;
      to.of_excluded_clients += events[w].of_excluded_clients;
    }
    result.events_outside_data += outside_data;
    result.events_of_unconnected += unconnected;
    result.events_of_other_people += other_people;
  }
};

}  // namespace

UtilisationResult count_utilisation(const UtilisationRequest& request) {
  validate_request(request);
  const std::size_t windows = request.windows.size();
  const std::size_t groups = static_cast<std::size_t>(request.groups);
  UtilisationResult result;
  result.windows = request.windows;
  result.groups = request.groups;
  result.counts.assign(windows * groups * kEventKinds * 2, 0);
  result.clients_included.assign(windows * groups, 0);
  result.excluded.assign(windows, {});
  result.events.assign(windows, {});

  const IdIndex people({{"clients", "client_id", request.clients.client_id},
                        {"comparison", "patient_id", request.other_ids}});
  const std::vector<ClientWindows> placed = place_clients(request, result);
  const auto clients = static_cast<std::int32_t>(request.clients.rows());
  const EventsView& events = request.events;
  result.events_total = static_cast<std::int64_t>(events.rows());

  std::mutex merge_mutex;
  const unsigned threads = resolve_threads(request.threads);
  const std::size_t chunk = std::max<std::size_t>(1 << 18, events.rows() / (4 * threads) + 1);
  for_each_chunk(events.rows(), chunk, threads, [&](std::size_t, std::size_t begin, std::size_t end) {
    Tally tally(result.counts.size(), windows);
    for (std::size_t row = begin; row < end; ++row) {
      check_event_row(events, row);
      const std::int32_t person = people.find(events.person_id[row]);
      if (person == IdIndex::kAbsent)
        throw InputError("events", "person_id", static_cast<std::int64_t>(row),
                         "id " + std::to_string(events.person_id[row]) +
                             " is in neither the clients nor the comparison table");
      const Days date = events.date[row];
      if (date < request.data_start || date > request.data_end) {
        ++tally.outside_data;
        continue;
      }
      if (person >= clients) {
        ++tally.other_people;
        continue;
      }
      const ClientWindows& client = placed[person];
      if (client.index == kNoDate) {
        ++tally.unconnected;
        continue;
      }
      const Days offset = date - client.index;
      const std::size_t cell = (client.group * kEventKinds + events.kind[row]) * 2;
      for (std::size_t w = 0; w < windows; ++w) {
        WindowEvents& seen = tally.events[w];
        if (!(client.included >> w & 1u)) {
          ++seen.of_excluded_clients;
        } else if (offset == 0) {
          ++seen.on_index_day;
        } else if (offset < 0 ? -offset <= request.windows[w] : offset <= request.windows[w]) {
          const auto side = static_cast<std::size_t>(offset > 0);
          ++tally.counts[w * groups * kEventKinds * 2 + cell + side];
          ++(side ? seen.post : seen.pre);
        } else {
          ++seen.outside_window;
        }
      }
    }
    std::lock_guard lock(merge_mutex);
    tally.merge_into(result);
  });
  return result;
}

}  // namespace socialrx
