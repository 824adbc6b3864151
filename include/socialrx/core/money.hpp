#pragma once
// Money is whole pence in int64: sums and differences are exact.
#include <cstdint>
#include <string>

namespace socialrx {

using Pence = std::int64_t;

// "£-1,234.56" style text for reports and messages.
std::string format_pounds(Pence pence);

// Divides and rounds half away from zero: exact pence for per-patient figures.
constexpr Pence divide_rounded(Pence numerator, std::int64_t denominator) {
  const Pence quotient = numerator / denominator;
  const Pence remainder = numerator % denominator;
  const bool negative = (numerator < 0) != (denominator < 0);
  const std::int64_t twice = 2 * (remainder < 0 ? -remainder : remainder);
  const std::int64_t magnitude = denominator < 0 ? -denominator : denominator;
  if (twice >= magnitude) return negative ? quotient - 1 : quotient + 1;
  return quotient;
}

}  // namespace socialrx
