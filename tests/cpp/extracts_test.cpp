#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <tuple>
#include <vector>

#include "socialrx/extracts/spells.hpp"

namespace socialrx {
namespace {

// Seven episodes worked by hand (days since 1970; kNoDate: not discharged):
//   spell 10, person 1: rows 0-2, orders 2, 1, 1 with methods 0, 5, 3 -> the first episode is
//     row 2 (order 1; method 3 ranks below 5); admitted min(100, 101, 100) = 100, discharged
//     max(-, 104, 106) = 106 -> 6 bed days;
//   spell 20, person 2: row 3 alone, same day -> 0 bed days;
//   spell 30, person 3: rows 4-5, never discharged -> open (-1);
//   spell 40, person 4: row 6, method 1.
struct Episodes {
  std::vector<std::int64_t> person{1, 1, 1, 2, 3, 3, 4};
  std::vector<std::int64_t> spell{10, 10, 10, 20, 30, 30, 40};
  std::vector<std::int64_t> order{2, 1, 1, 1, 1, 2, 1};
  std::vector<Days> admitted{100, 101, 100, 110, 120, 120, 130};
  std::vector<Days> discharged{kNoDate, 104, 106, 110, kNoDate, kNoDate, 131};
  std::vector<std::int32_t> method{0, 5, 3, 2, 2, 0, 1};
  std::vector<std::uint8_t> read;

  EpisodesView view(const std::vector<std::int64_t>& key) const {
    return {.person = person,
            .key = {key},
            .order = order,
            .admitted = admitted,
            .discharged = discharged,
            .method = method,
            .read = read};
  }

  // The rows in another order: row i becomes row rows[i].
  Episodes reordered(const std::vector<std::size_t>& rows) const {
    Episodes out = *this;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      out.person[rows[i]] = person[i];
      out.spell[rows[i]] = spell[i];
      out.order[rows[i]] = order[i];
      out.admitted[rows[i]] = admitted[i];
      out.discharged[rows[i]] = discharged[i];
      out.method[rows[i]] = method[i];
    }
    return out;
  }
};

using SpellRow = std::tuple<std::int64_t, Days, std::int32_t, std::int32_t>;

std::vector<SpellRow> sorted_spells(const Spells& s) {
  std::vector<SpellRow> out;
  for (std::size_t i = 0; i < s.person.size(); ++i)
    out.emplace_back(s.person[i], s.admitted[i], s.bed_days[i], s.method[i]);
  std::sort(out.begin(), out.end());
  return out;
}

const std::vector<SpellRow> kExpected{
    {1, 100, 6, 3}, {2, 110, 0, 2}, {3, 120, -1, 2}, {4, 130, 1, 1}};

TEST(GroupSpells, HandWorkedSpells) {
  const Episodes e;
  const Spells s = group_spells(e.view(e.spell));
  EXPECT_EQ(sorted_spells(s), kExpected);
  EXPECT_EQ(std::vector<std::int64_t>(s.first_row.begin(), s.first_row.end()),
            (std::vector<std::int64_t>{2, 3, 4, 6}));
  EXPECT_EQ(s.later_episodes, 3);
  EXPECT_EQ(s.shared_row, kNoRow);
  EXPECT_EQ(s.reversed_row, kNoRow);
  // by method: 3 discharged; 2 one discharged, one open; 1 discharged
  EXPECT_EQ(std::vector<std::int64_t>(s.by_method.begin(), s.by_method.end()),
            (std::vector<std::int64_t>{0, 0, 1, 0, 1, 1, 1, 0, 0, 0, 0, 0}));
}

TEST(GroupSpells, AnyRowOrderAndAnyKeyLayoutGiveTheSameSpells) {
  std::vector<std::size_t> rows(7);
  std::iota(rows.begin(), rows.end(), 0);
  do {
    const Episodes e = Episodes{}.reordered(rows);
    std::vector<std::int64_t> scattered(e.spell.size());
    std::transform(e.spell.begin(), e.spell.end(), scattered.begin(),
                   [](std::int64_t id) { return id * 1'000'000'007 + (std::int64_t{1} << 40); });
    EXPECT_EQ(sorted_spells(group_spells(e.view(e.spell))), kExpected);    // a narrow range
    EXPECT_EQ(sorted_spells(group_spells(e.view(scattered))), kExpected);  // hashed
    EpisodesView composite = e.view(e.person);  // person + admission day (spell 10's differ)
    std::vector<std::int64_t> day(e.admitted.begin(), e.admitted.end());
    composite.key.push_back(day);
    EXPECT_EQ(group_spells(composite).person.size(), 5u);
  } while (std::next_permutation(rows.begin(), rows.end()));
}

TEST(GroupSpells, MethodRanksBreakTies) {
  Episodes e;
  const std::vector<std::int32_t> rank{0, 1, 2, 9, 4, 5};  // method 3 now ranks above 5
  EpisodesView view = e.view(e.spell);
  view.method_rank = rank;
  EXPECT_EQ(group_spells(view).method[0], 5);
  view.method_rank = Column<std::int32_t>(rank.data(), 5);  // no rank for method 5
  EXPECT_THROW(group_spells(view), InputError);
}

TEST(GroupSpells, ErrorsNameTheLowestRowRead) {
  Episodes e;
  e.person[5] = 9;        // spell 30 holds persons 3 and 9: rows 4 and 5, lowest 4
  e.discharged[6] = 129;  // before its admission on 130
  e.discharged[3] = 109;  // and so is row 3, but it is not read
  e.read = {1, 1, 1, 0, 1, 1, 1};
  const Spells s = group_spells(e.view(e.spell));
  EXPECT_EQ(s.shared_row, 4);
  EXPECT_EQ(s.reversed_row, 6);
  EXPECT_EQ(s.later_episodes, 3);
  EXPECT_EQ(s.person.size(), 3u);
}

TEST(SpellEvents, AdmissionsThenBedDaysOfSpellsWithAKind) {
  const std::vector<std::int64_t> person{1, 2, 3, 4};
  const std::vector<Days> admitted{100, 110, 120, 130};
  const std::vector<std::int32_t> bed_days{6, 0, -1, 1};
  const std::vector<std::int32_t> method{3, 2, 2, 1};
  const std::vector<std::int8_t> kind_of_method{-1, -1, 7, 8};  // method 1 has no kind
  const SpellEvents events = spell_events({person, admitted, bed_days, method}, kind_of_method, 5);
  EXPECT_EQ(std::vector<std::int64_t>(events.person.begin(), events.person.end()),
            (std::vector<std::int64_t>{1, 2, 3, 1, 2}));
  EXPECT_EQ(std::vector<std::int64_t>(events.date.begin(), events.date.end()),
            (std::vector<std::int64_t>{100, 110, 120, 100, 110}));
  EXPECT_EQ(std::vector<std::int8_t>(events.kind.begin(), events.kind.end()),
            (std::vector<std::int8_t>{8, 7, 7, 5, 5}));
  EXPECT_EQ(std::vector<std::int64_t>(events.count.begin(), events.count.end()),
            (std::vector<std::int64_t>{1, 1, 1, 6, 0}));
  const std::vector<std::int8_t> too_short{-1, -1};
  EXPECT_THROW(spell_events({person, admitted, bed_days, method}, too_short, 5), InputError);
}

// The four spells above 200,000 times over (800,000 spells: several chunks of the parallel
// passes, their boundaries inside the pattern): the events are the tiled pattern, admissions
// (persons 1, 2, 3 per copy) then bed days (persons 1, 2 per copy), in spell order.
TEST(SpellEvents, ManyChunksLineUpAsOnePass) {
  constexpr std::size_t kCopies = 200'000;
  std::vector<std::int64_t> person;
  std::vector<Days> admitted;
  std::vector<std::int32_t> bed_days;
  std::vector<std::int32_t> method;
  for (std::size_t copy = 0; copy < kCopies; ++copy) {
    const auto base = static_cast<std::int64_t>(10 * copy);
    person.insert(person.end(), {base + 1, base + 2, base + 3, base + 4});
    admitted.insert(admitted.end(), {100, 110, 120, 130});
    bed_days.insert(bed_days.end(), {6, 0, -1, 1});
    method.insert(method.end(), {3, 2, 2, 1});
  }
  const std::vector<std::int8_t> kind_of_method{-1, -1, 7, 8};
  const SpellEvents events = spell_events({person, admitted, bed_days, method}, kind_of_method, 5);
  ASSERT_EQ(events.person.size(), 5 * kCopies);
  for (std::size_t copy = 0; copy < kCopies; ++copy) {
    const auto base = static_cast<std::int64_t>(10 * copy);
    const std::size_t a = 3 * copy;
    const std::size_t b = 3 * kCopies + 2 * copy;
    ASSERT_EQ(events.person[a], base + 1);
    ASSERT_EQ(events.person[a + 2], base + 3);
    ASSERT_EQ(events.kind[a], 8);
    ASSERT_EQ(events.kind[a + 1], 7);
    ASSERT_EQ(events.person[b], base + 1);
    ASSERT_EQ(events.count[b], 6);
    ASSERT_EQ(events.person[b + 1], base + 2);
    ASSERT_EQ(events.count[b + 1], 0);
    ASSERT_EQ(events.kind[b + 1], 5);
  }
}

// One-episode spells enough for several chunks: every spell counted once by method and state.
TEST(GroupSpells, ManyChunksCountEverySpellOnce) {
  constexpr std::size_t kSpells = 700'001;
  std::vector<std::int64_t> person(kSpells);
  std::iota(person.begin(), person.end(), 1);
  std::vector<Days> admitted(kSpells, 100);
  std::vector<Days> discharged(kSpells, 102);
  std::vector<std::int32_t> method(kSpells);
  for (std::size_t row = 0; row < kSpells; ++row) {
    method[row] = static_cast<std::int32_t>(row % 3);
    if (row % 7 == 0) discharged[row] = kNoDate;
  }
  const Spells s = group_spells({.person = person,
                                 .key = {person},
                                 .admitted = admitted,
                                 .discharged = discharged,
                                 .method = method});
  ASSERT_EQ(s.person.size(), kSpells);
  std::vector<std::int64_t> expected(6, 0);
  for (std::size_t row = 0; row < kSpells; ++row) ++expected[2 * (row % 3) + (row % 7 == 0)];
  EXPECT_EQ(s.by_method, expected);
  EXPECT_EQ(s.bed_days[1], 2);
  EXPECT_EQ(s.bed_days[kSpells - 1], -1);  // row 700,000 is a multiple of 7: open
}

}  // namespace
}  // namespace socialrx
