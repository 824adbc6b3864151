#include "socialrx/risk/hiu.hpp"

#include <algorithm>
#include <string>

#include "detail/id_index.hpp"
#include "detail/parallel.hpp"

namespace socialrx {

HiuRule hiu_preset(std::string_view name) {
  std::string known;
  for (const auto& preset : kHiuPresets) {
    if (preset.name == name) return preset.rule;
    known += (known.empty() ? "" : ", ") + std::string(preset.name);
  }
  throw InputError("hiu", "rule", kNoRow,
                   "unknown preset '" + std::string(name) + "' (known: " + known + ")");
}

namespace {

void validate_rule(const HiuRule& rule) {
  if (static_cast<std::size_t>(rule.kind) >= kEventKinds)
    throw InputError("hiu", "kind", kNoRow, "unknown event kind");
  if (rule.at_least < 1)
    throw InputError("hiu", "at_least", kNoRow,
                     "must be at least 1, got " + std::to_string(rule.at_least));
  if (rule.window_days < 1)
    throw InputError("hiu", "window_days", kNoRow,
                     "must be at least 1, got " + std::to_string(rule.window_days));
}

}  // namespace

HiuResult high_intensity_users(Column<std::int64_t> people, const EventsView& events,
                               const HiuRule& rule, unsigned threads) {
  validate_rule(rule);
  validate(events);
  const detail::IdIndex index("people", "person_id", people);
  const std::size_t persons = people.size();
  const auto kind = static_cast<std::uint8_t>(rule.kind);

  // Counting sort of the rule's events by person position: CSR offsets, then dates in place.
  HiuResult result;
  std::vector<std::int32_t> position(events.rows());
  std::vector<std::int64_t> offsets(persons + 1, 0);
  for (std::size_t row = 0; row < events.rows(); ++row) {
    check_event_row(events, row);
    const std::int32_t at = index.find(events.person_id[row]);
    if (at == detail::IdIndex::kAbsent)
      throw InputError("events", "person_id", static_cast<std::int64_t>(row),
                       "id " + std::to_string(events.person_id[row]) + " is not among the people");
    position[row] = events.kind[row] == kind ? at : detail::IdIndex::kAbsent;
    if (events.kind[row] == kind) ++offsets[at + 1];
  }
  for (std::size_t p = 0; p < persons; ++p) offsets[p + 1] += offsets[p];
  result.events_of_kind = offsets[persons];
  result.events_of_other_kinds = static_cast<std::int64_t>(events.rows()) - offsets[persons];
  std::vector<Days> dates(static_cast<std::size_t>(offsets[persons]));
  {
    std::vector<std::int64_t> next(offsets.begin(), offsets.end() - 1);
    for (std::size_t row = 0; row < events.rows(); ++row)
      if (position[row] != detail::IdIndex::kAbsent)
        dates[next[position[row]]++] = events.date[row];
  }

  result.best_window.assign(persons, 0);
  result.qualifies.assign(persons, 0);
  result.first_qualifying_date.assign(persons, kNoDate);
  detail::for_each_chunk(
      persons, 1 << 14, threads, [&](std::size_t, std::size_t begin, std::size_t end) {
        for (std::size_t p = begin; p < end; ++p) {
          const auto first = dates.begin() + offsets[p], last = dates.begin() + offsets[p + 1];
          std::sort(first, last);
          // Window ending on event j's day: events on days > date[j] - D; the window count at j
          // includes every earlier event that day, and its later ones are counted at their own j.
          std::int32_t best = 0;
          auto start = first;
          for (auto event = first; event != last; ++event) {
            while (*start <= *event - rule.window_days) ++start;
            const auto in_window = static_cast<std::int32_t>(event - start + 1);
            best = std::max(best, in_window);
            if (in_window >= rule.at_least && result.first_qualifying_date[p] == kNoDate)
              result.first_qualifying_date[p] = *event;
          }
          result.best_window[p] = best;
          result.qualifies[p] = best >= rule.at_least;
        }
      });
  return result;
}

}  // namespace socialrx
