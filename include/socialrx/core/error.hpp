#pragma once
// The one error type engines throw for bad input: it names the table, column and first
// offending row so that a user can find the cell to fix.
#include <cstdint>
#include <new>
#include <stdexcept>
#include <string>

namespace socialrx {

inline constexpr std::int64_t kNoRow = -1;

class InputError : public std::invalid_argument {
 public:
  InputError(std::string table, std::string column, std::int64_t row, const std::string& problem)
      : std::invalid_argument(describe(table, column, row, problem)),
        table_(std::move(table)),
        column_(std::move(column)),
        row_(row) {}

  const std::string& table() const noexcept { return table_; }
  const std::string& column() const noexcept { return column_; }
  std::int64_t row() const noexcept { return row_; }  // kNoRow when the whole column is at fault

 private:
  static std::string describe(const std::string& table, const std::string& column, std::int64_t row,
                              const std::string& problem) {
    std::string where = table;
    if (!column.empty()) where += "." + column;
    if (row != kNoRow) where += " row " + std::to_string(row);
    return where + ": " + problem;
  }

  std::string table_;
  std::string column_;
  std::int64_t row_;
};

// A job refused before it starts because it would not fit in the memory available: a
// std::bad_alloc (Python's MemoryError) whose message says what it needs and what there is.
class NotEnoughMemory : public std::bad_alloc {
 public:
  explicit NotEnoughMemory(std::string message) : message_(std::move(message)) {}
  const char* what() const noexcept override { return message_.c_str(); }

 private:
  std::string message_;
};

}  // namespace socialrx
