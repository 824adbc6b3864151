#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "detail/id_index.hpp"
#include "detail/parallel.hpp"
#include "detail/recode.hpp"
#include "socialrx/core/dates.hpp"
#include "socialrx/core/money.hpp"

namespace socialrx {
namespace {

TEST(Dates, CivilRoundTrip) {
  EXPECT_EQ(days_from_civil(1970, 1, 1), 0);
  EXPECT_EQ(days_from_civil(2000, 3, 1), 11017);
  EXPECT_EQ(format_iso_date(days_from_civil(2024, 2, 29)), "2024-02-29");
  EXPECT_EQ(parse_iso_date("2019-04-01"), days_from_civil(2019, 4, 1));
  EXPECT_EQ(parse_iso_date("1969-12-31"), -1);
}

TEST(Dates, RejectsMalformedAndImpossible) {
  EXPECT_FALSE(parse_iso_date("2023-02-30"));
  EXPECT_FALSE(parse_iso_date("2023-2-3"));
  EXPECT_FALSE(parse_iso_date("2023/02/03"));
  EXPECT_FALSE(parse_iso_date("2023-0a-03"));
}

TEST(Dates, FinancialYearStartsInApril) {
  EXPECT_EQ(financial_year(days_from_civil(2023, 3, 31)), 2022);
  EXPECT_EQ(financial_year(days_from_civil(2023, 4, 1)), 2023);
}

TEST(Dates, WindowMonthsToDays) {
  EXPECT_EQ(window_days_from_months(6), 183);
  EXPECT_EQ(window_days_from_months(12), 365);
  EXPECT_EQ(window_days_from_months(3), 91);
}

TEST(Dates, TicksToDaysRoundDownAndKeepMissing) {
  constexpr std::int64_t kPerDay = 86'400'000'000'000;  // nanoseconds
  const std::int64_t ticks[] = {
      0, kPerDay - 1, kPerDay, -1, -kPerDay, kMissingTicks, 19'448 * kPerDay + 3600};
  Days days[7];
  EXPECT_EQ(days_from_ticks(ticks, kPerDay, days, 2), 5);  // the first missing row
  EXPECT_EQ(days[0], 0);
  EXPECT_EQ(days[1], 0);
  EXPECT_EQ(days[2], 1);
  EXPECT_EQ(days[3], -1);  // 1969-12-31 23:59:59.999999999
  EXPECT_EQ(days[4], -1);
  EXPECT_EQ(days[5], kNoDate);
  EXPECT_EQ(days[6], days_from_civil(2023, 4, 1));
  EXPECT_EQ(days_from_ticks(std::span(ticks, 5), kPerDay, std::span(days, 5)), kNoRow);
}

// Every unit numpy uses, with ticks at and beside day boundaries, far from 1970 and at the
// ends of int64 (the vector loop's double quotient must come out exact after correction).
TEST(Dates, TicksToDaysMatchIntegerFloorDivisionInEveryUnit) {
  std::mt19937_64 random(11);
  for (const std::int64_t per_day :
       std::vector<std::int64_t>{86'400'000'000'000, 86'400'000'000, 86'400'000, 86'400}) {
    // The last two: in seconds, a double quotient one below the true floor.
    std::vector<std::int64_t> ticks = {INT64_MAX,
                                       kMissingTicks + 1,
                                       0,
                                       -1,
                                       1,
                                       2'593'842'017'042'448'107,
                                       9'196'114'865'798'102'463};
    for (int i = 0; i < 2000; ++i) {
      const std::int64_t day = static_cast<std::int64_t>(random() % 200'000) - 100'000;
      const std::int64_t near = static_cast<std::int64_t>(random() % 3) - 1;
      ticks.push_back(i % 2 ? day * per_day + near
                            : static_cast<std::int64_t>(random() >> 1) * (i % 4 ? 1 : -1));
    }
    ticks[1000] = kMissingTicks;
    std::vector<Days> days(ticks.size());
    EXPECT_EQ(days_from_ticks(ticks, per_day, days, 2), 1000);  // the missing row
    for (std::size_t i = 0; i < ticks.size(); ++i) {
      const std::int64_t t = ticks[i];
      const auto expected =
          t == kMissingTicks ? kNoDate : static_cast<Days>(t / per_day - (t % per_day < 0));
      ASSERT_EQ(days[i], expected) << "ticks " << t << " per day " << per_day;
    }
  }
}

TEST(Recode, MapsCodesAndFindsTheFirstMissingOrUnmappedRow) {
  // The column's labels b, a, z; ours a = 0, b = 1; z has no code of ours.
  const std::uint8_t ours[] = {1, 0, detail::kUnmapped};
  const std::int8_t codes[] = {0, 1, 1, 0};
  std::uint8_t out[4];
  EXPECT_EQ(detail::recode<std::int8_t>(codes, ours, out), kNoRow);
  EXPECT_EQ(std::vector<std::uint8_t>(out, out + 4), (std::vector<std::uint8_t>{1, 0, 0, 1}));
  const std::int8_t missing[] = {0, 1, -1, 2};
  EXPECT_EQ(detail::recode<std::int8_t>(missing, ours, out), 2);
  const std::int16_t unmapped[] = {0, 2, -1};
  EXPECT_EQ(detail::recode<std::int16_t>(unmapped, ours, std::span(out, 3)), 1);
}

// Arrow's int32 indices, 16 at a time where the processor can: every row as the scalar loop
// maps it, in the vector loop's rows and in the rest, with tables of 32 labels (the vector
// loop's most) and of 33 (the scalar loop alone).
TEST(Recode, Int32IndicesMapAsTheScalarLoopDoes) {
  for (const std::size_t labels : {10u, 32u, 33u}) {
    std::vector<std::uint8_t> ours(labels);
    for (std::size_t i = 0; i < labels; ++i) ours[i] = static_cast<std::uint8_t>(labels - 1 - i);
    ours[3] = detail::kUnmapped;  // a label with no code of ours
    std::vector<std::int32_t> codes(53);
    for (std::size_t row = 0; row < codes.size(); ++row)
      codes[row] = static_cast<std::int32_t>((row * 7) % labels == 3 ? 4 : (row * 7) % labels);
    std::vector<std::uint8_t> out(codes.size());
    EXPECT_EQ(detail::recode<std::int32_t>(codes, ours, out, 1), kNoRow) << labels;
    EXPECT_EQ(out[1], labels - 8);  // code 7
    for (std::size_t row = 0; row < codes.size(); ++row)
      EXPECT_EQ(out[row], ours[static_cast<std::size_t>(codes[row])]) << labels << " row " << row;
    for (const std::size_t bad_row : {0u, 17u, 47u, 52u}) {  // vector rows 0-47, scalar 48-52
      for (const std::int32_t bad : {-1, static_cast<std::int32_t>(labels), 3, 1 << 30}) {
        std::vector<std::int32_t> wrong = codes;
        wrong[bad_row] = bad;
        EXPECT_EQ(detail::recode<std::int32_t>(wrong, ours, out, 1),
                  static_cast<std::int64_t>(bad_row))
            << labels << " labels, code " << bad << " at row " << bad_row;
        EXPECT_EQ(out[bad_row], detail::kUnmapped);
      }
    }
  }
}

TEST(Money, FormatsPoundsExactly) {
  EXPECT_EQ(format_pounds(75140000), "\u00a3751,400.00");
  EXPECT_EQ(format_pounds(-5), "-\u00a30.05");
}

TEST(Money, DividesRoundingHalfAwayFromZero) {
  EXPECT_EQ(divide_rounded(7, 2), 4);
  EXPECT_EQ(divide_rounded(-7, 2), -4);
  EXPECT_EQ(divide_rounded(10, 3), 3);
  EXPECT_EQ(divide_rounded(-10, 3), -3);
}

TEST(IdIndex, DenseAndScatteredIdsAgree) {
  const std::int64_t dense[] = {10, 11, 13, 12};
  const std::int64_t scattered[] = {5, -9000000000000LL, 77777777777LL, 3};
  const detail::IdIndex a("t", "id", dense), b("t", "id", scattered);
  EXPECT_EQ(a.find(13), 2);
  EXPECT_EQ(a.find(14), detail::IdIndex::kAbsent);
  EXPECT_EQ(a.find(-1), detail::IdIndex::kAbsent);
  EXPECT_EQ(b.find(77777777777LL), 2);
  EXPECT_EQ(b.find(-9000000000000LL), 1);
  EXPECT_EQ(b.find(4), detail::IdIndex::kAbsent);
}

TEST(IdIndex, DuplicateNamesBothRows) {
  const std::int64_t clients[] = {1, 2};
  const std::int64_t comparison[] = {3, 2};
  try {
    detail::IdIndex({{"clients", "client_id", clients}, {"comparison", "patient_id", comparison}});
    FAIL();
  } catch (const InputError& error) {
    EXPECT_EQ(error.table(), "comparison");
    EXPECT_EQ(error.row(), 1);
    EXPECT_STREQ(error.what(), "comparison.patient_id row 1: duplicate id 2 (also clients row 1)");
  }
}

TEST(Parallel, ReportsTheLowestFailingChunkForAnyThreadCount) {
  for (unsigned threads : {1u, 2u, 7u}) {
    try {
      detail::for_each_chunk(1000, 10, threads, [](std::size_t chunk, std::size_t, std::size_t) {
        if (chunk == 31 || chunk == 77) throw std::runtime_error(std::to_string(chunk));
      });
      FAIL();
    } catch (const std::runtime_error& error) {
      EXPECT_STREQ(error.what(), "31");
    }
  }
}

}  // namespace
}  // namespace socialrx
