#pragma once
// Disclosure control for published count tables (small-number suppression).
//
// Primary: every count in 1..threshold-1 is suppressed, totals included; 0 is published.
// Secondary: a suppressed cell must not be recoverable from the published totals. Each line
// (a row with its row total, a column with its column total, the row totals with the grand
// total, ...) is an equation; a line holding exactly one suppressed cell gives it away, so the
// smallest non-zero published cell of that line is suppressed too, preferring inner cells to
// totals (ties: the first in row-major order). This repeats to a fixed point.
// In a 2-D table that is not quite enough: suppressed cells can still be solved for by adding
// and subtracting several lines when one of them is a "bridge" (it lies on no cycle of
// suppressed cells through rows and columns). Such a cell is closed into a cycle by
// suppressing the smallest published cell joining the two sides of the bridge (non-zero
// first, inner before totals), and the line rule runs again. At the fixed point every
// suppressed cell lies on a cycle, so each can move by +t / -t around it with every total
// unchanged: none can be back-solved.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "socialrx/core/columns.hpp"

namespace socialrx {

enum class Disclosure : std::uint8_t { published, primary, secondary };
inline constexpr std::int64_t kDisclosureThreshold = 5;  // counts 1..4 suppressed

struct Disclosed {
  std::vector<std::int64_t> values;    // the counts with their totals (shape: see below)
  std::vector<Disclosure> disclosure;  // same shape
};

// counts: rows x columns, row-major, >= 0, with a grand total that fits int64; each side at
// most kMaxDisclosureSide (an empty table's size is not bounded by its counts). The result is
// (rows + 1) x (columns + 1): the last column holds the row totals, the last row the column
// totals, the last cell the grand total.
inline constexpr std::size_t kMaxDisclosureSide = 1'000'000;
Disclosed disclose_table(Column<std::int64_t> counts, std::size_t rows, std::size_t columns,
                         std::int64_t threshold = kDisclosureThreshold);

// A series and its total: n + 1 values, the total last.
Disclosed disclose_series(Column<std::int64_t> counts,
                          std::int64_t threshold = kDisclosureThreshold);

}  // namespace socialrx
