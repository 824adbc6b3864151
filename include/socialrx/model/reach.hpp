#pragma once
// Reach: how many were referred and how many connected (have an index date), by a grouping
// of the clients, and which referral reasons occur together.
#include <cstdint>
#include <vector>

#include "socialrx/core/columns.hpp"
#include "socialrx/core/dates.hpp"

namespace socialrx {

struct ReachCounts {
  std::vector<std::int64_t> referred;   // [group]
  std::vector<std::int64_t> connected;  // [group]
};

// One group code per client (0..groups-1): practice, source, month, age band, ...
ReachCounts reach_by_group(Column<Days> index_date, Column<std::int32_t> group,
                           std::int32_t groups);

// Referral reasons as a bit set per client (bit r: reason r); a client counts once under
// every reason it has.
ReachCounts reach_by_reason(Column<Days> index_date, Column<std::uint64_t> reasons,
                            std::int32_t reason_count);

// [r1][r2]: clients referred for both r1 and r2 (the diagonal: for r1 at all).
std::vector<std::int64_t> reason_co_occurrence(Column<std::uint64_t> reasons,
                                               std::int32_t reason_count);

}  // namespace socialrx
