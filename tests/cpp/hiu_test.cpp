#include "socialrx/risk/hiu.hpp"

#include <gtest/gtest.h>

namespace socialrx {
namespace {

constexpr auto kAE = static_cast<std::uint8_t>(EventKind::ae_attendance);
constexpr auto kGP = static_cast<std::uint8_t>(EventKind::gp_surgery);

struct Events {
  std::vector<std::int64_t> person;
  std::vector<Days> date;
  std::vector<std::uint8_t> kind;
  void add(std::int64_t who, Days day, std::uint8_t what = kAE) {
    person.push_back(who);
    date.push_back(day);
    kind.push_back(what);
  }
  EventsView view() const { return {person, date, kind}; }
};

// Person 1: five A&E visits from day 100 to day 464 = 100 + 365 - 1: all in one 365-day
// window. Person 2: the same but the last on day 465: only four fit any window.
TEST(Hiu, InclusiveEdgesOf365Days) {
  Events e;
  for (Days d : {464, 100, 200, 300, 400}) e.add(1, d);
  for (Days d : {100, 200, 300, 400, 465}) e.add(2, d);
  const std::vector<std::int64_t> people{1, 2};
  const auto r = high_intensity_users(people, e.view(), hiu_preset("ae_5_in_365"), 1);
  EXPECT_EQ(r.best_window, (std::vector<std::int32_t>{5, 4}));
  EXPECT_EQ(r.qualifies, (std::vector<std::uint8_t>{1, 0}));
  EXPECT_EQ(r.first_qualifying_date[0], 464);
  EXPECT_EQ(r.first_qualifying_date[1], kNoDate);
}

// NHS England "more than 5 in a month": 6 in days t .. t+29 qualifies, 6 in t .. t+30 does not.
TEST(Hiu, NhseMonthIsSixIn30Days) {
  Events e;
  for (Days d : {0, 5, 10, 15, 20, 29}) e.add(7, d);
  for (Days d : {0, 5, 10, 15, 20, 30}) e.add(8, d);
  for (int i = 0; i < 5; ++i) e.add(9, 50);  // five on one day: "more than 5" needs six
  const std::vector<std::int64_t> people{7, 8, 9};
  const auto r = high_intensity_users(people, e.view(), hiu_preset("nhse_month"));
  EXPECT_EQ(r.qualifies, (std::vector<std::uint8_t>{1, 0, 0}));
  EXPECT_EQ(r.best_window, (std::vector<std::int32_t>{6, 5, 5}));
  EXPECT_EQ(r.first_qualifying_date[0], 29);
}

TEST(Hiu, NhseYearIsTwentyOneIn365Days) {
  Events e;
  for (Days d = 0; d < 21; ++d) e.add(1, d * 18);  // day 360 is the 21st
  for (Days d = 0; d < 20; ++d) e.add(2, d);       // twenty is not "more than 20"
  const std::vector<std::int64_t> people{1, 2};
  const auto r = high_intensity_users(people, e.view(), hiu_preset("nhse_year"));
  EXPECT_EQ(r.qualifies, (std::vector<std::uint8_t>{1, 0}));
  EXPECT_EQ(r.first_qualifying_date[0], 360);
  EXPECT_EQ(r.best_window[1], 20);
}

TEST(Hiu, SameDayEventsAllCountAndOtherKindsAreCountedApart) {
  Events e;
  e.add(3, 10);
  e.add(3, 10);
  e.add(3, 10, kGP);
  e.add(3, 9);
  const std::vector<std::int64_t> people{3, 4};
  const auto r = high_intensity_users(people, e.view(), {EventKind::ae_attendance, 3, 2});
  EXPECT_EQ(r.best_window[0], 3);  // days 9 and 10 are one 2-day window
  EXPECT_EQ(r.first_qualifying_date[0], 10);
  EXPECT_EQ(r.best_window[1], 0);  // person 4 had no events
  EXPECT_EQ(r.events_of_kind, 3);
  EXPECT_EQ(r.events_of_other_kinds, 1);
}

TEST(Hiu, SameResultForAnyThreadCount) {
  Events e;
  std::vector<std::int64_t> people;
  for (std::int64_t p = 0; p < 40000; ++p) {
    people.push_back(p * 3);
    for (int k = 0; k < p % 9; ++k) e.add(p * 3, static_cast<Days>((p * 7919 + k * 104729) % 700));
  }
  const auto one = high_intensity_users(people, e.view(), hiu_preset("ae_5_in_365"), 1);
  const auto four = high_intensity_users(people, e.view(), hiu_preset("ae_5_in_365"), 4);
  EXPECT_EQ(one.best_window, four.best_window);
  EXPECT_EQ(one.first_qualifying_date, four.first_qualifying_date);
}

TEST(Hiu, BadInput) {
  Events e;
  e.add(5, 1);
  const std::vector<std::int64_t> people{1};
  try {
    high_intensity_users(people, e.view(), hiu_preset("nhse_year"));
    FAIL();
  } catch (const InputError& error) {
    EXPECT_EQ(error.table(), "events");
    EXPECT_EQ(error.row(), 0);
  }
  EXPECT_THROW(hiu_preset("nhse_week"), InputError);
  EXPECT_THROW(high_intensity_users(people, e.view(), {EventKind::ae_attendance, 0, 30}),
               InputError);
  const std::vector<std::int64_t> twice{5, 5};
  EXPECT_THROW(high_intensity_users(twice, e.view(), {}), InputError);
}

}  // namespace
}  // namespace socialrx
