#pragma once
// Category codes as pandas and Arrow hold them (indices into the column's own list of labels,
// -1 for missing) to our codes, through a table from the column's labels to ours.
#include <atomic>
#include <cstdint>
#include <span>

#include "detail/parallel.hpp"
#include "socialrx/core/columns.hpp"

namespace socialrx::detail {

inline constexpr std::uint8_t kUnmapped = 255;  // a label with no code of ours

// out[row] = ours[codes[row]], in parallel. Returns the first row whose code is missing or
// maps to kUnmapped (its out value is then kUnmapped), or kNoRow when every row maps.
template <class Code>
std::int64_t recode(Column<Code> codes, std::span<const std::uint8_t> ours,
                    std::span<std::uint8_t> out, unsigned threads = 0) {
  if (out.size() != codes.size())
    throw std::invalid_argument("recode: output length differs from the codes'");
  std::atomic<bool> any_bad{false};
  for_each_chunk(codes.size(), 1 << 20, threads,
                 [&](std::size_t, std::size_t begin, std::size_t end) {
                   bool bad = false;
                   for (std::size_t row = begin; row < end; ++row) {
                     const auto code =
                         static_cast<std::make_unsigned_t<Code>>(codes[row]);  // -1: past the table
                     const std::uint8_t mapped = code < ours.size() ? ours[code] : kUnmapped;
                     bad |= mapped == kUnmapped;
                     out[row] = mapped;
                   }
                   if (bad) any_bad = true;
                 });
  if (!any_bad) return kNoRow;
  for (std::size_t row = 0; row < out.size(); ++row)
    if (out[row] == kUnmapped) return static_cast<std::int64_t>(row);
  return kNoRow;
}

}  // namespace socialrx::detail
