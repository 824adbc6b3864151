#include "socialrx/core/dates.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstdio>

#include "socialrx/core/error.hpp"
#include "socialrx/core/parallel.hpp"

namespace socialrx {

namespace {
bool parse_digits(std::string_view text, int& out) {
  for (char c : text)
    if (c < '0' || c > '9') return false;
  return std::from_chars(text.data(), text.data() + text.size(), out).ec == std::errc{};
}
}  // namespace

std::optional<Days> parse_iso_date(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  int year = 0, month = 0, day = 0;
  if (!parse_digits(text.substr(0, 4), year) || !parse_digits(text.substr(5, 2), month) ||
      !parse_digits(text.substr(8, 2), day))
    return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year{year},
                                        std::chrono::month{static_cast<unsigned>(month)},
                                        std::chrono::day{static_cast<unsigned>(day)}};
  if (!ymd.ok()) return std::nullopt;
  return static_cast<Days>(std::chrono::sys_days{ymd}.time_since_epoch().count());
}

std::string format_iso_date(Days days) {
  if (days == kNoDate) return "";
  const auto ymd = civil_from_days(days);
  char text[16];
  std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return text;
}

namespace {

// Floor division by a divisor fixed at compile time: a multiply, not a 40-cycle divide.
// Returns the number of missing ticks met.
template <std::int64_t kTicksPerDay>
std::size_t ticks_to_days(std::span<const std::int64_t> ticks, std::span<Days> out,
                          std::size_t begin, std::size_t end,
                          std::int64_t ticks_per_day = kTicksPerDay) {
  std::size_t missing = 0;
  for (std::size_t i = begin; i < end; ++i) {
    const std::int64_t t = ticks[i];
    const std::int64_t day = t / ticks_per_day - (t % ticks_per_day < 0);
    missing += t == kMissingTicks;
    out[i] = t == kMissingTicks ? kNoDate : static_cast<Days>(day);
  }
  return missing;
}

}  // namespace

std::int64_t days_from_ticks(std::span<const std::int64_t> ticks, std::int64_t ticks_per_day,
                             std::span<Days> out, unsigned threads) {
  if (out.size() != ticks.size() || ticks_per_day < 1)
    throw std::invalid_argument("days_from_ticks: output length or tick size is wrong");
  constexpr std::int64_t kSecondsPerDay = 86'400;
  std::atomic<bool> any_missing{false};
  for_each_chunk(
      ticks.size(), 1 << 20, threads, [&](std::size_t, std::size_t begin, std::size_t end) {
        std::size_t missing = 0;
        switch (ticks_per_day) {  // numpy's datetime64 units: ns, us, ms, s
          case kSecondsPerDay * 1'000'000'000:
            missing = ticks_to_days<kSecondsPerDay * 1'000'000'000>(ticks, out, begin, end);
            break;
          case kSecondsPerDay * 1'000'000:
            missing = ticks_to_days<kSecondsPerDay * 1'000'000>(ticks, out, begin, end);
            break;
          case kSecondsPerDay * 1'000:
            missing = ticks_to_days<kSecondsPerDay * 1'000>(ticks, out, begin, end);
            break;
          case kSecondsPerDay:
            missing = ticks_to_days<kSecondsPerDay>(ticks, out, begin, end);
            break;
          default:
            missing = ticks_to_days<0>(ticks, out, begin, end, ticks_per_day);
        }
        if (missing) any_missing = true;
      });
  if (!any_missing) return kNoRow;
  const auto first = std::find(ticks.begin(), ticks.end(), kMissingTicks);
  return static_cast<std::int64_t>(first - ticks.begin());
}

}  // namespace socialrx
