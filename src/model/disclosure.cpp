#include "socialrx/model/disclosure.hpp"

#include <algorithm>
#include <numeric>
#include <string>
#include <tuple>

#include "detail/checked.hpp"
#include "socialrx/core/error.hpp"

namespace socialrx {

namespace {

using Line = std::vector<std::size_t>;

struct Cells {
  std::vector<std::int64_t> values;
  std::vector<Disclosure> state;
  std::vector<bool> total;  // a margin rather than an inner cell

  bool hidden(std::size_t cell) const { return state[cell] != Disclosure::published; }
};

void check(Column<std::int64_t> counts, std::int64_t threshold) {
  if (threshold < 1) throw InputError("counts", "threshold", kNoRow, "must be at least 1");
  require_non_negative("counts", "count", counts);
  // Every total is at most the grand total: one check covers them all.
  __int128 grand_total = 0;
  for (const std::int64_t count : counts) grand_total += count;
  detail::checked_narrow(grand_total, {"counts", "count"});
}

Cells with_primary(std::vector<std::int64_t> values, std::vector<bool> total,
                   std::int64_t threshold) {
  Cells cells{std::move(values), {}, std::move(total)};
  cells.state.reserve(cells.values.size());
  for (std::int64_t value : cells.values)
    cells.state.push_back(value > 0 && value < threshold ? Disclosure::primary
                                                         : Disclosure::published);
  return cells;
}

// Suppresses the published candidate that gives least away: non-zero before zero (zeros only
// when allowed), inner cells before totals, then the smallest, then the first.
bool suppress_best(Cells& cells, const Line& candidates, bool allow_zero) {
  const auto rank = [&](std::size_t cell) {
    return std::tuple(cells.values[cell] == 0, static_cast<bool>(cells.total[cell]),
                      cells.values[cell], cell);
  };
  const std::size_t kNone = cells.values.size();
  std::size_t best = kNone;
  for (std::size_t cell : candidates) {
    if (cells.hidden(cell) || (!allow_zero && cells.values[cell] == 0)) continue;
    if (best == kNone || rank(cell) < rank(best)) best = cell;
  }
  if (best == kNone) return false;
  cells.state[best] = Disclosure::secondary;
  return true;
}

// A line with exactly one suppressed cell gives it away as total minus the rest.
bool protect_lines(Cells& cells, const std::vector<Line>& lines) {
  bool changed = false;
  for (const Line& line : lines)
    if (std::ranges::count_if(line, [&](std::size_t c) { return cells.hidden(c); }) == 1)
      changed |= suppress_best(cells, line, false);
  return changed;
}

class Components {  // union-find over row and column nodes
 public:
  explicit Components(std::size_t nodes) : parent_(nodes) {
    std::iota(parent_.begin(), parent_.end(), std::size_t{0});
  }
  std::size_t find(std::size_t node) {
    while (parent_[node] != node) node = parent_[node] = parent_[parent_[node]];
    return node;
  }
  void join(std::size_t a, std::size_t b) { parent_[find(a)] = find(b); }

 private:
  std::vector<std::size_t> parent_;
};

// Suppressed cells are edges between their row and column. One on no cycle (a bridge) can be
// solved for by summing the lines on one side of it, so a published cell joining the two sides
// is suppressed. Published tables are small: the quadratic search is cheap.
bool close_a_bridge(Cells& cells, std::size_t rows, std::size_t columns) {
  const std::size_t size = rows * columns;
  const auto row_node = [&](std::size_t cell) { return cell / columns; };
  const auto column_node = [&](std::size_t cell) { return rows + cell % columns; };
  for (std::size_t edge = 0; edge < size; ++edge) {
    if (!cells.hidden(edge)) continue;
    Components parts(rows + columns);
    for (std::size_t cell = 0; cell < size; ++cell)
      if (cell != edge && cells.hidden(cell)) parts.join(row_node(cell), column_node(cell));
    const std::size_t a = parts.find(row_node(edge)), b = parts.find(column_node(edge));
    if (a == b) continue;
    Line joining;
    for (std::size_t cell = 0; cell < size; ++cell) {
      const std::size_t r = parts.find(row_node(cell)), c = parts.find(column_node(cell));
      if ((r == a && c == b) || (r == b && c == a)) joining.push_back(cell);
    }
    return suppress_best(cells, joining, true);
  }
  return false;
}

}  // namespace

Disclosed disclose_table(Column<std::int64_t> counts, std::size_t rows, std::size_t columns,
                         std::int64_t threshold) {
  if (rows > kMaxDisclosureSide || columns > kMaxDisclosureSide)
    throw InputError("counts", "", kNoRow,
                     "a table has at most " + std::to_string(kMaxDisclosureSide) +
                         " rows and columns, got " + std::to_string(rows) + " x " +
                         std::to_string(columns));
  if (counts.size() != rows * columns)
    throw InputError("counts", "", kNoRow,
                     std::to_string(counts.size()) + " counts for a " + std::to_string(rows) +
                         " x " + std::to_string(columns) + " table");
  check(counts, threshold);
  const std::size_t height = rows + 1, width = columns + 1;
  std::vector<std::int64_t> values(height * width, 0);
  std::vector<bool> total(height * width);
  for (std::size_t r = 0; r < height; ++r)
    for (std::size_t c = 0; c < width; ++c) {
      total[r * width + c] = r == rows || c == columns;
      if (r == rows || c == columns) continue;
      const std::int64_t count = counts[r * columns + c];
      values[r * width + c] = count;
      values[r * width + columns] += count;
      values[rows * width + c] += count;
      values[rows * width + columns] += count;
    }
  Cells cells = with_primary(std::move(values), std::move(total), threshold);
  std::vector<Line> lines(height + width);
  for (std::size_t r = 0; r < height; ++r)
    for (std::size_t c = 0; c < width; ++c) {
      lines[r].push_back(r * width + c);
      lines[height + c].push_back(r * width + c);
    }
  while (protect_lines(cells, lines) || close_a_bridge(cells, height, width)) {
  }
  return {std::move(cells.values), std::move(cells.state)};
}

Disclosed disclose_series(Column<std::int64_t> counts, std::int64_t threshold) {
  check(counts, threshold);
  std::vector<std::int64_t> values(counts.begin(), counts.end());
  values.push_back(std::accumulate(counts.begin(), counts.end(), std::int64_t{0}));
  std::vector<bool> total(values.size());
  total.back() = true;
  Cells cells = with_primary(std::move(values), std::move(total), threshold);
  Line line(cells.values.size());
  std::iota(line.begin(), line.end(), std::size_t{0});
  while (protect_lines(cells, {line})) {
  }
  return {std::move(cells.values), std::move(cells.state)};
}

}  // namespace socialrx
