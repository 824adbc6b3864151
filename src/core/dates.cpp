#include "socialrx/core/dates.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstdio>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "detail/cpu.hpp"
#include "detail/parallel.hpp"
#include "socialrx/core/error.hpp"

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
std::size_t ticks_to_days(const std::int64_t* ticks, std::size_t n, Days* out,
                          std::int64_t ticks_per_day = kTicksPerDay) {
  std::size_t missing = 0;
  for (std::size_t i = 0; i < n; ++i) {
    missing += ticks[i] == kMissingTicks;
    out[i] = day_of_ticks(ticks[i], ticks_per_day);
  }
  return missing;
}

constexpr std::int64_t kSecondsPerDay = 86'400;

#if defined(__x86_64__)
// GCC 12's intrinsics here read an undefined vector on purpose (their pass-through), which
// -Wmaybe-uninitialized reports wherever they are inlined.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
// Eight at a time: the quotient through doubles, then corrected in integers. With a day of at
// least 86,400 ticks the double quotient of any int64 is within one of the true floor, and the
// exact remainder t - q * ticks_per_day says which way.
[[gnu::target("avx512f,avx512vl,avx512dq")]] std::size_t ticks_to_days_avx512(
    const std::int64_t* ticks, std::size_t n, Days* out, std::int64_t ticks_per_day,
    std::size_t& missing) {
  const __m512d inverse = _mm512_set1_pd(1.0 / static_cast<double>(ticks_per_day));
  const __m512i per_day = _mm512_set1_epi64(ticks_per_day), one = _mm512_set1_epi64(1);
  const __m512i nat = _mm512_set1_epi64(kMissingTicks), zero = _mm512_setzero_si512();
  const __m256i no_date = _mm256_set1_epi32(kNoDate);
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m512i t = _mm512_loadu_si512(ticks + i);
    const __m512d quotient = _mm512_roundscale_pd(_mm512_mul_pd(_mm512_cvtepi64_pd(t), inverse),
                                                  _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
    __m512i day = _mm512_cvtpd_epi64(quotient);
    const __m512i remainder = _mm512_sub_epi64(t, _mm512_mullo_epi64(day, per_day));
    day = _mm512_mask_sub_epi64(day, _mm512_cmplt_epi64_mask(remainder, zero), day, one);
    day = _mm512_mask_add_epi64(day, _mm512_cmpge_epi64_mask(remainder, per_day), day, one);
    const __mmask8 is_missing = _mm512_cmpeq_epi64_mask(t, nat);
    missing += static_cast<std::size_t>(__builtin_popcount(is_missing));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i),
                        _mm256_mask_blend_epi32(is_missing, _mm512_cvtepi64_epi32(day), no_date));
  }
  return i;
}
#pragma GCC diagnostic pop
#endif

// One chunk on one thread: returns how many ticks were missing.
std::size_t days_from_ticks_serial(const std::int64_t* ticks, std::size_t n,
                                   std::int64_t ticks_per_day, Days* out) {
  std::size_t missing = 0, done = 0;
#if defined(__x86_64__)
  if (ticks_per_day >= kSecondsPerDay && detail::has_avx512())
    done = ticks_to_days_avx512(ticks, n, out, ticks_per_day, missing);
#endif
  ticks += done, out += done, n -= done;
  switch (ticks_per_day) {  // numpy's datetime64 units: ns, us, ms, s
    case kSecondsPerDay * 1'000'000'000:
      return missing + ticks_to_days<kSecondsPerDay * 1'000'000'000>(ticks, n, out);
    case kSecondsPerDay * 1'000'000:
      return missing + ticks_to_days<kSecondsPerDay * 1'000'000>(ticks, n, out);
    case kSecondsPerDay * 1'000:
      return missing + ticks_to_days<kSecondsPerDay * 1'000>(ticks, n, out);
    case kSecondsPerDay:
      return missing + ticks_to_days<kSecondsPerDay>(ticks, n, out);
    default:
      return missing + ticks_to_days<0>(ticks, n, out, ticks_per_day);
  }
}

// The first missing (NaT) row, or kNoRow; in parallel.
std::int64_t first_missing_tick(std::span<const std::int64_t> ticks, unsigned threads) {
  constexpr std::size_t kChunk = 1 << 20;
  std::vector<std::int64_t> first((ticks.size() + kChunk - 1) / kChunk, kNoRow);
  detail::for_each_chunk(
      ticks.size(), kChunk, threads, [&](std::size_t chunk, std::size_t begin, std::size_t end) {
        const auto at = std::find(ticks.begin() + begin, ticks.begin() + end, kMissingTicks);
        if (at != ticks.begin() + end) first[chunk] = at - ticks.begin();
      });
  const auto found = std::find_if(first.begin(), first.end(), [](auto r) { return r != kNoRow; });
  return found == first.end() ? kNoRow : *found;
}

}  // namespace

std::int64_t days_from_ticks(std::span<const std::int64_t> ticks, std::int64_t ticks_per_day,
                             std::span<Days> out, unsigned threads) {
  if (out.size() != ticks.size() || ticks_per_day < 1)
    throw std::invalid_argument("days_from_ticks: output length or tick size is wrong");
  std::atomic<bool> any_missing{false};
  detail::for_each_chunk(ticks.size(), 1 << 20, threads,
                         [&](std::size_t, std::size_t begin, std::size_t end) {
                           if (days_from_ticks_serial(ticks.data() + begin, end - begin,
                                                      ticks_per_day, out.data() + begin))
                             any_missing = true;
                         });
  return any_missing ? first_missing_tick(ticks, threads) : kNoRow;
}

}  // namespace socialrx
