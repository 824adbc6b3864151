#pragma once
// LACE index of the risk of death or unplanned readmission within 30 days of discharge
// (van Walraven et al., CMAJ 2010;182:551-7): 0-19 points from
//   L  length of stay in days: 0 -> 0, 1 -> 1, 2 -> 2, 3 -> 3, 4-6 -> 4, 7-13 -> 5, >= 14 -> 7
//   A  acute (emergent) admission -> 3, elective -> 0
//   C  Charlson comorbidity score: 0 -> 0, 1 -> 1, 2 -> 2, 3 -> 3, >= 4 -> 5
//   E  emergency department visits in the 6 months before admission, capped at 4
//
// Variants share this point table and differ in how the four inputs are defined, so that a
// score says which definitions it rests on:
//   van_walraven  the paper's own: C is the Charlson score with the 1987 weights (the paper's
//                 index), E the ED visits in the previous 6 months.
//   uk            an adaptation to English secondary-care data (not a published, validated
//                 model): A is an emergency admission (HES/SUS admission method 2x), C the
//                 Charlson score with the Quan 2011 weights on the Quan 2005 ICD-10 map
//                 (socialrx.risk.comorbidity), E the ECDS A&E attendances in the 183 days
//                 (6 months by the library's month rule) before the admission day.
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "socialrx/core/columns.hpp"

namespace socialrx {

enum class LaceVariant : std::uint8_t { van_walraven, uk };

inline constexpr std::array<std::string_view, 2> kLaceVariantNames{"van_walraven", "uk"};

// InputError naming the variant and the known ones when there is no such variant.
LaceVariant lace_variant_from_name(std::string_view name);

constexpr int lace_length_of_stay_points(std::int32_t days) {
  if (days < 4) return days;
  if (days <= 6) return 4;
  return days <= 13 ? 5 : 7;
}
constexpr int lace_acuity_points(bool acute) {
  return acute ? 3 : 0;
}
constexpr int lace_charlson_points(std::int32_t charlson) {
  return charlson < 4 ? charlson : 5;
}
constexpr int lace_ae_points(std::int32_t visits) {
  return visits < 4 ? visits : 4;
}

constexpr int lace_score(std::int32_t length_of_stay_days, bool acute, std::int32_t charlson,
                         std::int32_t ae_visits) {
  return lace_length_of_stay_points(length_of_stay_days) + lace_acuity_points(acute) +
         lace_charlson_points(charlson) + lace_ae_points(ae_visits);
}

// One row per admission; every column as long as length_of_stay_days.
struct LaceInputs {
  Column<std::int32_t> length_of_stay_days;
  Column<std::uint8_t> acute;  // 0 or 1
  Column<std::int32_t> charlson;
  Column<std::int32_t> ae_visits;
};

// The LACE score of every row. Negative inputs and acute values other than 0/1 are an
// InputError naming the table "admissions", the column and the row.
std::vector<std::int8_t> lace(const LaceInputs& inputs, LaceVariant variant, unsigned threads = 0);

}  // namespace socialrx
