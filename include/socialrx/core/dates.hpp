#pragma once
// Dates are whole days since 1970-01-01 (int32); kNoDate marks a missing date.
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "socialrx/core/error.hpp"

namespace socialrx {

using Days = std::int32_t;
inline constexpr Days kNoDate = std::numeric_limits<Days>::min();

constexpr Days days_from_civil(int year, unsigned month, unsigned day) {
  using namespace std::chrono;
  return static_cast<Days>(
      sys_days{std::chrono::year{year} / month / day}.time_since_epoch().count());
}

constexpr std::chrono::year_month_day civil_from_days(Days days) {
  return std::chrono::year_month_day{std::chrono::sys_days{std::chrono::days{days}}};
}

// Parses YYYY-MM-DD; nullopt for anything else, including impossible dates like 2023-02-30.
std::optional<Days> parse_iso_date(std::string_view text);
std::string format_iso_date(Days days);

// Timestamps counted in ticks since 1970-01-01 (numpy datetime64: ns, us, ms or s) to days,
// rounding down; kMissingTicks (numpy's NaT) becomes kNoDate. out must be as long as ticks.
// Returns the first row that was missing, or kNoRow: a required column is checked in the
// same pass.
inline constexpr std::int64_t kMissingTicks = std::numeric_limits<std::int64_t>::min();
constexpr Days day_of_ticks(std::int64_t ticks, std::int64_t ticks_per_day) {
  return ticks == kMissingTicks
             ? kNoDate
             : static_cast<Days>(ticks / ticks_per_day - (ticks % ticks_per_day < 0));
}
std::int64_t days_from_ticks(std::span<const std::int64_t> ticks, std::int64_t ticks_per_day,
                             std::span<Days> out, unsigned threads = 0);

// Start year of the NHS financial year (April to March) holding this day: 2023-04-01 -> 2023.
constexpr int financial_year(Days days) {
  const auto ymd = civil_from_days(days);
  const int year = static_cast<int>(ymd.year());
  return static_cast<unsigned>(ymd.month()) >= 4 ? year : year - 1;
}

// A window of W months is round(W * 365.25 / 12) days: 6 -> 183, 12 -> 365. InputError when
// the days do not fit a Days (or W is NaN).
inline Days window_days_from_months(double months) {
  const double days = std::round(months * 365.25 / 12.0);
  if (!(days >= std::numeric_limits<Days>::min() && days <= std::numeric_limits<Days>::max()))
    throw InputError("window", "months", kNoRow,
                     std::to_string(months) + " months is more days than a date can hold");
  return static_cast<Days>(days);
}

}  // namespace socialrx
