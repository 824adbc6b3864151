#pragma once
// High-intensity-user rules: a person qualifies when they had at least `at_least` events of
// one kind inside some window of `window_days` consecutive days.
//
// Edges, exactly: a window of D days starting on day t holds the days t .. t+D-1 (both
// inclusive). Events on days t and t+D-1 fall in one window; events on days t and t+D do not.
// Several events on one day all count. "More than N" is at_least = N + 1.
//
// Presets (all A&E attendances):
//   ae_5_in_365  at least 5 in 365 days (the common local definition)
//   nhse_month   NHS England's "more than 5 in a month": at least 6 in 30 days (a month is
//                taken as 30 days, so that a window never depends on which month it starts in)
//   nhse_year    NHS England's "more than 20 in a year": at least 21 in 365 days
// A person meeting either NHS England rule is a high-intensity user in that definition.
#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "socialrx/model/tables.hpp"

namespace socialrx {

struct HiuRule {
  EventKind kind = EventKind::ae_attendance;
  std::int32_t at_least = 5;
  Days window_days = 365;
};

struct HiuPreset {
  std::string_view name;
  HiuRule rule;
};

inline constexpr std::array<HiuPreset, 3> kHiuPresets{{
    {"ae_5_in_365", {EventKind::ae_attendance, 5, 365}},
    {"nhse_month", {EventKind::ae_attendance, 6, 30}},
    {"nhse_year", {EventKind::ae_attendance, 21, 365}},
}};

// InputError naming the preset and the known ones when there is no such preset.
HiuRule hiu_preset(std::string_view name);

// One row per person, in the order of the people column.
struct HiuResult {
  std::vector<std::int32_t> best_window;    // most events of the kind in any one window
  std::vector<std::uint8_t> qualifies;      // best_window >= at_least
  std::vector<Days> first_qualifying_date;  // the day the at_least-th event in a window fell;
                                            // kNoDate when the person never qualifies
  std::int64_t events_of_kind = 0;          // events the rule looked at
  std::int64_t events_of_other_kinds = 0;   // the rest, counted so that none goes unreported
};

// Events may be in any order. Each event's person must be in `people` (InputError naming the
// event row otherwise); ids in `people` must be unique. The result is the same for any
// thread count.
HiuResult high_intensity_users(Column<std::int64_t> people, const EventsView& events,
                               const HiuRule& rule, unsigned threads = 0);

}  // namespace socialrx
