#include "socialrx/core/money.hpp"

namespace socialrx {

std::string format_pounds(Pence pence) {
  const bool negative = pence < 0;
  const std::uint64_t magnitude =
      negative ? 0 - static_cast<std::uint64_t>(pence) : static_cast<std::uint64_t>(pence);
  std::string pounds = std::to_string(magnitude / 100);
  for (int at = static_cast<int>(pounds.size()) - 3; at > 0; at -= 3) pounds.insert(at, ",");
  const unsigned cents = magnitude % 100;
  return std::string(negative ? "-" : "") + "\u00a3" + pounds + "." + (cents < 10 ? "0" : "") +
         std::to_string(cents);
}

}  // namespace socialrx
