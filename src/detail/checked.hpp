#pragma once
// Arithmetic on values that come from the user (ids, money, scale bounds): an overflow is
// the input's fault, so it is an InputError naming where the value came from, never a
// wrapped number in a report.
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "socialrx/core/error.hpp"

namespace socialrx::detail {

// Where a value came from, for the error's message; views, so that naming it costs nothing
// until something overflows.
struct Origin {
  std::string_view table;
  std::string_view column;
  std::int64_t row = kNoRow;
};

[[noreturn]] inline void overflows(const Origin& origin, const std::string& what) {
  throw InputError(std::string(origin.table), std::string(origin.column), origin.row,
                   what + " does not fit in a 64-bit whole number");
}

inline std::int64_t checked_add(std::int64_t a, std::int64_t b, const Origin& origin) {
  std::int64_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum))
    overflows(origin, "the total " + std::to_string(a) + " + " + std::to_string(b));
  return sum;
}

inline std::int64_t checked_sub(std::int64_t a, std::int64_t b, const Origin& origin) {
  std::int64_t difference = 0;
  if (__builtin_sub_overflow(a, b, &difference))
    overflows(origin, "the difference " + std::to_string(a) + " - " + std::to_string(b));
  return difference;
}

inline std::int64_t checked_mul(std::int64_t a, std::int64_t b, const Origin& origin) {
  std::int64_t product = 0;
  if (__builtin_mul_overflow(a, b, &product))
    overflows(origin, "the product " + std::to_string(a) + " x " + std::to_string(b));
  return product;
}

// A wide total (summed in __int128, which cannot overflow on any table that fits in memory)
// brought back to int64 once, at the end.
inline std::int64_t checked_narrow(__int128 total, const Origin& origin) {
  if (total < std::numeric_limits<std::int64_t>::min() ||
      total > std::numeric_limits<std::int64_t>::max())
    overflows(origin, "the total");
  return static_cast<std::int64_t>(total);
}

}  // namespace socialrx::detail
