#pragma once
// Maps person ids (any int64) to row positions. Ids packed in a narrow range use a direct
// table (one load per lookup); scattered ids use open addressing with linear probing.
#include <bit>
#include <cstdint>
#include <string>
#include <vector>

#include "socialrx/core/columns.hpp"

namespace socialrx::detail {

class IdIndex {
 public:
  static constexpr std::int32_t kAbsent = -1;

  // Rows of `ids` get positions 0..n-1; a repeated id is an InputError naming both rows.
  IdIndex(const char* table, const char* column, Column<std::int64_t> ids) {
    build({{table, column, ids}});
  }

  struct Part {
    const char* table;
    const char* column;
    Column<std::int64_t> ids;
  };
  // Several tables in one index: positions run on from one part to the next, and an id may
  // appear in only one of them.
  explicit IdIndex(const std::vector<Part>& parts) { build(parts); }

  std::int32_t find(std::int64_t id) const noexcept {
    if (direct_) {
      const std::uint64_t offset =
          static_cast<std::uint64_t>(id) - static_cast<std::uint64_t>(min_);
      return offset < table_.size() ? table_[offset] : kAbsent;
    }
    for (std::uint64_t slot = hash(id);; slot = (slot + 1) & mask_) {
      const std::int32_t position = table_[slot];
      if (position == kAbsent || ids_[position] == id) return position;
    }
  }

  std::size_t size() const noexcept { return ids_.size(); }

 private:
  // Fibonacci hashing: the top bits of id x 2^64/phi spread runs of consecutive ids evenly.
  std::uint64_t hash(std::int64_t id) const noexcept {
    return (static_cast<std::uint64_t>(id) * 0x9E3779B97F4A7C15ull) >> shift_;
  }

  void build(const std::vector<Part>& parts) {
    std::size_t total = 0;
    for (const auto& part : parts) total += part.ids.size();
    if (total >= static_cast<std::size_t>(INT32_MAX))
      throw InputError(parts.front().table, parts.front().column, kNoRow, "more than 2^31 ids");
    ids_.reserve(total);
    for (const auto& part : parts) ids_.insert(ids_.end(), part.ids.begin(), part.ids.end());
    if (total == 0) return;
    min_ = ids_[0];
    std::int64_t max = ids_[0];
    for (std::int64_t id : ids_) {
      min_ = std::min(min_, id);
      max = std::max(max, id);
    }
    const std::uint64_t range = static_cast<std::uint64_t>(max) - static_cast<std::uint64_t>(min_);
    // Direct tables cost 4 bytes per id in range: worth it up to a few times the id count
    // (clients numbered from 1 and a comparison pool from 10 million still fit).
    direct_ = range < 8 * static_cast<std::uint64_t>(total) + (1u << 20);
    const std::size_t size = direct_ ? range + 1 : std::bit_ceil(2 * total);
    mask_ = size - 1;
    shift_ = 64 - std::countr_zero(static_cast<std::uint64_t>(size));
    table_.assign(size, kAbsent);
    for (std::size_t position = 0; position < total; ++position) insert(parts, position);
  }

  void insert(const std::vector<Part>& parts, std::size_t position) {
    const std::int64_t id = ids_[position];
    std::uint64_t slot =
        direct_ ? static_cast<std::uint64_t>(id) - static_cast<std::uint64_t>(min_) : hash(id);
    while (table_[slot] != kAbsent) {
      if (ids_[table_[slot]] == id) duplicate(parts, table_[slot], position);
      slot = (slot + 1) & mask_;  // only reached when hashing
    }
    table_[slot] = static_cast<std::int32_t>(position);
  }

  [[noreturn]] static void duplicate(const std::vector<Part>& parts, std::size_t first,
                                     std::size_t second) {
    auto locate = [&](std::size_t position) {
      for (const auto& part : parts) {
        if (position < part.ids.size()) return std::make_pair(&part, position);
        position -= part.ids.size();
      }
      return std::make_pair(&parts.back(), position);
    };
    const auto [first_part, first_row] = locate(first);
    const auto [part, row] = locate(second);
    throw InputError(part->table, part->column, static_cast<std::int64_t>(row),
                     "duplicate id " + std::to_string(part->ids[row]) + " (also " +
                         first_part->table + " row " + std::to_string(first_row) + ")");
  }

  std::vector<std::int64_t> ids_;
  std::vector<std::int32_t> table_;
  std::int64_t min_ = 0;
  std::uint64_t mask_ = 0;
  int shift_ = 63;
  bool direct_ = false;
};

}  // namespace socialrx::detail
