#include "socialrx/risk/lace.hpp"

#include <gtest/gtest.h>

namespace socialrx {
namespace {

// The LACE cases of the reference test_cases.json (van Walraven et al., CMAJ 2010 table).
TEST(Lace, ReferenceCases) {
  std::vector<std::int32_t> stay{5, 2, 14}, charlson{5, 0, 4}, ae{2, 0, 7};
  std::vector<std::uint8_t> acute{1, 0, 1};
  const auto scores = lace({stay, acute, charlson, ae}, LaceVariant::van_walraven, 1);
  EXPECT_EQ(scores, (std::vector<std::int8_t>{14, 2, 19}));
}

TEST(Lace, PointTableAtEveryBoundary) {
  const int stay_points[] = {0, 1, 2, 3, 4, 4, 4, 5, 5, 5, 5, 5, 5, 5, 7, 7};
  for (int days = 0; days < 16; ++days)
    EXPECT_EQ(lace_length_of_stay_points(days), stay_points[days]) << days << " days";
  const int charlson_points[] = {0, 1, 2, 3, 5, 5, 5};
  for (int c = 0; c < 7; ++c) EXPECT_EQ(lace_charlson_points(c), charlson_points[c]) << c;
  const int ae_points[] = {0, 1, 2, 3, 4, 4, 4};
  for (int e = 0; e < 7; ++e) EXPECT_EQ(lace_ae_points(e), ae_points[e]) << e;
  EXPECT_EQ(lace_acuity_points(true), 3);
  EXPECT_EQ(lace_acuity_points(false), 0);
  static_assert(lace_score(0, false, 0, 0) == 0 && lace_score(100, true, 30, 30) == 19);
}

TEST(Lace, VariantsShareThePointTable) {
  std::vector<std::int32_t> stay{5}, charlson{5}, ae{2};
  std::vector<std::uint8_t> acute{1};
  EXPECT_EQ(lace({stay, acute, charlson, ae}, lace_variant_from_name("uk"))[0], 14);
}

TEST(Lace, BadInputNamesTheColumnAndRow) {
  std::vector<std::int32_t> stay{1, -1}, charlson{0, 0}, ae{0, 0};
  std::vector<std::uint8_t> acute{0, 1};
  try {
    lace({stay, acute, charlson, ae}, LaceVariant::van_walraven);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.column(), "length_of_stay_days");
    EXPECT_EQ(e.row(), 1);
  }
  std::vector<std::uint8_t> bad_acute{0, 2};
  stay[1] = 1;
  EXPECT_THROW(lace({stay, bad_acute, charlson, ae}, LaceVariant::van_walraven), InputError);
  std::vector<std::int32_t> short_ae{0};
  EXPECT_THROW(lace({stay, acute, charlson, short_ae}, LaceVariant::van_walraven), InputError);
  EXPECT_THROW(lace_variant_from_name("lace_plus"), InputError);
}

}  // namespace
}  // namespace socialrx
