#pragma once
// Tables reach engines as column views: one std::span per column, rows aligned by position.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "socialrx/core/error.hpp"

namespace socialrx {

template <class T>
using Column = std::span<const T>;

// Every column of a table must have the table's row count.
template <class T>
void require_rows(const char* table, const char* column, Column<T> values, std::size_t rows) {
  if (values.size() != rows)
    throw InputError(
        table, column, kNoRow,
        "has " + std::to_string(values.size()) + " rows but the table has " + std::to_string(rows));
}

// Optional columns may be empty; when given they follow the same rule.
template <class T>
void require_rows_if_given(const char* table, const char* column, Column<T> values,
                           std::size_t rows) {
  if (!values.empty()) require_rows(table, column, values, rows);
}

template <class T>
void require_non_negative(const char* table, const char* column, Column<T> values) {
  for (std::size_t row = 0; row < values.size(); ++row)
    if (values[row] < 0)
      throw InputError(table, column, static_cast<std::int64_t>(row),
                       "negative value " + std::to_string(values[row]));
}

inline void require_finite(const char* table, const char* column, Column<double> values) {
  for (std::size_t row = 0; row < values.size(); ++row)
    if (!std::isfinite(values[row]))
      throw InputError(table, column, static_cast<std::int64_t>(row),
                       "a number is required, got " + std::to_string(values[row]));
}

}  // namespace socialrx
