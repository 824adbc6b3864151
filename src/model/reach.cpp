#include "socialrx/model/reach.hpp"

#include <string>

#include "socialrx/core/error.hpp"

namespace socialrx {

namespace {
void check_reason_count(std::int32_t reason_count) {
  if (reason_count < 0 || reason_count > 64)
    throw InputError("clients", "referral_reasons", kNoRow,
                     "between 0 and 64 reasons are supported");
}
}  // namespace

ReachCounts reach_by_group(Column<Days> index_date, Column<std::int32_t> group,
                           std::int32_t groups) {
  require_rows("clients", "group", group, index_date.size());
  ReachCounts counts{std::vector<std::int64_t>(groups), std::vector<std::int64_t>(groups)};
  for (std::size_t row = 0; row < group.size(); ++row) {
    const std::int32_t g = group[row];
    if (g < 0 || g >= groups)
      throw InputError(
          "clients", "group", static_cast<std::int64_t>(row),
          "group code " + std::to_string(g) + " outside 0.." + std::to_string(groups - 1));
    ++counts.referred[g];
    counts.connected[g] += index_date[row] != kNoDate;
  }
  return counts;
}

ReachCounts reach_by_reason(Column<Days> index_date, Column<std::uint64_t> reasons,
                            std::int32_t reason_count) {
  check_reason_count(reason_count);
  require_rows("clients", "referral_reasons", reasons, index_date.size());
  ReachCounts counts{std::vector<std::int64_t>(reason_count),
                     std::vector<std::int64_t>(reason_count)};
  for (std::size_t row = 0; row < reasons.size(); ++row)
    for (std::int32_t r = 0; r < reason_count; ++r)
      if (reasons[row] >> r & 1u) {
        ++counts.referred[r];
        counts.connected[r] += index_date[row] != kNoDate;
      }
  return counts;
}

std::vector<std::int64_t> reason_co_occurrence(Column<std::uint64_t> reasons,
                                               std::int32_t reason_count) {
  check_reason_count(reason_count);
  std::vector<std::int64_t> both(static_cast<std::size_t>(reason_count) * reason_count);
  for (std::uint64_t set : reasons)
    for (std::int32_t a = 0; a < reason_count; ++a)
      if (set >> a & 1u)
        for (std::int32_t b = 0; b < reason_count; ++b) both[a * reason_count + b] += set >> b & 1u;
  return both;
}

}  // namespace socialrx
